package finding

import (
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/rules"
)

// t0 is the fixed clock of the tests: the as-of time of the first run.
var t0 = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)

const acct = "123456789012"

// day is n days after t0.
func day(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }

var (
	rootRow = &credreport.Entry{User: credreport.RootUser, ARN: "arn:aws:iam::" + acct + ":root"}
	alice   = userRow("alice")
	bob     = userRow("bob")
)

func userRow(name string) *credreport.Entry {
	return &credreport.Entry{User: name, ARN: "arn:aws:iam::" + acct + ":user/" + name}
}

// rootUsedAt is the root row, its password last used at t.
func rootUsedAt(t time.Time) *credreport.Entry {
	e := *rootRow
	e.PasswordLastUsed = credreport.TimeOf(t)
	return &e
}

func result(r *rules.Rule, e *credreport.Entry, s rules.Status, reason string) rules.Result {
	return rules.Result{Rule: r, Entry: e, Status: s, Reason: reason}
}

func fail(r *rules.Rule, e *credreport.Entry, reason string) rules.Result {
	return result(r, e, rules.Failed, reason)
}

func pass(r *rules.Rule, e *credreport.Entry, reason string) rules.Result {
	return result(r, e, rules.Passed, reason)
}

func unseen(r *rules.Rule, e *credreport.Entry) rules.Result {
	return result(r, e, rules.NotAvailable, "access_key_1_active is no_information, so this cannot be decided")
}

func suppressed(res rules.Result, reason string) rules.Result {
	res.Suppression = &rules.Suppression{RuleID: res.Rule.ID, User: res.User(), Reason: reason}
	return res
}

// next is the state after every change was published at importedAt.
func next(prev map[string]Record, changes []Change, importedAt time.Time) map[string]Record {
	return NextAfter(prev, changes, Publication{At: importedAt})
}

// run is one audit: results evaluated at a report's as-of time.
type run struct {
	at      time.Time
	results []rules.Result
}

// replay diffs each run against the state the previous ones left (each
// published at its observation time) and returns the last run's changes and
// the state they were diffed against.
func replay(t *testing.T, runs ...run) ([]Change, map[string]Record) {
	t.Helper()
	var (
		state   map[string]Record
		changes []Change
	)
	for i, r := range runs {
		if i > 0 {
			state = next(state, changes, runs[i-1].at)
		}
		changes = Diff(state, r.results, acct, r.at, 0)
	}
	return changes, state
}

// summary is what a transition test checks of a Change.
type summary struct {
	ID           string
	Kind         Kind
	Workflow     Workflow
	NeedsRefresh bool
	Unavailable  bool
	Import       bool
	Status       rules.Status
	Reason       string
	First        time.Time
	LastObserved time.Time
	Updated      time.Time
	Suppressed   bool
	Archived     bool
}

func summarize(cs []Change) []summary {
	out := make([]summary, len(cs))
	for i := range cs {
		c := &cs[i]
		out[i] = summary{
			ID: c.ID(), Kind: c.Kind, Workflow: c.Workflow, NeedsRefresh: c.NeedsRefresh, Unavailable: c.Unavailable,
			Import: c.Import(), Status: c.Record.Status, Reason: c.Record.Reason,
			First: c.Record.FirstObservedAt, LastObserved: c.Record.LastObservedAt, Updated: c.Record.UpdatedAt,
			Suppressed: c.Record.Suppressed, Archived: c.Record.Archived,
		}
	}
	return out
}
