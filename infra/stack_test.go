package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"
)

// has asserts that a resource of type typ matches props (CDK's
// HasResourceProperties: objects match like ObjectLike, nested literals
// exactly). A mismatch is reported as a test error instead of a panic.
func has(t *testing.T, s *synthesized, typ string, props any) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", typ, r)
		}
	}()
	s.template.HasResourceProperties(&typ, props)
}

func TestFunctionRuntime(t *testing.T) {
	s := synth(t, "default")
	has(t, s, "AWS::Lambda::Function", map[string]any{
		"Runtime":       "provided.al2023",
		"Architectures": []any{"arm64"},
		"Handler":       "bootstrap",
		"MemorySize":    512, // the README's sizing; literal, so that a change of the default fails here
		"Timeout":       900,
		"LoggingConfig": map[string]any{
			"LogFormat":           "JSON",
			"ApplicationLogLevel": "INFO",
			"SystemLogLevel":      "INFO", // the REPORT line: duration, max memory used
			"LogGroup":            s.resolve(t, s.st.LogGroup.LogGroupName()),
		},
		"Role":                         s.resolve(t, s.st.Role.RoleArn()),
		"ReservedConcurrentExecutions": assertions.Match_Absent(),
	})
	has(t, s, "AWS::Logs::LogGroup", map[string]any{"RetentionInDays": 365})
	if n := len(s.resources("AWS::Lambda::Function")); n != 1 {
		t.Errorf("%d functions, want 1 (no log-retention or other helper functions)", n)
	}
}

// The function's code is the asset directory zipped, and the directory
// holds exactly the executable `bootstrap` that make build writes.
func TestFunctionAsset(t *testing.T) {
	s := synth(t, "default")
	code := s.only(t, "AWS::Lambda::Function")["Code"].(map[string]any)
	key, _ := code["S3Key"].(string)
	hash, ok := strings.CutSuffix(key, ".zip")
	if !ok {
		t.Fatalf("Code.S3Key = %v, want <asset hash>.zip", code["S3Key"])
	}
	raw, err := os.ReadFile(filepath.Join(s.outdir, *s.st.Stack.StackName()+".assets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Files map[string]struct {
			Source struct{ Path, Packaging string }
		}
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	asset, ok := manifest.Files[hash]
	if !ok || asset.Source.Packaging != "zip" {
		t.Fatalf("asset %s: %+v, want a zip-packaged directory", hash, asset)
	}
	dir := filepath.Join(s.outdir, asset.Source.Path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"bootstrap"}) {
		t.Fatalf("asset directory holds %v, want only bootstrap", names)
	}
	fi, err := os.Stat(filepath.Join(dir, "bootstrap"))
	if err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("bootstrap in the asset is not executable: %v %v", fi.Mode(), err)
	}
	want, _ := os.ReadFile(filepath.Join(fakeAsset, "bootstrap"))
	got, _ := os.ReadFile(filepath.Join(dir, "bootstrap"))
	if !bytes.Equal(got, want) {
		t.Error("the staged bootstrap is not the one in lambdaAsset")
	}
}

// The environment synth checks against Lambda's limit (largestEnvironment)
// holds every variable of every function of each stack, each literal value
// no longer than it reckons: a variable added to a function but not to the
// check would let a stack through that Lambda refuses.
func TestLargestEnvironmentBoundsEveryFunction(t *testing.T) {
	for _, v := range allVariants() {
		s := synth(t, v)
		var (
			b   *base
			fns []function
		)
		if s.st != nil {
			b, fns = &s.st.base, []function{s.st.function}
		} else {
			b, fns = &s.org.base, []function{s.org.Auditor, s.org.Orchestrator}
		}
		bound := largestEnvironment(b.Settings)
		for _, f := range fns {
			fn := s.resources("AWS::Lambda::Function")[b.logicalID(f.Function)]["Properties"].(map[string]any)
			vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
			if len(vars) < 8 {
				t.Fatalf("%s: %d variables", v, len(vars))
			}
			for k, val := range vars {
				limit, ok := bound[k]
				if !ok {
					t.Errorf("%s: %s is not in largestEnvironment", v, k)
					continue
				}
				if str, literal := val.(string); literal && len(str) > len(*limit) {
					t.Errorf("%s: %s=%q is longer than largestEnvironment's %d bytes", v, k, str, len(*limit))
				}
			}
		}
	}
}

func TestFunctionEnvironment(t *testing.T) {
	for _, tc := range []struct {
		variant string
		want    map[string]any
	}{
		{"default", map[string]any{
			"CREDAUDIT_SECURITY_HUB":        "on",
			"CREDAUDIT_SECURITY_HUB_REGION": map[string]any{"Ref": "AWS::Region"},
			"CREDAUDIT_PROFILE":             "",
			"CREDAUDIT_CONFIG":              "",
			"CREDAUDIT_NOTIFY":              "changes",
			"CREDAUDIT_REFRESH_DAYS":        "30",
		}},
		{"custom", map[string]any{
			"CREDAUDIT_SECURITY_HUB":        "on",
			"CREDAUDIT_SECURITY_HUB_REGION": "eu-west-1",
			"CREDAUDIT_PROFILE":             "cis-5.0",
			"CREDAUDIT_CONFIG":              "ssm:/credaudit/config",
			"CREDAUDIT_NOTIFY":              "always",
			"CREDAUDIT_REFRESH_DAYS":        "14",
		}},
		{"hub-off", map[string]any{
			"CREDAUDIT_SECURITY_HUB":        "off",
			"CREDAUDIT_SECURITY_HUB_REGION": map[string]any{"Ref": "AWS::Region"},
			"CREDAUDIT_PROFILE":             "",
			"CREDAUDIT_CONFIG":              "s3://credaudit-config-bucket/credaudit.yaml",
			"CREDAUDIT_NOTIFY":              "changes",
			"CREDAUDIT_REFRESH_DAYS":        "30",
		}},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			tc.want["CREDAUDIT_STATE_BUCKET"] = s.resolve(t, s.st.Bucket.BucketName())
			tc.want["CREDAUDIT_TOPIC_ARN"] = s.resolve(t, s.st.Topic.TopicArn())
			fn := s.only(t, "AWS::Lambda::Function")
			got := fn["Environment"].(map[string]any)["Variables"]
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("environment (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCustomSizingAndLogging(t *testing.T) {
	s := synth(t, "custom")
	has(t, s, "AWS::Lambda::Function", map[string]any{
		"MemorySize":    1024,
		"Timeout":       600,
		"LoggingConfig": map[string]any{"ApplicationLogLevel": "DEBUG", "LogFormat": "JSON"},
	})
	has(t, s, "AWS::Logs::LogGroup", map[string]any{"RetentionInDays": 90})
	has(t, s, "AWS::CloudWatch::Alarm", map[string]any{"MetricName": "Duration", "Threshold": 0.8 * 600_000})
	if got := *s.st.Stack.StackName(); got != "credaudit-test" {
		t.Errorf("stack name %q, want credaudit-test", got)
	}
}

func TestSchedule(t *testing.T) {
	for _, tc := range []struct{ variant, expr, tz string }{
		{"default", "cron(0 6 * * ? *)", "Etc/UTC"},
		{"custom", "cron(30 7 ? * MON-FRI *)", "Europe/Berlin"},
		{"hub-off", "rate(12 hours)", "Etc/UTC"},
		{"org", "cron(0 6 * * ? *)", "Etc/UTC"},
		{"org-custom", "cron(0 5 ? * MON *)", "Europe/Berlin"},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			b := s.base()
			has(t, s, "AWS::Scheduler::Schedule", map[string]any{
				"ScheduleExpression":         tc.expr,
				"ScheduleExpressionTimezone": tc.tz,
				"FlexibleTimeWindow":         map[string]any{"Mode": "OFF"},
				"State":                      "ENABLED",
				"Target": map[string]any{
					"Arn":              s.runTarget(t),
					"RoleArn":          s.resolve(t, b.ScheduleRole.RoleArn()),
					"Input":            ScheduleInput,
					"RetryPolicy":      map[string]any{"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 10},
					"DeadLetterConfig": map[string]any{"Arn": s.resolve(t, b.Queue.QueueArn())},
				},
			})
		})
	}
}

// The schedule's payload has the keys of the handler's sample Scheduler
// event (events/scheduler.json), each a Scheduler placeholder.
func TestScheduleInputMatchesSampleEvent(t *testing.T) {
	raw, err := os.ReadFile("../events/scheduler.json")
	if err != nil {
		t.Fatal(err)
	}
	var sample, input map[string]string
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(ScheduleInput), &input); err != nil {
		t.Fatalf("ScheduleInput is not a JSON object of strings: %v", err)
	}
	for k, v := range input {
		if _, ok := sample[k]; !ok {
			t.Errorf("input key %q is not in events/scheduler.json", k)
		}
		if k != "source" && !(strings.HasPrefix(v, "<aws.scheduler.") && strings.HasSuffix(v, ">")) {
			t.Errorf("input %s = %q, want a Scheduler context placeholder", k, v)
		}
	}
	if input["source"] != sample["source"] {
		t.Errorf("source %q, want %q as in the sample", input["source"], sample["source"])
	}
	if len(input) != len(sample) {
		t.Errorf("input has %d keys, the sample %d", len(input), len(sample))
	}
}

// Lambda never re-runs a failed run: a retry would send the digest and
// import the findings again. A throttled event is still retried, for up to
// the maximum event age; what fails goes to the failure queue.
func TestAsyncInvocation(t *testing.T) {
	s := synth(t, "default")
	has(t, s, "AWS::Lambda::EventInvokeConfig", map[string]any{
		"FunctionName":             s.resolve(t, s.st.Function.FunctionName()),
		"Qualifier":                "$LATEST",
		"MaximumRetryAttempts":     0,
		"MaximumEventAgeInSeconds": 7200,
		"DestinationConfig": map[string]any{
			"OnFailure": map[string]any{"Destination": s.resolve(t, s.st.Queue.QueueArn())},
		},
	})
}

func TestTopicEncryptionAndSubscriptions(t *testing.T) {
	s := synth(t, "custom")
	keyArn := s.resolve(t, s.st.Key.KeyArn())
	topic := s.resolve(t, s.st.Topic.TopicArn())
	has(t, s, "AWS::SNS::Topic", map[string]any{"KmsMasterKeyId": keyArn})
	has(t, s, "AWS::KMS::Key", map[string]any{"EnableKeyRotation": true})
	var emails []string
	for _, r := range s.resources("AWS::SNS::Subscription") {
		p := r["Properties"].(map[string]any)
		if p["Protocol"] != "email" || !cmp.Equal(p["TopicArn"], topic) {
			t.Errorf("subscription %v, want email on the topic", p)
		}
		emails = append(emails, p["Endpoint"].(string))
	}
	slices.Sort(emails)
	if want := []string{"iam-owners@example.org", "secops@example.com"}; !slices.Equal(emails, want) {
		t.Errorf("subscriptions %v, want %v", emails, want)
	}
	if n := len(synth(t, "default").resources("AWS::SNS::Subscription")); n != 0 {
		t.Errorf("default: %d subscriptions, want none", n)
	}
	hubOff := synth(t, "hub-off")
	if n := len(hubOff.resources("AWS::SNS::Subscription")); n != 2 {
		t.Errorf("comma-separated notificationEmails: %d subscriptions, want 2", n)
	}
}

// A stack without notificationEmails deploys, but synth warns that
// nobody is subscribed; with them it does not.
func TestNoSubscribersWarning(t *testing.T) {
	for variant, want := range map[string]int{"default": 1, "custom": 0, "hub-off": 0, "org": 1, "org-custom": 0} {
		s := synth(t, variant)
		w := *assertions.Annotations_FromStack(s.stack).FindWarning(jsii.String("*"),
			assertions.Match_StringLikeRegexp(jsii.String("context "+KeyEmails+" is empty")))
		if len(w) != want {
			t.Errorf("%s: %d warnings of no subscriber, want %d:%s", variant, len(w), want, describe(w))
		}
	}
}

// A misspelt setting stops synth, naming the one it may have meant,
// rather than deploying that setting's default; a key near no setting
// (~/.cdk.json's context reaches every app) gets a warning.
func TestNewAppRefusesAMisspeltSetting(t *testing.T) {
	requireTools(t)
	ctx := cdkJSONContext(t)
	ctx["memoryMiB"], ctx[KeyAsset] = 2048.0, fakeAsset
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
	if _, err := NewApp(app); err == nil || !strings.Contains(err.Error(), "context memoryMiB=2048: not a credaudit setting; did you mean memorySize?") {
		t.Errorf("memoryMiB=2048: NewApp said %v, want it refused", err)
	}

	ctx = cdkJSONContext(t)
	ctx["stage"], ctx[KeyAsset] = "dev", fakeAsset
	app = awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
	stacks, err := NewApp(app)
	if err != nil {
		t.Fatalf("stage=dev: %v", err)
	}
	w := *assertions.Annotations_FromStack(stacks.Single.Stack).FindWarning(jsii.String("*"),
		assertions.Match_StringLikeRegexp(jsii.String("context stage=dev: not a credaudit setting, ignored")))
	if len(w) != 1 {
		t.Errorf("stage=dev: %d warnings that it is ignored, want 1", len(w))
	}
}

func TestKeyPolicy(t *testing.T) {
	s := synth(t, "default")
	stmts := statementsBySid(t, s.only(t, "AWS::KMS::Key")["KeyPolicy"])
	viaSNS := map[string]any{"StringEquals": map[string]any{"kms:ViaService": map[string]any{
		"Fn::Join": []any{"", []any{"sns.", map[string]any{"Ref": "AWS::Region"}, ".", map[string]any{"Ref": "AWS::URLSuffix"}}},
	}}}
	want := map[string]any{
		"CloudWatchAlarmsUseKeyForTopic": map[string]any{
			"Sid": "CloudWatchAlarmsUseKeyForTopic", "Effect": "Allow",
			"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
			"Action":    []any{"kms:GenerateDataKey", "kms:Decrypt"}, "Resource": "*",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}}},
		},
		"FunctionUsesKeyThroughSNS": map[string]any{
			"Sid": "FunctionUsesKeyThroughSNS", "Effect": "Allow",
			"Principal": map[string]any{"AWS": s.resolve(t, s.st.Role.RoleArn())},
			"Action":    []any{"kms:GenerateDataKey", "kms:Decrypt"}, "Resource": "*",
			"Condition": viaSNS,
		},
	}
	for sid, w := range want {
		if diff := cmp.Diff(w, stmts[sid]); diff != "" {
			t.Errorf("key policy statement %s (-want +got):\n%s", sid, diff)
		}
	}
}

func TestTopicPolicy(t *testing.T) {
	s := synth(t, "default")
	topic := s.resolve(t, s.st.Topic.TopicArn())
	p := s.only(t, "AWS::SNS::TopicPolicy")
	if !cmp.Equal(p["Topics"], []any{topic}) {
		t.Errorf("topic policy applies to %v", p["Topics"])
	}
	stmts := p["PolicyDocument"].(map[string]any)["Statement"].([]any)
	assertDeniesPlainHTTP(t, stmts, "sns:Publish", topic)
	cw := statementsBySid(t, p["PolicyDocument"])["CloudWatchAlarmsPublish"]
	want := map[string]any{
		"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow",
		"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
		"Action":    "sns:Publish", "Resource": topic,
		"Condition": map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}},
			"ArnLike": map[string]any{"aws:SourceArn": map[string]any{"Fn::Join": []any{"", []any{
				"arn:", map[string]any{"Ref": "AWS::Partition"}, ":cloudwatch:", map[string]any{"Ref": "AWS::Region"},
				":", map[string]any{"Ref": "AWS::AccountId"}, ":alarm:*",
			}}}},
		},
	}
	if diff := cmp.Diff(want, cw); diff != "" {
		t.Errorf("CloudWatch publish statement (-want +got):\n%s", diff)
	}
}

func TestStateBucket(t *testing.T) {
	s := synth(t, "default")
	has(t, s, "AWS::S3::Bucket", map[string]any{
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
			map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
		}},
		"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		"PublicAccessBlockConfiguration": map[string]any{
			"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
		},
		"LifecycleConfiguration": map[string]any{"Rules": []any{map[string]any{
			"Status":                      "Enabled",
			"NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": 30},
		}}},
	})
	for _, r := range s.resources("AWS::S3::Bucket") {
		if r["DeletionPolicy"] != "Retain" {
			t.Errorf("state bucket DeletionPolicy %v, want Retain", r["DeletionPolicy"])
		}
	}
	p := s.only(t, "AWS::S3::BucketPolicy")
	bucket := s.resolve(t, s.st.Bucket.BucketArn())
	assertDeniesPlainHTTP(t, p["PolicyDocument"].(map[string]any)["Statement"].([]any), "s3:*", bucket)
}

func TestFailureQueue(t *testing.T) {
	s := synth(t, "default")
	has(t, s, "AWS::SQS::Queue", map[string]any{"SqsManagedSseEnabled": true, "MessageRetentionPeriod": 14 * 24 * 3600})
	p := s.only(t, "AWS::SQS::QueuePolicy")
	assertDeniesPlainHTTP(t, p["PolicyDocument"].(map[string]any)["Statement"].([]any), "sqs:*", s.resolve(t, s.st.Queue.QueueArn()))
}

// assertDeniesPlainHTTP finds a statement denying action on resource to
// everyone when aws:SecureTransport is false.
func assertDeniesPlainHTTP(t *testing.T, stmts []any, action string, resource any) {
	t.Helper()
	for _, st := range stmts {
		st := st.(map[string]any)
		cond, _ := st["Condition"].(map[string]any)
		b, _ := cond["Bool"].(map[string]any)
		if st["Effect"] == "Deny" && st["Principal"] != nil && b["aws:SecureTransport"] == "false" &&
			slices.Contains(asList(st["Action"]), action) && slices.ContainsFunc(asAnyList(st["Resource"]), func(r any) bool { return cmp.Equal(r, resource) }) {
			if p, ok := st["Principal"].(map[string]any); ok && p["AWS"] != "*" {
				continue
			}
			return
		}
	}
	t.Errorf("no statement denies %s on %v without TLS; statements: %v", action, resource, stmts)
}

func TestAlarms(t *testing.T) {
	s := synth(t, "default")
	topic := s.resolve(t, s.st.Topic.TopicArn())
	fn := []any{map[string]any{"Name": "FunctionName", "Value": s.resolve(t, s.st.Function.FunctionName())}}
	queue := []any{map[string]any{"Name": "QueueName", "Value": s.resolve(t, s.st.Queue.QueueName())}}
	type alarm struct {
		Namespace, MetricName, Statistic string
		Threshold                        float64
		Dimensions                       any
		// Notifies: the alarm's own action notifies the topic; the
		// others' state is RunFailedAlarm's (TestRunFailedAlarm).
		Notifies bool
	}
	want := []alarm{
		{"AWS/Lambda", "Duration", "Maximum", 0.8 * DefaultTimeout.Seconds() * 1000, fn, true},
		{"AWS/Lambda", "Errors", "Sum", 1, fn, false},
		{"AWS/Lambda", "Throttles", "Sum", 1, fn, true},
		// Messages sent, not messages held: nothing reads the queue, so a
		// depth alarm would stay in ALARM after the first failure and
		// (CloudWatch notifying on changes of state only) say nothing of
		// the next ones for the queue's 14 days.
		{"AWS/SQS", "NumberOfMessagesSent", "Sum", 1, queue, false},
		{"credaudit", "FailuresTold", "Sum", 1, nil, false},
	}
	var got []alarm
	for id, r := range s.resources("AWS::CloudWatch::Alarm") {
		if strings.HasPrefix(id, "MissedRunAlarm") {
			continue // TestMissedRunAlarm
		}
		p := r["Properties"].(map[string]any)
		notifies := cmp.Equal(p["AlarmActions"], []any{topic})
		if !notifies && p["AlarmActions"] != nil {
			t.Errorf("alarm %s actions %v, want the topic or none", p["MetricName"], p["AlarmActions"])
		}
		if p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || p["EvaluationPeriods"] != 1.0 || p["Period"] != 300.0 || p["TreatMissingData"] != "notBreaching" {
			t.Errorf("alarm %s: %v %v periods of %v s, missing data %v", p["MetricName"], p["ComparisonOperator"], p["EvaluationPeriods"], p["Period"], p["TreatMissingData"])
		}
		got = append(got, alarm{p["Namespace"].(string), p["MetricName"].(string), p["Statistic"].(string), p["Threshold"].(float64), p["Dimensions"], notifies})
	}
	slices.SortFunc(got, func(a, b alarm) int { return strings.Compare(a.Namespace+a.MetricName, b.Namespace+b.MetricName) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alarms (-want +got):\n%s", diff)
	}
}

// missedRun returns the variant's missed-run alarm's properties, or nil.
func (s *synthesized) missedRun(t *testing.T) map[string]any {
	t.Helper()
	var found map[string]any
	for id, r := range s.resources("AWS::CloudWatch::Alarm") {
		if strings.HasPrefix(id, "MissedRunAlarm") {
			if found != nil {
				t.Fatal("two missed-run alarms")
			}
			found = r["Properties"].(map[string]any)
		}
	}
	return found
}

// missedRunWarnings returns synth's warnings that no alarm tells of
// missed runs.
func (s *synthesized) missedRunWarnings() []*cxapi.SynthesisMessage {
	return *assertions.Annotations_FromStack(s.stack).FindWarning(jsii.String("*"),
		assertions.Match_StringLikeRegexp(jsii.String("no alarm tells when runs stop")))
}

// checkMissedRun checks a missed-run alarm: it counts the runs started
// (metric, dimensions) over period seconds, and alarms on none, missing
// data included, telling the topic.
func checkMissedRun(t *testing.T, s *synthesized, topic any, namespace, metric string, dimensions any, period float64, says ...string) {
	t.Helper()
	p := s.missedRun(t)
	if p == nil {
		t.Fatalf("no missed-run alarm; warnings: %s", describe(s.missedRunWarnings()))
	}
	got := map[string]any{}
	for _, k := range []string{"Metrics", "MetricName", "Period", "EvaluationPeriods", "Threshold", "ComparisonOperator", "TreatMissingData", "AlarmActions"} {
		got[k] = p[k]
	}
	// On the runs started with each empty period filled as 0: CloudWatch
	// ignores TreatMissingData while its range holds a real point, which
	// the last run's period would be (missedRunAlarm).
	want := map[string]any{
		"Metrics": []any{
			map[string]any{"Id": "expr_1", "Expression": "FILL(started, 0)", "Label": "runs started", "ReturnData": true},
			map[string]any{"Id": "started", "ReturnData": false, "MetricStat": map[string]any{
				"Metric": map[string]any{"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
				"Period": period, "Stat": "Sum",
			}},
		},
		"MetricName": nil, "Period": nil, // not a single metric's alarm
		"EvaluationPeriods": 1.0, "Threshold": 1.0,
		"ComparisonOperator": "LessThanThreshold", "TreatMissingData": "breaching",
		"AlarmActions": []any{topic},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("missed-run alarm (-want +got):\n%s", diff)
	}
	desc, _ := p["AlarmDescription"].(string)
	for _, w := range says {
		if !strings.Contains(desc, w) {
			t.Errorf("missed-run alarm's description %q does not say %q", desc, w)
		}
	}
	if w := s.missedRunWarnings(); len(w) > 0 {
		t.Errorf("a missed-run alarm and a warning that there is none:%s", describe(w))
	}
}

// A schedule that stops starting runs (disabled, deleted, its role or
// target broken) fails nowhere: an alarm counts the invocations over the
// schedule's longest gap plus the latest a run can start (Scheduler's 1 h
// of retries, Lambda's 2 h queue) plus an hour for the metric, and alarms
// when there were none.
func TestMissedRunAlarm(t *testing.T) {
	for _, tc := range []struct {
		variant string
		hours   float64
		says    []string
	}{
		// Daily: 24 + 3 + 1.
		{"default", 28, []string{"no run has started in the last 1 day 4 hours", "cron(0 6 * * ? *) in timeZone=Etc/UTC leaves at most 1 day between runs"}},
		// Weekdays 07:30 Berlin: Friday to Monday is 73 hours across
		// the autumn clock change.
		{"custom", 77, []string{"in the last 3 days 5 hours", "at most 3 days 1 hour between runs"}},
		{"hub-off", 16, []string{"rate(12 hours) leaves at most 12 hours between runs"}},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			fn := []any{map[string]any{"Name": "FunctionName", "Value": s.resolve(t, s.st.Function.FunctionName())}}
			checkMissedRun(t, s, s.resolve(t, s.st.Topic.TopicArn()), "AWS/Lambda", "Invocations", fn, tc.hours*3600, tc.says...)
		})
	}
}

// The alarm's period: the gap, the lateness and an hour, in whole hours,
// up to CloudWatch's 7-day window, and no alarm beyond it or for a
// schedule without a gap.
func TestMissedRunPeriod(t *testing.T) {
	const h = time.Hour
	for _, tc := range []struct {
		schedule, zone string
		late           time.Duration
		want           time.Duration // 0: no alarm
	}{
		{"rate(1 minute)", "Etc/UTC", 3 * h, 5 * h},            // 1 min + 3 h + 1 h, rounded up
		{"rate(90 minutes)", "Etc/UTC", h, 4 * h},              // 1.5 + 1 + 1 → 4
		{"cron(30 2 * * ? *)", "Europe/Berlin", 3 * h, 51 * h}, // 02:30 is skipped once a year: 47 hours
		{"rate(164 hours)", "Etc/UTC", 3 * h, 168 * h},         // exactly 7 days
		{"rate(165 hours)", "Etc/UTC", 3 * h, 0},
		{"rate(166 hours)", "Etc/UTC", h, 168 * h},    // the organisation's 1 h lateness
		{"cron(0 5 ? * MON *)", "Etc/UTC", h, 0},      // weekly
		{"cron(0 6 1 1 ? 2030)", "Etc/UTC", 3 * h, 0}, // runs once
	} {
		period, _, ok := missedRunPeriod(Settings{Schedule: tc.schedule, TimeZone: tc.zone}, tc.late)
		if !ok {
			period = 0
		}
		if period != tc.want {
			t.Errorf("%s in %s, %v late: period %v, want %v", tc.schedule, tc.zone, tc.late, period, tc.want)
		}
	}
}

// The dashboard graphs every run metric the function emits, in its
// namespace and with this account as the AccountId dimension.
func TestDashboard(t *testing.T) {
	s := synth(t, "default")
	body := s.only(t, "AWS::CloudWatch::Dashboard")["DashboardBody"].(map[string]any)
	// The body is Fn::Join of literal JSON and references; stand in for
	// the references to read it as JSON.
	var sb strings.Builder
	for _, part := range body["Fn::Join"].([]any)[1].([]any) {
		switch p := part.(type) {
		case string:
			sb.WriteString(p)
		case map[string]any:
			if cmp.Equal(p, map[string]any{"Ref": "AWS::AccountId"}) {
				sb.WriteString("ACCOUNT")
			} else {
				sb.WriteString("REF")
			}
		}
	}
	var dash struct {
		Widgets []struct {
			Properties struct {
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(sb.String()), &dash); err != nil {
		t.Fatalf("dashboard body: %v\n%s", err, sb.String())
	}
	seen := map[string]bool{}
	for _, w := range dash.Widgets {
		for _, m := range w.Properties.Metrics {
			if len(m) >= 4 && m[0] == MetricsNamespace && m[2] == "AccountId" && m[3] == "ACCOUNT" {
				seen[m[1].(string)] = true
			}
		}
	}
	want := append([]string{"UsersAudited", "Failing", "New", "Changed", "Resolved", "Imported",
		"PublishFailed", "NotAvailable", "ReportAgeSeconds", "DurationMs"}, SeverityMetrics...)
	for _, m := range want {
		if !seen[m] {
			t.Errorf("dashboard lacks %s/%s{AccountId}", MetricsNamespace, m)
		}
	}
}

func statementsBySid(t *testing.T, doc any) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, st := range doc.(map[string]any)["Statement"].([]any) {
		if sid, ok := st.(map[string]any)["Sid"].(string); ok {
			out[sid] = st
		}
	}
	return out
}

// asList reads an IAM Action (a string or a list of strings).
func asList(v any) []string {
	var out []string
	for _, x := range asAnyList(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func asAnyList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// A run's failure is one e-mail: RunFailedAlarm notifies the topic when the
// function's errors or the failure queue's alarm is in alarm, held back
// while the function logs that its alert told the topic why
// (LogFailureTold, counted by a metric filter on its own log group); the
// alarms it stands for notify nothing themselves, and every alarm that
// notifies nothing is one of them or the suppressor. In the organisation
// stack the failures are the run's, the orchestrator's and the queue's,
// and the told lines the orchestrator's.
func TestRunFailedAlarm(t *testing.T) {
	for _, tt := range []struct {
		variant string
		failed  []string // the metrics of the alarms RunFailedAlarm stands for
	}{
		{"default", []string{"Errors", "NumberOfMessagesSent"}},
		{"org", []string{"Errors", "ExecutionsFailed", "NumberOfMessagesSent"}},
	} {
		t.Run(tt.variant, func(t *testing.T) {
			s := synth(t, tt.variant)
			var alerts awslogs.LogGroup // the function's that alerts
			if s.st != nil {
				alerts = s.st.LogGroup
			} else {
				alerts = s.org.Orchestrator.LogGroup
			}
			topic, logGroup := s.resolve(t, s.base().Topic.TopicArn()), s.resolve(t, alerts.LogGroupName())
			p := s.only(t, "AWS::CloudWatch::CompositeAlarm")
			if !cmp.Equal(p["AlarmActions"], []any{topic}) {
				t.Errorf("actions %v, want the topic", p["AlarmActions"])
			}
			if p["ActionsSuppressorWaitPeriod"] != 300.0 || p["ActionsSuppressorExtensionPeriod"] != 900.0 {
				t.Errorf("held back %v s waiting and %v s after, want 300 and 900", p["ActionsSuppressorWaitPeriod"], p["ActionsSuppressorExtensionPeriod"])
			}
			// The rule as text, each alarm's ARN written as its logical ID.
			var rule strings.Builder
			for _, part := range p["AlarmRule"].(map[string]any)["Fn::Join"].([]any)[1].([]any) {
				if str, ok := part.(string); ok {
					rule.WriteString(str)
					continue
				}
				rule.WriteString(part.(map[string]any)["Fn::GetAtt"].([]any)[0].(string))
			}
			inRule := map[string]bool{}
			for _, m := range regexp.MustCompile(`ALARM\("(\w+)"\)`).FindAllStringSubmatch(rule.String(), -1) {
				inRule[m[1]] = true
			}
			if !regexp.MustCompile(`^\(ALARM\("\w+"\)( OR ALARM\("\w+"\))*\)$`).MatchString(rule.String()) {
				t.Errorf("rule %s, want (ALARM(…) OR …)", rule.String())
			}
			suppressor := p["ActionsSuppressor"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
			var failed []string
			for id, r := range s.resources("AWS::CloudWatch::Alarm") {
				a := r["Properties"].(map[string]any)
				switch {
				case id == suppressor:
					d := a["Dimensions"]
					if a["Namespace"] != MetricsNamespace || a["MetricName"] != "FailuresTold" || d != nil || a["AlarmActions"] != nil {
						t.Errorf("the suppressor is %v %v %v, actions %v; want credaudit's FailuresTold, no dimension, no action", a["Namespace"], a["MetricName"], d, a["AlarmActions"])
					}
				case inRule[id]:
					failed = append(failed, a["MetricName"].(string))
					if a["AlarmActions"] != nil {
						t.Errorf("%s notifies %v itself too", id, a["AlarmActions"])
					}
				case a["AlarmActions"] == nil:
					t.Errorf("%s (%v) notifies nothing, and RunFailedAlarm does not stand for it", id, a["MetricName"])
				}
			}
			slices.Sort(failed)
			if !slices.Equal(failed, tt.failed) {
				t.Errorf("RunFailedAlarm stands for the alarms on %v, want %v", failed, tt.failed)
			}
			var counted bool
			for _, r := range s.resources("AWS::Logs::MetricFilter") {
				f := r["Properties"].(map[string]any)
				if f["MetricTransformations"].([]any)[0].(map[string]any)["MetricName"] == "FailuresTold" {
					counted = true
					if !cmp.Equal(f["LogGroupName"], logGroup) {
						t.Errorf("FailuresTold counts the lines of %v, want %v, the function that alerts", f["LogGroupName"], logGroup)
					}
				}
			}
			if !counted {
				t.Error("no metric filter counts FailuresTold")
			}
		})
	}
}

// CloudFormation refuses an alarm description over 1,024 characters, at
// deploy: every alarm's, composite ones' too, fits in every variant, with a
// value known only at deploy time counted at 256.
func TestAlarmDescriptionsFitCloudWatch(t *testing.T) {
	const limit, token = 1024, 256
	var length func(v any) (int, bool)
	length = func(v any) (int, bool) {
		switch v := v.(type) {
		case string:
			return utf8.RuneCountInString(v), true
		case map[string]any:
			if parts, ok := v["Fn::Join"].([]any); ok && len(parts) == 2 {
				n := 0
				for _, p := range parts[1].([]any) {
					m, ok := length(p)
					if !ok {
						return 0, false
					}
					n += m
				}
				return n, true
			}
			return token, true // a Ref or Fn::GetAtt
		}
		return 0, false
	}
	checked := 0
	for _, v := range allVariants() {
		s := synth(t, v)
		for _, typ := range []string{"AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"} {
			for id, r := range s.resources(typ) {
				d, ok := r["Properties"].(map[string]any)["AlarmDescription"]
				if !ok {
					t.Errorf("%s: %s has no description", v, id)
					continue
				}
				n, ok := length(d)
				if !ok || n > limit {
					t.Errorf("%s: %s's description is %d characters (%v), over CloudWatch's %d", v, id, n, ok, limit)
				}
				checked++
			}
		}
	}
	if checked < 20 {
		t.Errorf("checked %d alarms", checked)
	}
}
