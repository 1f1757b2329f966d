package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/rules"
)

func TestJSONPlainMatchesAByteByByteCheck(t *testing.T) {
	plain := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
				return false
			}
		}
		return true
	}
	// Every byte value at every position of strings long enough to cover one
	// and two 8-byte words and a tail, around backgrounds of bytes that sit
	// next to the boundaries (0x1f/0x20, 0x7f/0x80, '!'/'"'/'#', '['/'\\'/']').
	for _, bg := range []byte{'a', ' ', 0x7f, '!', '#', '[', ']', '~'} {
		for n := 1; n <= 19; n++ {
			for pos := range n {
				for c := range 256 {
					s := []byte(strings.Repeat(string(bg), n))
					s[pos] = byte(c)
					if got, want := jsonPlain(string(s)), plain(string(s)); got != want {
						t.Fatalf("jsonPlain(%q) = %v, want %v", s, got, want)
					}
				}
			}
		}
	}
}

// referenceResultsJSON is the results array of the scan JSON written the
// plain way: every field of every result escaped on its own.
func referenceResultsJSON(results []rules.Result) string {
	q := func(s string) string { b, _ := marshalJSON(s); return string(b) }
	var b strings.Builder
	for i, r := range results {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "\n  {\"rule_id\": %s, \"title\": %s, \"severity\": %s, \"status\": %s, \"resource_type\": %s, \"resource_id\": %s, \"user\": %s, \"reason\": %s, \"suppressed\": %t, \"suppression_reason\": %s}",
			q(r.Rule.ID), q(r.Rule.Title), q(r.Rule.Severity.String()), q(r.Status.String()), q(r.ResourceType()), q(r.ResourceID()), q(r.User()),
			q(r.Reason), r.Suppressed(), q(r.SuppressionReason()))
	}
	if len(results) > 0 {
		b.WriteByte('\n')
	}
	return b.String()
}

// resultsJSON cuts the results array's contents out of a scan JSON document.
func resultsJSON(t *testing.T, doc string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, `,"results":[`)
	if !ok {
		t.Fatalf("no results array in %.200s", doc)
	}
	i := strings.LastIndex(rest, `],"summary":`)
	if i < 0 {
		t.Fatalf("no summary after the results in %.200s", rest)
	}
	return rest[:i]
}

func TestScanJSONResultsMatchThePlainEncodingInAnyOrder(t *testing.T) {
	cfgData, err := os.ReadFile("../../events/credaudit.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("credaudit.example.yaml", cfgData)
	if err != nil {
		t.Fatal(err)
	}
	selected, profile, err := cfg.Selection("all")
	if err != nil {
		t.Fatal(err)
	}
	report := func(t *testing.T, data []byte) *credreport.Report {
		t.Helper()
		rep, err := credreport.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	sample, err := os.ReadFile(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	withoutRoot := dropLines(sample, "<root_account>")
	// IAM allows neither, but a report file can hold anything.
	unusualRows := report(t, sample)
	unusualRows.Users[0].User, unusualRows.Users[0].ARN = "quote\"é", "arn:aws:iam::123456789012:user/quote\"é"
	unusualRows.Users[1].ARN = "arn:aws:iam::123456789012:user/back\\slash"
	unusualRows.Users[2].User = "tab\tname"
	tests := []struct {
		name   string
		rep    *credreport.Report
		change func(rs []rules.Result)
	}{
		{"sample report with custom rules and suppressions", report(t, sample), nil},
		{"no root row", report(t, withoutRoot), nil},
		{"results shuffled", report(t, sample), func(rs []rules.Result) {
			r := rand.New(rand.NewPCG(1, 2))
			r.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
		}},
		{"results reversed", report(t, credreporttest.Generate(50, 3)), func(rs []rules.Result) {
			for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
				rs[i], rs[j] = rs[j], rs[i]
			}
		}},
		{"reasons that need escaping", report(t, sample), func(rs []rules.Result) {
			rs[0].Reason = "quote \" backslash \\ tab \t line\u2028separator é <&>"
			rs[len(rs)-1].Reason = ""
		}},
		{"user names and ARNs (resource IDs) that need escaping", unusualRows, nil},
		{"no results", report(t, sample), func(rs []rules.Result) { clear(rs) }},
		{"many chunks", report(t, credreporttest.Generate(1200, 5)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results, err := rules.Evaluate(rules.Input{Report: tt.rep, AsOf: credreporttest.AsOf}, selected)
			if err != nil {
				t.Fatal(err)
			}
			outcomes := rules.Suppress(results, cfg.Suppressions, credreporttest.AsOf)
			if tt.change != nil {
				tt.change(results)
			}
			if tt.name == "no results" {
				results = nil
			}
			var out bytes.Buffer
			o := &scanOutput{report: &loaded{report: tt.rep, asOf: credreporttest.AsOf}, profile: profile, selected: selected, results: results, outcomes: outcomes}
			if err := writeScan(&out, o, "json"); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(referenceResultsJSON(results), resultsJSON(t, out.String())); diff != "" {
				t.Errorf("results differ from the plain encoding (-want +got):\n%s", diff)
			}
		})
	}
}

// dropLines drops the lines of a CSV that contain s.
func dropLines(data []byte, s string) []byte {
	var out []byte
	for line := range bytes.Lines(data) {
		if !bytes.Contains(line, []byte(s)) {
			out = append(out, line...)
		}
	}
	return out
}

// failingWriter accepts n writes, fails the next one, and accepts the rest.
type failingWriter struct{ n int }

var errDiskFull = errors.New("no space left on device")

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n--
	if w.n == -1 {
		return 0, errDiskFull
	}
	return len(p), nil
}

// wholeScan is what a writer of a whole scan gets (writeScan): in's
// results under profile and cfg (nil: none) all evaluated and suppressed;
// source is the --report value.
func wholeScan(tb testing.TB, in *loaded, cfg *config.Config, profile, source string) *scanOutput {
	tb.Helper()
	selected, name, err := cfg.Selection(profile)
	if err != nil {
		tb.Fatal(err)
	}
	o := &scanOutput{report: in, profile: name, selected: selected, source: source}
	if o.results, err = rules.Evaluate(o.input(), selected); err != nil {
		tb.Fatal(err)
	}
	var sups []rules.Suppression
	if cfg != nil {
		sups = cfg.Suppressions
	}
	o.outcomes = rules.Suppress(o.results, sups, in.asOf)
	return o
}

// generatedScan is wholeScan of a generated report of n users (seed 1) as of
// credreporttest.AsOf.
func generatedScan(tb testing.TB, n int, profile string) *scanOutput {
	tb.Helper()
	rep, err := credreport.Parse(credreporttest.Generate(n, 1))
	if err != nil {
		tb.Fatal(err)
	}
	return wholeScan(tb, &loaded{report: rep, asOf: credreporttest.AsOf}, nil, profile, "")
}

// A failed write ends the scan JSON with that error, whether it is the
// first chunk's or a later one's, even if the writer would take the rest.
func TestScanJSONReturnsTheWriteError(t *testing.T) {
	o := generatedScan(t, 1200, "all")
	for _, writes := range []int{0, 3} {
		if err := writeScan(&failingWriter{n: writes}, o, "json"); !errors.Is(err, errDiskFull) {
			t.Errorf("failing after %d writes: error %v, want %v", writes, err, errDiskFull)
		}
	}
}

// The table's wrapping: words kept whole, lines of at most width runes
// including the indent, a word longer than that on a line of its own.
func TestWriteWrapped(t *testing.T) {
	for _, tc := range []struct {
		text   string
		width  int
		indent string
		want   string
	}{
		{"", 10, "  ", "  \n"},
		{"a b c", 10, "", "a b c\n"},
		{"aaaa bbbb cccc", 9, "", "aaaa bbbb\ncccc\n"},
		{"aaaa bbbb cccc", 8, "", "aaaa\nbbbb\ncccc\n"},
		{"aaaa bbbb", 9, "  ", "  aaaa\n  bbbb\n"},
		{"averyveryverylongword x", 5, "> ", "> averyveryverylongword\n> x\n"},
		{"ééé ééé", 7, "", "ééé ééé\n"},
		{"  spaced\tout\n words ", 80, "", "spaced out words\n"},
	} {
		var out strings.Builder
		b := bufio.NewWriter(&out)
		writeWrapped(b, tc.text, tc.width, tc.indent)
		if err := b.Flush(); err != nil || out.String() != tc.want {
			t.Errorf("writeWrapped(%q, %d, %q) = %q, %v, want %q", tc.text, tc.width, tc.indent, out.String(), err, tc.want)
		}
	}
}

// A severity's heading counts its failures as the summary line does, and
// its results not available apart from them.
func TestGroupHeadingCountsFailuresApart(t *testing.T) {
	for _, tc := range []struct {
		failed, notAvailable int
		want                 string
	}{
		{3, 0, "HIGH (3)"},
		{2, 1, "HIGH (2 failed, 1 not available)"},
		{0, 2, "HIGH (2 not available)"},
	} {
		if got := groupHeading(rules.High, tc.failed, tc.notAvailable); got != tc.want {
			t.Errorf("groupHeading(HIGH, %d, %d) = %q, want %q", tc.failed, tc.notAvailable, got, tc.want)
		}
	}
}

// Every line of the table fits 80 columns over input made to break it: user
// names of 64 characters (IAM's longest) with results not available, custom
// rule IDs of 9 and 64 characters, suppressions naming long ARNs and globs,
// from a configuration with a long path. Only a token longer than a line (a
// user name no IAM user can have, the path) passes 80 columns, alone on its
// line; every token is written whole.
func TestScanTableFitsEightyColumnsOverLongNames(t *testing.T) {
	long := strings.Repeat("a", 20) + "-" + strings.Repeat("b", 43)               // 64
	other := "x.y-z_w@example.com+" + strings.Repeat("verylongname", 3) + "-more" // 61
	tooLong := strings.Repeat("c", 100)
	row := func(user, mfa string) string {
		return user + ",arn:aws:iam::123456789012:user/" + user + ",2021-05-10T08:30:00+00:00,true,2026-06-01T10:00:00+00:00,2024-02-01T08:30:00+00:00,N/A," +
			mfa + ",true,2021-05-10T08:31:00+00:00,2022-01-01T00:00:00+00:00,us-east-1,ec2,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	}
	rep, err := credreport.Parse([]byte(credreporttest.Header + "\n" + row(long, "no_information") + row(other, "false") + row(tooLong, "no_information")))
	if err != nil {
		t.Fatal(err)
	}
	longID := "ORG-" + strings.Repeat("LONGRULEID", 6) // 64, the longest custom ID
	path := strings.Repeat("team-configs/", 7) + "credaudit.yaml"
	cfg, err := config.Parse(path, []byte("suppressions:\n"+
		"  - rule: '*'\n    user: arn:aws:iam::123456789012:user/"+other+"\n    reason: accepted while the integration it serves is retired (CHG-4211, see the runbook)\n"+
		"  - rule: "+longID+"\n    user: arn:aws:iam::123456789012:user/"+strings.Repeat("z", 64)+"\n    reason: matches nobody\n"+
		"  - rule: KEY-01\n    user: '"+strings.Repeat("d", 60)+"*'\n    reason: expired\n    expires: 2026-01-01\n"+
		"custom_rules:\n"+
		"  - {id: "+longID+", title: t, severity: high, remediation: r, assert: 'false'}\n"+
		"  - {id: ORG-12345, title: t, severity: low, remediation: r, assert: 'false'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	out := allTable(t, rep, cfg)
	fitsEighty(t, out, utf8.RuneCountInString)
	for _, whole := range []string{
		"  " + longID + "\n", "  USER-01  " + long + "\n           [not available]\n", "  ORG-12345 " + long + "\n", "\n           " + tooLong + "\n",
		"Unused suppression\n  (" + path + ":5):\n  " + longID + "\n", "Expired suppression\n  (" + path + ":8):\n", "  USER-01  " + other + "\n",
	} {
		if !strings.Contains(out, whole) {
			t.Errorf("table lacks %q:\n%s", whole, out)
		}
	}
}

// allTable is the table of a scan of rep with the profile all and cfg.
func allTable(t *testing.T, rep *credreport.Report, cfg *config.Config) string {
	t.Helper()
	var b strings.Builder
	if err := writeScanTable(&b, wholeScan(t, &loaded{report: rep, asOf: credreporttest.AsOf}, cfg, "all", "")); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// fitsEighty checks that every line of out takes at most 80 columns, as
// width measures them, or is one word (a long ARN has a line of its own).
func fitsEighty(t *testing.T, out string, width func(string) int) {
	t.Helper()
	for i, line := range strings.Split(out, "\n") {
		if n := width(line); n > 80 && len(strings.Fields(line)) != 1 {
			t.Errorf("line %d is %d columns and not one word: %q", i+1, n, line)
		}
	}
}

// Hangul, like the CJK ideographs and fullwidth forms, takes two columns a
// character on a terminal: the table wraps by the columns text takes, so a
// Korean suppression reason and a user name in Hangul keep to 80 columns
// as English ones do.
func TestScanTableFitsEightyColumnsInWideScripts(t *testing.T) {
	user := strings.Repeat("관리자", 11) // 33 characters, 66 columns
	rep, err := credreport.Parse([]byte(credreporttest.Header + "\n" + user + ",arn:aws:iam::123456789012:user/" + user +
		",2021-05-10T08:30:00+00:00,true,2026-06-01T10:00:00+00:00,2024-02-01T08:30:00+00:00,N/A,no_information,true,2021-05-10T08:31:00+00:00,2022-01-01T00:00:00+00:00,us-east-1,ec2,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"))
	if err != nil {
		t.Fatal(err)
	}
	reason := strings.Repeat("레거시 통합이 종료될 때까지 예외로 허용 ", 4) + "(CHG-4211)"
	cfg, err := config.Parse("c.yaml", []byte("suppressions:\n  - rule: KEY-01\n    user: '*'\n    reason: "+reason+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	out := allTable(t, rep, cfg)
	columns := func(line string) int { // Hangul syllables take two
		n := 0
		for _, r := range line {
			n++
			if r >= 0xAC00 && r <= 0xD7A3 {
				n++
			}
		}
		return n
	}
	fitsEighty(t, out, columns)
	if want := "  USER-01  " + user + "\n           [not available]\n"; !strings.Contains(out, want) {
		t.Errorf("table lacks %q:\n%s", want, out)
	}
}
