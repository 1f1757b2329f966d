package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/state"
)

// generatedAt is the sample report's generation time.
var generatedAt = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)

const sampleAccount = "123456789012"

func sampleReport(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "events", "sample-report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fakeIAM serves one report (or an error) and the account facts (or
// accountErr).
type fakeIAM struct {
	report     []byte
	generated  time.Time
	err        error
	accountErr error
	alias      string
	// accountCalls counts the calls for the account facts.
	accountCalls int
}

func (f *fakeIAM) GetCredentialReport(context.Context, *iam.GetCredentialReportInput, ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &iam.GetCredentialReportOutput{Content: f.report, GeneratedTime: aws.Time(f.generated), ReportFormat: iamtypes.ReportFormatTypeTextCsv}, nil
}

func (f *fakeIAM) GenerateCredentialReport(context.Context, *iam.GenerateCredentialReportInput, ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error) {
	return &iam.GenerateCredentialReportOutput{State: iamtypes.ReportStateTypeComplete}, f.err
}

func (f *fakeIAM) GetAccountSummary(context.Context, *iam.GetAccountSummaryInput, ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error) {
	f.accountCalls++
	if f.accountErr != nil {
		return nil, f.accountErr
	}
	// As the sample report's root: a password, no MFA.
	return &iam.GetAccountSummaryOutput{SummaryMap: map[string]int32{"AccountMFAEnabled": 0, "AccountPasswordPresent": 1}}, nil
}

func (f *fakeIAM) ListVirtualMFADevices(context.Context, *iam.ListVirtualMFADevicesInput, ...func(*iam.Options)) (*iam.ListVirtualMFADevicesOutput, error) {
	f.accountCalls++
	return &iam.ListVirtualMFADevicesOutput{}, nil
}

func (f *fakeIAM) ListAccountAliases(context.Context, *iam.ListAccountAliasesInput, ...func(*iam.Options)) (*iam.ListAccountAliasesOutput, error) {
	if f.alias == "" {
		return &iam.ListAccountAliasesOutput{}, nil
	}
	return &iam.ListAccountAliasesOutput{AccountAliases: []string{f.alias}}, nil
}

// fakeHub keeps imported findings by ID, refuses the IDs in refuse, and
// records workflow updates.
type fakeHub struct {
	mu       sync.Mutex
	findings map[string]shtypes.AwsSecurityFinding
	imports  int // findings received
	refuse   map[string]bool
	// refuseAll, when set, is the error code with which every finding is
	// refused, as Security Hub refuses them when it is not enabled
	// (InvalidAccess) or denies access (AccessDeniedException).
	refuseAll string
	err       error
	errFrom   int // with err, the first BatchImportFindings request it fails (0: every one)
	requests  int // BatchImportFindings requests made
	workflow  []*securityhub.BatchUpdateFindingsInput
	// refuseWorkflow lists IDs BatchUpdateFindings leaves unprocessed.
	refuseWorkflow map[string]bool
	// workflowErr fails BatchUpdateFindings after it applied the update (a
	// response lost on the way back).
	workflowErr error
}

func (h *fakeHub) BatchImportFindings(_ context.Context, in *securityhub.BatchImportFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests++
	if h.err != nil && h.requests >= h.errFrom {
		return nil, h.err
	}
	if h.findings == nil {
		h.findings = map[string]shtypes.AwsSecurityFinding{}
	}
	out := &securityhub.BatchImportFindingsOutput{}
	for _, f := range in.Findings {
		h.imports++
		if h.refuseAll != "" || h.refuse[*f.Id] {
			code := "InvalidInput"
			if h.refuseAll != "" {
				code = h.refuseAll
			}
			out.FailedFindings = append(out.FailedFindings, shtypes.ImportFindingsError{Id: f.Id, ErrorCode: aws.String(code), ErrorMessage: aws.String("refused by the test")})
			continue
		}
		held, ok := h.findings[*f.Id]
		if ok && !after(*f.UpdatedAt, *held.UpdatedAt) {
			continue // as Security Hub silently ignores an import not later than the one it holds
		}
		if !ok && *f.CreatedAt != *f.UpdatedAt {
			out.FailedFindings = append(out.FailedFindings, creationRefused(f))
			continue
		}
		h.findings[*f.Id] = f
	}
	out.FailedCount = aws.Int32(int32(len(out.FailedFindings)))
	out.SuccessCount = aws.Int32(int32(len(in.Findings) - len(out.FailedFindings)))
	return out, nil
}

// creationRefused is the error for an import that would create a finding
// whose CreatedAt is not its UpdatedAt (aws-facts §2.7: "On creation they
// must be equal").
func creationRefused(f shtypes.AwsSecurityFinding) shtypes.ImportFindingsError {
	return shtypes.ImportFindingsError{Id: f.Id, ErrorCode: aws.String("InvalidInput"),
		ErrorMessage: aws.String(fmt.Sprintf("a new finding's CreatedAt %s is not its UpdatedAt %s", *f.CreatedAt, *f.UpdatedAt))}
}

func (h *fakeHub) BatchUpdateFindings(_ context.Context, in *securityhub.BatchUpdateFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchUpdateFindingsOutput, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.workflow = append(h.workflow, in)
	out := &securityhub.BatchUpdateFindingsOutput{}
	for _, id := range in.FindingIdentifiers {
		if h.refuseWorkflow[*id.Id] {
			out.UnprocessedFindings = append(out.UnprocessedFindings, shtypes.BatchUpdateFindingsUnprocessedFinding{
				FindingIdentifier: &id, ErrorCode: aws.String("FindingNotFound"), ErrorMessage: aws.String("refused by the test")})
			continue
		}
		out.ProcessedFindings = append(out.ProcessedFindings, id)
	}
	if h.workflowErr != nil {
		return nil, h.workflowErr
	}
	return out, nil
}

// workflowOf is the workflow statuses the recorded updates set on the
// finding id, in order.
func (h *fakeHub) workflowOf(id string) []shtypes.WorkflowStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []shtypes.WorkflowStatus
	for _, in := range h.workflow {
		for _, fi := range in.FindingIdentifiers {
			if aws.ToString(fi.Id) == id {
				out = append(out, in.Workflow.Status)
			}
		}
	}
	return out
}

// notesOf is the notes of the workflow updates sent for finding id, in order.
func (h *fakeHub) notesOf(id string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, in := range h.workflow {
		for _, fi := range in.FindingIdentifiers {
			if aws.ToString(fi.Id) == id && in.Note != nil {
				out = append(out, aws.ToString(in.Note.Text))
			}
		}
	}
	return out
}

// fakeSNS records messages, or fails.
type fakeSNS struct {
	sent    []*sns.PublishInput
	err     error
	refused int // calls refused with err
}

func (s *fakeSNS) Publish(ctx context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	if s.err != nil {
		s.refused++
		return nil, s.err
	}
	if err := ctx.Err(); err != nil { // as the SDK refuses to start a call
		return nil, err
	}
	s.sent = append(s.sent, in)
	return &sns.PublishOutput{MessageId: aws.String("m")}, nil
}

func (s *fakeSNS) take() []*sns.PublishInput {
	out := s.sent
	s.sent = nil
	return out
}

// rig is an Auditor wired to fakes and a state directory.
type rig struct {
	iam   *fakeIAM
	hub   *fakeHub
	sns   *fakeSNS
	dir   string
	store *state.Dir
	a     *Auditor
}

func newRig(t testing.TB, cfgYAML string) *rig {
	t.Helper()
	r := &rig{iam: &fakeIAM{report: sampleReport(t), generated: generatedAt, alias: "acme-prod"}, hub: &fakeHub{}, sns: &fakeSNS{}, dir: t.TempDir()}
	r.store = state.NewDir(r.dir)
	var cfg *config.Config
	if cfgYAML != "" {
		var err error
		if cfg, err = config.Parse("credaudit.yaml", []byte(cfgYAML)); err != nil {
			t.Fatal(err)
		}
	}
	selected, profile, err := cfg.Selection("all")
	if err != nil {
		t.Fatal(err)
	}
	r.a = &Auditor{
		IAM: r.iam, Selected: selected, Profile: profile, Store: r.store,
		Hub:       importer(r.hub),
		HubRegion: "eu-west-1", Topic: r.sns, TopicARN: "arn:aws:sns:eu-west-1:123456789012:credaudit",
		Now: func() time.Time { return generatedAt.Add(2 * time.Hour) },
	}
	if cfg != nil {
		r.a.Suppressions = cfg.Suppressions
	}
	return r
}

// importer imports into h without waiting.
func importer(h *fakeHub) *publish.Importer {
	return &publish.Importer{Client: h, RatePerSecond: 1e6, Sleep: func(context.Context, time.Duration) error { return nil }}
}

// home makes h, in region, the Security Hub home region the rig's runs
// publish to.
func (r *rig) home(h *fakeHub, region string) {
	r.a.Hub, r.a.HubRegion = importer(h), region
}

// on moves the rig days after the sample report: the report is generated
// then, and audited two hours later.
func (r *rig) on(days int) {
	r.iam.generated = generatedAt.Add(time.Duration(days) * 24 * time.Hour)
	r.a.Now = func() time.Time { return r.iam.generated.Add(2 * time.Hour) }
}

// mfaOff and mfaOn are bob's password_next_rotation and mfa_active cells in
// the sample report, with MFA off (as it is) and on.
var (
	mfaOff = []byte(",2024-02-01T08:30:00+00:00,N/A,false,")
	mfaOn  = []byte(",2024-02-01T08:30:00+00:00,N/A,true,")
)

// setMFA turns bob's MFA off or on in the report: replaces from (mfaOff or
// mfaOn) with to, failing if the report lacks it.
func (r *rig) setMFA(t *testing.T, from, to []byte) {
	t.Helper()
	if !bytes.Contains(r.iam.report, from) {
		t.Fatal("the sample report changed: bob's MFA column not found")
	}
	r.iam.report = bytes.Replace(r.iam.report, from, to, 1)
}

// stateBytes is the saved state file, nil when there is none.
func (r *rig) stateBytes(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(r.store.File(sampleAccount))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// apiError is an AWS error with a code, as the SDK returns them.
func apiError(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

// after reports whether RFC 3339 time a is later than b.
func after(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339Nano, a)
	tb, errB := time.Parse(time.RFC3339Nano, b)
	return errA == nil && errB == nil && ta.After(tb)
}
