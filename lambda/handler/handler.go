// Package handler is the Lambda face of the credaudit binary: it validates
// the function's settings at cold start, reads each invocation's event and
// runs one audit (package audit) with the function's AWS clients.
package handler

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/rules"
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

// Response is an invocation's result: a summary an orchestrator can
// aggregate (the organisation digest), never report contents beyond the
// most severe new findings.
type Response struct {
	AccountID    string         `json:"account_id"`
	Alias        string         `json:"alias,omitempty"`
	Users        int            `json:"users"`
	Failing      int            `json:"failing"`
	BySeverity   map[string]int `json:"failing_by_severity"`
	Suppressed   int            `json:"suppressed"`
	NotAvailable int            `json:"not_available"`
	New          int            `json:"new"`
	Changed      int            `json:"changed"`
	Resolved     int            `json:"resolved"`
	Gone         int            `json:"gone"`
	StillFailing int            `json:"still_failing"`
	Imported     int            `json:"imported"`
	Notified     bool           `json:"notified"`
	// TopNew lists the most severe new or changed findings, at most
	// MaxTopNew.
	TopNew []NewFinding `json:"top_new,omitempty"`
}

// NewFinding is one new or changed finding in a Response.
type NewFinding struct {
	RuleID   string `json:"rule_id"`
	Severity string `json:"severity"`
	User     string `json:"user"`
	Reason   string `json:"reason"`
}

// MaxTopNew bounds Response.TopNew (a Step Functions state carries at most
// 256 KB).
const MaxTopNew = 10

// Invoke runs one audit for an event. Its error fails the invocation, so
// Lambda retries it and alarms see it; the run has already sent an
// operational alert when it could not see.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (*Response, error) {
	aud := h.auditor(ctx)
	req, err := ParseRequest(payload)
	if err != nil {
		return nil, aud.Fail(ctx, &audit.Failure{Phase: "event", Err: err,
			Hint: "the schedule's input or the invoking state machine sends an event credaudit does not accept (see events/ for the accepted shapes)."})
	}
	h.Log.LogAttrs(ctx, slog.LevelInfo, "invoke", slog.String("source", req.Source), slog.String("account_id", req.AccountID))
	member := h.AWS
	if req.RoleARN != "" {
		member = h.AWS.Copy()
		member.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(h.AWS), req.RoleARN,
			func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = "credaudit-" + req.AccountID
				o.Duration = time.Hour // the most a chained role session may last
			}))
	}
	aud.AccountID = req.AccountID
	aud.IAM = iam.NewFromConfig(member)
	if h.Settings.SecurityHub {
		im := h.Importer
		im.Client = securityhub.NewFromConfig(member, func(o *securityhub.Options) { o.Region = h.Settings.HubRegion })
		aud.Hub = &im
	}
	if req.Notify != nil {
		aud.Notify = *req.Notify
	}
	cfg, err := h.loadConfig(ctx)
	if err != nil {
		return nil, aud.Fail(ctx, &audit.Failure{Phase: "configuration", Err: err,
			Hint: "fix the configuration file (the error names the file, line and column), or its location in " + EnvConfig + "."})
	}
	if aud.Selected, aud.Profile, err = cfg.Selection(h.Settings.Profile); err != nil {
		return nil, aud.Fail(ctx, &audit.Failure{Phase: "configuration", Err: err})
	}
	if cfg != nil {
		aud.Suppressions = cfg.Suppressions
	}
	out, err := aud.Run(ctx)
	if out == nil {
		return nil, err
	}
	return respond(out), err
}

// auditor is a run's Auditor before the event is read: the function's own
// clients and settings.
func (h *Handler) auditor(ctx context.Context) *audit.Auditor {
	s := h.Settings
	fetcher := h.Fetcher
	if fetcher.DeadlineMargin == 0 {
		// Leave time after acquiring to publish and save.
		fetcher.DeadlineMargin = 30 * time.Second
	}
	return &audit.Auditor{
		Fetcher:      fetcher,
		Store:        state.NewS3(h.AWS, s.StateBucket, state.S3Options{UsePathStyle: customEndpoint()}),
		RefreshAfter: s.RefreshAfter,
		HubRegion:    s.HubRegion,
		Topic:        sns.NewFromConfig(h.AWS),
		TopicARN:     s.TopicARN,
		Notify:       s.Notify,
		Log:          h.Log,
		Metrics:      h.Metrics,
		Now:          h.Now,
	}
}

// customEndpoint reports whether the SDK is pointed at an emulator or a
// private endpoint, where S3 needs path-style addressing.
func customEndpoint() bool {
	return os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
}

// loadConfig reads the configuration file, if one is set, with the
// function's own credentials. Its errors name the file (as the S3 URI or
// SSM parameter), line and column.
func (h *Handler) loadConfig(ctx context.Context) (*config.Config, error) {
	src := h.Settings.Config
	var data []byte
	switch {
	case src.Parameter != "":
		out, err := ssm.NewFromConfig(h.AWS).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(src.Parameter), WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", src, err)
		}
		if out.Parameter == nil || out.Parameter.Value == nil {
			return nil, fmt.Errorf("read %s: the parameter has no value", src)
		}
		data = []byte(*out.Parameter.Value)
	case src.Bucket != "":
		out, err := s3.NewFromConfig(h.AWS, func(o *s3.Options) {
			o.UsePathStyle = customEndpoint()
			o.DisableLogOutputChecksumValidationSkipped = true
		}).
			GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key)})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", src, err)
		}
		defer out.Body.Close()
		const maxConfig = 1 << 20
		data, err = io.ReadAll(io.LimitReader(out.Body, maxConfig+1))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", src, err)
		}
		if len(data) > maxConfig {
			return nil, fmt.Errorf("%s: larger than %d bytes", src, maxConfig)
		}
	default:
		return nil, nil
	}
	return config.Parse(src.String(), data)
}

func respond(out *audit.Outcome) *Response {
	c := out.Counts
	r := &Response{
		AccountID: out.AccountID, Alias: out.Alias, Users: len(out.Observation.Report.Users),
		Failing: c.Failing, BySeverity: map[string]int{}, Suppressed: c.Suppressed, NotAvailable: c.NotAvailable,
		New: c.New, Changed: c.Changed, Resolved: c.Resolved, Gone: c.Gone, StillFailing: c.StillFailing,
		Imported: out.Hub.Imported, Notified: out.Notified,
	}
	for s := rules.Informational; s <= rules.Critical; s++ {
		r.BySeverity[s.String()] = c.BySeverity[s]
	}
	type ranked struct {
		sev rules.Severity
		f   NewFinding
	}
	var fresh []ranked
	for i := range out.Changes {
		ch := &out.Changes[i]
		if (ch.Kind != finding.New && ch.Kind != finding.Changed) || ch.Record.Suppressed || ch.Result == nil {
			continue
		}
		fresh = append(fresh, ranked{ch.Result.Rule.Severity, NewFinding{RuleID: ch.Record.RuleID, Severity: ch.Record.Severity, User: ch.Record.User, Reason: ch.Record.Reason}})
	}
	slices.SortStableFunc(fresh, func(x, y ranked) int { return cmp.Compare(y.sev, x.sev) })
	for i := range min(len(fresh), MaxTopNew) {
		r.TopNew = append(r.TopNew, fresh[i].f)
	}
	return r
}

// ErrSettings marks a cold start whose settings are invalid: every
// invocation fails with it until the function is reconfigured.
var ErrSettings = errors.New("credaudit is misconfigured")
