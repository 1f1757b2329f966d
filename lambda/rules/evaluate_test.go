package rules

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/google/go-cmp/cmp"
)

// testReport has root (with an active access key), a console user without MFA
// and an old key, a service user and an empty user.
func testReport() *credreport.Report {
	rt := root(key(1, ago(500), ago(2)))
	alice := user("alice", password(ago(1), ago(200)), key(1, ago(200), ago(1)))
	svc := user("svc-ci", key(1, ago(10), ago(1)))
	gone := user("gone")
	gone.ARN = "arn:aws:iam::" + testAccount + ":user/old/gone"
	return &credreport.Report{
		Entries: []*credreport.Entry{rt, alice, svc, gone}, Root: rt, Users: []*credreport.Entry{alice, svc, gone},
		AccountID: testAccount, Partition: "aws",
	}
}

func selectAll(t *testing.T, profile string) []Selected {
	t.Helper()
	rules, err := Profile(profile)
	if err != nil {
		t.Fatal(err)
	}
	sel := make([]Selected, len(rules))
	for i, r := range rules {
		sel[i] = Select(r, nil)
	}
	return sel
}

func TestEvaluateOneResultPerRuleAndResource(t *testing.T) {
	rep := testReport()
	sel := selectAll(t, "all")
	res, err := Evaluate(Input{Report: rep, AsOf: testAsOf, Account: &Account{RootPasswordPresent: true, RootMFAEnabled: true}}, sel)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ rule, resource string }
	seen := map[key]bool{}
	want := 0
	for _, s := range sel {
		if s.Rule.Scope == ScopeRoot {
			want++
		} else {
			want += len(rep.Users)
		}
	}
	if len(res) != want {
		t.Errorf("got %d results, want %d (one per rule and resource)", len(res), want)
	}
	for _, r := range res {
		k := key{r.Rule.ID, r.ResourceID()}
		if seen[k] {
			t.Errorf("two results for %s on %s", k.rule, k.resource)
		}
		seen[k] = true
		if r.Status != Passed && r.Status != Failed && r.Status != NotAvailable {
			t.Errorf("%s on %s: status %q", k.rule, k.resource, r.Status)
		}
		if r.Reason == "" {
			t.Errorf("%s on %s: no reason", k.rule, k.resource)
		}
		if (r.Rule.Scope == ScopeRoot) != (r.User() == credreport.RootUser) {
			t.Errorf("%s (scope %d) gave a result for %s", k.rule, r.Rule.Scope, r.User())
		}
	}
	// Spot-check verdicts across rule families, in rule then report order.
	got := map[string]Status{}
	for _, r := range res {
		got[r.Rule.ID+" "+r.User()] = r.Status
	}
	for k, want := range map[string]Status{
		"ROOT-01 <root_account>": Failed, "ROOT-03 <root_account>": Passed, "ROOT-04 <root_account>": Failed,
		"USER-01 alice": Failed, "USER-01 svc-ci": Passed, "USER-05 gone": Failed, "KEY-01 alice": Failed, "KEY-01 svc-ci": Passed,
	} {
		if got[k] != want {
			t.Errorf("%s = %s, want %s", k, got[k], want)
		}
	}
	if res[0].Rule.ID != "ROOT-01" || res[len(res)-1].Rule.ID != "PWD-02" || res[len(res)-1].User() != "gone" {
		t.Errorf("results not in rule then report order: first %s %s, last %s %s", res[0].Rule.ID, res[0].User(), res[len(res)-1].Rule.ID, res[len(res)-1].User())
	}
}

// A large account's run holds some 100,000 results (Evaluate, the table),
// so a Result stays at 48 bytes: its resource's user, ARN, type and ID come
// from its row, its status is one byte.
func TestResultStaysSmall(t *testing.T) {
	if n := reflect.TypeFor[Result]().Size(); n > 48 {
		t.Errorf("a Result is %d bytes, want at most 48", n)
	}
}

func TestEvaluateWithoutRootRow(t *testing.T) {
	rep := testReport()
	rep.Root, rep.Entries = nil, rep.Entries[1:]
	res, err := Evaluate(Input{Report: rep, AsOf: testAsOf}, selectAll(t, "all"))
	if err != nil {
		t.Fatal(err)
	}
	roots := 0
	for _, r := range res {
		if r.Rule.Scope != ScopeRoot {
			continue
		}
		roots++
		if r.Status != NotAvailable || r.ResourceType() != ResourceAccount || r.ResourceID() != "AWS::::Account:"+testAccount {
			t.Errorf("%s without a root row = %s on %s %s, want NOT_AVAILABLE on the account", r.Rule.ID, r.Status, r.ResourceType(), r.ResourceID())
		}
	}
	if roots != 5 {
		t.Errorf("got %d root-rule results, want 5 (one per root rule)", roots)
	}
}

func TestEvaluateDoesNotChangeRules(t *testing.T) {
	before := map[string][]string{}
	for _, r := range Catalog() {
		before[r.ID] = RelatedRequirements(r)
	}
	sel := selectAll(t, "all")
	sel[len(sel)-1] = Select(&Pwd02, map[string]int{"days": 30})
	if _, err := Evaluate(Input{Report: testReport(), AsOf: testAsOf}, sel); err != nil {
		t.Fatal(err)
	}
	for _, r := range Catalog() {
		if diff := cmp.Diff(before[r.ID], RelatedRequirements(r)); diff != "" {
			t.Errorf("%s changed during a run:\n%s", r.ID, diff)
		}
	}
	if Pwd02.Thresholds[0].Default != 7 {
		t.Errorf("a configured threshold changed the rule's default to %d", Pwd02.Thresholds[0].Default)
	}
}

// A title that names a threshold's default names the configured value, on a
// copy of the rule; the catalog's rule keeps its own.
func TestSelectTitleNamesTheConfiguredThreshold(t *testing.T) {
	for _, tc := range []struct {
		rule  *Rule
		set   map[string]int
		title string
	}{
		{&Cred01, map[string]int{"days": 60}, "Credentials unused for 60 days or more are disabled"},
		{&Key01, map[string]int{"days": 1}, "Access keys are rotated every 1 day or less"},
		{&Cred03, map[string]int{"days": 30}, "Credentials are used within 30 days of being set"},
		{&Cred02, nil, "Credentials unused for 90 days or more are removed"},
		{&User04, map[string]int{"days": 30}, "IAM users with enabled credentials are not dormant"},
	} {
		before := *tc.rule
		s := Select(tc.rule, tc.set)
		if s.Rule.Title != tc.title {
			t.Errorf("%s with %v: title %q, want %q", tc.rule.ID, tc.set, s.Rule.Title, tc.title)
		}
		if tc.rule.Title != before.Title {
			t.Errorf("%s: Select changed the catalog's title to %q", tc.rule.ID, tc.rule.Title)
		}
		if copied := s.Rule != tc.rule; copied != (tc.title != before.Title) {
			t.Errorf("%s with %v: rule copied = %v, want a copy only for a new title", tc.rule.ID, tc.set, copied)
		}
	}
}

func TestSuppress(t *testing.T) {
	aliceARN := "arn:aws:iam::" + testAccount + ":user/alice"
	tests := []struct {
		name        string
		sups        []Suppression
		suppressed  map[string]string // "RULE user" → reason
		wantOutcome []SuppressionOutcome
	}{
		{
			name:        "by rule and user glob",
			sups:        []Suppression{{RuleID: "USER-01", User: "al*", Reason: "break-glass"}},
			suppressed:  map[string]string{"USER-01 alice": "break-glass"},
			wantOutcome: []SuppressionOutcome{{Suppression: Suppression{RuleID: "USER-01", User: "al*", Reason: "break-glass"}, Matched: 1}},
		},
		{
			name:        "by exact ARN",
			sups:        []Suppression{{RuleID: "KEY-01", User: aliceARN, Reason: "rotating"}},
			suppressed:  map[string]string{"KEY-01 alice": "rotating"},
			wantOutcome: []SuppressionOutcome{{Suppression: Suppression{RuleID: "KEY-01", User: aliceARN, Reason: "rotating"}, Matched: 1}},
		},
		{
			name: "every rule for one user with *",
			sups: []Suppression{{RuleID: "*", User: "gone", Reason: "being deleted"}},
			suppressed: map[string]string{
				"USER-02 gone": "being deleted", "USER-05 gone": "being deleted",
			},
			wantOutcome: []SuppressionOutcome{{Suppression: Suppression{RuleID: "*", User: "gone", Reason: "being deleted"}, Matched: 2}},
		},
		{
			name:        "root by its report name",
			sups:        []Suppression{{RuleID: "ROOT-04", User: credreport.RootUser, Reason: "billing task"}},
			suppressed:  map[string]string{"ROOT-04 <root_account>": "billing task"},
			wantOutcome: []SuppressionOutcome{{Suppression: Suppression{RuleID: "ROOT-04", User: credreport.RootUser, Reason: "billing task"}, Matched: 1}},
		},
		{
			name: "expired suppressions do nothing, expiry at the as-of time included",
			sups: []Suppression{
				{RuleID: "USER-01", User: "alice", Reason: "old", Expires: testAsOf.Add(-time.Hour)},
				{RuleID: "USER-01", User: "alice", Reason: "now", Expires: testAsOf},
				{RuleID: "USER-01", User: "alice", Reason: "later", Expires: testAsOf.Add(time.Hour)},
			},
			suppressed: map[string]string{"USER-01 alice": "later"},
			wantOutcome: []SuppressionOutcome{
				{Suppression: Suppression{RuleID: "USER-01", User: "alice", Reason: "old", Expires: testAsOf.Add(-time.Hour)}, Expired: true},
				{Suppression: Suppression{RuleID: "USER-01", User: "alice", Reason: "now", Expires: testAsOf}, Expired: true},
				{Suppression: Suppression{RuleID: "USER-01", User: "alice", Reason: "later", Expires: testAsOf.Add(time.Hour)}, Matched: 1},
			},
		},
		{
			name: "unused: matches only passing results, or nothing",
			sups: []Suppression{
				{RuleID: "USER-01", User: "svc-ci", Reason: "passes anyway"},
				{RuleID: "KEY-99", User: "*", Reason: "no such rule"},
			},
			suppressed: map[string]string{},
			wantOutcome: []SuppressionOutcome{
				{Suppression: Suppression{RuleID: "USER-01", User: "svc-ci", Reason: "passes anyway"}},
				{Suppression: Suppression{RuleID: "KEY-99", User: "*", Reason: "no such rule"}},
			},
		},
		{
			name: "the first matching suppression's reason wins; the second counts that result as shadowed",
			sups: []Suppression{
				{RuleID: "USER-01", User: "alice", Reason: "first"},
				{RuleID: "*", User: "a*", Reason: "second"},
			},
			suppressed: map[string]string{
				"USER-01 alice": "first", "USER-02 alice": "second", "USER-03 alice": "second", "KEY-01 alice": "second",
			},
			wantOutcome: []SuppressionOutcome{
				{Suppression: Suppression{RuleID: "USER-01", User: "alice", Reason: "first"}, Matched: 1},
				{Suppression: Suppression{RuleID: "*", User: "a*", Reason: "second"}, Matched: 3, Shadowed: 1},
			},
		},
		{
			name: "user names match in any case, as IAM compares them",
			sups: []Suppression{
				{RuleID: "USER-01", User: "ALICE", Reason: "upper"},
				{RuleID: "USER-02", User: "*-CI", Reason: "glob"},
			},
			suppressed: map[string]string{"USER-01 alice": "upper", "USER-02 svc-ci": "glob"},
			wantOutcome: []SuppressionOutcome{
				{Suppression: Suppression{RuleID: "USER-01", User: "ALICE", Reason: "upper"}, Matched: 1},
				{Suppression: Suppression{RuleID: "USER-02", User: "*-CI", Reason: "glob"}, Matched: 1},
			},
		},
		{
			name: "an ARN matches with the user name in any case, but not with the path in another case",
			sups: []Suppression{
				{RuleID: "KEY-01", User: "arn:aws:iam::" + testAccount + ":user/Alice", Reason: "name"},
				{RuleID: "USER-02", User: "arn:aws:iam::" + testAccount + ":user/OLD/gone", Reason: "path"},
			},
			suppressed: map[string]string{"KEY-01 alice": "name"},
			wantOutcome: []SuppressionOutcome{
				{Suppression: Suppression{RuleID: "KEY-01", User: "arn:aws:iam::" + testAccount + ":user/Alice", Reason: "name"}, Matched: 1},
				{Suppression: Suppression{RuleID: "USER-02", User: "arn:aws:iam::" + testAccount + ":user/OLD/gone", Reason: "path"}},
			},
		},
		{
			name: "a shell's [!…] negates a class, as [^…] does",
			sups: []Suppression{
				{RuleID: "USER-02", User: "[!a]*", Reason: "shell"},
				{RuleID: "USER-05", User: "[^a]*", Reason: "go"},
			},
			suppressed: map[string]string{"USER-02 svc-ci": "shell", "USER-02 gone": "shell", "USER-05 gone": "go"},
			wantOutcome: []SuppressionOutcome{
				{Suppression: Suppression{RuleID: "USER-02", User: "[!a]*", Reason: "shell"}, Matched: 2},
				{Suppression: Suppression{RuleID: "USER-05", User: "[^a]*", Reason: "go"}, Matched: 1},
			},
		},
		{
			name: "a suppression behind a broader one never applies",
			sups: []Suppression{
				{RuleID: "*", User: "alice", Reason: "broad"},
				{RuleID: "KEY-01", User: "alice", Reason: "narrow"},
			},
			suppressed: map[string]string{
				"USER-01 alice": "broad", "USER-02 alice": "broad", "USER-03 alice": "broad", "KEY-01 alice": "broad",
			},
			wantOutcome: []SuppressionOutcome{
				{Suppression: Suppression{RuleID: "*", User: "alice", Reason: "broad"}, Matched: 4},
				{Suppression: Suppression{RuleID: "KEY-01", User: "alice", Reason: "narrow"}, Shadowed: 1},
			},
		},
	}
	sel := []Selected{Select(&Root04, nil), Select(&User01, nil), Select(&User02, nil), Select(&User03, nil), Select(&User05, nil), Select(&Key01, nil)}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Evaluate(Input{Report: testReport(), AsOf: testAsOf}, sel)
			if err != nil {
				t.Fatal(err)
			}
			out := Suppress(res, tc.sups, testAsOf)
			got := map[string]string{}
			for _, r := range res {
				if r.Suppressed() {
					got[r.Rule.ID+" "+r.User()] = r.SuppressionReason()
					if r.Status != Failed {
						t.Errorf("%s %s suppressed while %s", r.Rule.ID, r.User(), r.Status)
					}
				}
			}
			if diff := cmp.Diff(tc.suppressed, got); diff != "" {
				t.Errorf("suppressed results (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantOutcome, out); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateMatchesEachRuleCalledOnItsOwnInRuleThenReportOrder(t *testing.T) {
	rep := generated(t, 2000, 4) // enough reasons to fill several reason blocks
	custom := &Rule{ID: "ORG-01", Scope: ScopeRows, Severity: Low,
		Applies: func(e *credreport.Entry, _ Env) (bool, error) { return e.Line%3 != 0, nil },
		Evaluate: func(e *credreport.Entry, _ Env) (Verdict, error) {
			return Verdict{Status: Passed, Reason: "custom on line " + strconv.Itoa(e.Line)}, nil
		},
	}
	sel := selectAll(t, "all")
	sel = slices.Insert(sel, 7, Selected{Rule: custom}) // among the user rules
	in := Input{Report: rep, AsOf: credreporttest.AsOf, Account: &Account{RootPasswordPresent: true, RootMFAEnabled: true}}
	res, err := Evaluate(in, sel)
	if err != nil {
		t.Fatal(err)
	}
	checkResults(t, res, eachRuleOnItsOwn(t, in, sel))
}

// The split evaluation (a large report, no custom rules, several CPUs) gives
// what one pass gives, for any number of workers and size of chunk, with or
// without a root row.
func TestEvaluateSplitMatchesEachRuleCalledOnItsOwn(t *testing.T) {
	rep := generated(t, 2000, 5)
	noRoot := *rep
	noRoot.Root, noRoot.Entries = nil, rep.Users
	sel := selectAll(t, "all")
	for _, r := range []*credreport.Report{rep, &noRoot} {
		in := Input{Report: r, AsOf: credreporttest.AsOf}
		want := eachRuleOnItsOwn(t, in, sel)
		for _, split := range []struct{ workers, chunk int }{{1, 2000}, {2, 1000}, {3, 7}, {7, 256}} {
			t.Run(fmt.Sprintf("root=%t/workers=%d/chunk=%d", r.Root != nil, split.workers, split.chunk), func(t *testing.T) {
				res, err := evaluateSplit(in, sel, split.workers, split.chunk)
				if err != nil {
					t.Fatal(err)
				}
				checkResults(t, res, want)
			})
		}
	}
}

// Of the errors the workers meet, the split evaluation returns the one a
// single pass would meet first: the earliest rule, then the earliest user.
func TestEvaluateSplitReturnsTheFirstErrorInRuleThenReportOrder(t *testing.T) {
	rep := generated(t, 2000, 5)
	failing := func(id string, every int) *Rule {
		return &Rule{ID: id, Scope: ScopeUsers, Evaluate: func(e *credreport.Entry, _ Env) (Verdict, error) {
			if e.Line%every == 0 {
				return Verdict{}, fmt.Errorf("line %d", e.Line)
			}
			return Verdict{Status: Passed}, nil
		}}
	}
	sel := selectAll(t, "all")
	sel = slices.Insert(sel, 9, Selected{Rule: failing("LATE-01", 7)})
	sel = slices.Insert(sel, 4, Selected{Rule: failing("EARLY-01", 700)}) // fails on lines 700 and 1400, in different chunks
	for _, split := range []struct{ workers, chunk int }{{1, 2000}, {2, 1000}, {3, 100}} {
		_, err := evaluateSplit(Input{Report: rep, AsOf: credreporttest.AsOf}, sel, split.workers, split.chunk)
		if want := "rule EARLY-01: line 700"; err == nil || err.Error() != want {
			t.Errorf("%d workers, chunks of %d: error %v, want %s", split.workers, split.chunk, err, want)
		}
	}
}

// eachRuleOnItsOwn is what Evaluate must return: each selected rule called
// on every row it covers, in rule order then report order.
func eachRuleOnItsOwn(t *testing.T, in Input, sel []Selected) []Result {
	t.Helper()
	rep := in.Report
	var want []Result
	for _, s := range sel {
		env := Env{AsOf: in.AsOf, AccountID: rep.AccountID, Account: in.Account, Thresholds: s.Thresholds}
		rows := rep.Users
		switch s.Rule.Scope {
		case ScopeRoot:
			rows = []*credreport.Entry{rep.Root}
			if rep.Root == nil {
				missing := &credreport.Entry{User: credreport.RootUser, ARN: "arn:" + rep.Partition + ":iam::" + rep.AccountID + ":root"}
				want = append(want, Result{Rule: s.Rule, Entry: missing, Status: NotAvailable, Reason: "the report has no root-account row"})
				continue
			}
		case ScopeRows:
			rows = rep.Entries
		}
		for _, e := range rows {
			if s.Rule.Applies != nil {
				if ok, _ := s.Rule.Applies(e, env); !ok {
					continue
				}
			}
			v, err := s.Rule.Evaluate(e, env)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, Result{Rule: s.Rule, Entry: e, Status: v.Status, Reason: v.Reason})
		}
	}
	return want
}

// checkResults compares results field by field (a missing root row's
// stand-in entry by its user and ARN).
func checkResults(t *testing.T, res, want []Result) {
	t.Helper()
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d", len(res), len(want))
	}
	for i := range want {
		g, w := res[i], want[i]
		sameEntry := g.Entry == w.Entry || g.Entry.User == w.Entry.User && g.Entry.ARN == w.Entry.ARN && w.Entry.Line == 0
		if g.Rule != w.Rule || !sameEntry || g.Status != w.Status || g.Reason != w.Reason || g.Suppression != nil {
			t.Fatalf("result %d = %s %s %s %q, want %s %s %s %q", i, g.Rule.ID, g.ARN(), g.Status, g.Reason, w.Rule.ID, w.ARN(), w.Status, w.Reason)
		}
	}
}

// A custom rule's run-time error is returned by Evaluate, and by
// EvaluateEach before any batch, so a caller that writes batches as they
// come has written nothing.
func TestEvaluateReturnsACustomRulesError(t *testing.T) {
	boom := errors.New("no such key: team")
	custom := &Rule{ID: "ORG-01", Scope: ScopeRows,
		Applies:  func(*credreport.Entry, Env) (bool, error) { return true, nil },
		Evaluate: func(*credreport.Entry, Env) (Verdict, error) { return Verdict{}, boom },
	}
	sel := append(selectAll(t, "recommended"), Selected{Rule: custom})
	in := Input{Report: testReport(), AsOf: testAsOf}
	_, err := Evaluate(in, sel)
	batches, eachErr := collectEach(in, sel)
	for name, err := range map[string]error{"Evaluate": err, "EvaluateEach": eachErr} {
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "rule ORG-01") {
			t.Errorf("%s: error %v, want rule ORG-01: %v", name, err, boom)
		}
	}
	if len(batches) != 0 {
		t.Errorf("EvaluateEach: %d batches before the error, want none", len(batches))
	}
}

// collectEach runs EvaluateEach and returns copies of its batches.
func collectEach(in Input, sel []Selected) ([][]Result, error) {
	var batches [][]Result
	err := EvaluateEach(in, sel, func(b []Result) error {
		batches = append(batches, slices.Clone(b))
		return nil
	})
	return batches, err
}

// EvaluateEach yields what Evaluate returns, in batches of a rule's results,
// with and without custom rules, a root row and users, and none for a rule
// without results; the buffer it reuses does not leak one batch into another.
func TestEvaluateEachYieldsEvaluateResultsInBatches(t *testing.T) {
	rep := generated(t, 2000, 6)
	noRoot := *rep
	noRoot.Root, noRoot.Entries = nil, rep.Users
	custom := &Rule{ID: "ORG-01", Scope: ScopeRows, Severity: Low,
		Applies: func(e *credreport.Entry, _ Env) (bool, error) { return e.Line%3 != 0, nil },
		Evaluate: func(e *credreport.Entry, _ Env) (Verdict, error) {
			return Verdict{Status: Failed, Reason: "custom on line " + strconv.Itoa(e.Line)}, nil
		},
	}
	none := &Rule{ID: "ORG-02", Scope: ScopeRows, Severity: Low, // matches no row: no batch
		Applies:  func(*credreport.Entry, Env) (bool, error) { return false, nil },
		Evaluate: func(*credreport.Entry, Env) (Verdict, error) { return Verdict{Status: Failed}, nil },
	}
	onlyRoot := *rep // user rules cover no row: no batch
	onlyRoot.Users, onlyRoot.Entries = nil, []*credreport.Entry{rep.Root}
	all := selectAll(t, "all")
	withCustom := slices.Insert(slices.Clone(all), 7, Selected{Rule: custom}, Selected{Rule: none})
	for _, r := range []*credreport.Report{rep, &noRoot, &onlyRoot} {
		for name, sel := range map[string][]Selected{"all": all, "custom": withCustom} {
			t.Run(fmt.Sprintf("root=%t/users=%d/%s", r.Root != nil, len(r.Users), name), func(t *testing.T) {
				in := Input{Report: r, AsOf: credreporttest.AsOf}
				batches, err := collectEach(in, sel)
				if err != nil {
					t.Fatal(err)
				}
				checkBatches(t, batches, sel)
				checkResults(t, slices.Concat(batches...), eachRuleOnItsOwn(t, in, sel))
			})
		}
	}
}

// checkBatches checks that each batch holds one to eachBatch results of one
// rule, that the rules come in the order of sel (one with no results has no
// batch), and that only a rule's last batch holds fewer than eachBatch.
func checkBatches(t *testing.T, batches [][]Result, sel []Selected) {
	t.Helper()
	rule := -1
	for i, b := range batches {
		if len(b) == 0 {
			t.Fatalf("batch %d is empty", i)
		}
		if rule >= 0 && b[0].Rule == sel[rule].Rule {
			if len(batches[i-1]) != eachBatch {
				t.Fatalf("batch %d: %s goes on after a batch of %d results, want %d before the next", i, b[0].Rule.ID, len(batches[i-1]), eachBatch)
			}
		} else {
			for rule++; rule < len(sel) && sel[rule].Rule != b[0].Rule; rule++ {
			}
			if rule == len(sel) {
				t.Fatalf("batch %d is of %s, which does not come next in the selection", i, b[0].Rule.ID)
			}
		}
		if len(b) > eachBatch {
			t.Fatalf("batch %d holds %d results, want at most %d", i, len(b), eachBatch)
		}
		for _, res := range b {
			if res.Rule != b[0].Rule {
				t.Fatalf("batch %d has results of %s and %s", i, b[0].Rule.ID, res.Rule.ID)
			}
		}
	}
}

// An error from yield is returned with no further batch yielded; a rule's error
// stops it after the batches before that rule.
func TestEvaluateEachStops(t *testing.T) {
	rep := generated(t, 2000, 5)
	in := Input{Report: rep, AsOf: credreporttest.AsOf}
	sel := selectAll(t, "all")
	full := errors.New("disk full")
	calls := 0
	err := EvaluateEach(in, sel, func([]Result) error {
		calls++
		if calls == 3 {
			return full
		}
		return nil
	})
	if !errors.Is(err, full) || calls != 3 {
		t.Errorf("yield called %d times, error %v; want 3 calls and %v", calls, err, full)
	}

	failing := &Rule{ID: "FAIL-01", Scope: ScopeUsers, Evaluate: func(e *credreport.Entry, _ Env) (Verdict, error) {
		return Verdict{}, fmt.Errorf("line %d", e.Line)
	}}
	sel = slices.Insert(sel, 4, Selected{Rule: failing})
	batches, err := collectEach(in, sel)
	if want := "rule FAIL-01: line 3"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	checkBatches(t, batches, sel[:4])
	// The rules before the failing one, all of them, were yielded.
	checkResults(t, slices.Concat(batches...), eachRuleOnItsOwn(t, in, sel[:4]))
}

// EvaluateEach's workers, however many and however far ahead of a slow
// yield, hand the batches over in order; whether it ends, fails or is
// stopped, it returns with no worker left running.
func TestEvaluateEachInOrderOnAnyNumberOfCPUs(t *testing.T) {
	rep := generated(t, 8*minSplitUsers, 8) // eight batches a user rule: a worker for each of 8 CPUs
	in := Input{Report: rep, AsOf: credreporttest.AsOf}
	sel := selectAll(t, "all")
	want := eachRuleOnItsOwn(t, in, sel)
	failing := &Rule{ID: "FAIL-01", Scope: ScopeUsers, Evaluate: func(e *credreport.Entry, _ Env) (Verdict, error) {
		if e.Line > 2500 {
			return Verdict{}, fmt.Errorf("line %d", e.Line)
		}
		return Verdict{Status: Passed}, nil
	}}
	withFailing := slices.Insert(slices.Clone(sel), 9, Selected{Rule: failing})
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprintf("procs=%d", procs), func(t *testing.T) {
			runtime.GOMAXPROCS(procs)
			var batches [][]Result
			err := EvaluateEach(in, sel, func(b []Result) error {
				for range 3 {
					runtime.Gosched() // let the workers run ahead
				}
				batches = append(batches, slices.Clone(b))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			checkBatches(t, batches, sel)
			checkResults(t, slices.Concat(batches...), want)

			// FAIL-01 fails in its third batch: its first two come first.
			batches, err = collectEach(in, withFailing)
			if want := "rule FAIL-01: line 2501"; err == nil || err.Error() != want {
				t.Errorf("error %v, want %s", err, want)
			}
			if n := len(batches); n < 2 || batches[n-1][0].Rule != failing || batches[n-2][0].Rule != failing {
				t.Errorf("%d batches before the error, the last two not FAIL-01's", n)
			}
			checkBatches(t, batches, withFailing)
			// Stopped at the first batch while a worker is held at the start
			// of the second, and let go as the stop is returned: the rest of
			// that batch is evaluated before EvaluateEach returns, not after.
			var rows atomic.Int64
			held, release := rep.Users[eachBatch], make(chan struct{})
			spy := &Rule{ID: "SPY-01", Scope: ScopeUsers, Evaluate: func(e *credreport.Entry, _ Env) (Verdict, error) {
				if e == held {
					<-release
				}
				rows.Add(1)
				return Verdict{Status: Passed}, nil
			}}
			stop := errors.New("stop")
			spies := []Selected{{Rule: spy}, {Rule: spy}, {Rule: spy}}
			if err := EvaluateEach(in, spies, func([]Result) error { close(release); return stop }); err != stop {
				t.Errorf("error %v, want %v", err, stop)
			}
			n := rows.Load()
			for range 100 {
				runtime.Gosched()
			}
			if later := rows.Load(); later != n {
				t.Errorf("%d rows evaluated after EvaluateEach returned", later-n)
			}
		})
	}
}

// Suppressing batch by batch marks the same results and counts the same
// matches as suppressing them all at once.
func TestSuppressorOverBatchesIsSuppress(t *testing.T) {
	rep := generated(t, 2000, 7)
	in := Input{Report: rep, AsOf: credreporttest.AsOf}
	sel := selectAll(t, "all")
	sups := []Suppression{
		{RuleID: "*", User: "user-0001*", Reason: "a"},
		{RuleID: "KEY-01", User: "*", Reason: "b"},
		{RuleID: "USER-02", User: "nobody", Reason: "c"},
		{RuleID: "*", User: "*", Reason: "d", Expires: credreporttest.AsOf},
	}
	all, err := Evaluate(in, sel)
	if err != nil {
		t.Fatal(err)
	}
	wantOutcomes := Suppress(all, sups, in.AsOf)
	s := NewSuppressor(sups, in.AsOf)
	var got []Result
	if err := EvaluateEach(in, sel, func(b []Result) error {
		s.Apply(b)
		got = append(got, b...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantOutcomes, s.Outcomes()); diff != "" {
		t.Errorf("outcomes (-all at once +batches):\n%s", diff)
	}
	suppressed := 0
	for i := range all {
		if all[i].SuppressionReason() != got[i].SuppressionReason() {
			t.Fatalf("result %d (%s %s): suppressed by %q, want %q", i, all[i].Rule.ID, all[i].User(), got[i].SuppressionReason(), all[i].SuppressionReason())
		}
		if got[i].Suppressed() {
			suppressed++
		}
	}
	if suppressed == 0 || wantOutcomes[2].Matched != 0 || !wantOutcomes[3].Expired {
		t.Errorf("the suppressions do not exercise matching, missing and expiry: %d suppressed, outcomes %+v", suppressed, wantOutcomes)
	}
}

// generated parses credreporttest.Generate(users, seed).
func generated(t *testing.T, users int, seed uint64) *credreport.Report {
	t.Helper()
	rep, err := credreport.Parse(credreporttest.Generate(users, seed))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}
