package credreport

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// API is the part of the IAM client that Fetcher calls. *iam.Client satisfies
// it; tests substitute a scripted fake.
type API interface {
	GetCredentialReport(ctx context.Context, in *iam.GetCredentialReportInput, optFns ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error)
	GenerateCredentialReport(ctx context.Context, in *iam.GenerateCredentialReportInput, optFns ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error)
}

// Defaults for the zero values of Fetcher's fields.
const (
	// DefaultMaxAge matches IAM's own reuse window: IAM hands back a report
	// under four hours old instead of generating a new one.
	DefaultMaxAge = 4 * time.Hour
	// DefaultInitialBackoff and DefaultMaxBackoff bound the wait between polls.
	// Generation usually takes seconds; the cap keeps a long wait (LimitExceeded,
	// a busy account) from hammering an API AWS throttles account-wide.
	DefaultInitialBackoff = 2 * time.Second
	DefaultMaxBackoff     = 30 * time.Second
	// DefaultDeadlineMargin is the time left before ctx's deadline when Fetch
	// gives up, so the caller can still report the failure.
	DefaultDeadlineMargin = 5 * time.Second
	// DefaultMaxAttempts bounds the API calls of one Fetch whose context has
	// no deadline, so that it cannot poll forever (about 7 minutes of
	// waiting). One with a deadline polls until then.
	DefaultMaxAttempts = 20
)

var (
	// ErrAccessDenied is wrapped by Fetch's error when IAM denies a call; the
	// message names the missing permission and the SDK error stays wrapped.
	ErrAccessDenied = errors.New("access denied")
	// ErrNotReady is wrapped by Fetch's error when it gives up waiting (deadline
	// near, attempts exhausted or context done) before a report is available.
	// The last error IAM returned, if any, stays wrapped for errors.As.
	ErrNotReady = errors.New("credential report not ready")
)

// Fetcher acquires the account's credential report: GetCredentialReport first,
// reusing a report younger than MaxAge, otherwise GenerateCredentialReport,
// polled until it is COMPLETE, then GetCredentialReport again.
//
// Every API call goes through the client's own retryer (which already retries
// throttling and 5xx); Fetcher only waits out the report's lifecycle and the
// errors the retryer gives up on, with capped exponential backoff and equal
// jitter. A Fetcher is not modified by Fetch and may be shared.
type Fetcher struct {
	Client API
	// MaxAge is the oldest report reused without asking IAM to generate one;
	// zero means DefaultMaxAge. A report returned after GenerateCredentialReport
	// says COMPLETE is used whatever its age: IAM decides when to regenerate.
	MaxAge time.Duration
	// Now is the clock. It dates the report's age and measures the time left to
	// ctx's deadline, so it must advance (with Sleep); zero means time.Now.
	Now func() time.Time
	// InitialBackoff and MaxBackoff bound the waits: wait n (from 0) is drawn
	// from [b/2, b] with b = min(MaxBackoff, InitialBackoff·2ⁿ). Zero means the
	// defaults.
	InitialBackoff, MaxBackoff time.Duration
	// DeadlineMargin is kept free before ctx's deadline: Fetch does not start a
	// wait that would end later than deadline−DeadlineMargin. Zero means
	// DefaultDeadlineMargin; negative means none.
	DeadlineMargin time.Duration
	// MaxAttempts bounds the API calls of one Fetch whose ctx has no
	// deadline (one with a deadline polls until then, as a large account's
	// report may take minutes): no wait starts once it is reached, so the
	// calls that need no wait between them (a stale Get, a Generate
	// answering COMPLETE, the Get after it) may take it two past; zero
	// means DefaultMaxAttempts.
	MaxAttempts int
	// Sleep waits for d or until ctx is done; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns jitter in [0, 1); nil means math/rand/v2.
	Rand func() float64
}

// Fetched is a credential report as IAM returned it.
type Fetched struct {
	// Content is the CSV (the SDK has already decoded the base64 on the wire).
	Content []byte
	// GeneratedTime is when IAM generated the report, in UTC.
	GeneratedTime time.Time
	// Generated is true when Fetch had to call GenerateCredentialReport.
	Generated bool
	// Attempts counts the API calls Fetch made (each possibly retried by the SDK).
	Attempts int
}

// Report fetches the credential report and parses it, with GeneratedTime set.
func (f *Fetcher) Report(ctx context.Context) (*Report, error) {
	got, err := f.Fetch(ctx)
	if err != nil {
		return nil, err
	}
	r, err := Parse(got.Content)
	if err != nil {
		return nil, fmt.Errorf("parse credential report generated %s: %w", got.GeneratedTime.Format(time.RFC3339), err)
	}
	r.GeneratedTime = got.GeneratedTime
	return r, nil
}

// Fetch returns the account's credential report, generating one if the stored
// report is missing, expired or older than MaxAge. It never returns an empty
// report: every failure is an error.
func (f *Fetcher) Fetch(ctx context.Context) (*Fetched, error) {
	if f.Client == nil {
		return nil, errors.New("credential report fetcher has no IAM client")
	}
	p := f.newPoll()
	// The calls, not only the waits, end the margin before ctx's deadline:
	// a slow IAM call (the SDK retries a connection that hangs) could
	// otherwise use it up, and the caller needs it to report the failure.
	calls := ctx
	if deadline, ok := ctx.Deadline(); ok && p.margin > 0 {
		var cancel context.CancelFunc
		calls, cancel = context.WithDeadline(ctx, deadline.Add(-p.margin))
		defer cancel()
	}
	op := opGet
	for {
		p.attempts++
		var wait bool
		switch op {
		case opGet:
			out, err := f.Client.GetCredentialReport(calls, &iam.GetCredentialReportInput{})
			if err == nil {
				got, err := checkReport(out)
				if err != nil {
					return nil, err
				}
				got.Generated, got.Attempts = p.generated, p.attempts
				if p.generated || p.now().Sub(got.GeneratedTime) < p.maxAge {
					return got, nil
				}
				op = opGenerate // stale: ask IAM for a new one right away
				continue
			}
			switch classify(err) {
			case outcomeMissing:
				// Not present or expired: generate. If we already generated
				// and it is still missing, wait before asking again.
				op, wait = opGenerate, p.generated
			case outcomeNotReady:
				// Someone (maybe us) is generating: poll its state.
				op, wait = opGenerate, true
			case outcomeTransient:
				wait = true
			case outcomeDenied:
				return nil, denied("GetCredentialReport", err)
			default:
				return nil, p.failed(calls, "get credential report", err)
			}
			p.seen("GetCredentialReport "+errorCode(err), err)
		case opGenerate:
			out, err := f.Client.GenerateCredentialReport(calls, &iam.GenerateCredentialReportInput{})
			switch {
			case err == nil && out == nil:
				return nil, errors.New("generate credential report: no output")
			case err == nil && out.State == types.ReportStateTypeComplete:
				// Seen too: if the Get that follows is cut off, the error
				// says the report was ready, not what was seen before it.
				p.generated = true
				p.seen(seenComplete, nil)
				op = opGet
				continue
			case err == nil:
				// STARTED, INPROGRESS or a state this SDK does not know.
				p.generated = true
				p.seen("GenerateCredentialReport state "+string(out.State), nil)
				wait = true
			default:
				switch classify(err) {
				case outcomeTransient, outcomeNotReady:
					wait = true
				case outcomeDenied:
					return nil, denied("GenerateCredentialReport", err)
				default:
					return nil, p.failed(calls, "generate credential report", err)
				}
				p.seen("GenerateCredentialReport "+errorCode(err), err)
			}
		}
		if wait {
			if err := p.wait(ctx); err != nil {
				return nil, err
			}
		}
	}
}

type operation uint8

const (
	opGet operation = iota
	opGenerate
)

// poll is the state of one Fetch: the Fetcher's settings with defaults
// applied, and what has happened so far.
type poll struct {
	now            func() time.Time
	sleep          func(context.Context, time.Duration) error
	rand           func() float64
	maxAge         time.Duration
	initial, limit time.Duration
	margin         time.Duration
	maxAttempts    int

	start     time.Time
	attempts  int
	waits     int
	generated bool
	lastSeen  string
	lastErr   error
}

func (f *Fetcher) newPoll() *poll {
	p := &poll{
		now: f.Now, sleep: f.Sleep, rand: f.Rand,
		maxAge: f.MaxAge, initial: f.InitialBackoff, limit: f.MaxBackoff,
		margin: f.DeadlineMargin, maxAttempts: f.MaxAttempts,
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.sleep == nil {
		p.sleep = sleepContext
	}
	if p.rand == nil {
		p.rand = rand.Float64
	}
	if p.maxAge <= 0 {
		p.maxAge = DefaultMaxAge
	}
	if p.initial <= 0 {
		p.initial = DefaultInitialBackoff
	}
	if p.limit <= 0 {
		p.limit = DefaultMaxBackoff
	}
	p.limit = max(p.limit, p.initial)
	switch {
	case p.margin == 0:
		p.margin = DefaultDeadlineMargin
	case p.margin < 0:
		p.margin = 0
	}
	if p.maxAttempts <= 0 {
		p.maxAttempts = DefaultMaxAttempts
	}
	p.start = p.now()
	return p
}

// seen records the latest state or error, for the give-up message.
func (p *poll) seen(what string, err error) {
	p.lastSeen, p.lastErr = what, err
}

// backoff returns the next wait: equal jitter over a capped exponential.
func (p *poll) backoff() time.Duration {
	b := p.initial
	for i := 0; i < p.waits && b < p.limit; i++ {
		b *= 2
	}
	b = min(b, p.limit)
	half := b / 2
	return half + time.Duration(p.rand()*float64(b-half))
}

// wait sleeps before the next attempt, or gives up when the attempts are
// spent or the wait would end too close to ctx's deadline.
func (p *poll) wait(ctx context.Context) error {
	d := p.backoff()
	deadline, ok := ctx.Deadline()
	if !ok && p.attempts >= p.maxAttempts || ok && p.now().Add(d+p.margin).After(deadline) {
		return p.notReady(nil)
	}
	p.waits++
	if err := p.sleep(ctx, d); err != nil {
		return p.notReady(err)
	}
	return nil
}

// notReady is the give-up error: what was last seen, wrapping ErrNotReady, the
// reason the wait ended (if any) and the last error IAM returned (if any).
func (p *poll) notReady(cause error) error {
	format := "%w after %d attempts over %s"
	args := []any{ErrNotReady, p.attempts, p.now().Sub(p.start).Round(time.Millisecond)}
	if cause != nil {
		format += " (%w)"
		args = append(args, cause)
	}
	format += ": last seen: %s"
	args = append(args, p.lastSeen)
	if p.lastErr != nil {
		format += ": %w"
		args = append(args, p.lastErr)
	}
	return fmt.Errorf(format, args...)
}

// failed wraps an error that is not worth waiting out. If ctx ended during the
// call while Fetch was already waiting for the report, it says what was last
// seen, as a give-up does.
func (p *poll) failed(ctx context.Context, what string, err error) error {
	switch {
	case p.lastSeen == seenComplete:
		// Not a give-up waiting for IAM: the report was ready, and
		// fetching it was cut off (out of time) or failed.
		return fmt.Errorf("%s after GenerateCredentialReport answered COMPLETE: %w", what, err)
	case ctx.Err() != nil && p.lastSeen != "":
		return p.notReady(err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// seenComplete is what GenerateCredentialReport's COMPLETE is seen as.
const seenComplete = "GenerateCredentialReport state COMPLETE"

func denied(op string, err error) error {
	return fmt.Errorf("%w: %s needs permission iam:%s: %w", ErrAccessDenied, op, op, err)
}

// checkReport turns a successful GetCredentialReport into a Fetched, refusing
// a report without content or generation time rather than treating it as empty.
// A generation time no report can have (before Earliest, after Latest) is
// refused too, as in a report file: as the report's "as of" it would make
// every credential look just used, or could not be written.
func checkReport(out *iam.GetCredentialReportOutput) (*Fetched, error) {
	switch {
	case out == nil:
		return nil, errors.New("get credential report: no output")
	case out.GeneratedTime == nil:
		return nil, errors.New("get credential report: response has no GeneratedTime")
	}
	if why := OutOfRange(*out.GeneratedTime); why != "" {
		return nil, fmt.Errorf("get credential report: GeneratedTime %s %s", out.GeneratedTime.UTC().Format(time.RFC3339), why)
	}
	switch {
	case len(out.Content) == 0:
		return nil, errors.New("get credential report: response has no Content")
	case out.ReportFormat != "" && out.ReportFormat != types.ReportFormatTypeTextCsv:
		return nil, fmt.Errorf("get credential report: ReportFormat %q, want %q", out.ReportFormat, types.ReportFormatTypeTextCsv)
	}
	return &Fetched{Content: out.Content, GeneratedTime: out.GeneratedTime.UTC()}, nil
}

type outcome uint8

const (
	outcomeOther     outcome = iota // not handled here: fail
	outcomeMissing                  // ReportNotPresent, ReportExpired: generate
	outcomeNotReady                 // ReportInProgress: wait for generation
	outcomeTransient                // LimitExceeded, throttling, ServiceFailure: wait, retry
	outcomeDenied                   // missing permission: fail, naming it
)

// accessDeniedCodes are the error codes IAM and its front ends use for a
// missing permission. They are not modelled as types.
var accessDeniedCodes = map[string]bool{
	"AccessDenied":          true,
	"AccessDeniedException": true,
	"UnauthorizedOperation": true,
}

func classify(err error) outcome {
	var (
		notPresent *types.CredentialReportNotPresentException
		expired    *types.CredentialReportExpiredException
		notReady   *types.CredentialReportNotReadyException
		apiErr     smithy.APIError
	)
	switch {
	case errors.As(err, &notPresent), errors.As(err, &expired):
		return outcomeMissing
	case errors.As(err, &notReady):
		return outcomeNotReady
	case HoldupOf(err) != HoldupGenerating: // a throttle, IAM's capacity or a failure of IAM's
		return outcomeTransient
	case errors.As(err, &apiErr) && accessDeniedCodes[apiErr.ErrorCode()]:
		return outcomeDenied
	}
	return outcomeOther
}

// Holdup is what kept the report from a Fetch that gave up waiting
// (ErrNotReady), as it last saw it.
type Holdup uint8

const (
	// HoldupGenerating: IAM was generating the report, or had none yet.
	HoldupGenerating Holdup = iota
	// HoldupThrottled: IAM throttled the calls, past the SDK's retries.
	HoldupThrottled
	// HoldupNoCapacity: IAM could not start generating (LimitExceeded).
	HoldupNoCapacity
	// HoldupServiceFailure: IAM failed (ServiceFailure), or the call did.
	HoldupServiceFailure
)

// HoldupOf is what kept the report from the Fetch that returned err, from
// the last error IAM returned, which a give-up wraps.
func HoldupOf(err error) Holdup {
	var (
		limit   *types.LimitExceededException
		failure *types.ServiceFailureException
		apiErr  smithy.APIError
	)
	switch {
	case errors.As(err, &limit):
		return HoldupNoCapacity
	case errors.As(err, &failure):
		return HoldupServiceFailure
	case errors.As(err, &apiErr):
		if _, ok := retry.DefaultThrottleErrorCodes[apiErr.ErrorCode()]; ok {
			return HoldupThrottled
		}
	}
	return HoldupGenerating
}

// errorCode names err for the give-up message: its API error code, or
// "error" when it has none (a network or context error).
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return "error"
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
