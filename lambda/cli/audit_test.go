package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/internal/emulator"
	"github.com/credaudit/credaudit/lambda/internal/golden"
	"github.com/credaudit/credaudit/lambda/internal/sandbox"
)

// TestScanASFFGolden is what a first run over the sample report would
// import into Security Hub.
func TestScanASFFGolden(t *testing.T) {
	code, out, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--format", "asff", "--hub-region", "eu-west-1")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden.Check(t, "scan.asff.json", []byte(out))
	var findings []map[string]any
	if err := json.Unmarshal([]byte(out), &findings); err != nil || len(findings) == 0 {
		t.Fatalf("not a JSON array of findings: %v", err)
	}
}

// The ASFF of an account outside the commercial partition is for a Security
// Hub region of that partition: by default the partition's own, and never
// another partition's, whose product ARN would name a region its findings
// cannot be imported into.
func TestScanASFFStaysInTheAccountsPartition(t *testing.T) {
	data, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	gov := writeFile(t, t.TempDir(), "gov.csv", strings.ReplaceAll(string(data), "arn:aws:iam::", "arn:aws-us-gov:iam::"))
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	scan := func(args ...string) (int, []map[string]any, string) {
		code, out, stderr := run(t, "", append([]string{"scan", "--report", gov, "--as-of", "2026-11-20T06:00:00Z", "--format", "asff"}, args...)...)
		var findings []map[string]any
		if code == ExitOK {
			if err := json.Unmarshal([]byte(out), &findings); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
		}
		return code, findings, stderr
	}
	code, findings, stderr := scan()
	if code != ExitOK || len(findings) == 0 {
		t.Fatalf("no region configured: exit %d: %s", code, stderr)
	}
	for _, f := range findings {
		if arn := f["ProductArn"].(string); !strings.HasPrefix(arn, "arn:aws-us-gov:securityhub:us-gov-west-1:123456789012:") {
			t.Fatalf("no region configured: ProductArn %s, want one in aws-us-gov's default region", arn)
		}
	}
	if code, _, stderr := scan("--hub-region", "us-gov-east-1"); code != ExitOK {
		t.Errorf("--hub-region us-gov-east-1: exit %d: %s", code, stderr)
	}
	if code, _, stderr := scan("--hub-region", "us-east-1"); code != ExitUsage ||
		!strings.Contains(stderr, "--hub-region us-east-1 is in partition aws, but the report's account is in aws-us-gov") {
		t.Errorf("--hub-region us-east-1: exit %d: %s", code, stderr)
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	if code, _, stderr := scan(); code != ExitUsage || !strings.Contains(stderr, "the AWS configuration's region eu-west-1 is in partition aws") {
		t.Errorf("configured region eu-west-1: exit %d: %s", code, stderr)
	}
	// A partition whose regions are not known here: its region is taken
	// as given, and none is guessed.
	t.Setenv("AWS_REGION", "")
	other := writeFile(t, t.TempDir(), "other.csv", strings.ReplaceAll(string(data), "arn:aws:iam::", "arn:aws-mars:iam::"))
	code, out, stderr := run(t, "", "scan", "--report", other, "--format", "asff", "--hub-region", "mars-north-1")
	if code != ExitOK || !strings.Contains(out, `"ProductArn":"arn:aws-mars:securityhub:mars-north-1:123456789012:`) {
		t.Errorf("unknown partition with --hub-region: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "", "scan", "--report", other, "--format", "asff"); code != ExitUsage || !strings.Contains(stderr, "partition aws-mars has no default known here: give --hub-region") {
		t.Errorf("unknown partition, no region: exit %d: %s", code, stderr)
	}
}

// A scan with --state of a report older than the one the state last saw is
// an input error and leaves the state as it was: diffed against it, the
// report would reopen what was fixed since.
func TestScanWithStateRefusesAnOlderReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if code, _, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--format", "json", "--state", dir); code != ExitOK {
		t.Fatalf("first scan: exit %d: %s", code, stderr)
	}
	file := filepath.Join(dir, "123456789012.json.gz")
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-19T06:00:00Z", "--format", "json", "--state", dir)
	if code != ExitUsage || out != "" || !strings.Contains(stderr, "the report is older than the one the state last saw, as of 2026-11-20T06:00:00Z: the report is as of 2026-11-19T06:00:00Z (") ||
		!strings.Contains(stderr, "give --as-of the report's time") {
		t.Errorf("older report: exit %d, stdout %.200q, stderr %s", code, out, stderr)
	}
	if after, err := os.ReadFile(file); err != nil || !bytes.Equal(before, after) {
		t.Errorf("the state changed (%v)", err)
	}
}

// A suppression that mutes nothing is said once: by the digest on stderr
// when there is one (--state), else by a line of its own.
func TestStaleSuppressionIsSaidOnce(t *testing.T) {
	cfg := writeFile(t, t.TempDir(), "c.yaml", "suppressions:\n  - {rule: KEY-02, user: nobody, reason: gone}\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"without --state", nil, "credaudit scan: suppression at " + cfg + ":2 matches no failing result\n"},
		{"with --state", []string{"--state", t.TempDir()}, "! The suppression at " + cfg + ":2 matches no failing result.\n"},
	} {
		code, _, stderr := run(t, "", append([]string{"scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--format", "json", "--config", cfg}, tc.args...)...)
		if code != ExitOK || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "matches no failing result") != 1 {
			t.Errorf("%s: exit %d; want %q said once:\n%s", tc.name, code, tc.want, stderr)
		}
	}
}

// With --state, a second scan of the same account diffs against the first:
// nothing new, and the digest on stderr says so. Nothing was published, so
// the findings a publishing run would import are all still to send, first
// seen in the first scan, and created in Security Hub by the import that
// sends them (CreatedAt equal to UpdatedAt, as Security Hub requires).
func TestScanWithStateDiffsAgainstThePreviousRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	code, _, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--format", "json", "--state", dir)
	if code != ExitOK || !strings.Contains(stderr, "credaudit 123456789012: 15 new, 0 resolved, 15 failing (2 critical)") {
		t.Fatalf("first scan: exit %d, stderr:\n%.2000s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "123456789012.json.gz")); err != nil {
		t.Fatalf("no state saved: %v", err)
	}
	code, out, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-21T06:00:00Z", "--format", "asff", "--state", dir)
	if code != ExitOK {
		t.Fatalf("second scan: exit %d, stderr:\n%.2000s", code, stderr)
	}
	if !strings.Contains(stderr, "This run: 0 new, 0 changed, 0 resolved, 0 gone, 15 still failing.") {
		t.Errorf("second digest:\n%.2000s", stderr)
	}
	var pending []struct{ FirstObservedAt, CreatedAt, UpdatedAt string }
	if err := json.Unmarshal([]byte(out), &pending); err != nil {
		t.Fatal(err)
	}
	if len(pending) != 15 {
		t.Fatalf("%d findings pending import, want the 15 never published", len(pending))
	}
	for _, f := range pending {
		if f.FirstObservedAt != "2026-11-20T06:00:00Z" || f.CreatedAt != "2026-11-21T06:00:00Z" || f.UpdatedAt != "2026-11-21T06:00:00Z" {
			t.Errorf("pending finding first seen %s, created %s, updated %s; want first seen 2026-11-20, created and updated 2026-11-21",
				f.FirstObservedAt, f.CreatedAt, f.UpdatedAt)
		}
	}
}

// Without --publish nothing is sent, so the archive of a finding that is
// fixed or gone is still owed to Security Hub: --format asff prints it on
// every later scan, as the archive it was, as a publishing run would send
// it; and the digest reports it once.
func TestScanASFFIncludesArchivesNotSent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	data, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	deleted := writeFile(t, t.TempDir(), "report.csv", string(credreporttest.WithoutUser(t, data, "legacy-signer")))
	if code, _, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--format", "json", "--state", dir); code != ExitOK {
		t.Fatalf("first scan: exit %d: %s", code, stderr)
	}
	var archives []string
	for i, asOf := range []string{"2026-11-21T06:00:00Z", "2026-11-22T06:00:00Z"} {
		code, out, stderr := run(t, "", "scan", "--report", deleted, "--as-of", asOf, "--format", "asff", "--state", dir)
		if code != ExitOK {
			t.Fatalf("scan %d: exit %d: %s", i+2, code, stderr)
		}
		if gone := strings.Contains(stderr, "RESOLVED ("); gone != (i == 0) {
			t.Errorf("scan %d: digest lists the gone user %v, want %v:\n%.2000s", i+2, gone, i == 0, stderr)
		}
		var sent []struct{ Id, RecordState, UpdatedAt string }
		if err := json.Unmarshal([]byte(out), &sent); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range sent {
			if f.RecordState == "ARCHIVED" {
				got = append(got, f.Id+" "+f.UpdatedAt)
			}
		}
		if i == 0 {
			archives = got
		}
		if len(got) == 0 || !slices.Equal(got, archives) {
			t.Errorf("scan %d prints the archives %v, want %v (the first scan's) again", i+2, got, archives)
		}
	}
}

// --format asff with --state prints what a run publishing to --hub-region
// would import: after the findings were published to another region, every
// open finding (first seen then, created there by that import), with no
// news in the digest.
func TestScanASFFForAnotherHubRegionIncludesEveryOpenFinding(t *testing.T) {
	emulator.Config(t)
	emulator.Reset(t)
	dir := t.TempDir()
	scan := func(asOf string, args ...string) (found []struct{ ProductArn, FirstObservedAt, CreatedAt, UpdatedAt string }, digest string) {
		t.Helper()
		code, out, stderr := run(t, "", append([]string{"scan", "--report", sampleReport, "--as-of", asOf, "--format", "asff", "--state", dir}, args...)...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if err := json.Unmarshal([]byte(out), &found); err != nil {
			t.Fatal(err)
		}
		return found, stderr
	}
	if sent, _ := scan("2026-11-20T06:00:00Z", "--publish", "--hub-region", "us-east-1"); len(sent) != 15 {
		t.Fatalf("published %d findings, want 15", len(sent))
	}
	for _, tc := range []struct {
		asOf, region string
		owed         int
	}{
		{"2026-11-21T06:00:00Z", "us-east-1", 0},  // holds them all
		{"2026-11-22T06:00:00Z", "eu-west-1", 15}, // every open finding
	} {
		owed, digest := scan(tc.asOf, "--hub-region", tc.region)
		if len(owed) != tc.owed {
			t.Fatalf("%d findings owed to %s, want %d", len(owed), tc.region, tc.owed)
		}
		if !strings.Contains(digest, "This run: 0 new, 0 changed, 0 resolved, 0 gone, 15 still failing.") {
			t.Errorf("%s: digest with news:\n%.2000s", tc.region, digest)
		}
		for _, f := range owed {
			if !strings.HasPrefix(f.ProductArn, "arn:aws:securityhub:"+tc.region+":") || f.FirstObservedAt != "2026-11-20T06:00:00Z" || f.CreatedAt != f.UpdatedAt {
				t.Errorf("owed finding for %s first seen %s, created %s, updated %s; want %s's, first seen 2026-11-20, created by this import",
					f.ProductArn, f.FirstObservedAt, f.CreatedAt, f.UpdatedAt, tc.region)
			}
		}
	}
}

// A scan that fails (here a custom rule, at run time) changes nothing: the
// --state directory is not created, and an existing one is left empty. A
// scan that succeeds creates it when it saves.
func TestScanThatFailsLeavesNoStateDirectory(t *testing.T) {
	tmp := t.TempDir()
	cfg := writeFile(t, tmp, "c.yaml", "custom_rules:\n  - id: ORG-01\n    title: t\n    severity: high\n    remediation: r\n    assert: int(user) > 0\n")
	missing, existing := filepath.Join(tmp, "new", "state"), filepath.Join(tmp, "existing")
	if err := os.Mkdir(existing, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{missing, existing} {
		code, _, stderr := run(t, "", "scan", "--report", sampleReport, "--config", cfg, "--format", "json", "--state", dir)
		if code != ExitUsage || !strings.Contains(stderr, "rule ORG-01") {
			t.Errorf("--state %s: exit %d, stderr %q; want exit 2 and the rule's error", dir, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(tmp, "new")); !os.IsNotExist(err) {
		t.Errorf("the failed scan created the state directory's parent (%v)", err)
	}
	if entries, err := os.ReadDir(existing); err != nil || len(entries) != 0 {
		t.Errorf("the failed scan wrote %d files in the existing state directory (%v)", len(entries), err)
	}
	if code, _, stderr := run(t, "", "scan", "--report", sampleReport, "--format", "json", "--state", missing); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(missing, "123456789012.json.gz")); err != nil {
		t.Errorf("the scan saved no state: %v", err)
	}
}

// A --state directory that cannot be made is a usage error before anything
// is printed or published, not a failed save after it.
func TestScanStateDirectoryThatCannotBeMadeIsAUsageError(t *testing.T) {
	file := writeFile(t, t.TempDir(), "file", "")
	for _, dir := range []string{
		filepath.Join(file, "state"), // under a file: not a directory
		"/proc/credaudit-test/state", // where mkdir is refused, though reading finds nothing
	} {
		code, out, stderr := run(t, "", "scan", "--report", sampleReport, "--format", "json", "--state", dir)
		if code != ExitUsage || out != "" || !strings.Contains(stderr, "--state: mkdir") {
			t.Errorf("--state %s: exit %d, %d bytes out, stderr %q; want exit 2 before any output", dir, code, len(out), stderr)
		}
	}
}

// A report's time (here --as-of) more than an hour after now is refused
// with --state, before anything is saved: kept, it would make every later
// report older than the state, and refused. Without --state it is a
// look ahead.
func TestScanStateRefusesAReportFromTheFuture(t *testing.T) {
	clock := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	now = func() time.Time { return clock }
	t.Cleanup(func() { now = nil })
	dir := t.TempDir()
	code, out, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-20T09:00:01Z", "--format", "json", "--state", dir)
	if code != ExitUsage || out != "" || !strings.Contains(stderr, "the report's time is in the future: the report is as of 2026-11-20T09:00:01Z, and it is now 2026-11-20T08:00:00Z") {
		t.Errorf("exit %d, %d bytes out, stderr %q; want exit 2, nothing out", code, len(out), stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the refused run saved %v", entries)
	}
	for _, args := range [][]string{{"--as-of", "2026-11-20T09:00:00Z", "--state", dir}, {"--as-of", "2027-11-20T09:00:00Z", "--format", "asff", "--hub-region", "us-east-1"}} {
		if code, _, stderr := run(t, "", append([]string{"scan", "--report", sampleReport}, args...)...); code != ExitOK {
			t.Errorf("%v: exit %d, %s", args, code, stderr)
		}
	}
}

func TestScanPublishNeedsState(t *testing.T) {
	for _, args := range [][]string{{"--publish"}, {"--state", t.TempDir(), "--topic", "arn:aws:sns:us-east-1:123456789012:t"}} {
		code, _, stderr := run(t, "", append([]string{"scan", "--report", sampleReport}, args...)...)
		if code != ExitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", args, code, stderr)
		}
	}
}

// --publish imports what changed into Security Hub with the current
// credentials, as the Lambda does.
func TestScanPublishImportsIntoSecurityHub(t *testing.T) {
	cfg := emulator.Config(t)
	emulator.Reset(t)
	dir := t.TempDir()
	code, asff, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--format", "asff",
		"--state", dir, "--publish", "--hub-region", "us-east-1")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sent []struct{ Id string }
	if err := json.Unmarshal([]byte(asff), &sent); err != nil {
		t.Fatal(err)
	}
	got, err := securityhub.NewFromConfig(cfg).GetFindings(context.Background(), &securityhub.GetFindingsInput{MaxResults: aws.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, f := range got.Findings {
		ids[*f.Id] = true
	}
	if len(sent) == 0 || len(ids) != len(sent) {
		t.Fatalf("printed %d findings, Security Hub holds %d", len(sent), len(ids))
	}
	for _, f := range sent {
		if !ids[f.Id] {
			t.Errorf("%s printed but not imported", f.Id)
		}
	}
	if !strings.Contains(stderr, "Security Hub (us-east-1): 15 findings imported") {
		t.Errorf("digest:\n%s", stderr)
	}
}

// A report file of another account than the credentials' (the emulator's
// 123456789012) is refused with --publish before anything is saved or sent:
// Security Hub would refuse its findings after the digest went out.
func TestScanPublishRefusesAnotherAccountsReport(t *testing.T) {
	cfg := emulator.Config(t)
	emulator.Reset(t)
	data, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	other := writeFile(t, t.TempDir(), "other.csv", strings.ReplaceAll(string(data), "123456789012", "999999999999"))
	dir := t.TempDir()
	code, out, stderr := run(t, "", "scan", "--report", other, "--as-of", "2026-11-20T06:00:00Z", "--format", "json",
		"--state", dir, "--publish", "--hub-region", "us-east-1")
	if want := "--publish: the report is of account 999999999999, and the AWS credentials of account 123456789012"; code != ExitUsage || out != "" || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, %d bytes out, stderr %q; want exit 2 and %q", code, len(out), stderr, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the refused run saved %v", entries)
	}
	got, err := securityhub.NewFromConfig(cfg).GetFindings(context.Background(), &securityhub.GetFindingsInput{})
	if err != nil || len(got.Findings) != 0 {
		t.Errorf("Security Hub holds %d findings (%v), want none", len(got.Findings), err)
	}
}

// With --publish, the AWS profile and --region choose the credentials and
// home region of the publishing, a report file's too: refused with a file
// before, they left AWS_PROFILE as the only way.
func TestScanPublishOfAReportFileTakesTheAWSFlags(t *testing.T) {
	emulator.Config(t)
	emulator.Reset(t)
	code, _, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--format", "json",
		"--state", t.TempDir(), "--publish", "--aws-profile", "no-such-profile")
	if code != ExitUsage || !strings.Contains(stderr, "no-such-profile") {
		t.Errorf("an unknown profile: exit %d, want %d naming it: %s", code, ExitUsage, stderr)
	}
	code, _, stderr = run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--format", "json",
		"--state", t.TempDir(), "--publish", "--region", "eu-west-1")
	if code != ExitOK || !strings.Contains(stderr, "Security Hub (eu-west-1): 15 findings imported") {
		t.Errorf("--region eu-west-1: exit %d, stderr:\n%s", code, stderr)
	}
}

// newSandbox is a fresh emulated account with its state bucket, topic and
// Security Hub, for the --publish tests.
func newSandbox(t *testing.T) *sandbox.Account {
	t.Helper()
	cfg := emulator.Config(t)
	emulator.Reset(t)
	acct, err := sandbox.New(context.Background(), cfg, "credaudit-state-cli")
	if err != nil {
		t.Fatal(err)
	}
	return acct
}

// --publish sends the digest to --topic when it is news, as the function
// does in its default notify mode (README, `--publish`): the first run and
// one where a finding changed send it, a run over an unchanged report
// stays quiet (and still prints the digest on stderr).
func TestScanPublishSendsTheDigestWhenItIsNews(t *testing.T) {
	acct := newSandbox(t)
	dir := t.TempDir()
	for _, step := range []struct {
		name, asOf string
		wantSent   int
	}{
		{"the first run", "2026-11-20T06:00:00Z", 1},
		{"a run over the same report", "2026-11-20T06:00:00Z", 0},
		{"a run where doe,jane's password has expired", "2026-12-19T00:00:00Z", 1},
	} {
		at, _ := time.Parse(time.RFC3339, step.asOf)
		now = func() time.Time { return at.Add(time.Hour) } // a report's time is not after now
		t.Cleanup(func() { now = nil })
		code, _, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", step.asOf, "--format", "json",
			"--state", dir, "--publish", "--topic", acct.TopicARN, "--hub-region", "us-east-1")
		if code != ExitOK || !strings.Contains(stderr, "credaudit 123456789012: ") {
			t.Fatalf("%s: exit %d, stderr (want the digest printed):\n%s", step.name, code, stderr)
		}
		msgs, err := acct.Drain(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != step.wantSent {
			t.Errorf("%s sent %d messages, want %d", step.name, len(msgs), step.wantSent)
		}
	}
}

// The digest goes to --topic in the topic's region, whatever --region
// says: SNS refuses a topic of another region. The topic is in us-east-1;
// --region names eu-west-1.
func TestScanPublishSendsToTheTopicsRegion(t *testing.T) {
	acct := newSandbox(t)
	if r := acct.Config.Region; r != "us-east-1" {
		t.Fatalf("test setup: the topic is in %s", r)
	}
	code, _, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--format", "json",
		"--state", t.TempDir(), "--publish", "--topic", acct.TopicARN, "--hub-region", "us-east-1", "--region", "eu-west-1")
	msgs, err := acct.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if code != ExitOK || len(msgs) != 1 {
		t.Errorf("exit %d, %d messages sent to %s, want exit 0 and the digest; stderr:\n%s", code, len(msgs), acct.TopicARN, stderr)
	}
}

// The digest of scan --state on the live account names the account's
// alias, as the function's does (README, "SNS digest": `credaudit
// 123456789012 (acme-prod): …`), on stderr and in the message sent to
// --topic: it named the account by its ID alone.
func TestScanDigestOfTheLiveAccountNamesItsAlias(t *testing.T) {
	ctx := context.Background()
	acct := newSandbox(t)
	if err := acct.CreateUser(ctx, "alice", sandbox.Password); err != nil {
		t.Fatal(err)
	}
	if _, err := acct.IAM.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("acme-prod")}); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "", "scan", "--format", "json", "--state", t.TempDir(), "--publish", "--topic", acct.TopicARN)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	const name = "credaudit 123456789012 (acme-prod): "
	if !strings.HasPrefix(stderr, name) || !strings.Contains(stderr, "IAM credential audit of account 123456789012 (acme-prod)\n") {
		t.Errorf("digest on stderr does not name the alias:\n%s", stderr)
	}
	msgs, err := acct.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Subject, name) {
		t.Errorf("sent %+v, want one digest whose subject starts %q", msgs, name)
	}
}

// With --publish --topic, a run that fails once the audit has begun sends
// the function's alert to the topic; one that fails before it, on its
// input, only says so on stderr (README, `--publish`).
func TestScanPublishAlertsOnlyForFailuresOfTheAudit(t *testing.T) {
	acct := newSandbox(t)
	dir := t.TempDir()
	failing := writeFile(t, dir, "failing.yaml", "custom_rules:\n  - id: ORG-01\n    title: t\n    severity: low\n    remediation: r\n    assert: 'user == \"bob\" ? 1/0 == 1 : true'\n")
	unknown := writeFile(t, dir, "unknown.yaml", "rulez: {}\n")
	for _, tc := range []struct {
		name, config string
		wantAlerts   int
	}{
		{"a custom rule failing on a row", failing, 1},
		{"a configuration error", unknown, 0},
	} {
		code, out, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--format", "json", "--config", tc.config,
			"--state", filepath.Join(dir, "state"), "--publish", "--topic", acct.TopicARN, "--hub-region", "us-east-1")
		if code != ExitUsage || out != "" {
			t.Errorf("%s: exit %d, stdout %q; want exit 2 and nothing", tc.name, code, out)
		}
		msgs, err := acct.Drain(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		alerts := 0
		for _, m := range msgs {
			if m.Attributes["kind"] == "error" {
				alerts++
			}
		}
		if alerts != tc.wantAlerts || len(msgs) != tc.wantAlerts {
			t.Errorf("%s: %d messages, %d alerts; want %d alerts and nothing else; stderr:\n%s", tc.name, len(msgs), alerts, tc.wantAlerts, stderr)
		}
	}
}
