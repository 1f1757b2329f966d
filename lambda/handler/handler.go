// Package handler is the Lambda face of the credaudit binary: it validates
// the function's settings at cold start, reads each invocation's event and
// runs one audit (package audit) with the function's AWS clients.
package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/internal/awsname"
	"github.com/credaudit/credaudit/lambda/org"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/state"
)

// Handler runs audits for invocations. Build it once per cold start with
// New and call Invoke for each event.
type Handler struct {
	Settings Settings
	// AWS is the function's own configuration: its credentials read the
	// state, the configuration file and publish to the topic; a member
	// account's report and Security Hub are reached through the role a
	// per-account request names.
	AWS aws.Config
	Log *slog.Logger
	// Metrics receives the embedded-metric-format line of each run.
	Metrics io.Writer
	// Fetcher and Importer tune acquisition and imports (tests shorten
	// their waits); their clients are set per run.
	Fetcher  credreport.Fetcher
	Importer publish.Importer
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// own are the clients on the function's own credentials, built on the
	// first Invoke (so AWS must be final by then) and reused by every warm
	// invocation.
	ownOnce sync.Once
	own     ownClients
}

type ownClients struct {
	store state.Store
	topic *sns.Client
	sts   *sts.Client
	ssm   *ssm.Client
	s3    *s3.Client
	org   *organizations.Client
}

func (h *Handler) clients() *ownClients {
	h.ownOnce.Do(func() {
		pathStyle := customEndpoint()
		h.own = ownClients{
			store: state.NewS3(h.AWS, h.Settings.StateBucket, state.S3Options{UsePathStyle: pathStyle}),
			topic: sns.NewFromConfig(h.AWS),
			sts:   sts.NewFromConfig(h.AWS),
			ssm:   ssm.NewFromConfig(h.AWS),
			s3: s3.NewFromConfig(h.AWS, func(o *s3.Options) {
				o.UsePathStyle = pathStyle
				o.DisableLogOutputChecksumValidationSkipped = true
			}),
			org: organizations.NewFromConfig(h.AWS),
		}
	})
	return &h.own
}

// New validates the settings in getenv and builds a Handler on cfg.
func New(cfg aws.Config, getenv func(string) string, log *slog.Logger, metrics io.Writer) (*Handler, error) {
	s, err := LoadSettings(getenv)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{Settings: s, AWS: cfg, Log: log, Metrics: metrics}, nil
}

// Response is an invocation's result: the account's summary, which an
// orchestrator aggregates into the organisation digest, and what of a
// per-account request's audit went wrong after the account was seen.
type Response struct {
	audit.Summary
	// Error says, as the organisation digest quotes it (org.Describe),
	// what a per-account request's audit could not do although it saw the
	// account: publish to Security Hub, send the digest or save the state.
	// "" when everything was done. Such an invocation succeeds, because
	// Lambda drops the result of one that fails, and the orchestrator
	// needs both the summary and the error; it logs LogIncomplete instead.
	Error string `json:"error,omitempty"`
}

// LogIncomplete is the message of the error line a per-account request
// logs when it returns an Error with its summary instead of failing. It
// stands in for the function error the invocation no longer is: the
// organisation stack counts these lines with a metric filter on the
// auditor's log group and alarms on them (infra's AuditsIncomplete).
const LogIncomplete = "audit incomplete"

// LogIncludedNotListed is the message of the error line list_accounts logs
// when the filters include by ID what the organisation does not have to
// audit (org.Missing). No audit runs for it, so no function error tells
// the alarms, as one does of an account whose audit failed: the
// organisation stack counts these lines on the orchestrator's log group
// and alarms on them (infra's IncludedNotListed).
const LogIncludedNotListed = "included not listed"

// Handle is the function's entry: it runs one audit for an audit event, or
// one step of an organisation run. Its error fails the invocation, so
// Lambda retries it and alarms see it; the run has already sent an
// operational alert when it could not see. A per-account request that saw
// the account returns its error in the Response instead (see audit).
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	ctx, cancel := reserveForAlert(ctx)
	defer cancel()
	req, aud, err := h.start(ctx, payload)
	if err != nil {
		return nil, err
	}
	if req.Org != nil {
		return h.orchestrate(ctx, aud, req.Org)
	}
	return h.audit(ctx, aud, req)
}

// Invoke is Handle for audit events only, with the account's summary
// typed; an organisation step is refused.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (*Response, error) {
	ctx, cancel := reserveForAlert(ctx)
	defer cancel()
	req, aud, err := h.start(ctx, payload)
	if err != nil {
		return nil, err
	}
	if req.Org != nil {
		return nil, fmt.Errorf("Invoke runs audits; %q is an organisation step (use Handle)", req.Org.Action)
	}
	return h.audit(ctx, aud, req)
}

// AlertReserve is the time an invocation keeps after its run's deadline:
// a run whose work reaches that deadline (a call that hangs) fails, and its
// alert, which says why, or, when it reached it publishing, its digest,
// state save and kept summary, go on in the time kept (audit.Overtime),
// before Lambda stops the function.
const AlertReserve = 10 * time.Second

// reserveForAlert is ctx ending AlertReserve before its deadline, if it has
// one.
func reserveForAlert(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-AlertReserve))
	}
	return ctx, func() {}
}

// start reads the event; a bad one alerts.
func (h *Handler) start(ctx context.Context, payload json.RawMessage) (Request, *audit.Auditor, error) {
	aud := h.auditor(ctx)
	req, err := ParseRequest(payload)
	if err != nil {
		return req, nil, aud.Fail(ctx, &audit.Failure{Phase: audit.PhaseEvent, Err: err,
			Hint: "the schedule's input or the invoking state machine sends an event credaudit does not accept (see events/ for the accepted shapes)."})
	}
	h.Log.LogAttrs(ctx, slog.LevelInfo, "invoke", slog.String("source", req.Source), slog.String("account_id", req.AccountID),
		slog.String("delivery", req.Delivery))
	return req, aud, nil
}

// audit runs one account's audit: the function's own, or a member's
// through the role the request names. A per-account request's error says
// what to check too, since that is all an organisation run records of it.
// A per-account request that saw the account but could not publish or
// save everything does not fail: its Response carries the summary and the
// error, and the failure is logged as LogIncomplete.
func (h *Handler) audit(ctx context.Context, aud *audit.Auditor, req Request) (*Response, error) {
	sum, err := h.auditAccount(ctx, aud, req)
	incomplete := err != nil && req.Source == "account"
	if incomplete {
		err = described{err}
	}
	if sum == nil {
		return nil, err
	}
	resp := &Response{Summary: *sum}
	if incomplete {
		resp.Error = err.Error()
	}
	if req.RunID != "" {
		// Kept after a run that reached its deadline too, as its state.
		post, cancel := audit.Overtime(ctx)
		h.keepSummary(post, req.RunID, resp)
		cancel()
	}
	if !incomplete {
		return resp, err
	}
	h.Log.LogAttrs(ctx, slog.LevelError, LogIncomplete, slog.String("account_id", sum.AccountID), slog.String("error", audit.LogSafe(err)),
		slog.String("effect", "the invocation succeeds so that the caller gets the summary; the error is in the response"))
	return resp, nil
}

func (h *Handler) auditAccount(ctx context.Context, aud *audit.Auditor, req Request) (*audit.Summary, error) {
	if req.Notify != nil {
		aud.Notify = *req.Notify
		aud.NoAlerts = *req.Notify == audit.NotifyNever
	}
	if req.AccountID != "" {
		aud.AccountID = req.AccountID
	}
	aud.Delivery = req.Delivery
	// An organisation run's audits (the state machine names its run) write
	// one series per metric, not one per member account (CloudWatch bills
	// each); a single account's keep the dimension its dashboard reads.
	aud.MetricsAcrossAccounts = req.RunID != ""
	member := h.AWS
	if req.RoleARN != "" {
		member = org.MemberConfig(h.AWS, h.clients().sts, req.RoleARN, req.AccountID)
		if err := org.Assume(ctx, member, req.RoleARN); err != nil {
			return nil, aud.Fail(ctx, err)
		}
	}
	var hub *publish.Importer
	if h.Settings.SecurityHub {
		hub = &h.Importer
	}
	org.UseMember(aud, member, req.RoleARN, hub)
	cfg, err := h.loadConfig(ctx)
	if err != nil {
		return nil, aud.Fail(ctx, &audit.Failure{Phase: audit.PhaseConfiguration, Err: err,
			Hint: "fix the configuration file (the error names the file and line, and the column but for a YAML syntax error), or its location in " + EnvConfig + "."})
	}
	if aud.Selected, aud.Profile, err = cfg.Selection(h.Settings.Profile); err != nil {
		return nil, aud.Fail(ctx, &audit.Failure{Phase: audit.PhaseConfiguration, Err: err})
	}
	for _, note := range cfg.Notes(aud.Profile) {
		h.Log.LogAttrs(ctx, slog.LevelWarn, "configuration", slog.String("note", note))
	}
	if cfg != nil {
		aud.Suppressions = cfg.Suppressions
	}
	out, err := aud.Run(ctx)
	if out == nil {
		return nil, err
	}
	return audit.Summarize(out), err
}

// described is a per-account request's error as the organisation digest
// quotes it (org.Describe): the Lambda runtime reports only Error().
type described struct{ error }

func (d described) Error() string { return org.Describe(d.error) }
func (d described) Unwrap() error { return d.error }

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// auditor is a run's Auditor before the event is read: the function's own
// clients and settings.
func (h *Handler) auditor(ctx context.Context) *audit.Auditor {
	s, own := h.Settings, h.clients()
	fetcher := h.Fetcher
	if fetcher.DeadlineMargin == 0 {
		fetcher.DeadlineMargin = publishReserve(ctx)
	}
	return &audit.Auditor{
		Fetcher:      fetcher,
		Store:        own.store,
		RefreshAfter: s.RefreshAfter,
		HubRegion:    s.HubRegion,
		Topic:        own.topic,
		TopicARN:     s.TopicARN,
		Notify:       s.Notify,
		Log:          h.Log,
		Metrics:      h.Metrics,
		MetricsLevel: s.MetricsLevel,
		Now:          h.Now,
		// The function's own, which an alert before the request or the
		// report is read names; a per-account request's replaces it.
		AccountID: OwnAccount(ctx),
	}
}

// publishReserve is the time acquiring the report leaves before ctx's
// deadline, to evaluate, publish (a first run imports the 22,000 findings
// of a 5,000-user account at Security Hub's 10 requests a second: some
// 23 s) and save: 2 minutes, or a quarter of the time left when that is
// less (a timeoutSeconds of 60 leaves 15 s).
func publishReserve(ctx context.Context) time.Duration {
	const most = 2 * time.Minute
	if deadline, ok := ctx.Deadline(); ok {
		return max(min(most, time.Until(deadline)/4), time.Second)
	}
	return most
}

// customEndpoint reports whether the SDK is pointed at an emulator or a
// private endpoint, where S3 needs path-style addressing.
func customEndpoint() bool {
	return os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
}

// loadConfig reads the configuration file, if one is set, with the
// function's own credentials. Its errors name the file (as the S3 URI or
// SSM parameter) and line, and the column but for a YAML syntax error.
func (h *Handler) loadConfig(ctx context.Context) (*config.Config, error) {
	src := h.Settings.Config
	var data []byte
	switch {
	case src.Parameter != "":
		out, err := h.clients().ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(src.Parameter), WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", src, err)
		}
		if out.Parameter == nil || out.Parameter.Value == nil {
			return nil, fmt.Errorf("read %s: the parameter has no value", src)
		}
		data = []byte(*out.Parameter.Value)
	case src.Bucket != "":
		var err error
		if data, _, err = h.readObject(ctx, Location{Bucket: src.Bucket, Key: src.Key}, config.MaxSize); err != nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	return config.Parse(src.String(), data)
}

// readObject reads the object at loc, and its ETag, with the function's
// own credentials, refusing an object larger than limit bytes. Its errors
// name the object.
func (h *Handler) readObject(ctx context.Context, loc Location, limit int64) ([]byte, *string, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)}
	out, err := h.clients().s3.GetObject(ctx, in)
	if region := bucketRegion(err); region != "" {
		// A bucket of another region (one configuration bucket for
		// every region's stack): S3 answers with a redirect that names
		// the bucket's region, which the SDK does not follow.
		out, err = h.clients().s3.GetObject(ctx, in, func(o *s3.Options) { o.Region = region })
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", loc, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", loc, err)
	}
	if int64(len(data)) > limit {
		return nil, nil, fmt.Errorf("%s: larger than %d bytes", loc, limit)
	}
	return data, out.ETag, nil
}

// bucketRegion is the region S3's redirect err names for a bucket in
// another region than the request's endpoint (301, x-amz-bucket-region);
// "" for any other error.
func bucketRegion(err error) string {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusMovedPermanently || re.Response == nil {
		return ""
	}
	if region := re.Response.Header.Get("X-Amz-Bucket-Region"); awsname.IsRegion(region) {
		return region
	}
	return ""
}

// ErrSettings marks a cold start whose settings are invalid: every
// invocation fails with it until the function is reconfigured.
var ErrSettings = errors.New("credaudit is misconfigured")
