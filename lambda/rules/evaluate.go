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

// Result is one rule's verdict on one resource.
type Result struct {
	Rule         *Rule
	ResourceType string // ResourceAccount or ResourceIAMUser
	ResourceID   string // AWS::::Account:<id> or the user's ARN
	User         string // the report's user name ("<root_account>" for root)
	ARN          string // the row's ARN (arn:…:root for root)
	Status       Status
	Reason       string

	Suppressed        bool
	SuppressionReason string
}

// Selected is a rule chosen for a run with its thresholds resolved.
type Selected struct {
	Rule       *Rule
	Thresholds map[string]int
}

// Select pairs a rule with its default thresholds overridden by set.
func Select(r *Rule, set map[string]int) Selected {
	th := make(map[string]int, len(r.Thresholds))
	for _, t := range r.Thresholds {
		th[t.Name] = t.Default
		if v, ok := set[t.Name]; ok {
			th[t.Name] = v
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
	results := make([]Result, 0, len(selected)*(len(rep.Users)+1))
	for _, s := range selected {
		env := Env{AsOf: in.AsOf, AccountID: rep.AccountID, Account: in.Account, Thresholds: s.Thresholds}
		switch s.Rule.Scope {
		case ScopeRoot:
			if rep.Root == nil {
				results = append(results, Result{Rule: s.Rule, ResourceType: ResourceAccount, ResourceID: AccountResourceID(rep.AccountID),
					User: credreport.RootUser, ARN: "arn:" + rep.Partition + ":iam::" + rep.AccountID + ":root", Status: NotAvailable, Reason: "The report has no root-account row."})
				continue
			}
			res, err := evaluateOne(s.Rule, rep.Root, env, rep.AccountID)
			if err != nil {
				return nil, err
			}
			results = append(results, res)
		case ScopeUsers:
			for _, u := range rep.Users {
				res, err := evaluateOne(s.Rule, u, env, rep.AccountID)
				if err != nil {
					return nil, err
				}
				results = append(results, res)
			}
		case ScopeRows:
			for _, e := range rep.Entries {
				ok, err := s.Rule.Applies(e, env)
				if err != nil {
					return nil, fmt.Errorf("rule %s: %w", s.Rule.ID, err)
				}
				if !ok {
					continue
				}
				res, err := evaluateOne(s.Rule, e, env, rep.AccountID)
				if err != nil {
					return nil, err
				}
				results = append(results, res)
			}
		}
	}
	return results, nil
}

func evaluateOne(r *Rule, e *credreport.Entry, env Env, accountID string) (Result, error) {
	v, err := r.Evaluate(e, env)
	if err != nil {
		return Result{}, fmt.Errorf("rule %s: %w", r.ID, err)
	}
	res := Result{Rule: r, ResourceType: ResourceIAMUser, ResourceID: e.ARN, User: e.User, ARN: e.ARN, Status: v.Status, Reason: v.Reason}
	if e.IsRoot() {
		res.ResourceType, res.ResourceID = ResourceAccount, AccountResourceID(accountID)
	}
	return res, nil
}

// AccountResourceID is how Security Hub names an account as a resource.
func AccountResourceID(accountID string) string { return "AWS::::Account:" + accountID }
