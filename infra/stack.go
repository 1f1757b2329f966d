package main

import (
	"fmt"
	"strings"

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

// StatePrefix is where the function keeps each account's state
// (state/<account-id>.json.gz); its S3 permissions stop at this prefix.
const StatePrefix = "state/"

// ScheduleInput is the payload EventBridge Scheduler hands the function:
// a source tag and the schedule's context attributes, which Scheduler
// substitutes at each invocation (events/scheduler.json is a filled-in
// example, and the handler accepts exactly these keys).
const ScheduleInput = `{"source":"credaudit.schedule",` +
	`"scheduledTime":"<aws.scheduler.scheduled-time>",` +
	`"executionId":"<aws.scheduler.execution-id>",` +
	`"attemptNumber":"<aws.scheduler.attempt-number>",` +
	`"scheduleArn":"<aws.scheduler.schedule-arn>"}`

// Async invocation and schedule delivery limits. A run is idempotent (the
// state is written with a conditional put), so a retry or an overlapping run
// is harmless; failures that survive the retries land in the failure queue,
// whose alarm tells the topic.
const (
	asyncRetries      = 2 // Lambda's maximum: after 1 and 2 minutes
	asyncMaxEventAgeH = 2 // covers two retries of a 15-minute run
	scheduleMaxAgeS   = 3600
	scheduleRetries   = 10
	// durationAlarmShare of the timeout is "near the timeout".
	durationAlarmShare = 0.8
)

// Stack holds the constructs tests and outputs refer to.
type Stack struct {
	Stack        awscdk.Stack
	Key          awskms.Key
	Topic        awssns.Topic
	Bucket       awss3.Bucket
	Queue        awssqs.Queue
	LogGroup     awslogs.LogGroup
	Role         awsiam.Role
	Function     awslambda.Function
	ScheduleRole awsiam.Role
	Schedule     awsscheduler.CfnSchedule
	Dashboard    awscloudwatch.Dashboard
	HomeRegion   *string
	Settings     Settings
}

// NewStack builds the credaudit stack: the function and its schedule, the
// digest topic and its key, the state bucket, the failure queue, alarms and
// a dashboard. The stack is environment-agnostic (account and region come
// from the deployment), so `cdk synth` needs no AWS credentials.
func NewStack(scope constructs.Construct, s Settings) *Stack {
	st := &Stack{
		Stack: awscdk.NewStack(scope, jsii.String(s.StackName), &awscdk.StackProps{
			Description: jsii.String("credaudit: scheduled IAM credential report audit (Lambda, SNS digest, Security Hub findings)"),
		}),
		Settings: s,
	}
	st.HomeRegion = awscdk.Aws_REGION()
	if s.HubRegion != "" {
		st.HomeRegion = jsii.String(s.HubRegion)
	}
	st.addTopic()
	st.addBucket()
	st.addQueue()
	st.addFunction()
	st.addSchedule()
	st.addAlarms()
	st.addDashboard()

	for _, o := range []struct {
		name  string
		value *string
	}{
		{"FunctionName", st.Function.FunctionName()},
		{"TopicArn", st.Topic.TopicArn()},
		{"StateBucketName", st.Bucket.BucketName()},
		{"FailureQueueUrl", st.Queue.QueueUrl()},
		{"DashboardName", st.Dashboard.DashboardName()},
	} {
		awscdk.NewCfnOutput(st.Stack, jsii.String(o.name), &awscdk.CfnOutputProps{Value: o.value})
	}
	return st
}

// addTopic creates the digest and alarm topic, encrypted with a
// customer-managed key: the AWS managed alias/aws/sns key cannot be used by
// CloudWatch alarms, and its policy cannot be edited.
func (st *Stack) addTopic() {
	st.Key = awskms.NewKey(st.Stack, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("credaudit: encrypts the digest and alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
		PendingWindow:     awscdk.Duration_Days(jsii.Number(30)),
	})
	// CloudWatch alarms publish to the encrypted topic as the service: SNS
	// asks KMS for a data key on its behalf, so the key policy must let it.
	st.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsUseKeyForTopic"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
	}), jsii.Bool(false))

	st.Topic = awssns.NewTopic(st.Stack, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("credaudit"),
		MasterKey:   st.Key,
		EnforceSSL:  jsii.Bool(true), // deny Publish without TLS
	})
	for _, e := range st.Settings.Emails {
		st.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}
	// The topic's policy replaces SNS's default one, so CloudWatch alarms
	// of this account need an explicit Publish grant.
	st.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{st.Topic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
			"ArnLike":      map[string]any{"aws:SourceArn": arn("cloudwatch", awscdk.Aws_REGION(), "alarm:*")},
		},
	}))
}

// addBucket creates the state bucket: one small gzipped object per audited
// account, versioned so an overwritten state can be recovered for a month.
func (st *Stack) addBucket() {
	st.Bucket = awss3.NewBucket(st.Stack, jsii.String("StateBucket"), &awss3.BucketProps{
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
	st.suppress(st.Bucket, "AwsSolutions-S1",
		"The bucket holds only the function's own state objects, written and read by one role; "+
			"server access logs would need a second bucket that itself fails S1. Use CloudTrail S3 data events for an audit trail of object access.")
}

// addQueue creates the failure queue: Lambda's on-failure destination for
// runs that failed after their retries, and the schedule's dead-letter queue
// for invocations Scheduler could not deliver.
func (st *Stack) addQueue() {
	st.Queue = awssqs.NewQueue(st.Stack, jsii.String("FailureQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	st.suppress(st.Queue, "AwsSolutions-SQS3",
		"This queue is itself the failure destination (Lambda on-failure and Scheduler dead-letter queue); "+
			"its alarm reports any message, and nothing consumes it, so a further DLQ would never receive anything.")
}

// addFunction creates the function, its log group and its role with exactly
// the permissions a run needs.
func (st *Stack) addFunction() {
	s := st.Settings
	st.LogGroup = awslogs.NewLogGroup(st.Stack, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// The L2 construct takes an enum; set the validated number directly.
	st.LogGroup.Node().DefaultChild().(awslogs.CfnLogGroup).SetRetentionInDays(jsii.Number(float64(s.LogRetentionDays)))

	st.Role = awsiam.NewRole(st.Stack, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("credaudit function: read the credential report, publish findings and the digest, keep state"),
	})
	for _, p := range st.functionStatements() {
		st.Role.AddToPrincipalPolicy(p)
	}

	env := map[string]*string{
		"CREDAUDIT_STATE_BUCKET":        st.Bucket.BucketName(),
		"CREDAUDIT_TOPIC_ARN":           st.Topic.TopicArn(),
		"CREDAUDIT_SECURITY_HUB":        jsii.String(onOff(s.SecurityHub)),
		"CREDAUDIT_SECURITY_HUB_REGION": st.HomeRegion,
		"CREDAUDIT_PROFILE":             jsii.String(s.Profile),
		"CREDAUDIT_CONFIG":              jsii.String(s.Config),
		"CREDAUDIT_NOTIFY":              jsii.String(s.Notify),
		"CREDAUDIT_REFRESH_DAYS":        jsii.String(fmt.Sprint(s.RefreshDays)),
	}
	st.Function = awslambda.NewFunction(st.Stack, jsii.String("Function"), &awslambda.FunctionProps{
		Description:  jsii.String("credaudit: audits the IAM credential report on a schedule"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		// OS-only runtimes run the zip's `bootstrap`; Handler is required
		// but ignored.
		Handler:    jsii.String("bootstrap"),
		Code:       awslambda.Code_FromAsset(jsii.String(s.Asset), nil),
		MemorySize: jsii.Number(float64(s.MemoryMiB)),
		Timeout:    awscdk.Duration_Seconds(jsii.Number(s.Timeout.Seconds())),
		Role:       st.Role,
		LogGroup:   st.LogGroup,
		// JSON lets Lambda filter by level; the handler's slog logger
		// reads AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL.
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel(s.LogLevel),
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
		Environment:           &env,
		// No reserved concurrency: reserving even 1 fails to deploy on new
		// accounts (quota 10), and overlapping runs are already harmless.
	})
	// Async invocation: retries, then the failure queue. The L1 resource,
	// because the L2 destination also grants sqs:GetQueueAttributes and
	// sqs:GetQueueUrl, which delivery does not use ("SendToFailureQueue").
	awslambda.NewCfnEventInvokeConfig(st.Stack, jsii.String("AsyncInvoke"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName:             st.Function.FunctionName(),
		Qualifier:                jsii.String("$LATEST"),
		MaximumRetryAttempts:     jsii.Number(asyncRetries),
		MaximumEventAgeInSeconds: jsii.Number(asyncMaxEventAgeH * 3600),
		DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: st.Queue.QueueArn()},
		},
	}).Node().AddDependency(st.Role) // the role's policy must allow SendMessage first
	// After the statements exist: suppressions attach to the policy resource.
	st.suppressWildcards(st.Role,
		"Resource::*", "iam:GenerateCredentialReport, iam:GetCredentialReport, iam:GetAccountSummary, iam:ListVirtualMFADevices, "+
			"iam:ListAccountAliases and securityhub:BatchUpdateFindings support no resource-level permissions; every action is listed explicitly.",
		fmt.Sprintf("Resource::<%s.Arn>/%s*", st.logicalID(st.Bucket), StatePrefix), "The function reads and writes one state object per audited account "+
			"(state/<account-id>.json.gz); the account IDs are not known at deploy time, so the grant is the state/ prefix of the stack's own bucket.",
	)
}

// functionStatements is the function's whole permission set. Each
// statement has a Sid so tests and reviewers can name it.
func (st *Stack) functionStatements() []awsiam.PolicyStatement {
	s := st.Settings
	stmt := func(sid string, actions []string, resources []*string, cond map[string]any) awsiam.PolicyStatement {
		p := &awsiam.PolicyStatementProps{Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: &resources}
		if cond != nil {
			p.Conditions = &cond
		}
		return awsiam.NewPolicyStatement(p)
	}
	viaSNS := map[string]any{"StringEquals": map[string]any{
		"kms:ViaService": jsii.String(fmt.Sprintf("sns.%s.%s", *awscdk.Aws_REGION(), *awscdk.Aws_URL_SUFFIX())),
	}}
	out := []awsiam.PolicyStatement{
		// Logs go to the stack's own log group (the role has no managed
		// policy, so no logs:CreateLogGroup anywhere).
		stmt("WriteLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			[]*string{st.LogGroup.LogGroupArn()}, nil),
		// These IAM actions have no resource type: "*" is the only scope.
		stmt("ReadCredentialReport", []string{
			"iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:GetAccountSummary",
			"iam:ListVirtualMFADevices", "iam:ListAccountAliases",
		}, []*string{jsii.String("*")}, nil),
		stmt("PublishDigest", []string{"sns:Publish"}, []*string{st.Topic.TopicArn()}, nil),
		// Lambda delivers failed async events to the failure queue with
		// the function's role.
		stmt("SendToFailureQueue", []string{"sqs:SendMessage"}, []*string{st.Queue.QueueArn()}, nil),
		// The topic is encrypted: SNS generates and decrypts data keys with
		// the publisher's credentials, and only through SNS.
		stmt("EncryptForTopic", []string{"kms:GenerateDataKey", "kms:Decrypt"}, []*string{st.Key.KeyArn()}, viaSNS),
		stmt("ReadWriteState", []string{"s3:GetObject", "s3:PutObject"},
			[]*string{jsii.String(*st.Bucket.BucketArn() + "/" + StatePrefix + "*")}, nil),
		// s3:ListBucket is here so that reading a state object that does
		// not exist yet (an account's first run) answers 404 NoSuchKey,
		// which the function treats as "no previous state", instead of
		// 403 AccessDenied, which S3 returns to callers that may not list.
		// For that check S3 puts the object key in s3:prefix, so the
		// condition keeps both that and real listings inside state/.
		stmt("ListState", []string{"s3:ListBucket"}, []*string{st.Bucket.BucketArn()},
			map[string]any{"StringLike": map[string]any{"s3:prefix": StatePrefix + "*"}}),
	}
	if s.SecurityHub {
		out = append(out,
			// Findings are imported into the account's own default product
			// in the home region.
			stmt("ImportFindings", []string{"securityhub:BatchImportFindings"},
				[]*string{arn("securityhub", st.HomeRegion, "product/"+*awscdk.Aws_ACCOUNT_ID()+"/default")}, nil),
			// BatchUpdateFindings (workflow status and notes of suppressed
			// findings) supports no resource-level permissions: "*" only.
			stmt("UpdateFindings", []string{"securityhub:BatchUpdateFindings"}, []*string{jsii.String("*")}, nil),
		)
	}
	if s.Config != "" {
		kind, a, b, _ := ParseConfig(s.Config) // validated in LoadSettings
		switch kind {
		case "s3":
			out = append(out, stmt("ReadConfig", []string{"s3:GetObject"},
				[]*string{jsii.String(fmt.Sprintf("arn:%s:s3:::%s/%s", *awscdk.Aws_PARTITION(), a, b))}, nil))
		case "ssm":
			out = append(out, stmt("ReadConfig", []string{"ssm:GetParameter"},
				[]*string{arn("ssm", awscdk.Aws_REGION(), "parameter/"+strings.TrimPrefix(a, "/"))}, nil))
		}
	}

	// The key policy names the function too, so the grant survives a key
	// policy that no longer delegates to IAM.
	st.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("FunctionUsesKeyThroughSNS"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewArnPrincipal(st.Role.RoleArn())},
		Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &viaSNS,
	}), jsii.Bool(false))

	return out
}

// addSchedule creates the EventBridge Scheduler schedule. It is the L1
// construct with its own role so that the role may invoke exactly the
// function (not its versions and aliases too, as the L2 target grants).
func (st *Stack) addSchedule() {
	s := st.Settings
	st.ScheduleRole = awsiam.NewRole(st.Stack, jsii.String("ScheduleRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
		}),
		Description: jsii.String("credaudit schedule: invoke the function, dead-letter to the failure queue"),
	})
	st.ScheduleRole.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeFunction"),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &[]*string{st.Function.FunctionArn()},
	}))
	st.ScheduleRole.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("DeadLetter"),
		Actions:   jsii.Strings("sqs:SendMessage"),
		Resources: &[]*string{st.Queue.QueueArn()},
	}))
	st.Schedule = awsscheduler.NewCfnSchedule(st.Stack, jsii.String("Schedule"), &awsscheduler.CfnScheduleProps{
		Description:                jsii.String("credaudit: run the audit"),
		ScheduleExpression:         jsii.String(s.Schedule),
		ScheduleExpressionTimezone: jsii.String(s.TimeZone),
		FlexibleTimeWindow:         &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		State:                      jsii.String("ENABLED"),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     st.Function.FunctionArn(),
			RoleArn: st.ScheduleRole.RoleArn(),
			Input:   jsii.String(ScheduleInput),
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
				MaximumEventAgeInSeconds: jsii.Number(scheduleMaxAgeS),
				MaximumRetryAttempts:     jsii.Number(scheduleRetries),
			},
			DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: st.Queue.QueueArn()},
		},
	})
	// The role must exist with its policy before Scheduler validates it.
	st.Schedule.Node().AddDependency(st.ScheduleRole)
}

// addAlarms creates the operational alarms; each notifies the topic.
func (st *Stack) addAlarms() {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	timeoutMs := st.Settings.Timeout.Seconds() * 1000
	add := func(id, what string, m awscloudwatch.IMetric, threshold float64) {
		a := awscloudwatch.NewAlarm(st.Stack, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String("credaudit: " + what),
			Metric:             m,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(awscloudwatchactions.NewSnsAction(st.Topic))
	}
	add("ErrorsAlarm", "a run failed (function error or timeout); see the function's log group",
		st.Function.MetricErrors(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 1)
	add("ThrottlesAlarm", "an invocation was throttled (account concurrency exhausted); Lambda retries it for up to the event's maximum age",
		st.Function.MetricThrottles(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 1)
	add("DurationAlarm", fmt.Sprintf("a run took %.0f%% or more of its %.0f s timeout; raise timeoutSeconds before runs start timing out",
		durationAlarmShare*100, st.Settings.Timeout.Seconds()),
		st.Function.MetricDuration(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}), durationAlarmShare*timeoutMs)
	add("FailureQueueAlarm", "a run failed after its retries, or the schedule could not invoke the function; the failure queue holds the event",
		st.Queue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}), 1)
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
func (st *Stack) logicalID(c constructs.IConstruct) string {
	return *st.Stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

// suppress records a cdk-nag suppression, with its reason, on c and its
// children.
func (st *Stack) suppress(c constructs.IConstruct, rule, reason string) {
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String(rule), Reason: jsii.String(reason),
	}}, jsii.Bool(true))
}

// suppressWildcards suppresses AwsSolutions-IAM5 on c for exactly the
// listed wildcard findings ("appliesTo", reason pairs).
func (st *Stack) suppressWildcards(c constructs.IConstruct, findingReason ...string) {
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
