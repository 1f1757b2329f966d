package org

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/credreport"
)

// fakeOrg is an organisation: root r-root, OU ou-root-aaaaaaaa (eng) with
// a nested OU ou-root-bbbbbbbb (prod), and ou-root-cccccccc (sandbox).
// It pages ListAccounts two accounts at a time, with one empty page, as
// Organizations may.
type fakeOrg struct {
	accounts []types.Account
	parent   map[string]string
	calls    map[string]int
	// failParents is a child whose ListParents fails, not as not found.
	failParents string
}

func newFakeOrg() *fakeOrg {
	acct := func(id, name string, state types.AccountState) types.Account {
		return types.Account{Id: aws.String(id), Name: aws.String(name), State: state,
			Arn: aws.String("arn:aws-us-gov:organizations::111111111111:account/o-abc/" + id)}
	}
	return &fakeOrg{
		accounts: []types.Account{
			acct("111111111111", "management", types.AccountStateActive),
			acct("222222222222", "eng-dev", types.AccountStateActive),
			acct("333333333333", "eng-prod", types.AccountStateActive),
			acct("444444444444", "sandbox", types.AccountStateActive),
			acct("555555555555", "closed", types.AccountStateClosed),
			acct("666666666666", "suspended", types.AccountStateSuspended),
		},
		parent: map[string]string{
			"111111111111": "r-root", "222222222222": "ou-root-aaaaaaaa", "333333333333": "ou-root-bbbbbbbb",
			"444444444444": "ou-root-cccccccc", "555555555555": "r-root", "666666666666": "r-root",
			"ou-root-aaaaaaaa": "r-root", "ou-root-bbbbbbbb": "ou-root-aaaaaaaa", "ou-root-cccccccc": "r-root",
			"ou-root-dddddddd": "r-root", // empty
		},
		calls: map[string]int{},
	}
}

func (f *fakeOrg) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	f.calls["ListAccounts"]++
	start := 0
	if in.NextToken != nil {
		start, _ = strconv.Atoi(*in.NextToken)
	}
	if start == 2 && f.calls["ListAccounts"] == 2 {
		return &organizations.ListAccountsOutput{NextToken: aws.String("2")}, nil // an empty page, more to come
	}
	end := min(start+2, len(f.accounts))
	out := &organizations.ListAccountsOutput{Accounts: f.accounts[start:end]}
	if end < len(f.accounts) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func (f *fakeOrg) ListParents(_ context.Context, in *organizations.ListParentsInput, _ ...func(*organizations.Options)) (*organizations.ListParentsOutput, error) {
	f.calls["ListParents"]++
	if *in.ChildId == f.failParents {
		return nil, errors.New("throttled")
	}
	p, ok := f.parent[*in.ChildId]
	if !ok {
		return nil, &types.ChildNotFoundException{Message: aws.String("no child " + *in.ChildId)}
	}
	typ := types.ParentTypeOrganizationalUnit
	if strings.HasPrefix(p, "r-") {
		typ = types.ParentTypeRoot
	}
	return &organizations.ListParentsOutput{Parents: []types.Parent{{Id: aws.String(p), Type: typ}}}, nil
}

func ids(accts []Account) []string {
	var out []string
	for _, a := range accts {
		out = append(out, a.ID)
	}
	return out
}

func TestList(t *testing.T) {
	for _, tc := range []struct {
		name    string
		filter  Filter
		want    []string
		missing []Missing
	}{
		{"no filter lists every active account across pages", Filter{}, []string{"111111111111", "222222222222", "333333333333", "444444444444"}, nil},
		{"included accounts only; one closed is missing, with its state", Filter{IncludeAccounts: []string{"222222222222", "555555555555"}}, []string{"222222222222"},
			[]Missing{{ID: "555555555555", Name: "closed", Reason: "included, but its state is CLOSED, not ACTIVE"}}},
		{"an included account not in the organisation is missing", Filter{IncludeAccounts: []string{"999999999999", "222222222222", "666666666666", "999999999999"}}, []string{"222222222222"},
			[]Missing{{ID: "999999999999", Reason: "included, but not an account of the organisation"},
				{ID: "666666666666", Name: "suspended", Reason: "included, but its state is SUSPENDED, not ACTIVE"}}},
		{"an included account also excluded is not missing", Filter{IncludeAccounts: []string{"222222222222", "555555555555", "999999999999"}, ExcludeAccounts: []string{"555555555555", "999999999999"}},
			[]string{"222222222222"}, nil},
		{"excluded accounts are left out", Filter{ExcludeAccounts: []string{"111111111111"}}, []string{"222222222222", "333333333333", "444444444444"}, nil},
		{"an OU includes accounts in nested OUs", Filter{IncludeOUs: []string{"ou-root-aaaaaaaa"}}, []string{"222222222222", "333333333333"}, nil},
		{"an excluded nested OU wins over its included parent", Filter{IncludeOUs: []string{"ou-root-aaaaaaaa"}, ExcludeOUs: []string{"ou-root-bbbbbbbb"}}, []string{"222222222222"}, nil},
		{"an included account adds to an included OU", Filter{IncludeOUs: []string{"ou-root-cccccccc"}, IncludeAccounts: []string{"111111111111"}}, []string{"111111111111", "444444444444"}, nil},
		{"an excluded account wins over its included OU", Filter{IncludeOUs: []string{"r-root"}, ExcludeAccounts: []string{"333333333333"}}, []string{"111111111111", "222222222222", "444444444444"}, nil},
		{"excluding an OU alone keeps the rest", Filter{ExcludeOUs: []string{"ou-root-aaaaaaaa"}}, []string{"111111111111", "444444444444"}, nil},
		{"an included OU not in the organisation is missing", Filter{IncludeOUs: []string{"ou-root-cccccccc", "ou-root-zzzzzzzz"}}, []string{"444444444444"},
			[]Missing{{ID: "ou-root-zzzzzzzz", Reason: "an included OU, not found in the organisation"}}},
		{"an included OU without an active account is not missing", Filter{IncludeOUs: []string{"ou-root-cccccccc", "ou-root-dddddddd"}}, []string{"444444444444"}, nil},
		{"an included root not the organisation's is missing", Filter{IncludeOUs: []string{"r-other"}, IncludeAccounts: []string{"111111111111"}}, []string{"111111111111"},
			[]Missing{{ID: "r-other", Reason: "an included root, not the organisation's (r-root)"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, missing, err := List(context.Background(), newFakeOrg(), tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
				t.Errorf("accounts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.missing, missing); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
		})
	}
}

// An included OU whose existence cannot be asked is an error, as any
// failure to read the organisation's tree is.
func TestListMissingOUError(t *testing.T) {
	f := newFakeOrg()
	f.failParents = "ou-root-zzzzzzzz"
	_, _, err := List(context.Background(), f, Filter{IncludeOUs: []string{"ou-root-zzzzzzzz"}})
	if err == nil || !strings.Contains(err.Error(), "organizations:ListParents of ou-root-zzzzzzzz") {
		t.Errorf("err = %v, want the failing ListParents named", err)
	}
}

// An account listed twice (on two pages) is audited once: twice, its two
// audits would race for its state and Security Hub, and the organisation
// run would count it twice.
func TestListNamesAnAccountOnce(t *testing.T) {
	f := newFakeOrg()
	f.accounts = append(f.accounts, f.accounts[1], f.accounts[0])
	got, _, err := List(context.Background(), f, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"111111111111", "222222222222", "333333333333", "444444444444"}, ids(got)); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
}

func TestListReadsNamesPartitionsAndCachesAncestry(t *testing.T) {
	f := newFakeOrg()
	got, _, err := List(context.Background(), f, Filter{ExcludeOUs: []string{"ou-root-cccccccc"}})
	if err != nil {
		t.Fatal(err)
	}
	if got[1] != (Account{ID: "222222222222", Name: "eng-dev", Partition: "aws-us-gov"}) {
		t.Errorf("account = %+v", got[1])
	}
	// One call per active account (4) and one per OU above them (3: aaaa,
	// bbbb, cccc); the root has no parent to ask for.
	if f.calls["ListParents"] != 7 {
		t.Errorf("ListParents called %d times, want 7", f.calls["ListParents"])
	}
	f = newFakeOrg()
	if _, _, err := List(context.Background(), f, Filter{}); err != nil {
		t.Fatal(err)
	}
	if f.calls["ListParents"] != 0 {
		t.Errorf("without an OU filter ListParents was called %d times", f.calls["ListParents"])
	}
}

func TestListErrors(t *testing.T) {
	_, _, err := List(context.Background(), newFakeOrg(), Filter{IncludeAccounts: []string{"12345"}, ExcludeOUs: []string{"sandbox"}})
	if err == nil || !strings.Contains(err.Error(), `"12345" is not a 12-digit account ID`) || !strings.Contains(err.Error(), `"sandbox" is not an organisational unit ID`) {
		t.Errorf("err = %v, want both bad IDs named", err)
	}
	f := newFakeOrg()
	delete(f.parent, "ou-root-bbbbbbbb")
	_, _, err = List(context.Background(), f, Filter{IncludeOUs: []string{"ou-root-aaaaaaaa"}})
	if err == nil || !strings.Contains(err.Error(), "organizations:ListParents of ou-root-bbbbbbbb") {
		t.Errorf("err = %v, want the failing ListParents named", err)
	}
}

func outcome(acct string) *audit.Outcome {
	return &audit.Outcome{AccountID: acct, Observation: &audit.Observation{Report: &credreport.Report{AccountID: acct}}}
}

func TestRunBoundsConcurrencyAndCollectsErrors(t *testing.T) {
	var accounts []Account
	for i := range 20 {
		accounts = append(accounts, Account{ID: fmt.Sprintf("%012d", i+1)})
	}
	var (
		running, peak atomic.Int32
		gate          = make(chan struct{})
		once          sync.Once
	)
	run := func(_ context.Context, a Account) (*audit.Outcome, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if n == 3 {
			once.Do(func() { close(gate) })
		}
		<-gate // hold the first three until all three run at once
		switch a.ID {
		case "000000000004":
			return nil, &audit.Failure{Phase: "acquire", Err: errors.New("AccessDenied"), Hint: "grant it"}
		case "000000000007":
			return outcome(a.ID), errors.New("security hub: throttled")
		}
		return outcome(a.ID), nil
	}
	var last Progress
	calls := 0
	got := Run(context.Background(), accounts, 3, run, func(p Progress) { calls++; last = p })
	if peak.Load() != 3 {
		t.Errorf("peak concurrency %d, want 3", peak.Load())
	}
	if calls != 20 || last != (Progress{Done: 20, Failed: 2, Total: 20}) {
		t.Errorf("progress called %d times, last %+v", calls, last)
	}
	for i, r := range got {
		if r.AccountID != accounts[i].ID {
			t.Fatalf("result %d is of %s, want %s", i, r.AccountID, accounts[i].ID)
		}
	}
	if r := got[3]; r.Summary != nil || r.Error != "acquire: AccessDenied (grant it)" {
		t.Errorf("failed account: %+v", r)
	}
	if r := got[6]; r.Summary == nil || r.Error != "security hub: throttled" {
		t.Errorf("partly failed account: %+v", r)
	}
	if r := got[0]; r.Summary == nil || r.Summary.AccountID != "000000000001" || r.Failed() {
		t.Errorf("audited account: %+v", r)
	}
}

// An account's failure reads as its alert does: the phase once, though a
// state store's own errors begin with it, then what to check.
func TestDescribeNamesThePhaseOnce(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&audit.Failure{Phase: audit.PhaseAcquire, Err: errors.New("AccessDenied"), Hint: "grant it"}, "acquire: AccessDenied (grant it)"},
		{&audit.Failure{Phase: audit.PhaseLoadState, Err: errors.New("load state s3://b/k: AccessDenied"), Hint: "grant s3:GetObject"},
			"load state s3://b/k: AccessDenied (grant s3:GetObject)"},
		{fmt.Errorf("account 1: %w", &audit.Failure{Phase: audit.PhaseParse, Err: errors.New("line 3")}), "parse: line 3"},
		{errors.New("security hub: throttled"), "security hub: throttled"},
	} {
		if got := Describe(tc.err); got != tc.want {
			t.Errorf("Describe(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestRunAfterCancelAuditsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := Run(ctx, []Account{{ID: "111111111111"}}, 10, func(context.Context, Account) (*audit.Outcome, error) {
		t.Error("audit called after cancel")
		return nil, nil
	}, nil)
	if !got[0].Failed() || !strings.Contains(got[0].Error, "context canceled") {
		t.Errorf("got %+v", got[0])
	}
}

func TestRoleARN(t *testing.T) {
	if got := RoleARN("aws-cn", "222222222222", DefaultMemberRole); got != "arn:aws-cn:iam::222222222222:role/credaudit-member" {
		t.Errorf("RoleARN = %s", got)
	}
}

// What the filters include that a run cannot audit reads, in one line, as
// each ID and why; reported as a run, as an account not audited.
func TestMissingTextAndRuns(t *testing.T) {
	missing := []Missing{{ID: "999999999999", Reason: "included, but not an account of the organisation"}, {ID: "ou-zz99-x", Reason: "an included OU, not found in the organisation"}}
	if got, want := MissingText(missing), "999999999999 included, but not an account of the organisation; ou-zz99-x an included OU, not found in the organisation"; got != want {
		t.Errorf("MissingText = %q, want %q", got, want)
	}
	if runs := Runs(missing); len(runs) != 2 || runs[1].AccountID != "ou-zz99-x" || runs[1].Error != "not audited: an included OU, not found in the organisation" || runs[1].Summary != nil {
		t.Errorf("Runs = %+v", runs)
	}
}
