package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/internal/golden"
	"github.com/credaudit/credaudit/lambda/rules"
)

func orgRuns() []AccountRun {
	sev := func(c, h, m int) map[string]int {
		return map[string]int{"CRITICAL": c, "HIGH": h, "MEDIUM": m, "LOW": 0, "INFORMATIONAL": 0}
	}
	return []AccountRun{
		{AccountID: "111111111111", Name: "quiet", Summary: &Summary{AccountID: "111111111111", Users: 3, BySeverity: sev(0, 0, 0)}},
		{AccountID: "222222222222", Name: "eng", Summary: &Summary{AccountID: "222222222222", Alias: "eng-prod", Users: 40, Failing: 9, BySeverity: sev(1, 3, 5),
			New: 7, Resolved: 2, StillFailing: 2, TopNew: []NewFinding{
				{RuleID: "ROOT-01", Severity: "CRITICAL", User: "<root_account>", Reason: "the root account has an active access key"},
				{RuleID: "MFA-01", Severity: "HIGH", User: "alice", Reason: "alice signs in with a password and has no MFA"},
				{RuleID: "MFA-01", Severity: "HIGH", User: "bob", Reason: "bob signs in with a password and has no MFA"},
				{RuleID: "MFA-01", Severity: "HIGH", User: "carol", Reason: "carol signs in with a password and has no MFA"},
				{RuleID: "KEY-01", Severity: "MEDIUM", User: "ci", Reason: "access key 1 is 131 days old"},
				{RuleID: "KEY-01", Severity: "MEDIUM", User: "deploy", Reason: "access key 1 is 200 days old"},
			}}},
		{AccountID: "333333333333", Name: "sandbox", Error: "acquire: operation error STS: AssumeRole, AccessDenied (check the member role)"},
		{AccountID: "444444444444", Name: "data", Summary: &Summary{AccountID: "444444444444", Users: 5, Failing: 1, BySeverity: sev(0, 0, 1),
			StillFailing: 1}, Error: "security hub: 1 findings not imported"},
	}
}

// undecidedRun is an account whose SCP denies the root account facts: no
// finding, but results that could not be decided.
func undecidedRun() AccountRun {
	return AccountRun{AccountID: "555555555555", Name: "restricted", Summary: &Summary{AccountID: "555555555555", Users: 2,
		BySeverity: map[string]int{"CRITICAL": 0, "HIGH": 0, "MEDIUM": 0, "LOW": 0, "INFORMATIONAL": 0}, NotAvailable: 7,
		AccountFactsError:  "iam:GetAccountSummary: AccessDenied: with an explicit deny in a service control policy",
		AccountFactsEffect: "ROOT-02 goes by the report alone and ROOT-03 is NOT_AVAILABLE"}}
}

func TestOrgDigestGolden(t *testing.T) {
	runs := append(orgRuns(), undecidedRun())
	for _, r := range runs {
		// An expired suppression, listed once; one matching no failing
		// result in the accounts audited, not said to be unused since
		// 333… was not audited.
		if r.Summary != nil {
			r.Summary.StaleSuppressions = []StaleSuppression{
				{Rule: "KEY-02", User: "nobody", Reason: "mistyped", Source: "credaudit.yaml:9", Stale: "unused"},
				{Rule: "USER-02", User: "bob", Reason: "leaving", Expires: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "credaudit.yaml:12", Stale: "expired"},
			}
		}
	}
	m := OrgDigest(runs, "all", time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
	golden.Check(t, "digest-org.txt", message(m))
}

// An account with results that could not be decided never reads as clean:
// its line says how many, the reason follows when the root account facts
// could not be read, and the totals say how many in how many accounts, in
// the per-account digest's words. A digest without such results says
// nothing of them.
func TestOrgDigestSaysWhatCouldNotBeDecided(t *testing.T) {
	withNA := func(id string, n int, factsErr string) AccountRun {
		r := undecidedRun()
		s := *r.Summary
		s.AccountID, s.NotAvailable, s.AccountFactsError = id, n, factsErr
		r.AccountID, r.Summary = id, &s
		return r
	}
	old := withNA("555555555555", 7, "iam:GetAccountSummary: AccessDenied")
	old.Summary.AccountFactsEffect = ""
	for _, tt := range []struct {
		name          string
		runs          []AccountRun
		want, notWant []string
		reasons       int // "!" lines saying why
	}{
		{"one account whose root facts were denied", []AccountRun{withNA("555555555555", 7, "iam:GetAccountSummary: AccessDenied")},
			[]string{
				"\n7 results in 1 account could not be decided from the report (NOT_AVAILABLE); any findings they cover are kept as they were.\n",
				"  555555555555 (restricted): 0 new, 0 resolved, 0 failing (0 critical, 0 high, 0 medium, 0 low, 0 informational); 7 could not be decided (NOT_AVAILABLE)\n" +
					"      ! Root account facts could not be read, so ROOT-02 goes by the report alone and ROOT-03 is NOT_AVAILABLE: iam:GetAccountSummary: AccessDenied\n",
			}, nil, 1},
		{"a summary written before what the facts cost was kept", []AccountRun{old},
			[]string{"      ! Root account facts could not be read, so ROOT-03 is NOT_AVAILABLE: iam:GetAccountSummary: AccessDenied\n"}, nil, 1},
		{"two accounts, one without a known reason", []AccountRun{withNA("555555555555", 3, "iam:ListVirtualMFADevices: AccessDenied"), withNA("666666666666", 4, "")},
			[]string{
				"\n7 results in 2 accounts could not be decided from the report (NOT_AVAILABLE)",
				"666666666666 (restricted): 0 new, 0 resolved, 0 failing (0 critical, 0 high, 0 medium, 0 low, 0 informational); 4 could not be decided (NOT_AVAILABLE)\n",
				"! Root account facts could not be read, so ROOT-02 goes by the report alone and ROOT-03 is NOT_AVAILABLE: iam:ListVirtualMFADevices: AccessDenied",
			}, nil, 1},
		{"one result", []AccountRun{withNA("555555555555", 1, "")},
			[]string{"\n1 result in 1 account could not be decided from the report (NOT_AVAILABLE); any finding it covers is kept as it was.\n"}, nil, 0},
		{"every result decided", orgRuns(), nil, []string{"could not be decided", "NOT_AVAILABLE"}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := OrgDigest(tt.runs, "all", time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
			for _, want := range tt.want {
				if !strings.Contains(m.Body, want) {
					t.Errorf("digest lacks %q:\n%s", want, m.Body)
				}
			}
			for _, not := range tt.notWant {
				if strings.Contains(m.Body, not) {
					t.Errorf("digest says %q:\n%s", not, m.Body)
				}
			}
			if n := strings.Count(m.Body, "      ! Root account facts could not be read"); n != tt.reasons {
				t.Errorf("%d reasons given, want %d:\n%s", n, tt.reasons, m.Body)
			}
		})
	}
}

// When an SCP denies the root account facts, the account's summary
// carries how many results could not be decided and why, and the
// organisation digest warns in the account digest's own words.
func TestSummaryCarriesWhatCouldNotBeDecided(t *testing.T) {
	r := newRig(t, "")
	r.iam.accountErr = apiError("AccessDenied", "User is not authorized to perform: iam:GetAccountSummary with an explicit deny in a service control policy")
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(out)
	if s.NotAvailable == 0 || s.NotAvailable != out.Counts.NotAvailable {
		t.Errorf("summary: %d not available, want the run's %d (ROOT-03 at least)", s.NotAvailable, out.Counts.NotAvailable)
	}
	if !strings.Contains(s.AccountFactsError, "iam:GetAccountSummary") || !strings.Contains(s.AccountFactsError, "explicit deny") {
		t.Errorf("summary's account facts error %q, want the refused call and why", s.AccountFactsError)
	}
	warning := "! " + s.AccountFactsWarning()
	if !strings.Contains(out.Digest.Body, warning) {
		t.Fatalf("the account's digest lacks %q:\n%s", warning, out.Digest.Body)
	}
	org := OrgDigest([]AccountRun{{AccountID: sampleAccount, Summary: s}}, "all", generatedAt)
	if !strings.Contains(org.Body, warning) || !strings.Contains(org.Body, fmt.Sprintf("; %d could not be decided (NOT_AVAILABLE)", s.NotAvailable)) {
		t.Errorf("the organisation digest does not say what could not be decided and why:\n%s", org.Body)
	}
}

// CountRuns counts the account that was audited but could not publish
// (444…) in both, as the digest's "Accounts audited" line does.
func TestCountRuns(t *testing.T) {
	audited, failed := CountRuns(orgRuns())
	if audited != 3 || failed != 2 {
		t.Errorf("CountRuns = %d audited, %d failed; want 3 and 2", audited, failed)
	}
	if m := OrgDigest(orgRuns(), "all", time.Time{}); !strings.Contains(m.Body, "Accounts audited: 3 of 4; 2 failed.") {
		t.Errorf("the digest counts otherwise:\n%s", m.Body)
	}
}

func TestOrgDigestDue(t *testing.T) {
	quiet := AccountRun{AccountID: "111111111111", Summary: &Summary{AccountID: "111111111111", Failing: 3, StillFailing: 3, NotAvailable: 2}}
	withNews := func(f func(s *Summary)) AccountRun {
		r := quiet
		s := *quiet.Summary
		f(&s)
		r.Summary = &s
		return r
	}
	failed := AccountRun{AccountID: "222222222222", Error: "acquire: AccessDenied"}
	for _, tc := range []struct {
		name string
		runs []AccountRun
		mode NotifyMode
		want bool
	}{
		{"nothing changed is quiet", []AccountRun{quiet}, NotifyChanges, false},
		{"a new finding is news", []AccountRun{quiet, withNews(func(s *Summary) { s.New = 1 })}, NotifyChanges, true},
		{"a changed finding is news", []AccountRun{withNews(func(s *Summary) { s.Changed = 1 })}, NotifyChanges, true},
		{"a resolved finding is news", []AccountRun{withNews(func(s *Summary) { s.Resolved = 1 })}, NotifyChanges, true},
		{"a gone finding is news", []AccountRun{withNews(func(s *Summary) { s.Gone = 1 })}, NotifyChanges, true},
		{"a failed account is always sent", []AccountRun{quiet, failed}, NotifyChanges, true},
		{"an account whose root facts could not be read is sent", []AccountRun{quiet, withNews(func(s *Summary) { s.AccountFactsError = "AccessDenied" })}, NotifyChanges, true},
		{"a failed account is sent under never", []AccountRun{failed}, NotifyNever, true},
		{"news is not sent under never", []AccountRun{withNews(func(s *Summary) { s.New = 1 })}, NotifyNever, false},
		{"always sends a quiet run", []AccountRun{quiet}, NotifyAlways, true},
	} {
		if got := OrgDigestDue(tc.runs, tc.mode); got != tc.want {
			t.Errorf("%s: OrgDigestDue = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestOrgDigestLimits(t *testing.T) {
	var runs []AccountRun
	for i := range 5000 {
		runs = append(runs, AccountRun{AccountID: fmt.Sprintf("9%011d", i), Name: strings.Repeat("n", 50),
			Error: strings.Repeat("x", 400) + fmt.Sprint(i)})
	}
	for i := range 3000 {
		runs = append(runs, AccountRun{AccountID: fmt.Sprintf("1%011d", i), Summary: &Summary{New: 5, Failing: 5,
			BySeverity: map[string]int{"HIGH": 5}, TopNew: slices.Repeat([]NewFinding{
				{RuleID: "USER-01", Severity: "HIGH", User: "u", Reason: strings.Repeat("r", 200)}}, 5)}})
	}
	m := OrgDigest(runs, "all", time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
	if len(m.Body) > MaxBody || !strings.HasSuffix(m.Body, "... (digest truncated)\n") {
		t.Errorf("body of %d bytes (limit %d), ends %q", len(m.Body), MaxBody, m.Body[len(m.Body)-40:])
	}
	if len(m.Subject) >= 100 || m.Subject != "credaudit organisation: 8000 accounts, 5000 FAILED; 15000 new, 0 resolved, 15000 failing" {
		t.Errorf("subject %q (%d chars)", m.Subject, len(m.Subject))
	}
	// The failed accounts, each with its own error, take a quarter of the
	// body; the rest say how many more failed, and the audited accounts'
	// news follows.
	failed, audited, ok := strings.Cut(m.Body[strings.Index(m.Body, "FAILED ACCOUNTS (5000)\n"):], "\nACCOUNTS (3000)\n")
	named := strings.Count(failed, "\n  ! 9")
	if !ok || len(failed) > failedBudget+1000 || named < 50 ||
		!strings.HasSuffix(failed, fmt.Sprintf("\n  ... and %d more failed accounts, not named here to leave room for the audited accounts\n", 5000-named)) {
		t.Errorf("failed accounts: %d bytes (budget %d), %d named, ending %q", len(failed), failedBudget, named, failed[max(0, len(failed)-200):])
	}
	if !strings.HasPrefix(audited, "  100000000000: 5 new, 0 resolved, 5 failing") || strings.Count(audited, "USER-01") < 500 {
		t.Errorf("the audited accounts' news was cut off: %.300q", audited)
	}

	// Marked late, it still fits, and says so first.
	late := Late(m, time.Date(2026, 11, 20, 6, 5, 0, 0, time.UTC))
	if len(late.Body) > MaxBody || !strings.HasPrefix(late.Body, "Sent late: the organisation run at 2026-11-20 06:05 UTC made this digest but could not send it.\n\ncredaudit: IAM credential audit of 8000 accounts") {
		t.Errorf("late body of %d bytes (limit %d) begins %q", len(late.Body), MaxBody, late.Body[:120])
	}
	if late.Subject != "[late] "+m.Subject {
		t.Errorf("late subject %q", late.Subject)
	}
	long := m
	long.Subject = strings.Repeat("s", MaxSubject)
	if got := Late(long, time.Time{}).Subject; got != "[late] "+long.Subject[:MaxSubject-len("[late] ")] {
		t.Errorf("late subject of a %d-character one: %q (%d characters), want it cut to %d", MaxSubject, got, len(got), MaxSubject)
	}
	if late.Kind != m.Kind || late.Severity != m.Severity {
		t.Errorf("late digest is %s/%s, want the digest's %s/%s", late.Kind, late.Severity, m.Kind, m.Severity)
	}

	// Of some accounts only, it still fits, says so first, and reports an
	// error; late too, it says both.
	quiet := m
	quiet.Errors = false
	part := partial(quiet, "why.")
	if len(part.Body) > MaxBody || !strings.HasPrefix(part.Body, "Partial: why.\n\ncredaudit: IAM credential audit of 8000 accounts") ||
		part.Subject != fitSubject("[partial] "+m.Subject) || !part.Errors || part.Kind != KindDigest {
		t.Errorf("partial digest: %q, errors %v, kind %s, body of %d bytes beginning %q", part.Subject, part.Errors, part.Kind, len(part.Body), part.Body[:80])
	}
	if both := Late(part, time.Time{}); !strings.HasPrefix(both.Subject, "[late] [partial] ") || !strings.Contains(both.Body, "could not send it.\n\nPartial: why.") {
		t.Errorf("late partial digest %q begins %q", both.Subject, both.Body[:120])
	}
}

// The organisation digest says why an unmuted finding is news after its
// reason, however long the reason (a custom rule's often is).
func TestOrgDigestKeepsTheUnmutedNote(t *testing.T) {
	long := "assert " + strings.Repeat("x", 400) + " does not hold"
	s := &Summary{AccountID: sampleAccount, Unmuted: 1, Failing: 1, BySeverity: map[string]int{"LOW": 1},
		TopNew: []NewFinding{{RuleID: "ORG-01", Severity: "LOW", User: "bob", Reason: long, Note: "(suppression expired)"}}}
	m := OrgDigest([]AccountRun{{AccountID: sampleAccount, Summary: s}}, "all", generatedAt)
	if !strings.Contains(m.Body, "... (suppression expired)\n") {
		t.Errorf("organisation digest lost the unmuted note:\n%s", m.Body)
	}
}

// An account's error (errors.Join writes one per line) and its account
// facts error stay on their line, as a finding's text does.
func TestOrgDigestErrorsStayOnTheirLine(t *testing.T) {
	failed := AccountRun{AccountID: "333333333333", Name: "sandbox", Error: "acquire: denied\nRESOLVED (1)"}
	undecided := undecidedRun()
	undecided.Summary.AccountFactsError = "iam:GetAccountSummary: AccessDenied\u2028FAILED ACCOUNTS (9)"
	body := OrgDigest([]AccountRun{failed, undecided}, "all", time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)).Body
	for _, want := range []string{`acquire: denied\nRESOLVED (1)`, `AccessDenied\u2028FAILED ACCOUNTS (9)`} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "\nRESOLVED") || strings.ContainsRune(body, 0x2028) {
		t.Errorf("an error broke its line:\n%s", body)
	}
}

// A new finding an account's run cannot see (opened by a run whose digest
// was not sent, NOT_AVAILABLE now) made the organisation digest read
// "1 new, 0 resolved, 0 failing" for the account and in its totals, with
// nothing to say why. The account's line, the totals and the subject now
// say it in the account digest's words; an account without such findings
// says nothing of them.
func TestOrgDigestSaysWhatIsNotVisible(t *testing.T) {
	none := map[string]int{"CRITICAL": 0, "HIGH": 0, "MEDIUM": 0, "LOW": 0, "INFORMATIONAL": 0}
	unseen := AccountRun{AccountID: "111111111111", Summary: &Summary{AccountID: "111111111111", Users: 2, BySeverity: none,
		NotAvailable: 1, New: 1, NewNotVisible: 1, TopNew: []NewFinding{
			{RuleID: "USER-01", Severity: "MEDIUM", User: "bob", Reason: "console password enabled and MFA not active"}}}}
	seen := AccountRun{AccountID: "222222222222", Summary: &Summary{AccountID: "222222222222", Users: 4, Failing: 2,
		BySeverity: map[string]int{"CRITICAL": 0, "HIGH": 2, "MEDIUM": 0, "LOW": 0, "INFORMATIONAL": 0}, New: 2, TopNew: []NewFinding{
			{RuleID: "MFA-01", Severity: "HIGH", User: "alice", Reason: "alice signs in with a password and has no MFA"},
			{RuleID: "MFA-01", Severity: "HIGH", User: "carol", Reason: "carol signs in with a password and has no MFA"}}}}
	m := OrgDigest([]AccountRun{unseen, seen}, "all", time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
	if want := "credaudit organisation: 2 accounts; 3 new (1 not visible this run), 0 resolved, 2 failing..."; m.Subject != want { // the not decided clause does not fit
		t.Errorf("subject\n%q, want\n%q", m.Subject, want)
	}
	for _, want := range []string{
		"\nThis run: 3 new (1 not visible in this report), 0 changed, 0 resolved, 0 gone, 0 still failing.\n",
		"\n  111111111111: 1 new (1 not visible this run), 0 resolved, 0 failing (0 critical, 0 high, 0 medium, 0 low, 0 informational); 1 could not be decided (NOT_AVAILABLE)\n",
		"\n  222222222222: 2 new, 0 resolved, 2 failing (0 critical, 2 high, 0 medium, 0 low, 0 informational)\n",
	} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("digest lacks %q:\n%s", want, m.Body)
		}
	}
	if n := strings.Count(m.Body, "not visible"); n != 2 {
		t.Errorf("%d mentions of findings not visible, want 2 (the totals and one account):\n%s", n, m.Body)
	}
}

// The account's summary carries how many of its new findings the run
// cannot see, as "new_not_visible"; a summary written before it was
// carried (an organisation run's results from an older function) reads as
// none.
func TestSummaryCarriesNewNotVisible(t *testing.T) {
	out := &Outcome{AccountID: sampleAccount, Observation: &Observation{Report: &credreport.Report{}},
		Counts: Counts{New: 2, NewNotVisible: 1, NotAvailable: 1}}
	data, err := json.Marshal(Summarize(out))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"new":2,"new_not_visible":1,`) {
		t.Errorf("summary %s, want new_not_visible 1 beside new", data)
	}
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil || s.NewNotVisible != 1 {
		t.Errorf("summary read back: %d not visible (%v), want 1", s.NewNotVisible, err)
	}
	old := `{"account_id":"123456789012","users":3,"failing":0,"failing_by_severity":{"MEDIUM":0},"suppressed":0,"not_available":1,` +
		`"new":1,"changed":0,"unmuted":0,"resolved":0,"gone":0,"still_failing":0,"imported":1,"notified":false}`
	s = Summary{}
	if err := json.Unmarshal([]byte(old), &s); err != nil || s.New != 1 || s.NewNotVisible != 0 {
		t.Fatalf("old summary read as %+v (%v), want 1 new, none not visible", s, err)
	}
	if m := OrgDigest([]AccountRun{{AccountID: sampleAccount, Summary: &s}}, "all", generatedAt); strings.Contains(m.Subject+m.Body, "not visible") {
		t.Errorf("an old summary's digest says something is not visible:\n%s\n%s", m.Subject, m.Body)
	}
}

// Accounts that failed alike share one line naming them: after a map that
// stopped early, every account after it is "not audited", and listing each
// with the same words buried the audited accounts' news under them.
func TestOrgDigestGroupsAccountsThatFailedAlike(t *testing.T) {
	const notAudited = "not audited: the map failed before it finished"
	runs := []AccountRun{{AccountID: "333333333333", Name: "sandbox", Error: "acquire: AccessDenied"}}
	for i := range 4 {
		runs = append(runs, AccountRun{AccountID: fmt.Sprintf("90000000000%d", i), Error: notAudited})
	}
	runs[2].Name = "data"
	body := OrgDigest(runs, "all", generatedAt).Body
	want := "\nFAILED ACCOUNTS (5)\n" +
		"  ! 333333333333 (sandbox): acquire: AccessDenied\n" +
		"  ! 4 accounts: " + notAudited + "\n" +
		"      900000000000, 900000000001 (data), 900000000002, 900000000003\n"
	if !strings.Contains(body, want) {
		t.Errorf("body lacks%s\ngot:\n%s", want, body)
	}

	// Many: every one named, on lines of at most failedWidth.
	runs = runs[:0]
	for i := range 950 {
		runs = append(runs, AccountRun{AccountID: fmt.Sprintf("9%011d", i), Error: notAudited})
	}
	body = OrgDigest(runs, "all", generatedAt).Body
	section := body[strings.Index(body, "FAILED ACCOUNTS"):]
	for i := range 950 {
		if id := fmt.Sprintf("9%011d", i); !strings.Contains(section, id) {
			t.Fatalf("account %s is not named:\n%s", id, section)
		}
	}
	for l := range strings.Lines(section) {
		if len(l) > failedWidth+1 {
			t.Errorf("line of %d characters: %q", len(l), l)
		}
	}
	if strings.Contains(section, "more failed") || strings.Count(section, notAudited) != 1 {
		t.Errorf("950 accounts that failed alike are not one line naming them all:\n%s", section)
	}
}

// A finding whose reason changed was reported when it opened, and its
// change may be for the better (a key rotated, if not enough): the account
// digest counts it "changed" and does not raise its severity attribute for
// it. The organisation digest counted it new, in the subject and on the
// account's line, and raised its attribute, so a subscription filtering on
// severity was paged by the one and not the other.
func TestOrgDigestCountsChangedFindingsAsTheAccountDigestDoes(t *testing.T) {
	r := newRig(t, "")
	firstRun(t, r)
	r.on(1)
	from, to := []byte("false,true,2023-03-01T09:00:00+00:00,"), []byte("false,true,2024-03-01T09:00:00+00:00,")
	if !bytes.Contains(r.iam.report, from) {
		t.Fatal("the sample report changed: carol's access key 1 not found")
	}
	r.iam.report = bytes.Replace(r.iam.report, from, to, 1)
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if out.Counts.New != 0 || out.Counts.Changed == 0 || out.Digest.Severity != "NONE" {
		t.Fatalf("%d new, %d changed, severity %s; want a changed finding only, severity NONE", out.Counts.New, out.Counts.Changed, out.Digest.Severity)
	}
	s := Summarize(out)
	m := OrgDigest([]AccountRun{{AccountID: sampleAccount, Summary: s}}, "all", generatedAt)
	if m.Severity != out.Digest.Severity {
		t.Errorf("organisation digest severity %s, the account digest's %s", m.Severity, out.Digest.Severity)
	}
	changed := fmt.Sprintf("0 new, %d changed, ", out.Counts.Changed)
	if !strings.Contains(m.Subject, "; "+changed) || !strings.Contains(m.Body, "(acme-prod): "+changed) {
		t.Errorf("subject %q or the account's line does not count %q:\n%s", m.Subject, changed, m.Body)
	}
	if len(s.TopNew) == 0 || !strings.HasPrefix(s.TopNew[0].Note, "(changed; was: access key 1 is ") || !strings.Contains(m.Body, s.TopNew[0].Note) {
		t.Errorf("top findings %+v: want the change noted with what it was, as the account digest notes it:\n%s", s.TopNew, m.Body)
	}
}

// A summary written before Summary.Severity was kept (an organisation
// run's results from an older function) goes by its listed findings.
func TestOrgDigestSeverityOfAnOlderSummary(t *testing.T) {
	listed := []NewFinding{{RuleID: "KEY-01", Severity: "MEDIUM", User: "ci", Reason: "access key 1 is 131 days old"}}
	for _, tt := range []struct {
		severity, want string
	}{{"", "MEDIUM"}, {"NONE", "NONE"}, {"HIGH", "HIGH"}} {
		s := &Summary{AccountID: sampleAccount, Changed: 1, Severity: tt.severity, TopNew: listed, BySeverity: map[string]int{"MEDIUM": 1}}
		if m := OrgDigest([]AccountRun{{AccountID: sampleAccount, Summary: s}}, "all", generatedAt); m.Severity != tt.want {
			t.Errorf("summary severity %q: digest severity %s, want %s", tt.severity, m.Severity, tt.want)
		}
	}
}

// An organisation digest that says accounts failed is an operational
// error too: its kind is both, so that the README's filter policy,
// `{"$or": [{"kind": ["error"]}, …]}`, takes it, as it takes the alert of
// an account's run that could not see; one with no failed account is a
// digest.
func TestOrgDigestWithFailedAccountsIsAnErrorToo(t *testing.T) {
	kind := func(runs []AccountRun) (string, string) {
		v := OrgDigest(runs, "all", generatedAt).Input("arn:aws:sns:eu-west-1:123456789012:credaudit").MessageAttributes[AttrKind]
		return *v.DataType, *v.StringValue
	}
	runs := orgRuns()
	if typ, v := kind(runs); typ != "String.Array" || v != `["digest","error"]` {
		t.Errorf("with failed accounts: kind %s %s, want String.Array [\"digest\",\"error\"]", typ, v)
	}
	audited := slices.DeleteFunc(runs, func(r AccountRun) bool { return r.Failed() })
	if typ, v := kind(audited); typ != "String" || v != KindDigest {
		t.Errorf("with none failed: kind %s %s, want String digest", typ, v)
	}
}

// staleRun is an audited account whose suppressions muted nothing as
// stale says.
func staleRun(id string, stale ...StaleSuppression) AccountRun {
	return AccountRun{AccountID: id, Summary: &Summary{AccountID: id, Users: 3,
		BySeverity: map[string]int{"CRITICAL": 0, "HIGH": 0, "MEDIUM": 0, "LOW": 0, "INFORMATIONAL": 0}, StaleSuppressions: stale}}
}

// The organisation digest lists the suppressions that muted nothing in its
// accounts, as the account digest does, so that they do not rot silently
// in an organisation run: an expired one once, however many accounts say
// so; an unused or shadowed one only when it muted nothing in every
// account audited, and only when every account was audited, since one
// that was not may have a failing result it mutes.
func TestOrgDigestListsSuppressionsThatMuteNothing(t *testing.T) {
	var (
		expired = StaleSuppression{Rule: "USER-02", User: "bob", Reason: "leaving", Expires: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "credaudit.yaml:12", Stale: "expired"}
		unused  = StaleSuppression{Rule: "KEY-02", User: "nobody", Reason: "mistyped", Source: "credaudit.yaml:9", Stale: "unused"}
		// one account's: used in 222…, unused in 111…
		local    = StaleSuppression{Rule: "USER-01", User: "ci-*", Reason: "a CI user of one account", Source: "credaudit.yaml:3", Stale: "unused"}
		shadowed = StaleSuppression{Rule: "USER-01", User: "b*", Reason: "behind the one above", Source: "credaudit.yaml:6", Stale: "shadowed", Shadowed: 2}
		// the same place in a changed configuration (another reason): not
		// the same suppression
		changed    = StaleSuppression{Rule: "KEY-02", User: "nobody", Reason: "changed", Source: "credaudit.yaml:9", Stale: "unused"}
		unusedHere = shadowed
	)
	unusedHere.Stale, unusedHere.Shadowed = "unused", 0
	const (
		expiredNote  = "  ! The suppression at credaudit.yaml:12 expired on 2026-01-01 and no longer applies.\n"
		unusedNote   = "  ! The suppression at credaudit.yaml:9 matches no failing result in any of the 2 accounts audited.\n"
		shadowedNote = "  ! The suppression at credaudit.yaml:6 never applies in the 2 accounts audited: every failing result it matches (2) is muted by an earlier suppression.\n"
	)
	notAudited := AccountRun{AccountID: "333333333333", Error: "assume role: AccessDenied"}
	for _, tt := range []struct {
		name          string
		runs          []AccountRun
		partial       bool
		want, notWant []string
	}{
		{"every account audited",
			[]AccountRun{staleRun("111111111111", local, shadowed, unused, expired), staleRun("222222222222", unusedHere, unused, expired)},
			false, []string{"\nSUPPRESSIONS THAT MUTED NOTHING\n" + shadowedNote + unusedNote + expiredNote}, []string{"credaudit.yaml:3", "not said to be unused"}},
		{"one account audited",
			[]AccountRun{staleRun("111111111111", unused, expired)},
			false, []string{"  ! The suppression at credaudit.yaml:9 matches no failing result in the account audited.\n", expiredNote}, nil},
		{"a configuration changed between the accounts",
			[]AccountRun{staleRun("111111111111", unused), staleRun("222222222222", changed)},
			false, nil, []string{"SUPPRESSIONS", "credaudit.yaml:9"}},
		{"an account not audited",
			[]AccountRun{staleRun("111111111111", local, shadowed, unused, expired), notAudited, staleRun("222222222222", unusedHere, unused, expired)},
			false, []string{"\nSUPPRESSIONS THAT MUTED NOTHING\n" + expiredNote +
				"  2 suppressions muted nothing in the 2 accounts audited, but are not said to be unused or shadowed: 1 account could not be audited, and they may apply there.\n"},
			[]string{"credaudit.yaml:9", "credaudit.yaml:6", "credaudit.yaml:3"}},
		{"a digest of some accounts only",
			[]AccountRun{staleRun("111111111111", unused, expired)},
			true, []string{expiredNote, "  1 suppression muted nothing in the account audited, but is not said to be unused or shadowed: " +
				"this digest does not cover every account of the run, and it may apply in the others.\n"},
			[]string{"credaudit.yaml:9"}},
		{"a summary that left some out", func() []AccountRun {
			r := staleRun("111111111111", unused)
			r.Summary.StaleMore = 3
			return []AccountRun{r}
		}(), false, []string{"  More suppressions may have muted nothing: an account's summary lists at most 25 (scan --config in the account lists every one).\n"}, nil},
		{"none", []AccountRun{staleRun("111111111111"), notAudited}, false, nil, []string{"SUPPRESSIONS", "suppression"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
			m := OrgDigest(tt.runs, "all", now)
			if tt.partial {
				m = PartialOrgDigest(tt.runs, "all", now, "why.")
			}
			for _, want := range tt.want {
				if strings.Count(m.Body, want) != 1 {
					t.Errorf("digest lacks %q, or says it more than once:\n%s", want, m.Body)
				}
			}
			for _, not := range tt.notWant {
				if strings.Contains(m.Body, not) {
					t.Errorf("digest says %q:\n%s", not, m.Body)
				}
			}
			notes := OrgStaleNotes(tt.runs)
			if tt.partial {
				return
			}
			for _, n := range notes {
				if !strings.Contains(m.Body, n[1:]) { // a caveat begins a sentence there
					t.Errorf("the command line's note %q is not the digest's:\n%s", n, m.Body)
				}
			}
		})
	}
}

// However many suppressions the accounts report muting nothing, the
// digest lists a section's worth, says how many more, and leaves the
// audited accounts' news in the body.
func TestOrgDigestCapsSuppressionsThatMuteNothing(t *testing.T) {
	var runs []AccountRun
	for i := range 200 {
		var stale []StaleSuppression
		for j := range MaxStaleSuppressions {
			stale = append(stale, StaleSuppression{Rule: "USER-02", User: strings.Repeat("u", 300), Reason: strings.Repeat("r", 300),
				Expires: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: fmt.Sprintf("%s/%d.yaml:%d", strings.Repeat("d", 1100), i, j), Stale: "expired"})
		}
		r := staleRun(fmt.Sprintf("1%011d", i), stale...)
		r.Summary.New, r.Summary.TopNew = 1, []NewFinding{{RuleID: "USER-01", Severity: "HIGH", User: "u", Reason: "news"}}
		runs = append(runs, r)
	}
	body := OrgDigest(runs, "all", time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)).Body
	_, section, _ := strings.Cut(body, "\nSUPPRESSIONS THAT MUTED NOTHING\n")
	section, _, _ = strings.Cut(section, "\n\n")
	if n := strings.Count(section, "  ! The suppression at "); n != sectionCap ||
		!strings.HasSuffix(section, fmt.Sprintf("  ... and %d more (scan --config lists every suppression that muted nothing)", 200*MaxStaleSuppressions-sectionCap)) {
		t.Errorf("%d suppressions listed, want %d and how many more:\n%s", n, sectionCap, section[max(0, len(section)-300):])
	}
	if len(section) > sectionCap*(2*maxReason+1)+200 || strings.Count(body, "USER-01") != 200 {
		t.Errorf("section of %d bytes; %d of the 200 accounts' news listed", len(section), strings.Count(body, "USER-01"))
	}
}

// An account's summary carries the suppressions that muted nothing, in
// the configuration's order, clipped and capped to fit a Step Functions
// state, through JSON as a state machine and S3 hand it on; the
// organisation digest of that one account says what its own digest said.
func TestSummaryCarriesSuppressionsThatMuteNothing(t *testing.T) {
	r := newRig(t, suppressionsMutingNothing)
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(Summarize(out))
	if err != nil {
		t.Fatal(err)
	}
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	want := []StaleSuppression{
		{Rule: "USER-01", User: "b*", Reason: "shadowed by the one above", Source: "credaudit.yaml:6", Stale: "shadowed", Shadowed: 1},
		{Rule: "KEY-02", User: "nobody", Reason: "matches nothing", Source: "credaudit.yaml:9", Stale: "unused"},
		{Rule: "USER-02", User: "bob", Reason: "expired", Expires: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "credaudit.yaml:12", Stale: "expired"},
	}
	if diff := cmp.Diff(want, s.StaleSuppressions); diff != "" || s.StaleMore != 0 {
		t.Errorf("summary's stale suppressions (-want +got), %d more:\n%s", s.StaleMore, diff)
	}
	org := OrgDigest([]AccountRun{{AccountID: sampleAccount, Summary: &s}}, "all", generatedAt).Body
	for _, want := range []string{
		"The suppression at credaudit.yaml:6 never applies in the account audited: every failing result it matches (1) is muted by an earlier suppression.",
		"The suppression at credaudit.yaml:9 matches no failing result in the account audited.",
		"The suppression at credaudit.yaml:12 expired on 2026-01-01 and no longer applies.",
	} {
		if !strings.Contains(org, want) {
			t.Errorf("organisation digest lacks %q:\n%s", want, org)
		}
	}
	if strings.Contains(org, "credaudit.yaml:3 ") {
		t.Errorf("the suppression that mutes bob is listed:\n%s", org)
	}

	// However many and long, they fit a Step Functions state.
	var many []rules.SuppressionOutcome
	long := strings.Repeat("r", 2000)
	for i := range MaxStaleSuppressions + 4 {
		many = append(many, rules.SuppressionOutcome{Suppression: rules.Suppression{RuleID: long, User: long, Reason: long, Source: long + fmt.Sprint(i)}})
	}
	many = append(many, rules.SuppressionOutcome{Matched: 1})
	stale, more := staleSuppressions(many)
	if len(stale) != MaxStaleSuppressions || more != 4 || stale[0].Reason != long[:maxReason-3]+"..." {
		t.Errorf("%d stale suppressions kept (first reason %.20q…), %d more; want %d, clipped, and 4 more", len(stale), stale[0].Reason, more, MaxStaleSuppressions)
	}
	if data, _ := json.Marshal(stale); len(data) > 40_000 {
		t.Errorf("stale suppressions take %d bytes of a summary, want at most 40 KB", len(data))
	}
}
