package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/rules"
)

// fakeHub is a scripted SecurityHubAPI: each call records its input and is
// answered by the script (or succeeds when the script is nil).
type fakeHub struct {
	clock   *fakeClock
	latency time.Duration // advances the clock on every call

	importScript func(call int, in *securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error)
	updateScript func(call int, in *securityhub.BatchUpdateFindingsInput) (*securityhub.BatchUpdateFindingsOutput, error)

	imports []*securityhub.BatchImportFindingsInput
	updates []*securityhub.BatchUpdateFindingsInput
	at      []time.Time // clock reading at each call
}

func (h *fakeHub) BatchImportFindings(_ context.Context, in *securityhub.BatchImportFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	h.imports = append(h.imports, in)
	h.record()
	if h.importScript != nil {
		return h.importScript(len(h.imports), in)
	}
	return importOK(len(in.Findings)), nil
}

func (h *fakeHub) BatchUpdateFindings(_ context.Context, in *securityhub.BatchUpdateFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchUpdateFindingsOutput, error) {
	h.updates = append(h.updates, in)
	h.record()
	if h.updateScript != nil {
		return h.updateScript(len(h.updates), in)
	}
	return &securityhub.BatchUpdateFindingsOutput{ProcessedFindings: in.FindingIdentifiers}, nil
}

func (h *fakeHub) record() {
	if h.clock != nil {
		h.at = append(h.at, h.clock.now)
		h.clock.now = h.clock.now.Add(h.latency)
	}
}

func importOK(n int) *securityhub.BatchImportFindingsOutput {
	return &securityhub.BatchImportFindingsOutput{SuccessCount: aws.Int32(int32(n)), FailedCount: aws.Int32(0)}
}

// fakeClock records every sleep and advances by it; no test waits on the
// wall clock.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func newImporter(hub *fakeHub) (*Importer, *fakeClock) {
	clock := &fakeClock{now: runTime}
	hub.clock = clock
	return &Importer{
		Client: hub,
		Now:    clock.Now,
		Sleep:  clock.Sleep,
		Jitter: func(d time.Duration) time.Duration { return d }, // deterministic backoff
	}, clock
}

// generated returns n valid findings with distinct IDs.
func generated(t testing.TB, n int) []types.AwsSecurityFinding {
	t.Helper()
	out := make([]types.AwsSecurityFinding, n)
	for i := range out {
		e := userEntry(fmt.Sprintf("user%04d", i), "/generated/", firstSeen)
		f, err := ASFF(findingFor(&rules.Key01, e, rules.Failed, fmt.Sprintf("access key 1 is %d days old", 91+i)))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = f
	}
	return out
}

func ids(fs []types.AwsSecurityFinding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = aws.ToString(f.Id)
	}
	return out
}

func batchSizes(in []*securityhub.BatchImportFindingsInput) []int {
	out := make([]int, len(in))
	for i, b := range in {
		out[i] = len(b.Findings)
	}
	return out
}

func TestImportSplitsAt100Findings(t *testing.T) {
	hub := &fakeHub{}
	im, _ := newImporter(hub)
	findings := generated(t, 250)
	st, err := im.Import(t.Context(), findings)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{100, 100, 50}, batchSizes(hub.imports)); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
	var sent []string
	for _, in := range hub.imports {
		sent = append(sent, ids(in.Findings)...)
	}
	if diff := cmp.Diff(ids(findings), sent); diff != "" {
		t.Errorf("each finding sent once, in order (-want +got):\n%s", diff)
	}
	if want := (Stats{Requests: 3, Succeeded: 250}); st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
}

func TestImportSplitsAt6MB(t *testing.T) {
	// 49 product fields of 2,000 characters: about 100 KB per finding, so
	// 6 MB is reached long before 100 findings.
	findings := generated(t, 150)
	for i := range findings {
		findings[i].ProductFields = map[string]string{}
		for k := range 49 {
			findings[i].ProductFields[fmt.Sprintf("credaudit/Pad%02d", k)] = strings.Repeat(string(rune('a'+k%26)), 2000)
		}
	}
	hub := &fakeHub{}
	im, _ := newImporter(hub)
	if _, err := im.Import(t.Context(), findings); err != nil {
		t.Fatal(err)
	}
	if len(hub.imports) < 3 {
		t.Fatalf("%d requests for ~15 MB, want at least 3", len(hub.imports))
	}
	total := 0
	for i, in := range hub.imports {
		body := requestBody(t, in.Findings)
		if len(body) > MaxBatchBytes {
			t.Errorf("request %d is %d bytes, over %d", i, len(body), MaxBatchBytes)
		}
		if i < len(hub.imports)-1 {
			next, _ := Marshal(hub.imports[i+1].Findings[0])
			if len(body)+1+len(next) <= MaxBatchBytes && len(in.Findings) < MaxBatchFindings {
				t.Errorf("request %d (%d bytes) had room for the next finding", i, len(body))
			}
		}
		total += len(in.Findings)
	}
	if total != len(findings) {
		t.Errorf("%d findings sent, want %d", total, len(findings))
	}
}

// requestBody is the BatchImportFindings body as Marshal measures it.
func requestBody(t *testing.T, fs []types.AwsSecurityFinding) []byte {
	t.Helper()
	b := []byte(`{"Findings":[`)
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		m, err := Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, m...)
	}
	return append(b, "]}"...)
}

func TestBatchesBoundaries(t *testing.T) {
	const env = len(`{"Findings":[]}`)
	size := func(n int) int { return n }
	for _, tc := range []struct {
		name  string
		sizes []int
		want  []int // findings per batch
	}{
		{"nothing to send", nil, nil},
		{"exactly 100 findings is one batch", repeat(10, 100), []int{100}},
		{"101 findings is two batches", repeat(10, 101), []int{100, 1}},
		{"two findings filling 6 MB exactly", []int{3_000_000 - env, 3_000_000 - 1}, []int{2}},
		{"one byte more starts a new batch", []int{3_000_000 - env, 3_000_000}, []int{1, 1}},
		{"an oversized item gets a batch of its own", []int{10, 7_000_000, 10}, []int{1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, b := range batches(tc.sizes, size) {
				got = append(got, len(b))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("batches (-want +got):\n%s", diff)
			}
		})
	}
}

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestImportPacesRequests(t *testing.T) {
	t.Run("back-to-back requests are 100 ms apart", func(t *testing.T) {
		hub := &fakeHub{}
		im, clock := newImporter(hub)
		if _, err := im.Import(t.Context(), generated(t, 450)); err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}
		if diff := cmp.Diff(want, clock.sleeps); diff != "" {
			t.Errorf("sleeps (-want +got):\n%s", diff)
		}
		for i := 1; i < len(hub.at); i++ {
			if gap := hub.at[i].Sub(hub.at[i-1]); gap < 100*time.Millisecond {
				t.Errorf("requests %d and %d are %v apart", i-1, i, gap)
			}
		}
	})
	t.Run("slow requests need no sleep", func(t *testing.T) {
		hub := &fakeHub{latency: 150 * time.Millisecond}
		im, clock := newImporter(hub)
		if _, err := im.Import(t.Context(), generated(t, 300)); err != nil {
			t.Fatal(err)
		}
		if len(clock.sleeps) != 0 {
			t.Errorf("sleeps = %v, want none", clock.sleeps)
		}
	})
	t.Run("a configured rate of 2 per second", func(t *testing.T) {
		hub := &fakeHub{latency: 100 * time.Millisecond}
		im, clock := newImporter(hub)
		im.RatePerSecond = 2
		if _, err := im.Import(t.Context(), generated(t, 300)); err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{400 * time.Millisecond, 400 * time.Millisecond}
		if diff := cmp.Diff(want, clock.sleeps); diff != "" {
			t.Errorf("sleeps (-want +got):\n%s", diff)
		}
	})
	t.Run("the pace carries over to the next call", func(t *testing.T) {
		hub := &fakeHub{}
		im, clock := newImporter(hub)
		if _, err := im.Import(t.Context(), generated(t, 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := im.UpdateWorkflow(t.Context(), []FindingIdentifier{{ID: "x", ProductARN: DefaultProductARN("aws", region, account)}}, types.WorkflowStatusSuppressed, ""); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]time.Duration{100 * time.Millisecond}, clock.sleeps); diff != "" {
			t.Errorf("sleeps (-want +got):\n%s", diff)
		}
	})
}

func failedFinding(id, code string) types.ImportFindingsError {
	return types.ImportFindingsError{Id: aws.String(id), ErrorCode: aws.String(code), ErrorMessage: aws.String(code + " for " + id)}
}

// failing answers an import by failing the listed IDs with their codes.
func failing(codes map[string]string) func(int, *securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error) {
	return func(_ int, in *securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error) {
		out := &securityhub.BatchImportFindingsOutput{}
		for _, f := range in.Findings {
			if code, ok := codes[aws.ToString(f.Id)]; ok {
				out.FailedFindings = append(out.FailedFindings, failedFinding(aws.ToString(f.Id), code))
			}
		}
		out.FailedCount = aws.Int32(int32(len(out.FailedFindings)))
		out.SuccessCount = aws.Int32(int32(len(in.Findings) - len(out.FailedFindings)))
		return out, nil
	}
}

func TestImportRetriesFailedFindingsThenReportsThem(t *testing.T) {
	findings := generated(t, 5)
	id := ids(findings)
	scripts := []map[string]string{
		{id[1]: "InternalFailure", id[2]: "InternalFailure", id[3]: "InvalidInput"},
		{id[2]: "InternalFailure"},
		{},
	}
	hub := &fakeHub{}
	hub.importScript = func(call int, in *securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error) {
		return failing(scripts[call-1])(call, in)
	}
	im, clock := newImporter(hub)
	st, err := im.Import(t.Context(), findings)

	var sent [][]string
	for _, in := range hub.imports {
		sent = append(sent, ids(in.Findings))
	}
	if diff := cmp.Diff([][]string{id, {id[1], id[2]}, {id[2]}}, sent); diff != "" {
		t.Errorf("only transiently failed findings are re-sent (-want +got):\n%s", diff)
	}
	// Backoff 500 ms, then 1 s (no jitter in this test); the pace is met.
	if diff := cmp.Diff([]time.Duration{500 * time.Millisecond, time.Second}, clock.sleeps); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
	var ffe *FailedFindingsError
	if !errors.As(err, &ffe) {
		t.Fatalf("err = %v, want a *FailedFindingsError", err)
	}
	if diff := cmp.Diff([]string{id[3]}, ffe.IDs()); diff != "" {
		t.Errorf("failed IDs (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), id[3]) || !strings.Contains(err.Error(), "InvalidInput") {
		t.Errorf("error %q does not name the finding and its code", err)
	}
	if want := (Stats{Requests: 3, Succeeded: 4, Failed: 1, Retried: 3}); st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
}

func TestImportGivesUpAfterMaxAttempts(t *testing.T) {
	findings := generated(t, 2)
	id := ids(findings)
	hub := &fakeHub{importScript: failing(map[string]string{id[0]: "InternalFailure"})}
	im, clock := newImporter(hub)
	im.MaxAttempts = 5
	im.BaseDelay, im.MaxDelay = time.Second, 3*time.Second
	_, err := im.Import(t.Context(), findings)
	if len(hub.imports) != 5 {
		t.Errorf("%d requests, want 5 attempts", len(hub.imports))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}
	if diff := cmp.Diff(want, clock.sleeps); diff != "" {
		t.Errorf("capped exponential backoff (-want +got):\n%s", diff)
	}
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q (InternalFailure", id[0])) {
		t.Errorf("err = %v, want it to name %s and InternalFailure", err, id[0])
	}
}

func TestImportJitterStaysWithinHalfToFullDelay(t *testing.T) {
	findings := generated(t, 1)
	hub := &fakeHub{importScript: failing(map[string]string{ids(findings)[0]: "InternalFailure"})}
	im, clock := newImporter(hub)
	im.Jitter = nil
	im.MaxAttempts = 8
	_, _ = im.Import(t.Context(), findings)
	for i, d := range clock.sleeps {
		full := min(DefaultBaseDelay<<i, DefaultMaxDelay)
		if d < full/2 || d > full {
			t.Errorf("backoff %d = %v, want within [%v, %v]", i+1, d, full/2, full)
		}
	}
}

func TestImportChecksFindingsBeforeSending(t *testing.T) {
	findings := generated(t, 4)
	findings[1].Title = nil
	findings[2] = findings[0] // the same Id twice
	findings[3].Resources[0].Details = &types.ResourceDetails{Other: map[string]string{"blob": strings.Repeat("x", 250_000)}}
	hub := &fakeHub{}
	im, _ := newImporter(hub)
	st, err := im.Import(t.Context(), findings)
	if diff := cmp.Diff([]int{1}, batchSizes(hub.imports)); diff != "" {
		t.Errorf("only the valid finding is sent (-want +got):\n%s", diff)
	}
	var ffe *FailedFindingsError
	if !errors.As(err, &ffe) {
		t.Fatalf("err = %v, want a *FailedFindingsError", err)
	}
	var codes []string
	for _, f := range ffe.Findings {
		codes = append(codes, f.Code)
	}
	if diff := cmp.Diff([]string{CodeInvalidFinding, CodeDuplicate, CodeTooLarge}, codes); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	if st.Failed != 3 || st.Succeeded != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestImportExplainsRequestErrors(t *testing.T) {
	productARN := DefaultProductARN("aws", region, account)
	for _, tc := range []struct {
		name     string
		err      error
		is       error
		contains []string
	}{
		{"Security Hub not enabled", &types.InvalidAccessException{Message: aws.String("Account 123456789012 is not subscribed to AWS Security Hub")},
			ErrNotEnabled, []string{"enable Security Hub CSPM in account 123456789012, region eu-west-1"}},
		{"permission missing", &types.AccessDeniedException{Message: aws.String("not authorized to perform: securityhub:BatchImportFindings")},
			ErrAccessDenied, []string{"grant securityhub:BatchImportFindings on " + productARN, "import from account 123456789012 itself"}},
		{"product not found", &types.ResourceNotFoundException{Message: aws.String("no such product")},
			ErrNotEnabled, []string{productARN + " not found", "home region"}},
		{"access denied with an unmodelled code", &smithy.GenericAPIError{Code: "AccessDenied", Message: "denied"},
			ErrAccessDenied, []string{"securityhub:BatchImportFindings"}},
		{"throttling after the SDK's retries", &types.LimitExceededException{Message: aws.String("rate exceeded")},
			nil, []string{"BatchImportFindings (100 findings)", "rate exceeded"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := &fakeHub{importScript: func(int, *securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error) {
				return nil, tc.err
			}}
			im, _ := newImporter(hub)
			_, err := im.Import(t.Context(), generated(t, 150))
			if err == nil {
				t.Fatal("no error")
			}
			if len(hub.imports) != 1 {
				t.Errorf("%d requests, want the import to stop after the first", len(hub.imports))
			}
			for _, sentinel := range []error{ErrNotEnabled, ErrAccessDenied} {
				if want := sentinel == tc.is; errors.Is(err, sentinel) != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", sentinel, !want, want)
				}
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("the SDK error is not wrapped: %v", err)
			}
			for _, s := range append(tc.contains, "150 findings not sent") {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

// Findings refused one by one because Security Hub is not enabled, or
// access is denied, are not retried, and the error says what to fix before
// it lists them: a message cut short (the digest clips it) keeps the fix.
func TestImportReportsDisabledSecurityHubPerFinding(t *testing.T) {
	for _, tc := range []struct {
		code string
		is   error
		hint string
	}{
		{"InvalidAccess", ErrNotEnabled, "; enable Security Hub CSPM in account 123456789012, region eu-west-1"},
		{"AccessDeniedException", ErrAccessDenied, "; grant securityhub:BatchImportFindings on " + DefaultProductARN("aws", region, account)},
	} {
		t.Run(tc.code, func(t *testing.T) {
			findings := generated(t, 30)
			codes := map[string]string{}
			for _, id := range ids(findings) {
				codes[id] = tc.code
			}
			hub := &fakeHub{importScript: failing(codes)}
			im, _ := newImporter(hub)
			_, err := im.Import(t.Context(), findings)
			if len(hub.imports) != 1 {
				t.Errorf("%d requests, want %s not retried", len(hub.imports), tc.code)
			}
			if !errors.Is(err, tc.is) || !strings.HasPrefix(err.Error(), "BatchImportFindings: 30 findings failed"+tc.hint) {
				t.Errorf("err = %v, want %v saying first what to fix", err, tc.is)
			}
		})
	}
}

func TestImportStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	hub := &fakeHub{importScript: func(int, *securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error) {
		cancel()
		return importOK(100), nil
	}}
	im, _ := newImporter(hub)
	_, err := im.Import(ctx, generated(t, 250))
	if !errors.Is(err, context.Canceled) || len(hub.imports) != 1 {
		t.Errorf("err = %v after %d requests, want context.Canceled after 1", err, len(hub.imports))
	}
}

// A request error stops an import, and the error names what Security Hub
// may not have: the findings of that request that were still being sent
// (here the one retried), and every later batch; not those the requests
// before it took, nor those it took before the retry.
func TestImportStoppedNamesWhatItDidNotSend(t *testing.T) {
	findings := generated(t, 250)
	id := ids(findings)
	hub := &fakeHub{}
	hub.importScript = func(call int, in *securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error) {
		switch call {
		case 2: // the second batch: one refused for good, one to retry
			return failing(map[string]string{id[100]: "InvalidInput", id[101]: "InternalFailure"})(call, in)
		case 3:
			return nil, &smithy.GenericAPIError{Code: "InternalFailure", Message: "unavailable"}
		}
		return importOK(len(in.Findings)), nil
	}
	im, _ := newImporter(hub)
	st, err := im.Import(t.Context(), findings)
	var stop *StoppedError
	if !errors.As(err, &stop) {
		t.Fatalf("err = %v, want a *StoppedError", err)
	}
	if diff := cmp.Diff(append([]string{id[101]}, id[200:]...), stop.Unsent); diff != "" {
		t.Errorf("unsent (-want +got):\n%s", diff)
	}
	if stop.Failed == nil || !slices.Equal(stop.Failed.IDs(), []string{id[100]}) {
		t.Errorf("refused = %v, want %s", stop.Failed, id[100])
	}
	if want := (Stats{Requests: 3, Succeeded: 198, Failed: 1, Retried: 1}); st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	for _, want := range []string{"InternalFailure", "(import stopped; 51 of 250 findings not sent)", id[100] + `" (InvalidInput`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestUpdateWorkflowStoppedNamesWhatItDidNotSend(t *testing.T) {
	in := identifiers(250)
	hub := &fakeHub{updateScript: func(call int, req *securityhub.BatchUpdateFindingsInput) (*securityhub.BatchUpdateFindingsOutput, error) {
		if call == 2 {
			return nil, &types.AccessDeniedException{Message: aws.String("denied")}
		}
		return &securityhub.BatchUpdateFindingsOutput{ProcessedFindings: req.FindingIdentifiers}, nil
	}}
	im, _ := newImporter(hub)
	st, err := im.UpdateWorkflow(t.Context(), in, types.WorkflowStatusNew, "")
	var stop *StoppedError
	if !errors.As(err, &stop) || !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("err = %v, want a *StoppedError for access denied", err)
	}
	var want []string
	for _, id := range in[100:] {
		want = append(want, id.ID)
	}
	if diff := cmp.Diff(want, stop.Unsent); diff != "" {
		t.Errorf("unsent (-want +got):\n%s", diff)
	}
	if st.Succeeded != 100 || !strings.Contains(err.Error(), "(update stopped; 150 of 250 findings not sent)") {
		t.Errorf("stats %+v, error %q", st, err)
	}
}

func identifiers(n int) []FindingIdentifier {
	out := make([]FindingIdentifier, n)
	for i := range out {
		out[i] = FindingIdentifier{ID: fmt.Sprintf("%s/KEY-01/user%03d", account, i), ProductARN: DefaultProductARN("aws", region, account)}
	}
	return out
}

func TestUpdateWorkflowBatchesAndNotes(t *testing.T) {
	hub := &fakeHub{}
	im, _ := newImporter(hub)
	in := identifiers(150)
	in = append(in, in[3]) // a duplicate is sent once
	note := strings.Repeat("reviewed by security; ", 40)
	st, err := im.UpdateWorkflow(t.Context(), in, types.WorkflowStatusSuppressed, note)
	if err != nil {
		t.Fatal(err)
	}
	if len(hub.updates) != 2 || len(hub.updates[0].FindingIdentifiers) != 100 || len(hub.updates[1].FindingIdentifiers) != 50 {
		t.Fatalf("requests = %d, want 100 + 50 identifiers", len(hub.updates))
	}
	u := hub.updates[0]
	if u.Workflow.Status != types.WorkflowStatusSuppressed {
		t.Errorf("workflow = %s", u.Workflow.Status)
	}
	if n := Length(aws.ToString(u.Note.Text)); n > MaxNoteLength || !strings.HasSuffix(*u.Note.Text, TruncationMarker) {
		t.Errorf("note is %d characters, want truncated to %d", n, MaxNoteLength)
	}
	if aws.ToString(u.Note.UpdatedBy) != NoteUpdatedBy {
		t.Errorf("note author = %q", aws.ToString(u.Note.UpdatedBy))
	}
	if want := (Stats{Requests: 2, Succeeded: 150}); st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
}

// Unprocessed findings are sent again while the failure may pass: a
// concurrent update, and a finding not found, which one the run has just
// imported may not be yet; one still not found after the last attempt is
// reported, and one refused for good is not sent again.
func TestUpdateWorkflowRetriesUnprocessed(t *testing.T) {
	in := identifiers(4)
	hub := &fakeHub{}
	hub.updateScript = func(call int, req *securityhub.BatchUpdateFindingsInput) (*securityhub.BatchUpdateFindingsOutput, error) {
		out := &securityhub.BatchUpdateFindingsOutput{}
		for _, id := range req.FindingIdentifiers {
			code := ""
			switch {
			case aws.ToString(id.Id) == in[0].ID && call == 1:
				code = "ConcurrentUpdateError"
			case aws.ToString(id.Id) == in[1].ID:
				code = "FindingNotFound"
			case aws.ToString(id.Id) == in[2].ID && call <= 2:
				code = "FindingNotFound" // imported a moment ago
			case aws.ToString(id.Id) == in[3].ID:
				code = "InvalidInput"
			}
			if code == "" {
				out.ProcessedFindings = append(out.ProcessedFindings, id)
				continue
			}
			out.UnprocessedFindings = append(out.UnprocessedFindings, types.BatchUpdateFindingsUnprocessedFinding{
				FindingIdentifier: &id, ErrorCode: aws.String(code), ErrorMessage: aws.String(code)})
		}
		return out, nil
	}
	im, _ := newImporter(hub)
	st, err := im.UpdateWorkflow(t.Context(), in, types.WorkflowStatusNew, "")
	var sent [][]string
	for _, u := range hub.updates {
		var ids []string
		for _, id := range u.FindingIdentifiers {
			ids = append(ids, aws.ToString(id.Id))
		}
		sent = append(sent, ids)
	}
	want := [][]string{{in[0].ID, in[1].ID, in[2].ID, in[3].ID}, {in[0].ID, in[1].ID, in[2].ID}, {in[1].ID, in[2].ID}, {in[1].ID}}
	if !cmp.Equal(sent, want) {
		t.Errorf("requests %v, want %v", sent, want)
	}
	if hub.updates[0].Note != nil {
		t.Errorf("note sent without text")
	}
	var ffe *FailedFindingsError
	if !errors.As(err, &ffe) || !cmp.Equal(ffe.IDs(), []string{in[3].ID, in[1].ID}) || ffe.Op != "BatchUpdateFindings" {
		t.Errorf("err = %v, want the refused and the never-found findings reported", err)
	}
	if want := (Stats{Requests: 4, Succeeded: 2, Failed: 2, Retried: 6}); st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
}

func TestUpdateWorkflowRejectsBadInput(t *testing.T) {
	hub := &fakeHub{}
	im, _ := newImporter(hub)
	if _, err := im.UpdateWorkflow(t.Context(), identifiers(1), "CLOSED", ""); err == nil {
		t.Error("unknown workflow status accepted")
	}
	_, err := im.UpdateWorkflow(t.Context(), []FindingIdentifier{{ID: "", ProductARN: "arn"}}, types.WorkflowStatusNew, "")
	if err == nil || len(hub.updates) != 0 {
		t.Errorf("err = %v after %d requests, want an invalid identifier refused before sending", err, len(hub.updates))
	}
}

func TestUpdateWorkflowExplainsAccessDenied(t *testing.T) {
	hub := &fakeHub{updateScript: func(int, *securityhub.BatchUpdateFindingsInput) (*securityhub.BatchUpdateFindingsOutput, error) {
		return nil, &types.AccessDeniedException{Message: aws.String("denied")}
	}}
	im, _ := newImporter(hub)
	_, err := im.UpdateWorkflow(t.Context(), identifiers(2), types.WorkflowStatusSuppressed, "why")
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "securityhub:BatchUpdateFindings") {
		t.Errorf("err = %v, want ErrAccessDenied naming securityhub:BatchUpdateFindings", err)
	}
}

// sdkClient is a real Security Hub client talking to handler over HTTP.
func sdkClient(t *testing.T, handler http.HandlerFunc) *securityhub.Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return securityhub.NewFromConfig(aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	})
}

func TestImportClassifiesErrorsFromTheRealSDK(t *testing.T) {
	for _, tc := range []struct {
		errorType string
		status    int
		want      error
	}{
		{"InvalidAccessException", http.StatusUnauthorized, ErrNotEnabled},
		{"AccessDeniedException", http.StatusForbidden, ErrAccessDenied},
		{"ResourceNotFoundException", http.StatusNotFound, ErrNotEnabled},
	} {
		t.Run(tc.errorType, func(t *testing.T) {
			client := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Amzn-ErrorType", tc.errorType)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, `{"Code":"`+tc.errorType+`","Message":"scripted"}`)
			})
			im := &Importer{Client: client}
			_, err := im.Import(t.Context(), generated(t, 1))
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMarshalMeasuresWhatTheSDKSends(t *testing.T) {
	var mu sync.Mutex
	var body []byte
	client := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		body = b
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"FailedCount":0,"SuccessCount":4,"FailedFindings":[]}`)
	})
	alice := userEntry("alice", "/engineering/", firstSeen)
	findings := []types.AwsSecurityFinding{
		mustASFF(t, findingFor(&rules.Key01, alice, rules.Failed, `key "1" <old> & tab	newline
`)),
		mustASFF(t, findingFor(&rules.Root02, rootEntry(), rules.Failed, "root has no MFA — 😀 \u2028")),
	}
	findings = append(findings, generated(t, 2)...)
	if _, err := (&Importer{Client: client}).Import(t.Context(), findings); err != nil {
		t.Fatal(err)
	}
	ours := requestBody(t, findings)
	if len(ours) != len(body) {
		t.Errorf("Marshal measures %d bytes, the SDK sent %d", len(ours), len(body))
	}
	var got, want any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ours, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SDK body differs from Marshal (-Marshal +SDK):\n%s", diff)
	}
}
