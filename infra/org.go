package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudformation"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// RunsPrefix is where an organisation run keeps its files in the state
// bucket: the orchestrator's account list (runs/<run-id>/accounts.json)
// and, under ResultsPrefix, the Distributed Map's results (a manifest.json
// and result files per Map Run), which the orchestrator aggregates.
const (
	RunsPrefix    = "runs/"
	ResultsPrefix = "runs/results"
	// SummariesPrefix, followed by anything (objects and objectsFinding
	// add the "*"), is where the auditor keeps each account's summary in an
	// organisation run (the function's handler.SummaryKey), which the run's
	// aggregate reads when the map fails or its results cannot be read.
	SummariesPrefix = RunsPrefix + "*/summaries/"
	// OwedDigestsKey holds the organisation digests SNS refused, which the
	// next aggregate sends (the function's handler.OwedDigestsKey).
	OwedDigestsKey = RunsPrefix + "owed-digests.json"
	// AccountsKeys matches the account list the orchestrator writes for
	// each run (the function's handler.AccountsKey).
	AccountsKeys = RunsPrefix + "*/accounts.json"
	// DeliveriesPrefix is where a run's list_accounts claims the firing of
	// the schedule that started it (the function's handler.DeliveryKey),
	// so that a firing delivered twice audits once.
	DeliveriesPrefix = RunsPrefix + "deliveries/"
	// runRetentionDays: a run reads its files only while it lasts; a
	// month keeps them for looking into a failed run.
	runRetentionDays = 30
	// stateMachineTimeout ends a run stuck for a day (the default schedule
	// starts the next one then); ExecutionsTimedOut alarms.
	stateMachineTimeout = 24 * time.Hour
)

// OrgStack is the organisation stack, deployed to the management account
// or a delegated administrator: a Step Functions state machine on a
// schedule lists the organisation's accounts (orchestrator function),
// audits each through its member role in a Distributed Map (auditor
// function, one account per invocation), and sends one organisation
// digest (orchestrator). A service-managed StackSet puts the member role
// into every account of the target OUs.
type OrgStack struct {
	base
	Auditor, Orchestrator function
	StateMachineRole      awsiam.Role
	StateMachineLogGroup  awslogs.LogGroup
	StateMachine          sfn.StateMachine
	// AuditMap is the Distributed Map state.
	AuditMap sfn.DistributedMap
	// MemberRole is the management account's own member role (nil with
	// stackSetCallAs=DELEGATED_ADMIN, see addMemberRoles).
	MemberRole awsiam.CfnRole
	StackSet   awscloudformation.CfnStackSet
}

// NewOrgStack builds the organisation stack. Like the single-account
// stack it is environment-agnostic, so `cdk synth` needs no AWS account.
func NewOrgStack(scope constructs.Construct, s Settings) *OrgStack {
	st := &OrgStack{base: newBase(scope, s,
		"credaudit (organisation): scheduled IAM credential report audit of every member account (Step Functions Distributed Map, member-role StackSet)")}
	st.addFunctions()
	st.addStateMachine()
	st.addSchedule(st.StateMachine.StateMachineArn(), "states:StartExecution",
		"credaudit schedule: start the organisation run, dead-letter to the failure queue")
	st.addMemberRoles()
	// Each run's account list and Map results expire (runRetentionDays).
	st.Bucket.AddLifecycleRule(&awss3.LifecycleRule{
		Id:                          jsii.String("expire-runs"),
		Prefix:                      jsii.String(RunsPrefix),
		Expiration:                  awscdk.Duration_Days(jsii.Number(runRetentionDays)),
		NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(1)),
	})
	st.addAlarms()
	st.outputs(
		outputValue{"StateMachineArn", st.StateMachine.StateMachineArn()},
		outputValue{"TopicArn", st.Topic.TopicArn()},
		outputValue{"StateBucketName", st.Bucket.BucketName()},
		outputValue{"FailureQueueUrl", st.Queue.QueueUrl()},
		outputValue{"StackSetId", st.StackSet.AttrStackSetId()},
	)
	return st
}

// stateMachineName is fixed (the stack name is unique in its account and
// region) so that the state machine role can name its own executions
// without referring to the state machine, which depends on the role.
// LoadSettings keeps it within Step Functions' 80 characters
// (maxOrgStackName).
func (st *OrgStack) stateMachineName() string { return st.Settings.StackName + stateMachineSuffix }

// stateMachineSuffix follows the stack name in the state machine's name.
const stateMachineSuffix = "-run"

// stateMachineLogPrefix begins the state machine's log group's name.
const stateMachineLogPrefix = "/aws/vendedlogs/states/"

// memberRoleARNs matches the member role in every account.
func (st *OrgStack) memberRoleARNs() *string {
	return jsii.String(fmt.Sprintf("arn:%s:iam::*:role/%s", *awscdk.Aws_PARTITION(), st.Settings.MemberRole))
}

// filterEnv is the orchestrator's account filter, as the function reads
// it; ownAccount is the stack's account, included with IncludeOwnAccount.
func filterEnv(s Settings, ownAccount string) map[string]*string {
	includeAccounts := s.IncludeAccounts
	if s.IncludeOwnAccount {
		includeAccounts = append(slices.Clone(includeAccounts), ownAccount)
	}
	return map[string]*string{
		"CREDAUDIT_MEMBER_ROLE":          jsii.String(s.MemberRole),
		"CREDAUDIT_ORG_INCLUDE_ACCOUNTS": jsii.String(strings.Join(includeAccounts, ",")),
		"CREDAUDIT_ORG_EXCLUDE_ACCOUNTS": jsii.String(strings.Join(s.ExcludeAccounts, ",")),
		"CREDAUDIT_ORG_INCLUDE_OUS":      jsii.String(strings.Join(s.IncludeOUs, ",")),
		"CREDAUDIT_ORG_EXCLUDE_OUS":      jsii.String(strings.Join(s.ExcludeOUs, ",")),
	}
}

// addFunctions creates the auditor and the orchestrator from the same
// asset, each with its own role.
func (st *OrgStack) addFunctions() {
	s := st.Settings
	member := map[string]*string{"CREDAUDIT_MEMBER_ROLE": jsii.String(s.MemberRole)}
	st.Auditor = st.newFunction("Auditor", "credaudit: audits one member account's IAM credential report through its member role",
		"credaudit auditor: assume the member role in the organisation's accounts, keep state, publish alerts",
		st.functionEnv(member), st.auditorStatements)
	// The stack's own account is a token, {"Ref": "AWS::AccountId"} in
	// the template.
	st.Orchestrator = st.newFunction("Orchestrator", "credaudit: lists the organisation's accounts for a run and sends its organisation digest",
		"credaudit orchestrator: list the organisation's accounts, keep each run's files, publish the digest",
		st.functionEnv(filterEnv(s, *awscdk.Aws_ACCOUNT_ID())), st.orchestratorStatements)
	st.keyForPublishers(st.Auditor.Role, st.Orchestrator.Role)

	st.suppressWildcards(st.Auditor.Role,
		"Resource::arn:<AWS::Partition>:iam::*:role/"+s.MemberRole, "The auditor assumes the fixed-name member role in whichever account a run "+
			"audits; the accounts are not known at deploy time, and the aws:ResourceOrgID condition keeps the grant inside the organisation.",
		st.objectsFinding(StatePrefix), stateWildcardReason,
		st.objectsFinding(SummariesPrefix), "Each account's audit in a run writes its summary to runs/<run-id>/summaries/<account>.json; "+
			"the run ID is made at run time and the accounts are not known at deploy time, so the grant is that pattern in the stack's own bucket.",
	)
	st.suppressWildcards(st.Orchestrator.Role,
		"Resource::*", "organizations:ListAccounts and organizations:ListParents support no resource-level permissions; "+
			"they are the only actions on *, and only the management account or a delegated administrator can call them.",
		st.objectFinding(AccountsKeys), "Each run writes its account list to runs/<run-id>/accounts.json; the run ID is made at run time.",
		st.objectsFinding(DeliveriesPrefix), "Each run claims the schedule's firing that started it as runs/deliveries/<execution-id>.json; "+
			"the execution ID is Scheduler's, made at run time.",
		st.objectsFinding(RunsPrefix), "Each run reads its runs/<run-id>/accounts.json and "+
			"the Map Run's results under runs/results/<map-run-id>/; both IDs are made at run time, so the grant is the runs/ prefix of the stack's own bucket.",
	)
}

// auditorStatements: the auditor reads no IAM or Security Hub data with its
// own role; it does that through the member role it assumes.
func (st *OrgStack) auditorStatements(logGroup awslogs.LogGroup) []awsiam.PolicyStatement {
	out := []awsiam.PolicyStatement{
		writeLogs(logGroup),
		stmt("AssumeMemberRole", []string{"sts:AssumeRole"}, []*string{st.memberRoleARNs()},
			map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": st.Settings.OrgID}}),
		stmt("KeepSummaries", []string{"s3:PutObject"}, []*string{st.objects(SummariesPrefix)}, nil),
	}
	out = append(out, st.publishStatements()...)
	out = append(out, st.stateStatements()...)
	return append(out, st.configStatements()...)
}

// orchestratorStatements: list the accounts, write the run's account list
// and read the Map Run's results, publish the organisation digest, and read
// the configuration, whose profile the digest names when no account was
// audited to say it.
func (st *OrgStack) orchestratorStatements(logGroup awslogs.LogGroup) []awsiam.PolicyStatement {
	list := []string{"organizations:ListAccounts"}
	if len(st.Settings.IncludeOUs)+len(st.Settings.ExcludeOUs) > 0 {
		// Only an OU filter reads the accounts' parents; IncludeOUs may be
		// the stackSetTargets LoadSettings defaulted it to.
		list = append(list, "organizations:ListParents")
	}
	out := append([]awsiam.PolicyStatement{
		writeLogs(logGroup),
		// Neither action has a resource type: "*" is the only scope.
		stmt("ListAccounts", list, []*string{jsii.String("*")}, nil),
		stmt("ReadRunFiles", []string{"s3:GetObject"}, []*string{st.objects(RunsPrefix)}, nil),
		// It writes a run's account list and the digests owed, and no other
		// run file: not the map's results, nor the summaries the audits
		// keep, which aggregate reads as theirs.
		stmt("WriteRunFiles", []string{"s3:PutObject"}, []*string{st.object(AccountsKeys), st.object(OwedDigestsKey), st.objects(DeliveriesPrefix)}, nil),
		// So that reading the owed digests before any was owed answers 404
		// NoSuchKey, not 403, and the aggregate of a failed map, or of
		// results it cannot read, lists the summaries its audits kept;
		// without an s3:prefix condition, as in stateStatements.
		stmt("ListOwedDigests", []string{"s3:ListBucket"}, []*string{st.Bucket.BucketArn()}, nil),
	}, st.publishStatements()...)
	return append(out, st.configStatements()...)
}

// addStateMachine creates the run: ListAccounts → AuditAccounts
// (Distributed Map) → Aggregate, with a failed Map going to ReportFailure.
func (st *OrgStack) addStateMachine() {
	s := st.Settings
	runID := sfn.JsonPath_StringAt(jsii.String("$$.Execution.Name"))
	invoke := func(id string, fn function, payload map[string]any) awsstepfunctionstasks.LambdaInvoke {
		props := &awsstepfunctionstasks.LambdaInvokeProps{
			LambdaFunction: fn.Function,
			// The state's output is the function's result. Retries cover
			// Lambda service exceptions (the default) and throttling
			// (below), never the function's own errors: a retry would not
			// change them, and they are reported (the orchestrator's
			// alert, or the organisation digest for a member account's
			// audit).
			OutputPath: jsii.String("$.Payload"),
		}
		if payload != nil { // else the state's input, as it is
			props.Payload = sfn.TaskInput_FromObject(&payload)
		}
		task := awsstepfunctionstasks.NewLambdaInvoke(st.Stack, jsii.String(id), props)
		// Throttling is no fault of the account: a new account's Lambda
		// concurrency quota is 10, as many as maxConcurrency's default
		// audits at once. Without this retry a throttled invocation failed
		// its account at once. Backed off with full jitter (5 s, then up
		// to 10, 20, 40, 80, 160 s) so the throttled items do not return
		// together; AuditorThrottlesAlarm and OrchestratorThrottlesAlarm
		// report the throttling.
		task.AddRetry(&sfn.RetryProps{
			Errors:         jsii.Strings("Lambda.TooManyRequestsException"),
			Interval:       awscdk.Duration_Seconds(jsii.Number(5)),
			BackoffRate:    jsii.Number(2),
			MaxAttempts:    jsii.Number(6),
			JitterStrategy: sfn.JitterType_FULL,
		})
		return task
	}
	at := func(path string) *string { return sfn.JsonPath_StringAt(jsii.String(path)) }
	runFiles := map[string]any{"bucket": at("$.bucket"), "key": at("$.key")}

	// Output: {"bucket", "key" (runs/<run-id>/accounts.json), "accounts",
	// "missing" (what the filters include that the run cannot audit),
	// "duplicate"}. The execution's input is the schedule's payload, whose
	// executionId the function claims: a firing that started another
	// execution too is "duplicate", and this one ends.
	listAccounts := invoke("ListAccounts", st.Orchestrator, map[string]any{"action": "list_accounts", "run_id": runID,
		"event": sfn.JsonPath_ObjectAt(jsii.String("$$.Execution.Input"))})
	firing := sfn.NewChoice(st.Stack, jsii.String("FiringAlreadyRun"), &sfn.ChoiceProps{
		Comment: jsii.String("Another execution claimed the schedule's firing that started this one"),
	})

	st.AuditMap = sfn.NewDistributedMap(st.Stack, jsii.String("AuditAccounts"), &sfn.DistributedMapProps{
		// The account list is a JSON array of {account_id, role_arn, name}.
		ItemReader: sfn.NewS3JsonItemReader(&sfn.S3FileItemReaderProps{
			BucketNamePath: at("$.bucket"),
			Key:            at("$.key"),
		}),
		ItemSelector: &map[string]any{
			"account_id": at("$$.Map.Item.Value.account_id"),
			"role_arn":   at("$$.Map.Item.Value.role_arn"),
			// The organisation digest replaces each account's own.
			"notify": "never",
			// Each audit keeps its summary under the run's prefix, for the
			// digest of a map that fails (and so writes no results), or whose
			// results aggregate cannot read.
			"run_id": runID,
		},
		// Standard child executions: an audit can wait for the credential
		// report longer than Express's 5 minutes.
		MapExecutionType:           sfn.StateMachineType_STANDARD,
		MaxConcurrency:             jsii.Number(float64(s.MaxConcurrency)),
		ToleratedFailurePercentage: jsii.Number(float64(s.ToleratedFailurePercent)),
		ResultWriterV2: sfn.NewResultWriterV2(&sfn.ResultWriterV2Props{
			Bucket: st.Bucket,
			Prefix: jsii.String(ResultsPrefix),
		}),
		// Keep the input (the account list's bucket and key) beside the
		// Map Run's ResultWriterDetails.
		ResultPath: jsii.String("$.results"),
	})
	st.AuditMap.ItemProcessor(invoke("AuditAccount", st.Auditor, nil), nil)

	aggregate := invoke("Aggregate", st.Orchestrator, map[string]any{
		"action": "aggregate", "run_id": runID, "accounts": runFiles, "missing": at("$.missing"),
		"results": map[string]any{
			"bucket": at("$.results.ResultWriterDetails.Bucket"),
			"key":    at("$.results.ResultWriterDetails.Key"),
		},
	})
	// The orchestrator alerts and fails, so the execution fails too.
	reportFailure := invoke("ReportFailure", st.Orchestrator, map[string]any{
		"action": "aggregate", "run_id": runID, "accounts": runFiles, "missing": at("$.missing"), "error": at("$.error"),
	})
	st.AuditMap.AddCatch(reportFailure, &sfn.CatchProps{ResultPath: jsii.String("$.error")})

	// Under /aws/vendedlogs/: creating a state machine that logs adds its
	// log group to the account's CloudWatch Logs resource policy, at most
	// 5,120 characters, which a management account may have filled; that
	// prefix is covered by one wildcard (Step Functions' best practices).
	// The stack's ID ends the name, so that a redeploy after `cdk destroy`,
	// which keeps the log group, does not take the old one's name.
	st.StateMachineLogGroup = awslogs.NewLogGroup(st.Stack, jsii.String("StateMachineLogGroup"), &awslogs.LogGroupProps{
		LogGroupName: awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String(stateMachineLogPrefix + st.stateMachineName() + "-"),
			awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), awscdk.Aws_STACK_ID(), nil)),
		}),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	st.setRetention(st.StateMachineLogGroup)
	st.addStateMachineRole()
	st.StateMachine = sfn.NewStateMachine(st.Stack, jsii.String("StateMachine"), &sfn.StateMachineProps{
		StateMachineName: jsii.String(st.stateMachineName()),
		StateMachineType: sfn.StateMachineType_STANDARD,
		Comment:          jsii.String("credaudit: audit every account of the organisation"),
		DefinitionBody: sfn.DefinitionBody_FromChainable(sfn.Chain_Start(listAccounts).Next(firing.
			When(sfn.Condition_BooleanEquals(jsii.String("$.duplicate"), jsii.Bool(true)), sfn.NewSucceed(st.Stack, jsii.String("AlreadyRun"), nil), nil).
			Otherwise(st.AuditMap.Next(aggregate)))),
		Timeout: awscdk.Duration_Seconds(jsii.Number(stateMachineTimeout.Seconds())),
		// The statements of addStateMachineRole are all it gets: the
		// wrapper drops the broader grants CDK would add (the functions'
		// versions, the whole bucket, redrives).
		Role: st.StateMachineRole.WithoutPolicyUpdates(nil),
		// Every event, without execution data: the execution history keeps
		// inputs and outputs for 90 days behind states: permissions, and
		// the log group (kept for logRetentionDays) records which state
		// ran and failed when, without copying account lists and results.
		Logs: &sfn.LogOptions{
			Destination:          st.StateMachineLogGroup,
			Level:                sfn.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(false),
		},
		TracingEnabled: jsii.Bool(true),
	})
	// CDK builds an inline "DistributedMapPolicy" for the role; the
	// wrapper above leaves it unattached, so it is never synthesized, but
	// cdk-nag would still inspect it. addStateMachineRole grants its
	// share (StartChildExecutions, ManageChildExecutions).
	st.StateMachine.Node().TryRemoveChild(jsii.String("DistributedMapPolicy"))
}

// addStateMachineRole creates the state machine's role with exactly what a
// run needs.
func (st *OrgStack) addStateMachineRole() {
	st.StateMachineRole = awsiam.NewRole(st.Stack, jsii.String("StateMachineRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
		}),
		Description: jsii.String("credaudit run: invoke the functions, run the Distributed Map, read the account list, write its results"),
	})
	name := st.stateMachineName()
	for _, p := range []awsiam.PolicyStatement{
		stmt("InvokeFunctions", []string{"lambda:InvokeFunction"},
			[]*string{st.Orchestrator.Function.FunctionArn(), st.Auditor.Function.FunctionArn()}, nil),
		// A Distributed Map starts its items as child executions of this
		// same state machine.
		stmt("StartChildExecutions", []string{"states:StartExecution"},
			[]*string{arn("states", awscdk.Aws_REGION(), "stateMachine:"+name)}, nil),
		// AWS's example policy names <name>:*; child executions of a Map
		// Run are named <name>/<map run label>:<id>.
		stmt("ManageChildExecutions", []string{"states:DescribeExecution", "states:StopExecution"}, []*string{
			arn("states", awscdk.Aws_REGION(), "execution:"+name+":*"),
			arn("states", awscdk.Aws_REGION(), "execution:"+name+"/*"),
		}, nil),
		stmt("ReadRuns", []string{"s3:GetObject"}, []*string{st.objects(RunsPrefix)}, nil),
		stmt("WriteResults", []string{"s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"},
			[]*string{st.objects(ResultsPrefix + "/")}, nil),
		// Log delivery and X-Ray: none of these actions has a resource type.
		stmt("DeliverLogs", []string{
			"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
			"logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
		}, []*string{jsii.String("*")}, nil),
		stmt("Trace", []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"},
			[]*string{jsii.String("*")}, nil),
	} {
		st.StateMachineRole.AddToPrincipalPolicy(p)
	}
	st.suppressWildcards(st.StateMachineRole,
		"Resource::*", "Step Functions' log delivery (logs:*LogDelivery*, logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups) "+
			"and X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords, xray:GetSamplingRules, xray:GetSamplingTargets) support no resource-level permissions.",
		"Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"+name+":*", childExecutionsReason,
		"Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"+name+"/*", childExecutionsReason,
		st.objectsFinding(RunsPrefix), "The Distributed Map reads runs/<run-id>/accounts.json, "+
			"whose run ID (the execution name) is made at run time, so the grant is the runs/ prefix of the stack's own bucket.",
		st.objectsFinding(ResultsPrefix+"/"), "The Distributed Map writes its results under "+
			"runs/results/<map-run-id>/, an ID made at run time, so the grant is that prefix of the stack's own bucket.",
	)
}

// childExecutionsReason explains the execution grants to cdk-nag reviewers.
const childExecutionsReason = "The Distributed Map describes and stops the child executions it started, " +
	"whose names are made at run time; the grant is limited to executions of this one state machine."

// LogIncomplete is the message of the auditor's error line for an account
// it audited but could not publish or save wholly (lambda/handler's
// LogIncomplete, which the contract test holds it to): such an invocation
// succeeds, so that the map records the account's summary with its error,
// and the line is what tells the alarms.
const LogIncomplete = "audit incomplete"

// IncompleteMetric counts LogIncomplete lines (namespace MetricsNamespace,
// no dimension).
const IncompleteMetric = "AuditsIncomplete"

// LogIncludedNotListed is the message of the orchestrator's error line for
// what the account filters include by ID that the organisation does not
// have to audit: an account not in it or not ACTIVE, an OU or root not
// found (lambda/handler's LogIncludedNotListed, which the contract test
// holds it to). No audit runs for it, so no function error tells the
// alarms, as one does of an account whose audit failed; the line does.
const LogIncludedNotListed = "included not listed"

// NotListedMetric counts LogIncludedNotListed lines (namespace
// MetricsNamespace, no dimension).
const NotListedMetric = "IncludedNotListed"

// lineAlarm is alarm id, saying what, on the lines logGroup gets whose
// message is message (lineCount).
func (st *OrgStack) lineAlarm(id, what string, logGroup awslogs.LogGroup, message, metric string) {
	st.alarm(id, what, st.lineCount(logGroup, message, metric), 1)
}

// addAlarms: the run failed or timed out, or a function failed, was
// throttled or came near its timeout (one account's audit, or listing and
// the digest), or an account's audit did not publish or save everything,
// or the filters include by ID what is not there to audit. A failed run,
// which fails the orchestrator too, and an event the schedule could not
// deliver are RunFailedAlarm's, held back while the orchestrator's alert
// says why.
func (st *OrgStack) addAlarms() {
	failed := st.silentAlarm("ExecutionsFailedAlarm", "an organisation run failed; the orchestrator's alert and the execution history say why",
		st.StateMachine.MetricFailed(sum()), 1)
	orchestrator := st.silentAlarm("OrchestratorErrorsAlarm", "listing the accounts or sending the organisation digest failed; see the orchestrator's log group",
		st.Orchestrator.Function.MetricErrors(sum()), 1)
	queue := st.queueAlarm("the schedule could not start an organisation run; the failure queue holds the event for 14 days")
	st.failedAlarm("an organisation run failed and could not say why itself (no organisation alert reached the topic: "+
		"a timeout, a crash, an alert that could not be sent), or the schedule could not start a run (the failure queue holds "+
		"the event for 14 days). The alarms named as triggering say which: ExecutionsFailedAlarm, see the execution history; "+
		"OrchestratorErrorsAlarm, the orchestrator's log group; FailureQueueAlarm, the queue's messages",
		st.Orchestrator.LogGroup, failed, orchestrator, queue)
	st.alarm("ExecutionsTimedOutAlarm", fmt.Sprintf("an organisation run was still going after %.0f hours and was stopped", stateMachineTimeout.Hours()),
		st.StateMachine.MetricTimedOut(sum()), 1)
	st.alarm("AuditorErrorsAlarm", "an account's audit failed (function error or timeout); see the auditor's log group",
		st.Auditor.Function.MetricErrors(sum()), 1)
	st.alarm("AuditorThrottlesAlarm", "an account's audit was throttled (account concurrency exhausted); the state machine retries it "+
		"for up to about 5 minutes, after which the account fails and the organisation digest lists it under FAILED ACCOUNTS; "+
		"lower maxConcurrency or raise the Lambda concurrency quota",
		st.Auditor.Function.MetricThrottles(sum()), 1)
	st.durationAlarm("AuditorDurationAlarm", "an account's audit", "audits", st.Auditor.Function)
	st.lineAlarm("AuditorIncompleteAlarm", "an account was audited, but its findings did not all reach its Security Hub or its state was not saved; "+
		"the organisation digest lists it under FAILED ACCOUNTS with the error, and the auditor's log group has the details",
		st.Auditor.LogGroup, LogIncomplete, IncompleteMetric)
	st.lineAlarm("OrchestratorNotListedAlarm", "an account or OU the run includes by ID (orgIncludeAccounts, orgIncludeOus, or by default the stackSetTargets OUs) is not in the organisation, not ACTIVE, or not found, "+
		"so it was not audited; the organisation digest lists it under FAILED ACCOUNTS with why, and the orchestrator's log group has the line",
		st.Orchestrator.LogGroup, LogIncludedNotListed, NotListedMetric)
	st.alarm("OrchestratorThrottlesAlarm", "listing the accounts or sending the organisation digest was throttled (account concurrency exhausted); "+
		"the state machine retries it for up to about 5 minutes, after which the run fails without its digest or alert (RunFailedAlarm); "+
		"lower maxConcurrency or raise the Lambda concurrency quota",
		st.Orchestrator.Function.MetricThrottles(sum()), 1)
	st.durationAlarm("OrchestratorDurationAlarm", "listing the accounts or sending the organisation digest", "they", st.Orchestrator.Function)
	// Scheduler starts the execution itself, up to its retries late.
	st.missedRunAlarm(st.StateMachine.MetricStarted, scheduleMaxAgeS*time.Second, "organisation run has started")
}
