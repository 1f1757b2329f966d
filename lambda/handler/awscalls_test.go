package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/credaudit/credaudit/lambda/handler"
	"github.com/credaudit/credaudit/lambda/internal/emulator"
	"github.com/credaudit/credaudit/lambda/internal/golden"
)

// The permission checks the function's AWS calls need, recorded here
// against moto (which enforces no IAM) into testdata/aws-calls.json, and
// checked there against the CDK app's policies by infra's
// TestRecordedAWSCallsAreAllowed (infra cannot run moto, nor this package
// synthesize the stacks). Each scenario runs the real handler with one
// infra variant's settings (variant) as one of its functions (function);
// every request the handler's AWS configuration sends goes through a
// callRecorder, which names the IAM action and resource it needs and the
// credentials it was signed with. The file is the golden output: a new or
// changed call fails this test until the file is regenerated with
// UPDATE_GOLDEN=1, and then infra's test checks the new call.

// awsCall is one permission check a request needs.
type awsCall struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
	// Caller is "function" (the function's own role) or the ARN of the
	// role the function assumed and signed the request with.
	Caller string `json:"caller"`
	// Why says why a check no request names directly is needed.
	Why string `json:"why,omitempty"`
}

// callScenario is what one function did in one scenario.
type callScenario struct {
	Name    string `json:"name"`
	Variant string `json:"variant"`
	// Function is the construct of the function in the variant's stack:
	// Function (single-account), Orchestrator or Auditor.
	Function string `json:"function"`
	// Environment holds the settings that name resources or switch
	// permissions, as the handler ran with them; infra binds the
	// template's values of them to these.
	Environment map[string]string `json:"environment"`
	Calls       []awsCall         `json:"calls"`
}

// placeEnvironment are the settings recorded in a scenario.
var placeEnvironment = []string{handler.EnvStateBucket, handler.EnvTopicARN, handler.EnvSecurityHub, handler.EnvHubRegion, handler.EnvConfig}

// The management account's own access key under with-moto.sh: the
// function's role.
const ownAccessKey = "testing"

// callRecorder is an aws.HTTPClient that records the permission checks of
// every request it sends, and can answer some itself.
type callRecorder struct {
	t    *testing.T
	next aws.HTTPClient
	mu   sync.Mutex
	// into collects the calls of the function now running.
	into *[]awsCall
	// roles maps the access keys AssumeRole handed out to the role.
	roles map[string]string
	// answer, when it returns a response, answers a request instead of
	// the emulator (a fault); op is the operation's name.
	answer func(op string, r *http.Request) *http.Response
}

var credentialScope = regexp.MustCompile(`Credential=([^/]+)/[0-9]{8}/([^/]+)/([^/]+)/aws4_request`)

func (c *callRecorder) Do(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		c.t.Errorf("%s %s: unsigned request, or not SigV4: %q", r.Method, r.URL, r.Header.Get("Authorization"))
		return c.next.Do(r)
	}
	key, region, service := m[1], m[2], m[3]
	c.mu.Lock()
	caller := "function"
	if key != ownAccessKey {
		if caller = c.roles[key]; caller == "" {
			caller = "unknown access key " + key
			c.t.Errorf("%s %s signed with access key %s, neither the function's nor one AssumeRole handed out", r.Method, r.URL, key)
		}
	}
	c.mu.Unlock()
	op, checks := permissions(c.t, service, region, callerAccount(caller), r, body)
	var resp *http.Response
	if c.answer != nil {
		resp = c.answer(op, r)
	}
	if resp == nil {
		var err error
		if resp, err = c.next.Do(r); err != nil {
			return nil, err
		}
	}
	if op == "sts:AssumeRole" && resp.StatusCode == http.StatusOK {
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(out))
		form, _ := url.ParseQuery(string(body))
		if k := regexp.MustCompile(`<AccessKeyId>([^<]+)</AccessKeyId>`).FindSubmatch(out); k != nil {
			c.mu.Lock()
			c.roles[string(k[1])] = form.Get("RoleArn")
			c.mu.Unlock()
		}
	}
	// A missing object reads as 404 NoSuchKey only for a caller that may
	// list the bucket; without s3:ListBucket S3 answers 403 AccessDenied.
	if service == "s3" && (r.Method == http.MethodGet || r.Method == http.MethodHead) && resp.StatusCode == http.StatusNotFound {
		bucket, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		checks = append(checks, awsCall{Action: "s3:ListBucket", Resource: "arn:aws:s3:::" + bucket,
			Why: "the object was missing: S3 answers 404 NoSuchKey, which the function reads as none, only to a caller with s3:ListBucket (else 403)"})
	}
	c.mu.Lock()
	for _, ch := range checks {
		ch.Caller = caller
		if c.into == nil {
			c.t.Errorf("%s outside a recorded step", ch.Action)
			continue
		}
		*c.into = append(*c.into, ch)
	}
	c.mu.Unlock()
	return resp, nil
}

// callerAccount is the account a caller acts in.
func callerAccount(caller string) string {
	if strings.HasPrefix(caller, "arn:") {
		return strings.Split(caller, ":")[4]
	}
	return account
}

// permissions names r's operation and the permission checks it needs, as
// the Service Authorization Reference lists the action's resource types:
// "*" for actions without one. An operation it does not know fails the
// test: add it here, with its resource type.
func permissions(t *testing.T, service, region, acct string, r *http.Request, body []byte) (string, []awsCall) {
	t.Helper()
	one := func(action, resource string) (string, []awsCall) {
		return action, []awsCall{{Action: action, Resource: resource}}
	}
	switch service {
	case "iam", "sts", "sns":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			t.Errorf("%s request body: %v", service, err)
		}
		action := service + ":" + form.Get("Action")
		switch action {
		case "iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:GetAccountSummary", "iam:ListVirtualMFADevices", "iam:ListAccountAliases":
			return one(action, "*") // no resource type
		case "sts:AssumeRole":
			return one(action, form.Get("RoleArn")) // role
		case "sns:Publish":
			return one(action, form.Get("TopicArn")) // topic
		}
		t.Errorf("the function called %s, which callRecorder does not know: add its resource type", action)
		return action, nil
	case "organizations", "ssm":
		target := r.Header.Get("X-Amz-Target")
		action := service + ":" + target[strings.LastIndex(target, ".")+1:]
		switch action {
		case "organizations:ListAccounts", "organizations:ListParents":
			return one(action, "*") // no resource type
		case "ssm:GetParameter":
			var in struct{ Name string }
			if err := json.Unmarshal(body, &in); err != nil {
				t.Errorf("GetParameter body: %v", err)
			}
			name := in.Name
			if !strings.HasPrefix(name, "/") {
				name = "/" + name
			}
			return one(action, fmt.Sprintf("arn:aws:ssm:%s:%s:parameter%s", region, acct, name)) // parameter
		}
		t.Errorf("the function called %s, which callRecorder does not know: add its resource type", action)
		return action, nil
	case "securityhub":
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/findings/import":
			// The product the findings are imported into.
			var in struct{ Findings []struct{ ProductArn string } }
			if err := json.Unmarshal(body, &in); err != nil {
				t.Errorf("BatchImportFindings body: %v", err)
			}
			var out []awsCall
			for _, f := range in.Findings {
				c := awsCall{Action: "securityhub:BatchImportFindings", Resource: f.ProductArn}
				if !slices.Contains(out, c) {
					out = append(out, c)
				}
			}
			return "securityhub:BatchImportFindings", out
		case r.Method == http.MethodPatch && r.URL.Path == "/findings/batchupdate":
			return one("securityhub:BatchUpdateFindings", "*") // no resource type
		}
	case "s3":
		// Path-style under the emulator: /bucket/key.
		bucket, key, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		q := r.URL.Query()
		if ok && key != "" && !q.Has("versionId") && !q.Has("uploadId") && !q.Has("uploads") && r.Header.Get("X-Amz-Copy-Source") == "" {
			object := "arn:aws:s3:::" + bucket + "/" + key
			switch r.Method {
			case http.MethodGet, http.MethodHead: // HeadObject needs s3:GetObject
				return one("s3:GetObject", object)
			case http.MethodPut:
				return one("s3:PutObject", object)
			}
		}
		if !ok && r.Method == http.MethodGet && q.Get("list-type") == "2" { // ListObjectsV2
			return one("s3:ListBucket", "arn:aws:s3:::"+bucket)
		}
	}
	t.Errorf("the function sent %s %s %s, which callRecorder does not know: add its action and resource type", service, r.Method, r.URL)
	return r.Method, nil
}

// recording is one scenario's handlers and what they called.
type recording struct {
	t   *testing.T
	rec *callRecorder
	out []*callScenario
	// members are the member accounts' IDs, replaced in the file by fixed
	// ones (moto makes new ones each run).
	members []string
}

func newRecording(t *testing.T, cfg aws.Config) *recording {
	return &recording{t: t, rec: &callRecorder{t: t, next: httpClient(cfg), roles: map[string]string{}}}
}

// httpClient is the client cfg's calls go through: the SDK leaves
// cfg.HTTPClient nil, for its default, unless something (AWS_CA_BUNDLE)
// made one.
func httpClient(cfg aws.Config) aws.HTTPClient {
	if cfg.HTTPClient != nil {
		return cfg.HTTPClient
	}
	return awshttp.NewBuildableClient()
}

// as starts the calls of function in a scenario of variant, made by
// handlers built with env; the next calls go there.
func (r *recording) as(name, variant, function string, vars map[string]string) {
	s := &callScenario{Name: name, Variant: variant, Function: function, Environment: map[string]string{}}
	for _, k := range placeEnvironment {
		s.Environment[k] = vars[k]
	}
	if k := handler.EnvMemberRole; vars[k] != "" {
		s.Environment[k] = vars[k]
	}
	r.rec.mu.Lock()
	r.rec.into = &s.Calls
	r.rec.mu.Unlock()
	r.out = append(r.out, s)
}

// wrap points h's AWS calls through the recorder, with no waits between
// retries.
func (r *recording) wrap(h *handler.Handler) *handler.Handler {
	cfg := h.AWS.Copy()
	if r.rec.next == nil {
		r.rec.next = httpClient(cfg)
	}
	cfg.HTTPClient = r.rec
	return withoutWaits(h, cfg)
}

// file is the recording as testdata/aws-calls.json writes it: each
// scenario's calls once each, sorted, member account IDs fixed.
func (r *recording) file() []byte {
	fixed := func(s string) string {
		for i, id := range r.members {
			s = strings.ReplaceAll(s, id, fmt.Sprintf("2100000000%02d", i+1))
		}
		return s
	}
	for _, s := range r.out {
		for i, c := range s.Calls {
			s.Calls[i] = awsCall{Action: c.Action, Resource: fixed(c.Resource), Caller: fixed(c.Caller), Why: c.Why}
		}
		slices.SortFunc(s.Calls, func(a, b awsCall) int {
			return strings.Compare(a.Caller+"\x00"+a.Action+"\x00"+a.Resource+"\x00"+a.Why, b.Caller+"\x00"+b.Action+"\x00"+b.Resource+"\x00"+b.Why)
		})
		s.Calls = slices.Compact(s.Calls)
	}
	data, err := json.MarshalIndent(struct {
		Comment   string          `json:"//"`
		Scenarios []*callScenario `json:"scenarios"`
	}{"Written by lambda/handler's TestRecordedAWSCalls (UPDATE_GOLDEN=1); checked against the CDK app's policies by infra's TestRecordedAWSCallsAreAllowed.", r.out}, "", "  ")
	if err != nil {
		r.t.Fatal(err)
	}
	return append(data, '\n')
}

// answerWith is a query-protocol (SNS) error response.
func answerWith(status int, code string) *http.Response {
	body := `<ErrorResponse><Error><Type>Sender</Type><Code>` + code + `</Code><Message>injected by the call recorder</Message></Error><RequestId>rec</RequestId></ErrorResponse>`
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: http.Header{"Content-Type": {"text/xml"}},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

// batchUpdateAnswer answers BatchUpdateFindings, which moto does not
// implement, as Security Hub does when it takes every finding.
func batchUpdateAnswer(t *testing.T, r *http.Request) *http.Response {
	body, _ := io.ReadAll(r.Body)
	_, out, err := emulator.WorkflowAnswer(body)
	if err != nil {
		t.Errorf("BatchUpdateFindings body: %v", err)
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(out)), ContentLength: int64(len(out))}
}

// The single-account settings of infra's variants.
func singleVars(e *env, variant string) map[string]string {
	switch variant {
	case "custom":
		return e.vars(map[string]string{handler.EnvConfig: "ssm:/credaudit/config", handler.EnvHubRegion: "eu-west-1", handler.EnvNotify: "always"})
	case "hub-off":
		return e.vars(map[string]string{handler.EnvConfig: "s3://credaudit-config-bucket/credaudit.yaml", handler.EnvSecurityHub: "off"})
	}
	return e.vars(map[string]string{handler.EnvConfig: ""})
}

// TestRecordedAWSCalls runs the function through what a deployment does —
// the single-account run (scheduled events, configuration from S3 and
// SSM, Security Hub on and off, digests, an alert, a state conflict) and
// the organisation run's steps (list_accounts, each account's audit
// through its member role, aggregate with a digest owed and sent late) —
// and checks the permission checks its AWS calls need against
// testdata/aws-calls.json.
func TestRecordedAWSCalls(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rec := newRecording(t, e.cfg)
	build := func(vars map[string]string) *handler.Handler {
		h, err := handler.New(e.cfg, func(k string) string { return vars[k] }, nil, nil)
		if err != nil {
			t.Fatalf("handler.New: %v", err)
		}
		h.Fetcher.Sleep = func(context.Context, time.Duration) error { return nil }
		h.Importer.RatePerSecond = 1000
		return rec.wrap(h)
	}
	invoke := func(h *handler.Handler, sample string, wantErr bool) {
		t.Helper()
		if _, err := h.Invoke(ctx, firing(t, sample)); (err != nil) != wantErr {
			t.Fatalf("invoke %s: error %v, want one: %v", sample, err, wantErr)
		}
	}
	s3c := s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	putObject := func(b, key, body string) {
		t.Helper()
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatalf("put s3://%s/%s: %v", b, key, err)
		}
	}
	must(t, "seed", func() error { return e.SeedExample(ctx) })

	// Default settings: the first run (no state yet) imports and mails a
	// digest; fixes resolve findings while another run saves the state
	// first; an unreadable state alerts.
	vars := singleVars(e, "default")
	rec.as("single account: runs, digest, state conflict, alert", "default", "Function", vars)
	h := build(vars)
	invoke(h, "eventbridge-scheduled.json", false)
	must(t, "fix", func() error { return e.FixExample(ctx) })
	other := e.handler(nil) // not recorded: the run that saves first
	stateKey := "/" + bucket + "/state/" + account + ".json.gz"
	saves := 0
	rec.rec.answer = func(op string, r *http.Request) *http.Response {
		if op == "s3:PutObject" && r.URL.Path == stateKey {
			if saves++; saves == 1 {
				if _, err := other.Invoke(ctx, []byte(`{}`)); err != nil {
					t.Errorf("the other run: %v", err)
				}
			}
		}
		return nil
	}
	if _, err := h.Invoke(ctx, []byte(`{}`)); err != nil || saves != 3 {
		t.Fatalf("the run racing another: %v, %d saves; want its state saved ahead and its own refused, then its state saved after loading the other's", err, saves)
	}
	rec.rec.answer = nil
	putObject(bucket, "state/"+account+".json.gz", "not gzip")
	invoke(h, "scheduler.json", true)
	e.drain()

	// The configuration in SSM, with a suppression (workflow status and
	// note in Security Hub), findings in another home region.
	emulatorReset := func() {
		e2 := newEnv(t)
		e.Account = e2.Account
		must(t, "seed", func() error { return e.SeedExample(ctx) })
	}
	emulatorReset()
	must(t, "put parameter", func() error {
		_, err := ssm.NewFromConfig(e.cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/credaudit/config"), Type: ssmtypes.ParameterTypeString,
			Value: aws.String("profile: all\nsuppressions:\n  - rule: USER-01\n    user: alice\n    reason: break-glass user\n")})
		return err
	})
	vars = singleVars(e, "custom")
	rec.as("single account: configuration in SSM with a suppression, Security Hub in another region", "custom", "Function", vars)
	rec.rec.answer = func(op string, r *http.Request) *http.Response {
		if op == "securityhub:BatchUpdateFindings" {
			return batchUpdateAnswer(t, r)
		}
		return nil
	}
	invoke(build(vars), "scheduler.json", false)
	rec.rec.answer = nil
	e.drain()

	// The configuration in S3, Security Hub off; a bad configuration
	// alerts.
	emulatorReset()
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("credaudit-config-bucket")}); err != nil {
		t.Fatal(err)
	}
	putObject("credaudit-config-bucket", "credaudit.yaml", "profile: all\n")
	vars = singleVars(e, "hub-off")
	rec.as("single account: configuration in S3, Security Hub off, bad configuration", "hub-off", "Function", vars)
	h = build(vars)
	invoke(h, "scheduler.json", false)
	putObject("credaudit-config-bucket", "credaudit.yaml", "profile: nonsense\n")
	invoke(h, "scheduler.json", true)
	e.drain()

	// The organisation: list_accounts, the management account and a
	// member audited through the member role, aggregate with SNS refusing
	// (the digest is owed), then sending it late.
	o := newOrgEnv(t, "alpha")
	rec.members = []string{o.members[0].ID}
	o.consoleUser("ops") // the management account's report has a row
	orgVars := map[string]string{
		"AWS_REGION": region, handler.EnvStateBucket: bucket, handler.EnvTopicARN: o.TopicARN, handler.EnvProfile: "all",
		handler.EnvHubRegion: region, handler.EnvRefreshDays: "30", handler.EnvNotify: "changes", handler.EnvSecurityHub: "on",
		handler.EnvConfig: "", handler.EnvMemberRole: "credaudit-member",
	}
	orch, auditor := build(orgVars), build(orgVars)
	rec.as("organisation: orchestrator (list_accounts, aggregate, owed digest, failed map)", "org", "Orchestrator", orgVars)
	orchCalls := rec.rec.into
	listed, items := o.listAccounts(orch, "exec-1")
	if len(items) != 2 {
		t.Fatalf("listed %+v, want the management account and alpha", items)
	}
	rec.as("organisation: auditor (each account through its member role)", "org", "Auditor", orgVars)
	audCalls := rec.rec.into
	manifest := o.mapRun(auditor, items, "map-1")
	// An event the auditor cannot read alerts (the map's items are never
	// such, but a hand-made invocation can be).
	if _, err := auditor.Handle(ctx, []byte(`{"account_id":"1"}`)); err == nil {
		t.Fatal("the auditor took a bad event")
	}
	rec.rec.into = orchCalls
	rec.rec.answer = func(op string, _ *http.Request) *http.Response {
		if op == "sns:Publish" {
			return answerWith(http.StatusForbidden, "AuthorizationError")
		}
		return nil
	}
	if _, err := tryStep[handler.Aggregated](orch, aggregateStep("exec-1", listed.Location, manifest)); err == nil {
		t.Fatal("aggregate succeeded with SNS refusing")
	}
	rec.rec.answer = nil
	rec.rec.into = audCalls
	manifest = o.mapRun(auditor, items, "map-2")
	rec.rec.into = orchCalls
	if agg := step[handler.Aggregated](t, orch, aggregateStep("exec-1", listed.Location, manifest)); agg.Late != 1 {
		t.Fatalf("aggregate %+v, want the owed digest sent late", agg)
	}
	// A map that fails: aggregate lists and reads the summaries the
	// audits kept (mapRun's items name the map run as the run).
	mapFailed, _ := json.Marshal(map[string]any{"action": "aggregate", "run_id": "map-2", "accounts": listed.Location,
		"error": map[string]string{"Error": "States.ExceedToleratedFailureThreshold", "Cause": "too many failed"}})
	if _, err := orch.Handle(ctx, mapFailed); err == nil {
		t.Fatal("aggregate of a failed map succeeded")
	}

	// OU filters (infra's org-custom variant: Security Hub off, the
	// configuration in S3, another member role name): listing reads each
	// account's ancestry.
	customVars := map[string]string{}
	for k, v := range orgVars {
		customVars[k] = v
	}
	customVars[handler.EnvSecurityHub] = "off"
	customVars[handler.EnvConfig] = "s3://credaudit-config-bucket/credaudit.yaml"
	customVars[handler.EnvMemberRole] = "AuditMember"
	customVars[handler.EnvExcludeOUs] = "ou-ab12-00000000"
	customVars[handler.EnvProfile] = ""
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("credaudit-config-bucket")}); err != nil {
		t.Fatal(err)
	}
	putObject("credaudit-config-bucket", "credaudit.yaml", "profile: fsbp\n")
	rec.as("organisation with OU filters: orchestrator (list_accounts, aggregate with no account audited)", "org-custom", "Orchestrator", customVars)
	orch = build(customVars)
	listed, items = o.listAccounts(orch, "exec-2")
	if len(items) != 2 {
		t.Fatalf("listed %+v with an OU filter excluding no account, want both accounts", items)
	}
	// The map stopped before any result: the digest names the configured
	// profile, which only the configuration says.
	none := handler.Location{Bucket: bucket, Key: "runs/results/none/manifest.json"}
	o.put(none.Key, map[string]any{"ResultFiles": map[string][]any{"SUCCEEDED": {}, "FAILED": {}, "PENDING": {}}})
	step[handler.Aggregated](t, orch, aggregateStep("exec-2", listed.Location, none))
	if msgs := o.drain(); len(msgs) == 0 || !strings.Contains(msgs[len(msgs)-1].Body, "Profile fsbp") {
		t.Errorf("the digest of a run with no account audited: %+v, want it to name the configuration's profile", msgs)
	}
	golden.Check(t, "aws-calls.json", rec.file())
}
