package rules

import (
	"testing"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
)

// BenchmarkEvaluateAll evaluates every built-in rule over a 5,000-user report
// (target: 5 ms or less per evaluation). Parsing is outside the timer.
func BenchmarkEvaluateAll(b *testing.B) {
	rep, err := credreport.Parse(credreporttest.Generate(5000, 1))
	if err != nil {
		b.Fatal(err)
	}
	rules, err := Profile("all")
	if err != nil {
		b.Fatal(err)
	}
	sel := make([]Selected, len(rules))
	for i, r := range rules {
		sel[i] = Select(r, nil)
	}
	in := Input{Report: rep, AsOf: credreporttest.AsOf, Account: &Account{RootPasswordPresent: true, RootMFAEnabled: true}}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Evaluate(in, sel)
		if err != nil {
			b.Fatal(err)
		}
		if len(res) != 5+14*5000 {
			b.Fatalf("%d results, want %d", len(res), 5+14*5000)
		}
	}
}

// BenchmarkRuleFunctions calls every built-in rule's Evaluate on every row it
// covers, without collecting results: the rules' own share of
// BenchmarkEvaluateAll.
func BenchmarkRuleFunctions(b *testing.B) {
	rep, err := credreport.Parse(credreporttest.Generate(5000, 1))
	if err != nil {
		b.Fatal(err)
	}
	rules := Catalog()
	envs := make([]Env, len(rules))
	for i, r := range rules {
		envs[i] = Env{AsOf: credreporttest.AsOf, AccountID: rep.AccountID, Account: &Account{RootPasswordPresent: true, RootMFAEnabled: true}, Thresholds: Select(r, nil).Thresholds,
			reasons: new(reasonBlocks)} // as Evaluate gives them
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, r := range rules {
			rows := rep.Users
			if r.Scope == ScopeRoot {
				rows = []*credreport.Entry{rep.Root}
			}
			for _, e := range rows {
				if _, err := r.Evaluate(e, envs[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}
