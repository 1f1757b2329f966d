package credreport_test

// A model-based test of how the live credential report is acquired. The
// invariants come from the documents, not from acquire.go:
//
//   - [issue 2 §3] GetCredentialReport first; ReportNotPresent, ReportExpired
//     or a report older than the maximum age (default 4 h) → Generate, polled
//     until COMPLETE, then Get. A report returned without Generate is younger
//     than the maximum age [aws-facts §1.2, four-hour reuse]; one returned
//     after COMPLETE is IAM's, whatever its age [Fetcher's doc: IAM decides
//     when to regenerate]; Generated says whether Generate was called.
//   - [issue 2 §3] ReportInProgress, LimitExceeded, Throttling and
//     ServiceFailure are waited out "with capped exponential backoff and
//     jitter": every poll follows a wait, wait n lies in [b/2, b] with
//     b = min(MaxBackoff, InitialBackoff·2ⁿ) [Fetcher's doc], so no tight loop
//     [peers §1.1, §1.3.2].
//   - [issue 2 §3, README "The report, in Go"] it gives up cleanly a margin
//     before the context deadline, the calls too, with an error that says what
//     was last seen; it gives up only when the next wait would not fit.
//   - [issue 2 §3, README query exit codes] access denied names the missing
//     permission and is not retried; an error not worth waiting for ends the
//     fetch at once, wrapped; Ctrl-C (context cancelled) says it was
//     interrupted.
//   - [peers §1.3.1, STYLE "swallowing acquisition errors", README "A run
//     that cannot see"] no failure ends in an empty report: a response
//     without content or time, of another format, or content that does not
//     parse is an error, never an all-clear.
//   - [issue 2 §3, aws-facts §1.4] GeneratedTime is the report's "as of": the
//     one IAM returned, in UTC; Report parses the content and sets it. A time
//     no report can have (before 1995, after the year 9999) is refused, as a
//     report file's is [README --report].
//   - [Fetcher's doc] MaxAttempts bounds the API calls of one Fetch without a
//     deadline: checked before each wait, so the calls made without a wait
//     between them may pass it by two. With a deadline, Fetch polls until
//     it, and returns by it less the margin.
//
// Each scenario draws the Fetcher's settings, a deadline (or none), a
// cancellation point (or none) and a weighting of answers; each IAM call then
// draws its answer and latency from the scenario's PCG stream, on a simulated
// clock and context. A failure prints the scenario and its call sequence.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/credaudit/credaudit/lambda/credreport"
)

const (
	propSeed      = 0x6372656472657074 // "credrept"
	propScenarios = 20000
)

// simStart is far after the real clock, so the Fetcher's own deadline timer
// (real time) never fires: the simulated context alone ends calls.
var simStart = time.Date(2096, 3, 1, 9, 0, 0, 0, time.UTC)

// class is what an answer means by the documents, which decides what Fetch
// must do next.
type class uint8

const (
	clsReport    class = iota // a complete, well-formed report
	clsBad                    // a response with no content, no time, another format, or no output
	clsMissing                // ReportNotPresent, ReportExpired: generate
	clsInProg                 // ReportInProgress from Get: poll Generate after a wait
	clsTransient              // LimitExceeded, ServiceFailure, throttling: wait, same call
	clsState                  // Generate STARTED, INPROGRESS or unknown: wait, poll again
	clsComplete               // Generate COMPLETE: Get at once
	clsDenied                 // access denied: fail at once naming the permission
	clsPermanent              // any other error: fail at once
	clsCut                    // the call outlived its context (deadline margin reached)
	clsCancel                 // the context was cancelled during the call
)

// answer is one IAM response.
type answer struct {
	what    string // for the printed sequence and the "last seen" text
	class   class
	get     *iam.GetCredentialReportOutput
	gen     *iam.GenerateCredentialReportOutput
	err     error         // as the SDK returns it
	inner   error         // the error errors.Is/As must still find in Fetch's error
	seen    string        // the "last seen" text the give-up names, for a waited answer
	latency time.Duration // simulated duration of the call
	malform bool          // content that does not parse as a credential report
}

// event is one call or wait, in order.
type event struct {
	at    time.Time // when it started
	sleep time.Duration
	op    string // "Get" or "Generate"; "" for a wait
	ctxDL time.Time
	ans   answer
}

type scenario struct {
	index       int
	maxAge      time.Duration // as set on the Fetcher (0: default)
	initial     time.Duration
	limit       time.Duration
	margin      time.Duration
	maxAttempts int
	deadline    time.Duration // from simStart; 0: none
	cancelCall  int           // cancel during this call (1-based); 0: never
	cancelSleep int           // cancel during this wait (1-based); 0: never
	report      bool          // call Report instead of Fetch
	getW, genW  []int         // weights over getKinds, genKinds
}

func (s *scenario) String() string {
	dl := "none"
	if s.deadline > 0 {
		dl = "start+" + s.deadline.String()
	}
	return fmt.Sprintf("scenario %d: MaxAge=%v InitialBackoff=%v MaxBackoff=%v DeadlineMargin=%v MaxAttempts=%d deadline=%s cancel at call %d, at wait %d, Report=%v",
		s.index, s.maxAge, s.initial, s.limit, s.margin, s.maxAttempts, dl, s.cancelCall, s.cancelSleep, s.report)
}

// effective settings, as the Fetcher's doc defines the zero values.
func (s *scenario) effMaxAge() time.Duration { return cmpOr(s.maxAge, credreport.DefaultMaxAge) }
func (s *scenario) effInitial() time.Duration {
	return cmpOr(s.initial, credreport.DefaultInitialBackoff)
}
func (s *scenario) effLimit() time.Duration {
	return max(cmpOr(s.limit, credreport.DefaultMaxBackoff), s.effInitial())
}
func (s *scenario) effMargin() time.Duration {
	switch {
	case s.margin == 0:
		return credreport.DefaultDeadlineMargin
	case s.margin < 0:
		return 0
	}
	return s.margin
}
func (s *scenario) effMaxAttempts() int {
	if s.maxAttempts <= 0 {
		return credreport.DefaultMaxAttempts
	}
	return s.maxAttempts
}

// backoff is the documented bound of wait n.
func (s *scenario) backoff(n int) time.Duration {
	b := s.effInitial()
	for range n {
		if b >= s.effLimit() {
			break
		}
		b *= 2
	}
	return min(b, s.effLimit())
}

func cmpOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// sim is the simulated world of one scenario: clock, context and IAM.
type sim struct {
	sc     *scenario
	rng    *rand.Rand
	now    time.Time
	ctx    *simContext
	events []event
	calls  int
	sleeps int
}

// simContext is the Fetcher's context on the simulated clock. It implements
// AfterFunc, so a context the Fetcher derives from it (its calls' context)
// ends at once when this one does.
type simContext struct {
	deadline time.Time
	has      bool
	err      error
	done     chan struct{}
	funcs    map[int]func()
	next     int
}

func (c *simContext) Deadline() (time.Time, bool) { return c.deadline, c.has }
func (c *simContext) Done() <-chan struct{}       { return c.done }
func (c *simContext) Err() error                  { return c.err }
func (c *simContext) Value(any) any               { return nil }

func (c *simContext) AfterFunc(f func()) func() bool {
	id := c.next
	c.next++
	c.funcs[id] = f
	return func() bool {
		_, ok := c.funcs[id]
		delete(c.funcs, id)
		return ok
	}
}

// end ends the context with err and runs what was registered, as the
// standard library's contexts do.
func (c *simContext) end(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	close(c.done)
	for _, f := range c.funcs {
		f()
	}
	clear(c.funcs)
}

func (s *sim) Now() time.Time { return s.now }

func (s *sim) Sleep(ctx context.Context, d time.Duration) error {
	s.sleeps++
	s.events = append(s.events, event{at: s.now, sleep: d})
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.sleeps == s.sc.cancelSleep {
		s.ctx.end(context.Canceled)
		return context.Canceled
	}
	s.now = s.now.Add(d)
	if s.ctx.has && !s.now.Before(s.ctx.deadline) {
		s.ctx.end(context.DeadlineExceeded)
		return context.DeadlineExceeded
	}
	return nil
}

func (s *sim) GetCredentialReport(ctx context.Context, _ *iam.GetCredentialReportInput, _ ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	a := s.call(ctx, "Get")
	return a.get, a.err
}

func (s *sim) GenerateCredentialReport(ctx context.Context, _ *iam.GenerateCredentialReportInput, _ ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error) {
	a := s.call(ctx, "Generate")
	return a.gen, a.err
}

// call draws the answer to one call and plays its latency against ctx: a
// call still running at ctx's deadline is cut off there, as the SDK's is.
func (s *sim) call(ctx context.Context, op string) answer {
	s.calls++
	ev := event{at: s.now, op: op}
	ev.ctxDL, _ = ctx.Deadline()
	var a answer
	switch {
	case s.calls > 200:
		a = permanent(op, &smithy.GenericAPIError{Code: "TestRunaway", Message: "more than 200 calls"})
	case ctx.Err() != nil: // the SDK fails at once
		a = answer{what: "context already ended", class: clsCut, err: sdkError(op+"CredentialReport", ctx.Err()), inner: ctx.Err()}
		if errors.Is(ctx.Err(), context.Canceled) {
			a.class = clsCancel
		}
	default:
		switch {
		case s.calls == s.sc.cancelCall:
			a = answer{what: "cancelled during the call", class: clsCancel, latency: time.Duration(s.rng.Int64N(int64(2 * time.Second))),
				err: sdkError(op+"CredentialReport", &aws.RequestCanceledError{Err: context.Canceled}), inner: context.Canceled}
		case op == "Get":
			a = s.drawGet()
		default:
			a = s.drawGenerate()
		}
		if dl, ok := ctx.Deadline(); ok && !s.now.Add(a.latency).Before(dl) {
			// The Fetcher reads only its calls context's Err, which is
			// derived from s.ctx: ending s.ctx ends it.
			s.now = maxTime(s.now, dl)
			s.ctx.end(context.DeadlineExceeded)
			a = answer{what: fmt.Sprintf("cut off at the deadline (would have answered %s)", a.what), class: clsCut,
				err: sdkError(op+"CredentialReport", &aws.RequestCanceledError{Err: context.DeadlineExceeded}), inner: context.DeadlineExceeded}
		} else {
			s.now = s.now.Add(a.latency)
			if a.class == clsCancel {
				s.ctx.end(context.Canceled)
			}
		}
	}
	ev.ans = a
	s.events = append(s.events, ev)
	return a
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// latency: most IAM calls take a fraction of a second; one the SDK retried
// internally takes tens of seconds; some hang.
func (s *sim) latency() time.Duration {
	switch r := s.rng.IntN(100); {
	case r < 80:
		return time.Duration(20+s.rng.IntN(400)) * time.Millisecond
	case r < 95:
		return time.Duration(5+s.rng.IntN(40)) * time.Second
	case s.ctx.has:
		return 1000 * time.Hour // hangs until cut off
	default:
		return time.Duration(60+s.rng.IntN(60)) * time.Second
	}
}

// The kinds of answer each call draws from, with the scenario's weights.
var getKinds = []string{
	"fresh", "fresh-edge", "before-run", "stale", "stale-edge", "future", "implausible-time",
	"no-time", "no-content", "wrong-format", "nil-output", "malformed",
	"not-present", "expired", "in-progress", "limit", "failure", "throttle",
	"denied", "permanent",
}

var genKinds = []string{
	"started", "inprogress", "complete", "unknown-state",
	"limit", "failure", "throttle", "denied", "permanent", "nil-output",
}

// terminal kinds end a fetch whenever they answer.
var terminal = map[string]bool{
	"implausible-time": true, "no-time": true, "no-content": true, "wrong-format": true,
	"nil-output": true, "malformed": true, "denied": true, "permanent": true,
}

var validContents = []string{
	reportCSV,
	strings.ReplaceAll(reportCSV, "\n", "\r\n"),
	"\uFEFF" + reportCSV,
}

var malformedContents = []string{
	"user,arn\nalice,arn:aws:iam::123456789012:user/alice\n", // a missing column
	reportCSV[:strings.Index(reportCSV, "\n")+1],             // the header alone: no rows
	"\n",
	"\uFEFF",
	"<html><body>503 Service Unavailable</body></html>", // a proxy's page
	reportCSV[:len(reportCSV)-40],                       // truncated mid-row
}

func (s *sim) pick(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	r := s.rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	panic("unreachable")
}

var zones = []*time.Location{time.UTC, time.FixedZone("UTC+5:30", 5*3600+1800), time.FixedZone("UTC-8", -8*3600)}

func (s *sim) report(what string, at, generated time.Time) answer {
	a := answer{what: what, class: clsReport}
	content := validContents[s.rng.IntN(len(validContents))]
	if what == "malformed" {
		content = malformedContents[s.rng.IntN(len(malformedContents))]
		a.malform = true
	}
	a.get = &iam.GetCredentialReportOutput{
		Content:       []byte(content),
		GeneratedTime: aws.Time(generated.In(zones[s.rng.IntN(len(zones))])),
		ReportFormat:  []types.ReportFormatType{types.ReportFormatTypeTextCsv, ""}[s.rng.IntN(2)],
	}
	a.what = fmt.Sprintf("%s report generated %s (age %v)", what, generated.UTC().Format(time.RFC3339Nano), at.Sub(generated))
	return a
}

func (s *sim) drawGet() answer {
	maxAge := s.sc.effMaxAge()
	lat := s.latency()
	// The report's age is measured when IAM answers, at the end of the call.
	at := s.now.Add(lat)
	var a answer
	switch kind := getKinds[s.pick(s.sc.getW)]; kind {
	case "fresh":
		a = s.report(kind, at, at.Add(-time.Duration(s.rng.Int64N(int64(maxAge)))))
	case "fresh-edge":
		a = s.report(kind, at, at.Add(-maxAge+time.Duration(1+s.rng.IntN(1000))*time.Nanosecond))
	case "before-run":
		a = s.report(kind, at, simStart.Add(-time.Duration(s.rng.Int64N(int64(4*time.Hour)))))
	case "stale":
		a = s.report(kind, at, at.Add(-maxAge-time.Duration(s.rng.Int64N(int64(48*time.Hour)))))
	case "stale-edge":
		a = s.report(kind, at, at.Add(-maxAge))
	case "future":
		a = s.report(kind, at, at.Add(time.Duration(1+s.rng.IntN(300))*time.Second))
	case "implausible-time":
		t := []time.Time{{}, time.Unix(0, 0), time.Date(1994, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}[s.rng.IntN(4)]
		a = s.report(kind, at, t)
		a.class = clsBad
	case "malformed":
		a = s.report(kind, at, at.Add(-time.Duration(s.rng.Int64N(int64(maxAge)))))
	case "no-time":
		a = answer{what: "report without GeneratedTime", class: clsBad, get: &iam.GetCredentialReportOutput{Content: []byte(reportCSV), ReportFormat: types.ReportFormatTypeTextCsv}}
	case "no-content":
		c := [][]byte{nil, {}}[s.rng.IntN(2)]
		a = answer{what: "report without Content", class: clsBad, get: &iam.GetCredentialReportOutput{Content: c, GeneratedTime: aws.Time(at), ReportFormat: types.ReportFormatTypeTextCsv}}
	case "wrong-format":
		a = answer{what: "report in text/html", class: clsBad, get: &iam.GetCredentialReportOutput{Content: []byte(reportCSV), GeneratedTime: aws.Time(at), ReportFormat: "text/html"}}
	case "nil-output":
		a = answer{what: "no output and no error", class: clsBad}
	case "not-present":
		a = waited("Get", clsMissing, errNotPresent)
	case "expired":
		a = waited("Get", clsMissing, errExpired)
	case "in-progress":
		a = waited("Get", clsInProg, errInProgress)
	default:
		a = s.drawError("Get", kind)
	}
	a.latency = lat
	return a
}

func (s *sim) drawGenerate() answer {
	lat := s.latency()
	var a answer
	switch kind := genKinds[s.pick(s.sc.genW)]; kind {
	case "started", "inprogress", "complete", "unknown-state":
		st := map[string]types.ReportStateType{
			"started": types.ReportStateTypeStarted, "inprogress": types.ReportStateTypeInprogress,
			"complete": types.ReportStateTypeComplete,
		}[kind]
		if kind == "unknown-state" {
			st = []types.ReportStateType{"", "QUEUED"}[s.rng.IntN(2)]
		}
		a = answer{what: "state " + string(st), class: clsState, gen: &iam.GenerateCredentialReportOutput{State: st},
			seen: "GenerateCredentialReport state " + string(st)}
		if kind == "complete" {
			a.class = clsComplete
		}
	case "nil-output":
		a = answer{what: "no output and no error", class: clsBad}
	default:
		a = s.drawError("Generate", kind)
	}
	a.latency = lat
	return a
}

// waited is an answer Fetch waits out (or generates after).
func waited(op string, c class, err error) answer {
	var apiErr smithy.APIError
	errors.As(err, &apiErr)
	return answer{what: apiErr.ErrorCode(), class: c, err: sdkError(op+"CredentialReport", err), inner: err,
		seen: op + "CredentialReport " + apiErr.ErrorCode()}
}

func permanent(op string, err error) answer {
	return answer{what: "permanent " + err.Error(), class: clsPermanent, err: sdkError(op+"CredentialReport", err), inner: err}
}

func (s *sim) drawError(op, kind string) answer {
	switch kind {
	case "limit":
		return waited(op, clsTransient, errLimit)
	case "failure":
		return waited(op, clsTransient, errFailure)
	case "throttle":
		code := []string{"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}[s.rng.IntN(4)]
		base := &smithy.GenericAPIError{Code: code, Message: "Rate exceeded", Fault: smithy.FaultClient}
		a := waited(op, clsTransient, base)
		switch s.rng.IntN(3) {
		case 1: // the SDK's retryer ran out of attempts
			a.err = sdkError(op+"CredentialReport", &retry.MaxAttemptsError{Attempt: 3, Err: base})
			a.what += " after the SDK's 3 attempts"
		case 2: // the SDK's retry quota is spent
			a.err = sdkError(op+"CredentialReport", errors.Join(base, fmt.Errorf("failed to get rate limit token, %w", ratelimit.QuotaExceededError{Available: 0, Requested: 5})))
			a.what += " with the retry quota spent"
		}
		return a
	case "denied":
		code := []string{"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}[s.rng.IntN(3)]
		e := accessDenied(code)
		return answer{what: code, class: clsDenied, err: sdkError(op+"CredentialReport", e), inner: e}
	default:
		errs := []error{
			&smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid"},
			&smithy.GenericAPIError{Code: "ExpiredToken", Message: "The security token included in the request is expired"},
			errors.New("dial tcp 52.94.225.3:443: connect: connection refused"),
		}
		return permanent(op, errs[s.rng.IntN(len(errs))])
	}
}

func newScenario(i int, rng *rand.Rand) *scenario {
	s := &scenario{index: i}
	s.maxAge = []time.Duration{0, 0, 0, 4 * time.Hour, time.Hour, 24 * time.Hour}[rng.IntN(6)]
	switch rng.IntN(4) {
	case 0:
		s.initial, s.limit = 500*time.Millisecond, 8*time.Second
	case 1:
		s.initial, s.limit = 3*time.Second, 2*time.Second // cap below the start: the start is the cap
	}
	s.margin = []time.Duration{0, 0, 5 * time.Second, 30 * time.Second, -1}[rng.IntN(5)]
	s.maxAttempts = []int{0, 0, 0, 1, 2, 3, 5, 8}[rng.IntN(8)]
	if rng.IntN(10) < 7 {
		s.deadline = time.Duration(rng.Int64N(int64(10 * time.Minute)))
		if rng.IntN(10) == 0 {
			s.deadline = time.Duration(rng.Int64N(int64(40 * time.Second)))
		}
	}
	if rng.IntN(10) == 0 {
		s.cancelCall = 1 + rng.IntN(8)
	}
	if rng.IntN(10) == 0 {
		s.cancelSleep = 1 + rng.IntN(6)
	}
	s.report = rng.IntN(2) == 0
	// Answers that end the fetch at once are rarer, so that long polls,
	// deadlines and the attempt limit are reached too.
	weights := func(kinds []string) []int {
		w := make([]int, len(kinds))
		for {
			for j, k := range kinds {
				if terminal[k] {
					w[j] = []int{0, 0, 0, 0, 1, 2}[rng.IntN(6)]
				} else {
					w[j] = []int{0, 0, 1, 3, 10, 30}[rng.IntN(6)]
				}
			}
			if slices.ContainsFunc(w, func(v int) bool { return v > 0 }) {
				return w
			}
		}
	}
	s.getW, s.genW = weights(getKinds), weights(genKinds)
	return s
}

func TestFetchProperties(t *testing.T) {
	failed := 0
	outcomes := map[string]int{}
	for i := range propScenarios {
		rng := rand.New(rand.NewPCG(propSeed, uint64(i)))
		sc := newScenario(i, rng)
		problems, log, outcome := runScenario(sc, rng)
		outcomes[outcome]++
		if len(problems) > 0 {
			failed++
			if failed <= 5 {
				t.Errorf("%s\n%s\nviolations:\n  - %s", sc, log, strings.Join(problems, "\n  - "))
			}
		}
	}
	t.Logf("%v", outcomes)
	if failed > 5 {
		t.Errorf("%d scenarios of %d failed; the first 5 are shown", failed, propScenarios)
	}
	// Every way a fetch can end must have been reached, or the test checks
	// less than it claims.
	for _, o := range []string{
		"reused", "generated", "parsed", "not parsed", "malformed response", "denied",
		"permanent", "gave up: deadline", "gave up: attempts", "interrupted", "cut off",
	} {
		if outcomes[o] == 0 {
			t.Errorf("no scenario ended %q (outcomes: %v)", o, outcomes)
		}
	}
}

// runScenario runs Fetch (or Report) in one scenario and returns the
// invariants it broke, the printed sequence and how it ended.
func runScenario(sc *scenario, rng *rand.Rand) ([]string, string, string) {
	s := &sim{sc: sc, rng: rng, now: simStart,
		ctx: &simContext{done: make(chan struct{}), funcs: map[int]func(){}}}
	if sc.deadline > 0 {
		s.ctx.deadline, s.ctx.has = simStart.Add(sc.deadline), true
	}
	f := &credreport.Fetcher{
		Client: s, MaxAge: sc.maxAge, Now: s.Now, Sleep: s.Sleep, Rand: rng.Float64,
		InitialBackoff: sc.initial, MaxBackoff: sc.limit, DeadlineMargin: sc.margin, MaxAttempts: sc.maxAttempts,
	}
	var (
		got *credreport.Fetched
		rep *credreport.Report
		err error
	)
	if sc.report {
		rep, err = f.Report(s.ctx)
	} else {
		got, err = f.Fetch(s.ctx)
	}
	end := s.now
	p := check(sc, s.events, end, got, rep, err)
	return p, printSequence(s.events, end, got, rep, err), outcome(s, got, rep, err)
}

// outcome names how a fetch ended, to show every ending was reached.
func outcome(s *sim, got *credreport.Fetched, rep *credreport.Report, err error) string {
	var pe *credreport.ParseError
	switch {
	case rep != nil:
		return "parsed"
	case got != nil && got.Generated:
		return "generated"
	case got != nil:
		return "reused"
	case errors.As(err, &pe), errors.Is(err, credreport.ErrEmpty):
		return "not parsed"
	case errors.Is(err, credreport.ErrAccessDenied):
		return "denied"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, context.DeadlineExceeded):
		return "cut off"
	case errors.Is(err, credreport.ErrNotReady) && s.sc.deadline <= 0 && s.calls >= s.sc.effMaxAttempts():
		return "gave up: attempts"
	case errors.Is(err, credreport.ErrNotReady):
		return "gave up: deadline"
	}
	last := s.events[len(s.events)-1].ans
	if last.class == clsBad {
		return "malformed response"
	}
	return "permanent"
}

func printSequence(events []event, end time.Time, got *credreport.Fetched, rep *credreport.Report, err error) string {
	var b strings.Builder
	for i, e := range events {
		at := e.at.Sub(simStart)
		if e.op == "" {
			fmt.Fprintf(&b, "  %2d  t=%-12v wait %v\n", i, at, e.sleep)
			continue
		}
		dl := ""
		if !e.ctxDL.IsZero() {
			dl = fmt.Sprintf(" [call deadline t=%v]", e.ctxDL.Sub(simStart))
		}
		fmt.Fprintf(&b, "  %2d  t=%-12v %-8s → %s (took %v)%s\n", i, at, e.op, e.ans.what, e.ans.latency, dl)
	}
	fmt.Fprintf(&b, "  end t=%v: ", end.Sub(simStart))
	switch {
	case err != nil:
		fmt.Fprintf(&b, "error %q", err)
	case got != nil:
		fmt.Fprintf(&b, "Fetched{GeneratedTime: %s, Generated: %v, Attempts: %d, %d bytes}", got.GeneratedTime.Format(time.RFC3339Nano), got.Generated, got.Attempts, len(got.Content))
	case rep != nil:
		fmt.Fprintf(&b, "Report{GeneratedTime: %s, %d users}", rep.GeneratedTime.Format(time.RFC3339Nano), len(rep.Users))
	default:
		b.WriteString("no report and no error")
	}
	return b.String()
}

// check holds the invariants. It walks the events as the documents say
// Fetch must move through the report's lifecycle.
func check(sc *scenario, events []event, end time.Time, got *credreport.Fetched, rep *credreport.Report, err error) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	var calls []int // indexes of the call events
	for i, e := range events {
		if e.op != "" {
			calls = append(calls, i)
		}
	}
	if len(calls) == 0 {
		bad("Fetch made no IAM call")
		return problems
	}

	// Waits: each within [b/2, b] of its backoff, and (with a deadline)
	// ending the margin before it.
	margin := sc.effMargin()
	waits := 0
	for _, e := range events {
		if e.op != "" {
			continue
		}
		b := sc.backoff(waits)
		if e.sleep < b/2 || e.sleep > b {
			bad("wait %d is %v, want within [%v, %v]", waits, e.sleep, b/2, b)
		}
		if sc.deadline > 0 && e.at.Add(e.sleep).Add(margin).After(simStart.Add(sc.deadline)) {
			bad("wait %d from t=%v for %v ends within the %v margin before the deadline t=%v",
				waits, e.at.Sub(simStart), e.sleep, margin, sc.deadline)
		}
		waits++
	}

	// Calls: each carries the deadline less the margin.
	for _, i := range calls {
		e := events[i]
		if sc.deadline > 0 {
			want := simStart.Add(sc.deadline - margin)
			if !e.ctxDL.Equal(want) {
				bad("call %d (%s) has deadline %v, want t=%v (the deadline less the margin)", i, e.op, e.ctxDL.Sub(simStart), want.Sub(simStart))
			}
		}
	}
	// MaxAttempts is checked before each wait; the calls that follow one
	// another without a wait (a stale report's Get, Generate answering
	// COMPLETE, the Get of the new report) may pass it by two. A deadline
	// bounds a Fetch with one instead.
	if n, limit := len(calls), sc.effMaxAttempts(); sc.deadline <= 0 && n > limit+2 {
		bad("%d calls, MaxAttempts is %d", n, limit)
	}
	if sc.deadline > 0 {
		if limit := maxTime(simStart, simStart.Add(sc.deadline-margin)); end.After(limit) {
			bad("returned at t=%v, after the deadline less the margin (t=%v)", end.Sub(simStart), limit.Sub(simStart))
		}
	}

	// The lifecycle, call by call.
	first := events[calls[0]]
	if first.op != "Get" {
		bad("the first call is %s, want GetCredentialReport", first.op)
	}
	generated := false // a Generate call has answered a state
	var lastSeen *answer
	for k, i := range calls {
		e := events[i]
		a := e.ans
		last := k == len(calls)-1
		var next *event
		slept := false
		if !last {
			next = &events[calls[k+1]]
			slept = calls[k+1] != i+1
			if calls[k+1] > i+2 {
				bad("event %d: %d waits in a row", i, calls[k+1]-i-1)
			}
		}
		expect := func(op string, wait bool) {
			if last {
				bad("event %d: Fetch stopped after %s %s; want %s next", i, e.op, a.what, op)
				return
			}
			if next.op != op {
				bad("event %d: after %s %s the next call is %s, want %s", i, e.op, a.what, next.op, op)
			}
			if slept != wait {
				bad("event %d: after %s %s waited=%v, want %v", i, e.op, a.what, slept, wait)
			}
		}
		mustEnd := func() {
			if !last {
				bad("event %d: Fetch went on after %s %s", i, e.op, a.what)
			}
		}
		switch a.class {
		case clsReport:
			age := e.at.Add(a.latency).Sub(*a.get.GeneratedTime)
			if generated || age < sc.effMaxAge() {
				mustEnd()
			} else {
				expect("Generate", false)
			}
		case clsBad, clsDenied, clsPermanent, clsCut, clsCancel:
			mustEnd()
		case clsMissing:
			if !generated || !last {
				expect("Generate", generated)
			}
		case clsInProg:
			if !last {
				expect("Generate", true)
			}
		case clsTransient:
			if !last {
				expect(e.op, true)
			}
		case clsState:
			generated = true
			if !last {
				expect("Generate", true)
			}
		case clsComplete:
			generated = true
			expect("Get", false)
		}
		if a.seen != "" {
			lastSeen = &events[i].ans
		}
	}

	// The outcome, from the last call.
	lastEv := events[calls[len(calls)-1]]
	la := lastEv.ans
	if err == nil {
		if got == nil && rep == nil {
			bad("Fetch returned neither a report nor an error")
			return problems
		}
		if la.class != clsReport || lastEv.op != "Get" {
			bad("a report was returned, but the last call (%s) answered %s", lastEv.op, la.what)
			return problems
		}
		want := la.get.GeneratedTime.UTC()
		// The report's "as of" must be a time a report can have, as a file's
		// GeneratedTime must (README --report: 1995 or later).
		if want.Before(credreport.Earliest) || want.After(credreport.Latest) {
			bad("returned a report generated %s, a time no credential report has", want.Format(time.RFC3339))
		}
		if got != nil {
			if !got.GeneratedTime.Equal(want) || got.GeneratedTime.Location() != time.UTC {
				bad("GeneratedTime %v, want the report's %v in UTC", got.GeneratedTime, want)
			}
			if string(got.Content) != string(la.get.Content) {
				bad("Content is not the report IAM returned")
			}
			if got.Generated != generated {
				bad("Generated=%v, but Generate answered a state: %v", got.Generated, generated)
			}
			if got.Attempts != len(calls) {
				bad("Attempts=%d, want the %d calls made", got.Attempts, len(calls))
			}
		}
		if rep != nil {
			if la.malform {
				bad("Report returned a report from content that does not parse")
			}
			if !rep.GeneratedTime.Equal(want) {
				bad("Report's GeneratedTime %v, want the report's %v", rep.GeneratedTime, want)
			}
			if len(rep.Users) != 1 || rep.Root == nil {
				bad("Report has %d users and root=%v, want alice and the root", len(rep.Users), rep.Root != nil)
			}
		}
		return problems
	}
	if got != nil || rep != nil {
		bad("Fetch returned a report with its error")
	}
	msg := err.Error()
	if msg == "" {
		bad("empty error message")
	}
	if la.inner != nil && !errors.Is(err, la.inner) {
		bad("error %q does not wrap the last call's error %v", msg, la.inner)
	}
	switch la.class {
	case clsReport:
		// A report Fetch took; Report then failed to parse it.
		if !la.malform || !sc.report {
			bad("error %q after a well-formed report", msg)
		}
		var pe *credreport.ParseError
		if !errors.As(err, &pe) && !errors.Is(err, credreport.ErrEmpty) {
			bad("error %q for malformed content is not a parse error", msg)
		}
		if !strings.HasPrefix(msg, "parse credential report generated ") {
			bad("error %q does not say the report could not be parsed", msg)
		}
	case clsBad:
		if errors.Is(err, credreport.ErrNotReady) {
			bad("a malformed response is reported as not ready: %q", msg)
		}
		if !strings.Contains(msg, strings.ToLower(lastEv.op)+" credential report") {
			bad("error %q does not name the call", msg)
		}
	case clsDenied:
		perm := "iam:" + lastEv.op + "CredentialReport"
		if !errors.Is(err, credreport.ErrAccessDenied) || !strings.Contains(msg, perm) {
			bad("access denied error %q does not name %s", msg, perm)
		}
	case clsPermanent:
		if errors.Is(err, credreport.ErrNotReady) {
			bad("a permanent error is reported as not ready: %q", msg)
		}
	case clsCut:
		if !errors.Is(err, context.DeadlineExceeded) {
			bad("error %q of a call cut off at the deadline does not say so", msg)
		}
		if lastSeen != nil {
			checkGaveUp(lastSeen, err, bad)
		}
	case clsCancel:
		if !errors.Is(err, context.Canceled) {
			bad("error %q of a cancelled call does not say it was interrupted", msg)
		}
		if lastSeen != nil {
			checkGaveUp(lastSeen, err, bad)
		}
	case clsComplete:
		bad("gave up right after COMPLETE: %q", msg)
	default: // waited: gave up
		checkGaveUp(lastSeen, err, bad)
		cancelled := sc.cancelSleep > 0 && errors.Is(err, context.Canceled)
		spent := sc.deadline <= 0 && len(calls) >= sc.effMaxAttempts()
		if !cancelled && !spent {
			if sc.deadline <= 0 {
				bad("gave up with no deadline, attempts left and no cancellation: %q", msg)
			} else if b := sc.backoff(waits); !end.Add(b).Add(margin).After(simStart.Add(sc.deadline)) {
				bad("gave up at t=%v though a wait of up to %v fits before the deadline t=%v less the %v margin", end.Sub(simStart), b, sc.deadline, margin)
			}
		}
	}
	return problems
}

// checkGaveUp: a give-up wraps ErrNotReady and says what was last seen;
// but a Get cut off after COMPLETE gave up on no wait for IAM (the report
// was ready; README: "if it gives up, the alert says what was last seen"
// and audit's hint for ErrNotReady says IAM had not finished), so it says
// the report was ready instead.
func checkGaveUp(lastSeen *answer, err error, bad func(string, ...any)) {
	msg := err.Error()
	if lastSeen != nil && lastSeen.seen == "GenerateCredentialReport state COMPLETE" {
		if errors.Is(err, credreport.ErrNotReady) || !strings.Contains(msg, "after GenerateCredentialReport answered COMPLETE") {
			bad("the Get after COMPLETE failed, but the error %q does not say the report was ready", msg)
		}
		return
	}
	if !errors.Is(err, credreport.ErrNotReady) {
		bad("gave up waiting but the error %q is not ErrNotReady", msg)
	}
	if lastSeen == nil {
		return
	}
	if !strings.Contains(msg, "last seen: "+lastSeen.seen) {
		bad("error %q does not say what was last seen (%s)", msg, lastSeen.seen)
	}
	if lastSeen.inner != nil && !errors.Is(err, lastSeen.inner) {
		bad("error %q does not wrap the last error seen (%v)", msg, lastSeen.inner)
	}
}
