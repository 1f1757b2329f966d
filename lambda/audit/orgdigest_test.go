package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/internal/golden"
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

func TestOrgDigestGolden(t *testing.T) {
	m := OrgDigest(orgRuns(), "all", time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
	golden.Check(t, "digest-org.txt", message(m))
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

func TestOrgDigestLimits(t *testing.T) {
	var runs []AccountRun
	for i := range 5000 {
		runs = append(runs, AccountRun{AccountID: strings.Repeat("9", 12), Name: strings.Repeat("n", 50),
			Error: strings.Repeat("x", 400) + string(rune('a'+i%26))})
	}
	m := OrgDigest(runs, "all", time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
	if len(m.Body) > MaxBody || !strings.HasSuffix(m.Body, "... (digest truncated)\n") {
		t.Errorf("body of %d bytes (limit %d), ends %q", len(m.Body), MaxBody, m.Body[len(m.Body)-40:])
	}
	if len(m.Subject) >= 100 || m.Subject != "credaudit organisation: 5000 accounts, 5000 FAILED; 0 new, 0 resolved, 0 failing" {
		t.Errorf("subject %q (%d chars)", m.Subject, len(m.Subject))
	}
}
