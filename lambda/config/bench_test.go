package config

import (
	"testing"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/rules"
)

// BenchmarkEvaluateCustomRules evaluates the example configuration's two
// custom rules (CEL: a `where` and an `assert` each) alone over a
// 5,000-user report: what custom rules add to a scan.
func BenchmarkEvaluateCustomRules(b *testing.B) {
	rep, err := credreport.Parse(credreporttest.Generate(5000, 1))
	if err != nil {
		b.Fatal(err)
	}
	c := example(b)
	sel := make([]rules.Selected, len(c.Custom))
	for i, r := range c.Custom {
		sel[i] = rules.Select(r, nil)
	}
	in := rules.Input{Report: rep, AsOf: credreporttest.AsOf}
	b.ReportAllocs()
	for b.Loop() {
		res, err := rules.Evaluate(in, sel)
		if err != nil {
			b.Fatal(err)
		}
		if len(res) == 0 {
			b.Fatal("no results")
		}
	}
}
