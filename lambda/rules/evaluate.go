package rules

import (
	"fmt"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
)

// Resource types, as ASFF names them.
const (
	ResourceAccount = "AwsAccount"
	ResourceIAMUser = "AwsIamUser"
)

// Result is one rule's verdict on one resource. It is kept small (a large
// account yields some 100,000 per run): user name, ARN and resource type come
// from the row.
type Result struct {
	Rule       *Rule
	Entry      *credreport.Entry // the row; root's row for account resources
	ResourceID string            // AWS::::Account:<id> or the user's ARN
	Status     Status
	Reason     string

	// Suppression is the suppression that mutes this failing result, or nil.
	Suppression *Suppression
}

// Suppressed reports whether a suppression mutes the result.
func (r *Result) Suppressed() bool { return r.Suppression != nil }

// SuppressionReason is the muting suppression's reason, or "".
func (r *Result) SuppressionReason() string {
	if r.Suppression == nil {
		return ""
	}
	return r.Suppression.Reason
}

// User is the report's user name ("<root_account>" for root).
func (r *Result) User() string { return r.Entry.User }

// ARN is the row's ARN (arn:…:root for root).
func (r *Result) ARN() string { return r.Entry.ARN }

// ResourceType is ResourceAccount for root, ResourceIAMUser otherwise.
func (r *Result) ResourceType() string {
	if r.Entry.IsRoot() {
		return ResourceAccount
	}
	return ResourceIAMUser
}

// Selected is a rule chosen for a run with its thresholds resolved.
type Selected struct {
	Rule       *Rule
	Thresholds Values
}

// Select pairs a rule with its default thresholds overridden by set.
func Select(r *Rule, set map[string]int) Selected {
	th := make(Values, len(r.Thresholds))
	for i, t := range r.Thresholds {
		th[i] = Value{Name: t.Name, Value: t.Default}
		if v, ok := set[t.Name]; ok {
			th[i].Value = v
		}
	}
	return Selected{Rule: r, Thresholds: th}
}

// Input is what a run evaluates.
type Input struct {
	Report  *credreport.Report
	AsOf    time.Time
	Account *Account // nil when only the report is known
}

// Evaluate runs the selected rules over the report: exactly one result per
// (rule, resource) it covers, in rule order then report order. Only a custom
// rule whose expression fails at run time returns an error.
func Evaluate(in Input, selected []Selected) ([]Result, error) {
	rep := in.Report
	accountID := AccountResourceID(rep.AccountID)
	n := 0
	for _, s := range selected {
		if s.Rule.Scope == ScopeRoot {
			n++
		} else {
			n += len(rep.Entries)
		}
	}
	results := make([]Result, 0, n)
	reasons := new(reasonBlocks) // shared by every rule of this run (see Env.text)
	for _, s := range selected {
		env := Env{AsOf: in.AsOf, AccountID: rep.AccountID, Account: in.Account, Thresholds: s.Thresholds, reasons: reasons}
		var rows []*credreport.Entry
		switch s.Rule.Scope {
		case ScopeRoot:
			if rep.Root == nil {
				missing := &credreport.Entry{User: credreport.RootUser, ARN: "arn:" + rep.Partition + ":iam::" + rep.AccountID + ":root"}
				results = append(results, Result{Rule: s.Rule, Entry: missing, ResourceID: accountID,
					Status: NotAvailable, Reason: "the report has no root-account row"})
				continue
			}
			rows = []*credreport.Entry{rep.Root}
		case ScopeUsers:
			rows = rep.Users
		case ScopeRows:
			rows = rep.Entries
		}
		for _, e := range rows {
			if s.Rule.Scope == ScopeRows {
				ok, err := s.Rule.Applies(e, env)
				if err != nil {
					return nil, fmt.Errorf("rule %s: %w", s.Rule.ID, err)
				}
				if !ok {
					continue
				}
			}
			v, err := s.Rule.Evaluate(e, env)
			if err != nil {
				return nil, fmt.Errorf("rule %s: %w", s.Rule.ID, err)
			}
			id := e.ARN
			if e.IsRoot() {
				id = accountID
			}
			results = append(results, Result{Rule: s.Rule, Entry: e, ResourceID: id, Status: v.Status, Reason: v.Reason})
		}
	}
	return results, nil
}

// AccountResourceID is how Security Hub names an account as a resource.
func AccountResourceID(accountID string) string { return "AWS::::Account:" + accountID }
