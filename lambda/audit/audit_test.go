package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/rules"
	"github.com/credaudit/credaudit/lambda/state"
)

// firstRun audits the sample report once, successfully, and clears the
// fakes' records.
func firstRun(t *testing.T, r *rig) *Outcome {
	t.Helper()
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if out.Counts.New == 0 || !out.Saved || len(r.sns.sent) != 1 {
		t.Fatalf("first run: %d new, saved %v, %d messages; want new findings, a saved state and a digest", out.Counts.New, out.Saved, len(r.sns.sent))
	}
	r.sns.take()
	r.hub.imports = 0
	return out
}

// fixedOnDay1 is a rig whose day-1 run, after firstRun, resolved bob's
// USER-01: he turned MFA on.
func fixedOnDay1(t *testing.T) *rig {
	t.Helper()
	r := newRig(t, "")
	firstRun(t, r)
	r.setMFA(t, mfaOff, mfaOn)
	r.on(1)
	if _, err := r.a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

// A run that cannot see sends an operational alert, imports nothing,
// resolves nothing and leaves the state as it was.
func TestFailureToSeeIsLoudAndChangesNothing(t *testing.T) {
	tests := []struct {
		name      string
		break_    func(t *testing.T, r *rig)
		phase     Phase
		wantInMsg []string
	}{
		{"report access denied", func(t *testing.T, r *rig) {
			r.iam.err = apiError("AccessDenied", "User is not authorized to perform: iam:GetCredentialReport")
		}, "acquire", []string{"iam:GetCredentialReport", "What to check: grant the function's role"}},
		{"report unparsable", func(t *testing.T, r *rig) {
			r.iam.report = bytes.Replace(r.iam.report, []byte("2020-01-15T12:00:00+00:00"), []byte("yesterday"), 1)
		}, "parse", []string{"line 3", "user_creation_time"}},
		{"state corrupt", func(t *testing.T, r *rig) {
			if err := os.WriteFile(r.store.File(sampleAccount), []byte("not a state"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "load state", []string{"corrupt state", "restore it from a backup"}},
		{"another account's report", func(t *testing.T, r *rig) {
			r.a.AccountID = "210987654321"
		}, "acquire", []string{"not 210987654321"}},
		{"a report older than the state's", func(t *testing.T, r *rig) {
			r.iam.generated = generatedAt.Add(-time.Second)
		}, "load state", []string{"is older than the one the state last saw", "would move the state back"}},
		// The rig audits two hours after the report: a report more than
		// MaxAhead after that would lock the state against every later one.
		{"a report from the future", func(t *testing.T, r *rig) {
			r.iam.generated = generatedAt.Add(2*time.Hour + MaxAhead + time.Second)
		}, "acquire", []string{"the report's time is in the future: the report is as of 2026-11-20T09:00:01Z, and it is now 2026-11-20T08:00:00Z", "would make every later report look older"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, "")
			firstRun(t, r)
			r.iam.report = bytes.ReplaceAll(r.iam.report, []byte(",true,"), []byte(",false,")) // a changed account: a blind run must not resolve it
			tt.break_(t, r)
			before := r.stateBytes(t)

			out, err := r.a.Run(context.Background())
			var f *Failure
			if !errors.As(err, &f) || f.Phase != tt.phase {
				t.Fatalf("Run = %v, %v; want a *Failure in phase %q", out, err, tt.phase)
			}
			if strings.Contains(err.Error(), string(tt.phase+": "+tt.phase)) {
				t.Errorf("the error says its phase twice: %v", err)
			}
			if r.hub.imports != 0 {
				t.Errorf("a blind run sent %d findings to Security Hub", r.hub.imports)
			}
			if after := r.stateBytes(t); !bytes.Equal(before, after) {
				t.Error("a blind run changed the state")
			}
			msgs := r.sns.take()
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want one operational alert", len(msgs))
			}
			m := msgs[0]
			if got := *m.MessageAttributes[AttrKind].StringValue; got != KindError {
				t.Errorf("kind %q, want %q", got, KindError)
			}
			if !strings.Contains(*m.Subject, "audit FAILED ("+string(tt.phase)+")") {
				t.Errorf("subject %q", *m.Subject)
			}
			for _, want := range append(tt.wantInMsg, "Nothing was imported into Security Hub and nothing was resolved") {
				if !strings.Contains(*m.Message, want) {
					t.Errorf("alert lacks %q:\n%s", want, *m.Message)
				}
			}
		})
	}
}

// A report without rows, which Parse refuses but a caller could build, is
// a failure to see for an auditor that knows its account too (an
// organisation's member): it would otherwise resolve every open finding.
func TestReportWithoutRowsResolvesNothing(t *testing.T) {
	r := newRig(t, "")
	firstRun(t, r)
	before := r.stateBytes(t)
	r.a.AccountID = sampleAccount
	out, err := r.a.Audit(context.Background(), &Observation{Report: &credreport.Report{}, AsOf: credreporttest.AsOf})
	var f *Failure
	if !errors.As(err, &f) || f.Phase != "parse" {
		t.Fatalf("Audit = %v, %v; want a *Failure in phase parse", out, err)
	}
	if r.hub.imports != 0 || !bytes.Equal(before, r.stateBytes(t)) {
		t.Errorf("a report without rows sent %d findings or changed the state", r.hub.imports)
	}
}

// A run that failed by its deadline still sends its alert, which is what
// says why; an interrupted run's is not sent (the interrupt asked for an
// end), and the error says so.
func TestAlertOfARunPastItsDeadline(t *testing.T) {
	r := newRig(t, "")
	failure := &Failure{Phase: "acquire", Err: errors.New("get credential report: context deadline exceeded")}
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if err := r.a.Fail(expired, failure); !errors.Is(err, failure) || strings.Contains(err.Error(), "alert not sent") {
		t.Errorf("Fail past the deadline = %v, want the failure alone", err)
	}
	if msgs := r.sns.take(); len(msgs) != 1 || !strings.Contains(*msgs[0].Subject, "audit FAILED (acquire)") {
		t.Errorf("past the deadline: %d messages, want the alert", len(msgs))
	}
	interrupted, stop := context.WithCancel(context.Background())
	stop()
	if err := r.a.Fail(interrupted, failure); !errors.Is(err, failure) || !errors.Is(err, context.Canceled) {
		t.Errorf("Fail when interrupted = %v, want the failure and the unsent alert", err)
	}
	if msgs := r.sns.take(); len(msgs) != 0 {
		t.Errorf("interrupted: %d messages sent, want none", len(msgs))
	}
}

// runContext is a run's context that reaches its deadline when expire is
// called, as a context does when its time is up, so that a test can put
// the deadline at a step of the run without waiting for a clock.
type runContext struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newRunContext() *runContext {
	return &runContext{Context: context.Background(), done: make(chan struct{})}
}

func (c *runContext) Deadline() (time.Time, bool) { return time.Now().Add(time.Hour), true }
func (c *runContext) Done() <-chan struct{}       { return c.done }
func (c *runContext) expire()                     { c.once.Do(func() { close(c.done) }) }
func (c *runContext) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// deadlineHub is a Security Hub during whose first import the run reaches
// its deadline: it takes that batch, and refuses every call after it, as
// the SDK refuses to start a call past the deadline.
type deadlineHub struct {
	*fakeHub
	run *runContext
}

func (h deadlineHub) BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, opts ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer h.run.expire()
	return h.fakeHub.BatchImportFindings(ctx, in, opts...)
}

func (h deadlineHub) BatchUpdateFindings(ctx context.Context, in *securityhub.BatchUpdateFindingsInput, opts ...func(*securityhub.Options)) (*securityhub.BatchUpdateFindingsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return h.fakeHub.BatchUpdateFindings(ctx, in, opts...)
}

// A run that reaches its deadline while publishing sent nothing: its
// digest and its state save failed with the run's context, so that the
// only sign was the function's error, and what it had imported was not
// saved. Like the alert of a run that fails by its deadline, they now go
// on in the time kept after it: the digest says what was not published,
// and the state holds what was.
func TestARunPastItsDeadlinePublishingSendsItsDigest(t *testing.T) {
	r := newRig(t, suppressBob)
	run := newRunContext()
	r.a.Hub.Client = deadlineHub{r.hub, run}
	out, err := r.a.Run(run)
	if !errors.Is(err, context.DeadlineExceeded) || r.hub.imports == 0 {
		t.Fatalf("Run = %v after %d imports; want the deadline reached after the first batch", err, r.hub.imports)
	}
	msgs := r.sns.take()
	if len(msgs) != 1 || !out.Notified || !strings.Contains(*msgs[0].Message, "the run reached its deadline: if this repeats and the function's timeout is below Lambda's 900-second maximum, raise it") || !strings.Contains(*msgs[0].Subject, "Security Hub errors") {
		t.Fatalf("%d messages (notified %v); want the digest, saying what the deadline stopped", len(msgs), out.Notified)
	}
	if !out.Saved {
		t.Fatalf("state not saved: %v", err)
	}
	s, _, err := r.store.Load(context.Background(), sampleAccount)
	if err != nil {
		t.Fatal(err)
	}
	imported := 0
	for _, rec := range s.Records {
		if !rec.LastImportedAt.IsZero() {
			imported++
		}
	}
	if imported != r.hub.imports {
		t.Errorf("the state holds %d findings imported, Security Hub took %d", imported, r.hub.imports)
	}
}

// Overtime ends alertTimeout after the run's deadline, whether that has
// passed before or after it is asked for, and ends with the run when the
// run is interrupted instead (canceled, before or after); a run without a
// deadline has none.
func TestOvertime(t *testing.T) {
	plain := context.Background()
	if post, cancel := Overtime(plain); post != plain {
		t.Errorf("a context without a deadline got overtime")
	} else {
		cancel()
	}

	deadline := time.Now().Add(-time.Second)
	expired, stop := context.WithDeadline(context.Background(), deadline)
	defer stop()
	for range 2 { // asked twice, the same end
		post, cancel := Overtime(expired)
		if d, ok := post.Deadline(); post.Err() != nil || !ok || !d.Equal(deadline.Add(alertTimeout)) {
			t.Errorf("past the deadline: overtime %v until %v, want until %v", post.Err(), d, deadline.Add(alertTimeout))
		}
		cancel()
	}

	run := newRunContext()
	post, cancel := Overtime(run)
	run.expire()
	if post.Err() != nil {
		t.Errorf("the deadline passed during overtime's run and ended it: %v", post.Err())
	}
	cancel()

	interrupted, interrupt := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
	interrupt()
	if post, cancel := Overtime(interrupted); !errors.Is(post.Err(), context.Canceled) {
		t.Errorf("an interrupted run got overtime: %v", post.Err())
	} else {
		cancel()
	}

	running, interruptLater := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
	post, cancel = Overtime(running)
	defer cancel()
	interruptLater()
	select {
	case <-post.Done():
	case <-time.After(10 * time.Second):
		t.Error("a run interrupted after overtime was asked for kept it")
	}
}

// An operational alert goes out whatever the notify mode.
func TestAlertsIgnoreNotifyNever(t *testing.T) {
	r := newRig(t, "")
	r.a.Notify = NotifyNever
	r.iam.err = apiError("AccessDenied", "no")
	if _, err := r.a.Run(context.Background()); err == nil {
		t.Fatal("Run succeeded without a report")
	}
	if len(r.sns.take()) != 1 {
		t.Error("no alert in NotifyNever mode")
	}
}

func TestNotifyModes(t *testing.T) {
	for _, tt := range []struct {
		mode                NotifyMode
		firstRun, unchanged int
	}{
		{NotifyChanges, 1, 0},
		{NotifyAlways, 1, 1},
		{NotifyNever, 0, 0},
	} {
		t.Run(tt.mode.String(), func(t *testing.T) {
			r := newRig(t, "")
			r.a.Notify = tt.mode
			for i, want := range []int{tt.firstRun, tt.unchanged} {
				out, err := r.a.Run(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if got := len(r.sns.take()); got != want || out.Notified != (want == 1) {
					t.Errorf("run %d: %d messages (notified %v), want %d", i+1, got, out.Notified, want)
				}
			}
		})
	}
}

// A Security Hub error is sent in the digest whatever the notify mode,
// unless the run leaves its failures to the caller (NoAlerts: an
// organisation run's per-account request, "notify":"never"): then the mode
// alone decides, and "never" sends nothing. The error is returned either
// way.
func TestSecurityHubErrorNotifiesUnlessTheCallerReports(t *testing.T) {
	for _, tt := range []struct {
		name     string
		mode     NotifyMode
		noAlerts bool
		want     int
	}{
		{"notify never still sends the error", NotifyNever, false, 1},
		{"notify never with alerts left to the caller sends nothing", NotifyNever, true, 0},
		{"notify changes with alerts left to the caller sends the digest of the changes", NotifyChanges, true, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, "")
			r.a.Notify, r.a.NoAlerts = tt.mode, tt.noAlerts
			r.hub.err = apiError("InvalidAccessException", "Account is not subscribed to AWS Security Hub")
			out, err := r.a.Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), "InvalidAccessException") {
				t.Fatalf("Run error %v, want the Security Hub error", err)
			}
			if got := len(r.sns.take()); got != tt.want || out.Notified != (tt.want == 1) {
				t.Errorf("%d messages (notified %v), want %d", got, out.Notified, tt.want)
			}
		})
	}
}

// A run logs LogFailureTold when, and only when, what failed it reached
// the topic: its alert, or its digest naming the Security Hub errors that
// alone failed it. The stack holds back its run-failed alarm while such a
// line comes, so a line logged for a failure the topic never heard of
// would hide it.
func TestARunLogsThatItToldItsFailure(t *testing.T) {
	hubDown := func(r *rig) {
		r.hub.err = apiError("InvalidAccessException", "Account is not subscribed to AWS Security Hub")
	}
	snsDown := func(r *rig) { r.sns.err = apiError("KMSAccessDeniedException", "no key access") }
	// The first run saves its state twice, ahead of publishing and after.
	finalSaveFails := func(r *rig) {
		var s *failingSaves
		s = &failingSaves{Store: r.store, fail: func() bool { return s.saves == 2 }}
		r.a.Store = s
	}
	for _, tt := range []struct {
		name   string
		breaks []func(*rig)
		want   string // the told line's kind, "" for none
	}{
		{"an alert sent", []func(*rig){func(r *rig) { r.iam.err = apiError("AccessDenied", "not authorized") }}, KindError},
		{"an alert not sent", []func(*rig){func(r *rig) { r.iam.err = apiError("AccessDenied", "not authorized") }, snsDown}, ""},
		{"an alert with no topic to send it to", []func(*rig){func(r *rig) { r.iam.err = apiError("AccessDenied", "not authorized") }, func(r *rig) { r.a.Topic = nil }}, ""},
		{"Security Hub's errors in the digest sent", []func(*rig){hubDown}, KindDigest},
		{"Security Hub's errors in a digest not sent", []func(*rig){hubDown, snsDown}, ""},
		{"Security Hub's errors left to the caller", []func(*rig){hubDown, func(r *rig) { r.a.Notify, r.a.NoAlerts = NotifyNever, true }}, ""},
		{"Security Hub's errors told, the final save failed untold", []func(*rig){hubDown, finalSaveFails}, ""},
		{"the final save failed after the digest", []func(*rig){finalSaveFails}, ""},
		{"a digest not sent", []func(*rig){snsDown}, ""},
		{"a run that did not fail", nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, "")
			var logs bytes.Buffer
			r.a.Log = slog.New(slog.NewJSONHandler(&logs, nil))
			for _, b := range tt.breaks {
				b(r)
			}
			_, err := r.a.Run(context.Background())
			if (err == nil) != (tt.breaks == nil) {
				t.Fatalf("Run: %v", err)
			}
			var told []string
			for line := range strings.Lines(logs.String()) {
				var l struct{ Msg, Kind string }
				if err := json.Unmarshal([]byte(line), &l); err != nil {
					t.Fatal(err)
				}
				if l.Msg == LogFailureTold {
					told = append(told, l.Kind)
				}
			}
			if want := []string{tt.want}; tt.want == "" && len(told) != 0 || tt.want != "" && !slices.Equal(told, want) {
				t.Errorf("%q lines of kinds %q, want %q (error %v)", LogFailureTold, told, tt.want, err)
			}
		})
	}
}

// The second run over an unchanged account imports nothing and saves a
// state with the same records.
func TestUnchangedAccountCostsNothing(t *testing.T) {
	r := newRig(t, "")
	first := firstRun(t, r)
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.hub.imports != 0 || out.Hub.Requests != 0 || len(r.sns.sent) != 0 {
		t.Errorf("unchanged run: %d imports, %d requests, %d messages; want none", r.hub.imports, out.Hub.Requests, len(r.sns.sent))
	}
	if out.Counts.StillFailing != first.Counts.New {
		t.Errorf("%d still failing, want the %d first found", out.Counts.StillFailing, first.Counts.New)
	}
}

// A digest that cannot be sent is sent by the next run: the state moves on
// only by the findings Security Hub now holds, so the next run reports the
// same changes again.
func TestUnsentDigestIsSentByTheNextRun(t *testing.T) {
	r := newRig(t, "")
	r.sns.err = apiError("KMSAccessDeniedException", "no key access")
	out, err := r.a.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "digest not sent") || !out.Saved {
		t.Fatalf("Run = %v (saved %v); want a digest error and the state saved", err, out != nil && out.Saved)
	}
	imports := r.hub.imports
	r.sns.err = nil
	r.on(1)
	again, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again.Counts.New != out.Counts.New || len(r.sns.sent) != 1 {
		t.Errorf("next run: %d new and %d messages; want the same %d new in one digest", again.Counts.New, len(r.sns.sent), out.Counts.New)
	}
	if r.hub.imports == imports {
		t.Errorf("next run imported nothing; want the new findings sent again with the digest that reports them")
	}
	// Reported now: the run after is quiet.
	r.on(2)
	quiet, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if quiet.Counts.New != 0 || len(r.sns.sent) != 1 {
		t.Errorf("third run: %d new, %d messages; want nothing new and no digest", quiet.Counts.New, len(r.sns.sent))
	}
}

// A finding a run opened but could not report (its digest was not sent) is
// reported by the next run even when that run cannot see it (a sentinel in
// the cell it hinges on): the news is what the last run saw, and a
// NOT_AVAILABLE result keeps it, neither resolved nor lost.
func TestUnsentNewsIsSentByTheNextRunThatCannotSeeIt(t *testing.T) {
	const bob = "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	r := fixedOnDay1(t)
	r.sns.take()
	// Day 2: bob turns MFA off again; the digest saying so is not sent.
	r.setMFA(t, mfaOn, mfaOff)
	r.on(2)
	r.sns.err = apiError("KMSAccessDeniedException", "no key access")
	if out, err := r.a.Run(context.Background()); err == nil || kindOf(out, bob) != finding.New {
		t.Fatalf("day 2: err %v, bob's USER-01 %v; want it new and the digest refused", err, kindOf(out, bob))
	}
	r.sns.err = nil
	// Day 3: bob's mfa_active reads N/A.
	r.setMFA(t, mfaOff, []byte(",2024-02-01T08:30:00+00:00,N/A,N/A,"))
	r.on(3)
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	msgs := r.sns.take()
	if kindOf(out, bob) != finding.New || len(msgs) != 1 || !strings.Contains(*msgs[0].Message, "USER-01  bob: console password enabled and MFA not active") {
		t.Fatalf("day 3: bob's USER-01 %v, %d messages; want it reported as new", kindOf(out, bob), len(msgs))
	}
	if f := r.hub.findings[bob]; f.RecordState != shtypes.RecordStateActive || f.Compliance.Status != shtypes.ComplianceStatusFailed {
		t.Errorf("day 3: Security Hub holds bob's USER-01 %s/%s, want ACTIVE/FAILED", f.RecordState, f.Compliance.Status)
	}
	// Reported now: bob still unseen on day 4 is no news.
	r.on(4)
	if out, err := r.a.Run(context.Background()); err != nil || kindOf(out, bob) != finding.StillFailing || len(r.sns.take()) != 0 {
		t.Errorf("day 4: err %v, bob's USER-01 %v; want still failing and no digest", err, kindOf(out, bob))
	}
}

// A finding opened in Security Hub by a run whose digest was not sent and
// fixed before the next run is resolved there, not left open.
func TestFindingOfAnUnsentDigestFixedBeforeTheNextRunIsResolved(t *testing.T) {
	r := newRig(t, "")
	bob := "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	r.sns.err = apiError("KMSAccessDeniedException", "no key access")
	if _, err := r.a.Run(context.Background()); err == nil {
		t.Fatal("run with the digest refused succeeded")
	}
	if f, ok := r.hub.findings[bob]; !ok || f.RecordState != shtypes.RecordStateActive {
		t.Fatalf("bob's USER-01 after the first run: %+v, want it open in Security Hub", f)
	}
	r.sns.err = nil
	r.setMFA(t, mfaOff, mfaOn) // bob turns MFA on
	r.on(1)
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f := r.hub.findings[bob]
	if f.RecordState != shtypes.RecordStateArchived || f.Compliance == nil || f.Compliance.Status != shtypes.ComplianceStatusPassed {
		t.Errorf("bob's USER-01 in Security Hub: %s, %+v; want ARCHIVED and PASSED", f.RecordState, f.Compliance)
	}
	if out.Counts.Resolved == 0 {
		t.Errorf("the digest resolves nothing; want bob's USER-01 resolved")
	}
}

// Findings Security Hub refuses are named in the digest and the error, and
// the next run sends exactly those again, with their first-seen times; the
// import that creates one there has CreatedAt equal to UpdatedAt, as
// Security Hub requires (the fake refuses a creation otherwise).
func TestRefusedFindingsAreSentByTheNextRun(t *testing.T) {
	r := newRig(t, "")
	refused := "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	r.hub.refuse = map[string]bool{refused: true}
	out, err := r.a.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), refused) {
		t.Fatalf("Run error %v, want it to name %s", err, refused)
	}
	if !out.Saved || out.Hub.Failed != 1 || out.Hub.Imported != out.Counts.New-1 {
		t.Fatalf("saved %v, %d failed, %d imported of %d new", out.Saved, out.Hub.Failed, out.Hub.Imported, out.Counts.New)
	}
	msgs := r.sns.take()
	if len(msgs) != 1 || !strings.Contains(*msgs[0].Message, "Security Hub (eu-west-1): 1 finding could not be published") ||
		!strings.Contains(*msgs[0].Subject, "Security Hub errors") {
		t.Fatalf("digest does not report the refusal: %v", msgs)
	}

	r.hub.refuse = nil
	r.hub.imports = 0
	again, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.hub.imports != 1 || again.Counts.New != 0 {
		t.Fatalf("next run sent %d findings (%d new), want only the refused one again", r.hub.imports, again.Counts.New)
	}
	f := r.hub.findings[refused]
	if first := generatedAt.Format("2006-01-02T15:04:05Z"); *f.FirstObservedAt != first || *f.CreatedAt != *f.UpdatedAt || *f.UpdatedAt <= first {
		t.Errorf("re-sent finding first observed %s, created %s, updated %s; want first observed %s, created when updated, later",
			*f.FirstObservedAt, *f.CreatedAt, *f.UpdatedAt, first)
	}
	r.on(31) // a refresh keeps the CreatedAt it was created with
	created := *f.CreatedAt
	if _, err := r.a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f := r.hub.findings[refused]; *f.CreatedAt != created || *f.UpdatedAt <= created {
		t.Errorf("refreshed finding created %s, updated %s; want created %s still, updated later", *f.CreatedAt, *f.UpdatedAt, created)
	}
}

// A resolution Security Hub refused is news once, in the digest of the run
// that saw it: the next run sends the archive again without reporting it
// again, and a finding failing again by then is reported as new (the user
// was told it was resolved), not left still failing unsaid.
func TestRefusedResolutionIsReportedOnce(t *testing.T) {
	const bob = "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	tests := []struct {
		name      string
		relapse   bool // bob turns MFA off again before the next run
		wantKind  finding.Kind
		wantState shtypes.RecordState
	}{
		{"still fixed: the archive is sent, quietly", false, finding.StillArchived, shtypes.RecordStateArchived},
		{"failing again: reported as new", true, finding.New, shtypes.RecordStateActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, "")
			firstRun(t, r)
			r.setMFA(t, mfaOff, mfaOn)
			r.on(1)
			r.hub.refuse = map[string]bool{bob: true}
			out, err := r.a.Run(context.Background())
			if err == nil || kindOf(out, bob) != finding.Resolved || len(r.sns.take()) != 1 {
				t.Fatalf("day 1: err %v, bob %v; want the refusal and bob's resolution reported", err, kindOf(out, bob))
			}
			r.hub.refuse = nil
			if tt.relapse {
				r.setMFA(t, mfaOn, mfaOff)
			}
			r.on(2)
			out, err = r.a.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := kindOf(out, bob); got != tt.wantKind {
				t.Errorf("day 2: bob's USER-01 is %v, want %v", got, tt.wantKind)
			}
			if f := r.hub.findings[bob]; f.RecordState != tt.wantState {
				t.Errorf("day 2: Security Hub holds bob's USER-01 %s, want %s", f.RecordState, tt.wantState)
			}
		})
	}
}

// kindOf is the kind of out's change of the finding id, 0 when there is none.
func kindOf(out *Outcome, id string) finding.Kind {
	if out == nil {
		return 0
	}
	for i := range out.Changes {
		if out.Changes[i].ID() == id {
			return out.Changes[i].Kind
		}
	}
	return 0
}

// A request error (Security Hub not enabled) fails every import; the run
// reports it and a later run, once enabled, imports everything.
func TestSecurityHubNotEnabled(t *testing.T) {
	r := newRig(t, "")
	r.hub.err = apiError("InvalidAccessException", "Account is not subscribed to AWS Security Hub")
	out, err := r.a.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "enable") {
		t.Fatalf("Run error %v, want a hint to enable Security Hub", err)
	}
	if len(r.sns.take()) != 1 || !out.Saved {
		t.Fatalf("want the digest sent and the state saved with every import pending")
	}
	r.hub.err = nil
	again, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again.Hub.Imported != out.Counts.New {
		t.Errorf("after enabling: %d imported, want the %d pending", again.Hub.Imported, out.Counts.New)
	}
}

// When Security Hub is not enabled, or denies access, every run fails the
// same way until a person acts: the digest, and the organisation digest
// that quotes the account's error, say what to fix in full (it comes
// before the findings, which clipping cuts), and promise no resend that
// would fail again.
func TestSecurityHubRefusalSaysWhatToFix(t *testing.T) {
	for _, tt := range []struct {
		name   string
		refuse func(h *fakeHub)
		fix    string // the end of the hint, which clipping would cut first
	}{
		{"not enabled, each finding refused", func(h *fakeHub) { h.refuseAll = "InvalidAccess" },
			"enable Security Hub CSPM in account 123456789012, region eu-west-1 (console, or `aws securityhub enable-security-hub`), or check that the configured home region is the one where it is enabled"},
		{"access denied, each finding refused", func(h *fakeHub) { h.refuseAll = "AccessDeniedException" },
			"and import from account 123456789012 itself (an account can import custom findings only for itself)"},
		{"not enabled, the request refused", func(h *fakeHub) {
			h.err = apiError("InvalidAccessException", "Account 123456789012 is not subscribed to AWS Security Hub")
		}, "or check that the configured home region is the one where it is enabled"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, "")
			tt.refuse(r.hub)
			out, err := r.a.Run(context.Background())
			if err == nil || out.Hub.Failed != out.Counts.New {
				t.Fatalf("Run error %v, %d of %d failed; want every finding refused", err, out.Hub.Failed, out.Counts.New)
			}
			want := fmt.Sprintf("  ! Security Hub (eu-west-1): %d findings could not be published; they will not be until this is fixed (each run tries again). ", out.Hub.Failed)
			if !strings.Contains(out.Digest.Body, want) || !strings.Contains(out.Digest.Body, tt.fix) || strings.Contains(out.Digest.Body, "sends them again") {
				t.Errorf("digest lacks %q or %q, or promises a resend:\n%s", want, tt.fix, out.Digest.Body)
			}
			org := OrgDigest([]AccountRun{{AccountID: sampleAccount, Summary: Summarize(out), Error: err.Error()}}, "all", generatedAt)
			if !strings.Contains(org.Body, tt.fix) {
				t.Errorf("organisation digest lacks %q:\n%s", tt.fix, org.Body)
			}
		})
	}
}

// suppressBob is a configuration that suppresses bob's USER-01 finding.
const suppressBob = `
suppressions:
  - rule: USER-01
    user: bob
    reason: break-glass account, reviewed monthly
`

// A suppression sets the workflow status with its reason as the note, and
// its removal sets the finding back to NEW.
func TestSuppressionsDriveTheWorkflow(t *testing.T) {
	r := newRig(t, suppressBob)
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.hub.workflow) != 1 {
		t.Fatalf("%d workflow updates, want 1", len(r.hub.workflow))
	}
	up := r.hub.workflow[0]
	if up.Workflow.Status != shtypes.WorkflowStatusSuppressed || !strings.Contains(aws.ToString(up.Note.Text), "break-glass") ||
		len(up.FindingIdentifiers) != 1 || !strings.HasSuffix(*up.FindingIdentifiers[0].Id, "/USER-01/arn:aws:iam::123456789012:user/bob") {
		t.Errorf("workflow update %+v", up)
	}
	if out.Counts.Suppressed != 1 || strings.Contains(out.Digest.Body, "USER-01  bob") {
		t.Errorf("suppressed: %d; a suppressed finding is listed in the digest:\n%s", out.Counts.Suppressed, out.Digest.Body)
	}

	r.a.Suppressions = nil
	r.hub.workflow = nil
	if _, err := r.a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(r.hub.workflow) != 1 || r.hub.workflow[0].Workflow.Status != shtypes.WorkflowStatusNew {
		t.Errorf("after the suppression went: %+v, want one update to NEW", r.hub.workflow)
	}
}

// suppressionsMutingNothing mutes bob's USER-01 (line 3), and then
// mutes nothing: shadowed (6), matching nothing (9), expired (12).
const suppressionsMutingNothing = suppressBob + `  - rule: USER-01
    user: b*
    reason: shadowed by the one above
  - rule: KEY-02
    user: nobody
    reason: matches nothing
  - rule: USER-02
    user: bob
    reason: expired
    expires: 2026-01-01
`

// The digest lists the suppressions that muted nothing, as the command line
// does, so that they do not rot: expired, shadowed by an earlier one, or
// matching no failing result (for what was fixed since, or mistyped).
func TestDigestListsSuppressionsThatMuteNothing(t *testing.T) {
	r := newRig(t, suppressionsMutingNothing)
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"The suppression at credaudit.yaml:6 never applies: every failing result it matches (1) is muted by an earlier suppression.",
		"The suppression at credaudit.yaml:9 matches no failing result.",
		"The suppression at credaudit.yaml:12 expired on 2026-01-01 and no longer applies.",
	} {
		if !strings.Contains(out.Digest.Body, want) {
			t.Errorf("digest lacks %q:\n%s", want, out.Digest.Body)
		}
	}
	if strings.Contains(out.Digest.Body, "credaudit.yaml:3 ") {
		t.Errorf("the suppression that mutes bob is listed:\n%s", out.Digest.Body)
	}
}

// Root account facts that cannot be read are a failure to see (ROOT-03 is
// left NOT_AVAILABLE, run after run): a run over an otherwise unchanged
// account sends its digest in changes mode, saying why, unless its caller
// takes its failures (NoAlerts, an organisation's audit: OrgDigestDue).
func TestAccountFactsUnreadAreSentInChangesMode(t *testing.T) {
	r := newRig(t, "")
	r.iam.accountErr = apiError("AccessDenied", "User is not authorized to perform: iam:GetAccountSummary")
	firstRun(t, r)
	out, err := r.a.Run(context.Background()) // the same again: no news
	if err != nil {
		t.Fatal(err)
	}
	if out.Counts.Changes() != 0 {
		t.Fatalf("%d changes; the run must have no news of its own: %+v", out.Counts.Changes(), out.Counts)
	}
	msgs := r.sns.take()
	if len(msgs) != 1 || !strings.Contains(*msgs[0].Message, "Root account facts could not be read, so ROOT-02 goes by the report alone and ROOT-03 is NOT_AVAILABLE") {
		t.Fatalf("%d messages, want the digest saying the facts could not be read: %+v", len(msgs), msgs)
	}
	r.a.NoAlerts = true
	if _, err := r.a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if msgs := r.sns.take(); len(msgs) != 0 {
		t.Errorf("with NoAlerts, %d messages, want none: the caller reports it", len(msgs))
	}
}

// The results a run could not decide are listed with why, under NOT
// DECIDED: the count alone ("1 result could not be decided") left the
// reader to run a scan to learn which, and whether it needed them.
func TestDigestListsTheResultsNotDecided(t *testing.T) {
	r := newRig(t, "")
	r.iam.accountErr = errors.New("iam:GetAccountSummary: AccessDenied")
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range out.Results {
		if res := &out.Results[i]; res.Status == rules.NotAvailable {
			want = append(want, fmt.Sprintf("  %-15s %-8s ", "["+res.Rule.Severity.String()+"]", res.Rule.ID)+res.User()+": "+res.Reason+"\n")
		}
	}
	if len(want) != 1 || !strings.Contains(want[0], "ROOT-03  <root_account>: ") {
		t.Fatalf("results not decided: %q, want ROOT-03's alone", want)
	}
	for _, w := range []string{
		"  ! 1 result could not be decided from the report (NOT_AVAILABLE, listed under NOT DECIDED); any finding it covers is kept as it was.\n",
		"\nNOT DECIDED (1)\n" + want[0],
	} {
		if !strings.Contains(out.Digest.Body, w) {
			t.Errorf("digest lacks %q:\n%s", w, out.Digest.Body)
		}
	}
}

// A failing finding whose suppression expires, or is removed, was never
// reported (it was muted when it first failed): unmuted, it is news, sent
// in changes mode and listed with the new findings, saying why. Reported
// once: the run after is quiet, even when the unsuppress had to be sent
// again; a digest that could not be sent is made up by the next run.
func TestASuppressionThatEndsIsNews(t *testing.T) {
	const (
		bob      = "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
		bobLine  = "  [MEDIUM]        USER-01  bob: console password enabled and MFA not active"
		expiring = suppressBob + "    expires: 2026-11-21\n"
	)
	for _, tt := range []struct {
		name, cfg string
		end       func(r *rig) // on day 1, before the run that unmutes
		note      string
	}{
		{"an expired suppression", expiring, func(*rig) {}, " (suppression expired)"},
		{"a removed suppression", suppressBob, func(r *rig) { r.a.Suppressions = nil },
			" (no longer suppressed: its suppression was removed or changed)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.cfg)
			firstRun(t, r)
			r.on(1)
			tt.end(r)
			out, err := r.a.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if out.Counts.Unmuted != 1 || !out.Notified || len(r.sns.take()) != 1 {
				t.Fatalf("%d unmuted, notified %v; want bob's USER-01 unmuted and a digest in changes mode", out.Counts.Unmuted, out.Notified)
			}
			for _, want := range []string{"This run: 0 new, 0 changed, 1 unmuted, 0 resolved,", "\nNEW OR CHANGED (1)\n" + bobLine + tt.note + "\n"} {
				if !strings.Contains(out.Digest.Body, want) {
					t.Errorf("digest lacks %q:\n%s", want, out.Digest.Body)
				}
			}
			if !strings.Contains(out.Digest.Subject, ": 0 new, 1 unmuted, 0 resolved,") || out.Digest.Severity != "MEDIUM" {
				t.Errorf("subject %q, severity %s; want the unmuted finding counted, MEDIUM", out.Digest.Subject, out.Digest.Severity)
			}
			if got := r.hub.workflowOf(bob); !slices.Equal(got, []shtypes.WorkflowStatus{shtypes.WorkflowStatusSuppressed, shtypes.WorkflowStatusNew}) {
				t.Errorf("bob's USER-01 workflow updates %v, want SUPPRESSED then NEW", got)
			}
			if s := Summarize(out); s.Unmuted != 1 || len(s.TopNew) != 1 || !strings.HasSuffix(" "+s.TopNew[0].Note, tt.note) ||
				!OrgDigestDue([]AccountRun{{AccountID: sampleAccount, Summary: s}}, NotifyChanges) {
				t.Errorf("summary %+v; want the unmuted finding counted, listed and due in the organisation digest", s)
			}

			quietAfterUnmuting(t, r, 2)
		})
	}

	t.Run("an unsuppress Security Hub refused is sent again, not reported again", func(t *testing.T) {
		r := newRig(t, suppressBob)
		firstRun(t, r)
		r.on(1)
		r.a.Suppressions = nil
		r.hub.refuseWorkflow = map[string]bool{bob: true}
		if out, err := r.a.Run(context.Background()); err == nil || out.Counts.Unmuted != 1 {
			t.Fatalf("refused unsuppress: error %v, want one; %d unmuted, want 1", err, out.Counts.Unmuted)
		}
		r.sns.take()
		r.hub.refuseWorkflow, r.hub.workflow = nil, nil
		quietAfterUnmuting(t, r, 2)
		if got := r.hub.workflowOf(bob); !slices.Equal(got, []shtypes.WorkflowStatus{shtypes.WorkflowStatusNew}) {
			t.Errorf("next run: bob's USER-01 workflow updates %v, want NEW sent again", got)
		}
	})

	t.Run("with Security Hub off, a finding muted since it first failed is news when its suppression expires", func(t *testing.T) {
		r := newRig(t, expiring)
		r.a.Hub = nil
		firstRun(t, r)
		r.on(1)
		out, err := r.a.Run(context.Background())
		if err != nil || out.Counts.Unmuted != 1 || !out.Notified || len(r.sns.take()) != 1 {
			t.Fatalf("%d unmuted, %d still failing, notified %v, err %v; want bob's USER-01 unmuted and a digest in changes mode",
				out.Counts.Unmuted, out.Counts.StillFailing, out.Notified, err)
		}
		if want := "\nNEW OR CHANGED (1)\n" + bobLine + " (suppression expired)\n"; !strings.Contains(out.Digest.Body, want) {
			t.Errorf("digest lacks %q:\n%s", want, out.Digest.Body)
		}
		quietAfterUnmuting(t, r, 2)
	})

	t.Run("an unmuting whose digest was not sent is reported by the next run", func(t *testing.T) {
		r := newRig(t, expiring)
		firstRun(t, r)
		r.on(1)
		r.sns.err = apiError("KMSAccessDeniedException", "no key access")
		if _, err := r.a.Run(context.Background()); err == nil {
			t.Fatal("run with the digest refused succeeded")
		}
		r.sns.err = nil
		r.on(2)
		out, err := r.a.Run(context.Background())
		if err != nil || out.Counts.New+out.Counts.Unmuted != 1 || len(r.sns.take()) != 1 || !strings.Contains(out.Digest.Body, "NEW OR CHANGED (1)\n"+bobLine) {
			t.Errorf("next run: %d new, %d unmuted, err %v; want bob's USER-01 reported in a digest:\n%s", out.Counts.New, out.Counts.Unmuted, err, out.Digest.Body)
		}
	})
}

// A workflow update Security Hub leaves unprocessed is sent again by the
// next run, for that finding only.
func TestRefusedWorkflowUpdateIsSentAgain(t *testing.T) {
	const cfg = `
suppressions:
  - rule: USER-02
    user: "*"
    reason: MFA rollout tracked in JIRA-42
`
	r := newRig(t, cfg)
	refused := "credaudit/123456789012/USER-02/arn:aws:iam::123456789012:user/bob"
	r.hub.refuseWorkflow = map[string]bool{refused: true}
	if _, err := r.a.Run(context.Background()); err == nil || !strings.Contains(err.Error(), refused) {
		t.Fatalf("Run error %v, want it to name %s", err, refused)
	}
	if n := len(r.hub.workflow[0].FindingIdentifiers); n < 2 {
		t.Fatalf("the suppression covered %d findings, want several", n)
	}
	r.hub.refuseWorkflow, r.hub.workflow = nil, nil
	if _, err := r.a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(r.hub.workflow) != 1 || len(r.hub.workflow[0].FindingIdentifiers) != 1 || *r.hub.workflow[0].FindingIdentifiers[0].Id != refused {
		t.Errorf("next run's workflow updates %+v, want only %s suppressed again", r.hub.workflow, refused)
	}
}

// A workflow update Security Hub refuses, for a finding it imported, is
// counted apart from findings it did not take: the digest says a workflow
// update failed, not that "0 findings could not be published".
func TestWorkflowOnlyFailureIsCountedApart(t *testing.T) {
	r := newRig(t, suppressBob)
	r.hub.refuseWorkflow = map[string]bool{"credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob": true}
	out, err := r.a.Run(context.Background())
	if err == nil || out.Hub.Failed != 0 || out.Hub.WorkflowFailed != 1 {
		t.Fatalf("Run error %v, %d failed, %d workflow updates failed; want an error and the one workflow update failed", err, out.Hub.Failed, out.Hub.WorkflowFailed)
	}
	for _, want := range []string{
		"  ! Security Hub (eu-west-1): 1 workflow status update (suppressed, or back to NEW) could not be made; the next run sends them again. BatchUpdateFindings:",
		fmt.Sprintf("Security Hub (eu-west-1): %d findings imported, 0 failed; 0 workflow updates, 1 failed.\n", out.Hub.Imported),
	} {
		if !strings.Contains(out.Digest.Body, want) {
			t.Errorf("digest lacks %q:\n%s", want, out.Digest.Body)
		}
	}
	if strings.Contains(out.Digest.Body, "findings could not be published") {
		t.Errorf("digest says findings could not be published:\n%s", out.Digest.Body)
	}
}

// A workflow update that failed after Security Hub applied it (the response
// was lost) leaves the finding's status unknown: when the suppression is
// then removed, the next run sets the finding back to NEW although the state
// never saw it suppressed, and the run after sends nothing.
func TestWorkflowUpdateThatLandedDespiteAnErrorIsUndone(t *testing.T) {
	const bob = "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	r := newRig(t, suppressBob)
	r.hub.workflowErr = errors.New("read tcp: connection reset by peer")
	if _, err := r.a.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("Run error %v, want the workflow update's", err)
	}
	if got := r.hub.workflowOf(bob); !slices.Equal(got, []shtypes.WorkflowStatus{shtypes.WorkflowStatusSuppressed}) {
		t.Fatalf("bob's USER-01 workflow updates %v, want it suppressed", got)
	}
	r.hub.workflowErr, r.hub.workflow = nil, nil
	r.a.Suppressions = nil
	r.on(1)
	if _, err := r.a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := r.hub.workflowOf(bob); !slices.Equal(got, []shtypes.WorkflowStatus{shtypes.WorkflowStatusNew}) {
		t.Errorf("after the suppression was removed: bob's USER-01 workflow updates %v, want it set back to NEW", got)
	}
	r.hub.workflow = nil
	r.on(2)
	if _, err := r.a.Run(context.Background()); err != nil || len(r.hub.workflow) != 0 {
		t.Errorf("the run after: %d workflow updates (%v), want none", len(r.hub.workflow), err)
	}
}

// A finding whose import fails gets no workflow update (Security Hub may
// not hold it yet); the next run sends the import and the workflow update.
func TestWorkflowOfARefusedImportIsSentByTheNextRun(t *testing.T) {
	const bob = "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	refuseBob := func(r *rig) { r.hub.refuse = map[string]bool{bob: true} }
	type step struct {
		day     int
		prepare func(t *testing.T, r *rig)
	}
	tests := []struct {
		name string
		runs []step // the runs before the one checked, which runs a day after the last
		want shtypes.WorkflowStatus
	}{
		{"a suppression of a finding Security Hub refused", []step{
			{0, func(_ *testing.T, r *rig) { refuseBob(r) }},
		}, shtypes.WorkflowStatusSuppressed},
		{"a suppression while Security Hub was not enabled", []step{
			{0, func(_ *testing.T, r *rig) {
				r.hub.err = apiError("InvalidAccessException", "Account is not subscribed to AWS Security Hub")
			}},
		}, shtypes.WorkflowStatusSuppressed},
		{"a removed suppression whose refresh import was refused", []step{
			{0, func(*testing.T, *rig) {}},
			{31, func(_ *testing.T, r *rig) {
				r.a.Suppressions = nil
				refuseBob(r)
			}},
		}, shtypes.WorkflowStatusNew},
		{"a recurrence of a suppressed finding archived without its unsuppress, whose import was refused", []step{
			{0, func(*testing.T, *rig) {}},
			{1, func(t *testing.T, r *rig) {
				r.setMFA(t, mfaOff, mfaOn)
				r.hub.refuseWorkflow = map[string]bool{bob: true}
			}},
			{2, func(t *testing.T, r *rig) {
				r.setMFA(t, mfaOn, mfaOff)
				r.a.Suppressions = nil
				refuseBob(r)
			}},
		}, shtypes.WorkflowStatusNew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, suppressBob)
			for i, s := range tt.runs {
				r.on(s.day)
				s.prepare(t, r)
				refusing := r.hub.refuse != nil || r.hub.err != nil || r.hub.refuseWorkflow != nil
				if _, err := r.a.Run(context.Background()); (err != nil) != refusing {
					t.Fatalf("run %d: error %v; want one exactly when Security Hub refuses", i+1, err)
				}
				r.hub.refuse, r.hub.err, r.hub.refuseWorkflow = nil, nil, nil
			}
			r.on(tt.runs[len(tt.runs)-1].day + 1)
			r.hub.workflow = nil
			var before string // the UpdatedAt Security Hub holds, if it holds the finding
			if f, ok := r.hub.findings[bob]; ok {
				before = *f.UpdatedAt
			}
			if _, err := r.a.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if f, ok := r.hub.findings[bob]; !ok || f.RecordState != shtypes.RecordStateActive || *f.UpdatedAt == before {
				t.Errorf("bob's USER-01 held %v (record state %s, updated %s, before %q), want it imported ACTIVE", ok, f.RecordState, aws.ToString(f.UpdatedAt), before)
			}
			if got, want := r.hub.workflowOf(bob), []shtypes.WorkflowStatus{tt.want}; !slices.Equal(got, want) {
				t.Errorf("bob's USER-01 workflow updates %v, want %v", got, want)
			}
		})
	}
}

// Two runs that load the same state and saw the same report: the second to
// save finds a conflict and keeps the first run's state, as both sent
// Security Hub the same findings: none is made due again.
func TestOverlappingRunsDoNotClobber(t *testing.T) {
	r := newRig(t, "")
	ctx := context.Background()
	obs, err := r.a.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The other run saves between this run's load and save.
	var theirs *state.State
	b := r.racing(func(other Auditor) {
		if _, err := other.Audit(ctx, obs); err != nil {
			t.Fatal(err)
		}
		if theirs, _, err = r.store.Load(ctx, sampleAccount); err != nil {
			t.Fatal(err)
		}
	})
	out, err := b.Audit(ctx, obs)
	if err != nil || !out.Conflict || !out.Saved {
		t.Fatalf("Audit = conflict %v, saved %v, err %v; want a conflict, then the other run's state saved", out.Conflict, out.Saved, err)
	}
	st, _, err := r.store.Load(ctx, sampleAccount)
	if err != nil || len(st.Records) != out.Counts.New {
		t.Fatalf("stored state: %v records, err %v", len(st.Records), err)
	}
	for id, rec := range st.Records {
		if want := theirs.Records[id]; rec.LastImportedAt.IsZero() || rec.WorkflowUnknown || !rec.LastImportedAt.Equal(want.LastImportedAt) {
			t.Errorf("%s saved as %+v, want the other run's %+v", id, rec, want)
		}
	}
}

// Two overlapping runs that saw different reports (one generated a newer
// one): B sees bob fixed and archives his finding in Security Hub; A, on
// the older report, sees it failing and saves first. B's save conflicts:
// it saves A's state with bob's finding due to be sent again, so when bob
// turns MFA off again the next run imports it ACTIVE; before, A's state
// said "open, imported", and Security Hub kept it ARCHIVED/PASSED unsaid.
func TestOverlappingRunsThatSawDifferentReports(t *testing.T) {
	r := newRig(t, "")
	ctx := context.Background()
	bob := "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	if _, err := r.a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	r.sns.take()
	r.on(1)
	outB, err := overlap(t, r, func() { r.setMFA(t, mfaOff, mfaOn) })
	if err != nil || !outB.Conflict || !outB.Saved || r.hub.findings[bob].RecordState != shtypes.RecordStateArchived {
		t.Fatalf("B: conflict %v, saved %v, err %v, bob %s; want bob archived, a conflict, then a save", outB.Conflict, outB.Saved, err, r.hub.findings[bob].RecordState)
	}
	// The state saved says it has seen B's report, the later one.
	if st, _, err := r.store.Load(ctx, sampleAccount); err != nil || !st.GeneratedAt.Equal(r.iam.generated) {
		t.Errorf("state as of %v (%v), want B's report's %v", st.GeneratedAt, err, r.iam.generated)
	}
	r.sns.take()

	r.setMFA(t, mfaOn, mfaOff)
	r.on(3)
	if _, err := r.a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if f := r.hub.findings[bob]; f.RecordState != shtypes.RecordStateActive || f.Compliance.Status != shtypes.ComplianceStatusFailed {
		t.Errorf("bob fails USER-01 again, Security Hub holds it %s/%s; want ACTIVE/FAILED", f.RecordState, f.Compliance.Status)
	}
}

// Two overlapping runs, the one to lose the save on a newer report that
// reopens a resolved finding (bob's USER-01) the winner saw still resolved:
// Security Hub holds the loser's later, open import, and the winner's state
// the tombstone. When bob is fixed again, the archive the next run sends
// must be later than that import, or Security Hub ignores it and keeps the
// finding open for good.
func TestOverlappingRunsOneReopeningAResolvedFinding(t *testing.T) {
	ctx := context.Background()
	bob := "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	r := fixedOnDay1(t)
	if r.hub.findings[bob].RecordState != shtypes.RecordStateArchived {
		t.Fatalf("day 1: bob's USER-01 is %s, want ARCHIVED", r.hub.findings[bob].RecordState)
	}
	r.on(2)
	outB, err := overlap(t, r, func() { r.setMFA(t, mfaOn, mfaOff) })
	if err != nil || !outB.Conflict || r.hub.findings[bob].RecordState != shtypes.RecordStateActive {
		t.Fatalf("B: %v, conflict %v, bob %s", err, outB.Conflict, r.hub.findings[bob].RecordState)
	}
	r.setMFA(t, mfaOff, mfaOn)
	r.on(3)
	if _, err := r.a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if f := r.hub.findings[bob]; f.RecordState != shtypes.RecordStateArchived {
		t.Errorf("bob fixed again: Security Hub holds %s/%s (updated %s); want ARCHIVED", f.RecordState, f.Compliance.Status, *f.UpdatedAt)
	}
}

// A run whose saves keep conflicting says so as an error (its imports may be
// out of step with the state); one that sent Security Hub nothing and
// whose digest reported nothing leaves the other run's state as it is, and
// says it saved nothing.
func TestConflictingSaves(t *testing.T) {
	r := newRig(t, "")
	ctx := context.Background()
	r.a.Store = &conflictingStore{Store: r.store}
	out, err := r.a.Run(ctx)
	if !errors.Is(err, state.ErrConflict) || !strings.Contains(err.Error(), "kept saving first") || !out.Conflict || out.Saved {
		t.Errorf("always conflicting: conflict %v, saved %v, err %v; want a conflict error and no save", out.Conflict, out.Saved, err)
	}
	// The state written ahead, the run's own, then conflictSaves over the
	// other run's.
	if saves := r.a.Store.(*conflictingStore).saves; saves != 2+conflictSaves {
		t.Errorf("%d saves tried, want %d", saves, 2+conflictSaves)
	}

	r.a.Hub = nil // Security Hub off: nothing sent
	r.a.Store = r.store
	if _, err := r.a.Run(ctx); err != nil { // saved: the next run has no news
		t.Fatal(err)
	}
	r.a.Store = &conflictingStore{Store: r.store}
	out, err = r.a.Run(ctx)
	if err != nil || !out.Conflict || out.Saved || r.a.Store.(*conflictingStore).saves != 1 {
		t.Errorf("nothing sent: conflict %v, saved %v, err %v, %d saves; want the conflict alone, one save tried", out.Conflict, out.Saved, err, r.a.Store.(*conflictingStore).saves)
	}
}

// A run that publishes and then fails to save its state (the store
// failing, or the function stopped) leaves the state it wrote ahead: the
// next run imports again what it imported, so that a finding it archived
// and that fails again by then is reopened in Security Hub and reported
// new, not left archived while the state holds it open; one still fixed
// has its archive sent again, quietly.
func TestASaveFailedAfterPublishingHidesNothing(t *testing.T) {
	const bob = "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	for _, fixed := range []bool{false, true} {
		t.Run(fmt.Sprintf("bob fixed on day 2: %v", fixed), func(t *testing.T) {
			r := newRig(t, "")
			ctx := context.Background()
			if _, err := r.a.Run(ctx); err != nil {
				t.Fatal(err)
			}
			r.sns.take()
			r.on(1)
			r.setMFA(t, mfaOff, mfaOn) // bob's findings resolved
			// Saves fail once bob's finding is archived: after publishing.
			r.a.Store = &failingSaves{Store: r.store, fail: func() bool { return r.hub.findings[bob].RecordState == shtypes.RecordStateArchived }}
			out, err := r.a.Run(ctx)
			resolved := out.Counts.Resolved
			if err == nil || out.Saved || resolved == 0 || len(r.sns.take()) != 1 {
				t.Fatalf("day 1: saved %v, %d resolved, err %v; want the digest sent, then a failed save", out.Saved, out.Counts.Resolved, err)
			}
			if f := r.hub.findings[bob]; f.RecordState != shtypes.RecordStateArchived {
				t.Fatalf("day 1: bob's finding %s, want archived", f.RecordState)
			}

			r.a.Store = r.store
			r.on(2)
			if !fixed {
				r.setMFA(t, mfaOn, mfaOff) // bob fails again
			}
			out, err = r.a.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			f, msgs := r.hub.findings[bob], r.sns.take()
			switch {
			case !fixed && (f.RecordState != shtypes.RecordStateActive || f.Compliance.Status != shtypes.ComplianceStatusFailed || out.Counts.New != resolved || len(msgs) != 1):
				t.Errorf("day 2, bob failing again: Security Hub holds %s %s, %d new, %d digests; want ACTIVE FAILED, and his %d findings reported new", f.RecordState, f.Compliance.Status, out.Counts.New, len(msgs), resolved)
			case fixed && (f.RecordState != shtypes.RecordStateArchived || out.Counts.Changes() != 0 || len(msgs) != 0):
				t.Errorf("day 2, bob still fixed: Security Hub holds %s, %d changes, %d digests; want archived, and nothing reported again", f.RecordState, out.Counts.Changes(), len(msgs))
			}
		})
	}
}

// A state that cannot be written ahead fails the run before anything is
// published: nothing imported, no digest, only the alert.
func TestAStateNotWrittenAheadPublishesNothing(t *testing.T) {
	r := newRig(t, "")
	failing := &failingSaves{Store: r.store, fail: func() bool { return true }}
	r.a.Store = failing
	_, err := r.a.Run(context.Background())
	msgs := r.sns.take()
	if err == nil || len(r.hub.findings) != 0 || failing.saves != 1 || len(msgs) != 1 || !strings.Contains(*msgs[0].Subject, "audit FAILED (save state)") {
		t.Errorf("err %v, %d findings imported, %d saves, %d messages; want the save tried once, an alert, and nothing imported", err, len(r.hub.findings), failing.saves, len(msgs))
	}
	if _, tok, err := r.store.Load(context.Background(), sampleAccount); err != nil || tok != state.NoObject {
		t.Errorf("stored state: token %q, err %v; want none", tok, err)
	}
}

// failingSaves fails the saves made while fail says so, as S3 might.
type failingSaves struct {
	state.Store
	fail  func() bool
	saves int
}

func (s *failingSaves) Save(ctx context.Context, acct string, st *state.State, tok state.Token) (state.Token, error) {
	if s.saves++; s.fail() {
		return state.NoObject, apiError("SlowDown", "injected")
	}
	return s.Store.Save(ctx, acct, st, tok)
}

// conflictingStore's saves all find that another run saved first.
type conflictingStore struct {
	state.Store
	saves int
}

func (s *conflictingStore) Save(context.Context, string, *state.State, state.Token) (state.Token, error) {
	s.saves++
	return state.NoObject, state.ErrConflict
}

// After overlapping runs, what the losing run's digest reported is not
// reported again: its resolutions when it saw the newer report, and an
// unmuting when the two saw one report under different configurations.
func TestOverlappingRunsReportNewsOnce(t *testing.T) {
	t.Run("resolved on the newer report", func(t *testing.T) {
		r := newRig(t, "")
		firstRun(t, r)
		r.on(1)
		outB, err := overlap(t, r, func() { r.setMFA(t, mfaOff, mfaOn) })
		if err != nil || !outB.Conflict || outB.Counts.Resolved == 0 {
			t.Fatalf("B: conflict %v, resolved %d, err %v; want resolutions, then a conflict", outB.Conflict, outB.Counts.Resolved, err)
		}
		r.sns.take()
		r.on(3)
		out, err := r.a.Run(context.Background())
		if err != nil || out.Counts.Resolved != 0 || out.Counts.New != 0 {
			t.Errorf("next run: %d resolved, %d new (err %v); want nothing reported again", out.Counts.Resolved, out.Counts.New, err)
		}
	})
	// With Security Hub off, the losing run sent nothing, and its news was
	// left out of the state it saved: the next run reported it again, or,
	// for a finding the user was told fails, never reported it fixed.
	t.Run("Security Hub off", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			from, to []byte
		}{{"resolved", mfaOff, mfaOn}, {"new", mfaOn, mfaOff}} {
			t.Run(tc.name, func(t *testing.T) {
				r := newRig(t, "")
				ctx := context.Background()
				if tc.name == "new" { // bob starts with MFA
					r.setMFA(t, mfaOff, mfaOn)
				}
				firstRun(t, r)
				r.a.Hub = nil
				r.on(1)
				outB, err := overlap(t, r, func() { r.setMFA(t, tc.from, tc.to) })
				if err != nil || !outB.Conflict || outB.Counts.Resolved+outB.Counts.New == 0 || !outB.Saved {
					t.Fatalf("B: conflict %v, saved %v, %+v, err %v; want news, a conflict, then a save", outB.Conflict, outB.Saved, outB.Counts, err)
				}
				r.sns.take()
				r.on(2)
				out, err := r.a.Run(ctx)
				if err != nil || out.Counts.Resolved != 0 || out.Counts.New != 0 {
					t.Errorf("next run: %d resolved, %d new (err %v); want nothing reported again", out.Counts.Resolved, out.Counts.New, err)
				}
				r.setMFA(t, tc.to, tc.from)
				r.on(3)
				out, err = r.a.Run(ctx)
				if want := outB.Counts.Resolved + outB.Counts.New; err != nil || out.Counts.Resolved+out.Counts.New != want {
					t.Errorf("bob undoes it: %d resolved, %d new (err %v); want the %d findings B reported, reported back", out.Counts.Resolved, out.Counts.New, err, want)
				}
			})
		}
	})
	t.Run("unmuted under a newer configuration", func(t *testing.T) {
		r := newRig(t, suppressBob)
		ctx := context.Background()
		firstRun(t, r)
		r.on(1)
		overlapUnsuppressing(t, r)
		r.sns.take()
		r.a.Suppressions = nil
		r.on(2)
		out, err := r.a.Run(ctx)
		if err != nil || out.Counts.Unmuted != 0 {
			t.Errorf("next run: %d unmuted (err %v); want the unmuting not reported again", out.Counts.Unmuted, err)
		}
	})
}

// Two overlapping runs' digests may disagree about a finding: the older
// report's run reports it resolved, the newer one's finds it failing again
// and says nothing (it is still failing since the state both loaded); or
// the older one reopens it and the newer finds it still fixed. The next run
// reports the finding from what the user was last told: failing again, or
// resolved. A finding the newer run did report is not reported again.
func TestOverlappingRunsWhoseDigestsDisagree(t *testing.T) {
	bob := "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	bobChange := func(t *testing.T, out *Outcome) *finding.Change {
		t.Helper()
		for i := range out.Changes {
			if out.Changes[i].ID() == bob {
				return &out.Changes[i]
			}
		}
		t.Fatalf("no change for bob's USER-01 in %+v", out.Counts)
		return nil
	}
	t.Run("the newer run says nothing", func(t *testing.T) {
		r := newRig(t, "")
		firstRun(t, r)
		r.setMFA(t, mfaOff, mfaOn) // A sees bob fixed ...
		r.on(40)                   // ... late enough that B re-imports his finding (a refresh)
		var outA *Outcome
		outB, err := overlapSeen(t, r, func() { r.setMFA(t, mfaOn, mfaOff) }, &outA)
		if err != nil || !outB.Conflict {
			t.Fatalf("B: conflict %v, err %v", outB.Conflict, err)
		}
		if a, b := bobChange(t, outA), bobChange(t, outB); a.Kind != finding.Resolved || b.Kind != finding.StillFailing || b.News() || !b.Import() {
			t.Fatalf("setup: A %s, B %s (news %v, import %v); want A resolved, B a quiet refresh", a.Kind, b.Kind, b.News(), b.Import())
		}
		r.sns.take()
		r.on(41)
		out, err := r.a.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c := bobChange(t, out); c.Kind != finding.New || !c.News() {
			t.Errorf("next run: bob's USER-01 %s; want it reported failing again (new), the last digest having said it was resolved", c.Kind)
		}
	})
	t.Run("the older run reopens it, the newer says nothing", func(t *testing.T) {
		r := newRig(t, "")
		firstRun(t, r)
		r.setMFA(t, mfaOff, mfaOn)
		r.on(1)
		hub := r.a.Hub
		r.a.Hub = nil // bob's archive is not sent: the next run with Security Hub sends it
		if _, err := r.a.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		r.a.Hub = hub
		r.sns.take()
		r.on(2)
		r.setMFA(t, mfaOn, mfaOff) // A sees bob failing again; B, an hour later, fixed
		var outA *Outcome
		outB, err := overlapSeen(t, r, func() { r.setMFA(t, mfaOff, mfaOn) }, &outA)
		if err != nil || !outB.Conflict {
			t.Fatalf("B: conflict %v, err %v", outB.Conflict, err)
		}
		if a, b := bobChange(t, outA), bobChange(t, outB); a.Kind != finding.New || b.Kind != finding.StillArchived || !b.Import() {
			t.Fatalf("setup: A %s, B %s (import %v); want A new, B the archive sent late", a.Kind, b.Kind, b.Import())
		}
		r.sns.take()
		r.on(3)
		out, err := r.a.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c := bobChange(t, out); c.Kind != finding.Resolved {
			t.Errorf("next run: bob's USER-01 %s; want it reported resolved, the last digest having said it failed again", c.Kind)
		}
		if f := r.hub.findings[bob]; f.RecordState != shtypes.RecordStateArchived {
			t.Errorf("Security Hub holds bob's USER-01 %s, want ARCHIVED", f.RecordState)
		}
	})
	t.Run("the older run reopens it, the newer saw it fixed and sends nothing", func(t *testing.T) {
		r := fixedOnDay1(t)
		r.sns.take()
		r.on(2)
		r.setMFA(t, mfaOn, mfaOff)
		var outA *Outcome
		outB, err := overlapSeen(t, r, func() { r.setMFA(t, mfaOff, mfaOn) }, &outA)
		if err != nil || !outB.Conflict || !outB.Saved || bobChange(t, outA).Kind != finding.New {
			t.Fatalf("B: conflict %v, saved %v, err %v; want A to reopen bob's finding, and B's save", outB.Conflict, outB.Saved, err)
		}
		for i := range outB.Changes {
			if c := &outB.Changes[i]; c.ID() == bob || c.Import() {
				t.Fatalf("setup: B %s %s; want B to send nothing, and no change of bob's", c.ID(), c.Kind)
			}
		}
		r.sns.take()
		// The next run cannot see bob's MFA: it reports the fix B saw.
		r.setMFA(t, mfaOn, []byte(",2024-02-01T08:30:00+00:00,N/A,not_supported,"))
		r.on(3)
		out, err := r.a.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c := bobChange(t, out); c.Kind != finding.Resolved || !c.Unavailable {
			t.Errorf("next run, bob unseen: %s (unavailable %v); want resolved as B saw it", c.Kind, c.Unavailable)
		}
		if want := "(seen " + r.iam.generated.Add(-24*time.Hour).Format(time.DateOnly) + " by a run whose digest did not report it"; !strings.Contains(out.Digest.Body, want) {
			t.Errorf("digest lacks %q:\n%s", want, out.Digest.Body)
		}
		if f := r.hub.findings[bob]; f.RecordState != shtypes.RecordStateArchived {
			t.Errorf("Security Hub holds bob's USER-01 %s, want ARCHIVED", f.RecordState)
		}
	})
	t.Run("the newer run reopens it", func(t *testing.T) {
		r := fixedOnDay1(t)
		r.on(2)
		var outA *Outcome
		outB, err := overlapSeen(t, r, func() { r.setMFA(t, mfaOn, mfaOff) }, &outA)
		if err != nil || !outB.Conflict || bobChange(t, outB).Kind != finding.New {
			t.Fatalf("B: conflict %v, err %v; want bob's finding reopened (new)", outB.Conflict, err)
		}
		r.sns.take()
		r.on(3)
		out, err := r.a.Run(context.Background())
		if err != nil || out.Counts.New != 0 || len(r.sns.take()) != 0 {
			t.Errorf("next run: %d new (err %v); want nothing reported again, and no digest", out.Counts.New, err)
		}
	})
}

// Two overlapping runs on one report: A saves first but its digest is
// refused, so its state marks every finding it opened Unnotified; B's
// digest reports them all as new, then B finds the conflict. The next run
// must not report them as new again: B's digest told them.
func TestOverlapWhoseFirstSaverDigestFailed(t *testing.T) {
	r := newRig(t, "")
	ctx := context.Background()
	obs, err := r.a.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := r.racing(func(a Auditor) {
		a.Topic = &fakeSNS{err: apiError("KMSAccessDeniedException", "injected")}
		if out, err := a.Audit(ctx, obs); err == nil || out.Notified || !out.Saved {
			t.Fatalf("A: notified %v, saved %v, err %v; want its digest refused and its state saved", out.Notified, out.Saved, err)
		}
	})
	outB, err := b.Audit(ctx, obs)
	if err != nil || !outB.Conflict || !outB.Notified || outB.Counts.New == 0 {
		t.Fatalf("B: new %d, notified %v, conflict %v, err %v; want its digest of new findings sent, then a conflict", outB.Counts.New, outB.Notified, outB.Conflict, err)
	}
	if n := len(r.sns.take()); n != 1 {
		t.Fatalf("B sent %d digests, want 1", n)
	}

	r.on(1)
	out, err := r.a.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if msgs := r.sns.take(); out.Counts.New != 0 || len(msgs) != 0 {
		t.Errorf("next run: %d new, %d digests; want nothing reported again (B's digest told it)", out.Counts.New, len(msgs))
	}
}

// told, what AfterConflict takes as reported by the losing run's digest, is
// that run's news, and nothing when its digest was not sent: a finding it
// reopened then was heard of by nobody.
func TestToldIsTheNewsOfADigestSent(t *testing.T) {
	changes := []finding.Change{
		{Kind: finding.New, Record: finding.Record{ID: "new"}},
		{Kind: finding.New, Record: finding.Record{ID: "muted", Suppressed: true}},
		{Kind: finding.StillFailing, Record: finding.Record{ID: "still"}},
		{Kind: finding.Gone, Record: finding.Record{ID: "gone"}},
	}
	if got := told(changes, false); len(got) != 2 || !got["new"] || !got["gone"] {
		t.Errorf("digest sent: told %v, want new and gone", got)
	}
	if got := told(changes, true); len(got) != 0 {
		t.Errorf("digest not sent: told %v, want nothing", got)
	}
}

// An unmuting the losing run reported without sending Security Hub a
// workflow update (its suppression was never sent there: Security Hub was
// off when the finding was muted), while the winner, on the older configuration, sent
// the suppression: the next run does not report the unmuting again.
func TestOverlappingRunsUnmutingNotSent(t *testing.T) {
	r := newRig(t, suppressBob)
	ctx := context.Background()
	suppressions := r.a.Suppressions
	r.a.Suppressions = nil
	firstRun(t, r)
	r.a.Suppressions = suppressions
	hub := r.a.Hub
	r.a.Hub = nil // bob's finding is muted, and Security Hub not told
	r.on(1)
	if _, err := r.a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	r.a.Hub = hub
	r.sns.take()
	r.on(2)
	outB := overlapUnsuppressing(t, r)
	for i := range outB.Changes {
		// B imports it (the run that muted it could not send its
		// suppression reason, and the finding is due again), but sends no
		// workflow update: Security Hub never had it SUPPRESSED.
		if c := &outB.Changes[i]; c.Unmuted() && c.Workflow != finding.WorkflowKeep {
			t.Fatalf("setup: B sends the unmuted finding's workflow (%v); want none sent", c.Workflow)
		}
	}
	r.sns.take()
	r.a.Suppressions = nil
	quietAfterUnmuting(t, r, 3)
}

// overlapUnsuppressing runs two overlapping audits of one report: A under
// r's configuration, B with its suppressions removed, which loses the
// save. It returns B's outcome, which reports one unmuting.
func overlapUnsuppressing(t *testing.T, r *rig) *Outcome {
	t.Helper()
	ctx := context.Background()
	obs, err := r.a.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := r.racing(func(a Auditor) {
		if _, err := a.Audit(ctx, obs); err != nil {
			t.Fatal(err)
		}
	})
	b.Suppressions = nil // B read the configuration after the suppression was removed
	outB, err := b.Audit(ctx, obs)
	if err != nil || !outB.Conflict || outB.Counts.Unmuted != 1 {
		t.Fatalf("B: %v, conflict %v, %+v; want the unmuting, then a conflict", err, outB.Conflict, outB.Counts)
	}
	return outB
}

// quietAfterUnmuting runs on day after a run that reported an unmuting,
// which it must not report again: nothing unmuted, no digest.
func quietAfterUnmuting(t *testing.T, r *rig, day int) {
	t.Helper()
	r.on(day)
	out, err := r.a.Run(context.Background())
	if err != nil || out.Counts.Unmuted != 0 || len(r.sns.take()) != 0 {
		t.Errorf("day %d, after the unmuting: %d unmuted, err %v; want none reported and no digest", day, out.Counts.Unmuted, err)
	}
}

// overlap runs two audits of the account that overlap: A observes the
// report as it is; change alters the account, and B observes a report
// generated an hour later. B loads the state, A audits and saves, then B
// saves, and finds a conflict. It returns B's outcome.
func overlap(t *testing.T, r *rig, change func()) (*Outcome, error) {
	t.Helper()
	return overlapSeen(t, r, change, nil)
}

// overlapSeen is overlap, and sets *outA, when outA is not nil, to A's
// outcome.
func overlapSeen(t *testing.T, r *rig, change func(), outA **Outcome) (*Outcome, error) {
	t.Helper()
	ctx := context.Background()
	obsA, err := r.a.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	change()
	r.iam.generated = r.iam.generated.Add(time.Hour)
	obsB, err := r.a.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := r.racing(func(a Auditor) {
		out, err := a.Audit(ctx, obsA)
		if err != nil {
			t.Fatal(err)
		}
		if outA != nil {
			*outA = out
		}
	})
	return b.Audit(ctx, obsB)
}

// racing is a copy of the rig's auditor whose first state load lets
// another run audit first: first, given its own copy of the rig's
// auditor, saving to the rig's store.
func (r *rig) racing(first func(a Auditor)) Auditor {
	b := *r.a
	b.Store = &racingStore{Store: r.store, race: func() {
		a := *r.a
		a.Store = r.store
		first(a)
	}}
	return b
}

// racingStore runs race once, after the first Load.
type racingStore struct {
	state.Store
	race func()
	done bool
}

func (s *racingStore) Load(ctx context.Context, acct string) (*state.State, state.Token, error) {
	st, tok, err := s.Store.Load(ctx, acct)
	if !s.done {
		s.done = true
		s.race()
	}
	return st, tok, err
}

// The ASFF a run sends is exactly what Findings maps.
func TestFindingsAreWhatIsImported(t *testing.T) {
	r := newRig(t, "")
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Findings(out, "aws", "eu-west-1", r.a.Selected)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != len(r.hub.findings) {
		t.Fatalf("Findings maps %d, the run imported %d", len(fs), len(r.hub.findings))
	}
	for _, f := range fs {
		if got := r.hub.findings[*f.Id]; *got.UpdatedAt != *f.UpdatedAt || got.Compliance.Status != f.Compliance.Status {
			t.Errorf("%s differs between Findings and the import", *f.Id)
		}
	}
	var kinds = map[finding.Kind]int{}
	for _, c := range out.Changes {
		kinds[c.Kind]++
	}
	if kinds[finding.New] != len(fs) {
		t.Errorf("first run: %v, want only new findings", kinds)
	}
}

// A user with a long path has a shortened finding ID. Once the user fixes
// the failure, Security Hub gets the finding ARCHIVED with Compliance PASSED
// and the digest counts it resolved, not gone (a deleted user).
func TestLongPathUserIsResolvedNotGone(t *testing.T) {
	r := newRig(t, "")
	const bobARN = "arn:aws:iam::123456789012:user/bob"
	deepARN := "arn:aws:iam::123456789012:user/" + strings.Repeat("team/", 100) + "deep"
	bobRow := credreporttest.UserRow(t, r.iam.report, "bob")
	deepRow := bytes.Replace(bobRow, []byte("bob,"+bobARN+","), []byte("deep,"+deepARN+","), 1)
	r.iam.report = append(append([]byte{}, r.iam.report...), deepRow...)
	id := finding.ID(sampleAccount, "USER-01", deepARN)
	if len(id) != finding.MaxIDLength {
		t.Fatalf("deep's USER-01 ID is %d bytes, want it shortened to %d", len(id), finding.MaxIDLength)
	}
	firstRun(t, r)
	if _, ok := r.hub.findings[id]; !ok {
		t.Fatal("first run: deep's USER-01 not imported")
	}

	// deep turns MFA on.
	r.iam.report = bytes.Replace(r.iam.report, deepRow, bytes.Replace(deepRow, mfaOff, mfaOn, 1), 1)
	r.on(1)
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if out.Counts.Gone != 0 {
		t.Errorf("%d findings gone, want none: deep still exists", out.Counts.Gone)
	}
	var kinds []finding.Kind
	for _, c := range out.Changes {
		if c.ID() == id {
			kinds = append(kinds, c.Kind)
		}
	}
	if len(kinds) != 1 || kinds[0] != finding.Resolved {
		t.Errorf("deep's USER-01 changes %v, want [resolved]", kinds)
	}
	f := r.hub.findings[id]
	if f.RecordState != shtypes.RecordStateArchived || f.Compliance.Status != shtypes.ComplianceStatusPassed {
		t.Errorf("deep's USER-01 in Security Hub: %s, %s; want ARCHIVED, PASSED", f.RecordState, f.Compliance.Status)
	}
}

// bob deleted and created again between two runs: his USER-01 finding (the
// same ARN, so the same finding) is news, and is set NEW whatever status a
// person gave the old bob's finding in the console, which Security Hub keeps
// on a finding that stays open.
func TestARecreatedUsersFindingIsSetNew(t *testing.T) {
	r := newRig(t, "")
	id := finding.ID(sampleAccount, "USER-01", "arn:aws:iam::123456789012:user/bob")
	firstRun(t, r)
	if got := r.hub.workflowOf(id); len(got) != 0 {
		t.Fatalf("first run set bob's USER-01 %v, want no workflow update", got)
	}
	// The same bob a day later: nothing to send.
	r.on(1)
	if _, err := r.a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := r.hub.workflowOf(id); len(got) != 0 {
		t.Fatalf("the same bob: workflow %v, want no update", got)
	}

	r.iam.report = bytes.Replace(r.iam.report, []byte("bob,arn:aws:iam::123456789012:user/bob,2021-05-10T08:30:00+00:00"),
		[]byte("bob,arn:aws:iam::123456789012:user/bob,2026-11-20T05:00:00+00:00"), 1)
	r.on(2)
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := r.hub.workflowOf(id); !slices.Equal(got, []shtypes.WorkflowStatus{shtypes.WorkflowStatusNew}) {
		t.Errorf("the new bob: workflow %v, want [NEW]", got)
	}
	if got := r.hub.notesOf(id); len(got) != 1 || got[0] != recreatedNote {
		t.Errorf("the new bob: notes %q, want %q", got, recreatedNote)
	}
	if !strings.Contains(out.Digest.Body, "USER-01") || !strings.Contains(out.Digest.Body, "bob") {
		t.Errorf("the new bob's USER-01 is not in the digest:\n%s", out.Digest.Body)
	}
}

// A finding resolved and one gone while Security Hub was off are archived
// there by the first run with it back on. That run has no news: its digest
// lists nothing resolved, and in changes mode none is sent.
func TestArchivesMadeWhileSecurityHubWasOffAreSentQuietly(t *testing.T) {
	r := newRig(t, "")
	ctx := context.Background()
	firstRun(t, r)
	bob := "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	before := r.hub.findings[bob]
	hub := r.a.Hub

	// Off: bob turns MFA on, legacy-signer is deleted.
	r.a.Hub = nil
	r.setMFA(t, mfaOff, mfaOn)
	r.iam.report = credreporttest.WithoutUser(t, r.iam.report, "legacy-signer")
	r.on(1)
	off, err := r.a.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	archived := map[string]shtypes.ComplianceStatus{} // the compliance status each is archived with
	for _, c := range off.Changes {
		switch c.Kind {
		case finding.Resolved:
			archived[c.ID()] = shtypes.ComplianceStatusPassed
		case finding.Gone:
			archived[c.ID()] = shtypes.ComplianceStatusFailed
		}
	}
	if archived[bob] == "" || off.Counts.Gone == 0 || len(r.sns.take()) != 1 || r.hub.imports != 0 {
		t.Fatalf("run off: archived %v (%d gone), %d imports; want bob resolved and legacy-signer gone in a digest, nothing imported", archived, off.Counts.Gone, r.hub.imports)
	}

	// Back on: the archives are sent, and nothing else.
	r.a.Hub = hub
	r.on(2)
	on, err := r.a.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for id, status := range archived {
		f := r.hub.findings[id]
		if f.RecordState != shtypes.RecordStateArchived || f.Compliance == nil || f.Compliance.Status != status {
			t.Errorf("%s in Security Hub: %s, %+v; want ARCHIVED, %s", id, f.RecordState, f.Compliance, status)
		}
	}
	if f := r.hub.findings[bob]; *f.UpdatedAt <= *before.UpdatedAt || *f.CreatedAt != *before.CreatedAt {
		t.Errorf("bob's USER-01 updated %s, created %s; want it updated after %s, created %s", *f.UpdatedAt, *f.CreatedAt, *before.UpdatedAt, *before.CreatedAt)
	}
	if r.hub.imports != len(archived) || on.Hub.Imported != r.hub.imports {
		t.Errorf("back on: %d imports (%d counted), want the %d archives", r.hub.imports, on.Hub.Imported, len(archived))
	}
	if on.Counts.Changes() != 0 || len(r.sns.sent) != 0 || on.Notified {
		t.Errorf("back on: %d changes, %d messages; want no news and no digest in changes mode", on.Counts.Changes(), len(r.sns.sent))
	}
	if strings.Contains(on.Digest.Body, "RESOLVED") || strings.Contains(on.Digest.Body, "legacy-signer") ||
		!strings.Contains(on.Digest.Body, "This run: 0 new, 0 changed, 0 resolved, 0 gone,") || on.Counts.StillFailing != off.Counts.StillFailing {
		t.Errorf("back on, %d still failing (%d before); the digest lists the archives:\n%s", on.Counts.StillFailing, off.Counts.StillFailing, on.Digest.Body)
	}
	org := []AccountRun{{AccountID: sampleAccount, Summary: Summarize(on)}}
	if OrgDigestDue(org, NotifyChanges) || !strings.Contains(OrgDigest(org, "all", r.a.now()).Body, ": 0 new, 0 resolved,") {
		t.Errorf("back on, the organisation digest is due or reports the archives: %+v", org[0].Summary)
	}
	if fs, err := Findings(on, "aws", "eu-west-1", r.a.Selected); err != nil || len(fs) != r.hub.imports {
		t.Errorf("Findings maps %d (%v), want the %d archives sent", len(fs), err, r.hub.imports)
	}

	// Sent once.
	r.hub.imports = 0
	r.on(3)
	if _, err := r.a.Run(ctx); err != nil || r.hub.imports != 0 {
		t.Errorf("the run after: %d imports (%v), want none", r.hub.imports, err)
	}
}

// After the home region changes, the first run imports every open finding
// into the new region, with its suppression, as it imported them into the
// old one, and its first observation; created there by that import, each
// has CreatedAt equal to UpdatedAt: no news, so no digest in changes mode.
// The run after imports nothing.
func TestChangingTheHomeRegionImportsTheOpenFindingsThere(t *testing.T) {
	r := newRig(t, suppressBob)
	ctx := context.Background()
	firstRun(t, r)
	old := r.hub.findings
	var open int
	for _, f := range old {
		if f.RecordState == shtypes.RecordStateActive {
			open++
		}
	}
	muted := "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	if open == 0 || old[muted].Id == nil {
		t.Fatalf("first run: %d open findings, bob's USER-01 imported: %v", open, old[muted].Id != nil)
	}

	moved := &fakeHub{}
	r.home(moved, "us-east-1")
	r.on(1)
	out, err := r.a.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(moved.findings) != open || out.Hub.Imported != open {
		t.Errorf("new region holds %d findings (%d imported), want the %d open ones", len(moved.findings), out.Hub.Imported, open)
	}
	for id, f := range moved.findings {
		was := old[id]
		if f.RecordState != shtypes.RecordStateActive || *f.FirstObservedAt != *was.FirstObservedAt || *f.CreatedAt != *f.UpdatedAt || *f.UpdatedAt <= *was.UpdatedAt ||
			!strings.Contains(*f.ProductArn, ":us-east-1:") {
			t.Errorf("%s in the new region: %s, first observed %s, created %s, updated %s, product %s; want ACTIVE, first observed %s, created when updated, after %s, us-east-1's product",
				id, f.RecordState, *f.FirstObservedAt, *f.CreatedAt, *f.UpdatedAt, *f.ProductArn, *was.FirstObservedAt, *was.UpdatedAt)
		}
	}
	if got := moved.workflowOf(muted); len(got) != 1 || got[0] != shtypes.WorkflowStatusSuppressed {
		t.Errorf("bob's USER-01 workflow updates in the new region: %v, want SUPPRESSED", got)
	}
	if r.hub.imports != 0 || out.Counts.Changes() != 0 || len(r.sns.sent) != 0 {
		t.Errorf("%d imports into the old region, %d changes, %d messages; want none: moving is no news", r.hub.imports, out.Counts.Changes(), len(r.sns.sent))
	}

	moved.imports, moved.workflow = 0, nil
	r.on(2)
	if _, err := r.a.Run(ctx); err != nil || moved.imports != 0 || len(moved.workflow) != 0 {
		t.Errorf("the run after: %d imports, %d workflow updates (%v); want none", moved.imports, len(moved.workflow), err)
	}
}

// Home region A, then B, then A again: a finding resolved while B was home
// is archived in A too when A is home again (A still held it open), with
// no news; findings failing throughout are refreshed there as after any
// move.
func TestMovingTheHomeRegionBackArchivesWhatWasResolvedMeanwhile(t *testing.T) {
	r := newRig(t, "")
	ctx := context.Background()
	firstRun(t, r)
	const bob = "credaudit/123456789012/USER-02/arn:aws:iam::123456789012:user/bob"
	regionA, regionB := r.hub, &fakeHub{}
	was := regionA.findings[bob]
	if was.Id == nil || was.RecordState != shtypes.RecordStateActive {
		t.Fatalf("bob's USER-02 not open in A: %+v", was)
	}

	r.home(regionB, "us-east-1")
	r.on(1)
	if _, err := r.a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	r.setMFA(t, mfaOff, mfaOn) // bob turns MFA on while B is home
	r.on(2)
	fixed, err := r.a.Run(ctx)
	if err != nil || fixed.Counts.Resolved == 0 || regionB.findings[bob].RecordState != shtypes.RecordStateArchived {
		t.Fatalf("in B: %v, %+v; want bob's USER-02 resolved and archived there", err, fixed.Counts)
	}

	r.home(regionA, "eu-west-1")
	r.sns.take()
	r.on(3)
	back, err := r.a.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := regionA.findings[bob]
	if f.RecordState != shtypes.RecordStateArchived || f.Compliance.Status != shtypes.ComplianceStatusPassed || *f.UpdatedAt <= *was.UpdatedAt {
		t.Errorf("bob's USER-02 in A: %s, %s, updated %s; want ARCHIVED, PASSED, updated after %s", f.RecordState, f.Compliance.Status, *f.UpdatedAt, *was.UpdatedAt)
	}
	if back.Counts.Changes() != 0 || len(r.sns.sent) != 0 || back.Hub.Imported != fixed.Counts.Failing+fixed.Counts.Resolved {
		t.Errorf("back in A: %d changes, %d messages, %d imported; want no news and the %d failing and %d archived findings imported",
			back.Counts.Changes(), len(r.sns.sent), back.Hub.Imported, fixed.Counts.Failing, fixed.Counts.Resolved)
	}
}

// Home region A, then B, then A again: a finding muted in A, whose
// suppression was removed while B was home, is set back to NEW in A when A
// is home again. README, CREDAUDIT_SECURITY_HUB_REGION: the next run
// imports every open finding into the new region "with its suppression",
// here none; A still holds its copy SUPPRESSED, hidden from the user.
func TestMovingTheHomeRegionBackUnmutesWhatWasUnmutedMeanwhile(t *testing.T) {
	r := newRig(t, suppressBob)
	ctx := context.Background()
	firstRun(t, r)
	const bob = "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	regionA, regionB := r.hub, &fakeHub{}
	if got := regionA.workflowOf(bob); len(got) != 1 || got[0] != shtypes.WorkflowStatusSuppressed {
		t.Fatalf("bob's USER-01 workflow updates in A: %v, want SUPPRESSED", got)
	}

	r.home(regionB, "us-east-1")
	r.on(1)
	if _, err := r.a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	r.a.Suppressions = nil // removed while B is home
	r.on(2)
	if _, err := r.a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := regionB.workflowOf(bob); len(got) != 2 || got[1] != shtypes.WorkflowStatusNew {
		t.Fatalf("bob's USER-01 workflow updates in B: %v, want SUPPRESSED, NEW", got)
	}

	r.home(regionA, "eu-west-1")
	r.sns.take()
	r.on(3)
	back, err := r.a.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := regionA.workflowOf(bob); got[len(got)-1] != shtypes.WorkflowStatusNew {
		t.Errorf("bob's USER-01 workflow updates in A: %v; want it set back to NEW, as it is no longer muted", got)
	}
	// The note says why: a suppression lifted in B, a status sent again in
	// A, where no suppression was lifted this time.
	if got := regionB.notesOf(bob); len(got) != 2 || got[1] != unsuppressNote {
		t.Errorf("bob's USER-01 notes in B: %q, want the suppression's, then %q", got, unsuppressNote)
	}
	if got := regionA.notesOf(bob); got[len(got)-1] != resendNote {
		t.Errorf("bob's USER-01 notes in A: %q, want the last %q", got, resendNote)
	}
	if back.Counts.Changes() != 0 || len(r.sns.sent) != 0 {
		t.Errorf("back in A: %d changes, %d messages; want no news", back.Counts.Changes(), len(r.sns.sent))
	}
}

// A finding whose import failed in the old home region (here a refresh)
// is moved to the new one all the same, with its suppression: README,
// CREDAUDIT_SECURITY_HUB_REGION, "the next run imports every open finding
// into the new region, with its suppression".
func TestChangingTheHomeRegionAfterAFailedImportMovesItsSuppression(t *testing.T) {
	r := newRig(t, suppressBob)
	ctx := context.Background()
	firstRun(t, r)
	const bob = "credaudit/123456789012/USER-01/arn:aws:iam::123456789012:user/bob"
	r.hub.err = apiError("InternalException", "injected by the test")
	r.on(31) // every finding is due for a refresh, which fails
	if out, err := r.a.Run(ctx); err == nil || out.Hub.Failed == 0 {
		t.Fatalf("the refresh in A: %v; want it to fail", err)
	}

	moved := &fakeHub{}
	r.home(moved, "us-east-1")
	r.on(32)
	if _, err := r.a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if moved.findings[bob].Id == nil {
		t.Fatalf("bob's USER-01 not imported into the new region")
	}
	if got := moved.workflowOf(bob); len(got) != 1 || got[0] != shtypes.WorkflowStatusSuppressed {
		t.Errorf("bob's USER-01 workflow updates in the new region: %v, want SUPPRESSED: it is muted, and a new finding there is NEW", got)
	}
}

// A finding archived after its rule stopped running (disabled, or out of
// the profile) keeps the title it was imported with, its threshold the
// one its reason speaks of, and not the catalog's default.
func TestArchiveOfARuleNoLongerRunKeepsItsTitle(t *testing.T) {
	const strict = "Credentials unused for 60 days or more are disabled"
	if rules.Cred01.Title == strict {
		t.Fatalf("the catalog's CRED-01 title is %q: the test needs another", strict)
	}
	arn := "arn:aws:iam::" + sampleAccount + ":user/bob"
	at := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	rec := finding.Record{ID: finding.ID(sampleAccount, "CRED-01", arn), RuleID: "CRED-01", Title: strict, User: "bob",
		Severity: "MEDIUM", Status: rules.Failed, Reason: "unused for 60 days or more: password last used 70 days ago",
		ResourceType: rules.ResourceIAMUser, ResourceID: arn, Archived: true,
		FirstObservedAt: at, CreatedAt: at, LastObservedAt: at, UpdatedAt: at.Add(24 * time.Hour)}
	out := &Outcome{AccountID: sampleAccount, Observation: &Observation{Report: &credreport.Report{}},
		Changes: []finding.Change{{Kind: finding.Gone, Prev: &rec, Record: rec}}}
	found, err := Findings(out, "aws", "eu-west-1", nil)
	if err != nil || len(found) != 1 {
		t.Fatalf("%d findings, %v; want the archive", len(found), err)
	}
	if got := aws.ToString(found[0].Title); got != strict {
		t.Errorf("archive's title %q, want the one it was imported with, %q", got, strict)
	}
}

// An import a request error stops part-way keeps what the requests before
// it did: the digest counts those findings imported, and only the rest
// failed; the next run sends only the rest again, so that the findings
// Security Hub created keep the CreatedAt they were created with.
func TestAStoppedImportKeepsWhatGotIn(t *testing.T) {
	r := newRig(t, "")
	// 40 more users like bob, each failing several rules: three requests.
	var more []byte
	for _, l := range bytes.Split(r.iam.report, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("bob,")) {
			for i := range 40 {
				more = append(more, bytes.ReplaceAll(l, []byte("bob"), fmt.Appendf(nil, "bob%02d", i))...)
				more = append(more, '\n')
			}
		}
	}
	r.iam.report = append(r.iam.report, more...)
	r.hub.err, r.hub.errFrom = apiError("InternalFailure", "unavailable"), 2
	out, err := r.a.Run(t.Context())
	if err == nil || out == nil {
		t.Fatalf("err = %v, want the stopped import's", err)
	}
	toImport := 0
	for i := range out.Changes {
		if out.Changes[i].Import() {
			toImport++
		}
	}
	held := map[string]string{}
	for id, f := range r.hub.findings {
		held[id] = *f.CreatedAt
	}
	if len(held) != publish.MaxBatchFindings || toImport <= 2*publish.MaxBatchFindings {
		t.Fatalf("test setup: %d findings to import, %d taken; want more than two requests, the first taken", toImport, len(held))
	}
	if out.Hub.Imported != len(held) || out.Hub.Failed != toImport-len(held) {
		t.Errorf("%d imported and %d failed of %d, want %d and %d", out.Hub.Imported, out.Hub.Failed, toImport, len(held), toImport-len(held))
	}
	digest := r.sns.take()
	want := fmt.Sprintf("Security Hub (eu-west-1): %d findings imported, 0 workflow updates, %d failed.", len(held), toImport-len(held))
	if len(digest) != 1 || !strings.Contains(*digest[0].Message, want) {
		t.Errorf("the digest does not say %q", want)
	}

	r.on(1)
	r.hub.err = nil
	sentBefore := r.hub.imports
	if _, err := r.a.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	for id, created := range held {
		if now := *r.hub.findings[id].CreatedAt; now != created {
			t.Errorf("%s: created with CreatedAt %s, re-imported with %s", id, created, now)
		}
	}
	if resent := r.hub.imports - sentBefore; resent < toImport-len(held) {
		t.Errorf("the next run sent %d findings, want at least the %d not taken", resent, toImport-len(held))
	}
}

// The root account facts are read only for the selected rules that read
// them, and the warning when they cannot be says what it cost those rules:
// not ROOT-03 when it is disabled, nothing when neither reads them.
func TestAccountFactsAreReadForTheRulesThatNeedThem(t *testing.T) {
	denied := apiError("AccessDenied", "User is not authorized to perform: iam:GetAccountSummary")
	for _, tt := range []struct {
		name, config string
		calls        int
		warning      string // "" for none
	}{
		{"both", "", 1, "Root account facts could not be read, so ROOT-02 goes by the report alone and ROOT-03 is NOT_AVAILABLE: "},
		{"ROOT-02 alone", "rules:\n  ROOT-03:\n    enabled: false\n", 1, "Root account facts could not be read, so ROOT-02 goes by the report alone: "},
		{"ROOT-03 alone", "rules:\n  ROOT-02:\n    enabled: false\n", 1, "Root account facts could not be read, so ROOT-03 is NOT_AVAILABLE: "},
		{"neither", "rules:\n  ROOT-02:\n    enabled: false\n  ROOT-03:\n    enabled: false\n", 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.config)
			r.iam.accountErr = denied
			out, err := r.a.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if r.iam.accountCalls != tt.calls {
				t.Errorf("%d calls for the account facts, want %d", r.iam.accountCalls, tt.calls)
			}
			s := Summarize(out)
			if tt.warning == "" {
				if out.Observation.AccountErr != nil || strings.Contains(out.Digest.Body, "Root account facts") || s.AccountFactsWarning() != "" {
					t.Errorf("facts no rule reads are said to be unread: %v\n%s", out.Observation.AccountErr, out.Digest.Body)
				}
				return
			}
			if !strings.Contains(out.Digest.Body, tt.warning+"iam:GetAccountSummary") {
				t.Errorf("the digest lacks %q:\n%s", tt.warning, out.Digest.Body)
			}
			if w := s.AccountFactsWarning(); !strings.HasPrefix(w, tt.warning) {
				t.Errorf("the summary's warning is %q, want it to begin %q", w, tt.warning)
			}
		})
	}
}

// A give-up's hint is chosen by what kept the report away, as last seen: a
// throttle, IAM's capacity or a failure of IAM's is not the function's
// timeout to raise.
func TestAcquireHintSaysWhatKeptTheReport(t *testing.T) {
	apiErr := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w after 40 attempts: last seen: GenerateCredentialReport state INPROGRESS", credreport.ErrNotReady), "IAM was still generating the report at the run's deadline"},
		{fmt.Errorf("%w: last seen: GetCredentialReport Throttling: %w", credreport.ErrNotReady, apiErr("Throttling")), "IAM throttled the report's calls until the run's deadline"},
		{fmt.Errorf("%w: last seen: GenerateCredentialReport LimitExceeded: %w", credreport.ErrNotReady, &iamtypes.LimitExceededException{}), "IAM had no capacity to start generating the report (LimitExceeded)"},
		{fmt.Errorf("%w: last seen: GenerateCredentialReport ServiceFailure: %w", credreport.ErrNotReady, &iamtypes.ServiceFailureException{}), "IAM failed (ServiceFailure) until the run's deadline"},
		{fmt.Errorf("get credential report: %w", context.DeadlineExceeded), "the run ran out of time; if the function's timeout is below Lambda's 900-second maximum, raise it."},
	} {
		if got := acquireHint(tc.err, ""); !strings.HasPrefix(got, tc.want) {
			t.Errorf("hint for %v:\n%s\nwant it to begin %q", tc.err, got, tc.want)
		}
	}
}
