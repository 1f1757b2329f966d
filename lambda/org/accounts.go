// Package org audits every account of an AWS Organization from one place:
// it lists the organisation's active accounts, keeps those the filter
// selects, and runs each account's audit through a role in that account,
// a bounded number at a time, collecting each account's outcome or error
// without letting one failure stop the others.
//
// The management account (or a delegated administrator) lists the
// accounts; each member's report is read and its findings imported with
// that member's credentials, since Security Hub accepts custom findings
// only from the account they belong to.
package org

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/internal/lazyre"
)

// API is what listing calls in Organizations.
type API interface {
	organizations.ListAccountsAPIClient
	organizations.ListParentsAPIClient
}

// Account is an active account of the organisation.
type Account struct {
	ID   string
	Name string
	// Partition is the account's partition ("aws", "aws-cn", …), from its
	// Organizations ARN.
	Partition string
}

// Filter selects accounts. An empty include list includes every account;
// an exclusion wins over an inclusion.
type Filter struct {
	IncludeAccounts, ExcludeAccounts []string
	// IncludeOUs and ExcludeOUs are organisational unit IDs (ou-…) or the
	// root ID (r-…); an account in an OU nested anywhere below one counts.
	IncludeOUs, ExcludeOUs []string
}

var ouIDPattern = lazyre.New(`^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$`)

// Check names every malformed ID in f.
func (f Filter) Check() error {
	var bad []string
	for _, id := range slices.Concat(f.IncludeAccounts, f.ExcludeAccounts) {
		if !credreport.IsAccountID(id) {
			bad = append(bad, fmt.Sprintf("%q is not a 12-digit account ID", id))
		}
	}
	for _, id := range slices.Concat(f.IncludeOUs, f.ExcludeOUs) {
		if !ouIDPattern().MatchString(id) {
			bad = append(bad, fmt.Sprintf("%q is not an organisational unit ID (ou-…) or root ID (r-…)", id))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("account filter: %s", strings.Join(bad, "; "))
	}
	return nil
}

// SplitList splits a comma-separated list, trimming items: how the CLI's
// flags and the function's settings write a Filter's lists (and query's
// --columns and --sort their columns). A list of blanks only (" , ") is no
// list, which callers refuse as naming nothing; an empty item among others
// ("a,,b", "a,") is an error: most often a shell variable that expanded to
// nothing, whose item the list would otherwise lose without a word (an
// include list auditing fewer accounts).
func SplitList(s string) ([]string, error) {
	if strings.TrimSpace(strings.ReplaceAll(s, ",", "")) == "" {
		return nil, nil
	}
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			return nil, fmt.Errorf("item %d of %d is empty", len(out)+1, strings.Count(s, ",")+1)
		}
		out = append(out, p)
	}
	return out, nil
}

func (f Filter) byOU() bool { return len(f.IncludeOUs)+len(f.ExcludeOUs) > 0 }

// Missing is an account or OU that the filter includes by its ID but List
// cannot list: an account not in the organisation or not ACTIVE, an OU or
// root not found. An organisation run reports each as not audited, with
// Reason, as it reports an account whose audit failed: else a filter that
// names what is not there would audit fewer accounts and read as an
// all-clear.
type Missing struct {
	ID string `json:"id"`
	// Name is the account's name, when the organisation lists it.
	Name   string `json:"name,omitempty"`
	Reason string `json:"reason"`
}

// Runs is each of missing as an organisation run reports it: an account
// that failed, not audited.
func Runs(missing []Missing) []audit.AccountRun {
	runs := make([]audit.AccountRun, len(missing))
	for i, m := range missing {
		runs[i] = audit.AccountRun{AccountID: m.ID, Name: m.Name, Error: "not audited: " + m.Reason}
	}
	return runs
}

// MissingText says what of the filters' inclusions a run cannot audit, and
// why, in one line.
func MissingText(missing []Missing) string {
	parts := make([]string, len(missing))
	for i, m := range missing {
		parts[i] = m.ID + " " + m.Reason
	}
	return strings.Join(parts, "; ")
}

// List returns the organisation's ACTIVE accounts that f selects, in the
// order Organizations lists them, each once (pages that repeat an account
// would otherwise have it audited twice at once, and counted twice), and
// what f includes by ID that it cannot list (Missing): included accounts
// the organisation does not have or that are not ACTIVE, then included
// OUs and roots it does not have. An exclusion still wins: an account f
// both includes and excludes is not missing. With an OU filter it reads
// each account's ancestry with ListParents: one call per account and one
// per distinct OU above them, and one per included OU above none of them,
// to tell an OU without active accounts from one that does not exist.
func List(ctx context.Context, client API, f Filter) ([]Account, []Missing, error) {
	if err := f.Check(); err != nil {
		return nil, nil, err
	}
	var out []Account
	listed := map[string]bool{}
	seen := map[string]types.Account{} // every account ListAccounts lists
	above := map[string]bool{}         // the OUs and root above the accounts walked
	anc := ancestry{client: client, parent: map[string]string{}}
	pages := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("organizations:ListAccounts: %w", err)
		}
		for _, a := range page.Accounts {
			id := aws.ToString(a.Id)
			if _, ok := seen[id]; !ok || active(a) {
				seen[id] = a
			}
			if !active(a) || slices.Contains(f.ExcludeAccounts, id) || listed[id] {
				continue
			}
			in := len(f.IncludeAccounts) == 0 && len(f.IncludeOUs) == 0 || slices.Contains(f.IncludeAccounts, id)
			if f.byOU() {
				ous, err := anc.of(ctx, id)
				if err != nil {
					return nil, nil, err
				}
				for _, ou := range ous {
					above[ou] = true
				}
				if slices.ContainsFunc(ous, func(ou string) bool { return slices.Contains(f.ExcludeOUs, ou) }) {
					continue
				}
				in = in || slices.ContainsFunc(ous, func(ou string) bool { return slices.Contains(f.IncludeOUs, ou) })
			}
			if !in {
				continue
			}
			acct := Account{ID: id, Name: aws.ToString(a.Name), Partition: "aws"}
			if parsed, err := arn.Parse(aws.ToString(a.Arn)); err == nil {
				acct.Partition = parsed.Partition
			}
			listed[id] = true
			out = append(out, acct)
		}
	}
	missing, err := f.missing(ctx, client, seen, above)
	if err != nil {
		return nil, nil, err
	}
	return out, missing, nil
}

// missing is what f includes by ID that the organisation does not have to
// audit: seen is every account ListAccounts listed, above every OU and
// root above the active accounts walked for their ancestry.
func (f Filter) missing(ctx context.Context, client organizations.ListParentsAPIClient, seen map[string]types.Account, above map[string]bool) ([]Missing, error) {
	var out []Missing
	done := map[string]bool{}
	for _, id := range f.IncludeAccounts {
		if done[id] || slices.Contains(f.ExcludeAccounts, id) {
			continue
		}
		done[id] = true
		a, ok := seen[id]
		switch {
		case !ok:
			out = append(out, Missing{ID: id, Reason: "included, but not an account of the organisation"})
		case !active(a):
			out = append(out, Missing{ID: id, Name: aws.ToString(a.Name), Reason: "included, but its state is " + accountState(a) + ", not ACTIVE"})
		}
	}
	var root string
	for ou := range above {
		if strings.HasPrefix(ou, "r-") {
			root = ou
		}
	}
	for _, ou := range f.IncludeOUs {
		if done[ou] || above[ou] {
			continue
		}
		done[ou] = true
		if strings.HasPrefix(ou, "r-") {
			// Every account is below the root: one walked names it. With
			// none walked (none active and not excluded), nothing tells.
			if root != "" {
				out = append(out, Missing{ID: ou, Reason: "an included root, not the organisation's (" + root + ")"})
			}
			continue
		}
		// Above no active account: an OU without one, or none at all.
		_, err := client.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(ou)})
		_, noChild := errors.AsType[*types.ChildNotFoundException](err)
		_, noOU := errors.AsType[*types.OrganizationalUnitNotFoundException](err)
		switch {
		case noChild || noOU:
			out = append(out, Missing{ID: ou, Reason: "an included OU, not found in the organisation"})
		case err != nil:
			return nil, fmt.Errorf("organizations:ListParents of %s: %w", ou, err)
		}
	}
	return out, nil
}

// active reports whether a can be audited.
func active(a types.Account) bool { return accountState(a) == string(types.AccountStateActive) }

// accountState is a's State, which replaces the retired Status; an account
// listed without State has its Status (both say ACTIVE alike).
func accountState(a types.Account) string {
	if a.State != "" {
		return string(a.State)
	}
	return string(a.Status)
}

// ancestry walks up the organisation tree, caching each OU's parent.
type ancestry struct {
	client organizations.ListParentsAPIClient
	parent map[string]string // child ID → parent ID; "" above the root
}

// of returns the IDs of every OU above account id, up to and including
// the root.
func (a *ancestry) of(ctx context.Context, id string) ([]string, error) {
	var ous []string
	for child := id; ; {
		p, ok := a.parent[child]
		if !ok {
			out, err := a.client.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(child)})
			if err != nil {
				return nil, fmt.Errorf("organizations:ListParents of %s: %w", child, err)
			}
			if len(out.Parents) > 0 {
				p = aws.ToString(out.Parents[0].Id)
			}
			if child != id { // accounts are seen once; cache OUs only
				a.parent[child] = p
			}
		}
		if p == "" {
			return ous, nil
		}
		ous = append(ous, p)
		if strings.HasPrefix(p, "r-") {
			return ous, nil
		}
		child = p
	}
}
