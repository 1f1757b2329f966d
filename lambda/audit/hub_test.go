package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/rules"
)

// The archive of a custom rule since removed is sent from its record. A
// record kept without a title (before titles were) still makes a finding
// Security Hub takes, named by the rule's ID; one with a title keeps it.
func TestResultOfARemovedCustomRule(t *testing.T) {
	const acct = "123456789012"
	arn := "arn:aws:iam::" + acct + ":user/bob"
	at := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ title, want string }{
		{"", "credaudit rule ORG-09, no longer configured"},
		{"Service users have no console password", "Service users have no console password"},
	} {
		rec := finding.Record{
			ID: finding.ID(acct, "ORG-09", arn), RuleID: "ORG-09", Title: tc.title, ResourceID: arn,
			ResourceType: rules.ResourceIAMUser, User: "bob", Severity: "HIGH", Status: rules.Failed, Reason: "bob has a console password",
			FirstObservedAt: at, LastObservedAt: at, UpdatedAt: at.Add(time.Hour),
		}
		r := resultOf(&rec, "aws", acct, nil)
		if r.Rule.Title != tc.want || r.Rule.Severity != rules.High {
			t.Errorf("title %q: rule %q, %s; want %q, HIGH", tc.title, r.Rule.Title, r.Rule.Severity, tc.want)
		}
		f, err := publish.ASFF(publish.Finding{
			Result: r, ID: rec.ID, AccountID: acct, Partition: "aws", Region: "eu-west-1",
			FirstObservedAt: rec.FirstObservedAt, LastObservedAt: rec.LastObservedAt, UpdatedAt: rec.UpdatedAt,
		})
		if err != nil {
			t.Fatalf("title %q: %v", tc.title, err)
		}
		if got := *f.Title; !strings.Contains(got, tc.want) {
			t.Errorf("title %q: the finding's title is %q", tc.title, got)
		}
	}
}
