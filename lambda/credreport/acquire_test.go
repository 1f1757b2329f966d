package credreport_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
)

// start is the fake clock's time when each Fetch begins.
var start = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const reportCSV = credreporttest.Header + "\n" +
	"<root_account>,arn:aws:iam::123456789012:root,2019-01-01T00:00:00+00:00,not_supported,2026-11-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
	"alice,arn:aws:iam::123456789012:user/alice,2020-01-01T00:00:00+00:00,true,2026-11-20T00:00:00+00:00,2026-01-01T00:00:00+00:00,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"

// fakeCall is one scripted IAM call: the operation Fetch must make and what
// it gets back.
type fakeCall struct {
	op  string // "Get" or "Generate"
	get *iam.GetCredentialReportOutput
	gen *iam.GenerateCredentialReportOutput
	err error
	do  func() // run during the call (a Ctrl-C while it is under way)
}

func getReport(generated time.Time) fakeCall {
	return fakeCall{op: "Get", get: &iam.GetCredentialReportOutput{
		Content: []byte(reportCSV), GeneratedTime: aws.Time(generated), ReportFormat: types.ReportFormatTypeTextCsv,
	}}
}

func getFails(err error) fakeCall {
	return fakeCall{op: "Get", err: sdkError("GetCredentialReport", err)}
}

func generateState(s types.ReportStateType) fakeCall {
	return fakeCall{op: "Generate", gen: &iam.GenerateCredentialReportOutput{State: s}}
}

func generateFails(err error) fakeCall {
	return fakeCall{op: "Generate", err: sdkError("GenerateCredentialReport", err)}
}

// sdkError wraps err the way the SDK does, so errors.As must look through it.
func sdkError(op string, err error) error {
	return &smithy.OperationError{ServiceID: "IAM", OperationName: op, Err: err}
}

var (
	errNotPresent = &types.CredentialReportNotPresentException{Message: aws.String("Credential report not present")}
	errExpired    = &types.CredentialReportExpiredException{Message: aws.String("Credential report expired")}
	errInProgress = &types.CredentialReportNotReadyException{Message: aws.String("Credential report in progress")}
	errLimit      = &types.LimitExceededException{Message: aws.String("No more capacity to launch new report generation tasks")}
	errFailure    = &types.ServiceFailureException{Message: aws.String("Service failure")}
	errThrottling = &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultClient}
)

func accessDenied(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: "User: arn:aws:iam::123456789012:user/x is not authorized", Fault: smithy.FaultClient}
}

// fakeIAM plays a script of calls in order and records the operations made.
type fakeIAM struct {
	t      *testing.T
	script []fakeCall
	ops    []string
}

func (f *fakeIAM) next(op string) fakeCall {
	f.t.Helper()
	f.ops = append(f.ops, op)
	if len(f.script) == 0 {
		f.t.Errorf("call %d: unexpected %s, script exhausted", len(f.ops), op)
		return fakeCall{err: errors.New("script exhausted")}
	}
	c := f.script[0]
	f.script = f.script[1:]
	if c.do != nil {
		c.do()
	}
	if c.op != op {
		f.t.Errorf("call %d: Fetch called %s, script expects %s", len(f.ops), op, c.op)
	}
	return c
}

func (f *fakeIAM) GetCredentialReport(context.Context, *iam.GetCredentialReportInput, ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	c := f.next("Get")
	return c.get, c.err
}

func (f *fakeIAM) GenerateCredentialReport(context.Context, *iam.GenerateCredentialReportInput, ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error) {
	c := f.next("Generate")
	return c.gen, c.err
}

// fakeClock is a clock that only Sleep advances; Sleep records each wait and
// returns at once (or ctx's error, without waiting).
type fakeClock struct {
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.slept = append(c.slept, d)
	if err := ctx.Err(); err != nil {
		return err
	}
	c.now = c.now.Add(d)
	return nil
}

// deadlineContext has a deadline on the fake clock; it never ends by itself.
type deadlineContext struct {
	context.Context
	deadline time.Time
}

func (c deadlineContext) Deadline() (time.Time, bool) { return c.deadline, true }

// newFetcher returns a Fetcher on a fake client and clock, with 2s–30s
// backoff, a 5s deadline margin and jitter fixed at the middle (waits are
// 0.75 of the backoff: 1.5s, 3s, 6s, 12s, 22.5s, 22.5s, ...).
func newFetcher(t *testing.T, script []fakeCall) (*credreport.Fetcher, *fakeIAM, *fakeClock) {
	api := &fakeIAM{t: t, script: script}
	clock := &fakeClock{now: start}
	f := &credreport.Fetcher{
		Client:         api,
		MaxAge:         4 * time.Hour,
		Now:            clock.Now,
		InitialBackoff: 2 * time.Second,
		MaxBackoff:     30 * time.Second,
		DeadlineMargin: 5 * time.Second,
		Sleep:          clock.Sleep,
		Rand:           func() float64 { return 0.5 },
	}
	return f, api, clock
}

func seconds(s ...float64) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, v := range s {
		out[i] = time.Duration(v * float64(time.Second))
	}
	return out
}

func TestFetch(t *testing.T) {
	tests := []struct {
		name       string
		maxAge     time.Duration
		script     []fakeCall
		want       *credreport.Fetched
		wantSleeps []time.Duration
	}{
		{
			name:   "fresh report reused without Generate",
			script: []fakeCall{getReport(start.Add(-time.Hour))},
			want:   &credreport.Fetched{GeneratedTime: start.Add(-time.Hour), Attempts: 1},
		},
		{
			name:   "report one second younger than MaxAge reused",
			script: []fakeCall{getReport(start.Add(-4*time.Hour + time.Second))},
			want:   &credreport.Fetched{GeneratedTime: start.Add(-4*time.Hour + time.Second), Attempts: 1},
		},
		{
			name: "report exactly MaxAge old regenerated",
			script: []fakeCall{
				getReport(start.Add(-4 * time.Hour)),
				generateState(types.ReportStateTypeComplete),
				getReport(start),
			},
			want: &credreport.Fetched{GeneratedTime: start, Generated: true, Attempts: 3},
		},
		{
			name: "report older than MaxAge regenerated",
			script: []fakeCall{
				getReport(start.Add(-30 * time.Hour)),
				generateState(types.ReportStateTypeStarted),
				generateState(types.ReportStateTypeComplete),
				getReport(start.Add(time.Second)),
			},
			want:       &credreport.Fetched{GeneratedTime: start.Add(time.Second), Generated: true, Attempts: 4},
			wantSleeps: seconds(1.5),
		},
		{
			name:   "report still older than MaxAge after Generate completes is used",
			maxAge: time.Hour, // shorter than IAM's 4-hour reuse window: IAM returns COMPLETE without regenerating
			script: []fakeCall{
				getReport(start.Add(-2 * time.Hour)),
				generateState(types.ReportStateTypeComplete),
				getReport(start.Add(-2 * time.Hour)),
			},
			want: &credreport.Fetched{GeneratedTime: start.Add(-2 * time.Hour), Generated: true, Attempts: 3},
		},
		{
			name: "ReportNotPresent generates and polls through in progress until complete",
			script: []fakeCall{
				getFails(errNotPresent),
				generateState(types.ReportStateTypeStarted),
				generateState(types.ReportStateTypeInprogress),
				generateState(types.ReportStateTypeInprogress),
				generateState(types.ReportStateTypeInprogress),
				generateState(types.ReportStateTypeComplete),
				getReport(start.Add(20 * time.Second)),
			},
			want:       &credreport.Fetched{GeneratedTime: start.Add(20 * time.Second), Generated: true, Attempts: 7},
			wantSleeps: seconds(1.5, 3, 6, 12),
		},
		{
			name: "ReportExpired generates and polls through in progress until complete",
			script: []fakeCall{
				getFails(errExpired),
				generateState(types.ReportStateTypeStarted),
				generateState(types.ReportStateTypeInprogress),
				generateState(types.ReportStateTypeComplete),
				getReport(start.Add(5 * time.Second)),
			},
			want:       &credreport.Fetched{GeneratedTime: start.Add(5 * time.Second), Generated: true, Attempts: 5},
			wantSleeps: seconds(1.5, 3),
		},
		{
			name: "ReportInProgress from Get waits and polls Generate",
			script: []fakeCall{
				getFails(errInProgress),
				generateState(types.ReportStateTypeInprogress),
				generateState(types.ReportStateTypeComplete),
				getReport(start),
			},
			want:       &credreport.Fetched{GeneratedTime: start, Generated: true, Attempts: 4},
			wantSleeps: seconds(1.5, 3),
		},
		{
			name: "LimitExceeded from Generate waited out",
			script: []fakeCall{
				getFails(errNotPresent),
				generateFails(errLimit),
				generateFails(errLimit),
				generateState(types.ReportStateTypeStarted),
				generateState(types.ReportStateTypeComplete),
				getReport(start),
			},
			want:       &credreport.Fetched{GeneratedTime: start, Generated: true, Attempts: 6},
			wantSleeps: seconds(1.5, 3, 6),
		},
		{
			name: "Throttling from Get and Generate waited out",
			script: []fakeCall{
				getFails(errThrottling),
				getFails(errNotPresent),
				generateFails(errThrottling),
				generateState(types.ReportStateTypeComplete),
				getReport(start),
			},
			want:       &credreport.Fetched{GeneratedTime: start, Generated: true, Attempts: 5},
			wantSleeps: seconds(1.5, 3),
		},
		{
			name: "ServiceFailure from Get and Generate waited out",
			script: []fakeCall{
				getFails(errFailure),
				getFails(errNotPresent),
				generateFails(errFailure),
				generateState(types.ReportStateTypeComplete),
				getFails(errFailure),
				getReport(start),
			},
			want:       &credreport.Fetched{GeneratedTime: start, Generated: true, Attempts: 6},
			wantSleeps: seconds(1.5, 3, 6),
		},
		{
			name: "report still missing after Generate completes is waited for",
			script: []fakeCall{
				getFails(errNotPresent),
				generateState(types.ReportStateTypeComplete),
				getFails(errNotPresent),
				generateState(types.ReportStateTypeComplete),
				getReport(start),
			},
			want:       &credreport.Fetched{GeneratedTime: start, Generated: true, Attempts: 5},
			wantSleeps: seconds(1.5),
		},
		{
			name: "unknown Generate state treated as in progress",
			script: []fakeCall{
				getFails(errNotPresent),
				generateState("QUEUED"),
				generateState(types.ReportStateTypeComplete),
				getReport(start),
			},
			want:       &credreport.Fetched{GeneratedTime: start, Generated: true, Attempts: 4},
			wantSleeps: seconds(1.5),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, api, clock := newFetcher(t, tt.script)
			if tt.maxAge != 0 {
				f.MaxAge = tt.maxAge
			}
			got, err := f.Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			tt.want.Content = []byte(reportCSV)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Fetch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSleeps, clock.slept); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if len(api.script) > 0 {
				t.Errorf("Fetch stopped with %d scripted calls unmade (made %v)", len(api.script), api.ops)
			}
		})
	}
}

func TestFetchErrors(t *testing.T) {
	noGeneratedTime := fakeCall{op: "Get", get: &iam.GetCredentialReportOutput{Content: []byte(reportCSV), ReportFormat: types.ReportFormatTypeTextCsv}}
	noContent := fakeCall{op: "Get", get: &iam.GetCredentialReportOutput{GeneratedTime: aws.Time(start), ReportFormat: types.ReportFormatTypeTextCsv}}
	tests := []struct {
		name        string
		deadline    time.Duration // from start; zero means no deadline
		maxAttempts int
		cancelled   bool
		cancelAt    int // cancel ctx during this call (from 1)
		script      []fakeCall
		wantMsg     string // the error's text starts with this
		wantIs      []error
		wantAs      any // a pointer to a typed error errors.As must find
		wantCode    string
		wantSleeps  []time.Duration
	}{
		{
			// t=0 Get, Generate STARTED; waits 1.5s, 3s, 6s; at t=10.5s a 12s
			// wait would end at 22.5s, past 20s−5s margin.
			name:     "deadline approaching while generation in progress",
			deadline: 20 * time.Second,
			script: []fakeCall{
				getFails(errNotPresent),
				generateState(types.ReportStateTypeStarted),
				generateState(types.ReportStateTypeInprogress),
				generateState(types.ReportStateTypeInprogress),
				generateState(types.ReportStateTypeInprogress),
			},
			wantMsg:    "credential report not ready after 5 attempts over 10.5s: last seen: GenerateCredentialReport state INPROGRESS",
			wantIs:     []error{credreport.ErrNotReady},
			wantSleeps: seconds(1.5, 3, 6),
		},
		{
			name:     "deadline approaching while Get says ReportInProgress",
			deadline: 12 * time.Second,
			script: []fakeCall{
				getFails(errThrottling),
				getFails(errThrottling),
				getFails(errInProgress),
			},
			wantMsg:    "credential report not ready after 3 attempts over 4.5s: last seen: GetCredentialReport ReportInProgress: operation error IAM: GetCredentialReport",
			wantIs:     []error{credreport.ErrNotReady},
			wantAs:     new(*types.CredentialReportNotReadyException),
			wantSleeps: seconds(1.5, 3),
		},
		{
			name:     "deadline approaching while Generate says LimitExceeded",
			deadline: 20 * time.Second,
			script: []fakeCall{
				getFails(errExpired),
				generateFails(errLimit),
				generateFails(errLimit),
				generateFails(errLimit),
				generateFails(errLimit),
			},
			wantMsg:    "credential report not ready after 5 attempts over 10.5s: last seen: GenerateCredentialReport LimitExceeded: ",
			wantIs:     []error{credreport.ErrNotReady},
			wantAs:     new(*types.LimitExceededException),
			wantSleeps: seconds(1.5, 3, 6),
		},
		{
			name:     "deadline too close for the first wait",
			deadline: 6 * time.Second,
			script: []fakeCall{
				getFails(errNotPresent),
				generateState(types.ReportStateTypeStarted),
			},
			wantMsg: "credential report not ready after 2 attempts over 0s: last seen: GenerateCredentialReport state STARTED",
			wantIs:  []error{credreport.ErrNotReady},
		},
		{
			name:        "no deadline gives up after MaxAttempts",
			maxAttempts: 4,
			script: []fakeCall{
				getFails(errNotPresent),
				generateState(types.ReportStateTypeStarted),
				generateState(types.ReportStateTypeInprogress),
				generateState(types.ReportStateTypeInprogress),
			},
			wantMsg:    "credential report not ready after 4 attempts over 4.5s: last seen: GenerateCredentialReport state INPROGRESS",
			wantIs:     []error{credreport.ErrNotReady},
			wantSleeps: seconds(1.5, 3),
		},
		{
			name:      "context cancelled during a wait",
			cancelled: true,
			script: []fakeCall{
				getFails(errNotPresent),
				generateFails(errThrottling),
			},
			wantMsg:    "credential report not ready after 2 attempts over 0s (context canceled): last seen: GenerateCredentialReport Throttling: ",
			wantIs:     []error{credreport.ErrNotReady, context.Canceled},
			wantCode:   "Throttling",
			wantSleeps: seconds(1.5),
		},
		{
			// The report was ready when the run was interrupted: the error
			// said the last thing seen was the ReportInProgress before it,
			// as if IAM were still generating.
			name: "context cancelled during the Get after COMPLETE says the report was ready",
			script: []fakeCall{
				getFails(errInProgress),
				generateState(types.ReportStateTypeComplete),
				getFails(&aws.RequestCanceledError{Err: context.Canceled}),
			},
			cancelAt:   3,
			wantMsg:    "get credential report after GenerateCredentialReport answered COMPLETE: operation error IAM: GetCredentialReport, request canceled, context canceled",
			wantIs:     []error{context.Canceled},
			wantSleeps: seconds(1.5),
		},
		{
			name:     "access denied on Get names iam:GetCredentialReport",
			script:   []fakeCall{getFails(accessDenied("AccessDenied"))},
			wantMsg:  "access denied: GetCredentialReport needs permission iam:GetCredentialReport: ",
			wantIs:   []error{credreport.ErrAccessDenied},
			wantCode: "AccessDenied",
		},
		{
			name:     "access denied on Generate names iam:GenerateCredentialReport",
			script:   []fakeCall{getFails(errNotPresent), generateFails(accessDenied("AccessDenied"))},
			wantMsg:  "access denied: GenerateCredentialReport needs permission iam:GenerateCredentialReport: ",
			wantIs:   []error{credreport.ErrAccessDenied},
			wantCode: "AccessDenied",
		},
		{
			name: "AccessDeniedException on Generate after a stale report names iam:GenerateCredentialReport",
			script: []fakeCall{
				getReport(start.Add(-5 * time.Hour)),
				generateFails(accessDenied("AccessDeniedException")),
			},
			wantMsg:  "access denied: GenerateCredentialReport needs permission iam:GenerateCredentialReport: ",
			wantIs:   []error{credreport.ErrAccessDenied},
			wantCode: "AccessDeniedException",
		},
		{
			name:     "UnauthorizedOperation on Get is access denied",
			script:   []fakeCall{getFails(accessDenied("UnauthorizedOperation"))},
			wantMsg:  "access denied: GetCredentialReport needs permission iam:GetCredentialReport: ",
			wantIs:   []error{credreport.ErrAccessDenied},
			wantCode: "UnauthorizedOperation",
		},
		{
			name:    "report without GeneratedTime is an error",
			script:  []fakeCall{noGeneratedTime},
			wantMsg: "get credential report: response has no GeneratedTime",
		},
		{
			// As the as-of time, a report's time before AWS made every
			// credential look just used, and one past the year 9999 cannot be
			// written; a report file with such a time is refused the same way.
			name:    "report generated before 1995 is an error",
			script:  []fakeCall{getReport(time.Date(1994, 12, 31, 0, 0, 0, 0, time.UTC))},
			wantMsg: "get credential report: GeneratedTime 1994-12-31T00:00:00Z is before 1995, before any credential report",
		},
		{
			name:    "report with the zero GeneratedTime is an error",
			script:  []fakeCall{getReport(time.Time{})},
			wantMsg: "get credential report: GeneratedTime 0001-01-01T00:00:00Z is before 1995, before any credential report",
		},
		{
			name:    "report generated after the year 9999 is an error",
			script:  []fakeCall{getReport(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))},
			wantMsg: "get credential report: GeneratedTime 10000-01-01T00:00:00Z is after the year 9999 in UTC",
		},
		{
			name:    "report with empty content is an error",
			script:  []fakeCall{noContent},
			wantMsg: "get credential report: response has no Content",
		},
		{
			name: "report without GeneratedTime after generating is an error",
			script: []fakeCall{
				getFails(errNotPresent),
				generateState(types.ReportStateTypeComplete),
				noGeneratedTime,
			},
			wantMsg: "get credential report: response has no GeneratedTime",
		},
		{
			name:     "error not worth waiting for returned at once",
			script:   []fakeCall{getFails(&smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "bad token"})},
			wantMsg:  "get credential report: operation error IAM: GetCredentialReport, api error InvalidClientTokenId: bad token",
			wantCode: "InvalidClientTokenId",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, api, clock := newFetcher(t, tt.script)
			if tt.maxAttempts != 0 {
				f.MaxAttempts = tt.maxAttempts
			}
			var ctx context.Context = context.Background()
			if tt.deadline != 0 {
				ctx = deadlineContext{ctx, start.Add(tt.deadline)}
			}
			if tt.cancelled {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			if tt.cancelAt > 0 {
				c, cancel := context.WithCancel(ctx)
				defer cancel()
				api.script[tt.cancelAt-1].do = cancel
				ctx = c
			}
			got, err := f.Fetch(ctx)
			if err == nil {
				t.Fatalf("Fetch returned %+v, want an error", got)
			}
			if got != nil {
				t.Errorf("Fetch returned %+v with its error, want nil", got)
			}
			if !strings.HasPrefix(err.Error(), tt.wantMsg) {
				t.Errorf("error:\n%s\nwant it to start with:\n%s", err, tt.wantMsg)
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(err, %v) = false, want true", target)
				}
			}
			if tt.wantAs != nil && !errors.As(err, tt.wantAs) {
				t.Errorf("errors.As(err, %T) = false, want true", tt.wantAs)
			}
			if tt.wantCode != "" {
				var apiErr smithy.APIError
				if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantCode {
					t.Errorf("errors.As(err, smithy.APIError) code = %v, want %s", apiErr, tt.wantCode)
				}
			}
			if diff := cmp.Diff(tt.wantSleeps, clock.slept); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if len(api.script) > 0 {
				t.Errorf("Fetch stopped with %d scripted calls unmade (made %v)", len(api.script), api.ops)
			}
		})
	}
}

func TestFetchBackoffGrowsAndIsCapped(t *testing.T) {
	const (
		base     = 2 * time.Second
		limit    = 30 * time.Second
		attempts = 20
	)
	seeded := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		rand func() float64
	}{
		{"no jitter draw waits half the backoff", func() float64 { return 0 }},
		{"largest jitter draw waits just under the backoff", func() float64 { return 0.999999 }},
		{"random jitter stays within bounds", seeded.Float64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := []fakeCall{getFails(errNotPresent)}
			for range attempts - 1 {
				script = append(script, generateState(types.ReportStateTypeInprogress))
			}
			f, _, clock := newFetcher(t, script)
			f.InitialBackoff, f.MaxBackoff, f.MaxAttempts, f.Rand = base, limit, attempts, tt.rand
			if _, err := f.Fetch(context.Background()); !errors.Is(err, credreport.ErrNotReady) {
				t.Fatalf("Fetch error = %v, want ErrNotReady", err)
			}
			// The first call (Get) and the last (which gives up) are not
			// followed by a wait.
			if len(clock.slept) != attempts-2 {
				t.Fatalf("%d waits, want %d", len(clock.slept), attempts-2)
			}
			for n, d := range clock.slept {
				backoff := min(limit, base<<n)
				if d < backoff/2 || d > backoff {
					t.Errorf("wait %d = %v, want within [%v, %v]", n, d, backoff/2, backoff)
				}
			}
		})
	}
}

func TestReportParsesAndSetsGeneratedTime(t *testing.T) {
	f, _, _ := newFetcher(t, []fakeCall{getReport(start.Add(-time.Hour))})
	r, err := f.Report(context.Background())
	if err != nil {
		t.Fatalf("Report: %v", err)
	}
	got := struct {
		GeneratedTime time.Time
		AccountID     string
		Root          bool
		Users         []string
	}{r.GeneratedTime, r.AccountID, r.Root != nil, credreport.Table(r.Users).Names()}
	want := struct {
		GeneratedTime time.Time
		AccountID     string
		Root          bool
		Users         []string
	}{start.Add(-time.Hour), "123456789012", true, []string{"alice"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Report (-want +got):\n%s", diff)
	}
}

func TestReportMalformedContentIsParseError(t *testing.T) {
	bad := fakeCall{op: "Get", get: &iam.GetCredentialReportOutput{
		Content: []byte("user,arn\nalice,arn:aws:iam::123456789012:user/alice\n"), GeneratedTime: aws.Time(start),
	}}
	f, _, _ := newFetcher(t, []fakeCall{bad})
	_, err := f.Report(context.Background())
	var pe *credreport.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Report error = %v, want a *ParseError", err)
	}
	if want := "parse credential report generated 2026-11-23T12:00:00Z: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start with %q", err, want)
	}
}

// hangingIAM's calls return only when their context ends, as a call on a
// connection that hangs does.
type hangingIAM struct{ deadlines []time.Time }

func (h *hangingIAM) GetCredentialReport(ctx context.Context, _ *iam.GetCredentialReportInput, _ ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	d, _ := ctx.Deadline()
	h.deadlines = append(h.deadlines, d)
	<-ctx.Done()
	return nil, sdkError("GetCredentialReport", ctx.Err())
}

func (h *hangingIAM) GenerateCredentialReport(ctx context.Context, _ *iam.GenerateCredentialReportInput, _ ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error) {
	<-ctx.Done()
	return nil, sdkError("GenerateCredentialReport", ctx.Err())
}

// A call that hangs is cut off the deadline margin before the caller's
// deadline, as waits are, and not at the deadline: the caller keeps the
// margin to report the failure.
func TestFetchCallsEndTheMarginBeforeTheDeadline(t *testing.T) {
	api := &hangingIAM{}
	f := &credreport.Fetcher{Client: api, DeadlineMargin: 10*time.Second - 50*time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	_, err := f.Fetch(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "get credential report") {
		t.Errorf("Fetch error = %v, want the call's deadline", err)
	}
	if ctx.Err() != nil {
		t.Errorf("Fetch returned after the caller's deadline: %v", ctx.Err())
	}
	if len(api.deadlines) != 1 || !api.deadlines[0].Equal(deadline.Add(-f.DeadlineMargin)) {
		t.Errorf("calls had deadlines %v, want one at %v, the margin before the caller's", api.deadlines, deadline.Add(-f.DeadlineMargin))
	}
}
