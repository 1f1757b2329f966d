package org

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/credaudit/credaudit/lambda/audit"
)

// fakeSTS records AssumeRole calls; refuse makes them fail.
type fakeSTS struct {
	calls  []sts.AssumeRoleInput
	refuse error
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.calls = append(f.calls, *in)
	if f.refuse != nil {
		return nil, f.refuse
	}
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIAEXAMPLE"), SecretAccessKey: aws.String("secret"),
		SessionToken: aws.String("token"), Expiration: aws.Time(time.Now().Add(time.Hour))}}, nil
}

// The member session is a chained role session: at most one hour (AWS
// refuses longer for role chaining), named after the account for the
// member's CloudTrail, and assumed once however often credentials are used.
func TestMemberConfigSession(t *testing.T) {
	const acct = "222222222222"
	role := RoleARN("aws", acct, DefaultMemberRole)
	client := &fakeSTS{}
	member := MemberConfig(aws.Config{Region: "eu-west-1"}, client, role, acct)
	for range 3 {
		if err := Assume(context.Background(), member, role); err != nil {
			t.Fatal(err)
		}
	}
	if len(client.calls) != 1 {
		t.Fatalf("%d AssumeRole calls, want 1 (credentials cached)", len(client.calls))
	}
	in := client.calls[0]
	if aws.ToString(in.RoleArn) != role || aws.ToString(in.RoleSessionName) != "credaudit-"+acct || aws.ToInt32(in.DurationSeconds) != 3600 {
		t.Errorf("AssumeRole(%s, %s, %ds), want (%s, credaudit-%s, 3600s)", aws.ToString(in.RoleArn), aws.ToString(in.RoleSessionName), aws.ToInt32(in.DurationSeconds), role, acct)
	}

	refused := MemberConfig(aws.Config{}, &fakeSTS{refuse: errors.New("AccessDenied")}, role, acct)
	var f *audit.Failure
	if err := Assume(context.Background(), refused, role); !errors.As(err, &f) || f.Phase != "assume role" || f.Hint == "" {
		t.Errorf("refused role: %v, want an assume role failure with a hint", err)
	}
}

// A role STS refuses points at the member role; a failure of the auditor's
// own credentials, STS's throttling or the run's time does not.
func TestAssumeHintSaysWhatToCheck(t *testing.T) {
	role := RoleARN("aws", "222222222222", DefaultMemberRole)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"the role refused", &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform sts:AssumeRole"}, "trusts the auditor's role"},
		{"the auditor's credentials expired", &smithy.GenericAPIError{Code: "ExpiredToken", Message: "expired"}, "the auditor's own credentials (ExpiredToken)"},
		{"throttled", &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}, "STS throttled"},
		{"STS off in the region", &smithy.GenericAPIError{Code: "RegionDisabledException", Message: "STS is not activated"}, "STS is not activated in this region"},
		{"out of time", context.DeadlineExceeded, "ran out of time"},
	} {
		member := MemberConfig(aws.Config{}, &fakeSTS{refuse: tc.err}, role, "222222222222")
		var f *audit.Failure
		if err := Assume(context.Background(), member, role); !errors.As(err, &f) || !strings.Contains(f.Hint, tc.want) {
			t.Errorf("%s: %v; want a hint saying %q", tc.name, err, tc.want)
		}
	}
}

// A member account's run hints a refused credential report to the member
// role it called IAM as, not the function's role, which has no IAM
// permissions; the function's own account's run, to the function's role.
func TestUseMemberHintsTheRoleCalledAs(t *testing.T) {
	role := RoleARN("aws", "222222222222", DefaultMemberRole)
	for roleARN, want := range map[string]string{role: "grant the member role " + role + " iam:", "": "grant the function's role iam:"} {
		aud := &audit.Auditor{}
		UseMember(aud, aws.Config{}, roleARN, nil)
		if aud.Hub != nil {
			t.Errorf("%q: a Security Hub client without one to copy", roleARN)
		}
		aud.IAM = refusingIAM{aud.IAM}
		_, err := aud.Observe(context.Background())
		var f *audit.Failure
		if !errors.As(err, &f) || f.Phase != "acquire" || !strings.HasPrefix(f.Hint, want) {
			t.Errorf("%q: %v (hint %q); want an acquire failure hinted %q…", roleARN, err, f.Hint, want)
		}
	}
}

// refusingIAM refuses the credential report as IAM does a principal
// without the permission.
type refusingIAM struct{ audit.IAMAPI }

func (refusingIAM) GenerateCredentialReport(context.Context, *iam.GenerateCredentialReportInput, ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform iam:GenerateCredentialReport"}
}

func (refusingIAM) GetCredentialReport(context.Context, *iam.GetCredentialReportInput, ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform iam:GetCredentialReport"}
}
