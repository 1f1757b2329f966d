package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/internal/golden"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/rules"
)

func message(m Message) []byte {
	attrs := m.Input("arn:aws:sns:eu-west-1:123456789012:credaudit").MessageAttributes
	attr := func(name string) string {
		if v, ok := attrs[name]; ok {
			return *v.StringValue
		}
		return ""
	}
	return []byte(fmt.Sprintf("Subject: %s\nAttributes: kind=%s account_id=%s severity=%s\n\n%s", m.Subject, attr(AttrKind), attr(AttrAccount), attr(AttrSeverity), m.Body))
}

// The digests of a first run over the sample report and of a second run in
// which bob enabled MFA and ci-deploy was deleted.
func TestDigestGolden(t *testing.T) {
	r := newRig(t, "")
	first, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "digest-first.txt", message(first.Digest))

	next := r.iam.report
	bob := []byte(",true,2026-06-01T10:00:00+00:00,2024-02-01T08:30:00+00:00,N/A,false,")
	if !bytes.Contains(next, bob) {
		t.Fatal("the sample report changed: bob's row not found")
	}
	next = bytes.Replace(next, bob, []byte(",true,2026-06-01T10:00:00+00:00,2024-02-01T08:30:00+00:00,N/A,true,"), 1)
	lines := bytes.Split(next, []byte("\n"))
	var kept [][]byte
	for _, l := range lines {
		if !bytes.HasPrefix(l, []byte("ci-deploy,")) {
			kept = append(kept, l)
		}
	}
	r.iam.report = bytes.Join(kept, []byte("\n"))
	r.iam.generated = generatedAt.Add(24 * time.Hour)
	r.a.Now = func() time.Time { return generatedAt.Add(26 * time.Hour) }
	second, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "digest-second.txt", message(second.Digest))
}

// A custom rule's finding is gone when the user is deleted, and when the
// rule's where no longer selects a user who still exists (bob no longer
// has a console password): the digest tells the two apart.
func TestGoneFindingSaysWhy(t *testing.T) {
	r := newRig(t, `
custom_rules:
  - id: ORG-02
    title: Console users changed their password within a year
    severity: low
    remediation: Ask the user to change their password.
    where: "!is_root && password_enabled"
    assert: password_last_changed != null && as_of - password_last_changed < duration("8760h")
`)
	if _, err := r.a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	bob := credreporttest.UserRow(t, r.iam.report, "bob")
	noPassword := bytes.Replace(bob, []byte(",true,2026-06-01T10:00:00+00:00,2024-02-01T08:30:00+00:00,"), []byte(",false,N/A,N/A,"), 1)
	if bytes.Equal(noPassword, bob) {
		t.Fatal("the sample report changed: bob's password columns not found")
	}
	r.iam.report = credreporttest.WithoutUser(t, bytes.Replace(r.iam.report, bob, noPassword, 1), `"doe,jane"`)
	r.on(1)
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  [LOW]           ORG-02   bob: the user still exists but is no longer in the rule's scope (its where no longer selects them)\n",
		"  [LOW]           ORG-02   doe,jane: the user no longer exists\n",
	} {
		if !strings.Contains(out.Digest.Body, want) {
			t.Errorf("digest lacks %q:\n%s", want, out.Digest.Body)
		}
	}
}

func TestAlertGolden(t *testing.T) {
	f := &Failure{Phase: "acquire", Err: errors.New("iam:GetCredentialReport: access denied"), Hint: acquireHint(credreport.ErrAccessDenied, "")}
	golden.Check(t, "alert.txt", message(alert(sampleAccount, f, generatedAt)))
}

// However many findings change and however long their reasons, the digest
// lists each section up to its cap and stays within SNS's limits.
func TestDigestStaysWithinLimits(t *testing.T) {
	long := strings.Repeat("é", 2000)
	var changes []finding.Change
	for i := range 30_000 {
		e := &credreport.Entry{User: fmt.Sprintf("user-%05d-%s", i, long[:200]), ARN: "arn:aws:iam::123456789012:user/u" + fmt.Sprint(i)}
		res := &rules.Result{Rule: &rules.User01, Entry: e, Status: rules.Failed, Reason: long}
		kind := []finding.Kind{finding.New, finding.Resolved, finding.StillFailing}[i%3]
		changes = append(changes, finding.Change{Kind: kind, Result: res, Record: finding.Record{
			ID: "x" + fmt.Sprint(i), RuleID: "USER-01", User: e.User, Severity: "MEDIUM", Reason: long, ResourceType: rules.ResourceIAMUser}})
	}
	in := digestInput{Account: sampleAccount, Alias: strings.Repeat("a", 63), Partition: "aws", Profile: "all",
		GeneratedAt: generatedAt, AsOf: generatedAt, Now: generatedAt, Changes: changes,
		Counts: count(nil, changes), Hub: HubReport{Region: "eu-west-1", Err: errors.New(long)}, Selected: map[string]bool{"USER-01": true}}
	for range 40 {
		in.Warnings = append(in.Warnings, long)
	}
	m := renderDigest(in)
	if len(m.Body) > MaxBody || !utf8.ValidString(m.Body) {
		t.Errorf("body is %d bytes (limit %d), valid UTF-8 %v", len(m.Body), MaxBody, utf8.ValidString(m.Body))
	}
	if len(m.Subject) >= 100 || strings.ContainsAny(m.Subject, "\n\r") {
		t.Errorf("subject %q (%d bytes)", m.Subject, len(m.Subject))
	}
	for _, want := range []string{"NEW OR CHANGED (10000)", "... and 9975 more", "RESOLVED (10000)", "STILL FAILING (10000)"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("digest lacks %q", want)
		}
	}
	if n := strings.Count(m.Body, "[MEDIUM]"); n != 3*sectionCap {
		t.Errorf("%d findings listed, want %d per section", n, sectionCap)
	}
}

func TestSubject(t *testing.T) {
	tests := []struct{ account, alias, what, want string }{
		{"123456789012", "", "3 new, 1 resolved, 12 failing (2 critical)", "credaudit 123456789012: 3 new, 1 resolved, 12 failing (2 critical)"},
		{"123456789012", "acme-prod", "0 new, 0 resolved, 1 failing", "credaudit 123456789012 (acme-prod): 0 new, 0 resolved, 1 failing"},
		{"123456789012", strings.Repeat("a", 63), "3 new, 1 resolved, 12 failing (2 critical)", "credaudit 123456789012: 3 new, 1 resolved, 12 failing (2 critical)"},
		{"123456789012", "", "é\nx", "credaudit 123456789012: x"},
	}
	for _, tt := range tests {
		if got := subject(tt.account, tt.alias, tt.what); got != tt.want || len(got) > MaxSubject {
			t.Errorf("subject(%q, %q) = %q, want %q", tt.alias, tt.what, got, tt.want)
		}
	}
}

func TestParseNotifyMode(t *testing.T) {
	for in, want := range map[string]NotifyMode{"changes": NotifyChanges, "ALWAYS": NotifyAlways, " never ": NotifyNever} {
		if got, err := ParseNotifyMode(in); err != nil || got != want {
			t.Errorf("ParseNotifyMode(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseNotifyMode("sometimes"); err == nil {
		t.Error(`ParseNotifyMode("sometimes") succeeded`)
	}
}

// A subject too long for SNS drops whole clauses and says so: cut at 99
// characters it read "(200" for 20,000 critical findings, and "Security H"
// on a run with changed findings and Security Hub errors, which come first
// so that no cut drops them.
func TestSubjectNeverCutsACount(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want string
	}{
		{"two-digit counts, changed findings and Security Hub errors", 12,
			"credaudit 123456789012: Security Hub errors; 12 new, 12 changed, 12 unmuted, 24 resolved..."},
		{"five-digit counts", 20000,
			"credaudit 123456789012: Security Hub errors; 20000 new, 20000 changed, 20000 unmuted..."},
	}
	for _, tt := range tests {
		c := Counts{New: tt.n, Changed: tt.n, Unmuted: tt.n, Resolved: tt.n, Gone: tt.n, Failing: tt.n, HighestNew: -1}
		c.BySeverity[rules.Critical] = tt.n
		m := renderDigest(digestInput{Account: sampleAccount, Alias: "acme-prod", Counts: c, Hub: HubReport{Region: "eu-west-1", Err: errors.New("refused")}})
		if m.Subject != tt.want {
			t.Errorf("%s: subject\n%q, want\n%q", tt.name, m.Subject, tt.want)
		}
	}
}

// A user name (from a report file: IAM allows none of these characters)
// or a reason cannot break its digest line: it wrote a fake RESOLVED
// section into the email, and U+2028 breaks a line in mail readers too.
func TestDigestLinesHoldNoLineBreak(t *testing.T) {
	r := newRig(t, "")
	name := "eve\nRESOLVED (1)\n  [HIGH] x\u2028"
	q := `"` + strings.ReplaceAll(name, `"`, `""`)
	row := q + `",` + `"arn:aws:iam::123456789012:user/` + q[1:] + `",2024-01-01T00:00:00+00:00,true,no_information,2024-01-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A` + "\n"
	r.iam.report = append(bytes.TrimRight(r.iam.report, "\n"), append([]byte("\n"), row...)...)
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	body := out.Digest.Body
	if strings.Contains(body, "\nRESOLVED") || strings.ContainsRune(body, 0x2028) {
		t.Errorf("a user name broke a digest line:\n%s", body)
	}
	if want := `eve\nRESOLVED (1)\n  [HIGH] x\u2028: `; !strings.Contains(body, want) {
		t.Errorf("digest lacks the escaped name %s:\n%s", want, body)
	}
}

// Every subject is fitted by whole clauses, the organisation digest's and
// a late one's too: "[late] " made a full subject lose its last characters.
func TestFitSubjectKeepsWholeClauses(t *testing.T) {
	org := "credaudit organisation: 1200 accounts, 15 FAILED; 123456 new, 23456 resolved, 345678 failing (12345 critical)"
	tests := []struct{ name, got, want string }{
		{"a fitting subject is kept", fitSubject("credaudit 123456789012: 1 new, 0 resolved, 3 failing"), "credaudit 123456789012: 1 new, 0 resolved, 3 failing"},
		{"the organisation's", fitSubject(org), "credaudit organisation: 1200 accounts, 15 FAILED; 123456 new, 23456 resolved, 345678 failing..."},
		{"a late one", Late(Message{Subject: fitSubject(org)}, time.Unix(0, 0)).Subject, "[late] credaudit organisation: 1200 accounts, 15 FAILED; 123456 new, 23456 resolved..."},
		{"no clause to keep", fitSubject(strings.Repeat("x", 120)), strings.Repeat("x", MaxSubject)},
	}
	for _, tc := range tests {
		if tc.got != tc.want || len(tc.got) > MaxSubject {
			t.Errorf("%s: %q (%d), want %q", tc.name, tc.got, len(tc.got), tc.want)
		}
	}
}

// ATTENTION is capped as a section is: some 3,100 suppressions muting
// nothing (a 1 MiB configuration holds them) filled the body, which was
// then clipped before its counts and findings.
func TestAttentionIsCapped(t *testing.T) {
	in := digestInput{Account: sampleAccount, Counts: Counts{Failing: 1, HighestNew: -1}}
	for i := range 4000 {
		in.Warnings = append(in.Warnings, fmt.Sprintf("The suppression at credaudit.yaml:%d matches no failing result, "+strings.Repeat("and says so at length ", 4)+".", 10+4*i))
	}
	body := renderDigest(in).Body
	if n := strings.Count(body, "\n  ! "); n != sectionCap {
		t.Errorf("%d ATTENTION lines, want %d", n, sectionCap)
	}
	for _, want := range []string{"  ... and 3975 more (scan --config lists every suppression that muted nothing)\n", "Failing now: 1 ", "This run: "} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%.3000s", want, body)
		}
	}
}

// A finding opened by a run whose digest was not sent is reported as new by
// the next run even when that run cannot see it (its result NOT_AVAILABLE):
// the digest said "1 new, 0 failing" with nothing to tell why. It now says
// the new finding is not visible, as it says of a still-failing one.
func TestNewFindingNotVisibleThisRun(t *testing.T) {
	bob := &credreport.Entry{User: "bob", ARN: "arn:aws:iam::123456789012:user/bob"}
	res := rules.Result{Rule: &rules.User01, Entry: bob, Status: rules.NotAvailable, Reason: "mfa_active is N/A"}
	seen := generatedAt.Add(-24 * time.Hour)
	changes := []finding.Change{{Kind: finding.New, Unavailable: true, Result: &res, Record: finding.Record{
		ID: "credaudit/123456789012/USER-01/" + bob.ARN, RuleID: "USER-01", User: "bob", Severity: "MEDIUM", Status: rules.Failed,
		Reason: "console password enabled and MFA not active", ResourceType: rules.ResourceIAMUser, ResourceID: bob.ARN,
		LastObservedAt: seen, UnavailableSince: generatedAt}}}
	c := count([]rules.Result{res}, changes)
	if c.New != 1 || c.NewNotVisible != 1 || c.Failing != 0 || c.NotAvailable != 1 {
		t.Errorf("counts %+v, want 1 new of which 1 not visible, 0 failing, 1 not available", c)
	}
	m := renderDigest(digestInput{Account: sampleAccount, Alias: "acme-prod", Partition: "aws", Profile: "all", GeneratedAt: generatedAt,
		AsOf: generatedAt, Now: generatedAt, Counts: c, Changes: changes, Hub: HubReport{Region: "eu-west-1", Imported: 1},
		Undecided: undecided([]rules.Result{res})})
	// The alias no longer fits beside the counts.
	if want := "credaudit 123456789012: 1 new (1 not visible this run), 0 resolved, 0 failing, 1 not decided"; m.Subject != want {
		t.Errorf("subject\n%q, want\n%q", m.Subject, want)
	}
	for _, want := range []string{
		"\nFailing now: 0 (",
		"\nThis run: 1 new (1 not visible in this report), 0 changed, 0 resolved, 0 gone, 0 still failing.\n",
		"\nNEW OR CHANGED (1)\n  [MEDIUM]        USER-01  bob: console password enabled and MFA not active (not visible in this report; last seen " +
			seen.Format(time.DateOnly) + ")\n",
		"  ! 1 result could not be decided from the report (NOT_AVAILABLE, listed under NOT DECIDED); any finding it covers is kept as it was.\n",
		// Why it could not be decided, which the count alone did not say.
		"\nNOT DECIDED (1)\n  [MEDIUM]        USER-01  bob: mfa_active is N/A\n",
	} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("digest lacks %q:\n%s", want, m.Body)
		}
	}
	if m.Severity != "MEDIUM" {
		t.Errorf("severity attribute %q, want MEDIUM: the finding is news", m.Severity)
	}

	// The organisation digest lists it so too, from the account's summary.
	out := &Outcome{AccountID: sampleAccount, Observation: &Observation{Report: &credreport.Report{}}, Counts: c, Changes: changes}
	s := Summarize(out)
	notVisible := "(not visible in this report; last seen " + seen.Format(time.DateOnly) + ")"
	if len(s.TopNew) != 1 || s.TopNew[0].Note != notVisible || s.TopNew[0].Reason != "console password enabled and MFA not active" {
		t.Errorf("summary's new findings %+v, want bob's, noted %q", s.TopNew, notVisible)
	}
	org := OrgDigest([]AccountRun{{AccountID: sampleAccount, Summary: s}}, "all", generatedAt)
	if want := "  [MEDIUM]        USER-01  bob: console password enabled and MFA not active " + notVisible + "\n"; !strings.Contains(org.Body, want) {
		t.Errorf("organisation digest lacks %q:\n%s", want, org.Body)
	}
}

// Each result not decided is a NOT DECIDED line with its reason, one a
// suppression covers marked so; decided results are not listed.
func TestUndecidedLinesSayWhy(t *testing.T) {
	bob := &credreport.Entry{User: "bob", ARN: "arn:aws:iam::123456789012:user/bob"}
	results := []rules.Result{
		{Rule: &rules.User01, Entry: bob, Status: rules.NotAvailable, Reason: "password_enabled is N/A"},
		{Rule: &rules.User02, Entry: bob, Status: rules.Failed, Reason: "MFA is not active"},
		{Rule: &rules.Key03, Entry: bob, Status: rules.NotAvailable, Reason: "access_key_1_active is N/A",
			Suppression: &rules.Suppression{RuleID: "KEY-03", User: "bob", Reason: "legacy"}},
		{Rule: &rules.Root01, Status: rules.Passed, Reason: "root has no active access key"},
	}
	want := []line{
		{sev: rules.Medium, rule: "USER-01", user: "bob", text: "password_enabled is N/A"},
		{sev: rules.Medium, rule: "KEY-03", user: "bob", text: "access_key_1_active is N/A", note: "(suppressed)"},
	}
	if got := undecided(results); !slices.Equal(got, want) {
		t.Errorf("undecided = %+v, want %+v", got, want)
	}
}

// A removal whose digest SNS refused (the user gone, or the rule no longer
// run) is listed by the next run that cannot see the finding as no longer
// evaluated, marked as seen by the run whose digest did not report it.
func TestUnreportedGoneListedUnseen(t *testing.T) {
	bob := "arn:aws:iam::123456789012:user/bob"
	seen := generatedAt.Add(-24 * time.Hour)
	prev := finding.Record{ID: "credaudit/123456789012/USER-01/" + bob, RuleID: "USER-01", User: "bob", Severity: "MEDIUM", Status: rules.Failed,
		Reason: "console password enabled and MFA not active", Unreported: finding.Gone.String(), UnreportedAt: seen}
	rec := prev
	rec.Archived = true
	changes := []finding.Change{{Kind: finding.Gone, Unavailable: true, Prev: &prev, Record: rec}}
	c := count(nil, changes)
	m := renderDigest(digestInput{Account: sampleAccount, Partition: "aws", Profile: "all", GeneratedAt: generatedAt,
		AsOf: generatedAt, Now: generatedAt, Counts: c, Changes: changes})
	want := "USER-01  bob: no longer evaluated (seen " + seen.Format(time.DateOnly) + " by a run whose digest did not report it; not visible in this report)\n"
	if !strings.Contains(m.Body, want) {
		t.Errorf("digest lacks %q:\n%s", want, m.Body)
	}
}

// A resolution whose digest SNS refused is reported by the next run even
// when that run cannot see the finding: as the failed run saw it, marked,
// and archived in Security Hub, not re-opened.
func TestUnreportedResolutionReportedUnseen(t *testing.T) {
	r := newRig(t, "")
	if _, err := r.a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	fixed := bytes.Replace(r.iam.report, mfaOff, mfaOn, 1)
	if bytes.Equal(fixed, r.iam.report) {
		t.Fatal("the sample report changed: bob's MFA cells not found")
	}
	r.iam.report = fixed
	r.on(1)
	r.sns.err = errors.New("SNS refused the digest")
	if _, err := r.a.Run(context.Background()); err == nil {
		t.Fatal("the run whose digest was refused succeeded")
	}
	r.sns.err = nil
	r.iam.report = bytes.Replace(fixed, mfaOn, bytes.Replace(mfaOn, []byte("true"), []byte("no_information"), 1), 1)
	r.on(2)
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := "bob: MFA is active (seen " + generatedAt.Add(24*time.Hour).Format(time.DateOnly) + " by a run whose digest did not report it; not visible in this report)\n"
	if !strings.Contains(out.Digest.Body, want) {
		t.Errorf("digest lacks %q:\n%s", want, out.Digest.Body)
	}
	archived := 0
	for id, f := range r.hub.findings {
		if strings.HasSuffix(id, "user/bob") && (strings.Contains(id, "/USER-01/") || strings.Contains(id, "/USER-02/")) {
			if f.RecordState != "ARCHIVED" {
				t.Errorf("%s is %s in Security Hub; want it archived", id, f.RecordState)
			}
			archived++
		}
	}
	if archived == 0 {
		t.Errorf("Security Hub holds no MFA finding of bob's")
	}
	// Reported once: the run after, still unable to see it, says nothing.
	r.on(3)
	again, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(again.Digest.Body, "by a run whose digest did not report it") || again.Counts.Resolved != 0 {
		t.Errorf("the run after reports the resolution again (%d resolved):\n%s", again.Counts.Resolved, again.Digest.Body)
	}
}

// Every digest line's rule ID starts in the same column, whatever its
// severity: [INFORMATIONAL], the longest, included.
func TestDigestLinesAlign(t *testing.T) {
	var lines []line
	for _, sev := range []rules.Severity{rules.Critical, rules.High, rules.Medium, rules.Low, rules.Informational} {
		lines = append(lines, line{sev: sev, rule: "USER-05", user: "frank", text: "no enabled credential"})
	}
	var b strings.Builder
	writeLines(&b, "  ", lines, sectionCap)
	got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	for _, l := range got {
		if i := strings.Index(l, "USER-05"); i != strings.Index(got[0], "USER-05") {
			t.Errorf("rule ID at column %d:\n%s", i, b.String())
		}
	}
}

// Findings Security Hub refused as malformed are refused on every run: the
// digest says so, and whose fault it is, instead of that the next run sends
// them again; a refusal that may clear keeps that promise.
func TestHubAttentionSaysWhenRefusalsRepeat(t *testing.T) {
	malformed := &publish.FailedFindingsError{Op: "BatchImportFindings", Findings: []publish.FailedFinding{{ID: "a", Code: "InvalidInput"}, {ID: "b", Code: publish.CodeTooLarge}}}
	mixed := &publish.FailedFindingsError{Op: "BatchImportFindings", Findings: []publish.FailedFinding{{ID: "a", Code: "InvalidInput"}, {ID: "b", Code: "InternalException"}}}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{malformed, "Security Hub refused them as malformed, and will on every run: that is a fault of credaudit's"},
		{mixed, "the next run sends them again"},
	} {
		got := hubAttention(HubReport{Region: "eu-west-1", Failed: 2, Err: tc.err})
		if !strings.Contains(got, "2 findings could not be published; "+tc.want) {
			t.Errorf("%v:\n%s\nwant it to say %q", tc.err, got, tc.want)
		}
	}
	if (&publish.FailedFindingsError{}).Malformed() {
		t.Error("no failed finding is malformed")
	}
}
