package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/internal/golden"
)

// mapFailure is the failure of a map that stopped after orgRuns' accounts
// were audited (all but the sandbox account, and the data account not
// wholly), their news where news says.
func mapFailure(news OrgNews, newsErr error) *OrgFailure {
	return &OrgFailure{RunID: "exec-1", Runs: orgRuns(), Hub: true, News: news, NewsErr: newsErr,
		Failure: &Failure{Phase: "organisation run", Err: errors.New("the map over 4 accounts failed: States.ExceedToleratedFailureThreshold"),
			Hint: "more accounts failed than the tolerated failure percentage allows."}}
}

// The organisation alerts, one per kind of failure: a listing that
// failed, a map that stopped after accounts were audited (their news sent,
// owed), and results that could not be read at all.
func TestOrgAlertGolden(t *testing.T) {
	at := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	golden.Check(t, "alert-org-list.txt", message(orgAlert(&OrgFailure{RunID: "exec-1", Hub: true, News: NothingAudited,
		Failure: &Failure{Phase: "list accounts", Err: errors.New("organizations:ListAccounts: AccessDeniedException"),
			Hint: "the function must run in the management account or a delegated administrator."}}, NotifyChanges, at)))
	golden.Check(t, "alert-org-map.txt", message(orgAlert(mapFailure(NewsSent, nil), NotifyChanges, at)))
	golden.Check(t, "alert-org-owed.txt", message(orgAlert(mapFailure(NewsOwed, errors.New("sns:Publish: InternalError")), NotifyChanges, at)))
	unread := mapFailure(NewsUnread, errors.New("s3://bucket/runs/exec-1/summaries/222222222222.json: unexpected end of JSON input"))
	unread.Runs, unread.Hub = nil, false
	golden.Check(t, "alert-org-unread.txt", message(orgAlert(unread, NotifyChanges, at)))
}

// An organisation alert after accounts were audited says they saved their
// states and published, never the account alert's "the previous state is
// kept"; it says where their news is, and names the accounts, however
// many, within SNS's limits.
func TestOrgAlertSaysWhatTheRunDid(t *testing.T) {
	many := make([]AccountRun, 0, 3000)
	for i := range 3000 {
		id := fmt.Sprintf("1%011d", i)
		many = append(many, AccountRun{AccountID: id, Summary: &Summary{AccountID: id}})
	}
	for _, tc := range []struct {
		name string
		f    *OrgFailure
		want []string
	}{
		{"news sent", mapFailure(NewsSent, nil), []string{"3 of 4 accounts were audited: 111111111111 (quiet), 222222222222 (eng-prod), 444444444444 (data).",
			"Each saved its state and published its findings to its Security Hub, but 1 of them not wholly", "Their changes are in the organisation digest sent before this alert.",
			"1 other account kept no summary", "the digest names it."}},
		{"news sent, the owed list not written", mapFailure(NewsSent, errors.New("save owed digests: SlowDown")), []string{"Their changes are in the organisation digest sent before this alert.",
			"Besides: save owed digests: SlowDown"}},
		{"news owed", mapFailure(NewsOwed, errors.New("sns:Publish: InternalError")), []string{"Their changes are in the organisation digest, which could not be sent: sns:Publish: InternalError. It is kept with the digests owed, and the next run that can send sends it first, marked [late]."}},
		{"news lost", mapFailure(NewsLost, errors.New("sns:Publish: InternalError")), []string{"Their changes are in no digest: the organisation digest could be neither sent nor kept: sns:Publish: InternalError.", "look for them in the accounts' Security Hub."}},
		{"no digest due", &OrgFailure{RunID: "r", Runs: orgRuns()[:2], Hub: false, News: NewsNotDue, Failure: &Failure{Phase: "organisation results", Err: errors.New("x")}},
			[]string{"2 of 2 accounts were audited", "Each saved its state (Security Hub publishing is off).", "No organisation digest was due (notify mode changes: no account failed, was not wholly seen, or has anything new"}},
		{"one account, partial", &OrgFailure{RunID: "r", Runs: orgRuns()[3:], Partial: true, Hub: true, News: NewsSent, Failure: &Failure{Phase: "organisation results", Err: errors.New("x")}},
			[]string{"1 account (the run's account list could not be read, so the accounts not audited are not known) was audited: 444444444444 (data).",
				"It saved its state and published its findings to its Security Hub, but not wholly", "Its changes are in the organisation digest sent before this alert."}},
		{"none kept", &OrgFailure{RunID: "r", News: NoneKept, Hub: true, Failure: &Failure{Phase: "organisation run", Err: errors.New("x")}},
			[]string{"No account kept a summary", "its changes are in no digest: look for them in the accounts' Security Hub."}},
		{"thousands audited", &OrgFailure{RunID: "r", Runs: many, Hub: true, News: NewsSent, Failure: &Failure{Phase: "organisation run", Err: errors.New("x")}},
			[]string{"3000 of 3000 accounts were audited: 100000000000, 100000000001,", "100000000019, and 2980 more."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := orgAlert(tc.f, NotifyChanges, time.Unix(0, 0))
			if m.Kind != KindError || !strings.HasPrefix(m.Subject, "credaudit organisation: run FAILED (") || len(m.Body) > MaxBody || len(m.Subject) > MaxSubject {
				t.Errorf("alert %s %q, %d bytes", m.Kind, m.Subject, len(m.Body))
			}
			for _, want := range tc.want {
				if !strings.Contains(m.Body, want) {
					t.Errorf("alert lacks %q:\n%s", want, m.Body)
				}
			}
			for _, never := range []string{"could not audit", "the previous state is kept", "Nothing was imported"} {
				if strings.Contains(m.Body, never) {
					t.Errorf("alert says %q:\n%s", never, m.Body)
				}
			}
		})
	}
}

// FailOrg returns the failure, which errors.As finds as the step's
// Failure, and sends the organisation alert.
func TestFailOrg(t *testing.T) {
	topic := &fakeSNS{}
	a := &Auditor{Topic: topic, TopicARN: "arn:aws:sns:eu-west-1:123456789012:credaudit", Now: func() time.Time { return time.Unix(0, 0) }}
	f := mapFailure(NewsSent, nil)
	err := a.FailOrg(context.Background(), f)
	var got *Failure
	if !errors.As(err, &got) || got.Phase != "organisation run" || err.Error() != "organisation run: "+f.Err.Error() {
		t.Errorf("FailOrg returned %v", err)
	}
	if len(topic.sent) != 1 || *topic.sent[0].Subject != "credaudit organisation: run FAILED (organisation run)" {
		t.Errorf("sent %+v, want the organisation alert", topic.sent)
	}
}
