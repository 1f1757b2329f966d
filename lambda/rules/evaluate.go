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
//
// Rules over users are evaluated row by row rather than rule by rule, each
// result written straight to its place: a row is read from memory once for
// all of them instead of once per rule.
func Evaluate(in Input, selected []Selected) ([]Result, error) {
	rep := in.Report
	accountID := AccountResourceID(rep.AccountID)
	reasons := new(reasonBlocks)
	envs := make([]Env, len(selected))
	// Custom rules cover the rows their filter selects, which is known only
	// once they have run: they run first, into slices of their own.
	rowResults := make([][]Result, len(selected))
	for i, s := range selected {
		envs[i] = Env{AsOf: in.AsOf, AccountID: rep.AccountID, Account: in.Account, Thresholds: s.Thresholds, reasons: reasons}
		if s.Rule.Scope == ScopeRows {
			var err error
			if rowResults[i], err = evaluateRows(s.Rule, envs[i], rep.Entries, accountID); err != nil {
				return nil, err
			}
		}
	}
	// Where each rule's results start.
	starts := make([]int, len(selected))
	n := 0
	var userRules []int
	for i, s := range selected {
		starts[i] = n
		switch s.Rule.Scope {
		case ScopeRoot:
			n++
		case ScopeUsers:
			n += len(rep.Users)
			userRules = append(userRules, i)
		case ScopeRows:
			n += len(rowResults[i])
		}
	}
	results := make([]Result, n)
	for i, s := range selected {
		switch s.Rule.Scope {
		case ScopeRoot:
			r := &results[starts[i]]
			if rep.Root == nil {
				missing := &credreport.Entry{User: credreport.RootUser, ARN: "arn:" + rep.Partition + ":iam::" + rep.AccountID + ":root"}
				*r = Result{Rule: s.Rule, Entry: missing, ResourceID: accountID, Status: NotAvailable, Reason: "the report has no root-account row"}
				continue
			}
			v, err := s.Rule.Evaluate(rep.Root, envs[i])
			if err != nil {
				return nil, fmt.Errorf("rule %s: %w", s.Rule.ID, err)
			}
			*r = Result{Rule: s.Rule, Entry: rep.Root, ResourceID: resourceID(rep.Root, accountID), Status: v.Status, Reason: v.Reason}
		case ScopeRows:
			copy(results[starts[i]:], rowResults[i])
		}
	}
	for j, e := range rep.Users {
		id := resourceID(e, accountID)
		for _, i := range userRules {
			v, err := selected[i].Rule.Evaluate(e, envs[i])
			if err != nil {
				return nil, fmt.Errorf("rule %s: %w", selected[i].Rule.ID, err)
			}
			r := &results[starts[i]+j]
			r.Rule, r.Entry, r.ResourceID, r.Status, r.Reason = selected[i].Rule, e, id, v.Status, v.Reason
		}
	}
	return results, nil
}

// evaluateRows runs a custom rule over the rows its filter selects.
func evaluateRows(rule *Rule, env Env, rows []*credreport.Entry, accountID string) ([]Result, error) {
	var results []Result
	for _, e := range rows {
		ok, err := rule.Applies(e, env)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", rule.ID, err)
		}
		if !ok {
			continue
		}
		v, err := rule.Evaluate(e, env)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", rule.ID, err)
		}
		results = append(results, Result{Rule: rule, Entry: e, ResourceID: resourceID(e, accountID), Status: v.Status, Reason: v.Reason})
	}
	return results, nil
}

// resourceID is the account for the root row, else the row's ARN.
func resourceID(e *credreport.Entry, accountID string) string {
	if e.IsRoot() {
		return accountID
	}
	return e.ARN
}

// AccountResourceID is how Security Hub names an account as a resource.
func AccountResourceID(accountID string) string { return "AWS::::Account:" + accountID }
