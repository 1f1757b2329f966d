package finding

import (
	"strconv"
	"testing"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/rules"
)

// BenchmarkDiffSteadyState diffs a 5,000-user account (19 results per user,
// one in ten failing) against the state its previous day left.
func BenchmarkDiffSteadyState(b *testing.B) {
	cat := rules.Catalog()
	var results []rules.Result
	for u := range 5000 {
		e := &credreport.Entry{User: "user" + strconv.Itoa(u), ARN: "arn:aws:iam::" + acct + ":user/team/user" + strconv.Itoa(u)}
		for i, r := range cat {
			if i%10 == u%10 {
				results = append(results, fail(r, e, "access key 1 is "+strconv.Itoa(100+u%50)+" days old"))
			} else {
				results = append(results, pass(r, e, "no active access key"))
			}
		}
	}
	prev := next(nil, Diff(nil, results, acct, day(0), 0), day(0))
	b.ReportAllocs()
	for b.Loop() {
		changes := Diff(prev, results, acct, day(0), 0)
		if len(changes) != len(prev) {
			b.Fatalf("%d changes, want %d", len(changes), len(prev))
		}
	}
}
