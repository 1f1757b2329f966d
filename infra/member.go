package main

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudformation"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// The member role's session length: the auditor's AssumeRole is role
// chaining (from its own Lambda role), which caps sessions at one hour.
const memberSessionSeconds = 3600

// The StackSet's operation preferences: half the accounts at a time, and
// the operation stops in a region once more than a tenth have failed
// (a bad template fails everywhere; one odd account does not stop the
// rest). SOFT_FAILURE_TOLERANCE keeps the concurrency independent of the
// failure tolerance.
const (
	stackSetMaxConcurrentPercent = 50
	stackSetFailureTolerance     = 10
)

// memberRoleProperties is the member role as CloudFormation properties of
// an AWS::IAM::Role. The same properties make the StackSet's template
// (with the template's parameters as values) and the management account's
// own copy in the organisation stack (with the stack's values), so the two
// cannot drift. auditorRoleARN is the one principal trusted, orgID the
// organisation it must belong to, homeRegion the Security Hub home region.
// AWS::Partition and AWS::AccountId are those of the account the role is
// created in.
func memberRoleProperties(s Settings, auditorRoleARN, orgID, homeRegion any) map[string]any {
	partition, account := map[string]any{"Ref": "AWS::Partition"}, map[string]any{"Ref": "AWS::AccountId"}
	statements := []any{
		// These IAM actions have no resource type: "*" is the only scope.
		map[string]any{"Sid": "ReadCredentialReport", "Effect": "Allow", "Action": credentialReportActions, "Resource": "*"},
	}
	if s.SecurityHub {
		statements = append(statements,
			// The account's own findings, into its default product in the
			// home region.
			map[string]any{"Sid": "ImportFindings", "Effect": "Allow", "Action": "securityhub:BatchImportFindings",
				"Resource": map[string]any{"Fn::Join": []any{"", []any{
					"arn:", partition, ":securityhub:", homeRegion, ":", account, ":product/", account, "/default",
				}}}},
			// No resource-level permissions: "*" only.
			map[string]any{"Sid": "UpdateFindings", "Effect": "Allow", "Action": "securityhub:BatchUpdateFindings", "Resource": "*"},
		)
	}
	return map[string]any{
		"RoleName":           s.MemberRole,
		"Description":        "credaudit member role: the organisation's auditor reads this account's IAM credential report and imports its findings",
		"MaxSessionDuration": memberSessionSeconds,
		"AssumeRolePolicyDocument": map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect":    "Allow",
				"Principal": map[string]any{"AWS": auditorRoleARN},
				"Action":    "sts:AssumeRole",
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": orgID}},
			}},
		},
		"Policies": []any{map[string]any{
			"PolicyName":     "credaudit-member",
			"PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": statements},
		}},
	}
}

// The member template's parameters, which the StackSet sets.
const (
	ParamAuditorRoleARN = "AuditorRoleArn"
	ParamOrgID          = "OrgId"
	ParamHomeRegion     = "HomeRegion"
)

// MemberTemplate is the StackSet's CloudFormation template: the member role
// alone, its trust and Security Hub region as parameters.
func MemberTemplate(s Settings) string {
	ref := func(name string) map[string]any { return map[string]any{"Ref": name} }
	params := map[string]any{
		ParamAuditorRoleARN: map[string]any{
			"Type":           "String",
			"Description":    "ARN of the credaudit auditor function's role in the organisation stack's account",
			"AllowedPattern": `^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$`,
		},
		ParamOrgID: map[string]any{
			"Type":           "String",
			"Description":    "The organisation's ID: only the auditor role of an account in it may assume the member role",
			"AllowedPattern": `^o-[a-z0-9]{10,32}$`,
		},
	}
	if s.SecurityHub {
		params[ParamHomeRegion] = map[string]any{"Type": "String", "Description": "The Security Hub home region findings are imported into"}
	}
	tmpl := map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description":              "credaudit member role (deployed by the organisation stack's StackSet)",
		"Parameters":               params,
		"Resources": map[string]any{"MemberRole": map[string]any{
			"Type":       "AWS::IAM::Role",
			"Properties": memberRoleProperties(s, ref(ParamAuditorRoleARN), ref(ParamOrgID), ref(ParamHomeRegion)),
		}},
		"Outputs": map[string]any{"MemberRoleArn": map[string]any{"Value": map[string]any{"Fn::GetAtt": []any{"MemberRole", "Arn"}}}},
	}
	raw, err := json.Marshal(tmpl)
	if err != nil {
		panic(err) // plain maps of strings and numbers: cannot fail
	}
	return string(raw)
}

// addMemberRoles deploys the member role to every account of the target
// OUs with a service-managed StackSet, and creates it in this account too:
// StackSets never deploy to the management account, even inside a target
// OU. With stackSetCallAs=DELEGATED_ADMIN this stack runs in a member
// account, which the StackSet covers, so there is no local copy (the same
// role name twice would fail); the management account then needs the
// member role deployed from MemberTemplate by hand, and to be included (it
// is outside the default filter unless below a target OU), to be audited.
func (st *OrgStack) addMemberRoles() {
	s := st.Settings
	auditorRole := st.Auditor.Role.RoleArn()
	if s.StackSetCallAs == "SELF" {
		p := memberRoleProperties(s, auditorRole, s.OrgID, st.HomeRegion)
		policy := p["Policies"].([]any)[0].(map[string]any) // jsii wants the typed struct here
		st.MemberRole = awsiam.NewCfnRole(st.Stack, jsii.String("MemberRole"), &awsiam.CfnRoleProps{
			RoleName:                 jsii.String(s.MemberRole),
			Description:              jsii.String(p["Description"].(string)),
			MaxSessionDuration:       jsii.Number(memberSessionSeconds),
			AssumeRolePolicyDocument: p["AssumeRolePolicyDocument"],
			Policies: &[]any{&awsiam.CfnRole_PolicyProperty{
				PolicyName: jsii.String(policy["PolicyName"].(string)), PolicyDocument: policy["PolicyDocument"],
			}},
		})
		st.suppressWildcards(st.MemberRole, "Resource::*", reportWildcardReason)
	} else if len(s.IncludeAccounts)+len(s.IncludeOUs)+len(s.ExcludeAccounts) == 0 && s.rootTarget() {
		// A root target leaves the run unfiltered (defaultIncludes), and
		// the management account in it.
		awscdk.Annotations_Of(st.Stack).AddWarningV2(jsii.String("credaudit:managementAccountWithoutRole"), jsii.String(
			KeyStackSetCallAs+"=DELEGATED_ADMIN with a root among "+KeyStackSetTargets+" audits every account, the management account too, "+
				"which has no member role (StackSets never deploy there, and this stack, in a member account, cannot create it): "+
				"its audit would fail in every run. Set "+KeyOrgExcludeAccounts+" to the management account's ID, or create the member role "+
				"there from the StackSet's template (parameters "+ParamAuditorRoleARN+", "+ParamOrgID+" and, with Security Hub on, "+ParamHomeRegion+")"))
	}

	params := []any{
		&awscloudformation.CfnStackSet_ParameterProperty{ParameterKey: jsii.String(ParamAuditorRoleARN), ParameterValue: auditorRole},
		&awscloudformation.CfnStackSet_ParameterProperty{ParameterKey: jsii.String(ParamOrgID), ParameterValue: jsii.String(s.OrgID)},
	}
	if s.SecurityHub {
		params = append(params, &awscloudformation.CfnStackSet_ParameterProperty{ParameterKey: jsii.String(ParamHomeRegion), ParameterValue: st.HomeRegion})
	}
	st.StackSet = awscloudformation.NewCfnStackSet(st.Stack, jsii.String("MemberRoleStackSet"), &awscloudformation.CfnStackSetProps{
		StackSetName:    jsii.String(s.StackName + "-member-role"),
		Description:     jsii.String("credaudit: the member role the organisation stack's auditor assumes, in every account of the target OUs"),
		PermissionModel: jsii.String("SERVICE_MANAGED"),
		CallAs:          jsii.String(s.StackSetCallAs),
		AutoDeployment: &awscloudformation.CfnStackSet_AutoDeploymentProperty{
			Enabled: jsii.Bool(true), RetainStacksOnAccountRemoval: jsii.Bool(false),
		},
		ManagedExecution: map[string]any{"Active": true},
		Capabilities:     jsii.Strings("CAPABILITY_NAMED_IAM"),
		OperationPreferences: &awscloudformation.CfnStackSet_OperationPreferencesProperty{
			MaxConcurrentPercentage:    jsii.Number(stackSetMaxConcurrentPercent),
			FailureTolerancePercentage: jsii.Number(stackSetFailureTolerance),
			ConcurrencyMode:            jsii.String("SOFT_FAILURE_TOLERANCE"),
		},
		// IAM is global: one region only, or the second fails on the
		// existing role name.
		StackInstancesGroup: []any{&awscloudformation.CfnStackSet_StackInstancesProperty{
			DeploymentTargets: &awscloudformation.CfnStackSet_DeploymentTargetsProperty{OrganizationalUnitIds: jsii.Strings(s.StackSetTargets...)},
			Regions:           &[]*string{awscdk.Aws_REGION()},
		}},
		Parameters:   params,
		TemplateBody: jsii.String(MemberTemplate(s)),
	})
}

// reportWildcardReason explains the "*" of the credential report and
// Security Hub actions (the function's and the member role's) to cdk-nag
// reviewers.
const reportWildcardReason = "iam:GenerateCredentialReport, iam:GetCredentialReport, iam:GetAccountSummary, iam:ListVirtualMFADevices, " +
	"iam:ListAccountAliases and securityhub:BatchUpdateFindings support no resource-level permissions; every action is listed explicitly."
