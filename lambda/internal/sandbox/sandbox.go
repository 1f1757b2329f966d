// Package sandbox builds an example account in an AWS emulator: the
// resources the deployed function uses (state bucket, topic with a queue
// subscribed to read the digest, Security Hub) and IAM users in varied
// states. The end-to-end tests and `make demo` share it.
package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Event is the sample event in file (events/scheduler.json,
// events/eventbridge-scheduled.json) as one firing of the schedule sends it:
// with delivery as its ID (Scheduler's executionId, EventBridge's id), as
// each firing has its own, and the function does nothing for a second
// delivery of one. An event without an ID is returned as it is.
func Event(file, delivery string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	key := "executionId"
	if _, ok := ev["detail-type"]; ok {
		key = "id"
	}
	if _, ok := ev[key]; !ok {
		return data, nil
	}
	if ev[key], err = json.Marshal(delivery); err != nil {
		return nil, err
	}
	return json.Marshal(ev)
}

// Account is an emulated account with the function's resources.
type Account struct {
	Config   aws.Config
	IAM      *iam.Client
	Hub      *securityhub.Client
	SQS      *sqs.Client
	Bucket   string
	TopicARN string
	QueueURL string
}

// New creates the state bucket, the topic, a queue subscribed to it, and
// enables Security Hub, in the emulator cfg points at, in cfg's region.
func New(ctx context.Context, cfg aws.Config, bucket string) (*Account, error) {
	a := &Account{Config: cfg, IAM: iam.NewFromConfig(cfg), Hub: securityhub.NewFromConfig(cfg), SQS: sqs.NewFromConfig(cfg), Bucket: bucket}
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if cfg.Region != "us-east-1" { // S3 wants the region named everywhere else
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(cfg.Region)}
	}
	if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, in); err != nil {
		return nil, fmt.Errorf("create bucket: %w", err)
	}
	snsc := sns.NewFromConfig(cfg)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("credaudit")})
	if err != nil {
		return nil, fmt.Errorf("create topic: %w", err)
	}
	a.TopicARN = *topic.TopicArn
	if a.QueueURL, err = a.Subscribe(ctx, "credaudit-digest", ""); err != nil {
		return nil, err
	}
	if _, err := a.Hub.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{}); err != nil {
		return nil, fmt.Errorf("enable Security Hub: %w", err)
	}
	return a, nil
}

// Message is an SNS notification as the subscribed queue receives it.
type Message struct {
	Subject    string
	Body       string
	Attributes map[string]string
}

// Subscribe creates a queue called name, subscribes it to the topic with
// the subscription filter policy (SNS's JSON, on the message attributes;
// "" for none), and returns its URL, for DrainQueue.
func (a *Account) Subscribe(ctx context.Context, name, policy string) (string, error) {
	q, err := a.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("create queue %s: %w", name, err)
	}
	attrs, err := a.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", fmt.Errorf("queue %s ARN: %w", name, err)
	}
	in := &sns.SubscribeInput{TopicArn: aws.String(a.TopicARN), Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"])}
	if policy != "" {
		in.Attributes = map[string]string{"FilterPolicy": policy}
	}
	if _, err := sns.NewFromConfig(a.Config).Subscribe(ctx, in); err != nil {
		return "", fmt.Errorf("subscribe queue %s: %w", name, err)
	}
	return *q.QueueUrl, nil
}

// Drain returns every message on the queue and deletes it. The emulator
// delivers to the queue before Publish returns, so no wait is needed.
func (a *Account) Drain(ctx context.Context) ([]Message, error) {
	return a.DrainQueue(ctx, a.QueueURL)
}

// DrainQueue is Drain for the queue at url (Subscribe).
func (a *Account) DrainQueue(ctx context.Context, url string) ([]Message, error) {
	var out []Message
	for {
		got, err := a.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			return nil, fmt.Errorf("receive: %w", err)
		}
		if len(got.Messages) == 0 {
			return out, nil
		}
		for _, m := range got.Messages {
			var env struct {
				Subject           string
				Message           string
				MessageAttributes map[string]struct{ Type, Value string }
			}
			if err := json.Unmarshal([]byte(*m.Body), &env); err != nil {
				return nil, fmt.Errorf("queue message is not an SNS envelope: %w", err)
			}
			msg := Message{Subject: env.Subject, Body: env.Message, Attributes: map[string]string{}}
			for k, v := range env.MessageAttributes {
				msg.Attributes[k] = v.Value
			}
			out = append(out, msg)
			if _, err := a.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return nil, fmt.Errorf("delete: %w", err)
			}
		}
	}
}

// ErrDuplicate is returned by Findings when Security Hub holds the same
// finding ID twice.
var ErrDuplicate = errors.New("finding in Security Hub twice")

// Findings returns Security Hub's findings by ID (the emulator ignores
// filters, so this is every finding in the account and region).
func (a *Account) Findings(ctx context.Context) (map[string]shtypes.AwsSecurityFinding, error) {
	out := map[string]shtypes.AwsSecurityFinding{}
	pages := securityhub.NewGetFindingsPaginator(a.Hub, &securityhub.GetFindingsInput{MaxResults: aws.Int32(100)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("get findings: %w", err)
		}
		for _, f := range page.Findings {
			if _, dup := out[*f.Id]; dup {
				return nil, fmt.Errorf("%w: %s", ErrDuplicate, *f.Id)
			}
			out[*f.Id] = f
		}
	}
	return out, nil
}

// Step changes a user.
type Step func(ctx context.Context, a *Account, user string) error

// CreateUser creates an IAM user and applies steps to it.
func (a *Account) CreateUser(ctx context.Context, name string, steps ...Step) error {
	if _, err := a.IAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		return fmt.Errorf("create user %s: %w", name, err)
	}
	for _, s := range steps {
		if err := s(ctx, a, name); err != nil {
			return err
		}
	}
	return nil
}

// Password gives the user a console password.
func Password(ctx context.Context, a *Account, user string) error {
	_, err := a.IAM.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(user), Password: aws.String("Correct-Horse-9")})
	return wrap("console password for "+user, err)
}

// AccessKey gives the user an active access key.
func AccessKey(ctx context.Context, a *Account, user string) error {
	_, err := a.IAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	return wrap("access key for "+user, err)
}

// MFA enables a virtual MFA device for the user.
func MFA(ctx context.Context, a *Account, user string) error {
	dev, err := a.IAM.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(user + "-mfa")})
	if err != nil {
		return wrap("MFA device for "+user, err)
	}
	_, err = a.IAM.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(user), SerialNumber: dev.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	return wrap("enable MFA for "+user, err)
}

// DeactivateSecondKey deactivates the second of the user's two access keys.
func DeactivateSecondKey(ctx context.Context, a *Account, user string) error {
	keys, err := a.IAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		return wrap("list keys of "+user, err)
	}
	if len(keys.AccessKeyMetadata) != 2 {
		return fmt.Errorf("%s has %d access keys, want 2", user, len(keys.AccessKeyMetadata))
	}
	_, err = a.IAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(user),
		AccessKeyId: keys.AccessKeyMetadata[1].AccessKeyId, Status: iamtypes.StatusTypeInactive})
	return wrap("deactivate a key of "+user, err)
}

// DeleteUser deletes the user and its access keys.
func DeleteUser(ctx context.Context, a *Account, user string) error {
	keys, err := a.IAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		return wrap("list keys of "+user, err)
	}
	for _, k := range keys.AccessKeyMetadata {
		if _, err := a.IAM.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: k.AccessKeyId}); err != nil {
			return wrap("delete a key of "+user, err)
		}
	}
	_, err = a.IAM.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(user)})
	return wrap("delete user "+user, err)
}

// SeedExample creates the example account's users: alice signs in without
// MFA, bob has an access key and no MFA, carol has a password and two
// active keys, dave has a password and MFA.
func (a *Account) SeedExample(ctx context.Context) error {
	for _, u := range []struct {
		name  string
		steps []Step
	}{
		{"alice", []Step{Password}},
		{"bob", []Step{AccessKey}},
		{"carol", []Step{Password, AccessKey, AccessKey}},
		{"dave", []Step{Password, MFA}},
	} {
		if err := a.CreateUser(ctx, u.name, u.steps...); err != nil {
			return err
		}
	}
	return nil
}

// FixExample fixes some of SeedExample's users: alice enables MFA, carol
// deactivates her second key, bob leaves.
func (a *Account) FixExample(ctx context.Context) error {
	return errors.Join(MFA(ctx, a, "alice"), DeactivateSecondKey(ctx, a, "carol"), DeleteUser(ctx, a, "bob"))
}

func wrap(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Member is an account created in an emulated organisation, with clients
// acting in it.
type Member struct {
	ID string
	*Account
}

// OrgSuppressions configures suppressions for an Organisation of members
// named alpha and beta (and others): the one at line 2 mutes a failing
// result of alpha's alone; the one at 5 matches no failing result in any
// member; the one at 8, which would mute every member's, has expired.
const OrgSuppressions = `suppressions:
  - rule: USER-01
    user: dev-alpha
    reason: alpha's break-glass user
  - rule: USER-01
    user: nobody
    reason: left the company
  - rule: "*"
    user: dev-*
    reason: until the rollout
    expires: 2010-01-01
`

// Organisation creates an organisation in the account cfg acts in (its
// management account) and one member per name, each with Security Hub
// enabled, a role named role trusting the management account, and a user
// dev-<name> signing in without MFA. The emulator routes a request to the
// account of its credentials, so each member's resources are created
// through OrganizationAccountAccessRole assumed in it.
func Organisation(ctx context.Context, cfg aws.Config, role string, names ...string) ([]Member, error) {
	orgs := organizations.NewFromConfig(cfg)
	if _, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		return nil, fmt.Errorf("create organisation: %w", err)
	}
	caller, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("who is the management account: %w", err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + aws.ToString(caller.Account) + `:root"},"Action":"sts:AssumeRole"}]}`
	var members []Member
	for _, name := range names {
		out, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		if err != nil {
			return nil, fmt.Errorf("create account %s: %w", name, err)
		}
		id := aws.ToString(out.CreateAccountStatus.AccountId)
		mcfg := cfg.Copy()
		mcfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg),
			"arn:aws:iam::"+id+":role/OrganizationAccountAccessRole"))
		acct := &Account{Config: mcfg, IAM: iam.NewFromConfig(mcfg), Hub: securityhub.NewFromConfig(mcfg), SQS: sqs.NewFromConfig(mcfg)}
		// The account is new, so a role already there was made by this
		// request: the emulator carried out an attempt whose answer was
		// lost (under load), and the SDK's retry found the role made.
		_, err = acct.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)})
		if _, made := errors.AsType[*iamtypes.EntityAlreadyExistsException](err); err != nil && !made {
			return nil, fmt.Errorf("create the member role in %s: %w", id, err)
		}
		if _, err := acct.Hub.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{}); err != nil {
			return nil, fmt.Errorf("enable Security Hub in %s: %w", id, err)
		}
		if err := acct.CreateUser(ctx, "dev-"+name, Password); err != nil {
			return nil, fmt.Errorf("user in %s: %w", id, err)
		}
		members = append(members, Member{ID: id, Account: acct})
	}
	return members, nil
}
