package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"
)

// Stand-ins for what CloudFormation fills in at deploy time, so that the
// synthesized state machine definition can be read (and validated) as
// plain JSON.
var pseudo = map[string]string{
	"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012", "AWS::URLSuffix": "amazonaws.com",
}

// deployed is the value CloudFormation would give a Ref or Fn::GetAtt
// Arn in s's template: a bucket's name, a function's ARN.
func (s *synthesized) deployed(t *testing.T, token map[string]any) string {
	t.Helper()
	if name, ok := token["Ref"].(string); ok {
		if v, ok := pseudo[name]; ok {
			return v
		}
		if s.doc["Resources"].(map[string]any)[name].(map[string]any)["Type"] == "AWS::S3::Bucket" {
			return "credaudit-state-" + strings.ToLower(name)
		}
	}
	if att, ok := token["Fn::GetAtt"].([]any); ok && len(att) == 2 && att[1] == "Arn" {
		id := att[0].(string)
		if s.doc["Resources"].(map[string]any)[id].(map[string]any)["Type"] == "AWS::Lambda::Function" {
			return "arn:aws:lambda:eu-west-1:123456789012:function:" + id
		}
	}
	t.Fatalf("no stand-in for %v", token)
	return ""
}

// definition is the state machine's definition as deployed, as text.
func (s *synthesized) definition(t *testing.T) string {
	t.Helper()
	def := s.only(t, "AWS::StepFunctions::StateMachine")["DefinitionString"]
	join, ok := def.(map[string]any)["Fn::Join"].([]any)
	if !ok || join[0] != "" {
		t.Fatalf("DefinitionString is %v, want Fn::Join of literal JSON and references", def)
	}
	var b strings.Builder
	for _, part := range join[1].([]any) {
		switch p := part.(type) {
		case string:
			b.WriteString(p)
		case map[string]any:
			b.WriteString(s.deployed(t, p))
		}
	}
	return b.String()
}

// states is the definition's States, by name.
func (s *synthesized) states(t *testing.T) map[string]map[string]any {
	t.Helper()
	var def struct {
		StartAt string
		States  map[string]map[string]any
	}
	if err := json.Unmarshal([]byte(s.definition(t)), &def); err != nil {
		t.Fatalf("definition is not JSON: %v", err)
	}
	if def.StartAt != "ListAccounts" {
		t.Errorf("StartAt %q, want ListAccounts", def.StartAt)
	}
	return def.States
}

// lambdaRetry is CDK's retryOnServiceExceptions (Lambda's own transient
// errors), then throttling, which a new account's concurrency quota of 10
// meets at the default maxConcurrency of 10: backed off with jitter so that
// the throttled invocations do not come back together. Never the function's
// own errors.
var lambdaRetry = []any{
	map[string]any{
		"ErrorEquals":     []any{"Lambda.ClientExecutionTimeoutException", "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException"},
		"IntervalSeconds": 2.0, "MaxAttempts": 6.0, "BackoffRate": 2.0,
	},
	map[string]any{
		"ErrorEquals":     []any{"Lambda.TooManyRequestsException"},
		"IntervalSeconds": 5.0, "MaxAttempts": 6.0, "BackoffRate": 2.0, "JitterStrategy": "FULL",
	},
}

// invokeState is a LambdaInvoke of fn with payload whose output is the
// function's result.
func invokeState(fn string, payload map[string]any, next string) map[string]any {
	st := map[string]any{
		"Type":       "Task",
		"Resource":   "arn:aws:states:::lambda:invoke",
		"Parameters": map[string]any{"FunctionName": fn},
		"OutputPath": "$.Payload",
		"Retry":      lambdaRetry,
	}
	if payload == nil {
		st["Parameters"].(map[string]any)["Payload.$"] = "$"
	} else {
		st["Parameters"].(map[string]any)["Payload"] = payload
	}
	if next == "" {
		st["End"] = true
	} else {
		st["Next"] = next
	}
	return st
}

// The run, state by state: list, audit each account in a Distributed Map,
// aggregate; a failed Map reports the failure.
func TestOrgStateMachineDefinition(t *testing.T) {
	for _, tc := range []struct {
		variant           string
		concurrency       float64
		toleratedFailures float64 // 0 is ASL's default, and CDK leaves it out
	}{
		{"org", DefaultMaxConcurrency, DefaultToleratedFailure},
		{"org-custom", 25, 0},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			fn := func(f function) string { return s.deployed(t, s.resolve(t, f.Function.FunctionArn()).(map[string]any)) }
			bucket := s.deployed(t, s.resolve(t, s.org.Bucket.BucketName()).(map[string]any))
			orchestrator, auditor := fn(s.org.Orchestrator), fn(s.org.Auditor)
			runFiles := map[string]any{"bucket.$": "$.bucket", "key.$": "$.key"}

			auditMap := map[string]any{
				"Type":       "Map",
				"ResultPath": "$.results",
				"Next":       "Aggregate",
				"Catch":      []any{map[string]any{"ErrorEquals": []any{"States.ALL"}, "ResultPath": "$.error", "Next": "ReportFailure"}},
				"ItemReader": map[string]any{
					"Resource":     "arn:aws:states:::s3:getObject",
					"ReaderConfig": map[string]any{"InputType": "JSON"},
					"Parameters":   map[string]any{"Bucket.$": "$.bucket", "Key.$": "$.key"},
				},
				"ItemSelector": map[string]any{
					"account_id.$": "$$.Map.Item.Value.account_id",
					"role_arn.$":   "$$.Map.Item.Value.role_arn",
					"notify":       "never",
					"run_id.$":     "$$.Execution.Name",
				},
				"ItemProcessor": map[string]any{
					"ProcessorConfig": map[string]any{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
					"StartAt":         "AuditAccount",
					"States":          map[string]any{"AuditAccount": invokeState(auditor, nil, "")},
				},
				"MaxConcurrency": tc.concurrency,
				"ResultWriter": map[string]any{
					"Resource":   "arn:aws:states:::s3:putObject",
					"Parameters": map[string]any{"Bucket": bucket, "Prefix": "runs/results"},
				},
			}
			if tc.toleratedFailures != 0 {
				auditMap["ToleratedFailurePercentage"] = tc.toleratedFailures
			}
			want := map[string]map[string]any{
				"ListAccounts": invokeState(orchestrator, map[string]any{"action": "list_accounts", "run_id.$": "$$.Execution.Name", "event.$": "$$.Execution.Input"},
					"FiringAlreadyRun"),
				"FiringAlreadyRun": {
					"Type":    "Choice",
					"Comment": "Another execution claimed the schedule's firing that started this one",
					"Choices": []any{map[string]any{"Variable": "$.duplicate", "BooleanEquals": true, "Next": "AlreadyRun"}},
					"Default": "AuditAccounts",
				},
				"AlreadyRun":    {"Type": "Succeed"},
				"AuditAccounts": auditMap,
				"Aggregate": invokeState(orchestrator, map[string]any{
					"action": "aggregate", "run_id.$": "$$.Execution.Name", "accounts": runFiles, "missing.$": "$.missing",
					"results": map[string]any{"bucket.$": "$.results.ResultWriterDetails.Bucket", "key.$": "$.results.ResultWriterDetails.Key"},
				}, ""),
				"ReportFailure": invokeState(orchestrator, map[string]any{
					"action": "aggregate", "run_id.$": "$$.Execution.Name", "accounts": runFiles, "missing.$": "$.missing", "error.$": "$.error",
				}, ""),
			}
			if diff := cmp.Diff(want, s.states(t)); diff != "" {
				t.Errorf("states (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOrgStateMachine(t *testing.T) {
	s := synth(t, "org")
	has(t, s, "AWS::StepFunctions::StateMachine", map[string]any{
		"StateMachineName": "credaudit-run",
		"StateMachineType": "STANDARD",
		"RoleArn":          s.resolve(t, s.org.StateMachineRole.RoleArn()),
		"LoggingConfiguration": map[string]any{
			"Level":                "ALL",
			"IncludeExecutionData": false,
			"Destinations": []any{map[string]any{"CloudWatchLogsLogGroup": map[string]any{
				"LogGroupArn": s.resolve(t, s.org.StateMachineLogGroup.LogGroupArn()),
			}}},
		},
		"TracingConfiguration": map[string]any{"Enabled": true},
	})
	var def struct{ TimeoutSeconds float64 }
	if err := json.Unmarshal([]byte(s.definition(t)), &def); err != nil || def.TimeoutSeconds != 24*3600 {
		t.Errorf("TimeoutSeconds %v (%v), want 86400 (a day)", def.TimeoutSeconds, err)
	}
	if n := len(s.resources("AWS::StepFunctions::StateMachine")); n != 1 {
		t.Errorf("%d state machines, want 1", n)
	}
	// The log group is under the prefix the account's CloudWatch Logs
	// resource policy covers with one wildcard, named for this stack.
	has(t, s, "AWS::Logs::LogGroup", map[string]any{
		"LogGroupName": map[string]any{"Fn::Join": []any{"", []any{
			"/aws/vendedlogs/states/credaudit-run-",
			map[string]any{"Fn::Select": []any{2.0, map[string]any{"Fn::Split": []any{"/", map[string]any{"Ref": "AWS::StackId"}}}}},
		}}},
		"RetentionInDays": 365.0,
	})
}

// aslValidator is the asl-validator that scripts/with-tools.sh installs
// from tools/package-lock.json.
func aslValidator(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("asl-validator")
	if err != nil {
		path = filepath.Join("..", "tools", "node_modules", ".bin", "asl-validator")
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("asl-validator not found: it is required in CI (make test installs it into tools/node_modules)")
		}
		t.Skip("asl-validator not found; run make test")
	}
	return path
}

// validateASL runs asl-validator on definition. --json-path reads a file;
// --json-definition takes the JSON text itself, and given a file name
// reports "Unable to parse" yet exits 0, so the output must also say
// "is valid".
func validateASL(t *testing.T, definition string) (bool, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "definition.json")
	if err := os.WriteFile(file, []byte(definition), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(aslValidator(t), "--json-path", file).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run asl-validator: %v", err)
	}
	return err == nil && strings.Contains(string(out), "is valid"), string(out)
}

// The synthesized definition is valid Amazon States Language (structure,
// transitions, paths and resource ARNs), in every organisation variant.
func TestOrgStateMachineIsValidASL(t *testing.T) {
	for variant := range orgVariants {
		t.Run(variant, func(t *testing.T) {
			s := synth(t, variant)
			if ok, out := validateASL(t, s.definition(t)); !ok {
				t.Errorf("asl-validator rejects the definition:\n%s\n%s", out, s.definition(t))
			}
		})
	}
}

// The validator does reject what is broken, so the test above can fail.
func TestASLValidatorRejectsBrokenDefinitions(t *testing.T) {
	s := synth(t, "org")
	def := s.definition(t)
	for name, broken := range map[string]string{
		"a transition to a missing state": strings.Replace(def, `"Next":"Aggregate"`, `"Next":"Aggregat"`, 1),
		"a bad path":                      strings.Replace(def, `"$.results"`, `"results"`, 1),
		"not JSON":                        def[:len(def)/2],
	} {
		if broken == def {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if ok, out := validateASL(t, broken); ok {
			t.Errorf("%s: asl-validator accepts it:\n%s", name, out)
		}
	}
}

func TestOrgFunctions(t *testing.T) {
	for _, tc := range []struct {
		variant string
		common  map[string]any
		filter  map[string]any
	}{
		{"org", map[string]any{
			"CREDAUDIT_SECURITY_HUB": "on", "CREDAUDIT_SECURITY_HUB_REGION": ref("AWS::Region"), "CREDAUDIT_PROFILE": "",
			"CREDAUDIT_CONFIG": "", "CREDAUDIT_NOTIFY": "changes", "CREDAUDIT_REFRESH_DAYS": "30", "CREDAUDIT_MEMBER_ROLE": "credaudit-member",
		}, map[string]any{
			"CREDAUDIT_ORG_INCLUDE_ACCOUNTS": "", "CREDAUDIT_ORG_EXCLUDE_ACCOUNTS": "", "CREDAUDIT_ORG_INCLUDE_OUS": "", "CREDAUDIT_ORG_EXCLUDE_OUS": "",
		}},
		{"org-custom", map[string]any{
			"CREDAUDIT_SECURITY_HUB": "off", "CREDAUDIT_SECURITY_HUB_REGION": ref("AWS::Region"), "CREDAUDIT_PROFILE": "",
			"CREDAUDIT_CONFIG": "s3://credaudit-config-bucket/credaudit.yaml", "CREDAUDIT_NOTIFY": "changes", "CREDAUDIT_REFRESH_DAYS": "30",
			"CREDAUDIT_MEMBER_ROLE": "AuditMember",
		}, map[string]any{
			"CREDAUDIT_ORG_INCLUDE_ACCOUNTS": "111111111111,222222222222", "CREDAUDIT_ORG_EXCLUDE_ACCOUNTS": "333333333333",
			"CREDAUDIT_ORG_INCLUDE_OUS": "ou-ab12-cdef3456", "CREDAUDIT_ORG_EXCLUDE_OUS": "ou-ab12-00000000,ou-ab12-11111111",
		}},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			tc.common["CREDAUDIT_STATE_BUCKET"] = s.resolve(t, s.org.Bucket.BucketName())
			tc.common["CREDAUDIT_TOPIC_ARN"] = s.resolve(t, s.org.Topic.TopicArn())
			orchestratorEnv := map[string]any{}
			for _, m := range []map[string]any{tc.common, tc.filter} {
				for k, v := range m {
					orchestratorEnv[k] = v
				}
			}
			for name, want := range map[string]struct {
				f   function
				env map[string]any
			}{"auditor": {s.org.Auditor, tc.common}, "orchestrator": {s.org.Orchestrator, orchestratorEnv}} {
				fn := s.resources("AWS::Lambda::Function")[s.org.logicalID(want.f.Function)]["Properties"].(map[string]any)
				if diff := cmp.Diff(want.env, fn["Environment"].(map[string]any)["Variables"]); diff != "" {
					t.Errorf("%s environment (-want +got):\n%s", name, diff)
				}
				if fn["Runtime"] != "provided.al2023" || !cmp.Equal(fn["Architectures"], []any{"arm64"}) || fn["Handler"] != "bootstrap" ||
					!cmp.Equal(fn["Role"], s.resolve(t, want.f.Role.RoleArn())) || fn["ReservedConcurrentExecutions"] != nil {
					t.Errorf("%s: runtime %v %v %v, role %v, reserved %v", name, fn["Runtime"], fn["Architectures"], fn["Handler"], fn["Role"], fn["ReservedConcurrentExecutions"])
				}
			}
			// Both run the one asset.
			fns := s.resources("AWS::Lambda::Function")
			if len(fns) != 2 {
				t.Fatalf("%d functions, want 2", len(fns))
			}
			var codes []any
			for _, f := range fns {
				codes = append(codes, f["Properties"].(map[string]any)["Code"])
			}
			if !cmp.Equal(codes[0], codes[1]) {
				t.Errorf("the functions run different code: %v", codes)
			}
		})
	}
}

// The auditor's role: its own log group, the member role of accounts in
// the organisation, the state, the topic, the configuration. No IAM or
// Security Hub actions: those go through the member role.
func TestAuditorPermissions(t *testing.T) {
	for _, tc := range []struct {
		variant, memberRole, orgID string
	}{
		{"org", "credaudit-member", "o-abcdefghij"},
		{"org-custom", "AuditMember", "o-a1b2c3d4e5f6"},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			bucketArn := s.resolve(t, s.org.Bucket.BucketArn())
			want := append([]map[string]any{
				allow("WriteLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, s.resolve(t, s.org.Auditor.LogGroup.LogGroupArn())),
				allow("AssumeMemberRole", []string{"sts:AssumeRole"}, join("arn:", ref("AWS::Partition"), ":iam::*:role/"+tc.memberRole),
					map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": tc.orgID}}),
				allow("KeepSummaries", []string{"s3:PutObject"}, join(bucketArn, "/runs/*/summaries/*")),
				allow("ReadWriteState", []string{"s3:GetObject", "s3:PutObject"}, join(bucketArn, "/state/*")),
				allow("ListState", []string{"s3:ListBucket"}, bucketArn),
			}, publishing(t, s)...)
			want = append(want, orgConfigStatements[tc.variant]...)
			assertPolicy(t, s, s.org.logicalID(s.org.Auditor.Role), want)
			assertTrust(t, s, s.org.logicalID(s.org.Auditor.Role), lambdaTrust)
		})
	}
}

// orgConfigStatements are the statements that read each org variant's
// configuration file (the "org" variant has none).
var orgConfigStatements = map[string][]map[string]any{
	"org-custom": {allow("ReadConfig", []string{"s3:GetObject"},
		join("arn:", ref("AWS::Partition"), ":s3:::credaudit-config-bucket/credaudit.yaml"))},
}

// The orchestrator's role: list the accounts, the runs/ files, the topic,
// the configuration (the organisation digest names its profile when every
// account failed).
func TestOrchestratorPermissions(t *testing.T) {
	for variant := range orgVariants {
		t.Run(variant, func(t *testing.T) {
			s := synth(t, variant)
			list := []string{"organizations:ListAccounts"}
			if variant != "org" { // OU filters (org-ous: by default): the accounts' parents are read
				list = append(list, "organizations:ListParents")
			}
			want := append([]map[string]any{
				allow("WriteLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, s.resolve(t, s.org.Orchestrator.LogGroup.LogGroupArn())),
				allow("ListAccounts", list, "*"),
				allow("ReadRunFiles", []string{"s3:GetObject"}, join(s.resolve(t, s.org.Bucket.BucketArn()), "/runs/*")),
				allow("WriteRunFiles", []string{"s3:PutObject"}, []any{join(s.resolve(t, s.org.Bucket.BucketArn()), "/runs/*/accounts.json"),
					join(s.resolve(t, s.org.Bucket.BucketArn()), "/runs/owed-digests.json"), join(s.resolve(t, s.org.Bucket.BucketArn()), "/runs/deliveries/*")}),
				allow("ListOwedDigests", []string{"s3:ListBucket"}, s.resolve(t, s.org.Bucket.BucketArn())),
			}, publishing(t, s)...)
			want = append(want, orgConfigStatements[variant]...)
			assertPolicy(t, s, s.org.logicalID(s.org.Orchestrator.Role), want)
			assertTrust(t, s, s.org.logicalID(s.org.Orchestrator.Role), lambdaTrust)
		})
	}
}

// Without an include filter in the context the orchestrator audits the
// accounts that have the member role, not every account: those below
// OU-only stackSetTargets, and with SELF the stack's own account (the
// management account, whose role the stack creates itself). Before, each
// account outside the targets failed every run, having no role to assume.
// A root among the targets gives every account the role (no filter), and
// an include filter the context names is used as written.
func TestOrchestratorAuditsTheAccountsWithTheMemberRole(t *testing.T) {
	for _, tc := range []struct {
		name                        string
		ctx                         map[string]any
		includeAccounts, includeOUs any
		listParents                 bool
	}{
		{"OU targets, SELF: the OUs and the stack's account",
			map[string]any{KeyStackSetTargets: "ou-ab12-11111111"},
			ref("AWS::AccountId"), "ou-ab12-11111111", true},
		{"OU targets, DELEGATED_ADMIN: the OUs only",
			map[string]any{KeyStackSetTargets: []any{"ou-ab12-11111111", "ou-ab12-22222222"}, KeyStackSetCallAs: "DELEGATED_ADMIN"},
			"", "ou-ab12-11111111,ou-ab12-22222222", true},
		{"an exclusion alone leaves the default",
			map[string]any{KeyStackSetTargets: "ou-ab12-11111111", KeyOrgExcludeAccounts: "333333333333"},
			ref("AWS::AccountId"), "ou-ab12-11111111", true},
		{"a root among the targets: every account, no filter",
			map[string]any{KeyStackSetTargets: "ou-ab12-11111111,r-ab12"},
			"", "", false},
		{"orgIncludeAccounts as written",
			map[string]any{KeyStackSetTargets: "ou-ab12-11111111", KeyOrgIncludeAccounts: "111111111111"},
			"111111111111", "", false},
		{"orgIncludeOus as written",
			map[string]any{KeyStackSetTargets: "ou-ab12-11111111", KeyOrgIncludeOUs: "ou-ab12-22222222"},
			"", "ou-ab12-22222222", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := maps.Clone(orgVariants["org"])
			maps.Copy(ctx, tc.ctx)
			s := synthContext(t, ctx, t.TempDir())
			fn := s.resources("AWS::Lambda::Function")[s.org.logicalID(s.org.Orchestrator.Function)]["Properties"].(map[string]any)
			env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
			for name, want := range map[string]any{"CREDAUDIT_ORG_INCLUDE_ACCOUNTS": tc.includeAccounts, "CREDAUDIT_ORG_INCLUDE_OUS": tc.includeOUs} {
				if diff := cmp.Diff(want, env[name]); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
			list := policyOf(t, s, s.org.logicalID(s.org.Orchestrator.Role))["ListAccounts"].(map[string]any)["Action"]
			want := any("organizations:ListAccounts")
			if tc.listParents {
				want = []any{"organizations:ListAccounts", "organizations:ListParents"}
			}
			if diff := cmp.Diff(want, list); diff != "" {
				t.Errorf("ListAccounts statement's actions (-want +got):\n%s", diff)
			}
		})
	}
}

// With DELEGATED_ADMIN, a root among the targets audits the management
// account, which has no member role: synth warns, naming what to set,
// unless a filter in the context may leave it out. SELF creates the role
// there, and OU targets leave it out by default.
func TestDelegatedAdminWarnsOfTheManagementAccount(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  map[string]any
		want int
	}{
		{"DELEGATED_ADMIN, a root target", map[string]any{KeyStackSetTargets: "r-ab12", KeyStackSetCallAs: "DELEGATED_ADMIN"}, 1},
		{"DELEGATED_ADMIN, a root target, an exclusion", map[string]any{KeyStackSetTargets: "r-ab12", KeyStackSetCallAs: "DELEGATED_ADMIN", KeyOrgExcludeAccounts: "111111111111"}, 0},
		{"DELEGATED_ADMIN, OU targets", map[string]any{KeyStackSetTargets: "ou-ab12-11111111", KeyStackSetCallAs: "DELEGATED_ADMIN"}, 0},
		{"SELF, a root target", map[string]any{KeyStackSetTargets: "r-ab12"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := maps.Clone(orgVariants["org"])
			maps.Copy(ctx, tc.ctx)
			s := synthContext(t, ctx, t.TempDir())
			w := *assertions.Annotations_FromStack(s.stack).FindWarning(jsii.String("*"),
				assertions.Match_StringLikeRegexp(jsii.String("audits every account, the management account too, which has no member role.*Set "+KeyOrgExcludeAccounts+" to the management account's ID")))
			if len(w) != tc.want {
				t.Errorf("%d warnings of the management account, want %d:%s", len(w), tc.want, describe(w))
			}
		})
	}
}

var lambdaTrust = map[string]any{
	"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": map[string]any{"Service": "lambda.amazonaws.com"},
}

// publishing are the statements that let a function publish to the
// encrypted topic.
func publishing(t *testing.T, s *synthesized) []map[string]any {
	return []map[string]any{
		allow("PublishDigest", []string{"sns:Publish"}, s.resolve(t, s.org.Topic.TopicArn())),
		allow("EncryptForTopic", []string{"kms:GenerateDataKey", "kms:Decrypt"}, s.resolve(t, s.org.Key.KeyArn()),
			map[string]any{"StringEquals": map[string]any{"kms:ViaService": join("sns.", ref("AWS::Region"), ".", ref("AWS::URLSuffix"))}}),
	}
}

// assertPolicy checks that the role with logical ID roleID has exactly
// the statements want (and no second policy: policyOf).
func assertPolicy(t *testing.T, s *synthesized, roleID string, want []map[string]any) {
	t.Helper()
	wantBySid := map[string]any{}
	for _, w := range want {
		wantBySid[w["Sid"].(string)] = w
	}
	if diff := cmp.Diff(normalizeJoins(wantBySid), normalizeJoins(policyOf(t, s, roleID))); diff != "" {
		t.Errorf("statements of %s (-want +got):\n%s", roleID, diff)
	}
}

// The state machine's role: invoke the two functions, run the Map's child
// executions of this state machine, read runs/ and write the results,
// deliver logs and traces. Nothing CDK would add beyond that.
func TestStateMachinePermissions(t *testing.T) {
	s := synth(t, "org")
	sm := func(resource string) any {
		return join("arn:", ref("AWS::Partition"), ":states:", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":"+resource)
	}
	bucketArn := s.resolve(t, s.org.Bucket.BucketArn())
	want := []map[string]any{
		allow("InvokeFunctions", []string{"lambda:InvokeFunction"}, []any{
			s.resolve(t, s.org.Orchestrator.Function.FunctionArn()), s.resolve(t, s.org.Auditor.Function.FunctionArn()),
		}),
		allow("StartChildExecutions", []string{"states:StartExecution"}, sm("stateMachine:credaudit-run")),
		allow("ManageChildExecutions", []string{"states:DescribeExecution", "states:StopExecution"},
			[]any{sm("execution:credaudit-run:*"), sm("execution:credaudit-run/*")}),
		allow("ReadRuns", []string{"s3:GetObject"}, join(bucketArn, "/runs/*")),
		allow("WriteResults", []string{"s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"}, join(bucketArn, "/runs/results/*")),
		allow("DeliverLogs", []string{
			"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
			"logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
		}, "*"),
		allow("Trace", []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"}, "*"),
	}
	assertPolicy(t, s, s.org.logicalID(s.org.StateMachineRole), want)
	assertTrust(t, s, s.org.logicalID(s.org.StateMachineRole), serviceTrust("states.amazonaws.com"))
	// policyOf found one policy on the role: CDK's own Distributed Map
	// policy is not there.
	if n := len(s.resources("AWS::IAM::Policy")); n != 4 {
		t.Errorf("%d policies, want 4 (auditor, orchestrator, state machine, schedule)", n)
	}
}

func TestStackSet(t *testing.T) {
	for _, tc := range []struct {
		variant, callAs, name, orgID string
		targets                      []any
		hub                          bool
	}{
		{"org", "SELF", "credaudit-member-role", "o-abcdefghij", []any{"r-ab12"}, true},
		{"org-custom", "DELEGATED_ADMIN", "credaudit-org-member-role", "o-a1b2c3d4e5f6", []any{"ou-ab12-cdef3456", "ou-ab12-98765432"}, false},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			params := []any{
				map[string]any{"ParameterKey": "AuditorRoleArn", "ParameterValue": s.resolve(t, s.org.Auditor.Role.RoleArn())},
				map[string]any{"ParameterKey": "OrgId", "ParameterValue": tc.orgID},
			}
			if tc.hub {
				params = append(params, map[string]any{"ParameterKey": "HomeRegion", "ParameterValue": ref("AWS::Region")})
			}
			has(t, s, "AWS::CloudFormation::StackSet", map[string]any{
				"StackSetName":     tc.name,
				"PermissionModel":  "SERVICE_MANAGED",
				"CallAs":           tc.callAs,
				"AutoDeployment":   map[string]any{"Enabled": true, "RetainStacksOnAccountRemoval": false},
				"ManagedExecution": map[string]any{"Active": true},
				"Capabilities":     []any{"CAPABILITY_NAMED_IAM"},
				"OperationPreferences": map[string]any{
					"MaxConcurrentPercentage": 50, "FailureTolerancePercentage": 10,
					"ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
				},
				// IAM is global: one region, the stack's own.
				"StackInstancesGroup": []any{map[string]any{
					"DeploymentTargets": map[string]any{"OrganizationalUnitIds": tc.targets},
					"Regions":           []any{ref("AWS::Region")},
				}},
				"Parameters":   params,
				"TemplateBody": MemberTemplate(s.org.Settings),
			})
			if n := len(s.resources("AWS::CloudFormation::StackSet")); n != 1 {
				t.Errorf("%d StackSets, want 1", n)
			}
		})
	}
}

// memberTemplate is the StackSet's template as JSON values.
func memberTemplate(t *testing.T, s *synthesized) map[string]any {
	t.Helper()
	var tmpl map[string]any
	body := s.only(t, "AWS::CloudFormation::StackSet")["TemplateBody"].(string)
	if err := json.Unmarshal([]byte(body), &tmpl); err != nil {
		t.Fatalf("TemplateBody: %v", err)
	}
	return tmpl
}

// wantMemberRole is the member role whose trust and policy name
// auditor, orgID and homeRegion as given.
func wantMemberRole(name string, hub bool, auditor, orgID, homeRegion any) map[string]any {
	statements := []any{allow("ReadCredentialReport", []string{
		"iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:GetAccountSummary", "iam:ListVirtualMFADevices", "iam:ListAccountAliases",
	}, "*")}
	if hub {
		statements = append(statements,
			allow("ImportFindings", []string{"securityhub:BatchImportFindings"}, join("arn:", ref("AWS::Partition"), ":securityhub:", homeRegion, ":",
				ref("AWS::AccountId"), ":product/", ref("AWS::AccountId"), "/default")),
			allow("UpdateFindings", []string{"securityhub:BatchUpdateFindings"}, "*"))
	}
	return map[string]any{
		"RoleName":           name,
		"Description":        "credaudit member role: the organisation's auditor reads this account's IAM credential report and imports its findings",
		"MaxSessionDuration": 3600.0,
		"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Allow", "Action": "sts:AssumeRole",
			"Principal": map[string]any{"AWS": auditor},
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": orgID}},
		}}},
		"Policies": []any{map[string]any{
			"PolicyName":     "credaudit-member",
			"PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": statements},
		}},
	}
}

// The StackSet deploys exactly the member role: trusted by the auditor's
// role from inside the organisation, with exactly the report and Security
// Hub permissions.
func TestMemberRoleTemplate(t *testing.T) {
	for _, tc := range []struct {
		variant, name string
		hub           bool
	}{
		{"org", "credaudit-member", true},
		{"org-custom", "AuditMember", false},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			tmpl := memberTemplate(t, s)
			resources := tmpl["Resources"].(map[string]any)
			if len(resources) != 1 {
				t.Errorf("member template resources %v, want only MemberRole", slices.Sorted(maps.Keys(resources)))
			}
			role := resources["MemberRole"].(map[string]any)
			if role["Type"] != "AWS::IAM::Role" {
				t.Errorf("MemberRole is %v", role["Type"])
			}
			want := wantMemberRole(tc.name, tc.hub, ref("AuditorRoleArn"), ref("OrgId"), ref("HomeRegion"))
			if diff := cmp.Diff(want, role["Properties"]); diff != "" {
				t.Errorf("member role (-want +got):\n%s", diff)
			}
			params := slices.Sorted(maps.Keys(tmpl["Parameters"].(map[string]any)))
			wantParams := []string{"AuditorRoleArn", "OrgId"}
			if tc.hub {
				wantParams = []string{"AuditorRoleArn", "HomeRegion", "OrgId"}
			}
			if !slices.Equal(params, wantParams) {
				t.Errorf("member template parameters %v, want %v", params, wantParams)
			}
		})
	}
}

// The management account's own member role (StackSets skip it) is the
// StackSet's role with the StackSet's parameter values; with
// DELEGATED_ADMIN there is none, as the StackSet covers this account.
func TestManagementAccountMemberRole(t *testing.T) {
	s := synth(t, "org")
	if s.org.MemberRole == nil {
		t.Fatal("SELF: no member role in the management account")
	}
	local := s.resources("AWS::IAM::Role")[*s.stack.GetLogicalId(s.org.MemberRole)]
	want := wantMemberRole("credaudit-member", true, s.resolve(t, s.org.Auditor.Role.RoleArn()), "o-abcdefghij", ref("AWS::Region"))
	if diff := cmp.Diff(normalizeJoins(want), normalizeJoins(local["Properties"])); diff != "" {
		t.Errorf("management account's member role (-want +got):\n%s", diff)
	}

	// The same as the template's once the StackSet's parameters are in.
	values := map[string]any{}
	for _, p := range s.only(t, "AWS::CloudFormation::StackSet")["Parameters"].([]any) {
		p := p.(map[string]any)
		values[p["ParameterKey"].(string)] = p["ParameterValue"]
	}
	fromTemplate := substituteRefs(memberTemplate(t, s)["Resources"].(map[string]any)["MemberRole"].(map[string]any)["Properties"], values)
	if diff := cmp.Diff(normalizeJoins(fromTemplate), normalizeJoins(local["Properties"])); diff != "" {
		t.Errorf("management copy differs from the StackSet's role (-template +copy):\n%s", diff)
	}

	delegated := synth(t, "org-custom")
	for id, r := range delegated.resources("AWS::IAM::Role") {
		if r["Properties"].(map[string]any)["RoleName"] == "AuditMember" {
			t.Errorf("DELEGATED_ADMIN: the stack creates the member role (%s) the StackSet also deploys to its account", id)
		}
	}
}

// substituteRefs replaces {"Ref": name} by values[name] throughout v.
func substituteRefs(v any, values map[string]any) any {
	switch v := v.(type) {
	case map[string]any:
		if name, ok := v["Ref"].(string); ok && len(v) == 1 {
			if x, ok := values[name]; ok {
				return x
			}
		}
		out := map[string]any{}
		for k, x := range v {
			out[k] = substituteRefs(x, values)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = substituteRefs(x, values)
		}
		return out
	}
	return v
}

func TestOrgAlarms(t *testing.T) {
	s := synth(t, "org")
	topic := s.resolve(t, s.org.Topic.TopicArn())
	machine := []any{map[string]any{"Name": "StateMachineArn", "Value": s.resolve(t, s.org.StateMachine.StateMachineArn())}}
	fn := func(f function) any {
		return []any{map[string]any{"Name": "FunctionName", "Value": s.resolve(t, f.Function.FunctionName())}}
	}
	type alarm struct {
		Namespace, MetricName, Statistic string
		Threshold                        float64
		Dimensions                       any
		// Notifies: the alarm's own action notifies the topic; the
		// others' state is RunFailedAlarm's (TestRunFailedAlarm).
		Notifies bool
	}
	// timeoutSeconds applies to both functions, and the README says its
	// duration alarm fires at 80 % of it: a slow audit or aggregate warns
	// before it starts failing by its deadline.
	nearTimeout := 0.8 * DefaultTimeout.Seconds() * 1000
	want := []alarm{
		{"AWS/Lambda", "Errors", "Sum", 1, fn(s.org.Auditor), true},
		{"AWS/Lambda", "Throttles", "Sum", 1, fn(s.org.Auditor), true},
		{"AWS/Lambda", "Duration", "Maximum", nearTimeout, fn(s.org.Auditor), true},
		{"AWS/Lambda", "Errors", "Sum", 1, fn(s.org.Orchestrator), false},
		// The state machine retries a throttled orchestrator as it does a
		// throttled auditor, for minutes, before the run fails: the
		// throttling itself is reported as soon as it happens.
		{"AWS/Lambda", "Throttles", "Sum", 1, fn(s.org.Orchestrator), true},
		{"AWS/Lambda", "Duration", "Maximum", nearTimeout, fn(s.org.Orchestrator), true},
		{MetricsNamespace, IncompleteMetric, "Sum", 1, nil, true},
		{MetricsNamespace, NotListedMetric, "Sum", 1, nil, true},
		{MetricsNamespace, "FailuresTold", "Sum", 1, nil, false},
		{"AWS/SQS", "NumberOfMessagesSent", "Sum", 1, []any{map[string]any{"Name": "QueueName", "Value": s.resolve(t, s.org.Queue.QueueName())}}, false},
		{"AWS/States", "ExecutionsFailed", "Sum", 1, machine, false},
		{"AWS/States", "ExecutionsTimedOut", "Sum", 1, machine, true},
	}
	var got []alarm
	for id, r := range s.resources("AWS::CloudWatch::Alarm") {
		if strings.HasPrefix(id, "MissedRunAlarm") {
			continue // TestOrgMissedRunAlarm
		}
		p := r["Properties"].(map[string]any)
		notifies := cmp.Equal(p["AlarmActions"], []any{topic})
		if !notifies && p["AlarmActions"] != nil {
			t.Errorf("alarm %s: actions %v, want the topic or none", p["MetricName"], p["AlarmActions"])
		}
		if p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || p["EvaluationPeriods"] != 1.0 || p["Period"] != 300.0 || p["TreatMissingData"] != "notBreaching" {
			t.Errorf("alarm %s: %v %v periods of %v s, missing data %v", p["MetricName"], p["ComparisonOperator"], p["EvaluationPeriods"], p["Period"], p["TreatMissingData"])
		}
		got = append(got, alarm{p["Namespace"].(string), p["MetricName"].(string), p["Statistic"].(string), p["Threshold"].(float64), p["Dimensions"], notifies})
		desc, _ := p["AlarmDescription"].(string)
		if !strings.HasPrefix(desc, "credaudit: ") {
			t.Errorf("alarm %s: description %q does not name credaudit", p["MetricName"], desc)
		}
		// The e-mail of a stopped run says when it was stopped: the state
		// machine's own timeout, in hours.
		if p["MetricName"] == "ExecutionsTimedOut" {
			var def struct{ TimeoutSeconds float64 }
			if err := json.Unmarshal([]byte(s.definition(t)), &def); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("still going after %v hours and was stopped", def.TimeoutSeconds/3600); !strings.Contains(desc, want) {
				t.Errorf("timed-out alarm's description %q, want it to say %q", desc, want)
			}
		}
	}
	key := func(a alarm) string { b, _ := json.Marshal(a); return string(b) }
	slices.SortFunc(got, func(a, b alarm) int { return strings.Compare(key(a), key(b)) })
	slices.SortFunc(want, func(a, b alarm) int { return strings.Compare(key(a), key(b)) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alarms (-want +got):\n%s", diff)
	}
}

// The organisation stack's missed-run alarm counts the executions the
// schedule started (Scheduler starts them itself, up to 1 h late): a daily
// schedule gets 24 + 1 + 1 hours. A weekly one is longer than a CloudWatch
// alarm can look back, and synth says there is none.
func TestOrgMissedRunAlarm(t *testing.T) {
	s := synth(t, "org")
	machine := []any{map[string]any{"Name": "StateMachineArn", "Value": s.resolve(t, s.org.StateMachine.StateMachineArn())}}
	checkMissedRun(t, s, s.resolve(t, s.org.Topic.TopicArn()), "AWS/States", "ExecutionsStarted", machine, 26*3600,
		"no organisation run has started in the last 1 day 2 hours")

	weekly := synth(t, "org-custom")
	if p := weekly.missedRun(t); p != nil {
		t.Errorf("weekly schedule: a missed-run alarm over %v s, more than CloudWatch's 7 days", p["Period"])
	}
	w := weekly.missedRunWarnings()
	if len(w) != 1 {
		t.Fatalf("weekly schedule: %d warnings that no alarm tells when runs stop, want 1:%s", len(w), describe(w))
	}
	msg := fmt.Sprint(w[0].Entry.Data)
	for _, want := range []string{"cron(0 5 ? * MON *) in timeZone=Europe/Berlin", "7 days", "leave at most 6 days 22 hours between runs"} {
		if !strings.Contains(msg, want) {
			t.Errorf("warning %q does not say %q", msg, want)
		}
	}
}

// An account audited but not wholly published or saved is no function
// error (the map needs its summary): a metric filter on the auditor's log
// group counts its error line, for AuditorIncompleteAlarm above. What the
// filters include by ID that is not there to audit is no audit at all: a
// metric filter on the orchestrator's log group counts its error line,
// for OrchestratorNotListedAlarm.
func TestOrgCountsIncompleteAudits(t *testing.T) {
	s := synth(t, "org")
	has(t, s, "AWS::Logs::MetricFilter", map[string]any{
		"LogGroupName":  s.resolve(t, s.org.Auditor.LogGroup.LogGroupName()),
		"FilterPattern": `{ $.message = "audit incomplete" }`,
		"MetricTransformations": []any{map[string]any{
			"MetricNamespace": "credaudit", "MetricName": "AuditsIncomplete", "MetricValue": "1",
		}},
	})
	has(t, s, "AWS::Logs::MetricFilter", map[string]any{
		"LogGroupName":  s.resolve(t, s.org.Orchestrator.LogGroup.LogGroupName()),
		"FilterPattern": `{ $.message = "included not listed" }`,
		"MetricTransformations": []any{map[string]any{
			"MetricNamespace": "credaudit", "MetricName": "IncludedNotListed", "MetricValue": "1",
		}},
	})
	// The third counts the orchestrator's told failures (TestRunFailedAlarm).
	if n := len(s.resources("AWS::Logs::MetricFilter")); n != 3 {
		t.Errorf("%d metric filters, want 3", n)
	}
}

// The state bucket expires each run's files; its state objects are kept.
func TestOrgBucketExpiresRuns(t *testing.T) {
	oldVersions := map[string]any{"Id": "expire-old-state-versions", "Status": "Enabled",
		"NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": 30}, "AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 1}}
	has(t, synth(t, "org"), "AWS::S3::Bucket", map[string]any{"LifecycleConfiguration": map[string]any{"Rules": []any{oldVersions,
		map[string]any{"Id": "expire-runs", "Status": "Enabled", "Prefix": "runs/", "ExpirationInDays": 30,
			"NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": 1}},
	}}})
	// The single-account stack keeps no runs.
	has(t, synth(t, "default"), "AWS::S3::Bucket", map[string]any{"LifecycleConfiguration": map[string]any{"Rules": []any{oldVersions}}})
}

// The state machine is named <stackName>-run, and Step Functions names are
// at most 80 characters: a longer organisation stack name is refused as an
// invalid setting, not left to a jsii panic at synth. The longest allowed
// name synthesizes.
func TestOrgStackNameLimit(t *testing.T) {
	requireTools(t)
	for _, tc := range []struct {
		length int
		ok     bool
	}{{maxOrgStackName, true}, {maxOrgStackName + 1, false}} {
		t.Run(fmt.Sprint(tc.length), func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("stackName of %d characters: synth panicked: %.200v", tc.length, r)
				}
			}()
			name := "c" + strings.Repeat("x", tc.length-1)
			ctx := cdkJSONContext(t)
			maps.Copy(ctx, orgVariants["org"])
			ctx[KeyStackName], ctx[KeyAsset] = name, fakeAsset
			app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
			stacks, err := NewApp(app)
			if !tc.ok {
				if err == nil || !strings.Contains(err.Error(), "invalid settings") || !strings.Contains(err.Error(), "context "+KeyStackName+"="+name) {
					t.Errorf("stackName of %d characters: %v, want it refused as an invalid setting", tc.length, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			app.Synth(nil)
			if got := *stacks.Org.StateMachine.StateMachineName(); len(got) > 80 {
				t.Errorf("state machine name %q is %d characters", got, len(got))
			}
		})
	}
}
