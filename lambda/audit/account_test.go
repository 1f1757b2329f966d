package audit

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/credaudit/credaudit/lambda/credreport"
)

// fakeAccount serves GetAccountSummary and ListVirtualMFADevices from pages.
type fakeAccount struct {
	summary    map[string]int32
	summaryErr error
	pages      [][]types.VirtualMFADevice
	calls      int
}

func (f *fakeAccount) GetAccountSummary(context.Context, *iam.GetAccountSummaryInput, ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error) {
	return &iam.GetAccountSummaryOutput{SummaryMap: f.summary}, f.summaryErr
}

func (f *fakeAccount) ListVirtualMFADevices(_ context.Context, in *iam.ListVirtualMFADevicesInput, _ ...func(*iam.Options)) (*iam.ListVirtualMFADevicesOutput, error) {
	if in.AssignmentStatus != types.AssignmentStatusTypeAssigned {
		return nil, errors.New("want only assigned devices")
	}
	page := f.pages[f.calls]
	f.calls++
	out := &iam.ListVirtualMFADevicesOutput{VirtualMFADevices: page}
	if f.calls < len(f.pages) {
		out.IsTruncated, out.Marker = true, aws.String("next")
	}
	return out, nil
}

func device(userARN string) types.VirtualMFADevice {
	return types.VirtualMFADevice{SerialNumber: aws.String("arn:aws:iam::123456789012:mfa/x"), User: &types.User{Arn: aws.String(userARN)}}
}

func TestReadAccountMatchesRootsVirtualMFAByUserARNAcrossPages(t *testing.T) {
	rep := &credreport.Report{AccountID: "123456789012", Partition: "aws"}
	tests := []struct {
		name    string
		pages   [][]types.VirtualMFADevice
		virtual bool
	}{
		{"root's device on the second page", [][]types.VirtualMFADevice{{device("arn:aws:iam::123456789012:user/bob")}, {device("arn:aws:iam::123456789012:root")}}, true},
		{"only users have virtual devices", [][]types.VirtualMFADevice{{device("arn:aws:iam::123456789012:user/bob")}}, false},
		{"another account's root", [][]types.VirtualMFADevice{{device("arn:aws:iam::999999999999:root")}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakeAccount{summary: map[string]int32{"AccountMFAEnabled": 1, "AccountPasswordPresent": 0}, pages: tc.pages}
			acct, err := ReadAccount(context.Background(), api, rep)
			if err != nil {
				t.Fatal(err)
			}
			if acct.RootVirtualMFA != tc.virtual || !acct.RootMFAEnabled || acct.RootPasswordPresent {
				t.Errorf("account = %+v, want virtual %v, MFA enabled, no password", acct, tc.virtual)
			}
			if api.calls != len(tc.pages) {
				t.Errorf("read %d pages, want %d", api.calls, len(tc.pages))
			}
		})
	}
	_, err := ReadAccount(context.Background(), &fakeAccount{summaryErr: errors.New("denied")}, rep)
	if err == nil || !strings.Contains(err.Error(), "iam:GetAccountSummary") {
		t.Errorf("error %v does not name iam:GetAccountSummary", err)
	}
}
