package org

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/smithy-go"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/internal/lazyre"
	"github.com/credaudit/credaudit/lambda/publish"
)

// DefaultMemberRole is the name of the role credaudit assumes in each
// member account.
const DefaultMemberRole = "credaudit-member"

var roleName = lazyre.New(`^[\w+=,.@-]{1,64}$`)

// IsRoleName reports whether name can name an IAM role: up to 64 letters,
// digits and +=,.@_- (a path is not part of it).
func IsRoleName(name string) bool { return roleName().MatchString(name) }

// RoleNameRule is what IsRoleName takes, for an error's sake.
const RoleNameRule = "not an IAM role name (up to 64 letters, digits and +=,.@_-)"

// RoleARN is the ARN of the role named name in account acct.
func RoleARN(partition, acct, name string) string {
	return "arn:" + partition + ":iam::" + acct + ":role/" + name
}

// MemberConfig is cfg acting as roleARN in account acct: credentials from
// AssumeRole (called with cfg's own credentials through client), cached and
// renewed before they expire. The session lasts one hour, the most a
// chained role session may, and is named after the account so the
// member's CloudTrail says who called.
func MemberConfig(cfg aws.Config, client stscreds.AssumeRoleAPIClient, roleARN, acct string) aws.Config {
	member := cfg.Copy()
	member.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, roleARN,
		func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "credaudit-" + acct
			o.Duration = time.Hour
		}))
	return member
}

// Assume obtains member's credentials for roleARN now, so that a role
// that cannot be assumed fails the account's run as such rather than as
// the first API call that needed it. Its error is a *audit.Failure.
func Assume(ctx context.Context, member aws.Config, roleARN string) error {
	if _, err := member.Credentials.Retrieve(ctx); err != nil {
		return &audit.Failure{Phase: audit.PhaseAssumeRole, Err: fmt.Errorf("%s: %w", roleARN, err), Hint: assumeHint(err)}
	}
	return nil
}

// assumeHint says what to check after AssumeRole failed with err: the
// member role and its trust when STS refused the role, else the auditor's
// own credentials, STS's throttling or the run's time.
func assumeHint(err error) string {
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "the run ran out of time assuming the member role; the next run tries again."
	case code == "ExpiredToken", code == "InvalidClientTokenId", code == "SignatureDoesNotMatch", code == "UnrecognizedClientException":
		return "STS refused the auditor's own credentials (" + code + "), not the member role: check the credentials the run was started with."
	case code == "RegionDisabledException":
		return "STS is not activated in this region for the member account; activate it (IAM account settings) or call STS in another region."
	case retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool():
		return "STS throttled the AssumeRole calls; lower the run's concurrency, or let the next run try again."
	}
	return "check that the member role exists in the account and trusts the auditor's role (its trust policy and any aws:PrincipalOrgID condition)."
}

// UseMember points aud at a member account through member (from
// MemberConfig for roleARN; "" for the caller's own account): its IAM, and,
// when hub is not nil, its Security Hub in aud.HubRegion through a copy of
// hub, since Security Hub accepts an account's findings only from that
// account.
func UseMember(aud *audit.Auditor, member aws.Config, roleARN string, hub *publish.Importer) {
	aud.IAM = iam.NewFromConfig(member)
	if roleARN != "" {
		aud.Caller = "the member role " + roleARN
	}
	if hub != nil {
		im := *hub
		im.Client = securityhub.NewFromConfig(member, func(o *securityhub.Options) { o.Region = aud.HubRegion })
		aud.Hub = &im
	}
}

// AuditFunc audits one account; it returns the outcome, the error, or
// both (an audit that saw but could not publish everything).
type AuditFunc func(ctx context.Context, acct Account) (*audit.Outcome, error)

// Progress is how far a run has come.
type Progress struct {
	Done, Failed, Total int
}

// Run audits accounts with at most concurrency audits at a time and
// returns one AccountRun per account, in the order of accounts. An
// account's error is recorded in its AccountRun and never stops the
// others; a cancelled ctx marks the accounts not yet started as failed.
// progress, when not nil, is called after each account, from one
// goroutine at a time.
func Run(ctx context.Context, accounts []Account, concurrency int, run AuditFunc, progress func(Progress)) []audit.AccountRun {
	concurrency = max(1, min(concurrency, len(accounts)))
	out := make([]audit.AccountRun, len(accounts))
	jobs := make(chan int)
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		p  = Progress{Total: len(accounts)}
	)
	for range concurrency {
		wg.Go(func() {
			for i := range jobs {
				r := auditOne(ctx, accounts[i], run)
				mu.Lock()
				out[i] = r
				p.Done++
				if r.Failed() {
					p.Failed++
				}
				if progress != nil {
					progress(p)
				}
				mu.Unlock()
			}
		})
	}
	for i := range accounts {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out
}

func auditOne(ctx context.Context, acct Account, run AuditFunc) (r audit.AccountRun) {
	r = audit.AccountRun{AccountID: acct.ID, Name: acct.Name}
	if err := ctx.Err(); err != nil {
		r.Error = "not audited: " + err.Error()
		return r
	}
	out, err := run(ctx, acct)
	if out != nil {
		r.Summary = audit.Summarize(out)
	}
	if err != nil {
		r.Error = Describe(err)
	}
	return r
}

// Describe is err as the organisation digest says it: the phase that
// failed, the error, and what to check.
func Describe(err error) string {
	var f *audit.Failure
	if errors.As(err, &f) {
		s := f.Error()
		if f.Hint != "" {
			s += " (" + f.Hint + ")"
		}
		return s
	}
	return fmt.Sprint(err)
}
