package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/internal/emulator"
	"github.com/credaudit/credaudit/lambda/internal/golden"
	"github.com/credaudit/credaudit/lambda/rules"
)

const exampleConfig = "../../events/credaudit.example.yaml"

// scanArgs scans the sample report as of a fixed time with the example configuration.
func scanArgs(extra ...string) []string {
	return append([]string{"scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--config", exampleConfig}, extra...)
}

func TestScanGoldenOutputs(t *testing.T) {
	for _, format := range []string{"table", "json", "csv", "sarif"} {
		t.Run(format, func(t *testing.T) {
			code, out, stderr := run(t, "", scanArgs("--format", format)...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden.Check(t, "scan."+format, []byte(out))
		})
	}
}

// An --as-of before the report was generated, or before a time a bare CSV
// records, is said on stderr, by scan and query alike: what the report saw
// after it reads as less than a day old to the rules, and is negative in
// an expression's as_of - t.
func TestAsOfBeforeTheReportIsSaid(t *testing.T) {
	data, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"Content": "` + base64.StdEncoding.EncodeToString(data) + `", "ReportFormat": "text/csv", "GeneratedTime": "2026-11-20T06:00:00+00:00"}`
	before := "--as-of 2026-11-19T00:00:00Z is before the report was generated (2026-11-20T06:00:00Z): "
	// The sample's latest time but for a password's next rotation, a time
	// to come.
	csvBefore := "--as-of 2026-11-19T00:00:00Z is before times the report records (the latest, erin's password_last_used, 2026-11-20T05:00:00Z): "
	rules := "what it records after 2026-11-19T00:00:00Z counts as less than a day old\n"
	expr := "as_of - t is negative for a time it records after 2026-11-19T00:00:00Z\n"
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{doc, []string{"scan", "--format", "json", "--as-of", "2026-11-19T00:00:00Z"}, "credaudit scan: " + before + rules},
		{doc, []string{"query", "--format", "json", "--as-of", "2026-11-19T00:00:00Z"}, "credaudit query: " + before + expr},
		{doc, []string{"scan", "--format", "json", "--as-of", "2026-11-20T06:00:00Z"}, ""},
		{doc, []string{"scan", "--format", "json"}, ""},
		{string(data), []string{"scan", "--format", "json", "--as-of", "2026-11-19T00:00:00Z"}, "credaudit scan: " + csvBefore + rules},
		{string(data), []string{"query", "--format", "json", "--as-of", "2026-11-19T00:00:00Z"}, "credaudit query: " + csvBefore + expr},
		{string(data), []string{"query", "--format", "json", "--as-of", "2026-11-20T05:00:00Z"}, ""},
	} {
		code, _, stderr := run(t, tc.stdin, append(tc.args, "--report", "-")...)
		if code != ExitOK || stderr != tc.want {
			t.Errorf("%v: exit %d, stderr %q, want 0 and %q", tc.args, code, stderr, tc.want)
		}
	}
	// So is a report's own time before what it records, without --as-of:
	// a GeneratedTime edited, or a bare CSV's time to come against now.
	early := strings.Replace(doc, "2026-11-20T06:00:00+00:00", "2021-01-01T00:00:00Z", 1)
	want := "credaudit scan: the report's GeneratedTime 2021-01-01T00:00:00Z is before times the report records (the latest, erin's password_last_used, 2026-11-20T05:00:00Z): what it records after 2021-01-01T00:00:00Z counts as less than a day old\n"
	if code, _, stderr := run(t, early, "scan", "--format", "json", "--report", "-"); code != ExitOK || stderr != want {
		t.Errorf("a GeneratedTime before what the report records: exit %d, stderr %q, want 0 and %q", code, stderr, want)
	}
	ahead := strings.Replace(string(data), "2026-11-20T05:00:00+00:00", "2999-01-01T00:00:00+00:00", 1)
	code, _, stderr := run(t, ahead, "query", "--count", "--report", "-")
	if code != ExitOK || !strings.HasPrefix(stderr, "credaudit query: now (") ||
		!strings.Contains(stderr, "; a bare CSV records no time of its own) is before times the report records (the latest, erin's password_last_used, 2999-01-01T00:00:00Z): as_of - t is negative for a time it records after ") {
		t.Errorf("a bare CSV recording a time to come: exit %d, stderr %q", code, stderr)
	}
}

// A report file with a column named as one of credaudit's own variables
// (is_root, account_id, as_of, raw) is refused: --columns would print the
// file's cells, and --where, or a custom rule, read credaudit's.
func TestReportColumnNamedAsAVariableIsRefused(t *testing.T) {
	data, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	withColumn := func(col string) string { // the sample with a column col of x
		var b strings.Builder
		for i, ln := range strings.SplitAfter(string(data), "\n") {
			switch {
			case ln == "":
			case i == 0:
				b.WriteString(strings.TrimSuffix(ln, "\n") + "," + col + "\n")
			default:
				b.WriteString(strings.TrimSuffix(ln, "\n") + ",x\n")
			}
		}
		return b.String()
	}
	for _, col := range []string{"is_root", "account_id", "as_of", "raw"} {
		for _, cmd := range [][]string{{"query", "--count"}, {"scan", "--format", "json"}} {
			code, out, stderr := run(t, withColumn(col), append(cmd, "--report", "-")...)
			if code != ExitUsage || out != "" || !strings.Contains(stderr, "stdin: the header's field 23 is a column named "+col+", which is also credaudit's own variable") {
				t.Errorf("%s with a column %s: exit %d, stdout %q, stderr %q", cmd[0], col, code, out, stderr)
			}
		}
	}
	// Another unknown column is kept, as ever.
	if code, out, stderr := run(t, withColumn("note"), "query", "--where", `raw.note == "x"`, "--count", "--report", "-"); code != ExitOK || out != "9\n" {
		t.Errorf("a column note: exit %d, stdout %q, stderr %q; want the 9 rows", code, out, stderr)
	}
}

// as_of is --as-of when given, else the report's GeneratedTime (the CLI's
// JSON form), else the time of the scan (a bare CSV has none).
func TestScanAsOf(t *testing.T) {
	data, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"Content": "` + base64.StdEncoding.EncodeToString(data) + `", "ReportFormat": "text/csv", "GeneratedTime": "2026-11-20T06:00:00+00:00"}`
	asOf := func(stdin string, args ...string) string {
		t.Helper()
		code, out, stderr := run(t, stdin, append([]string{"scan", "--report", "-", "--format", "json"}, args...)...)
		if code != ExitOK {
			t.Fatalf("scan %v: exit %d: %s", args, code, stderr)
		}
		var v struct {
			AsOf string `json:"as_of"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("scan %v: %v", args, err)
		}
		return v.AsOf
	}
	if got := asOf(doc); got != "2026-11-20T06:00:00Z" {
		t.Errorf("JSON form without --as-of: as_of %s, want its GeneratedTime", got)
	}
	if got := asOf(doc, "--as-of", "2026-12-01T00:00:00Z"); got != "2026-12-01T00:00:00Z" {
		t.Errorf("JSON form with --as-of: as_of %s, want the flag's", got)
	}
	if got := asOf(doc, "--as-of", "2026-12-01t00:00:00z"); got != "2026-12-01T00:00:00Z" {
		t.Errorf("JSON form with a lower-case --as-of, which RFC 3339 allows: as_of %s, want the flag's", got)
	}
	before := time.Now().UTC().Truncate(time.Second)
	got := asOf(string(data))
	after := time.Now().UTC()
	if at, err := time.Parse(time.RFC3339, got); err != nil || at.Before(before) || at.After(after) || strings.Contains(got, ".") {
		t.Errorf("bare CSV without --as-of: as_of %s, want the scan's time (between %s and %s) in whole seconds, as the report's times",
			got, before.Format(time.RFC3339), after.Format(time.RFC3339))
	}

	// A fractional --as-of is the same time in every format that shows it.
	const frac, want = "2026-11-20T06:00:00.5+01:00", "2026-11-20T05:00:00.5Z"
	if got := asOf(doc, "--as-of", frac); got != want {
		t.Errorf("JSON with --as-of %s: as_of %s, want %s", frac, got, want)
	}
	for format, shown := range map[string]string{"sarif": `"as_of":"` + want + `"`, "table": "evaluated as of " + want + "\n"} {
		code, out, stderr := run(t, doc, "scan", "--report", "-", "--format", format, "--as-of", frac)
		if code != ExitOK || !strings.Contains(strings.ReplaceAll(out, `": "`, `":"`), shown) {
			t.Errorf("%s with --as-of %s: exit %d (%s), want it to show %s", format, frac, code, stderr, shown)
		}
	}
	// A report generated at a fraction of a second (the JSON form's
	// GeneratedTime, as written by hand) shows it in the table's heading, as
	// its as-of, the same time, shows it; the heading's line, too wide with
	// both, is two lines of at most 80 columns.
	fracDoc := strings.Replace(doc, "2026-11-20T06:00:00+00:00", "2026-11-20T06:00:00.123456789+05:00", 1)
	code, out, stderr := run(t, fracDoc, "scan", "--report", "-", "--format", "table")
	if want := "\nReport generated 2026-11-20T01:00:00.123456789Z\nEvaluated as of 2026-11-20T01:00:00.123456789Z\n"; code != ExitOK || !strings.Contains(out, want) {
		t.Errorf("table of a report generated at a fraction of a second: exit %d (%s), want %q in:\n%s", code, stderr, want, out)
	}
}

func TestScanJSONContract(t *testing.T) {
	code, out, stderr := run(t, "", scanArgs("--format", "json")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		AccountID   string  `json:"account_id"`
		GeneratedAt *string `json:"generated_at"`
		AsOf        string  `json:"as_of"`
		Profile     string  `json:"profile"`
		Results     []map[string]any
		Summary     struct {
			Failed, Passed, Suppressed, NotAvailable int
			FailedBySeverity                         map[string]int `json:"failed_by_severity"`
		}
		Suppressions []struct {
			Source  string
			Matched int
			Expired bool
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.AccountID != "123456789012" || doc.GeneratedAt != nil || doc.AsOf != "2026-11-20T06:00:00Z" || doc.Profile != "recommended" {
		t.Errorf("header = %s %v %s %s", doc.AccountID, doc.GeneratedAt, doc.AsOf, doc.Profile)
	}
	keys := []string{"rule_id", "title", "severity", "status", "resource_type", "resource_id", "user", "reason", "suppressed", "suppression_reason"}
	seen := map[string]bool{}
	failed := 0
	for _, r := range doc.Results {
		if len(r) != len(keys) {
			t.Fatalf("result has keys %v, want exactly %v", r, keys)
		}
		for _, k := range keys {
			if _, ok := r[k]; !ok {
				t.Fatalf("result lacks %q: %v", k, r)
			}
		}
		id := r["rule_id"].(string) + " " + r["resource_id"].(string)
		if seen[id] {
			t.Errorf("two results for %s", id)
		}
		seen[id] = true
		if r["status"] == "FAILED" && r["suppressed"] == false {
			failed++
		}
		if r["user"] == "<root_account>" && (r["resource_type"] != "AwsAccount" || r["resource_id"] != "AWS::::Account:123456789012") {
			t.Errorf("root result resource = %v %v", r["resource_type"], r["resource_id"])
		}
	}
	if failed != doc.Summary.Failed || failed == 0 {
		t.Errorf("summary says %d failed, results hold %d", doc.Summary.Failed, failed)
	}
	if len(doc.Suppressions) != 2 || doc.Suppressions[0].Matched != 1 || doc.Suppressions[1].Matched != 2 {
		t.Errorf("suppressions = %+v", doc.Suppressions)
	}
}

func TestScanFailOnExitCodes(t *testing.T) {
	tests := []struct {
		failOn string
		want   int
	}{
		{"", ExitOK},
		{"critical", ExitFindings},
		{"CRITICAL", ExitFindings},
		{"Informational", ExitFindings},
	}
	for _, tc := range tests {
		args := []string{"scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--format", "json"}
		if tc.failOn != "" {
			args = append(args, "--fail-on", tc.failOn)
		}
		if code, _, stderr := run(t, "", args...); code != tc.want {
			t.Errorf("--fail-on %q: exit %d, want %d (%s)", tc.failOn, code, tc.want, stderr)
		}
	}
	// Only the suppressed and lower-severity failures remain for this user
	// (root's, named: a wildcard mutes IAM users only).
	dir := t.TempDir()
	cfg := writeFile(t, dir, "c.yaml", "profile: cis-5.0\nsuppressions:\n  - rule: '*'\n    user: '*'\n    reason: accepted risk\n"+
		"  - rule: '*'\n    user: <root_account>\n    reason: accepted risk\n")
	if code, out, stderr := run(t, "", "scan", "--report", sampleReport, "--config", cfg, "--fail-on", "low", "--format", "json"); code != ExitOK {
		t.Errorf("everything suppressed: exit %d, stderr %s", code, stderr)
	} else if !strings.Contains(out, `"suppressed": true`) {
		t.Error("suppressed results must stay in the output")
	}
}

// writeFile writes body to a file called name in dir and returns its path.
func writeFile(t testing.TB, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScanBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	badCEL := writeFile(t, dir, "bad-cel.yaml", "custom_rules:\n  - id: ORG-09\n    title: t\n    severity: low\n    remediation: r\n    assert: mfa_active &&\n")
	unknownKey := writeFile(t, dir, "unknown.yaml", "profile: all\nrulez: {}\n")
	// A comment one byte past the limit: valid YAML, refused by its size.
	bigConfig := writeFile(t, dir, "big.yaml", "#"+strings.Repeat("x", config.MaxSize-1)+"\n")
	sample, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	content := base64.StdEncoding.EncodeToString(sample)
	oldReport := writeFile(t, dir, "old.json", `{"Content": "`+content+`", "GeneratedTime": "1990-01-01T00:00:00Z"}`)
	future := writeFile(t, dir, "future.json", `{"Content": "`+content+`", "GeneratedTime": "9999-12-31T23:00:00-05:00"}`)
	trailing := writeFile(t, dir, "trailing.json", `{"Content": "`+content+`"}`+"\nthis is not JSON\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"CEL that does not compile", []string{"--report", sampleReport, "--config", badCEL}, badCEL + ":6:26: custom_rules[0].assert: Syntax error"},
		{"unknown key", []string{"--report", sampleReport, "--config", unknownKey}, unknownKey + `:2:1: unknown key "rulez"`},
		{"unknown profile", []string{"--report", sampleReport, "--profile", "cis-9"}, `--profile: unknown rule profile "cis-9"`},
		{"unknown severity", []string{"--report", sampleReport, "--fail-on", "severe"}, `unknown severity "severe"`},
		{"empty severity (no gate)", []string{"--report", sampleReport, "--fail-on", ""}, `--fail-on "" is empty; leave the flag out for its default`},
		{"empty config", []string{"--report", sampleReport, "--config", ""}, `--config "" is empty`},
		{"blank profile", []string{"--report", sampleReport, "--profile", "  "}, `--profile "  " is empty`},
		{"empty home region", []string{"--report", sampleReport, "--format", "asff", "--hub-region", ""}, `--hub-region "" is empty`},
		{"config larger than 1 MiB", []string{"--report", sampleReport, "--config", bigConfig}, bigConfig + ": larger than 1048576 bytes"},
		{"a directory as config", []string{"--report", sampleReport, "--config", dir}, "--config: read " + dir + ": is a directory"},
		{"missing config", []string{"--report", sampleReport, "--config", filepath.Join(dir, "none.yaml")}, "--config: open " + filepath.Join(dir, "none.yaml") + ": no such file"},
		{"a directory as report", []string{"--report", dir}, "--report: read " + dir + ": is a directory"},
		{"missing report", []string{"--report", filepath.Join(dir, "none.csv")}, "--report: open " + filepath.Join(dir, "none.csv") + ": no such file"},
		{"region with a file, without --publish", []string{"--report", sampleReport, "--region", "eu-west-1"}, "apply to the live account (and to --publish), not to --report " + sampleReport},
		{"as-of the zero time", []string{"--report", sampleReport, "--as-of", "0001-01-01T00:00:00Z"}, "--as-of 0001-01-01T00:00:00Z is before 1995, before any credential report"},
		{"as-of before 1995", []string{"--report", sampleReport, "--as-of", "1995-01-01T00:59:59+01:00"}, "--as-of 1995-01-01T00:59:59+01:00 is before 1995"},
		{"as-of past 9999", []string{"--report", sampleReport, "--as-of", "9999-12-31T23:00:00-05:00"}, "--as-of 9999-12-31T23:00:00-05:00 is after the year 9999 in UTC"},
		{"a report generated past 9999", []string{"--report", future}, future + ": GeneratedTime 10000-01-01T04:00:00Z is after the year 9999 in UTC"},
		{"a report generated before 1995", []string{"--report", oldReport}, oldReport + ": GeneratedTime 1990-01-01T00:00:00Z is before 1995, before any credential report"},
		{"a report generated before 1995, with --as-of", []string{"--report", oldReport, "--as-of", "2026-11-20T06:00:00Z"}, "GeneratedTime 1990-01-01T00:00:00Z is before 1995"},
		{"not a region", []string{"--report", sampleReport, "--format", "asff", "--hub-region", "us-east-1:x"}, `--hub-region "us-east-1:x" is not an AWS region`},
		{"not a topic ARN", []string{"--report", sampleReport, "--state", dir, "--publish", "--topic", "credaudit"}, `--topic "credaudit" is not an SNS topic ARN`},
		{"home region with nothing for a region", []string{"--report", sampleReport, "--format", "json", "--hub-region", "eu-west-1"}, "--hub-region applies with --publish, --state or --format asff"},
		{"home region with nothing for a region, --org", []string{"--org", "--format", "table", "--hub-region", "eu-west-1"}, "--hub-region applies with --publish, --state or --format asff"},
		{"text after a JSON report", []string{"--report", trailing}, trailing + ": read get-credential-report JSON: line 2, column 1: data after the JSON object"},
		// The flag's value is wrong, not AWS (exit 3): nothing is called.
		{"unknown AWS profile", []string{"--aws-profile", "no-such-profile"}, "failed to get shared config profile, no-such-profile"},
		{"unknown AWS profile, --org", []string{"--org", "--aws-profile", "no-such-profile"}, "failed to get shared config profile, no-such-profile"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, "", append([]string{"scan"}, tc.args...)...)
			if code != ExitUsage || out != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, stderr, tc.want)
			}
		})
	}
}

// TestScanLiveAccountThroughTheEmulator scans the account behind
// AWS_ENDPOINT_URL (moto), reading the account facts ROOT-03 needs as well.
func TestScanLiveAccountThroughTheEmulator(t *testing.T) {
	client := motoIAM(t)
	name := createUser(t, client, "scan-live")
	if _, err := client.CreateLoginProfile(context.Background(), &iam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String("Xy-12345678!abc")}); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "", "scan", "--region", "us-east-1", "--profile", "all", "--format", "json", "--fail-on", "medium")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d (a console user without MFA fails USER-01): %s", code, ExitFindings, stderr)
	}
	var doc struct {
		Results []struct {
			RuleID string `json:"rule_id"`
			User   string `json:"user"`
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range doc.Results {
		if r.User == name || r.User == "<root_account>" {
			got[r.RuleID+" "+r.User] = r.Status
		}
	}
	for key, want := range map[string]string{
		"USER-01 " + name: "FAILED", "USER-02 " + name: "FAILED", "KEY-01 " + name: "PASSED",
		// moto's report has no root row: root rules must say so, not pass.
		"ROOT-01 <root_account>": "NOT_AVAILABLE", "ROOT-03 <root_account>": "NOT_AVAILABLE",
	} {
		if got[key] != want {
			t.Errorf("%s = %q, want %s", key, got[key], want)
		}
	}
}

// A live scan whose root account facts could not be read says so on
// stderr, in the digests' words, and prints its results all the same.
func TestScanLiveSaysTheAccountFactsCouldNotBeRead(t *testing.T) {
	createUser(t, motoIAM(t), "scan-facts")
	denyAccountSummary(t)
	code, out, stderr := run(t, "", "scan", "--region", "us-east-1", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "credaudit scan: Root account facts could not be read, so ROOT-02 goes by the report alone and ROOT-03 is NOT_AVAILABLE: "; !strings.Contains(stderr, want) || !strings.Contains(stderr, "AccessDenied") {
		t.Errorf("stderr lacks %q and the refusal:\n%s", want, stderr)
	}
	if !strings.Contains(out, `"rule_id": "ROOT-03"`) {
		t.Errorf("no ROOT-03 result:\n%.2000s", out)
	}
}

// A live scan whose rules do not read the root account facts (ROOT-02 and
// ROOT-03 disabled) does not ask for them, so it needs no permission for
// them, and cannot warn that they could not be read.
func TestScanLiveReadsNoAccountFactsNoRuleNeeds(t *testing.T) {
	name := createUser(t, motoIAM(t), "scan-no-facts")
	var calls atomic.Int32 // ListVirtualMFADevices comes after it
	answerAccountSummary(t, func(w http.ResponseWriter, c *emulator.Call) {
		calls.Add(1)
		c.Forward(w, nil)
	})
	cfg := filepath.Join(t.TempDir(), "credaudit.yaml")
	if err := os.WriteFile(cfg, []byte("rules:\n  ROOT-02:\n    enabled: false\n  ROOT-03:\n    enabled: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "", "scan", "--region", "us-east-1", "--format", "json", "--config", cfg)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d calls for the account facts no selected rule reads", n)
	}
	if !strings.Contains(out, `"user": "`+name+`"`) {
		t.Errorf("the scan did not read the live account:\n%.2000s", out)
	}
}

func TestScanTableFitsEightyColumnsWithoutColourOffTerminal(t *testing.T) {
	code, out, stderr := run(t, "", scanArgs("--format", "table", "--profile", "all")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for i, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("line %d is %d columns: %q", i+1, n, line)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour escapes written to a non-terminal")
	}
	// Failing before not available within a severity, most severe first.
	crit := strings.Index(out, "CRITICAL (")
	high := strings.Index(out, "HIGH (")
	if crit < 0 || high < crit || strings.Index(out, "ROOT-01") > strings.Index(out, "ROOT-03") {
		t.Errorf("table not grouped by severity with failing results first:\n%s", out)
	}
}

func TestScanReportsExpiredUnusedAndShadowedSuppressions(t *testing.T) {
	cfg := writeFile(t, t.TempDir(), "c.yaml", "suppressions:\n"+
		"  - rule: USER-01\n    user: bob\n    reason: old waiver\n    expires: 2026-11-01\n"+ // expired at the as-of time
		"  - rule: KEY-02\n    user: nobody-*\n    reason: matches nothing\n"+
		"  - rule: \"*\"\n    user: doe*\n    reason: every rule\n"+
		"  - rule: USER-01\n    user: \"doe,jane\"\n    reason: behind the one above\n") // never applies
	code, out, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--config", cfg, "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{cfg + ":2 expired on 2026-11-01", cfg + ":6 matches no failing result",
		cfg + ":12 never applies: every failing result it matches (1) is muted by an earlier suppression"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	var doc struct {
		Results []struct {
			RuleID     string `json:"rule_id"`
			User       string `json:"user"`
			Status     string `json:"status"`
			Suppressed bool   `json:"suppressed"`
		} `json:"results"`
		Suppressions []struct {
			Expired  bool `json:"expired"`
			Matched  int  `json:"matched"`
			Shadowed int  `json:"shadowed"`
		} `json:"suppressions"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suppressions) != 4 || !doc.Suppressions[0].Expired || doc.Suppressions[1].Expired || doc.Suppressions[1].Matched != 0 ||
		doc.Suppressions[2].Matched == 0 || doc.Suppressions[2].Shadowed != 0 || doc.Suppressions[3].Matched != 0 || doc.Suppressions[3].Shadowed != 1 {
		t.Errorf("suppressions = %+v", doc.Suppressions)
	}
	if _, table, _ := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--config", cfg, "--format", "table"); !strings.Contains(table, "Shadowed suppression ("+cfg+":12):") && !strings.Contains(table, "Shadowed suppression\n  ("+cfg+":12):") {
		t.Errorf("the table does not list the shadowed suppression:\n%s", table)
	}
	for _, r := range doc.Results {
		if r.RuleID == "USER-01" && r.User == "bob" && (r.Status != "FAILED" || r.Suppressed) {
			t.Errorf("an expired suppression still mutes bob's USER-01: %+v", r)
		}
	}
}

// A suppression's expiry is printed to the fraction of a second it was
// written with: one that still applies must not print as the as-of itself.
func TestScanPrintsASuppressionsExpiryAsWritten(t *testing.T) {
	cfg := writeFile(t, t.TempDir(), "c.yaml", "suppressions:\n"+
		"  - rule: USER-01\n    user: bob\n    reason: waiver\n    expires: 2026-11-20t06:00:00.000000001z\n")
	for _, tc := range []struct {
		asOf    string
		expired bool
		stderr  string
	}{
		{"2026-11-20T06:00:00Z", false, ""},
		{"2026-11-20T06:00:00.000000001Z", true, cfg + ":2 expired at 2026-11-20T06:00:00.000000001Z and no longer applies"},
	} {
		code, out, stderr := run(t, "", "scan", "--report", sampleReport, "--as-of", tc.asOf, "--config", cfg, "--format", "json")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var doc struct {
			Suppressions []struct {
				Expires string `json:"expires"`
				Expired bool   `json:"expired"`
			} `json:"suppressions"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Suppressions) != 1 || doc.Suppressions[0].Expires != "2026-11-20T06:00:00.000000001Z" || doc.Suppressions[0].Expired != tc.expired {
			t.Errorf("as of %s: suppressions %+v, want expires 2026-11-20T06:00:00.000000001Z, expired %v", tc.asOf, doc.Suppressions, tc.expired)
		}
		if tc.stderr == "" && strings.Contains(stderr, "expired") || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("as of %s: stderr %q, want it to say %q and no other expiry", tc.asOf, stderr, tc.stderr)
		}
	}
}

func TestScanTableColoursSeveritiesOnlyWhenAsked(t *testing.T) {
	src := source{report: sampleReport, asOf: "2026-11-20T06:00:00Z"}
	in, err := src.load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	selected, profile, err := (*config.Config)(nil).Selection("all")
	if err != nil {
		t.Fatal(err)
	}
	results, err := rules.Evaluate(rules.Input{Report: in.report, AsOf: in.asOf}, selected)
	if err != nil {
		t.Fatal(err)
	}
	for _, color := range []bool{false, true} {
		var b strings.Builder
		o := &scanOutput{report: in, profile: profile, selected: selected, results: results, color: color}
		if err := writeScanTable(&b, o); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(b.String(), sevColor[rules.Critical]+"CRITICAL ("); got != color {
			t.Errorf("color %v: critical heading coloured = %v", color, got)
		}
	}
}

func TestColorOnlyOnATerminalThatShowsIt(t *testing.T) {
	for _, tc := range []struct {
		tty  bool
		env  map[string]string
		want bool
	}{
		{true, nil, true},
		{true, map[string]string{"TERM": "xterm-256color"}, true},
		{false, nil, false},
		{true, map[string]string{"NO_COLOR": "1"}, false},
		{true, map[string]string{"TERM": "dumb"}, false},
	} {
		if got := colorOn(tc.tty, func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("terminal %v, environment %v: colour %v, want %v", tc.tty, tc.env, got, tc.want)
		}
	}
}

// scanConfigs are configurations for the streamed scan tests: suppressions
// only (the results are streamed as evaluated), and with a custom rule (they
// are evaluated whole first).
var scanConfigs = map[string]string{
	"suppressions": "suppressions:\n" +
		"  - rule: '*'\n    user: user-00*1\n    reason: a\n" +
		"  - rule: KEY-01\n    user: '*'\n    reason: b\n" +
		"  - rule: USER-02\n    user: nobody\n    reason: c\n",
	"custom": "suppressions:\n  - rule: ORG-01\n    user: '*5'\n    reason: d\n" +
		"custom_rules:\n  - id: ORG-01\n    title: t\n    severity: high\n    remediation: r\n    where: '!is_root'\n    assert: mfa_active\n",
}

// The scan JSON, CSV and SARIF written a batch at a time as the rules are
// evaluated are, byte for byte, what writing all the evaluated and suppressed results
// gives; so are the messages and the exit code.
func TestScanStreamedIsTheWholeOutput(t *testing.T) {
	dir := t.TempDir()
	report := writeFile(t, dir, "report.csv", string(credreporttest.Generate(1200, 3)))
	asOf := credreporttest.AsOf.Format(time.RFC3339)
	for name, body := range scanConfigs {
		cfgFile := writeFile(t, dir, name+".yaml", body)
		cfg, err := config.Parse(cfgFile, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			profile, format string
		}{{"recommended", "json"}, {"all", "json"}, {"recommended", "csv"}, {"all", "csv"}, {"recommended", "sarif"}, {"all", "sarif"}} {
			profile := tc.profile
			t.Run(name+"/"+profile+"/"+tc.format, func(t *testing.T) {
				code, out, stderr := run(t, "", "scan", "--report", report, "--as-of", asOf, "--config", cfgFile, "--profile", profile, "--format", tc.format, "--fail-on", "medium")
				src := source{report: report, asOf: asOf}
				in, err := src.load(context.Background(), nil)
				if err != nil {
					t.Fatal(err)
				}
				o := wholeScan(t, in, cfg, profile, report)
				var want bytes.Buffer
				if err := writeScan(&want, o, tc.format); err != nil {
					t.Fatal(err)
				}
				if out != want.String() {
					t.Errorf("streamed output differs from the whole output (%d against %d bytes)", len(out), want.Len())
				}
				wantCode := ExitOK
				if o.counts().worst() >= rules.Medium {
					wantCode = ExitFindings
				}
				unused := strings.Contains(stderr, cfgFile+":8 matches no failing result")
				if code != wantCode || unused != (name == "suppressions") {
					t.Errorf("exit %d, stderr %q; want exit %d, and the unused suppression reported only with the suppressions configuration", code, stderr, wantCode)
				}
				if o.counts().suppressed == 0 {
					t.Error("no result is suppressed: the test does not exercise suppressions")
				}
			})
		}
	}
}

// A custom rule failing at run time is an input error with nothing written,
// and a failed write, the first or a later one, ends the scan with that
// error, in every format that is written in chunks: the streamed ones and
// the table (237 KB here: two chunks).
func TestScanStreamedErrors(t *testing.T) {
	dir := t.TempDir()
	report := writeFile(t, dir, "report.csv", string(credreporttest.Generate(1200, 3)))
	cfg := writeFile(t, dir, "c.yaml", "custom_rules:\n  - id: ORG-01\n    title: t\n    severity: high\n    remediation: r\n    where: '!is_root'\n    assert: int(user) > 0\n")
	// The error says where the expression is written and which report the
	// line is in, not only "line 3", which reads as the configuration's.
	where := "rule ORG-01: custom_rules[0].assert (" + cfg + ":7) on line 3 of "
	for _, format := range []string{"json", "csv", "sarif", "table"} {
		code, out, stderr := run(t, "", "scan", "--report", report, "--config", cfg, "--format", format)
		if code != ExitUsage || out != "" || !strings.Contains(stderr, where+report+" (user ") {
			t.Errorf("%s: exit %d, %d bytes written, stderr %q; want exit 2, nothing written and the rule's error, from %q", format, code, len(out), stderr, where)
		}
		for _, writes := range []int{0, 1} {
			var errOut bytes.Buffer
			code := Run(context.Background(), []string{"scan", "--report", report, "--format", format}, IO{Stdout: &failingWriter{n: writes}, Stderr: &errOut})
			if code == ExitOK || !strings.Contains(errOut.String(), errDiskFull.Error()) {
				t.Errorf("%s failing after %d writes: exit %d, stderr %q; want the write error", format, writes, code, errOut.String())
			}
		}
	}
}

// What the configuration asks for that the scan does not do is said on
// stderr, and the scan goes on: the output is the one without it.
func TestScanSaysWhatTheConfigurationDoesNotDo(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "c.yaml", "rules:\n  USER-04:\n    dormant_days: 60\n")
	code, out, stderr := run(t, "", "scan", "--report", sampleReport, "--config", cfg, "--as-of", "2026-11-20T06:00:00Z", "--format", "json")
	_, plain, _ := run(t, "", "scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--format", "json")
	want := "credaudit scan: " + cfg + ":3: rules.USER-04 sets a threshold, but USER-04 is not in profile recommended, so it does not run (enabled: true runs it)\n"
	if code != ExitOK || stderr != want || out != plain {
		t.Errorf("exit %d, stderr %q, output as without the file %v; want exit 0, stderr %q, the same output", code, stderr, out == plain, want)
	}
}

// A custom rule's error names the report its line is in however the
// report came: stdin, the JSON of get-credential-report (the line is of its
// Content), and through an audit (--state).
func TestScanRuleErrorNamesTheReport(t *testing.T) {
	dir := t.TempDir()
	csv := string(credreporttest.Generate(10, 3))
	report := writeFile(t, dir, "report.csv", csv)
	doc := writeFile(t, dir, "report.json", `{"Content":"`+base64.StdEncoding.EncodeToString([]byte(csv))+`","ReportFormat":"text/csv","GeneratedTime":"2026-11-20T06:00:00Z"}`)
	cfg := writeFile(t, dir, "c.yaml", "custom_rules:\n  - id: ORG-01\n    title: t\n    severity: high\n    remediation: r\n    assert: int(user) > 0\n")
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"stdin", csv, []string{"--report", "-"}, "on line 3 of stdin (user "},
		{"JSON", "", []string{"--report", doc}, "on line 3 of the report in " + doc + " (user "},
		{"audit", "", []string{"--report", report, "--as-of", "2026-11-20T06:00:00Z", "--state", t.TempDir()}, "on line 3 of " + report + " (user "},
	} {
		code, out, stderr := run(t, tc.stdin, append([]string{"scan", "--config", cfg, "--format", "json"}, tc.args...)...)
		if want := "custom_rules[0].assert (" + cfg + ":6) " + tc.want; code != ExitUsage || out != "" || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, %d bytes written, stderr %q; want exit 2 and %q", tc.name, code, len(out), stderr, want)
		}
	}
}

// The streamed SARIF is the document encoding/json writes when given it
// whole, as maps (sarifDocument): with results, suppressed ones among them,
// from stdin (the default artifact name), and with none.
func TestScanSARIFIsEncodingJSONsDocument(t *testing.T) {
	dir := t.TempDir()
	report := writeFile(t, dir, "report.csv", string(credreporttest.Generate(300, 4)))
	// Only a root row that fails no rule of cis-1.2.
	clean := writeFile(t, dir, "clean.csv", credreporttest.Header+"\n"+
		"<root_account>,arn:aws:iam::123456789012:root,2019-03-04T10:11:12+00:00,not_supported,2020-11-02T08:15:00+00:00,"+
		"not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n")
	body := "suppressions:\n  - rule: '*'\n    user: user-00*1\n    reason: 'accepted <risk> & \"quoted\"'\n"
	cfgFile := writeFile(t, dir, "c.yaml", body)
	cfg, err := config.Parse(cfgFile, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	asOf := credreporttest.AsOf.Format(time.RFC3339)
	for _, tc := range []struct {
		name, report, profile string
		stdin                 bool
		results               bool
		uri                   string // the artifact the results are located in
	}{
		{"all", report, "all", false, true, "file://" + filepath.ToSlash(report)},
		{"stdin", report, "recommended", true, true, "credential-report.csv"},
		{"none", clean, "cis-1.2", false, false, ""}, // no results to locate
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"scan", "--report", tc.report, "--as-of", asOf, "--config", cfgFile, "--profile", tc.profile, "--format", "sarif"}
			stdin := ""
			src := source{report: tc.report, asOf: asOf}
			if tc.stdin {
				data, err := os.ReadFile(tc.report)
				if err != nil {
					t.Fatal(err)
				}
				stdin, args[2], src.report = string(data), "-", "-"
			}
			code, out, stderr := run(t, stdin, args...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			in, err := src.load(context.Background(), strings.NewReader(stdin))
			if err != nil {
				t.Fatal(err)
			}
			o := wholeScan(t, in, cfg, tc.profile, src.report)
			want, results, suppressed := sarifDocument(t, o, tc.uri)
			if out != want {
				t.Errorf("SARIF differs from encoding/json's document (%d against %d bytes)", len(out), len(want))
			}
			if (results > 0) != tc.results || tc.results && suppressed == 0 {
				t.Errorf("%d results, %d suppressed: the case does not exercise what it is for", results, suppressed)
			}
		})
	}
}

// The SARIF locates results in the report file by a valid URI reference:
// a relative path percent-encoded, an absolute one as a file URI; each reads
// back as the path it came from.
func TestSARIFURIIsAURIReferenceToTheReport(t *testing.T) {
	for _, tc := range []struct{ source, want string }{
		{"", "credential-report.csv"},
		{"-", "credential-report.csv"},
		{"report.csv", "report.csv"},
		{"../../events/sample-report.csv", "../../events/sample-report.csv"},
		{"my report#1 100%.csv", "my%20report%231%20100%25.csv"},
		{"reports/2026 Q1/what?.csv", "reports/2026%20Q1/what%3F.csv"},
		{"a:b.csv", "./a:b.csv"},
		{"rapport-é.csv", "rapport-%C3%A9.csv"},
		{"/var/reports/my report.csv", "file:///var/reports/my%20report.csv"},
	} {
		got := sarifURI(&scanOutput{source: tc.source})
		if got != tc.want {
			t.Errorf("%q: uri %q, want %q", tc.source, got, tc.want)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Errorf("%q: uri %q is not a URI reference: %v", tc.source, got, err)
			continue
		}
		if tc.source == "" || tc.source == "-" {
			continue
		}
		wantScheme := ""
		if filepath.IsAbs(tc.source) {
			wantScheme = "file"
		}
		if u.Scheme != wantScheme || path.Clean(u.Path) != path.Clean(tc.source) {
			t.Errorf("%q: uri %q reads back as scheme %q, path %q", tc.source, got, u.Scheme, u.Path)
		}
	}
}

// An absolute path is a file URI on every system: a Windows path (as
// filepath.ToSlash leaves it) gets the slash before its drive, and a UNC
// path keeps its server in the path (RFC 8089 E.3.2's file:////server/…).
func TestFileURI(t *testing.T) {
	for p, want := range map[string]string{
		"/var/reports/my report.csv":   "file:///var/reports/my%20report.csv",
		"C:/Users/ana/report #2.csv":   "file:///C:/Users/ana/report%20%232.csv",
		"//server/share/reports/r.csv": "file:////server/share/reports/r.csv",
	} {
		if got := fileURI(p); got != want {
			t.Errorf("fileURI(%q) = %q, want %q", p, got, want)
		}
	}
}

// A SARIF run GitHub code scanning would not take whole (it shows the 5,000
// most severe results and rejects more than 25,000) is said on stderr, with
// its number of results (failing ones, suppressed or not); other formats and
// smaller runs say nothing.
func TestScanSARIFSaysWhenGitHubWouldNotTakeItAll(t *testing.T) {
	// The SARIF holds the failing results, suppressed or not; a
	// NOT_AVAILABLE result a suppression covers is counted suppressed, and
	// is not in it.
	results := func(failed, suppressed, suppressedNA int) []rules.Result {
		rule, s := &rules.Rule{ID: "KEY-01", Severity: rules.Medium}, &rules.Suppression{RuleID: "*", User: "*", Reason: "r"}
		var rs []rules.Result
		for range failed {
			rs = append(rs, rules.Result{Rule: rule, Status: rules.Failed})
		}
		for range suppressed {
			rs = append(rs, rules.Result{Rule: rule, Status: rules.Failed, Suppression: s})
		}
		for range suppressedNA {
			rs = append(rs, rules.Result{Rule: rule, Status: rules.NotAvailable, Suppression: s})
		}
		for range 4000 {
			rs = append(rs, rules.Result{Rule: rule, Status: rules.Passed}, rules.Result{Rule: rule, Status: rules.NotAvailable})
		}
		return rs
	}
	for _, tc := range []struct {
		failed, suppressed, suppressedNA int
		want                             string
	}{
		{5000, 0, 0, ""},
		{5001, 0, 0, "the SARIF has 5001 results; GitHub code scanning shows only the 5000 most severe of a run"},
		{4000, 1001, 0, "the SARIF has 5001 results; GitHub code scanning shows only"},
		{4000, 1000, 3000, ""},
		{25000, 0, 0, "the SARIF has 25000 results; GitHub code scanning shows only"},
		{24000, 1001, 0, "the SARIF has 25001 results; GitHub code scanning rejects a run of more than 25000"},
		{24000, 1000, 3000, "the SARIF has 25000 results; GitHub code scanning shows only"},
	} {
		var count tally
		count.add(results(tc.failed, tc.suppressed, tc.suppressedNA))
		got := sarifLimitNote(&count)
		if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%d failing, %d suppressed, %d not available and suppressed: note %q, want %q", tc.failed, tc.suppressed, tc.suppressedNA, got, tc.want)
		}
	}

	report := writeFile(t, t.TempDir(), "report.csv", string(credreporttest.Generate(5000, 1)))
	asOf := credreporttest.AsOf.Format(time.RFC3339)
	code, out, stderr := run(t, "", "scan", "--report", report, "--as-of", asOf, "--format", "sarif")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Runs []struct{ Results []json.RawMessage }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Runs) != 1 {
		t.Fatalf("SARIF: %v, %d runs", err, len(doc.Runs))
	}
	n := len(doc.Runs[0].Results)
	if n <= sarifShown {
		t.Fatalf("%d results: the report no longer exceeds what GitHub shows", n)
	}
	if want := fmt.Sprintf("credaudit scan: the SARIF has %d results; GitHub code scanning shows only the %d most severe of a run\n", n, sarifShown); stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	for _, args := range [][]string{
		{"scan", "--report", report, "--as-of", asOf, "--format", "json"},
		{"scan", "--report", sampleReport, "--as-of", asOf, "--format", "sarif"},
	} {
		if code, _, stderr := run(t, "", args...); code != ExitOK || stderr != "" {
			t.Errorf("%s: exit %d, stderr %q, want 0 and nothing", strings.Join(args, " "), code, stderr)
		}
	}
}

// sarifDocument is o's SARIF built whole, its results as maps located in
// uri, and written by encoding/json, and how many results, and suppressed
// ones, it holds.
func sarifDocument(t *testing.T, o *scanOutput, uri string) (doc string, results, suppressed int) {
	t.Helper()
	type obj = map[string]any
	res := []obj{}
	for _, r := range o.results {
		if r.Status != rules.Failed {
			continue
		}
		sum := sha256.Sum256([]byte(o.report.report.AccountID + "/" + r.Rule.ID + "/" + r.ResourceID()))
		x := obj{
			"ruleId":    r.Rule.ID,
			"ruleIndex": slices.IndexFunc(o.selected, func(s rules.Selected) bool { return s.Rule == r.Rule }),
			"level":     sarifLevel(r.Rule.Severity),
			"message":   obj{"text": r.Reason},
			"locations": []obj{{
				"physicalLocation": obj{
					"artifactLocation": obj{"uri": uri},
					"region":           obj{"startLine": max(r.Entry.Line, 1)},
				},
				"logicalLocations": []obj{{"name": r.User(), "fullyQualifiedName": r.ResourceID(), "kind": "resource"}},
			}},
			"partialFingerprints": obj{"credaudit/v1": hex.EncodeToString(sum[:16])},
		}
		if r.Suppressed() {
			x["suppressions"] = []obj{{"kind": "external", "justification": r.SuppressionReason()}}
			suppressed++
		}
		res = append(res, x)
	}
	frame := sarifFrame(o)
	frame["runs"].([]obj)[0]["results"] = res
	b, err := encodeJSON(frame, "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b), len(res), suppressed
}

// A malformed report's user name cannot write escape sequences, tabs or line
// breaks to the terminal through the table of scan or query: they are shown
// escaped. One that is not UTF-8 is refused, named escaped.
func TestTablesEscapeWhatATerminalWouldObey(t *testing.T) {
	data, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	named := func(user string) string {
		body := strings.Replace(string(data), "\nalice,", "\n\""+user+"\",", 1)
		body = strings.Replace(body, ",arn:aws:iam::123456789012:user/alice,", ",\"arn:aws:iam::123456789012:user/"+user+"\",", 1)
		return writeFile(t, t.TempDir(), "evil.csv", body)
	}
	evil := "alice\x1b[31m\tred\xff"
	const shown = `alice\x1b[31m\tred\xff`
	code, out, errOut := run(t, "", "scan", "--report", named(evil), "--format", "table")
	if code != ExitUsage || out != "" || !strings.Contains(errOut, `user name "`+shown+`" is not UTF-8`) || strings.ContainsAny(errOut, "\x1b\t\xff") {
		t.Errorf("a user name not UTF-8: exit %d, output %q, stderr %q; want exit 2 naming it escaped", code, out, errOut)
	}

	report := named(strings.TrimSuffix(evil, "\xff"))
	shownUser := strings.TrimSuffix(shown, `\xff`)
	for _, args := range [][]string{
		{"scan", "--report", report, "--format", "table", "--profile", "all"},
		{"query", "--report", report, "--format", "table", "--columns", "user,arn"},
	} {
		code, out, errOut := run(t, "", args...)
		if code > 1 || !strings.Contains(out, shownUser) || strings.ContainsAny(out, "\x1b\t") {
			t.Errorf("%s: exit %d, stderr %q; output shows the name escaped: %v, holds a raw ESC or tab: %v",
				args[0], code, errOut, strings.Contains(out, shownUser), strings.ContainsAny(out, "\x1b\t"))
		}
	}

	// The digest a scan with --state prints on stderr names the user too.
	code, _, errOut = run(t, "", "scan", "--report", report, "--format", "json", "--profile", "all", "--state", filepath.Join(t.TempDir(), "state"))
	if code != ExitOK || !strings.Contains(errOut, shownUser) || strings.ContainsAny(errOut, "\x1b\t") {
		t.Errorf("scan --state: exit %d; the digest on stderr shows the name escaped: %v, holds a raw ESC or tab: %v\n%s",
			code, strings.Contains(errOut, shownUser), strings.ContainsAny(errOut, "\x1b\t"), errOut)
	}

	// A column the report names itself: in query's table header, and in
	// the usage error that lists the report's columns.
	lines := strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")
	lines[0] = strings.TrimSuffix(lines[0], "\n") + ",\"" + evil + "\"\n"
	for i := 1; i < len(lines); i++ {
		lines[i] = strings.TrimSuffix(lines[i], "\n") + ",v\n"
	}
	extra := writeFile(t, t.TempDir(), "extra.csv", strings.Join(lines, ""))
	code, out, errOut = run(t, "", "query", "--report", extra, "--format", "table")
	if code != ExitOK || !strings.Contains(out, shown) || strings.ContainsAny(out, "\x1b\t\xff") {
		t.Errorf("query, the report's own column: exit %d, stderr %q; header shows it escaped: %v, holds a raw ESC, tab or bad byte: %v",
			code, errOut, strings.Contains(out, shown), strings.ContainsAny(out, "\x1b\t\xff"))
	}
	code, _, errOut = run(t, "", "query", "--report", extra, "--columns", "nope")
	if code != ExitUsage || !strings.Contains(errOut, shown) || strings.ContainsAny(errOut, "\x1b\t\xff") {
		t.Errorf("query --columns nope: exit %d, stderr %q; want exit 2 listing the columns escaped", code, errOut)
	}
}

func TestTerminalSafe(t *testing.T) {
	for in, want := range map[string]string{
		"alice":           "alice",
		"zoë+ops@x.io":    "zoë+ops@x.io",
		"a\x1b[2Jb":       `a\x1b[2Jb`,
		"line\nbreak\r":   `line\nbreak\r`,
		"bad\xffbyte":     `bad\xffbyte`,
		"\u2028sep\u00ad": `\u2028sep\u00ad`,
		"\ufffd":          "\ufffd", // a real replacement character is printable
		`a\x1b`:           `a\\x1b`, // not what ESC prints as
	} {
		if got := terminalSafe(in); got != want {
			t.Errorf("terminalSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// The digest on stderr shows the digest's own escapes as the email does: a
// line break it wrote as \n is not doubled to \\n; what a terminal would
// obey is still escaped.
func TestWriteDigestKeepsTheDigestsEscapes(t *testing.T) {
	var b strings.Builder
	writeDigest(&b, "Subject\n\nSecurity Hub: BatchImportFindings failed\\nBatchUpdateFindings failed \x1b[2J\xff\n")
	if want := "Subject\n\nSecurity Hub: BatchImportFindings failed\\nBatchUpdateFindings failed \\x1b[2J\\xff\n"; b.String() != want {
		t.Errorf("writeDigest wrote %q, want %q", b.String(), want)
	}
}

// A scan CSV opened in a spreadsheet runs no formula: a user name IAM
// allows (=A1, -2+3, @x, +1) is written with a leading '.
func TestScanCSVCellsAreNoFormulas(t *testing.T) {
	data, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"=A1", "-2+3", "@x", "+1"}
	body := string(data)
	for i, user := range []string{"alice", "bob", "carol", "erin"} {
		body = strings.ReplaceAll(body, "\n"+user+",", "\n"+names[i]+",")
		body = strings.ReplaceAll(body, "/"+user+",", "/"+names[i]+",") // its ARN
	}
	code, out, errOut := run(t, "", "scan", "--report", writeFile(t, t.TempDir(), "names.csv", body), "--format", "csv", "--profile", "all")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Fatalf("cell %q of %v starts a formula", cell, row)
			}
		}
		seen[row[6]] = true
	}
	for _, n := range names {
		if !seen["'"+n] {
			t.Errorf("user %s not written as '%s; users seen: %v", n, n, seen)
		}
	}
}

// From a report file of get-credential-report JSON, every SARIF result is on
// the line that holds the report (its Content), whatever the indentation
// and key order: not on the decoded CSV's lines, which are not the file's.
func TestSARIFLinesOfAJSONReportAreItsContentLine(t *testing.T) {
	data, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	content := base64.StdEncoding.EncodeToString(data)
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		doc  string
		line int
	}{
		"compact":               {`{"Content":"` + content + `","ReportFormat":"text/csv","GeneratedTime":"2026-11-20T06:00:00Z"}`, 1},
		"indented, Content 3rd": {"{\n    \"GeneratedTime\": \"2026-11-20T06:00:00Z\",\n    \"ReportFormat\": \"text/csv\",\n    \"Content\":\n        \"" + content + "\"\n}\n", 4},
		"lower-case key":        {"{\"Extra\": {\"nested\": \"Content\"},\n\"content\": \"" + content + "\"}", 2},
	} {
		report := writeFile(t, dir, strings.ReplaceAll(name, " ", "-")+".json", tc.doc)
		code, out, stderr := run(t, "", "scan", "--report", report, "--format", "sarif", "--as-of", "2026-11-20T06:00:00Z")
		if code != ExitOK {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		var doc struct {
			Runs []struct {
				Results []struct {
					Locations []struct {
						PhysicalLocation struct {
							Region struct{ StartLine int }
						}
					}
				}
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Runs) != 1 || len(doc.Runs[0].Results) == 0 {
			t.Fatalf("%s: %v", name, err)
		}
		for _, r := range doc.Runs[0].Results {
			if got := r.Locations[0].PhysicalLocation.Region.StartLine; got != tc.line {
				t.Errorf("%s: a result on line %d, want %d", name, got, tc.line)
				break
			}
		}
	}
}

func TestSARIFName(t *testing.T) {
	for _, tc := range []struct{ title, want string }{
		{"Root user has MFA enabled", "RootUserHasMFAEnabled"},
		{"Credentials unused for 45 days or more are disabled", "CredentialsUnusedFor45DaysOrMoreAreDisabled"},
		{"équipe: clés d'accès à jour", "ÉquipeClésDAccèsÀJour"},
		{"हिन्दी नियम", "हिन्दीनियम"}, // vowel signs and viramas are marks, not separators
		{"Cafe\u0301 keys", "Cafe\u0301Keys"},
		{"— ✓ —", "ORG-01"}, // no letter or digit: the rule's ID
	} {
		if got := sarifName(tc.title, "ORG-01"); got != tc.want {
			t.Errorf("sarifName(%q) = %q, want %q", tc.title, got, tc.want)
		}
	}
}

// A custom rule's URL is its SARIF rule's helpUri, which the SARIF schema
// (checked by code scanning's upload) wants a URI: one written as a browser
// takes it, with a space or a letter outside ASCII, is percent-encoded, and
// a URI stays as it is.
func TestSARIFHelpURIIsAURI(t *testing.T) {
	rep, err := credreport.Parse(credreporttest.Generate(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ url, want string }{
		{"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html", "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html"},
		{"https://wiki.example.com/display/SEC/IAM Policy?q=a b#Step 2", "https://wiki.example.com/display/SEC/IAM%20Policy?q=a%20b#Step%202"},
		{"https://wiki.example.com/sécurité", "https://wiki.example.com/s%C3%A9curit%C3%A9"},
		{"https://example.com/a%20b?x=1&y=[2]", "https://example.com/a%20b?x=1&y=[2]"},
	} {
		cfg, err := config.Parse("c.yaml", []byte("custom_rules:\n  - {id: ORG-01, title: t, severity: low, remediation: r, assert: 'true', url: '"+tc.url+"'}\n"))
		if err != nil {
			t.Fatal(err)
		}
		selected, _, err := cfg.Selection("")
		if err != nil {
			t.Fatal(err)
		}
		frame := sarifFrame(&scanOutput{report: &loaded{report: rep, asOf: credreporttest.AsOf}, selected: selected})
		descriptors := frame["runs"].([]map[string]any)[0]["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]map[string]any)
		got := descriptors[len(descriptors)-1]["helpUri"]
		if got != tc.want {
			t.Errorf("url %q: helpUri %q, want %q", tc.url, got, tc.want)
		}
	}
}

// GitHub code scanning keeps 10 tags of a rule and warns of the rest on
// every upload ("Rule tags in SARIF file exceed limits"): no rule has more,
// and every framework mapping is kept in related_requirements, the first
// nine as tags.
func TestSARIFRuleTagsWithinCodeScanningsLimit(t *testing.T) {
	rep, err := credreport.Parse(credreporttest.Generate(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	selected, _, err := (*config.Config)(nil).Selection("all")
	if err != nil {
		t.Fatal(err)
	}
	frame := sarifFrame(&scanOutput{report: &loaded{report: rep, asOf: credreporttest.AsOf}, selected: selected})
	descriptors := frame["runs"].([]map[string]any)[0]["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]map[string]any)
	cut := 0
	for i, d := range descriptors {
		props := d["properties"].(map[string]any)
		tags := props["tags"].([]string)
		reqs := rules.RelatedRequirements(selected[i].Rule)
		if len(tags) > 10 || tags[0] != "security" || !slices.Equal(tags[1:], reqs[:len(tags)-1]) {
			t.Errorf("%s: tags %q", d["id"], tags)
		}
		if len(tags)-1 < len(reqs) {
			cut++
		}
		if got, _ := props["related_requirements"].([]string); !slices.Equal(got, reqs) {
			t.Errorf("%s: related_requirements %q, want %q", d["id"], got, reqs)
		}
	}
	if cut == 0 {
		t.Error("test setup: no rule has more than 9 framework mappings")
	}
}

// fullWriter fails every write, as a full disk does.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// An output that cannot be written is said to be so, in every format; with
// --state, that the state was saved and where the run's news went.
func TestScanSaysTheOutputCouldNotBeWritten(t *testing.T) {
	for _, format := range []string{"json", "csv", "sarif", "table", "asff"} {
		for _, withState := range []bool{false, true} {
			args := []string{"scan", "--report", sampleReport, "--as-of", "2026-11-20T06:00:00Z", "--format", format}
			if withState {
				args = append(args, "--state", t.TempDir())
			}
			var errOut bytes.Buffer
			code := Run(t.Context(), args, IO{Stdin: strings.NewReader(""), Stdout: fullWriter{}, Stderr: &errOut})
			want := "credaudit scan: writing the output: no space left on device"
			if withState {
				want += " (the state was saved: the digest above is this run's news"
			}
			if code != ExitUsage || !strings.Contains(errOut.String(), want) {
				t.Errorf("%s, state %v: exit %d, stderr %q; want exit 2 and %q", format, withState, code, errOut.String(), want)
			}
		}
	}
}
