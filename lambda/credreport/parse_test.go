package credreport

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// header is the 22-column header in IAM's order.
var header22 = func() string {
	names := make([]string, len(Columns))
	for i, c := range Columns {
		names[i] = c.Name
	}
	return strings.Join(names, ",")
}()

// baseRow is a user with nothing enabled; row overrides columns by name.
var baseRow = map[string]string{
	ColUser: "u", ColARN: "arn:aws:iam::123456789012:user/u", ColUserCreationTime: "2020-01-01T00:00:00+00:00",
	ColPasswordEnabled: "false", ColPasswordLastUsed: "N/A", ColPasswordLastChanged: "N/A", ColPasswordNextRotation: "N/A",
	ColMFAActive:        "false",
	ColAccessKey1Active: "false", ColAccessKey1LastRotated: "N/A", ColAccessKey1LastUsedDate: "N/A", ColAccessKey1LastUsedRegion: "N/A", ColAccessKey1LastUsedService: "N/A",
	ColAccessKey2Active: "false", ColAccessKey2LastRotated: "N/A", ColAccessKey2LastUsedDate: "N/A", ColAccessKey2LastUsedRegion: "N/A", ColAccessKey2LastUsedService: "N/A",
	ColCert1Active: "false", ColCert1LastRotated: "N/A", ColCert2Active: "false", ColCert2LastRotated: "N/A",
}

// row is baseRow with overrides (column name, cell as written in the CSV)
// applied. A user overridden without an ARN gets the ARN ending in its name,
// as IAM writes it.
func row(overrides ...string) string {
	vals := make([]string, len(Columns))
	for i, c := range Columns {
		vals[i] = baseRow[c.Name]
	}
	userSet, arnSet := false, false
	for i := 0; i+1 < len(overrides); i += 2 {
		for j, c := range Columns {
			if c.Name == overrides[i] {
				vals[j] = overrides[i+1]
				userSet, arnSet = userSet || j == 0, arnSet || j == 1
			}
		}
	}
	if userSet && !arnSet {
		name := vals[0]
		if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
			name = strings.ReplaceAll(name[1:len(name)-1], `""`, `"`)
		}
		vals[1] = "arn:aws:iam::123456789012:user/" + name
		if strings.ContainsAny(vals[1], `,"`) {
			vals[1] = `"` + strings.ReplaceAll(vals[1], `"`, `""`) + `"`
		}
	}
	return strings.Join(vals, ",")
}

func rootRow(overrides ...string) string {
	return row(append([]string{ColUser, RootUser, ColARN, "arn:aws:iam::123456789012:root",
		ColPasswordEnabled, "not_supported", ColPasswordLastChanged, "not_supported", ColPasswordNextRotation, "not_supported"}, overrides...)...)
}

func lines(ls ...string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEverySentinelQuotedNamesCRLFAndBOM(t *testing.T) {
	r, err := Parse(readFile(t, "testdata/sentinels-crlf-bom.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if r.AccountID != "111122223333" || r.Partition != "aws" {
		t.Errorf("account/partition = %s/%s, want 111122223333/aws", r.AccountID, r.Partition)
	}
	if r.Root == nil || len(r.Users) != 2 || len(r.Entries) != 3 {
		t.Fatalf("root=%v users=%d entries=%d, want root, 2 users, 3 entries", r.Root != nil, len(r.Users), len(r.Entries))
	}
	if r.Header[0] != "user" {
		t.Errorf("BOM not stripped from header: %q", r.Header[0])
	}

	root := r.Root
	wantRoot := Entry{
		User: RootUser, ARN: "arn:aws:iam::111122223333:root",
		UserCreationTime:     TimeOf(mustTime("2015-01-02T03:04:05Z")),
		PasswordEnabled:      Bool{State: NotSupported},
		PasswordLastUsed:     Time{State: NoInformation},
		PasswordLastChanged:  Time{State: NotSupported},
		PasswordNextRotation: Time{State: NotSupported},
		MFAActive:            Bool{V: true}, // written TRUE, as the documentation prints it
		AccessKeys: [2]AccessKey{
			{Active: Bool{V: false}, LastRotated: Time{State: NotApplicable}, LastUsedDate: Time{State: NotApplicable},
				LastUsedRegion: Text{State: NotApplicable}, LastUsedService: Text{State: NotApplicable}},
			{Active: Bool{V: false}, LastRotated: Time{State: NotApplicable}, LastUsedDate: Time{State: NotApplicable},
				LastUsedRegion: Text{State: NotApplicable}, LastUsedService: Text{State: NotApplicable}},
		},
		Certs: [2]Cert{{LastRotated: Time{State: NotApplicable}}, {LastRotated: Time{State: NotApplicable}}},
		Line:  2,
	}
	if diff := cmp.Diff(wantRoot, *root, cmp.AllowUnexported(Entry{}), cmpIgnoreRaw); diff != "" {
		t.Errorf("root row (-want +got):\n%s", diff)
	}
	if !root.IsRoot() || r.Users[0].IsRoot() {
		t.Error("IsRoot wrong")
	}

	smith := r.Users[0]
	if smith.User != "smith,john" {
		t.Errorf("quoted user name = %q, want %q", smith.User, "smith,john")
	}
	if smith.PasswordLastUsed.State != NoInformation || !smith.PasswordEnabled.True() {
		t.Errorf("smith password = %+v last used %+v", smith.PasswordEnabled, smith.PasswordLastUsed)
	}
	k2 := smith.AccessKeys[1]
	if !k2.Active.True() || k2.LastUsedRegion.State != NotApplicable || k2.LastUsedService != (Text{S: "s3"}) {
		t.Errorf("key 2 = %+v, want active, region N/A (non-regional service), service s3", k2)
	}
	if k1 := smith.AccessKeys[0]; k1.Active.True() || !k1.LastRotated.T().Equal(mustTime("2020-02-03T04:06:00Z")) {
		t.Errorf("inactive key 1 must keep its date: %+v", k1)
	}

	quoted := r.Users[1]
	if quoted.User != `quote"d` || quoted.Line != 4 {
		t.Errorf("user = %q line %d, want quote\"d on line 4", quoted.User, quoted.Line)
	}
	if got := quoted.AccessKeys[0].LastUsedDate.T(); !got.Equal(mustTime("2021-01-31T22:00:00Z")) || got.Location() != time.UTC {
		t.Errorf("+02:00 timestamp = %v, want 2021-01-31T22:00:00Z in UTC", got)
	}
	if !quoted.Certs[1].Active.True() || quoted.Certs[0].Active.True() {
		t.Errorf("certs = %+v", quoted.Certs)
	}
}

var cmpIgnoreRaw = cmp.FilterPath(func(p cmp.Path) bool {
	s := p.String()
	return s == "raw" || s == "src" || s == "header"
}, cmp.Ignore())

// cmpEntry compares entries field by field, unexported ones included, with
// their cells as Raw gives them rather than as they are kept (raw and src
// differ between rows read with encoding/csv and the others).
var cmpEntry = cmp.Options{
	cmp.AllowUnexported(Entry{}, header{}),
	cmpopts.AcyclicTransformer("Raw", func(e Entry) entryCells { return entryCells{Cells: e.Raw(), Entry: e} }),
	cmp.FilterPath(func(p cmp.Path) bool {
		f, ok := p.Last().(cmp.StructField)
		return ok && (f.Name() == "raw" || f.Name() == "src")
	}, cmp.Ignore()),
}

type entryCells struct {
	Cells []string
	Entry Entry
}

func TestParseReorderedColumnsKeepsUnknownColumns(t *testing.T) {
	r, err := Parse(readFile(t, "testdata/reordered-extra.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Partition != "aws-us-gov" || r.AccountID != "444455556666" {
		t.Errorf("partition/account = %s/%s", r.Partition, r.AccountID)
	}
	if r.Root == nil || r.Root != r.Entries[1] || len(r.Users) != 1 || r.Users[0] != r.Entries[0] {
		t.Fatal("root row second in the file must still be Report.Root, with order kept in Entries")
	}
	u := r.Users[0]
	if u.User != "gov-user" || !u.MFAActive.True() || !u.PasswordEnabled.True() {
		t.Errorf("reordered columns mis-read: %+v", u)
	}
	if got, _ := u.Value(ColPasswordNextRotation); !got.Time.T().Equal(mustTime("2023-08-01T00:00:00Z")) {
		t.Errorf("password_next_rotation = %+v", got)
	}
	if v, ok := u.RawValue("future_column"); !ok || v != "something new" {
		t.Errorf("unknown column raw = %q, %v", v, ok)
	}
	if v, ok := r.Root.RawValue("future_column"); !ok || v != "" {
		t.Errorf("root unknown column raw = %q, %v", v, ok)
	}
	if _, ok := u.RawValue("no_such_column"); ok {
		t.Error("RawValue of a column the report lacks must be !ok")
	}
	cols := append(slices.Clone(r.Header), "no_such_column")
	for _, e := range r.Entries {
		want := make([]string, len(cols))
		for i, c := range cols {
			want[i], _ = e.RawValue(c)
		}
		if got := e.RawValues(cols); !slices.Equal(got, want) {
			t.Errorf("%s: RawValues = %q, want RawValue's %q", e.User, got, want)
		}
	}
}

func TestWriteCSVReproducesRows(t *testing.T) {
	for _, name := range []string{"testdata/sentinels-crlf-bom.csv", "testdata/reordered-extra.csv", "../../events/sample-report.csv"} {
		t.Run(name, func(t *testing.T) {
			in := readFile(t, name)
			r, err := Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := r.WriteCSV(&out); err != nil {
				t.Fatal(err)
			}
			want, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(in, []byte(utf8BOM)))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			got, err := csv.NewReader(&out).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rows differ after a round trip (-in +out):\n%s", diff)
			}
		})
	}
}

func TestReadAcceptsGetCredentialReportJSON(t *testing.T) {
	csvData := lines(header22, rootRow(), row())
	doc := `{"Content": "` + base64.StdEncoding.EncodeToString(csvData) + `", "ReportFormat": "text/csv", "GeneratedTime": "2026-11-20T06:00:00+00:00"}`
	r, err := Read([]byte("\n  " + doc))
	if err != nil {
		t.Fatal(err)
	}
	if !r.GeneratedTime.Equal(mustTime("2026-11-20T06:00:00Z")) || len(r.Users) != 1 {
		t.Errorf("generated %v users %d", r.GeneratedTime, len(r.Users))
	}
	bare, err := Read(csvData)
	if err != nil || !bare.GeneratedTime.IsZero() {
		t.Errorf("bare CSV: err %v, generated %v (want zero)", err, bare.GeneratedTime)
	}

	for name, bad := range map[string]string{
		"no Content":       `{"GeneratedTime": "2026-11-20T06:00:00+00:00"}`,
		"not base64":       `{"Content": "%%%"}`,
		"bad time":         `{"Content": "", "GeneratedTime": "yesterday"}`,
		"wrong format":     `{"Content": "", "ReportFormat": "text/plain"}`,
		"truncated JSON":   `{"Content": "`,
		"bad CSV inside":   `{"Content": "` + base64.StdEncoding.EncodeToString(lines(header22, row(ColMFAActive, "yes"))) + `"}`,
		"empty CSV inside": `{"Content": ""}`,
	} {
		if _, err := Read([]byte(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// A malformed get-credential-report JSON document is refused at its line
// and column, counted in the whole input; so is anything after the object,
// and a field given twice.
func TestReadPlacesJSONErrors(t *testing.T) {
	content := base64.StdEncoding.EncodeToString(lines(header22, rootRow(), row()))
	doc := `{"Content": "` + content + `", "GeneratedTime": "2026-11-20T06:00:00+00:00"}`
	tests := []struct {
		name         string
		in           string
		line, column int
		want         string
	}{
		{"a syntax error", "\n  {\"Content\": \"\",\n   \"ReportFormat\": \"text/csv\" x}", 3, 31, "invalid character 'x'"},
		{"a value of the wrong type", "{\"Content\": \"\",\n \"GeneratedTime\": 5}", 2, 19, "line 2, column 19: GeneratedTime is a JSON number, want a string"},
		{"Content of the wrong type", "{\"Content\": [\"a\"]}", 1, 13, "line 1, column 13: Content is a JSON array, want a string"},
		{"Content null", "{\"GeneratedTime\": \"2026-11-20T06:00:00Z\",\n \"Content\": null}", 2, 2, `line 2, column 2: "Content" is null, want the report's base64 text`},
		{"a truncated document", `{"Content": "`, 1, 14, "unexpected EOF"},
		{"text after the object", doc + "\nthis is not JSON\n", 2, 1, "data after the JSON object"},
		{"a second object", doc + "  {}", 1, len(doc) + 3, "data after the JSON object"},
		{"an array", "\n [" + doc + "]", 2, 2, `a JSON array; want the one object "aws iam get-credential-report" writes`},
		{"an empty array", "[]", 1, 1, "a JSON array"},
		// A field given twice, in any case or spelling encoding/json takes for
		// it (which would read the last), is refused at the second.
		{"Content twice", `{"Content": "` + content + "\",\n  \"Content\": \"\"}", 2, 3, `"Content" given a second time (first at line 1, column 2)`},
		{"in another case", "{\"content\": \"\", \"GeneratedTime\": \"2026-11-20T06:00:00Z\",\n\"CONTENT\": \"" + content + `"}`, 2, 1, `"CONTENT" given a second time (first at line 1, column 2)`},
		{"spelt with an escape", `{"Content": "` + content + `", "\u0043ontent": ""}`, 1, len(content) + 17, `"Content" given a second time`},
		{"GeneratedTime twice", `{"Content": "` + content + `", "GeneratedTime": "2026-11-20T06:00:00Z", "GeneratedTime": "2027-01-01T00:00:00Z"}`, 1, len(content) + 58, `"GeneratedTime" given a second time`},
		// Given, GeneratedTime is a time: empty or null is not the field
		// left out, which dates the report as a bare CSV is.
		{"GeneratedTime empty", "{\"Content\": \"" + content + "\",\n \"GeneratedTime\": \"\"}", 2, 2, "GeneratedTime is empty (or null)"},
		{"GeneratedTime null", "{\"GeneratedTime\": null, \"Content\": \"" + content + "\"}", 1, 2, "GeneratedTime is empty (or null)"},
		{"ReportFormat twice, the same", `{"ReportFormat": "text/csv", "Content": "` + content + `", "ReportFormat":"text/csv"}`, 1, len(content) + 45, `"ReportFormat" given a second time`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadString(tt.in)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tt.line || pe.Column != tt.column || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v; want %q at line %d, column %d", err, tt.want, tt.line, tt.column)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "read get-credential-report JSON: line ") {
				t.Errorf("error %q does not start with what was read and where", err)
			}
		})
	}
	if _, err := ReadString(doc + " \r\n\t\n"); err != nil {
		t.Errorf("white space after the object: %v", err)
	}
}

// Other keys given twice, and the fields' names inside values, are not a
// field given twice (TestReadPlacesJSONErrors).
func TestReadTakesOtherKeysTwice(t *testing.T) {
	content := base64.StdEncoding.EncodeToString(lines(header22, rootRow(), row()))
	for name, ok := range map[string]string{
		"other keys twice":          `{"Content": "` + content + `", "Other": 1, "Other": 2}`,
		"the names inside values":   `{"Extra": {"Content": "x", "Content": [1, {"Content": "\"Content\""}], "n": -1.5e3, "t": true, "z": null}, "Content": "` + content + `", "More": ["Content", "Content"]}`,
		"nested arrays and empties": `{"A": [[], {}, [[1, 2], {"b": []}]], "Content": "` + content + `", "B": "\\", "C": "", "D": 0}`,
	} {
		r, err := ReadString(ok)
		if err != nil || len(r.Users) != 1 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A report whose lines end in CR alone is refused saying so, not as a
// header holding every row ("column … appears twice") or a stray quote;
// CRLF, and a CR inside a quoted cell, are read.
func TestReadRefusesCROnlyLines(t *testing.T) {
	csv := string(lines(header22, rootRow()))
	for _, s := range []string{strings.ReplaceAll(csv, "\n", "\r"), strings.TrimSuffix(strings.ReplaceAll(csv, "\n", "\r"), "\r")} {
		_, err := ReadString(s)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != 1 || !strings.Contains(err.Error(), "the lines end in a carriage return alone") {
			t.Errorf("error %v, want line 1 saying the lines end in CR alone", err)
		}
	}
	if _, err := ReadString(strings.ReplaceAll(csv, "\n", "\r\n")); err != nil {
		t.Errorf("CRLF: %v", err)
	}
	if _, err := ReadString(header22 + "\r"); err == nil || strings.Contains(err.Error(), "carriage return") {
		t.Errorf("a header alone, ending in CR: %v; want it refused for having no rows", err)
	}
}

// A report saved as UTF-16 (Windows PowerShell 5's > writes it so) is
// refused as such, CSV or JSON, not as a report missing every column.
func TestReadRefusesUTF16(t *testing.T) {
	utf16NoBOM := func(s string, bigEndian bool) string {
		var b []byte
		for _, c := range []byte(s) {
			if bigEndian {
				b = append(b, 0, c)
			} else {
				b = append(b, c, 0)
			}
		}
		return string(b)
	}
	utf16 := func(s string, bigEndian bool) string {
		if bigEndian {
			return "\xfe\xff" + utf16NoBOM(s, true)
		}
		return "\xff\xfe" + utf16NoBOM(s, false)
	}
	doc := `{"Content": "` + base64.StdEncoding.EncodeToString(lines(header22, rootRow(), row())) + `"}`
	for _, in := range []string{utf16(string(lines(header22, rootRow(), row())), false), utf16(doc, false), utf16(doc, true),
		// iconv -t UTF-16LE writes no byte order mark
		utf16NoBOM(string(lines(header22, rootRow(), row())), false), utf16NoBOM(doc, true)} {
		_, err := ReadString(in)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != 1 || !strings.Contains(err.Error(), "the file is UTF-16") {
			t.Errorf("%.12q: error %v; want line 1 saying the file is UTF-16", in, err)
		}
	}
	// A NUL is UTF-8 too: a first column whose name starts or ends with
	// one is no UTF-16.
	for _, in := range []string{"x\x00," + header22 + "\na," + row() + "\n", "\x00x," + header22 + "\na," + row() + "\n"} {
		if _, err := ReadString(in); err != nil {
			t.Errorf("%.8q…: %v", in, err)
		}
	}
}

func TestParseRejectsMalformedReports(t *testing.T) {
	tests := []struct {
		name         string
		in           []byte
		line, column int
		field        string
		want         string // part of the message
	}{
		{"empty body", []byte(""), 0, 0, "", "empty"},
		{"only whitespace", []byte("\n\n"), 0, 0, "", "empty"},
		{"header without rows", lines(header22), 0, 0, "", "no rows"},
		{"missing required column", lines(strings.Replace(header22, ",mfa_active", "", 1)), 1, 0, "", "missing required column(s): mfa_active"},
		{"column twice", lines(header22 + ",user"), 1, len(header22) + 2, "", `column "user" appears twice`},
		{"column twice, after blank lines", []byte("\n\r\n" + header22 + ",user\n" + row() + "\n"), 3, len(header22) + 2, "", `column "user" appears twice`},
		{"column twice, quoted", lines(`"user",arn,"user",` + header22[len("user,arn,"):]), 1, 12, "", `column "user" appears twice (fields 1 and 3)`},
		{"a column in capitals", lines(strings.Replace(header22, "mfa_active", "MFA_Active", 1), row()), 1, 0, "",
			`missing required column(s): mfa_active (the header has 1 of them in another case or with spaces: "MFA_Active"; IAM writes each in lower case, separated by a comma alone)`},
		{"the header in capitals", lines(strings.ToUpper(header22), row()), 1, 0, "", `(the header has 22 of them in another case or with spaces: "USER", "ARN", "USER_CREATION_TIME", …;`},
		{"columns after a comma and a space", lines(strings.ReplaceAll(header22, ",", ", "), row()), 1, 0, "", `(the header has 21 of them in another case or with spaces: " arn", " user_creation_time", " password_enabled", …;`},
		{"missing column, after a blank line", []byte("\n" + strings.Replace(header22, ",mfa_active", "", 1) + "\n"), 2, 0, "", "missing required column(s): mfa_active"},
		{"bad timestamp", lines(header22, rootRow(), row(ColPasswordLastUsed, "2020-13-01T00:00:00+00:00")), 3, 68, ColPasswordLastUsed, `invalid timestamp "2020-13-01T00:00:00+00:00"`},
		{"date without time", lines(header22, row(ColUserCreationTime, "2020-01-01")), 2, 36, ColUserCreationTime, "invalid timestamp"},
		// Go's RFC 3339 layout takes both; RFC 3339 §5.6 does not.
		{"a comma before the fraction", lines(header22, row(ColUserCreationTime, `"2020-01-01T00:00:00,5Z"`)), 2, 36, ColUserCreationTime, `invalid timestamp "2020-01-01T00:00:00,5Z"`},
		{"an offset of 24 hours", lines(header22, row(ColUserCreationTime, "2020-01-01T00:00:00+24:00")), 2, 36, ColUserCreationTime, `invalid timestamp "2020-01-01T00:00:00+24:00"`},
		{"an offset of 60 minutes", lines(header22, row(ColUserCreationTime, "2020-01-01T00:00:00-05:60")), 2, 36, ColUserCreationTime, "invalid timestamp"},
		// Before AWS: a typo or a placeholder; the zero time would read as
		// no time to the rules.
		{"the zero time", lines(header22, rootRow(), row(ColPasswordLastUsed, "0001-01-01T00:00:00Z")), 3, 68, ColPasswordLastUsed, `timestamp "0001-01-01T00:00:00Z" is before 1995`},
		{"a second before 1995", lines(header22, row(ColUserCreationTime, "1994-12-31T23:59:59+00:00")), 2, 36, ColUserCreationTime, "is before 1995, before any AWS credential"},
		{"the Unix epoch, a placeholder", lines(header22, row(ColUserCreationTime, "1970-01-01T00:00:00+00:00")), 2, 36, ColUserCreationTime, "is before 1995"},
		{"past the year 9999 in UTC", lines(header22, row(ColUserCreationTime, "9999-12-31T23:00:00-05:00")), 2, 36, ColUserCreationTime, "is after the year 9999 in UTC"},
		{"a boolean by Unicode case folding", lines(header22, row(ColMFAActive, "falſe")), 2, 0, ColMFAActive, `invalid boolean "falſe"`},
		{"before 1995 in UTC, though not as written", lines(header22, row(ColUserCreationTime, "1995-01-01T00:30:00+01:00")), 2, 36, ColUserCreationTime, "is before 1995"},
		{"unknown boolean", lines(header22, row(ColMFAActive, "yes")), 2, 80, ColMFAActive, `invalid boolean "yes"`},
		{"empty boolean", lines(header22, row(ColCert2Active, "")), 2, 0, ColCert2Active, "invalid boolean"},
		{"empty timestamp", lines(header22, row(ColCert2LastRotated, "")), 2, 0, ColCert2LastRotated, "empty value"},
		{"too few fields", lines(header22, rootRow(), "u,arn:aws:iam::123456789012:user/u"), 3, 1, "", "wrong number of fields"},
		{"too many fields", lines(header22, row()+",extra"), 2, 1, "", "wrong number of fields"},
		{"duplicate user", lines(header22, row(), rootRow(), row()), 4, 1, ColUser, `duplicate user "u" (first on line 2)`},
		{"duplicate user differing in case", lines(header22, row(ColUser, "Admin"), row(ColUser, "admin")), 3, 1, ColUser, `duplicate user "admin"`},
		{"two root rows", lines(header22, rootRow(), rootRow()), 3, 1, ColUser, "duplicate user"},
		{"empty user", lines(header22, row(ColUser, "")), 2, 1, ColUser, "empty user name"},
		{"a user name not UTF-8", lines(header22, rootRow(), row(ColUser, "b\xffob", ColARN, "arn:aws:iam::123456789012:user/b\xffob")), 3, 1, ColUser, `user name "b\xffob" is not UTF-8`},
		{"an ARN not UTF-8", lines(header22, row(ColARN, "arn:aws:iam::123456789012:user/caf\xe9/u")), 2, 3, ColARN, `ARN "arn:aws:iam::123456789012:user/caf\xe9/u" is not UTF-8`},
		{"not an ARN", lines(header22, row(ColARN, "u")), 2, 3, ColARN, "not an IAM ARN"},
		{"short account", lines(header22, row(ColARN, "arn:aws:iam::1234:user/u")), 2, 3, ColARN, "not an IAM ARN"},
		{"not an IAM ARN", lines(header22, row(ColARN, "arn:aws:s3:::bucket")), 2, 3, ColARN, "not an IAM ARN"},
		{"root row with a user ARN", lines(header22, rootRow(ColARN, "arn:aws:iam::123456789012:user/root")), 2, 16, ColARN, "want one ending in :root"},
		{"user row with the root ARN", lines(header22, row(ColARN, "arn:aws:iam::123456789012:root")), 2, 3, ColARN, "want one with :user/"},
		{"two accounts", lines(header22, rootRow(), row(ColARN, "arn:aws:iam::999999999999:user/u")), 3, 3, ColARN, "earlier rows are in aws/123456789012"},
		{"another user's ARN", lines(header22, row(ColUser, "bob", ColARN, "arn:aws:iam::123456789012:user/alice")), 2, 5, ColARN, `is not user "bob"'s (want one ending in "/bob")`},
		{"two users with one ARN", lines(header22, row(ColUser, "alice"), row(ColUser, "bob", ColARN, "arn:aws:iam::123456789012:user/alice")), 3, 5, ColARN, `is not user "bob"'s`},
		{"an ARN naming the user in another case", lines(header22, row(ColUser, "Bob", ColARN, "arn:aws:iam::123456789012:user/ops/bob")), 2, 5, ColARN, `is not user "Bob"'s`},
		{"an ARN ending in the user's name, not at a /", lines(header22, row(ColUser, "bob", ColARN, "arn:aws:iam::123456789012:user/ops/jimbob")), 2, 5, ColARN, `is not user "bob"'s`},
		{"bare quote", lines(header22, `a"b`+row()[1:]), 2, 2, "", `bare " in non-quoted-field`},
		{"unterminated quote", []byte(header22 + "\n\"u,"), 2, 4, "", "extraneous or missing"},
		// The stray quote opens row 2: reading goes on to the end of the
		// file, and the row to fix is the one where it started.
		{"a quote that opens a row and never closes", lines(header22, `"`+row()[1:], row(ColUser, "v", ColARN, "arn:aws:iam::123456789012:user/v"), row(ColUser, "w", ColARN, "arn:aws:iam::123456789012:user/w")), 2, 0, "", "a quoted field in the row starting here does not close"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("no error; parsed %d rows", len(r.Entries))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			var pe *ParseError
			if tc.line == 0 {
				if !errors.Is(err, ErrEmpty) {
					t.Errorf("error %v is not ErrEmpty", err)
				}
				return
			}
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if pe.Line != tc.line || (tc.column != 0 && pe.Column != tc.column) || pe.Field != tc.field {
				t.Errorf("position = line %d column %d field %q, want line %d column %d field %q (%v)",
					pe.Line, pe.Column, pe.Field, tc.line, tc.column, tc.field, err)
			}
		})
	}
}

// The first instant of 1995 (UTC) is the earliest timestamp a report holds,
// the last second of 9999 (UTC) the latest. Each is read as --as-of and
// expires are (ParseRFC3339): RFC 3339's T and Z in either case, the
// fraction and offset kept, and the cell kept as written. An account made
// before 2006, when S3 and EC2 came (AWS opened to developers in 2002), has
// a root row that old.
func TestParseAcceptsTimesFrom1995To9999(t *testing.T) {
	for v, want := range map[string]time.Time{
		"1995-01-01T00:00:00Z":                time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC),
		"1995-01-01T00:00:00+00:00":           time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC),
		"1994-12-31T23:30:00-01:00":           time.Date(1995, 1, 1, 0, 30, 0, 0, time.UTC),
		"2004-03-04T10:11:12+00:00":           time.Date(2004, 3, 4, 10, 11, 12, 0, time.UTC),
		"9999-12-31T23:59:59.999999999+00:00": time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		"9999-12-31T22:59:59-01:00":           time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		"2020-01-01t00:00:00z":                time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		"2020-01-01T00:00:00z":                time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		"2020-01-01t00:00:00+00:00":           time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		"2020-01-01T00:00:00.25-23:59":        time.Date(2020, 1, 1, 23, 59, 0, 250e6, time.UTC),
		"2020-01-01T05:30:00+05:30":           time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		"2020-01-01T00:00:00.123456789-00:00": time.Date(2020, 1, 1, 0, 0, 0, 123456789, time.UTC),
	} {
		r, err := Parse(lines(header22, row(ColUserCreationTime, v)))
		if err != nil {
			t.Errorf("%s: %v", v, err)
			continue
		}
		if got, ok := r.Users[0].UserCreationTime.Get(); !ok || !got.Equal(want) {
			t.Errorf("%s read as %v, %v; want %v", v, got, ok, want)
		}
		if raw, _ := r.Users[0].RawValue(ColUserCreationTime); raw != v {
			t.Errorf("%s kept as %q", v, raw)
		}
	}
}

func TestParseAcceptsEverySentinelInTypedColumns(t *testing.T) {
	// Typed columns accept all three sentinels: IAM has used not_supported
	// beyond the root row (GovCloud), and refusing a real report would leave
	// the account unaudited. Rules act only on values whose State is Set.
	for _, s := range []struct {
		raw   string
		state State
	}{{"N/A", NotApplicable}, {"no_information", NoInformation}, {"not_supported", NotSupported}} {
		for _, c := range Columns {
			if c.Kind == KindText {
				continue
			}
			r, err := Parse(lines(header22, row(c.Name, s.raw)))
			if err != nil {
				t.Errorf("%s=%s: %v", c.Name, s.raw, err)
				continue
			}
			v, _ := r.Users[0].Value(c.Name)
			if v.State() != s.state || v.Any() != nil {
				t.Errorf("%s=%s decoded as state %v value %v", c.Name, s.raw, v.State(), v.Any())
			}
		}
	}
}

func TestTableQueries(t *testing.T) {
	r, err := Parse(readFile(t, "../../events/sample-report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	all := r.Table()
	if len(all) != len(r.Users)+1 {
		t.Fatalf("table has %d rows, want users + root = %d", len(all), len(r.Users)+1)
	}
	noMFA := all.Where(func(e *Entry) bool { return e.PasswordEnabled.True() && !e.MFAActive.True() })
	if diff := cmp.Diff([]string{"bob", "doe,jane"}, noMFA.Names()); diff != "" {
		t.Errorf("password without MFA (-want +got):\n%s", diff)
	}
	if got := noMFA.ARNs(); got[0] != "arn:aws:iam::123456789012:user/bob" {
		t.Errorf("ARNs = %v", got)
	}
	vals, err := noMFA.Column(ColPasswordLastUsed)
	if err != nil {
		t.Fatal(err)
	}
	if !vals[0].Any().(time.Time).Equal(mustTime("2026-06-01T10:00:00Z")) || vals[1].State() != NoInformation || vals[1].Any() != nil {
		t.Errorf("password_last_used column = %+v", vals)
	}
	raw, err := noMFA.RawColumn(ColPasswordLastUsed)
	if err != nil || raw[1] != "no_information" {
		t.Errorf("raw column = %v, %v", raw, err)
	}
	if _, err := all.Column("nope"); err == nil {
		t.Error("unknown column: no error")
	}
	if _, err := all.RawColumn("nope"); err == nil {
		t.Error("unknown raw column: no error")
	}
	if u, ok := r.User("carol"); !ok || u.ARN != "arn:aws:iam::123456789012:user/engineering/carol" {
		t.Errorf("User(carol) = %v, %v", u, ok)
	}
	if _, ok := r.User(RootUser); ok {
		t.Error("root must not be found as a user")
	}
}

// Parse's memory follows the input's bytes, whatever its lines hold: room
// made for a row on every line (a 329 KB file of 20,000 columns over blank
// lines asked for 16 GB and killed the process) must not outgrow what the
// bytes can hold.
func TestParseMemoryFollowsTheInputsBytes(t *testing.T) {
	wide := header22
	for i := range 200 {
		wide += fmt.Sprintf(",x%d", i)
	}
	blank := strings.Repeat("\n", 100_000)
	quoted := row(ColUser, `"a""b"`, ColARN, `"arn:aws:iam::123456789012:user/a""b"`) // read by encoding/csv
	tests := []struct {
		name string
		in   string
		want string // what the error says; "" for a report that parses
	}{
		{"a wide header over blank lines", wide + blank, "no rows"},
		{"a row, then blank lines", header22 + "\n" + row() + blank, ""},
		{"blank lines, then a row with a doubled quote", header22 + blank + quoted + "\n", ""},
		{"a quoted cell of line breaks", header22 + ",note\n" + row() + ",\"" + blank + "\"\n", ""},
		// encoding/csv holds a record's fields, some 40 bytes each, before
		// it counts them: 4 MB of commas took 400 MB.
		{"a row of millions of commas", header22 + "\n" + row() + strings.Repeat(",", 4<<20) + "\n", "line 2, column 1: wrong number of fields (want 22, as in the header)"},
		{"a row of millions of quoted empty cells", header22 + "\n" + row() + strings.Repeat(`,""`, 1<<20) + "\n", "line 2, column 1: wrong number of fields"},
		{"a header of millions of commas", header22 + strings.Repeat(",", 4<<20) + "\n" + row() + "\n", "line 1: more than 1024 columns in the header (a credential report has 22)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Parse([]byte(tc.in))
			runtime.ReadMemStats(&after)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
			// A report parses in about three times its size; rows of one
			// byte a cell would take some 40 times.
			if got, most := after.TotalAlloc-before.TotalAlloc, uint64(40*len(tc.in)+1<<20); got > most {
				t.Errorf("parsing %d bytes allocated %d, more than %d", len(tc.in), got, most)
			}
		})
	}
}

// An error quotes a cell cut after 256 characters, with its size: a
// malformed report's cell can run to megabytes (a line of 10 MB without a
// comma), which an error quoting it whole buries its position under.
func TestParseErrorsClipLongCells(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	clipped := `"` + strings.Repeat("x", 256) + `"… (1048576 bytes)`
	tests := []struct{ name, in, want string }{
		{"a timestamp", string(lines(header22, row(ColUserCreationTime, long))), "line 2, column 36 (user_creation_time): invalid timestamp " + clipped + ", want RFC 3339"},
		{"a boolean", string(lines(header22, row(ColMFAActive, long))), "(mfa_active): invalid boolean " + clipped + ", want true"},
		{"an ARN", string(lines(header22, row(ColARN, long))), "(arn): " + clipped + " is not an IAM ARN"},
		{"a user name", string(lines(header22, row(ColUser, long, ColARN, "arn:aws:iam::123456789012:user/u"))), `(arn): ARN "arn:aws:iam::123456789012:user/u" is not user ` + clipped + "'s"},
		{"a column name twice", header22 + "," + long + "," + long + "\n", "column " + clipped + " appears twice"},
		{"a GeneratedTime", `{"Content":"","GeneratedTime":"` + long + `"}`, "GeneratedTime " + clipped + " is not an RFC 3339 time"},
		{"a ReportFormat", `{"Content":"","ReportFormat":"` + long + `"}`, "ReportFormat " + clipped + ", want text/csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadString(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) || len(err.Error()) > 1000 {
				t.Errorf("error (%d bytes) %.400q…, want one under 1,000 bytes containing %q", len(fmt.Sprint(err)), err, tc.want)
			}
		})
	}
}

// What ParseRFC3339 refuses, for --as-of and expires too; what it takes is
// in TestParseAcceptsTimesFrom1995To9999.
func TestParseRFC3339(t *testing.T) {
	for _, s := range []string{"2026-11-20T06:00:00,5Z", "2026-11-20T06:00:00+24:00", "2026-11-20T06:00:00+00:60",
		"2026-11-20T06:00:00", "2026-11-20 06:00:00Z", "2026-11-20T06:00:00+0000", "2026-11-20T06:00:00.Z", "2026-11-20"} {
		if got, err := ParseRFC3339(s); err == nil {
			t.Errorf("ParseRFC3339(%q) = %v, want an error", s, got)
		}
	}
}

// The shortcut takes get-credential-report JSON as the AWS CLI writes it,
// indented or not (and leaves the rest to encoding/json: FuzzSimpleJSON).
func TestSimpleJSONTakesWhatTheCLIWrites(t *testing.T) {
	content := base64.StdEncoding.EncodeToString(lines(header22, rootRow(), row()))
	for _, s := range []string{
		"{\n    \"Content\": \"" + content + "\",\n    \"ReportFormat\": \"text/csv\",\n    \"GeneratedTime\": \"2026-11-20T06:00:00+00:00\"\n}\n",
		`{"Content":"` + content + `","ReportFormat":"text/csv","GeneratedTime":"2026-11-20T06:00:00+00:00"}`,
	} {
		doc, ok := simpleJSON(s, 0)
		if !ok || doc.GeneratedTime != "2026-11-20T06:00:00+00:00" || string(doc.csv) != string(lines(header22, rootRow(), row())) {
			t.Errorf("simpleJSON(%.60q…) = %v, %+.80v", s, ok, doc)
		}
	}
}
