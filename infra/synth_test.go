package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// Each test binary synthesizes each variant once (jsii starts one Node
// process; a synth takes seconds), in a temporary cloud assembly directory.
var (
	tmpRoot   string
	fakeAsset string // a stand-in `bootstrap`: synth only zips it
	synthMu   sync.Mutex
	synths    = map[string]*synthesized{}
)

func TestMain(m *testing.M) {
	var err error
	if tmpRoot, err = os.MkdirTemp("", "credaudit-infra-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fakeAsset = filepath.Join(tmpRoot, "asset")
	if err = os.MkdirAll(fakeAsset, 0o755); err == nil {
		err = os.WriteFile(filepath.Join(fakeAsset, "bootstrap"), []byte("#!/bin/sh\n# test stand-in for the credaudit binary\n"), 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	jsii.Close() // a no-op when no test started it
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// Variants: the defaults (cdk.json's context only), and two that set every
// setting to something else.
var variants = map[string]map[string]any{
	"default": {},
	"custom": {
		KeyStackName:         "credaudit-test",
		KeySchedule:          "cron(30 7 ? * MON-FRI *)",
		KeyTimeZone:          "Europe/Berlin",
		KeyEmails:            []any{"secops@example.com", "iam-owners@example.org"},
		KeyProfile:           "cis-5.0",
		KeyConfig:            "ssm:/credaudit/config",
		KeyNotify:            "Always", // the function gets it in lower case
		KeySecurityHubRegion: "eu-west-1",
		KeyRefreshDays:       14.0,
		KeyLogRetention:      90.0,
		KeyLogLevel:          "debug",
		KeyMemory:            "1024",
		KeyTimeout:           "600",
	},
	// As `cdk deploy -c key=value` passes them: strings only.
	"hub-off": {
		KeyEmails:      "secops@example.com, iam-owners@example.org",
		KeySecurityHub: "off",
		KeyConfig:      "s3://credaudit-config-bucket/credaudit.yaml",
		KeySchedule:    "rate(12 hours)",
	},
}

// orgVariants are the organisation stack's: the least a deployment must
// set, the same with the member role in one OU only (the orchestrator's
// filter defaults to the accounts that have it), and every organisation
// setting set to something else.
var orgVariants = map[string]map[string]any{
	"org": {
		KeyOrg:             true,
		KeyOrgID:           "o-abcdefghij",
		KeyStackSetTargets: []any{"r-ab12"},
	},
	"org-ous": {
		KeyOrg:             true,
		KeyOrgID:           "o-abcdefghij",
		KeyStackSetTargets: []any{"ou-ab12-11111111"},
	},
	// As `-c key=value` passes them: strings only.
	"org-custom": {
		KeyOrg:                  "true",
		KeyStackName:            "credaudit-org",
		KeyOrgID:                "o-a1b2c3d4e5f6",
		KeyMemberRole:           "AuditMember",
		KeyStackSetTargets:      "ou-ab12-cdef3456, ou-ab12-98765432",
		KeyStackSetCallAs:       "delegated_admin",
		KeyOrgIncludeAccounts:   "111111111111,222222222222",
		KeyOrgExcludeAccounts:   "333333333333",
		KeyOrgIncludeOUs:        "ou-ab12-cdef3456",
		KeyOrgExcludeOUs:        "ou-ab12-00000000,ou-ab12-11111111",
		KeyMaxConcurrency:       "25",
		KeyToleratedFailurePerc: "0",
		KeySecurityHub:          "off",
		KeyConfig:               "s3://credaudit-config-bucket/credaudit.yaml",
		KeySchedule:             "cron(0 5 ? * MON *)",
		KeyTimeZone:             "Europe/Berlin",
		KeyEmails:               "secops@example.com",
	},
}

// allVariants lists every variant of both stacks.
func allVariants() []string {
	var out []string
	for v := range variants {
		out = append(out, v)
	}
	for v := range orgVariants {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

type synthesized struct {
	st       *Stack    // the single-account stack, or nil
	org      *OrgStack // the organisation stack, or nil
	stack    awscdk.Stack
	template assertions.Template
	doc      map[string]any // the template as plain JSON values
	outdir   string
}

// requireTools skips (or, in CI, fails) when the Node.js that jsii needs is
// missing or too old; `make test` puts the pinned Node 22 first on PATH.
func requireTools(t *testing.T) {
	t.Helper()
	out, err := exec.Command("node", "-p", "process.versions.node").Output()
	major := 0
	if err == nil {
		major, _ = strconv.Atoi(strings.SplitN(strings.TrimSpace(string(out)), ".", 2)[0])
	}
	if major >= 22 {
		return
	}
	msg := fmt.Sprintf("Node.js 22 or later is required on PATH for the CDK (found %q, %v); run make test, which installs it", strings.TrimSpace(string(out)), err)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// cdkJSONContext is cdk.json's "context": what `cdk synth` passes the app.
func cdkJSONContext(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../cdk.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		App     string         `json:"app"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	if cfg.App != "go run ./infra" {
		t.Fatalf("cdk.json app = %q, want go run ./infra", cfg.App)
	}
	if cfg.Context == nil {
		cfg.Context = map[string]any{}
	}
	return cfg.Context
}

// synth returns the named variant's synthesized stack.
func synth(t *testing.T, variant string) *synthesized {
	t.Helper()
	requireTools(t)
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synths[variant]; ok {
		return s
	}
	settings, ok := variants[variant]
	if !ok {
		settings, ok = orgVariants[variant]
	}
	if !ok {
		t.Fatalf("no variant %q", variant)
	}
	s := synthContext(t, settings, filepath.Join(tmpRoot, variant))
	synths[variant] = s
	return s
}

// synthContext synthesizes the app with settings over cdk.json's context
// into outdir, uncached: for a test's own settings (synth's variants are
// shared).
func synthContext(t *testing.T, settings map[string]any, outdir string) *synthesized {
	t.Helper()
	requireTools(t)
	ctx := cdkJSONContext(t)
	for k, v := range settings {
		ctx[k] = v
	}
	ctx[KeyAsset] = fakeAsset
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir)})
	stacks, err := NewApp(app)
	if err != nil {
		t.Fatalf("NewApp(%s): %v", asJSON(settings), err)
	}
	app.Synth(nil)
	s := &synthesized{st: stacks.Single, org: stacks.Org, outdir: outdir}
	if s.st != nil {
		s.stack = s.st.Stack
	} else {
		s.stack = s.org.Stack
	}
	s.template = assertions.Template_FromStack(s.stack, nil)
	s.doc = plain[map[string]any](t, s.template.ToJSON())
	return s
}

// plain round-trips v through JSON so tests compare plain maps and slices.
func plain[T any](t *testing.T, v any) T {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// base is what both stacks have.
func (s *synthesized) base() *base {
	if s.st != nil {
		return &s.st.base
	}
	return &s.org.base
}

// runTarget is what the schedule starts: the function, or the
// organisation's state machine.
func (s *synthesized) runTarget(t *testing.T) any {
	t.Helper()
	if s.st != nil {
		return s.resolve(t, s.st.Function.FunctionArn())
	}
	return s.resolve(t, s.org.StateMachine.StateMachineArn())
}

// resolve is what CloudFormation sees for a CDK value (a token becomes
// {"Ref": …} or {"Fn::GetAtt": …}), as plain JSON.
func (s *synthesized) resolve(t *testing.T, v any) any {
	t.Helper()
	return plain[any](t, s.stack.Resolve(v))
}

// resources returns the template's resources of type typ, by logical ID.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.doc["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

// only returns the single resource of type typ, failing otherwise.
func (s *synthesized) only(t *testing.T, typ string) map[string]any {
	t.Helper()
	rs := s.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	for _, r := range rs {
		return r["Properties"].(map[string]any)
	}
	return nil
}
