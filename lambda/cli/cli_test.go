package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/internal/emulator"
	"github.com/credaudit/credaudit/lambda/internal/golden"
	"github.com/credaudit/credaudit/lambda/state"
)

const sampleReport = "../../events/sample-report.csv"

// run runs the command line with stdin and returns exit code, stdout, stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut})
	return code, out.String(), errOut.String()
}

func TestQueryCSVWithoutFilterReproducesTheReport(t *testing.T) {
	code, out, stderr := run(t, "", "query", "--report", sampleReport, "--format", "csv")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	in, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := csv.NewReader(bytes.NewReader(in)).ReadAll()
	got, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows differ (-report +output):\n%s", diff)
	}
}

// A row whose only asked-for cell is empty is a row of the CSV, not a blank
// line: encoding/csv writes a record of one empty field as an empty line,
// which CSV readers (Go's, pandas) skip, so the row went missing.
func TestQueryCSVKeepsARowOfOneEmptyCell(t *testing.T) {
	data, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	lines[0] += ",note"
	for i := 1; i < len(lines); i++ {
		lines[i] += ","
	}
	lines[1] += "first"
	code, out, stderr := run(t, strings.Join(lines, "\n")+"\n", "query", "--report", "-", "--columns", "note", "--format", "csv")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"note"}, {"first"}}
	for range lines[2:] {
		want = append(want, []string{""})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows differ (-want +got):\n%s\noutput:\n%s", diff, out)
	}
}

func TestQueryWhereColumnsAndFormats(t *testing.T) {
	where := "password_enabled && !mfa_active"
	for _, format := range []string{"table", "json", "csv"} {
		t.Run(format, func(t *testing.T) {
			code, out, stderr := run(t, "", "query", "--report", sampleReport, "--where", where,
				"--columns", "user,arn,password_last_used,mfa_active", "--format", format)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden.Check(t, "query-where."+format, []byte(out))
		})
	}
}

// --count prints how many rows match instead of the rows; --fail-if-any
// exits 1 when any does, the rows (or count) printed all the same, and 0
// when none does: a check for CI, as InSpec's "should_not exist".
func TestQueryCountAndFailIfAny(t *testing.T) {
	const where = "!is_root && password_enabled && !mfa_active" // no sentinel note on stderr
	code, rowsCSV, stderr := run(t, "", "query", "--report", sampleReport, "--where", where, "--format", "csv")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	records, err := csv.NewReader(strings.NewReader(rowsCSV)).ReadAll()
	if err != nil || len(records) < 2 {
		t.Fatalf("the sample has no row matching %s: %q, %v", where, rowsCSV, err)
	}
	matching := len(records) - 1
	report, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"--where", where, "--count"}, ExitOK, fmt.Sprintf("%d\n", matching), ""},
		{[]string{"--where", `user == "nobody"`, "--count"}, ExitOK, "0\n", ""},
		{[]string{"--count"}, ExitOK, fmt.Sprintf("%d\n", bytes.Count(report, []byte("\n"))-1), ""},
		{[]string{"--where", where, "--format", "csv", "--fail-if-any"}, ExitFindings, rowsCSV,
			fmt.Sprintf("credaudit query: %d rows matched (--fail-if-any)\n", matching)},
		{[]string{"--where", where, "--count", "--fail-if-any"}, ExitFindings, fmt.Sprintf("%d\n", matching), "rows matched (--fail-if-any)"},
		{[]string{"--where", `user == "nobody"`, "--format", "csv", "--fail-if-any"}, ExitOK, strings.Join(records[0], ",") + "\n", ""},
		{[]string{"--count", "--format", "json"}, ExitUsage, "", "--count prints a number, not rows: leave out --columns, --sort and --format"},
		{[]string{"--count", "--columns", "user"}, ExitUsage, "", "--count prints a number, not rows"},
	} {
		code, stdout, stderr := run(t, "", append([]string{"query", "--report", sampleReport}, tc.args...)...)
		if code != tc.code || stdout != tc.stdout || !strings.Contains(stderr, tc.stderr) || tc.stderr == "" && stderr != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, %q, %q", strings.Join(tc.args, " "), code, stdout, stderr, tc.code, tc.stdout, tc.stderr)
		}
	}
}

// query --sort orders the rows it prints by typed values (a key's
// rotation time, not its text), sentinels last, ties in report order, and
// refuses a column the report lacks, one named twice, or a bare "-".
func TestQuerySort(t *testing.T) {
	want := func(cells [][]string) string { // the sample's users, by the rotation time of key 1
		type keyed struct {
			user string
			at   time.Time
			set  bool
		}
		var rows []keyed
		for _, r := range cells[1:] {
			at, err := time.Parse(time.RFC3339, r[slices.Index(cells[0], "access_key_1_last_rotated")])
			rows = append(rows, keyed{r[0], at, err == nil})
		}
		slices.SortStableFunc(rows, func(a, b keyed) int {
			switch {
			case a.set != b.set && a.set:
				return -1
			case a.set != b.set:
				return 1
			}
			return b.at.Compare(a.at) // the newest first
		})
		var users []string
		for _, r := range rows {
			users = append(users, r.user)
		}
		return strings.Join(users, " ")
	}
	report, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	cells, err := csv.NewReader(bytes.NewReader(report)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "", "query", "--report", sampleReport, "--sort", "-access_key_1_last_rotated", "--format", "json", "--columns", "user,access_key_1_last_rotated")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rows []struct{ User string }
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.User)
	}
	if w := want(cells); strings.Join(got, " ") != w || !strings.Contains(out, "null") {
		t.Errorf("--sort -access_key_1_last_rotated printed %s, want %s, with a key never rotated (null) last:\n%s", strings.Join(got, " "), w, out)
	}
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"--sort", "user,-user"}, `--sort names "user" twice`},
		{[]string{"--sort", "-"}, `--sort "-": a "-" with no column after it`},
		{[]string{"--sort", " , "}, `--sort " , " names no column`},
		{[]string{"--sort", "user,"}, `--sort "user,": item 2 of 2 is empty`},
		{[]string{"--sort", "team"}, `--sort: the report has no column "team"`},
		{[]string{"--columns", "user", "--sort", "team"}, `--sort: the report has no column "team"`},
		{[]string{"--sort", "user", "--count"}, "--count prints a number, not rows"},
	} {
		code, stdout, stderr := run(t, "", append([]string{"query", "--report", sampleReport}, tc.args...)...)
		if code != ExitUsage || stdout != "" || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d saying %q", strings.Join(tc.args, " "), code, stdout, stderr, ExitUsage, tc.stderr)
		}
	}
}

// A --where whose match hinges on a sentinel (root's password_enabled is
// not_supported), read as false, says so on stderr, naming the row; one
// that does not hinge on it there says nothing.
func TestQueryWhereSaysWhereASentinelDecided(t *testing.T) {
	for _, tc := range []struct {
		where, stderr string
	}{
		{"password_enabled && !mfa_active", `--where's match hinged on a sentinel, read as false, on 1 row (a scan would leave it NOT_AVAILABLE): line 2 (user "<root_account>"): password_enabled is not_supported` + "\n"},
		{"!password_enabled", `on 1 row (a scan would leave it NOT_AVAILABLE): line 2 (user "<root_account>"): password_enabled is not_supported`},
		{"access_key_1_active || password_enabled", ""}, // root's key is active
		{`user == "bob"`, ""},
	} {
		code, _, stderr := run(t, "", "query", "--report", sampleReport, "--where", tc.where, "--format", "csv")
		if code != ExitOK || tc.stderr == "" && stderr != "" || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("--where %s: exit %d, stderr %q; want 0 and %q", tc.where, code, stderr, tc.stderr)
		}
	}
}

func TestQueryJSONIsTyped(t *testing.T) {
	code, out, stderr := run(t, "", "query", "--report", sampleReport, "--where", `user == "doe,jane" || is_root`, "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden.Check(t, "query-typed.json", []byte(out))
	for _, want := range []string{`"password_enabled": null`, `"mfa_active": false`, `"password_last_used": null`, `"password_next_rotation": "2026-11-25T14:00:00Z"`, `"user": "doe,jane"`} {
		if !strings.Contains(out, want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
}

// The query JSON is, value for value, what encoding/json writes for each
// cell (as the writer once made it), over several chunks of output and a
// column the parser does not know whose name and values need escaping,
// and another asked for twice.
func TestQueryJSONIsEncodingJSONsPerCell(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(string(credreporttest.Generate(1500, 6)), "\n"), "\n")
	lines[0] += `,"note ""x"" <&>",extra`
	for i := 1; i < len(lines); i++ {
		lines[i] += `,"say ""hi"" é\` + strconv.Itoa(i) + `",x` + strconv.Itoa(i)
	}
	rep, err := credreport.Parse([]byte(strings.Join(lines, "\n") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	// Unknown columns before and after the known ones, one of them twice:
	// each row's unknown cells are split from it once, and must come out in
	// the columns' order.
	note := rep.Header[len(rep.Header)-2]
	cols := append([]string{note}, rep.Header...)
	var want strings.Builder
	want.WriteString("[")
	for i, e := range rep.Table() {
		if i > 0 {
			want.WriteString(",")
		}
		want.WriteString("\n  {")
		for j, c := range cols {
			if j > 0 {
				want.WriteString(", ")
			}
			var v any
			if typed, ok := e.Value(c); ok {
				v = typed.Any()
			} else {
				v, _ = e.RawValue(c)
			}
			key, _ := marshalJSON(c)
			val, err := marshalJSON(v)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&want, "%s: %s", key, val)
		}
		want.WriteString("}")
	}
	want.WriteString("\n]\n")
	var got bytes.Buffer
	if err := writeRowsJSON(&got, cols, rep.Table()); err != nil {
		t.Fatal(err)
	}
	if got.Len() < 3*outChunk {
		t.Fatalf("%d bytes: want several chunks", got.Len())
	}
	if diff := cmp.Diff(want.String(), got.String()); diff != "" {
		t.Errorf("query JSON differs from encoding/json's per cell (-want +got):\n%s", diff)
	}
}

func TestQueryReadsStdinAndTheCLIsJSON(t *testing.T) {
	data, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"Content": "` + base64.StdEncoding.EncodeToString(data) + `", "ReportFormat": "text/csv", "GeneratedTime": "2026-11-20T06:00:00+00:00"}`
	// as_of comes from GeneratedTime: users created within 30 days of it.
	code, out, stderr := run(t, doc, "query", "--report", "-", "--where", `as_of - user_creation_time < duration("720h")`, "--columns", "user", "--format", "csv")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if out != "user\nfrank\n" {
		t.Errorf("output = %q, want only frank (created 10 days before GeneratedTime)", out)
	}
	code, out, _ = run(t, string(data), "query", "--report", "-", "--where", `raw.password_last_used == "no_information"`, "--columns", "user", "--format", "csv")
	if code != ExitOK || out != "user\n\"doe,jane\"\n" {
		t.Errorf("raw CSV on stdin: exit %d, output %q", code, out)
	}
}

func TestQueryBadInputExitsTwoSayingWhatAndWhere(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	data, _ := os.ReadFile(sampleReport)
	if err := os.WriteFile(bad, bytes.Replace(data, []byte("bob,arn:aws:iam::123456789012:user/bob,2021-05-10T08:30:00+00:00,true"), []byte("bob,arn:aws:iam::123456789012:user/bob,2021-05-10T08:30:00+00:00,yes"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad boolean in the file", []string{"--report", bad}, bad + `: line 4, column 66 (password_enabled): invalid boolean "yes"`},
		{"missing file", []string{"--report", filepath.Join(dir, "nope.csv")}, "no such file"},
		{"expression does not compile", []string{"--report", sampleReport, "--where", "password_enabled && "}, "--where:1:"},
		{"undeclared column", []string{"--report", sampleReport, "--where", "mfa"}, "undeclared reference to 'mfa'"},
		{"expression is not boolean", []string{"--report", sampleReport, "--where", "user"}, "yields string, want bool"},
		{"null timestamp compared", []string{"--report", sampleReport, "--where", `password_last_used < timestamp("2026-01-01T00:00:00Z")`}, `--where on line 5 of ` + sampleReport + ` (user "carol"): no such overload`},
		{"unknown column", []string{"--report", sampleReport, "--columns", "user,nope"}, `no column "nope"`},
		{"no column", []string{"--report", sampleReport, "--columns", ","}, `--columns "," names no column`},
		{"an empty column among others", []string{"--report", sampleReport, "--columns", ",user,arn"}, `--columns ",user,arn": item 1 of 3 is empty`},
		{"column twice", []string{"--report", sampleReport, "--columns", "user,arn,user", "--format", "json"}, `--columns names "user" twice`},
		{"unknown format", []string{"--report", sampleReport, "--format", "xml"}, `--format "xml"`},
		{"bad as-of", []string{"--report", sampleReport, "--as-of", "yesterday"}, "--as-of"},
		{"stray argument", []string{"--report", sampleReport, "extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"--nope"}, "flag provided but not defined: -nope (see credaudit query --help)"},
		{"two AWS profiles", []string{"--profile", "a", "--aws-profile", "b"}, `--profile "a" and --aws-profile "b" name two AWS profiles; give one`},
		{"profile with a file", []string{"--report", sampleReport, "--profile", "prod"}, "apply to the live account"},
		{"unknown AWS profile", []string{"--profile", "no-such-profile"}, "failed to get shared config profile, no-such-profile"},
		{"region with stdin", []string{"--report", "-", "--region", "eu-west-1"}, "apply to the live account, not to --report -"}, // query has no --publish
		{"empty expression", []string{"--report", sampleReport, "--where", ""}, `--where "" is empty; leave the flag out for its default`},
		{"blank column list", []string{"--report", sampleReport, "--columns", " "}, `--columns " " is empty`},
		{"empty report name", []string{"--report", ""}, `--report "" is empty`}, // not the live account
		{"empty format", []string{"--report", sampleReport, "--format", ""}, `--format "" is empty`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, "", append([]string{"query"}, tc.args...)...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			if out != "" {
				t.Errorf("bad input printed results: %q", out)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.want)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace printed: %s", stderr)
			}
		})
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, c := range commands() {
		code, out, _ := run(t, "", c.name, "--help")
		if code != ExitOK || !strings.Contains(out, "Usage: credaudit "+c.name) {
			t.Errorf("%s --help: exit %d, output %q", c.name, code, out)
		}
	}
	code, out, _ := run(t, "", "--help")
	if code != ExitOK || !strings.Contains(out, "query") {
		t.Errorf("--help: exit %d, output %q", code, out)
	}
	if code, _, stderr := run(t, "", "frobnicate"); code != ExitUsage || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
	// No command is a usage error: the usage goes where errors go, not
	// into output a pipe would take for results.
	if code, out, stderr := run(t, ""); code != ExitUsage || out != "" || !strings.Contains(stderr, "Usage: credaudit <command>") {
		t.Errorf("no command: exit %d, stdout %q, stderr %q; want exit 2 and the usage on stderr", code, out, stderr)
	}
	if err := parseFlags(flag.NewFlagSet("x", flag.ContinueOnError), []string{"-h"}, IO{Stdout: &bytes.Buffer{}}); err != flag.ErrHelp {
		t.Errorf("-h: %v", err)
	}
	// Help is asked for where a flag stands, not by a flag's value: a file
	// named -h is read, a --where of -help compiled (and refused), never
	// help and exit 0 in place of the --fail-on gate.
	for _, tc := range []struct {
		args   []string
		help   bool
		report string // --report's value, when no help
	}{
		{[]string{"-h"}, true, ""},
		{[]string{"--count", "-help"}, true, ""},
		{[]string{"--bogus", "--help"}, true, ""},
		{[]string{"--report", "a.csv", "--help"}, true, ""},
		{[]string{"--report", "-h"}, false, "-h"},
		{[]string{"-report", "--help"}, false, "--help"},
		{[]string{"--report=-h", "--count"}, false, "-h"},
		{[]string{"--", "-h"}, false, ""},
		{[]string{"stray", "--help"}, false, ""},
	} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		report := fs.String("report", "", "")
		fs.Bool("count", false, "")
		err := parseFlags(fs, tc.args, IO{Stdout: &bytes.Buffer{}})
		if (err == flag.ErrHelp) != tc.help || !tc.help && *report != tc.report {
			t.Errorf("%q: %v, --report %q; want help %v, --report %q", tc.args, err, *report, tc.help, tc.report)
		}
	}
	if code, out, stderr := run(t, "", "query", "--report", sampleReport, "--where", "-help", "--count"); code != ExitUsage || out != "" || !strings.Contains(stderr, "--where") {
		t.Errorf("query --where -help: exit %d, stdout %q, stderr %q; want the expression refused", code, out, stderr)
	}
	if code, out, stderr := run(t, "", "scan", "--report", "-h", "--fail-on", "low"); code != ExitUsage || out != "" || !strings.Contains(stderr, "-h") {
		t.Errorf("scan --report -h: exit %d, stdout %q, stderr %q; want the file -h read (here: not found)", code, out, stderr)
	}
	// A command without flags says so by having no Flags section.
	if _, out, _ := run(t, "", "version", "--help"); out != "Usage: credaudit version\n" {
		t.Errorf("version --help: %q", out)
	}
	// Help or a version that cannot be written is an error, not exit 0.
	for _, args := range [][]string{{"--help"}, {"help", "scan"}, {"query", "--help"}, {"version"}} {
		var errOut bytes.Buffer
		code := Run(context.Background(), args, IO{Stdin: strings.NewReader(""), Stdout: &failingWriter{}, Stderr: &errOut})
		if code != ExitUsage || !strings.Contains(errOut.String(), "writing the") || !strings.Contains(errOut.String(), "no space left") {
			t.Errorf("%v to a failing stdout: exit %d, stderr %q; want exit 2 saying the write failed", args, code, errOut.String())
		}
	}
	// The flag package's own forms of help, with a value.
	for _, c := range commands() {
		for _, arg := range []string{"--help=true", "-h=1"} {
			if code, out, _ := run(t, "", c.name, arg); code != ExitOK || !strings.Contains(out, "Usage: credaudit "+c.name) {
				t.Errorf("%s %s: exit %d, output %q", c.name, arg, code, out)
			}
		}
	}
}

// The version printed (and SARIF's tool.driver.version) is the one set at
// build time, else the module version Go recorded, else the commit, else
// "dev".
func TestVersionOf(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "601c9611139b190fee7ad2102b25d81099b4d139"
	cases := []struct {
		name string
		set  string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"set at build time wins", "v2.0.0", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}}, true, "v2.0.0"},
		{"go install of a tag", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, true, "v1.4.0"},
		{"go build in a checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261125114554-601c9611139b+dirty"}, Settings: vcs(rev, "true")}, true, "v0.0.0-20261125114554-601c9611139b+dirty"},
		{"no module version: the commit", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")}, true, "601c9611139b"},
		{"no module version: the commit, changed", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, true, "601c9611139b+dirty"},
		{"nothing recorded", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "dev"},
		{"no build information", "", nil, false, "dev"},
	}
	for _, c := range cases {
		if got := versionOf(c.set, c.bi, c.ok); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	// A test binary records no version: the command says "dev", on stdout.
	if code, out, stderr := run(t, "", "version"); code != ExitOK || out != "credaudit dev\n" || stderr != "" {
		t.Errorf("version: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// A flag mistyped is said once, with where the usage is, not after the
// whole usage and then again.
func TestABadFlagIsSaidOnce(t *testing.T) {
	for _, c := range commands() {
		code, out, stderr := run(t, "", c.name, "--nope")
		if want := "flag provided but not defined: -nope (see credaudit " + c.name + " --help)\n"; code != ExitUsage || out != "" ||
			strings.Count(stderr, "-nope") != 1 || !strings.HasSuffix(stderr, want) || strings.Contains(stderr, "Usage:") {
			t.Errorf("%s --nope: exit %d, stdout %q, stderr %q; want exit 2 and %q alone", c.name, code, out, stderr, want)
		}
	}
}

// A flag given twice with different values is refused, naming both,
// instead of the flag package keeping the last unnoticed; the same value
// twice is taken. Help still works, and reads as before.
func TestAFlagGivenTwiceIsRefused(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"scan", "--report", sampleReport, "--report", "other.csv"}, `--report given twice, "` + sampleReport + `" and "other.csv"; give it once`},
		{[]string{"scan", "--report", sampleReport, "--fail-on", "critical", "--fail-on=low"}, `--fail-on given twice, "critical" and "low"; give it once`},
		{[]string{"scan", "--org", "--exclude-accounts", "111111111111", "--exclude-accounts", "222222222222"}, `--exclude-accounts given twice, "111111111111" and "222222222222"`},
		{[]string{"scan", "--report", sampleReport, "--state", dir, "--publish", "--publish=false"}, `--publish given twice, "true" and "false"`},
		{[]string{"query", "--report", sampleReport, "--where", "mfa_active", "--where", "!mfa_active"}, `--where given twice, "mfa_active" and "!mfa_active"`},
	} {
		code, out, stderr := run(t, "", tc.args...)
		if want := "credaudit " + tc.args[0] + ": " + tc.stderr; code != ExitUsage || out != "" || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "given twice") != 1 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and %q", strings.Join(tc.args, " "), code, out, stderr, want)
		}
	}
	code, once, _ := run(t, "", "query", "--report", sampleReport, "--count")
	code2, twice, stderr := run(t, "", "query", "--report", sampleReport, "--report", sampleReport, "--count", "--count")
	if code != ExitOK || code2 != ExitOK || once != twice {
		t.Errorf("the same values twice: exit %d, %q (%s); want exit 0 and %q as once", code2, twice, stderr, once)
	}
	_, help, _ := run(t, "", "scan", "--help")
	if !strings.Contains(help, "(default 10)") || strings.Contains(help, "(default false)") || strings.Contains(help, "panic") {
		t.Errorf("scan --help shows the defaults otherwise:\n%s", help)
	}
}

// Every flag of a command is in its usage line, and its help names each as
// the usage line does, --name (the flag package would write -name).
func TestUsageLineNamesEveryFlag(t *testing.T) {
	checked := 0
	for _, c := range commands() {
		_, out, _ := run(t, "", c.name, "--help")
		usage, _, _ := strings.Cut(out, "\n")
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "  -") && !strings.HasPrefix(l, "  --") {
				t.Errorf("%s --help names a flag with one dash: %q", c.name, l)
			}
			name, ok := strings.CutPrefix(l, "  --")
			if !ok {
				continue
			}
			name, _, _ = strings.Cut(name, " ")
			if name == "aws-profile" && c.name == "query" { // the same as --profile
				continue
			}
			checked++
			if !strings.Contains(usage, "[--"+name+" ") && !strings.Contains(usage, "[--"+name+"]") {
				t.Errorf("%s: the usage line lacks [--%s: %s", c.name, name, usage)
			}
		}
	}
	if checked < 20 {
		t.Errorf("test setup: %d flags read from the commands' --help", checked)
	}
}

// TestQueryLiveAccountThroughTheEmulator reads the report of the account that
// AWS_ENDPOINT_URL points at (the moto server make test starts), through the
// default credential chain, as a user would against a real account.
func TestQueryLiveAccountThroughTheEmulator(t *testing.T) {
	client := motoIAM(t)
	name := createUser(t, client, "cli-live")
	if _, err := client.CreateLoginProfile(context.Background(), &iam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String("Xy-12345678!abc")}); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "", "query", "--region", "eu-west-1", "--where", `user == "`+name+`"`, "--columns", "user,password_enabled,mfa_active", "--format", "csv")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "user,password_enabled,mfa_active\n" + name + ",true,false\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

func TestQueryLiveAccountUnreachableExitsThree(t *testing.T) {
	// A closed port on loopback: the SDK fails to connect and the command must
	// say so with exit 3, not print an empty result.
	fakeAWS(t, "http://127.0.0.1:1")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := Run(ctx, []string{"query", "--region", "us-east-1", "--format", "csv"}, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut})
	if code != ExitAWS || out.Len() != 0 || !strings.Contains(errOut.String(), "GetCredentialReport") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}

// A column IAM's report does not have is refused before the live report is
// fetched (generating one takes minutes): exit 2, not 3, with AWS
// unreachable.
func TestQueryLiveColumnsCheckedBeforeTheFetch(t *testing.T) {
	fakeAWS(t, "http://127.0.0.1:1")
	code, out, stderr := run(t, "", "query", "--region", "us-east-1", "--columns", "user,mfa")
	if code != ExitUsage || out != "" || !strings.Contains(stderr, `no column "mfa"`) || !strings.Contains(stderr, "mfa_active") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 naming mfa and the columns", code, out, stderr)
	}
}

// A run that calls AWS (a live account, --org, or --publish of a report
// file) ends on SIGINT or SIGTERM: its pending call is cancelled and it fails
// loudly, exit 3, instead of the process dying mid-call (or, for a signal no
// run armed, the test binary with it).
func TestLiveRunsEndOnInterrupt(t *testing.T) {
	// --publish asks whose the credentials are first: the report's account,
	// so that the publication is what is cut.
	arrived := hangingAWS(t, map[string]string{"GetCallerIdentity": `<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`})
	stateDir := t.TempDir()
	for _, tc := range []struct {
		sig  syscall.Signal
		args []string
		// scanned: the scan is printed before the publication is cut short.
		scanned bool
	}{
		{syscall.SIGINT, []string{"query", "--region", "us-east-1", "--format", "csv"}, false},
		{syscall.SIGTERM, []string{"scan", "--region", "us-east-1", "--format", "json"}, false},
		{syscall.SIGTERM, []string{"scan", "--org", "--region", "us-east-1", "--format", "json"}, false},
		{syscall.SIGINT, []string{"scan", "--report", sampleReport, "--state", stateDir, "--publish", "--hub-region", "us-east-1", "--format", "json"}, true},
	} {
		t.Run(tc.sig.String()+"/"+strings.Join(tc.args[:2], " "), func(t *testing.T) {
			c, out, errOut := runInterrupted(t, arrived, tc.sig, tc.args...)
			said := "interrupted (" + tc.sig.String() + " signal received): "
			if c != ExitAWS || (out.Len() != 0) != tc.scanned || !strings.Contains(errOut.String(), said) || !strings.Contains(errOut.String(), "context canceled") {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 3, the cancelled call and %q", c, out.String(), errOut.String(), said)
			}
			if strings.Contains(errOut.String(), "bucket") {
				t.Errorf("stderr speaks of a bucket the run does not have:\n%s", errOut.String())
			}
		})
	}
	// The cut-short publication saved no state that says anything was
	// published: the next run sends it all again.
	st, _, err := state.NewDir(stateDir).Load(context.Background(), "123456789012")
	if err != nil || len(st.Records) == 0 {
		t.Fatalf("state after an interrupted publication: %d records, err %v; want the state saved ahead", len(st.Records), err)
	}
	for id, rec := range st.Records {
		if !rec.LastImportedAt.IsZero() {
			t.Errorf("after an interrupted publication, %s is saved as imported: %+v", id, rec)
		}
	}
}

// A live scan interrupted once its report is read, while it reads the root
// account facts, ends as a run cut short (exit 3, nothing printed), not as
// a scan with ROOT-03 undecided and exit 0.
func TestLiveScanInterruptedReadingTheAccountFacts(t *testing.T) {
	report, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	// A fresh report, not generated again; the account facts never come.
	arrived := hangingAWS(t, map[string]string{"GetCredentialReport": fmt.Sprintf(`<GetCredentialReportResponse><GetCredentialReportResult><Content>%s</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>%s</GeneratedTime></GetCredentialReportResult></GetCredentialReportResponse>`,
		base64.StdEncoding.EncodeToString(report), time.Now().UTC().Format(time.RFC3339))})
	c, out, errOut := runInterrupted(t, arrived, syscall.SIGINT, "scan", "--region", "us-east-1", "--format", "json", "--fail-on", "critical")
	if c != ExitAWS || out.Len() != 0 || !strings.Contains(errOut.String(), "interrupted (interrupt signal received): read the account facts") {
		t.Errorf("exit %d, stdout %d bytes, stderr %q; want exit 3, nothing printed", c, out.Len(), errOut.String())
	}
}

// hangingAWS points the SDK at a fake AWS for the rest of t: it answers
// the query-protocol actions in answers with their XML, and holds every
// other call unanswered until it is cancelled, saying on the channel it
// returns that one arrived.
func hangingAWS(t *testing.T, answers map[string]string) <-chan struct{} {
	arrived := make(chan struct{}, 1)
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		for action, xml := range answers {
			if strings.Contains(string(body), "Action="+action) {
				w.Header().Set("Content-Type", "text/xml")
				io.WriteString(w, xml)
				return
			}
		}
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) }) // runs first: the held calls end, then the server
	fakeAWS(t, srv.URL)
	return arrived
}

// runInterrupted runs the command line of args, sends the process sig once
// a call has arrived at hangingAWS, and returns how the run ended.
func runInterrupted(t *testing.T, arrived <-chan struct{}, sig syscall.Signal, args ...string) (int, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := make(chan int)
	go func() {
		code <- Run(context.Background(), args, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut})
	}()
	select {
	case <-arrived:
	case c := <-code:
		t.Fatalf("ended before its AWS call was held: exit %d, stderr %q", c, errOut.String())
	}
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
	return <-code, &out, &errOut
}

// A run cancelled otherwise than by a signal (its caller's context), or one
// that ends well, is not said to be interrupted.
func TestInterruptedOnlyBySignal(t *testing.T) {
	failed := fmt.Errorf("get credential report: %w", context.Canceled)
	parent, cancel := context.WithCancel(context.Background())
	ctx, stop := interruptible(parent, true)
	cancel()
	if err := interrupted(ctx, stop, failed); err != failed {
		t.Errorf("cancelled by its caller: %v, want the error as it was", err)
	}
	ctx, stop = interruptible(context.Background(), true)
	if err := interrupted(ctx, stop, nil); err != nil {
		t.Errorf("a run that ended well: %v, want no error", err)
	}
	if ctx.Err() == nil {
		t.Error("the signals' context is not stopped")
	}
}

// fakeAWS points the default credential chain at endpoint with static
// credentials and no retries, whatever profile the machine has.
func fakeAWS(t *testing.T, endpoint string) {
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
}

// motoIAM returns an IAM client for the moto server make test starts; without
// it the test fails in CI and is skipped elsewhere.
func motoIAM(t *testing.T) *iam.Client {
	t.Helper()
	return iam.NewFromConfig(emulator.Config(t))
}

// createUser creates a uniquely named IAM user and deletes it after the test.
func createUser(t *testing.T, client *iam.Client, prefix string) string {
	t.Helper()
	ctx := context.Background()
	name := prefix + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String(name)})
		client.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)})
	})
	return name
}

// A report larger than any IAM writes (maxReport, lowered here) is refused
// after reading just past the limit, from a file or stdin: a wrong file or
// an endless stream was read whole, until memory ran out.
func TestReportLargerThanAnyIAMWritesIsRefused(t *testing.T) {
	defer func(n int) { maxReport = n }(maxReport)
	maxReport = 64 << 10
	data, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	padded := string(data) + strings.Repeat("\n", maxReport) // a report still, past the limit
	file := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(file, []byte(padded), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, stdin, report, want string
	}{
		{"a file", "", file, file + ": larger than 65536 bytes"},
		{"stdin", padded, "-", "read stdin: larger than 65536 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, tc.stdin, "query", "--report", tc.report)
			if code != ExitUsage || out != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, output %d bytes, stderr %q; want exit %d, no output and %q", code, len(out), stderr, ExitUsage, tc.want)
			}
		})
	}
	// At the limit, a report is read.
	if code, _, stderr := run(t, padded[:maxReport], "query", "--report", "-"); code != ExitOK {
		t.Errorf("a report of maxReport bytes: exit %d: %s", code, stderr)
	}
}
