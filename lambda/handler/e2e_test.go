package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/handler"
	"github.com/credaudit/credaudit/lambda/internal/emulator"
	"github.com/credaudit/credaudit/lambda/internal/sandbox"
	"github.com/credaudit/credaudit/lambda/state"
)

const (
	account = "123456789012" // moto's default account
	region  = "us-east-1"
	bucket  = "credaudit-state-e2e"
)

// firings numbers the sample events the tests send.
var firings atomic.Int64

// firing is the sample event as a firing of the schedule of its own sends
// it (sandbox.Event): the function does nothing for a second delivery of
// one.
func firing(t *testing.T, sample string) []byte {
	t.Helper()
	payload, err := sandbox.Event(filepath.Join("..", "..", "events", sample), fmt.Sprintf("test-firing-%d", firings.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	return payload
}

// env is one emulated account with the function's resources (package
// sandbox), and the function's logs and metrics.
type env struct {
	*sandbox.Account
	t       *testing.T
	cfg     aws.Config
	logs    bytes.Buffer
	metrics bytes.Buffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cfg := emulator.Config(t)
	emulator.Reset(t)
	acct, err := sandbox.New(context.Background(), cfg, bucket)
	if err != nil {
		t.Fatal(err)
	}
	return &env{Account: acct, t: t, cfg: cfg}
}

// logged decodes each JSON line the handlers of e logged into a T.
func logged[T any](e *env) []T {
	e.t.Helper()
	var lines []T
	for line := range strings.Lines(e.logs.String()) {
		var l T
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			e.t.Fatalf("log line %q: %v", line, err)
		}
		lines = append(lines, l)
	}
	return lines
}

func must(t *testing.T, what string, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// vars is the tests' environment of the function, with extra's variables
// set over it.
func (e *env) vars(extra map[string]string) map[string]string {
	vars := map[string]string{
		"AWS_REGION":           region,
		handler.EnvStateBucket: bucket,
		handler.EnvTopicARN:    e.TopicARN,
		handler.EnvProfile:     "all",
		handler.EnvHubRegion:   region,
		handler.EnvRefreshDays: "30",
		handler.EnvNotify:      "changes",
		handler.EnvSecurityHub: "on",
	}
	maps.Copy(vars, extra)
	return vars
}

// handler builds the function as Lambda would, from environment variables.
func (e *env) handler(extra map[string]string) *handler.Handler {
	e.t.Helper()
	vars := e.vars(extra)
	log := slog.New(slog.NewJSONHandler(&e.logs, nil))
	h, err := handler.New(e.cfg, func(k string) string { return vars[k] }, log, &e.metrics)
	if err != nil {
		e.t.Fatalf("handler.New: %v", err)
	}
	h.Fetcher.Sleep = func(context.Context, time.Duration) error { return nil }
	h.Importer.RatePerSecond = 1000
	return h
}

// invoke runs the handler on a sample event from events/.
func (e *env) invoke(h *handler.Handler, sample string) *handler.Response {
	e.t.Helper()
	resp, err := h.Invoke(context.Background(), firing(e.t, sample))
	if err != nil {
		e.t.Fatalf("invoke %s: %v", sample, err)
	}
	return resp
}

func (e *env) drain() []sandbox.Message {
	e.t.Helper()
	msgs, err := e.Drain(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return msgs
}

func (e *env) findings() map[string]shtypes.AwsSecurityFinding {
	e.t.Helper()
	fs, err := e.Findings(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return fs
}

// consoleUser creates a user with a console password and no MFA.
func (e *env) consoleUser(name string) {
	e.t.Helper()
	if err := e.CreateUser(context.Background(), name, sandbox.Password); err != nil {
		e.t.Fatal(err)
	}
}

// do applies a sandbox step to a user.
func (e *env) do(step sandbox.Step, user string) {
	e.t.Helper()
	if err := step(context.Background(), e.Account, user); err != nil {
		e.t.Fatal(err)
	}
}

func id(rule, user string) string {
	return "credaudit/" + account + "/" + rule + "/arn:aws:iam::" + account + ":user/" + user
}

// TestScheduledRunsEndToEnd runs the real handler on each sample event
// against the emulator: a first run imports the failures and mails a
// digest; fixes resolve and archive them; an unchanged account costs no
// import and no mail.
func TestScheduledRunsEndToEnd(t *testing.T) {
	e := newEnv(t)
	// alice signs in without MFA, bob has a key and no MFA, carol a password
	// and two keys, dave is compliant.
	must(t, "seed", func() error { return e.SeedExample(context.Background()) })
	h := e.handler(nil)

	// Run 1: a scheduled rule's event.
	first := e.invoke(h, "eventbridge-scheduled.json")
	if first.AccountID != account || first.Users != 4 {
		t.Fatalf("run 1 audited %s with %d users, want %s with 4", first.AccountID, first.Users, account)
	}
	if first.New == 0 || first.Imported != first.New {
		t.Fatalf("run 1: %d new, %d imported; want every new failure imported", first.New, first.Imported)
	}
	hub := e.findings()
	if len(hub) != first.Imported {
		t.Errorf("Security Hub holds %d findings, the run imported %d", len(hub), first.Imported)
	}
	for _, want := range []string{id("USER-01", "alice"), id("KEY-02", "carol"), id("USER-02", "bob"), id("USER-03", "carol")} {
		f, ok := hub[want]
		if !ok {
			t.Errorf("Security Hub has no finding %s", want)
			continue
		}
		if f.Compliance.Status != shtypes.ComplianceStatusFailed || f.RecordState != shtypes.RecordStateActive {
			t.Errorf("%s: %s/%s, want FAILED/ACTIVE", want, f.Compliance.Status, f.RecordState)
		}
	}
	for fid := range hub {
		if strings.Contains(fid, ":user/dave") {
			t.Errorf("compliant user's finding %s was imported (a resource that never failed is never imported)", fid)
		}
	}
	mail := e.drain()
	if len(mail) != 1 {
		t.Fatalf("run 1 sent %d messages, want one digest", len(mail))
	}
	d := mail[0]
	if d.Attributes["kind"] != "digest" || d.Attributes["account_id"] != account || d.Attributes["severity"] != "MEDIUM" {
		t.Errorf("digest attributes %v, want kind=digest, account_id=%s, severity=MEDIUM", d.Attributes, account)
	}
	if !strings.HasPrefix(d.Subject, "credaudit "+account+": ") || len(d.Subject) >= 100 || !strings.Contains(d.Subject, " new, 0 resolved") {
		t.Errorf("digest subject %q", d.Subject)
	}
	for _, want := range []string{"NEW OR CHANGED (", "USER-01  alice", "KEY-02   carol", "Security Hub (us-east-1): "} {
		if !strings.Contains(d.Body, want) {
			t.Errorf("digest lacks %q:\n%s", want, d.Body)
		}
	}
	st := e.state()
	if len(st.Records) != first.New {
		t.Errorf("state holds %d records after run 1, want %d", len(st.Records), first.New)
	}

	// Fix things: alice gets MFA, carol drops her second key, bob leaves.
	must(t, "fix", func() error { return e.FixExample(context.Background()) })

	// Run 2: an EventBridge Scheduler payload.
	second := e.invoke(h, "scheduler.json")
	if second.New != 0 || second.Resolved == 0 || second.Gone == 0 {
		t.Fatalf("run 2: %d new, %d resolved, %d gone; want resolutions and gone findings only", second.New, second.Resolved, second.Gone)
	}
	hub = e.findings()
	for _, resolved := range []string{id("USER-01", "alice"), id("KEY-02", "carol")} {
		f := hub[resolved]
		if f.Compliance == nil || f.Compliance.Status != shtypes.ComplianceStatusPassed || f.RecordState != shtypes.RecordStateArchived {
			t.Errorf("resolved %s: %+v / %s, want PASSED/ARCHIVED", resolved, f.Compliance, f.RecordState)
		}
		if *f.CreatedAt != *f.FirstObservedAt || *f.UpdatedAt <= *f.CreatedAt {
			t.Errorf("resolved %s: created %s, first observed %s, updated %s; want CreatedAt kept and UpdatedAt later", resolved, *f.CreatedAt, *f.FirstObservedAt, *f.UpdatedAt)
		}
	}
	if f := hub[id("USER-02", "bob")]; f.RecordState != shtypes.RecordStateArchived || f.Compliance.Status != shtypes.ComplianceStatusFailed {
		t.Errorf("deleted user's finding: %s/%s, want ARCHIVED and still FAILED", f.Compliance.Status, f.RecordState)
	}
	if f := hub[id("USER-03", "carol")]; f.RecordState != shtypes.RecordStateActive {
		t.Errorf("carol still has a password and a key: USER-03 is %s, want ACTIVE", f.RecordState)
	}
	mail = e.drain()
	if len(mail) != 1 || !strings.Contains(mail[0].Body, "RESOLVED (") || !strings.Contains(mail[0].Body, "bob") ||
		!strings.Contains(mail[0].Body, "the user no longer exists") || mail[0].Attributes["severity"] != "NONE" {
		t.Fatalf("run 2 digest: %+v", mail)
	}

	// Run 3: a per-account request (through the member role), nothing
	// changed, with Lambda's application log level at WARN.
	before := e.findings()
	third := e.invoke(e.handler(map[string]string{handler.EnvLogLevel: "WARN"}), "account.json")
	if third.Imported != 0 || third.New+third.Changed+third.Resolved+third.Gone != 0 || third.Notified {
		t.Errorf("run 3 with no change: %+v; want no import and no digest", third)
	}
	if mail := e.drain(); len(mail) != 0 {
		t.Errorf("run 3 with no change sent %d messages in changes mode", len(mail))
	}
	after := e.findings()
	for fid, f := range after {
		if *f.UpdatedAt != *before[fid].UpdatedAt {
			t.Errorf("run 3 updated %s", fid)
		}
	}

	if strings.Contains(e.logs.String(), "alice") || strings.Contains(e.logs.String(), "carol") {
		t.Errorf("logs contain report contents (user names):\n%s", e.logs.String())
	}
	checkMetrics(t, e.metrics.String(), "INFO", "INFO", "WARN")
}

func (e *env) state() *state.State {
	e.t.Helper()
	st, _, err := state.NewS3(e.cfg, bucket, state.S3Options{UsePathStyle: true}).Load(context.Background(), account)
	if err != nil {
		e.t.Fatalf("load state: %v", err)
	}
	return st
}

// checkMetrics checks the runs wrote one embedded-metric-format line each,
// with the level of each (which Lambda's log-level filter lets through).
func checkMetrics(t *testing.T, out string, levels ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(levels) {
		t.Fatalf("%d metric lines for %d runs:\n%s", len(lines), len(levels), out)
	}
	for i, l := range lines {
		var doc struct {
			AWS struct {
				CloudWatchMetrics []struct {
					Namespace  string
					Dimensions [][]string
					Metrics    []struct{ Name, Unit string }
				}
			} `json:"_aws"`
			AccountID    string  `json:"AccountId"`
			UsersAudited float64 `json:"UsersAudited"`
			Level        string  `json:"level"`
		}
		if err := json.Unmarshal([]byte(l), &doc); err != nil {
			t.Fatalf("metric line is not JSON: %v\n%s", err, l)
		}
		if len(doc.AWS.CloudWatchMetrics) != 1 || doc.AWS.CloudWatchMetrics[0].Namespace != "credaudit" || doc.AccountID != account || doc.UsersAudited == 0 || doc.Level != levels[i] ||
			!reflect.DeepEqual(doc.AWS.CloudWatchMetrics[0].Dimensions, [][]string{{"AccountId"}}) {
			t.Errorf("metric line %s; want level %s", l, levels[i])
		}
	}
}

// With CREDAUDIT_SECURITY_HUB=off, fixes are archived in the state but not
// sent; the first run with it back on sends them: Security Hub shows the
// fixed findings ARCHIVED, and that run, with no news, sends no digest.
func TestArchivesMadeWhileSecurityHubWasOffAreSentWhenItIsBackOn(t *testing.T) {
	e := newEnv(t)
	// moto dates every report 2015-02-02T20:02:02Z: the runs are a day
	// later, not years, or every tombstone would be past its 90 days at once.
	run := func(extra map[string]string, sample string) *handler.Response {
		h := e.handler(extra)
		h.Now = func() time.Time { return time.Date(2015, 2, 3, 20, 2, 2, 0, time.UTC) }
		return e.invoke(h, sample)
	}
	must(t, "seed", func() error { return e.SeedExample(context.Background()) })
	run(nil, "eventbridge-scheduled.json")
	e.drain()
	before := e.findings()

	must(t, "fix", func() error { return e.FixExample(context.Background()) })
	off := run(map[string]string{handler.EnvSecurityHub: "off"}, "scheduler.json")
	if off.Resolved == 0 || off.Gone == 0 || off.Imported != 0 {
		t.Fatalf("run off: %d resolved, %d gone, %d imported; want the fixes archived, nothing imported", off.Resolved, off.Gone, off.Imported)
	}
	if mail := e.drain(); len(mail) != 1 || !strings.Contains(mail[0].Body, "RESOLVED (") {
		t.Fatalf("run off: %d messages, want a digest of the fixes", len(mail))
	}
	if f := e.findings()[id("USER-01", "alice")]; f.RecordState != shtypes.RecordStateActive {
		t.Fatalf("alice's USER-01 after the run off: %s, want it still ACTIVE", f.RecordState)
	}

	on := run(nil, "account.json")
	hub := e.findings()
	for fid, want := range map[string]shtypes.ComplianceStatus{
		id("USER-01", "alice"): shtypes.ComplianceStatusPassed,
		id("KEY-02", "carol"):  shtypes.ComplianceStatusPassed,
		id("USER-02", "bob"):   shtypes.ComplianceStatusFailed, // gone
	} {
		f := hub[fid]
		if f.RecordState != shtypes.RecordStateArchived || f.Compliance == nil || f.Compliance.Status != want {
			t.Errorf("%s after the run back on: %s, %+v; want ARCHIVED, %s", fid, f.RecordState, f.Compliance, want)
			continue
		}
		if *f.UpdatedAt <= *before[fid].UpdatedAt || *f.CreatedAt != *before[fid].CreatedAt {
			t.Errorf("%s: created %s, updated %s; want CreatedAt %s kept and UpdatedAt after %s", fid, *f.CreatedAt, *f.UpdatedAt, *before[fid].CreatedAt, *before[fid].UpdatedAt)
		}
	}
	if f := hub[id("USER-03", "carol")]; f.RecordState != shtypes.RecordStateActive {
		t.Errorf("carol's USER-03, still failing: %s, want ACTIVE", f.RecordState)
	}
	// Back on, the run imports what the run off would have: the archives,
	// and the open findings that changed.
	if want := off.New + off.Changed + off.Resolved + off.Gone; on.Imported != want || on.New+on.Changed+on.Resolved+on.Gone != 0 || on.Notified {
		t.Errorf("run back on: %+v; want %d imports, no news and no digest", on, want)
	}
	if mail := e.drain(); len(mail) != 0 {
		t.Errorf("run back on sent %d messages in changes mode, want none", len(mail))
	}
	for _, r := range e.state().Records {
		if r.Archived && r.LastImportedAt.IsZero() {
			t.Errorf("%s: archived and never imported after the run back on", r.ID)
		}
	}
}

// withConfig puts body in the state bucket as config/credaudit.yaml and
// returns a handler reading its configuration from there.
func (e *env) withConfig(body string) *handler.Handler {
	e.t.Helper()
	must(e.t, "put config", func() error {
		_, err := s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true }).PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String("config/credaudit.yaml"), Body: strings.NewReader(body)})
		return err
	})
	return e.handler(map[string]string{handler.EnvConfig: "s3://" + bucket + "/config/credaudit.yaml"})
}

// A configuration file with an error, or larger than config.MaxSize, fails
// the run before anything is published: the alert names the file (and the
// line and column of an error in it), Security Hub and the state are
// untouched.
func TestBadConfigurationChangesNothing(t *testing.T) {
	file := "s3://" + bucket + "/config/credaudit.yaml"
	tests := []struct {
		name, body, want string
	}{
		{"a bad value", "profile: all\nrules:\n  KEY-01: {days: ninety}\n", file + ":3:"},
		{"too large", "#" + strings.Repeat("x", config.MaxSize) + "\n", file + ": larger than 1048576 bytes"},
		{"every rule off", "profile: cis-1.2\nrules:\n  ROOT-01: {enabled: false}\n  ROOT-02: {enabled: false}\n  ROOT-03: {enabled: false}\n" +
			"  ROOT-04: {enabled: false}\n  USER-01: {enabled: false}\n  CRED-01: {enabled: false}\n  CRED-02: {enabled: false}\n" +
			"  KEY-01: {enabled: false}\n  KEY-02: {enabled: false}\n  KEY-03: {enabled: false}\n  PWD-01: {enabled: false}\n  USER-02: {enabled: false}\n" +
			"  USER-03: {enabled: false}\n  USER-04: {enabled: false}\n  USER-05: {enabled: false}\n  USER-06: {enabled: false}\n  ROOT-05: {enabled: false}\n" +
			"  CRED-03: {enabled: false}\n  PWD-02: {enabled: false}\n", "nothing would be checked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.consoleUser("alice")
			h := e.withConfig(tc.body)
			_, err := h.Invoke(context.Background(), []byte(`{}`))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Invoke error %v, want one saying %q", err, tc.want)
			}
			mail := e.drain()
			if len(mail) != 1 || mail[0].Attributes["kind"] != "error" || !strings.Contains(mail[0].Body, tc.want) {
				t.Fatalf("alert: %+v", mail)
			}
			if n := len(e.findings()); n != 0 {
				t.Errorf("%d findings imported despite the bad configuration", n)
			}
			if st := e.state(); len(st.Records) != 0 {
				t.Errorf("state written despite the bad configuration")
			}
		})
	}
}

// The configuration can live in an SSM parameter; its profile and rule
// settings apply.
func TestConfigurationFromSSM(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("alice")
	ctx := context.Background()
	must(t, "put parameter", func() error {
		_, err := ssm.NewFromConfig(e.cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/credaudit/config"),
			Type: ssmtypes.ParameterTypeString, Value: aws.String("profile: all\nrules:\n  USER-01: {enabled: false}\n")})
		return err
	})
	h := e.handler(map[string]string{handler.EnvConfig: "ssm:/credaudit/config", handler.EnvProfile: ""})
	e.invoke(h, "scheduler.json")
	hub := e.findings()
	if _, ok := hub[id("USER-02", "alice")]; !ok {
		t.Error("USER-02 (only in the configured profile all) was not imported")
	}
	if _, ok := hub[id("USER-01", "alice")]; ok {
		t.Error("USER-01, disabled in the configuration, was imported")
	}
}

// A threshold the run will not use (its rule is not in the profile) is
// logged as a warning naming where it is set, and the run goes on.
func TestConfigurationNotesAreLogged(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("alice")
	e.withConfig("rules:\n  USER-04:\n    dormant_days: 60\n")
	h := e.handler(map[string]string{handler.EnvConfig: "s3://" + bucket + "/config/credaudit.yaml", handler.EnvProfile: ""})
	e.invoke(h, "scheduler.json")
	var notes []string
	for _, l := range logged[struct {
		Level, Msg, Note string
	}](e) {
		if l.Msg == "configuration" && l.Level == "WARN" {
			notes = append(notes, l.Note)
		}
	}
	want := "s3://" + bucket + "/config/credaudit.yaml:3: rules.USER-04 sets a threshold, but USER-04 is not in profile recommended, so it does not run"
	if len(notes) != 1 || !strings.HasPrefix(notes[0], want) {
		t.Errorf("configuration warnings %q, want one beginning %q", notes, want)
	}
}

// Invalid settings fail every invocation with a message naming each bad
// value, sent to the topic when the topic setting is usable; nothing is
// audited.
func TestColdStartWithBadSettingsAlerts(t *testing.T) {
	e := newEnv(t)
	vars := map[string]string{"AWS_REGION": region, handler.EnvStateBucket: "Not_A_Bucket", handler.EnvTopicARN: e.TopicARN, handler.EnvNotify: "loudly"}
	invoke := handler.ColdStart(e.cfg, nil, func(k string) string { return vars[k] }, slog.New(slog.NewJSONHandler(&e.logs, nil)), &e.metrics)
	_, err := invoke(context.Background(), []byte(`{}`))
	if !errors.Is(err, handler.ErrSettings) || !strings.Contains(err.Error(), handler.EnvStateBucket) || !strings.Contains(err.Error(), handler.EnvNotify) {
		t.Fatalf("invoke: %v, want ErrSettings naming both bad values", err)
	}
	mail := e.drain()
	if len(mail) != 1 || mail[0].Attributes["kind"] != "error" || !strings.Contains(mail[0].Body, handler.EnvStateBucket+`="Not_A_Bucket"`) {
		t.Fatalf("alert: %+v", mail)
	}
	if e.metrics.Len() != 0 || len(e.findings()) != 0 {
		t.Error("a misconfigured function audited")
	}

	// Without a usable topic there is no one to tell but the caller.
	vars[handler.EnvTopicARN] = "not-an-arn"
	if _, err := handler.ColdStart(e.cfg, nil, func(k string) string { return vars[k] }, slog.New(slog.DiscardHandler), nil)(context.Background(), []byte(`{}`)); !errors.Is(err, handler.ErrSettings) {
		t.Fatalf("invoke: %v, want ErrSettings", err)
	}
	if mail := e.drain(); len(mail) != 0 {
		t.Errorf("%d messages without a topic setting", len(mail))
	}
}

// A scheduled event names no account, and a run that fails before it reads
// the report (a bad event, configuration or setting) has seen none: its
// alert names the function's own, from the ARN Lambda invokes it by, in
// the subject and in the account_id attribute subscriptions filter on.
func TestAlertsBeforeTheReportNameTheFunctionsAccount(t *testing.T) {
	e := newEnv(t)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		InvokedFunctionArn: "arn:aws:lambda:" + region + ":" + account + ":function:credaudit-Auditor:live"})
	check := func(what string, err error) {
		t.Helper()
		mail := e.drain()
		if err == nil || len(mail) != 1 || mail[0].Attributes["kind"] != "error" {
			t.Fatalf("%s: error %v, mail %+v: want an error and one alert", what, err, mail)
		}
		if m := mail[0]; !strings.HasPrefix(m.Subject, "credaudit "+account+": audit FAILED") || m.Attributes["account_id"] != account ||
			!strings.HasPrefix(m.Body, "credaudit could not audit account "+account+".") {
			t.Errorf("%s: alert %q, attributes %v:\n%s\nwant it to name account %s", what, m.Subject, m.Attributes, m.Body, account)
		}
	}
	h := e.withConfig("profile: nope\n")
	_, err := h.Invoke(ctx, []byte(`{}`))
	check("configuration", err)
	_, err = h.Invoke(ctx, []byte(`{"account_id": 12}`))
	check("event", err)
	vars := map[string]string{"AWS_REGION": region, handler.EnvStateBucket: "Not_A_Bucket", handler.EnvTopicARN: e.TopicARN}
	_, err = handler.ColdStart(e.cfg, nil, func(k string) string { return vars[k] }, slog.New(slog.DiscardHandler), nil)(ctx, []byte(`{}`))
	check("settings", err)
}

func TestOwnAccount(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:lambda:eu-west-1:210987654321:function:credaudit":            "210987654321",
		"arn:aws-us-gov:lambda:us-gov-west-1:210987654321:function:f:$LATEST": "210987654321",
		"arn:aws:lambda:eu-west-1:2109876:function:credaudit":                 "",
		"credaudit": "",
	} {
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{InvokedFunctionArn: arn})
		if got := handler.OwnAccount(ctx); got != want {
			t.Errorf("OwnAccount(%q) = %q, want %q", arn, got, want)
		}
	}
	if got := handler.OwnAccount(context.Background()); got != "" {
		t.Errorf("OwnAccount outside Lambda = %q", got)
	}
}

// Findings go to the home region only, whatever the function's region.
func TestFindingsGoToTheHomeRegionOnly(t *testing.T) {
	e := newEnv(t)
	e.consoleUser("alice")
	resp := e.invoke(e.handler(map[string]string{handler.EnvHubRegion: "eu-west-1"}), "scheduler.json")
	if resp.Imported == 0 {
		t.Fatal("nothing imported")
	}
	if n := len(e.findings()); n != 0 {
		t.Errorf("%d findings in the function's region %s, want none", n, region)
	}
	home, err := securityhub.NewFromConfig(e.cfg, func(o *securityhub.Options) { o.Region = "eu-west-1" }).
		GetFindings(context.Background(), &securityhub.GetFindingsInput{MaxResults: aws.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	if len(home.Findings) != resp.Imported {
		t.Errorf("%d findings in the home region eu-west-1, want the %d imported", len(home.Findings), resp.Imported)
	}
	for _, f := range home.Findings {
		if !strings.HasPrefix(*f.ProductArn, "arn:aws:securityhub:eu-west-1:") {
			t.Errorf("product ARN %s is not the home region's", *f.ProductArn)
		}
	}
}

// Moving the home region: the first run after it imports every open finding
// into the new region, quietly (no news, no digest in changes mode); the
// old region's copies are left to expire there.
func TestChangingTheHomeRegionImportsTheOpenFindingsThere(t *testing.T) {
	// The move also sends each moved finding's workflow status (the new
	// region may hold an older one): moto does not implement
	// BatchUpdateFindings, so a proxy answers it.
	t.Setenv("AWS_ENDPOINT_URL", (&emulator.Proxy{Hook: emulator.AnswerWorkflowUpdates(nil)}).Start(t))
	e := newEnv(t)
	ctx := context.Background()
	must(t, "seed", func() error { return e.SeedExample(ctx) })
	e.invoke(e.handler(nil), "scheduler.json")
	e.drain()
	open := 0
	for _, f := range e.findings() {
		if f.RecordState == shtypes.RecordStateActive {
			open++
		}
	}
	if open == 0 {
		t.Fatal("the first run opened no findings")
	}

	moved := e.invoke(e.handler(map[string]string{handler.EnvHubRegion: "eu-west-1"}), "scheduler.json")
	home, err := securityhub.NewFromConfig(e.cfg, func(o *securityhub.Options) { o.Region = "eu-west-1" }).
		GetFindings(ctx, &securityhub.GetFindingsInput{MaxResults: aws.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	if len(home.Findings) != open || moved.Imported != open {
		t.Errorf("eu-west-1 holds %d findings (%d imported), want the %d open ones", len(home.Findings), moved.Imported, open)
	}
	if moved.New+moved.Changed+moved.Resolved+moved.Gone != 0 || moved.Notified {
		t.Errorf("the run in the new region: %+v; want no news and no digest", moved)
	}
	if mail := e.drain(); len(mail) != 0 {
		t.Errorf("the run in the new region sent %d messages in changes mode, want none", len(mail))
	}
	for _, r := range e.state().Records {
		if !r.LastImportedAt.IsZero() && r.Region != "eu-west-1" && !r.Archived {
			t.Errorf("%s saved as imported into %q, want eu-west-1", r.ID, r.Region)
		}
	}
	if again := e.invoke(e.handler(map[string]string{handler.EnvHubRegion: "eu-west-1"}), "scheduler.json"); again.Imported != 0 {
		t.Errorf("the run after imported %d findings, want none", again.Imported)
	}
}

// The schedule's event delivered a second time (Scheduler and Lambda each
// deliver at least once) does nothing: after the first delivery's run, and
// when it ran alongside it, loading the state before that run saved. The
// state's object says which delivery saved it.
func TestASecondDeliveryOfTheScheduleDoesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	must(t, "seed", func() error { return e.SeedExample(ctx) })
	payload := firing(t, "scheduler.json")
	delivery, err := handler.ParseRequest(payload)
	if err != nil {
		t.Fatal(err)
	}
	first, err := e.handler(nil).Invoke(ctx, payload)
	if err != nil || first.Duplicate || first.Imported == 0 || len(e.drain()) != 1 {
		t.Fatalf("first delivery: %+v, %v; want a run that imports and mails a digest", first, err)
	}
	if got := e.state().Delivery; got != delivery.Delivery {
		t.Errorf("the state says delivery %q saved it, want %q", got, delivery.Delivery)
	}
	s3c := s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	etag := func() string {
		t.Helper()
		head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("state/" + account + ".json.gz")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(head.ETag)
	}
	saved := etag()
	findings := e.findings()

	again, err := e.handler(nil).Invoke(ctx, payload)
	if err != nil || !again.Duplicate || again.Imported != 0 || again.Notified || again.New != 0 {
		t.Fatalf("second delivery: %+v, %v; want a duplicate that does nothing", again, err)
	}
	if mail := e.drain(); len(mail) != 0 {
		t.Errorf("the second delivery sent %d messages, want none", len(mail))
	}
	if etag() != saved {
		t.Error("the second delivery rewrote the state")
	}
	if !reflect.DeepEqual(e.findings(), findings) {
		t.Error("the second delivery changed Security Hub's findings")
	}
	dup := 0
	for _, l := range logged[struct{ Msg, Delivery string }](e) {
		if l.Msg == "duplicate delivery" && l.Delivery == delivery.Delivery {
			dup++
		}
	}
	if dup != 1 {
		t.Errorf("%d log lines say the delivery was a duplicate, want 1", dup)
	}

	// The next firing, delivered twice at once: the copy whose save ahead
	// finds the other's saved first sends nothing.
	must(t, "fix", func() error { return e.FixExample(ctx) })
	payload = firing(t, "scheduler.json")
	var other *handler.Response
	stateKey := "/" + bucket + "/state/" + account + ".json.gz"
	raced := false
	proxy := (&emulator.Proxy{Hook: func(w http.ResponseWriter, c *emulator.Call) {
		if c.Op == "s3:PutObject" && c.Request.URL.Path == stateKey && !raced {
			raced = true
			var err error
			if other, err = e.handler(nil).Invoke(ctx, payload); err != nil {
				t.Errorf("the other copy: %v", err)
			}
		}
		c.Forward(w, nil)
	}}).Start(t)
	cfg := e.cfg.Copy()
	cfg.BaseEndpoint = aws.String(proxy)
	vars := e.vars(nil)
	h, err := handler.New(cfg, func(k string) string { return vars[k] }, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	h.Fetcher.Sleep = func(context.Context, time.Duration) error { return nil }
	late, err := h.Invoke(ctx, payload)
	if err != nil || !raced || !late.Duplicate {
		t.Fatalf("the copy that saved second: %+v, %v (raced %v); want a duplicate", late, err, raced)
	}
	if other == nil || other.Duplicate || other.Resolved == 0 || !other.Notified {
		t.Fatalf("the copy that saved first: %+v; want the run, with its digest", other)
	}
	if mail := e.drain(); len(mail) != 1 {
		t.Errorf("the event delivered twice at once sent %d messages, want one digest", len(mail))
	}
}
