package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// base is what the single-account stack (stack.go) and the organisation
// stack (org.go) share: the stack and its settings, the digest topic and
// its key, the state bucket, the failure queue, and the builders of
// functions, permission statements, schedules and alarms. Construct IDs
// are the single-account stack's, so its deployed resources keep their
// logical IDs.
type base struct {
	Stack  awscdk.Stack
	Key    awskms.Key
	Topic  awssns.Topic
	Bucket awss3.Bucket
	Queue  awssqs.Queue
	// ScheduleRole and Schedule start each run (addSchedule).
	ScheduleRole awsiam.Role
	Schedule     awsscheduler.CfnSchedule
	// HomeRegion is the Security Hub home region: the setting, else the
	// stack's own region.
	HomeRegion *string
	Settings   Settings
}

// newBase creates the stack with the topic, bucket and queue.
func newBase(scope constructs.Construct, s Settings, description string) base {
	b := base{
		Stack:    awscdk.NewStack(scope, jsii.String(s.StackName), &awscdk.StackProps{Description: jsii.String(description)}),
		Settings: s,
	}
	// Feature flags are context: set here, before any construct reads
	// them, they hold however the app is run (cdk.json or tests). Without
	// this one a Distributed Map ignores its ResultWriterV2.
	b.Stack.Node().SetContext(jsii.String("@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"), true)
	b.HomeRegion = awscdk.Aws_REGION()
	if s.HubRegion != "" {
		b.HomeRegion = jsii.String(s.HubRegion)
	}
	for _, msg := range s.Ignored {
		awscdk.Annotations_Of(b.Stack).AddWarningV2(jsii.String("credaudit:ignoredContextKey"), jsii.String(msg))
	}
	b.checkHubPartition()
	b.addTopic()
	b.addBucket()
	b.addQueue()
	return b
}

// checkHubPartition fails synth (an error annotation, which cdk synth and
// cdk deploy stop at) when the Security Hub home region is outside the
// stack's partition: the function imports only into its own partition and
// refuses such a region at every cold start. It can tell only when the
// stack's region is known at synth, from an explicit environment (a Stage
// or an app that sets one); the stacks NewApp adds are
// environment-agnostic, their region a deploy-time token, and there the
// function's check is the only one.
func (b *base) checkHubPartition() {
	region, hub := b.Stack.Region(), b.Settings.HubRegion
	if hub == "" || *awscdk.Token_IsUnresolved(region) {
		return
	}
	if got, want := partition(hub), partition(*region); got != want {
		awscdk.Annotations_Of(b.Stack).AddError(jsii.String(fmt.Sprintf(
			"context %s=%s: in partition %s, not the stack's (%s, region %s): the function can import findings only into its own partition",
			KeySecurityHubRegion, hub, got, want, *region)))
	}
}

// partitions maps region prefixes to the partitions outside the commercial
// one, longest prefix first where one extends another. It is the
// function's table (lambda/internal/awsname, which infra cannot import),
// kept equal by TestPartitionsAreTheFunctions.
var partitions = []struct{ prefix, partition string }{
	{"us-gov-", "aws-us-gov"},
	{"cn-", "aws-cn"},
	{"us-isob-", "aws-iso-b"},
	{"us-isof-", "aws-iso-f"},
	{"us-iso-", "aws-iso"},
	{"eu-isoe-", "aws-iso-e"},
	{"eusc-", "aws-eusc"},
}

// partition returns the partition region is in: aws-us-gov for
// us-gov-west-1, aws-cn for cn-north-1, aws for eu-west-1 and any region
// partitions does not name.
func partition(region string) string {
	for _, p := range partitions {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// addTopic creates the digest and alarm topic, encrypted with a
// customer-managed key: the AWS managed alias/aws/sns key cannot be used by
// CloudWatch alarms, and its policy cannot be edited.
func (b *base) addTopic() {
	b.Key = awskms.NewKey(b.Stack, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("credaudit: encrypts the digest and alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
		PendingWindow:     awscdk.Duration_Days(jsii.Number(30)),
	})
	// CloudWatch alarms publish to the encrypted topic as the service: SNS
	// asks KMS for a data key on its behalf, so the key policy must let it.
	b.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsUseKeyForTopic"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
	}), jsii.Bool(false))

	b.Topic = awssns.NewTopic(b.Stack, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("credaudit"),
		MasterKey:   b.Key,
		EnforceSSL:  jsii.Bool(true), // deny Publish without TLS
	})
	for _, e := range b.Settings.Emails {
		b.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}
	if len(b.Settings.Emails) == 0 {
		// Not an error: a team may subscribe a chat integration or a
		// queue itself. But deployed as it stands, nobody hears anything.
		awscdk.Annotations_Of(b.Stack).AddWarningV2(jsii.String("credaudit:noSubscribers"), jsii.String(
			"context "+KeyEmails+" is empty: the digest, the alerts and the alarms go to the topic (output TopicArn) "+
				"with no subscriber; set "+KeyEmails+", or subscribe to the topic yourself"))
	}
	// The topic's policy replaces SNS's default one, so CloudWatch alarms
	// of this account need an explicit Publish grant.
	b.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{b.Topic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
			"ArnLike":      map[string]any{"aws:SourceArn": arn("cloudwatch", awscdk.Aws_REGION(), "alarm:*")},
		},
	}))
}

// addBucket creates the state bucket: small gzipped objects (one state per
// audited account; in the organisation stack also each run's account list
// and results), versioned so an overwritten state can be recovered for a
// month.
func (b *base) addBucket() {
	b.Bucket = awss3.NewBucket(b.Stack, jsii.String("StateBucket"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BucketKeyEnabled:  jsii.Bool(false),
		Versioned:         jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-old-state-versions"),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(30)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
	})
	b.suppress(b.Bucket, "AwsSolutions-S1",
		"The bucket holds only the stack's own state objects, written and read by the stack's own roles; "+
			"server access logs would need a second bucket that itself fails S1. Use CloudTrail S3 data events for an audit trail of object access.")
}

// addQueue creates the failure queue: the schedule's dead-letter queue for
// runs Scheduler could not start (and, in the single-account stack,
// Lambda's on-failure destination for runs that failed after their
// retries).
func (b *base) addQueue() {
	b.Queue = awssqs.NewQueue(b.Stack, jsii.String("FailureQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	b.suppress(b.Queue, "AwsSolutions-SQS3",
		"This queue is itself the failure destination (Scheduler's dead-letter queue, and Lambda's on-failure destination where there is one); "+
			"its alarm reports each message sent to it, and nothing consumes it, so a further DLQ would never receive anything.")
}

// function is one Lambda function of the shared asset with its log group
// and its own role.
type function struct {
	LogGroup awslogs.LogGroup
	Role     awsiam.Role
	Function awslambda.Function
}

// newFunction creates a function running the asset's bootstrap, with a log
// group of its own and a role holding exactly statements. Construct IDs
// are prefix + LogGroup, FunctionRole and Function.
func (b *base) newFunction(prefix, description, roleDescription string, env map[string]*string, statements func(logGroup awslogs.LogGroup) []awsiam.PolicyStatement) function {
	s := b.Settings
	var f function
	f.LogGroup = awslogs.NewLogGroup(b.Stack, jsii.String(prefix+"LogGroup"), &awslogs.LogGroupProps{
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	b.setRetention(f.LogGroup)

	f.Role = awsiam.NewRole(b.Stack, jsii.String(prefix+"FunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(roleDescription),
	})
	for _, p := range statements(f.LogGroup) {
		f.Role.AddToPrincipalPolicy(p)
	}

	f.Function = awslambda.NewFunction(b.Stack, jsii.String(prefix+"Function"), &awslambda.FunctionProps{
		Description:  jsii.String(description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		// OS-only runtimes run the zip's `bootstrap`; Handler is required
		// but ignored.
		Handler:    jsii.String("bootstrap"),
		Code:       awslambda.Code_FromAsset(jsii.String(s.Asset), nil),
		MemorySize: jsii.Number(float64(s.MemoryMiB)),
		Timeout:    awscdk.Duration_Seconds(jsii.Number(s.Timeout.Seconds())),
		Role:       f.Role,
		LogGroup:   f.LogGroup,
		// JSON lets Lambda filter by level; the handler's slog logger
		// reads AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL.
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel(s.LogLevel),
		// INFO: Lambda writes its START and REPORT lines (duration, max
		// memory used, init duration) only at INFO, three lines a run.
		SystemLogLevelV2: awslambda.SystemLogLevel_INFO,
		Environment:      &env,
		// No reserved concurrency: reserving even 1 fails to deploy on new
		// accounts (quota 10), and overlapping runs save one state between
		// them (a conditional put).
	})
	return f
}

// setRetention sets the validated retention on lg: the L2 construct takes
// an enum, so the number goes on the L1 resource.
func (b *base) setRetention(lg awslogs.LogGroup) {
	lg.Node().DefaultChild().(awslogs.CfnLogGroup).SetRetentionInDays(jsii.Number(float64(b.Settings.LogRetentionDays)))
}

// functionEnv is the environment every function reads (the handler's
// settings), plus extra.
func (b *base) functionEnv(extra map[string]*string) map[string]*string {
	return environment(b.Settings, b.Bucket.BucketName(), b.Topic.TopicArn(), b.HomeRegion, extra)
}

// environment is functionEnv with the values known only at deploy time
// given: the state bucket's name, the topic's ARN, the home region.
func environment(s Settings, bucket, topic, homeRegion *string, extra map[string]*string) map[string]*string {
	env := map[string]*string{
		"CREDAUDIT_STATE_BUCKET":        bucket,
		"CREDAUDIT_TOPIC_ARN":           topic,
		"CREDAUDIT_SECURITY_HUB":        jsii.String(onOff(s.SecurityHub)),
		"CREDAUDIT_SECURITY_HUB_REGION": homeRegion,
		"CREDAUDIT_PROFILE":             jsii.String(s.Profile),
		"CREDAUDIT_CONFIG":              jsii.String(s.Config),
		"CREDAUDIT_NOTIFY":              jsii.String(s.Notify),
		"CREDAUDIT_REFRESH_DAYS":        jsii.String(fmt.Sprint(s.RefreshDays)),
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// stmt is an Allow statement with a Sid, so tests and reviewers can name it.
func stmt(sid string, actions []string, resources []*string, cond map[string]any) awsiam.PolicyStatement {
	p := &awsiam.PolicyStatementProps{Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: &resources}
	if cond != nil {
		p.Conditions = &cond
	}
	return awsiam.NewPolicyStatement(p)
}

// viaSNS limits a KMS grant to requests SNS makes in this region.
func viaSNS() map[string]any {
	return map[string]any{"StringEquals": map[string]any{
		"kms:ViaService": jsii.String(fmt.Sprintf("sns.%s.%s", *awscdk.Aws_REGION(), *awscdk.Aws_URL_SUFFIX())),
	}}
}

// writeLogs lets a function write to its own log group (the roles have no
// managed policy, so no logs:CreateLogGroup anywhere).
func writeLogs(lg awslogs.LogGroup) awsiam.PolicyStatement {
	return stmt("WriteLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, []*string{lg.LogGroupArn()}, nil)
}

// publishStatements let a function publish to the encrypted topic: SNS
// generates and decrypts data keys with the publisher's credentials, and
// only through SNS.
func (b *base) publishStatements() []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		stmt("PublishDigest", []string{"sns:Publish"}, []*string{b.Topic.TopicArn()}, nil),
		stmt("EncryptForTopic", []string{"kms:GenerateDataKey", "kms:Decrypt"}, []*string{b.Key.KeyArn()}, viaSNS()),
	}
}

// keyForPublishers names the publishing roles in the key policy too, so
// their grant survives a key policy that no longer delegates to IAM. One
// statement for all of them: a key policy's Sids are unique.
func (b *base) keyForPublishers(roles ...awsiam.IRole) {
	var principals []awsiam.IPrincipal
	for _, r := range roles {
		principals = append(principals, awsiam.NewArnPrincipal(r.RoleArn()))
	}
	cond := viaSNS()
	b.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("FunctionUsesKeyThroughSNS"),
		Principals: &principals,
		Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &cond,
	}), jsii.Bool(false))
}

// objects is the ARN pattern of the state bucket's objects under prefix.
func (b *base) objects(prefix string) *string { return b.object(prefix + "*") }

// objectsFinding is how cdk-nag names objects(prefix) in a wildcard finding.
func (b *base) objectsFinding(prefix string) string { return b.objectFinding(prefix + "*") }

// object is the ARN of the bucket's objects that key (which may hold a *)
// matches.
func (b *base) object(key string) *string {
	return jsii.String(*b.Bucket.BucketArn() + "/" + key)
}

// objectFinding is how cdk-nag names object(key) in a wildcard finding.
func (b *base) objectFinding(key string) string {
	return fmt.Sprintf("Resource::<%s.Arn>/%s", b.logicalID(b.Bucket), key)
}

// stateStatements let a function read and write the accounts' state.
func (b *base) stateStatements() []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		stmt("ReadWriteState", []string{"s3:GetObject", "s3:PutObject"}, []*string{b.objects(StatePrefix)}, nil),
		// s3:ListBucket is here so that reading a state object that does
		// not exist yet (an account's first run) answers 404 NoSuchKey,
		// which the function treats as "no previous state", instead of
		// 403 AccessDenied, which S3 returns to callers that may not list
		// the bucket. Without a condition: S3's documentation says only
		// "s3:ListBucket permission on the bucket", not whether a grant
		// conditioned on s3:prefix counts for that check (whether S3 puts
		// the key there), and if it did not, an account's first run would
		// fail with AccessDenied for good. The bucket holds only this
		// stack's own state and run files, which the function reads and
		// writes anyway.
		stmt("ListState", []string{"s3:ListBucket"}, []*string{b.Bucket.BucketArn()}, nil),
	}
}

// configStatements let a function read the configuration file, when
// there is one: exactly that object or parameter.
func (b *base) configStatements() []awsiam.PolicyStatement {
	kind, x, y, _ := ParseConfig(b.Settings.Config) // validated in LoadSettings
	switch kind {
	case "s3":
		return []awsiam.PolicyStatement{stmt("ReadConfig", []string{"s3:GetObject"},
			[]*string{jsii.String(fmt.Sprintf("arn:%s:s3:::%s/%s", *awscdk.Aws_PARTITION(), x, y))}, nil)}
	case "ssm":
		return []awsiam.PolicyStatement{stmt("ReadConfig", []string{"ssm:GetParameter"},
			[]*string{arn("ssm", awscdk.Aws_REGION(), "parameter/"+strings.TrimPrefix(x, "/"))}, nil)}
	}
	return nil
}

// addSchedule creates the EventBridge Scheduler schedule that starts a
// run: the L1 construct with a role of its own that may do exactly
// action on target and dead-letter to the failure queue (the L2 target
// grants more, such as a function's versions and aliases).
func (b *base) addSchedule(target *string, action, roleDescription string) {
	s := b.Settings
	role := awsiam.NewRole(b.Stack, jsii.String("ScheduleRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
		}),
		Description: jsii.String(roleDescription),
	})
	sid := action[strings.Index(action, ":")+1:] // lambda:InvokeFunction → InvokeFunction
	role.AddToPrincipalPolicy(stmt(sid, []string{action}, []*string{target}, nil))
	role.AddToPrincipalPolicy(stmt("DeadLetter", []string{"sqs:SendMessage"}, []*string{b.Queue.QueueArn()}, nil))
	schedule := awsscheduler.NewCfnSchedule(b.Stack, jsii.String("Schedule"), &awsscheduler.CfnScheduleProps{
		Description:                jsii.String("credaudit: run the audit"),
		ScheduleExpression:         jsii.String(s.Schedule),
		ScheduleExpressionTimezone: jsii.String(s.TimeZone),
		FlexibleTimeWindow:         &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		State:                      jsii.String("ENABLED"),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     target,
			RoleArn: role.RoleArn(),
			Input:   jsii.String(ScheduleInput),
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
				MaximumEventAgeInSeconds: jsii.Number(scheduleMaxAgeS),
				MaximumRetryAttempts:     jsii.Number(scheduleRetries),
			},
			DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: b.Queue.QueueArn()},
		},
	})
	// The role must exist with its policy before Scheduler validates it.
	schedule.Node().AddDependency(role)
	b.ScheduleRole, b.Schedule = role, schedule
}

// alarm creates an alarm on m at or above threshold in one 5-minute (or
// the metric's) period that notifies the topic.
func (b *base) alarm(id, what string, m awscloudwatch.IMetric, threshold float64) {
	b.silentAlarm(id, what, m, threshold).AddAlarmAction(awscloudwatchactions.NewSnsAction(b.Topic))
}

// silentAlarm is alarm without the action: a composite alarm (failedAlarm)
// notifies for it.
func (b *base) silentAlarm(id, what string, m awscloudwatch.IMetric, threshold float64) awscloudwatch.Alarm {
	return awscloudwatch.NewAlarm(b.Stack, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String("credaudit: " + what),
		Metric:             m,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
}

// lineCount is a metric filter (<metric>Filter) counting the lines of
// logGroup whose message is message, as metric in MetricsNamespace without
// a dimension. The functions' JSON log lines name their message "message".
func (b *base) lineCount(logGroup awslogs.LogGroup, message, metric string) awscloudwatch.Metric {
	return awslogs.NewMetricFilter(b.Stack, jsii.String(metric+"Filter"), &awslogs.MetricFilterProps{
		LogGroup:        logGroup,
		FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$.message"), jsii.String("="), jsii.String(message)),
		MetricNamespace: jsii.String(MetricsNamespace),
		MetricName:      jsii.String(metric),
		MetricValue:     jsii.String("1"),
	}).Metric(sum())
}

// LogFailureTold is the message of the line a function logs when the
// topic got word of why its run failed: the run's operational alert, or
// its digest naming the Security Hub errors that alone failed it
// (lambda/audit's LogFailureTold, which the contract test holds it to).
const LogFailureTold = "failure told"

// FailuresToldMetric counts LogFailureTold lines (namespace
// MetricsNamespace, no dimension).
const FailuresToldMetric = "FailuresTold"

// How long the run-failed alarm (failedAlarm) waits for a told line to
// come, and holds back after it: a told line's metric and the function's
// Errors reach CloudWatch within a minute or two of each other, and the
// failure queue's metric may come minutes later.
const (
	toldWait      = 5 * time.Minute
	toldExtension = 15 * time.Minute
)

// failedAlarm notifies the topic that a run failed when any of failed is
// in alarm, unless logGroup's function logged LogFailureTold meanwhile:
// the run's own alert, or its digest, has then said what failed and what
// to check, and the alarms would only repeat it (one failure was three
// e-mails: the alert, the function's errors and the failure queue). The
// told lines' alarm (FailureToldAlarm, no action of its own) suppresses
// the composite's action for toldWait after it goes into alarm, and
// toldExtension after it leaves it. A failure the run could not tell (a
// timeout, a crash, an alert or digest that could not be sent, a state
// save that failed, an event that never reached the function) is one
// e-mail: this alarm's, which names the alarms that fired.
func (b *base) failedAlarm(what string, logGroup awslogs.LogGroup, failed ...awscloudwatch.IAlarm) {
	told := b.silentAlarm("FailureToldAlarm", "the run reported its failure to the topic itself; while in alarm, it holds back RunFailedAlarm",
		b.lineCount(logGroup, LogFailureTold, FailuresToldMetric), 1)
	rule := make([]awscloudwatch.IAlarmRule, len(failed))
	for i, a := range failed {
		rule[i] = a
	}
	a := awscloudwatch.NewCompositeAlarm(b.Stack, jsii.String("RunFailedAlarm"), &awscloudwatch.CompositeAlarmProps{
		AlarmDescription:                 jsii.String("credaudit: " + what),
		AlarmRule:                        awscloudwatch.AlarmRule_AnyOf(rule...),
		ActionsSuppressor:                told,
		ActionsSuppressorWaitPeriod:      awscdk.Duration_Seconds(jsii.Number(toldWait.Seconds())),
		ActionsSuppressorExtensionPeriod: awscdk.Duration_Seconds(jsii.Number(toldExtension.Seconds())),
	})
	a.AddAlarmAction(awscloudwatchactions.NewSnsAction(b.Topic))
}

// durationAlarm warns when an invocation of fn took durationAlarmShare of
// the timeout or more: what took so long, and what would then fail
// (plural), name it in the description.
func (b *base) durationAlarm(id, what, plural string, fn awslambda.Function) {
	timeout := b.Settings.Timeout.Seconds()
	b.alarm(id, fmt.Sprintf("%s took %.0f%% or more of its %.0f s timeout; raise timeoutSeconds before %s start timing out",
		what, durationAlarmShare*100, timeout, plural), fn.MetricDuration(maximum()), durationAlarmShare*timeout*1000)
}

// sum and maximum are 5-minute metric options.
func sum() *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
}

func maximum() *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum")}
}

// missedRunWindowMax is the longest an alarm's evaluation may cover
// (PutMetricAlarm: Period × EvaluationPeriods at most 604,800 s, one day
// for periods under an hour).
const missedRunWindowMax = 7 * day

// missedRunPeriod is the period of the alarm that no run has started: the
// schedule's longest gap between two runs, plus late (the most a run can
// start after its scheduled time, its delivery retried), plus an hour for
// the metric to reach CloudWatch, in whole hours. A period that long holds
// a run while the schedule works, however CloudWatch places it. gap is
// the schedule's longest gap; ok is false when the schedule has none (it
// runs fewer than twice) or the period exceeds CloudWatch's window.
func missedRunPeriod(s Settings, late time.Duration) (period, gap time.Duration, ok bool) {
	zone, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return 0, 0, false // refused in LoadSettings
	}
	gap, runs, err := LongestGap(s.Schedule, zone)
	if err != nil || !runs {
		return 0, gap, false
	}
	period = (gap + late + time.Hour + time.Hour - 1).Truncate(time.Hour)
	return period, gap, period <= missedRunWindowMax
}

// missedRunAlarm reports that no run has started for longer than the
// schedule allows: the schedule disabled or deleted, its year range ended,
// its target or role broken. Such a run fails nowhere, so no other alarm
// tells, and no digest is no news. started is the count of runs started
// (Sum) over a period; late is how long after its time a run can start.
// Where the schedule's gap is too long for an alarm (weekly runs and
// longer), synth warns instead.
//
// The alarm is on FILL(started, 0), not on started: a period without a
// run has no data point, and CloudWatch, which reads an alarm's metric
// over a range of several periods, judges on the latest real points and
// ignores TreatMissingData when the range holds at least EvaluationPeriods
// of them ("Configuring how CloudWatch alarms treat missing data"). The
// run of the period before would keep the alarm OK for days after runs
// stopped; filled, the empty period is a 0, which breaches. With no run at
// all in the range (a new stack) there is nothing to fill, and missing
// data breaches.
func (b *base) missedRunAlarm(started func(*awscloudwatch.MetricOptions) awscloudwatch.Metric, late time.Duration, what string) {
	s := b.Settings
	of := s.scheduleSetting()
	period, gap, ok := missedRunPeriod(s, late)
	if !ok {
		if gap > 0 {
			awscdk.Annotations_Of(b.Stack).AddWarningV2(jsii.String("credaudit:noMissedRunAlarm"), jsii.String(fmt.Sprintf(
				"no alarm tells when runs stop: the longest gap between runs of %s, %s, plus up to %s of a late start "+
					"and 1 hour for the metric, is longer than a CloudWatch alarm can look back (7 days); "+
					"leave at most %s between runs to have one",
				of, spellDuration(gap), spellDuration(late), spellDuration(missedRunWindowMax-late-time.Hour))))
		}
		return
	}
	a := awscloudwatch.NewAlarm(b.Stack, jsii.String("MissedRunAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(fmt.Sprintf("credaudit: no %s in the last %s, though %s leaves at most %s between runs: "+
			"the schedule may be disabled or deleted, or unable to start a run (see the failure queue); "+
			"no run means no digest and no findings. Expected after a first deploy, until the first run",
			what, spellDuration(period), of, spellDuration(gap))),
		Metric: awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String("FILL(started, 0)"),
			// The expression's period is its metrics' too.
			UsingMetrics: &map[string]awscloudwatch.IMetric{"started": started(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum")})},
			Period:       awscdk.Duration_Seconds(jsii.Number(period.Seconds())),
			Label:        jsii.String("runs started"),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
	})
	a.AddAlarmAction(awscloudwatchactions.NewSnsAction(b.Topic))
}

// queueAlarm is the alarm on each message sent to the failure queue,
// without an action (failedAlarm notifies for it): it counts
// sends (NumberOfMessagesSent), not the messages held. Nothing reads the
// queue, so a depth alarm would stay in ALARM from the first failure for
// the queue's 14-day retention, and CloudWatch, which notifies on a change
// of state only, would report none of the failures after it; this alarm
// returns to OK after a 5-minute period without sends (missing data is not
// breaching), so each later failure notifies again.
//
// SQS documents that the metric counts messages sent to a dead-letter
// queue with SendMessage and not those its redrive moves there from a
// source queue; this queue has no source queue. That Lambda's on-failure
// destination and Scheduler's dead-letter queue deliver with SendMessage
// is inferred, not documented: both need sqs:SendMessage in the sender's
// role (SendToFailureQueue, DeadLetter).
func (b *base) queueAlarm(what string) awscloudwatch.Alarm {
	return b.silentAlarm("FailureQueueAlarm", what, b.Queue.MetricNumberOfMessagesSent(sum()), 1)
}

// outputValue is a stack output's name and value.
type outputValue struct {
	name  string
	value *string
}

// outputs adds the stack's outputs.
func (b *base) outputs(list ...outputValue) {
	for _, o := range list {
		awscdk.NewCfnOutput(b.Stack, jsii.String(o.name), &awscdk.CfnOutputProps{Value: o.value})
	}
}

// onOff is the CREDAUDIT_SECURITY_HUB value for b.
func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// arn builds arn:<partition>:<service>:<region>:<account>:<resource> for
// the deployment's partition and account.
func arn(service string, region *string, resource string) *string {
	return jsii.String(fmt.Sprintf("arn:%s:%s:%s:%s:%s", *awscdk.Aws_PARTITION(), service, *region, *awscdk.Aws_ACCOUNT_ID(), resource))
}

// logicalID is the CloudFormation logical ID of c's default resource, as
// cdk-nag names it in a finding's "appliesTo".
func (b *base) logicalID(c constructs.IConstruct) string {
	return *b.Stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

// suppress records a cdk-nag suppression, with its reason, on c and its
// children.
func (b *base) suppress(c constructs.IConstruct, rule, reason string) {
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String(rule), Reason: jsii.String(reason),
	}}, jsii.Bool(true))
}

// suppressWildcards suppresses AwsSolutions-IAM5 on c for exactly the
// listed wildcard findings ("appliesTo", reason pairs).
func (b *base) suppressWildcards(c constructs.IConstruct, findingReason ...string) {
	var list []*cdknag.NagPackSuppression
	for i := 0; i+1 < len(findingReason); i += 2 {
		list = append(list, &cdknag.NagPackSuppression{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String(findingReason[i+1]),
			AppliesTo: &[]any{jsii.String(findingReason[i])},
		})
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &list, jsii.Bool(true))
}
