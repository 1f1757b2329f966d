package credreport

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/internal/swar"
)

// samePlainAndCSV checks that when parsePlain accepts data, parseCSV
// (encoding/csv) accepts it too and gives the same report, line numbers
// included, and that parsing the rows in parts, by several workers, accepts
// the same and gives the same as one part. It returns whether parsePlain
// accepted.
func samePlainAndCSV(t *testing.T, data []byte) bool {
	t.Helper()
	src := strings.TrimPrefix(string(data), utf8BOM) // as Parse does first
	plain, ok := parsePlainParts(src, 1, 0)
	for _, split := range []struct{ workers, size int }{{2, 1}, {3, 200}, {7, 2000}} {
		parts, partsOK := parsePlainParts(src, split.workers, split.size)
		if partsOK != ok {
			t.Fatalf("parsePlain in parts of %d bytes by %d workers accepted = %v, in one part %v; input:\n%q", split.size, split.workers, partsOK, ok, src)
		}
		if diff := cmp.Diff(plain, parts, cmpEntry); diff != "" {
			t.Fatalf("parsePlain in parts of %d bytes by %d workers differs from one part (-one +parts):\n%s\ninput:\n%q", split.size, split.workers, diff, src)
		}
	}
	if !ok {
		return false
	}
	slow, err := parseCSV(src)
	if err != nil {
		t.Fatalf("parsePlain accepted what encoding/csv rejects (%v):\n%q", err, src)
	}
	if diff := cmp.Diff(slow, plain, cmpEntry); diff != "" {
		t.Fatalf("parsePlain and encoding/csv differ (-csv +plain):\n%s\ninput:\n%q", diff, src)
	}
	return true
}

func TestParsePlainReadsReportsAsEncodingCSVDoes(t *testing.T) {
	for name, plain := range map[string]bool{
		"testdata/reordered-extra.csv":    true,
		"testdata/sentinels-crlf-bom.csv": false, // a user name with a doubled quote
		"../../events/sample-report.csv":  true,
	} {
		t.Run(name, func(t *testing.T) {
			if got := samePlainAndCSV(t, readFile(t, name)); got != plain {
				t.Errorf("parsePlain accepted = %v, want %v", got, plain)
			}
		})
	}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("generated seed %d", seed), func(t *testing.T) {
			if !samePlainAndCSV(t, credreporttest.Generate(500, seed)) {
				t.Error("parsePlain declined a generated report")
			}
		})
	}
	tests := []struct {
		name  string
		data  string
		plain bool // whether the fast path should take it
	}{
		{"LF", header22 + "\n" + rootRow() + "\n" + row() + "\n", true},
		{"root row only, after an empty line", header22 + "\n\n" + rootRow() + "\n", true},
		{"CRLF", header22 + "\r\n" + rootRow() + "\r\n" + row() + "\r\n", true},
		{"no final newline", header22 + "\n" + row(), true},
		{"final CR before EOF", header22 + "\n" + row() + "\r", true},
		{"blank lines between and after rows", "\n" + header22 + "\n\n" + row() + "\r\n\r\n\n", true},
		{"quoted fields, empty and with commas", header22 + "\n" + row(ColUser, `"a,b"`, ColAccessKey1LastUsedRegion, `""`), true},
		{"quoted last field", header22 + ",extra\n" + row() + `,"x,y"` + "\n", true},
		{"CR inside a field", header22 + ",extra\n" + row() + ",a\rb\n", true},
		{"doubled quote", header22 + "\n" + row(ColUser, `"quote""d"`) + "\n", false},
		{"quoted line break", header22 + ",extra\n" + row() + ",\"a\nb\"\n", false},
		{"quoted CRLF", header22 + ",extra\n" + row() + ",\"a\r\nb\"\n", false},
		{"bare quote", header22 + "\n" + row(ColUser, `a"b`) + "\n", false},
		{"text after a closing quote", header22 + "\n" + row(ColUser, `"a"b`) + "\n", false},
		{"unterminated quote", header22 + "\n" + row(ColUser, `"ab`) + "\n", false},
		{"too few fields", header22 + "\n" + row() + "\n" + "a,b\n", false},
		// Counted before encoding/csv reads the row (tooWide), with its
		// error and the one of anything before it.
		{"too many fields", header22 + "\n" + row() + "\n" + row() + ",x,y\n", false},
		{"too many fields, after a quoted line break", header22 + ",extra\n" + row() + ",\"a\nb,c\"\n" + row() + ",x,y\n", false},
		{"too many fields, in a row with a quoted line break", header22 + ",extra\n" + row() + ",\"a\nb\",c\n", false},
		{"too many fields, after a bare quote", header22 + "\n" + row(ColUser, `a"b`) + "\n" + row() + ",x\n", false},
		{"too many fields, after a bad timestamp", header22 + "\n" + row(ColUserCreationTime, "2020-02-30T00:00:00+00:00") + "\n" + row() + ",x\n", false},
		{"too many fields, then a bare quote", header22 + "\n" + row() + ",x\n" + row(ColUser, `a"b`) + "\n", false},
		{"too many fields in the first row, after blank lines", "\n" + header22 + "\r\n\r\n\n" + row() + ",x\r\n", false},
		{"bad timestamp", header22 + "\n" + row(ColUserCreationTime, "2020-02-30T00:00:00+00:00") + "\n", false},
		{"header only", header22 + "\n", false},
		{"duplicate user", header22 + "\n" + row() + "\n" + row(ColUser, "U") + "\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := samePlainAndCSV(t, []byte(tt.data)); got != tt.plain {
				t.Errorf("parsePlain accepted = %v, want %v", got, tt.plain)
			}
			// Whichever path reads it, Parse's answer is encoding/csv's.
			want, wantErr := parseCSV(tt.data)
			got, gotErr := Parse([]byte(tt.data))
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("Parse error %v, want %v", gotErr, wantErr)
			}
			if diff := cmp.Diff(want, got, cmpEntry); diff != "" {
				t.Errorf("Parse differs from encoding/csv (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseIAMTimeMatchesTimeParse(t *testing.T) {
	check := func(s string, wantFast bool) {
		t.Helper()
		fast, ok := parseIAMTime(s)
		std, err := time.Parse(time.RFC3339, s)
		if ok != wantFast {
			t.Errorf("parseIAMTime(%q) ok = %v, want %v", s, ok, wantFast)
		}
		if ok && (err != nil || fast != TimeOf(std) || fast.T() != std.UTC()) {
			t.Errorf("parseIAMTime(%q) = %v, time.Parse gives %v, %v", s, fast.T(), std.UTC(), err)
		}
	}
	for _, s := range []string{
		"2026-11-20T06:00:00+00:00", "1970-01-01T00:00:00+00:00", "1969-12-31T23:59:59+00:00",
		"0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "2000-02-29T12:00:00+00:00",
		"2024-02-29T00:00:00+00:00", "2100-02-28T00:00:00+00:00", "2400-02-29T00:00:00+00:00",
		"2026-03-01T00:00:00+00:00", "2026-12-31T23:59:59+00:00", "2026-11-20T06:00:00Z", "2024-02-29T23:59:59Z",
	} {
		check(s, true)
	}
	for _, s := range []string{
		"2100-02-29T00:00:00+00:00", "2026-02-29T00:00:00+00:00", "2026-04-31T00:00:00+00:00",
		"2026-13-01T00:00:00+00:00", "2026-00-01T00:00:00+00:00", "2026-01-00T00:00:00+00:00",
		"2026-01-01T24:00:00+00:00", "2026-01-01T00:60:00+00:00", "2026-01-01T00:00:60+00:00",
		"0000-01-01T00:00:00+00:00", "2026-02-29T00:00:00Z", "2026-01-01T00:00:00z", "2026-01-01T00:00:00+01:00",
		"2026-01-01T00:00:00-00:00", "2026-01-01t00:00:00+00:00", "2026-01-01T00:00:00.5+00:00",
		"2026-1-01T00:00:00+00:00 ", "+026-01-01T00:00:00+00:00", "2026-01-0aT00:00:00+00:00", "2026-01-01T00:00:00+00:00Z",
		"2026-01-01T00:00:00ZZ", "2026-01-01T00:00:00", "",
	} {
		check(s, false)
	}
	// Every day of four centuries and random times of day, in both forms.
	rng := rand.New(rand.NewPCG(1, 2))
	for d := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2300; d = d.AddDate(0, 0, 1) {
		s := d.Add(time.Duration(rng.IntN(86400)) * time.Second).Format("2006-01-02T15:04:05-07:00")
		if !strings.HasSuffix(s, "+00:00") {
			t.Fatalf("test setup: %s", s)
		}
		check(s, true)
		check(strings.TrimSuffix(s, "+00:00")+"Z", true)
	}
}

// FuzzParsePlain checks that the fast path never disagrees with encoding/csv.
func FuzzParsePlain(f *testing.F) {
	addReportSeeds(f)
	f.Add(lines(header22, rootRow(), row(ColUser, `"a,b"`)))
	f.Add([]byte(header22 + "\r\n" + row() + "\r\n\r\n" + row(ColUser, "v", ColARN, "arn:aws:iam::123456789012:user/v") + "\r"))
	f.Add([]byte(header22 + ",x\n" + row() + `,"a""b"` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		samePlainAndCSV(t, data)
	})
}

// FuzzParseIAMTime checks the fast timestamp parser against time.Parse.
func FuzzParseIAMTime(f *testing.F) {
	f.Add("2026-11-20T06:00:00+00:00")
	f.Add("2024-02-29T23:59:59+00:00")
	f.Add("2026-02-29T23:59:59+00:00")
	f.Add("2026-01-01T00:00:00Z")
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := parseIAMTime(s)
		if !ok {
			return
		}
		std, err := time.Parse(time.RFC3339, s)
		if err != nil || fast != TimeOf(std) || fast.T() != std.UTC() {
			t.Fatalf("parseIAMTime(%q) = %v, time.Parse gives %v, %v", s, fast.T(), std.UTC(), err)
		}
	})
}

func TestCommasMarksExactlyTheCommaBytes(t *testing.T) {
	// Every byte value at every position, among neighbours that sit next to
	// ',' (0x2c) and could let a borrow or carry leak: 0x2b, 0x2d, 0x00, 0xff.
	for _, bg := range []byte{'a', ',', '+', '-', 0x00, 0x7f, 0x80, 0xff} {
		for pos := range 8 {
			for v := range 256 {
				s := bytes.Repeat([]byte{bg}, 8)
				s[pos] = byte(v)
				var want uint64
				for i, c := range s {
					if c == ',' {
						want |= 0x80 << (8 * i)
					}
				}
				if got := commas(swar.Word(string(s), 0)); got != want {
					t.Fatalf("commas(%q) = %#x, want %#x", s, got, want)
				}
			}
		}
	}
}

// Rows parsed in parts are one report only when the parts agree: a
// duplicate user or another account in a later part, wherever the parts
// are cut, sends the report to encoding/csv like one part does.
func TestParsePlainPartsJoinOnlyWhatOnePartAccepts(t *testing.T) {
	lines := strings.SplitAfter(string(credreporttest.Generate(100, 7)), "\n")
	last := len(lines) - 2 // lines ends with ""
	edit := func(f func(ls []string)) []byte {
		ls := slices.Clone(lines)
		f(ls)
		return []byte(strings.Join(ls, ""))
	}
	tests := []struct {
		name  string
		data  []byte
		plain bool
	}{
		{"as generated", edit(func([]string) {}), true},
		{"root row last", edit(func(ls []string) { ls[1], ls[last] = ls[last], ls[1] }), true},
		{"CRLF and empty lines", edit(func(ls []string) {
			for i := range ls {
				ls[i] = strings.ReplaceAll(ls[i], "\n", "\r\n\n")
			}
		}), true},
		{"last user repeats the first, in upper case", edit(func(ls []string) {
			ls[last] = strings.Replace(ls[last], "user-00099", "USER-00001", 1)
		}), false},
		{"last user in another account", edit(func(ls []string) {
			ls[last] = strings.Replace(ls[last], "123456789012", "210987654321", 1)
		}), false},
		{"a quoted line break in the middle", edit(func(ls []string) {
			ls[50] = strings.Replace(ls[50], "user-", "\"us\ner-", 1)
			ls[50] = strings.Replace(ls[50], ",", "\",", 1)
		}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := samePlainAndCSV(t, tt.data); got != tt.plain {
				t.Errorf("parsePlain accepted = %v, want %v", got, tt.plain)
			}
			want, wantErr := parseCSV(string(tt.data))
			got, gotErr := Parse(tt.data)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("Parse error %v, want %v", gotErr, wantErr)
			}
			if diff := cmp.Diff(want, got, cmpEntry); diff != "" {
				t.Errorf("Parse differs from encoding/csv (-want +got):\n%s", diff)
			}
		})
	}
}

// Parts are joined only when each holds the same account and no worker
// parsed a user another did, whatever each part holds on its own.
func TestJoinPartsChecksAccountAndUsersAcrossParts(t *testing.T) {
	h, colIdx, err := readHeader(strings.Split(header22, ","), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := func(r string) string { return strings.Replace(r, "123456789012", "210987654321", 1) }
	bob := row(ColUser, "bob", ColARN, "arn:aws:iam::123456789012:user/bob")
	tests := []struct {
		name  string
		parts []string
		ok    bool
	}{
		{"one account, root in the last part", []string{row() + "\n", "\n", bob + "\n" + rootRow() + "\n"}, true},
		{"the last part in another account", []string{row() + "\n", other(bob) + "\n"}, false},
		{"the same user in two parts, in other cases", []string{row() + "\n" + bob + "\n", row(ColUser, "U") + "\n"}, false},
		{"no rows in any part", []string{"\n", ""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := make([]plainPart, len(tt.parts))
			names := make([]map[string]int, len(tt.parts)) // a worker for each part
			for i, src := range tt.parts {
				ps[i] = plainPart{src: src, line: 10 * i, lines: strings.Count(src, "\n")}
				names[i] = map[string]int{}
				ps[i].parse(h, &colIdx, names[i])
				if !ps[i].ok {
					t.Fatalf("part %d does not parse on its own", i)
				}
			}
			if _, ok := joinParts(ps, names); ok != tt.ok {
				t.Errorf("joined = %v, want %v", ok, tt.ok)
			}
		})
	}
}
