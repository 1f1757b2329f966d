package audit

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/rules"
)

// AccountAPI is what ReadAccount calls.
type AccountAPI interface {
	GetAccountSummary(ctx context.Context, in *iam.GetAccountSummaryInput, optFns ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
	iam.ListVirtualMFADevicesAPIClient
}

// ReadAccount reads what the report cannot say about root: whether its MFA
// device is virtual (ListVirtualMFADevices, matched on the device's user ARN,
// not its legacy serial) and whether a root password exists (GetAccountSummary).
func ReadAccount(ctx context.Context, client AccountAPI, rep *credreport.Report) (*rules.Account, error) {
	sum, err := client.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		return nil, fmt.Errorf("iam:GetAccountSummary: %w", err)
	}
	acct := &rules.Account{
		RootMFAEnabled:      sum.SummaryMap[string(types.SummaryKeyTypeAccountMFAEnabled)] == 1,
		RootPasswordPresent: sum.SummaryMap[string(types.SummaryKeyTypeAccountPasswordPresent)] == 1,
	}
	rootARN := credreport.RootARN(rep.Partition, rep.AccountID)
	pages := iam.NewListVirtualMFADevicesPaginator(client, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAssigned})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("iam:ListVirtualMFADevices: %w", err)
		}
		for _, d := range page.VirtualMFADevices {
			if d.User != nil && aws.ToString(d.User.Arn) == rootARN {
				acct.RootVirtualMFA = true
			}
		}
	}
	return acct, nil
}
