package rules

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
)

// Resource types, as ASFF names them.
const (
	ResourceAccount = "AwsAccount"
	ResourceIAMUser = "AwsIamUser"
)

// Result is one rule's verdict on one resource. It is kept small, 48 bytes
// (a large account yields some 100,000 per run): user name, ARN, resource
// type and ID come from the row.
type Result struct {
	Rule   *Rule
	Entry  *credreport.Entry // the row; root's row for account resources
	Reason string

	// Suppression is the suppression that mutes this failing result, or
	// that covers this NOT_AVAILABLE one (it would mute the failure if the
	// run could see it, and the finding stays muted meanwhile), or nil.
	Suppression *Suppression

	Status Status
}

// Suppressed reports whether a suppression mutes the result (or, NOT_AVAILABLE,
// covers it).
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

// ResourceID is the resource as Security Hub names it: the account
// (AWS::::Account:<id>, the ID from root's ARN) for root, the user's ARN
// otherwise.
func (r *Result) ResourceID() string {
	if r.Entry.IsRoot() {
		return AccountResourceID(r.Entry.AccountID())
	}
	return r.Entry.ARN
}

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

// Select pairs a rule with its default thresholds overridden by set. A title
// that names a threshold's default ("… unused for 45 days or more …") names
// the value set instead, so that every output's title says what the run
// checked: the rule is then a copy with that title (r itself is never
// changed).
func Select(r *Rule, set map[string]int) Selected {
	th := make(Values, len(r.Thresholds))
	title := r.Title
	for i, t := range r.Thresholds {
		th[i] = Value{Name: t.Name, Value: t.Default}
		if v, ok := set[t.Name]; ok {
			th[i].Value = v
			if !t.Grace {
				title = strings.Replace(title, string(appendDays(nil, t.Default)), string(appendDays(nil, v)), 1)
			}
		}
	}
	if title != r.Title {
		c := *r
		c.Title = title
		r = &c
	}
	return Selected{Rule: r, Thresholds: th}
}

// AccountEffects says what the selected rules do without the account
// facts (Rule.WithoutAccount), in selection order: nil when none reads
// them, and a live run need not read them.
func AccountEffects(selected []Selected) []string {
	var effects []string
	for _, s := range selected {
		if s.Rule.WithoutAccount != "" {
			effects = append(effects, s.Rule.WithoutAccount)
		}
	}
	return effects
}

// Input is what a run evaluates.
type Input struct {
	Report  *credreport.Report
	AsOf    time.Time
	Account *Account // nil when only the report is known
	// AccountUnread says Account is nil because reading it failed (the
	// run's warning says why), not because only a report file was given.
	AccountUnread bool
}

// Evaluate runs the selected rules over the report: exactly one result per
// (rule, resource) it covers, in rule order then report order. Only a custom
// rule whose expression fails at run time returns an error.
//
// A large report without custom rules is evaluated on every CPU, each taking
// a share of the users through every rule (evaluateSplit): the results are
// the same, in the same order.
func Evaluate(in Input, selected []Selected) ([]Result, error) {
	if w := splitWorkers(in.Report, selected); w > 1 {
		return evaluateSplit(in, selected, w, splitChunk)
	}
	results, _, err := evaluateInOnePass(in, selected)
	return results, err
}

// evaluateInOnePass evaluates the selected rules one after the other, and
// says where each rule's results end.
func evaluateInOnePass(in Input, selected []Selected) (results []Result, ends []int, err error) {
	results = make([]Result, 0, resultCount(in.Report, selected))
	ends = make([]int, len(selected))
	reasons := new(reasonBlocks) // shared by every rule of this run (see Env.text)
	for i, s := range selected {
		if results, err = evaluateRows(in, s, reasons, in.rows(s), results); err != nil {
			return nil, nil, err
		}
		ends[i] = len(results)
	}
	return results, ends, nil
}

// EvaluateEach evaluates like Evaluate but hands the results to yield in
// batches, in Evaluate's order, instead of keeping them all: each batch holds
// results of one rule, at least one and at most eachBatch, and is valid only
// until yield returns. A 5,000-user account yields some 70,000 results (3.4 MB);
// this holds a few batches' worth (eachSlots: 192 KB on two CPUs).
//
// Built-in rules are evaluated ahead by up to a worker per CPU (one per
// minSplitUsers users: splitWorkers), batch by batch, while yield handles the earliest: the batches are handed out in
// order and yielded in order. A run with custom rules, whose expressions can
// fail at run time, is evaluated whole first, so such an error comes before
// any batch. An error from yield stops the run and is returned; so does a
// rule's error, once every batch before it has been yielded. Either way the
// batches already handed to the workers (at most eachSlots) are evaluated
// before EvaluateEach returns.
func EvaluateEach(in Input, selected []Selected, yield func([]Result) error) error {
	if hasCustom(selected) {
		results, ends, err := evaluateInOnePass(in, selected)
		if err != nil {
			return err
		}
		start := 0
		for _, end := range ends {
			for lo := start; lo < end; lo += eachBatch {
				if err := yield(results[lo:min(lo+eachBatch, end)]); err != nil {
					return err
				}
			}
			start = end
		}
		return nil
	}
	jobs := eachJobs(in, selected)
	workers := min(splitWorkers(in.Report, selected), len(jobs))
	// Slot k%len(slots) holds batch k from when it is handed out until it
	// has been yielded; then it takes batch k+len(slots), in the same
	// buffer. Handing out only to a free slot keeps the workers at most
	// len(slots) batches ahead.
	slots := make([]chan eachJob, eachSlots(workers))
	for i := range slots {
		slots[i] = make(chan eachJob, 1)
	}
	work := make(chan eachJob, len(slots))
	handOut := func(k int, buf []Result) {
		jobs[k].results, jobs[k].done = buf, slots[k%len(slots)]
		work <- jobs[k]
	}
	for k := range min(len(slots), len(jobs)) {
		handOut(k, make([]Result, 0, min(eachBatch, len(in.Report.Entries))))
	}
	var wg sync.WaitGroup
	defer wg.Wait() // after close(work): the workers finish what was handed out
	defer close(work)
	for range workers {
		wg.Go(func() {
			reasons := new(reasonBlocks)
			for j := range work {
				j.results, j.err = evaluateRows(in, j.s, reasons, j.rows, j.results[:0])
				j.done <- j
			}
		})
	}
	for k := range jobs {
		j := <-slots[k%len(slots)]
		if j.err != nil {
			return j.err
		}
		if err := yield(j.results); err != nil {
			return err
		}
		if next := k + len(slots); next < len(jobs) {
			handOut(next, j.results)
		}
	}
	return nil
}

// eachJob is one batch of EvaluateEach: rule s over rows, its results
// appended to results (the slot's buffer), handed back through done.
type eachJob struct {
	s       Selected
	rows    []*credreport.Entry
	results []Result
	err     error
	done    chan eachJob
}

// eachJobs cuts the selected rules' rows into EvaluateEach's batches, in
// order, each yielding at least one result. A root rule over a report
// without a root row has one batch, which says so (noRootRow); a user rule
// over a report without users has none.
func eachJobs(in Input, selected []Selected) []eachJob {
	var jobs []eachJob
	for _, s := range selected {
		rows := in.rows(s)
		for lo := 0; lo < len(rows) || lo == 0 && s.Rule.Scope == ScopeRoot; lo += eachBatch {
			jobs = append(jobs, eachJob{s: s, rows: rows[lo:min(lo+eachBatch, len(rows))]})
		}
	}
	return jobs
}

// eachBatch is the most results of an EvaluateEach batch: large enough that
// handing batches between goroutines costs nothing next to evaluating them,
// small enough that the few in use stay in cache, instead of a rule's
// results over a whole account in memory never touched before.
const eachBatch = 1024

// eachSlots is how many batches EvaluateEach holds with workers workers:
// one being yielded, one in each worker's hands, and one waiting, so that a
// worker that finishes a batch has the next at once.
func eachSlots(workers int) int { return workers + 2 }

func hasCustom(selected []Selected) bool {
	for _, s := range selected {
		if s.Rule.Scope == ScopeRows {
			return true
		}
	}
	return false
}

// resultCount is how many results the selected rules yield at most: one per
// root rule, one per row for the others.
func resultCount(rep *credreport.Report, selected []Selected) int {
	n := 0
	for _, s := range selected {
		if s.Rule.Scope == ScopeRoot {
			n++
		} else {
			n += len(rep.Entries)
		}
	}
	return n
}

// env is what rule s sees of the run; reasons is the evaluating goroutine's.
func (in Input) env(s Selected, reasons *reasonBlocks) Env {
	return Env{AsOf: in.AsOf, AccountID: in.Report.AccountID, Account: in.Account, AccountUnread: in.AccountUnread, Thresholds: s.Thresholds, reasons: reasons}
}

// rows returns the rows rule s covers: root's, every user's, or for a custom
// rule every row, of which its filter picks. A root rule of a report without
// a root row covers none: its one result says so (noRootRow).
func (in Input) rows(s Selected) []*credreport.Entry {
	rep := in.Report
	switch s.Rule.Scope {
	case ScopeRoot:
		if rep.Root == nil {
			return nil
		}
		return []*credreport.Entry{rep.Root}
	case ScopeUsers:
		return rep.Users
	}
	return rep.Entries
}

// evaluateRows appends rule s's results over rows, part of in.rows(s), to
// results; for no rows, a root rule's result of a report without root.
func evaluateRows(in Input, s Selected, reasons *reasonBlocks, rows []*credreport.Entry, results []Result) ([]Result, error) {
	rep := in.Report
	if len(rows) == 0 && s.Rule.Scope == ScopeRoot {
		return append(results, noRootRow(rep, s.Rule)), nil
	}
	env := in.env(s, reasons)
	for _, e := range rows {
		if s.Rule.Scope == ScopeRows {
			ok, err := s.Rule.Applies(e, env)
			if err != nil {
				return nil, fmt.Errorf("rule %s: %w", s.Rule.ID, err)
			}
			if !ok {
				continue
			}
		}
		v, err := s.Rule.Evaluate(e, env)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", s.Rule.ID, err)
		}
		results = append(results, Result{Rule: s.Rule, Entry: e, Status: v.Status, Reason: v.Reason})
	}
	return results, nil
}

// noRootRow is root rule r's result for a report without a root row.
func noRootRow(rep *credreport.Report, r *Rule) Result {
	missing := &credreport.Entry{User: credreport.RootUser, ARN: credreport.RootARN(rep.Partition, rep.AccountID)}
	return Result{Rule: r, Entry: missing, Status: NotAvailable, Reason: "the report has no root-account row"}
}

// minSplitUsers is the fewest users per worker of evaluateSplit: below it,
// starting a goroutine costs more than the share of work it saves (a user
// costs the `all` profile about 1 µs). splitChunk is how many users the
// workers take at a time: small enough that a worker whose CPU is busy with
// other work leaves its share to the others, large enough that handing
// chunks out costs nothing.
const (
	minSplitUsers = 1024
	splitChunk    = 256
)

// splitWorkers is how many workers evaluateSplit would use for the report,
// or 1 to evaluate in one pass; EvaluateEach starts as many. Custom rules cover the rows their filter
// picks, so their results cannot be placed before they are known: a run
// with any is evaluated in one pass.
func splitWorkers(rep *credreport.Report, selected []Selected) int {
	if hasCustom(selected) {
		return 1
	}
	return max(1, min(runtime.GOMAXPROCS(0), len(rep.Users)/minSplitUsers))
}

// evaluateSplit is Evaluate for rules that each cover a known number of
// resources (the root row or every user). Every result's place is known
// beforehand, so workers goroutines take chunks of chunk users in turn,
// evaluate every rule over each chunk and write straight into the results;
// the chunk of the first users also takes the root rules. Each worker has
// reason blocks of its own.
func evaluateSplit(in Input, selected []Selected, workers, chunk int) ([]Result, error) {
	rep := in.Report
	offsets := make([]int, len(selected))
	n := 0
	for i, s := range selected {
		offsets[i] = n
		if s.Rule.Scope == ScopeRoot {
			n++
		} else {
			n += len(rep.Users)
		}
	}
	results := make([]Result, n)
	chunks := max(1, (len(rep.Users)+chunk-1)/chunk)
	// errs[c] is chunk c's first error in rule-then-report order. The
	// earliest over all chunks, by rule and then by chunk, is the error one
	// pass would meet first.
	type failure struct {
		rule int
		err  error
	}
	errs := make([]failure, chunks)
	evaluateChunk := func(c int, reasons *reasonBlocks) {
		lo, hi := c*chunk, min((c+1)*chunk, len(rep.Users))
		for i, s := range selected {
			rows, at := rep.Users[lo:hi], offsets[i]+lo
			if s.Rule.Scope == ScopeRoot {
				if c > 0 {
					continue
				}
				rows, at = in.rows(s), offsets[i]
			}
			// The rows' results have their places: appended there, in place.
			if _, err := evaluateRows(in, s, reasons, rows, results[at:at]); err != nil {
				errs[c] = failure{i, err}
				return
			}
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, chunks) {
		wg.Go(func() {
			reasons := new(reasonBlocks)
			for c := int(next.Add(1) - 1); c < chunks; c = int(next.Add(1) - 1) {
				evaluateChunk(c, reasons)
			}
		})
	}
	wg.Wait()
	var first *failure
	for c := range errs {
		if f := &errs[c]; f.err != nil && (first == nil || f.rule < first.rule) {
			first = f
		}
	}
	if first != nil {
		return nil, first.err
	}
	return results, nil
}

// AccountResourceID is how Security Hub names an account as a resource.
func AccountResourceID(accountID string) string { return "AWS::::Account:" + accountID }
