package main

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
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

// Async invocation and schedule delivery limits.
//
// Lambda does not re-run a run that failed (asyncRetries 0). A run is not
// idempotent: one that audited the account and then failed to import into
// Security Hub or to save its state has already sent its digest, and a
// retry would send it and import the findings again (Lambda's retries come
// after 1 and 2 minutes, so a lasting fault would mean three of each every
// day). The function already retries IAM within its run; a failed run
// errors (ErrorsAlarm), its event goes to the failure queue
// (FailureQueueAlarm), RunFailedAlarm tells the topic of either unless the
// run's own alert did, and the next scheduled run picks up from the saved
// state.
//
// MaximumRetryAttempts counts function errors only: an event Lambda
// throttled or could not start (429, 5xx) stays queued and is retried for
// up to asyncMaxEventAgeH, then goes to the failure queue as well, so a
// throttled run still happens, at most that late.
//
// Overlapping runs (Scheduler and Lambda each deliver at least once) save
// one state between them: the state is written with a conditional put, and
// a second delivery of an event (its executionId in ScheduleInput) does
// nothing once a run of it has saved (audit.Auditor.Delivery).
const (
	asyncRetries      = 0
	asyncMaxEventAgeH = 2
	scheduleMaxAgeS   = 3600
	scheduleRetries   = 10
	// durationAlarmShare of the timeout is "near the timeout".
	durationAlarmShare = 0.8
)

// Stack is the single-account stack: the function audits the account it
// runs in.
type Stack struct {
	base
	function
	Dashboard awscloudwatch.Dashboard
}

// NewStack builds the credaudit stack: the function and its schedule, the
// digest topic and its key, the state bucket, the failure queue, alarms and
// a dashboard. The stack is environment-agnostic (account and region come
// from the deployment), so `cdk synth` needs no AWS credentials.
func NewStack(scope constructs.Construct, s Settings) *Stack {
	st := &Stack{base: newBase(scope, s, "credaudit: scheduled IAM credential report audit (Lambda, SNS digest, Security Hub findings)")}
	st.addFunction()
	st.addSchedule(st.Function.FunctionArn(), "lambda:InvokeFunction",
		"credaudit schedule: invoke the function, dead-letter to the failure queue")
	st.addAlarms()
	st.addDashboard()
	st.outputs(
		outputValue{"FunctionName", st.Function.FunctionName()},
		outputValue{"TopicArn", st.Topic.TopicArn()},
		outputValue{"StateBucketName", st.Bucket.BucketName()},
		outputValue{"FailureQueueUrl", st.Queue.QueueUrl()},
		outputValue{"DashboardName", st.Dashboard.DashboardName()},
	)
	return st
}

// addFunction creates the function, its log group and its role with exactly
// the permissions a run needs.
func (st *Stack) addFunction() {
	st.function = st.newFunction("", "credaudit: audits the IAM credential report on a schedule",
		"credaudit function: read the credential report, publish findings and the digest, keep state",
		st.functionEnv(nil), st.functionStatements)
	st.keyForPublishers(st.Role)
	// Async invocation: no retry of a failed run, then the failure queue
	// (see asyncRetries). The L1 resource,
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
		"Resource::*", reportWildcardReason,
		st.objectsFinding(StatePrefix), stateWildcardReason,
	)
}

// stateWildcardReason explains the state/* grant to cdk-nag reviewers.
const stateWildcardReason = "The function reads and writes one state object per audited account " +
	"(state/<account-id>.json.gz); the account IDs are not known at deploy time, so the grant is the state/ prefix of the stack's own bucket."

// functionStatements is the function's whole permission set.
func (st *Stack) functionStatements(logGroup awslogs.LogGroup) []awsiam.PolicyStatement {
	out := []awsiam.PolicyStatement{
		writeLogs(logGroup),
		// These IAM actions have no resource type: "*" is the only scope.
		stmt("ReadCredentialReport", credentialReportActions, []*string{jsii.String("*")}, nil),
		// Lambda delivers failed async events to the failure queue with
		// the function's role.
		stmt("SendToFailureQueue", []string{"sqs:SendMessage"}, []*string{st.Queue.QueueArn()}, nil),
	}
	out = append(out, st.publishStatements()...)
	out = append(out, st.stateStatements()...)
	if st.Settings.SecurityHub {
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
	return append(out, st.configStatements()...)
}

// credentialReportActions read an account's credential report and what
// the audit needs beside it; none has a resource type.
var credentialReportActions = []string{
	"iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:GetAccountSummary",
	"iam:ListVirtualMFADevices", "iam:ListAccountAliases",
}

// addAlarms creates the operational alarms, which notify the topic: a run
// that failed or whose event reached the failure queue through one,
// RunFailedAlarm, unless the run told the topic itself.
func (st *Stack) addAlarms() {
	errs := st.silentAlarm("ErrorsAlarm", "a run failed (function error or timeout); see the function's log group",
		st.Function.MetricErrors(sum()), 1)
	queue := st.queueAlarm("an event reached the failure queue: a run failed, Lambda could not start one within its maximum event age, or the schedule could not invoke the function; the queue holds the event for 14 days")
	st.failedAlarm("a run failed and could not say why itself (no alert or digest reached the topic: a timeout, a crash, "+
		"a digest, alert or state save that failed), or an event reached the failure queue (a run that failed, "+
		"one Lambda could not start within its maximum event age, or the schedule could not invoke the function; "+
		"the queue holds the event for 14 days). The alarms named as triggering say which: ErrorsAlarm, see the function's log group; "+
		"FailureQueueAlarm, the queue's messages", st.LogGroup, errs, queue)
	st.alarm("ThrottlesAlarm", "an invocation was throttled (account concurrency exhausted); Lambda retries it for up to the event's maximum age",
		st.Function.MetricThrottles(sum()), 1)
	st.durationAlarm("DurationAlarm", "a run", "runs", st.Function)
	// A run starts up to Scheduler's retries and then Lambda's queue late.
	st.missedRunAlarm(st.Function.MetricInvocations, scheduleMaxAgeS*time.Second+asyncMaxEventAgeH*time.Hour, "run has started")
}
