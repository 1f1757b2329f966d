package audit

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/state"
)

// calls counts the AWS calls of runs, across fresh fakes.
type calls struct {
	getReport, generate      int
	importRequests, imported int
	publishes                int
	stateLoads, stateSaves   int
}

func (c *calls) report(b *testing.B, runs int) {
	n := float64(runs)
	b.ReportMetric(float64(c.getReport)/n, "GetCredentialReport/run")
	b.ReportMetric(float64(c.generate)/n, "GenerateCredentialReport/run")
	b.ReportMetric(float64(c.importRequests)/n, "BatchImportFindings/run")
	b.ReportMetric(float64(c.imported)/n, "imported/run")
	b.ReportMetric(float64(c.publishes)/n, "Publish/run")
	b.ReportMetric(float64(c.stateLoads+c.stateSaves)/n, "state-objects/run")
}

type countingIAM struct {
	fakeIAM
	c *calls
}

func (f *countingIAM) GetCredentialReport(ctx context.Context, in *iam.GetCredentialReportInput, o ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	f.c.getReport++
	return f.fakeIAM.GetCredentialReport(ctx, in, o...)
}

func (f *countingIAM) GenerateCredentialReport(ctx context.Context, in *iam.GenerateCredentialReportInput, o ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error) {
	f.c.generate++
	return f.fakeIAM.GenerateCredentialReport(ctx, in, o...)
}

type countingHub struct {
	fakeHub
	c *calls
}

func (h *countingHub) BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, o ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	h.c.importRequests++
	h.c.imported += len(in.Findings)
	return h.fakeHub.BatchImportFindings(ctx, in, o...)
}

type countingSNS struct {
	fakeSNS
	c *calls
}

func (s *countingSNS) Publish(ctx context.Context, in *sns.PublishInput, o ...func(*sns.Options)) (*sns.PublishOutput, error) {
	s.c.publishes++
	return s.fakeSNS.Publish(ctx, in, o...)
}

// countingStore counts state reads and writes: one S3 GetObject or
// PutObject each.
type countingStore struct {
	state.Store
	c *calls
}

func (s *countingStore) Load(ctx context.Context, acct string) (*state.State, state.Token, error) {
	s.c.stateLoads++
	return s.Store.Load(ctx, acct)
}

func (s *countingStore) Save(ctx context.Context, acct string, st *state.State, t state.Token) (state.Token, error) {
	s.c.stateSaves++
	return s.Store.Save(ctx, acct, st, t)
}

// countingAuditor is an Auditor over a 5,000-user report (profile all)
// whose fakes count into c.
func countingAuditor(b *testing.B, report []byte, c *calls) *Auditor {
	a := newRig(b, "").a
	a.IAM = &countingIAM{fakeIAM: fakeIAM{report: report, generated: credreporttest.AsOf}, c: c}
	a.Hub.Client = &countingHub{c: c}
	a.Topic = &countingSNS{c: c}
	a.Store = &countingStore{Store: state.NewDir(b.TempDir()), c: c}
	a.Now = func() time.Time { return credreporttest.AsOf.Add(2 * time.Hour) }
	return a
}

// BenchmarkRunAPICalls is one scheduled run over a 5,000-user account: the
// first run, and a steady-state run over an unchanged account. It reports
// the AWS calls and imported findings per run; the steady state's target is
// 1 GetCredentialReport, 0 imports and 0 publishes.
func BenchmarkRunAPICalls(b *testing.B) {
	report := credreporttest.Generate(5000, 1)
	b.Run("first", func(b *testing.B) {
		var c calls
		runs := 0
		for b.Loop() {
			b.StopTimer()
			a := countingAuditor(b, report, &c)
			b.StartTimer()
			if _, err := a.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
			runs++
		}
		c.report(b, runs)
	})
	b.Run("steady", func(b *testing.B) {
		var c calls
		a := countingAuditor(b, report, &c)
		if _, err := a.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		c = calls{}
		runs := 0
		for b.Loop() {
			if _, err := a.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
			runs++
		}
		c.report(b, runs)
	})
}
