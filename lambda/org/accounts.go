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
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

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

// SplitList splits a comma-separated list, trimming items and dropping
// blanks: how the CLI's flags and the function's settings write a Filter's
// lists (and query's --columns its columns).
func SplitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (f Filter) byOU() bool { return len(f.IncludeOUs)+len(f.ExcludeOUs) > 0 }

// List returns the organisation's ACTIVE accounts that f selects, in the
// order Organizations lists them, each once (pages that repeat an account
// would otherwise have it audited twice at once, and counted twice). With
// an OU filter it reads each account's ancestry with ListParents: one call
// per account and one per distinct OU above them.
func List(ctx context.Context, client API, f Filter) ([]Account, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	var out []Account
	listed := map[string]bool{}
	anc := ancestry{client: client, parent: map[string]string{}}
	pages := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("organizations:ListAccounts: %w", err)
		}
		for _, a := range page.Accounts {
			id := aws.ToString(a.Id)
			if !active(a) || slices.Contains(f.ExcludeAccounts, id) || listed[id] {
				continue
			}
			in := len(f.IncludeAccounts) == 0 && len(f.IncludeOUs) == 0 || slices.Contains(f.IncludeAccounts, id)
			if f.byOU() {
				ous, err := anc.of(ctx, id)
				if err != nil {
					return nil, err
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
	return out, nil
}

// active reports whether a can be audited. State replaces the retired
// Status; an account listed without State is judged by Status.
func active(a types.Account) bool {
	if a.State != "" {
		return a.State == types.AccountStateActive
	}
	return a.Status == types.AccountStatusActive
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
