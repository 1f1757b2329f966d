package credreport

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// survives a WriteCSV round trip unchanged.
func FuzzParse(f *testing.F) {
	addReportSeeds(f)
	f.Add(lines(header22, rootRow(), row(ColUser, `"a,b"`)))
	f.Add([]byte(header22 + "\r\n" + row() + "\r\n"))
	f.Add([]byte(header22 + "\n" + rootRow() + "\n\n" + row() + "\n")) // a blank line: WriteCSV renumbers the rows
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			if r != nil {
				t.Fatal("a report returned with an error")
			}
			return
		}
		var out bytes.Buffer
		if err := r.WriteCSV(&out); err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out.Bytes())
		if err != nil {
			t.Fatalf("written report does not parse: %v", err)
		}
		if diff := cmp.Diff(r.Header, again.Header); diff != "" {
			t.Fatalf("header changed:\n%s", diff)
		}
		if len(r.Entries) != len(again.Entries) {
			t.Fatalf("%d rows became %d", len(r.Entries), len(again.Entries))
		}
		for i := range r.Entries {
			if diff := cmp.Diff(r.Entries[i], again.Entries[i], cmpEntry, cmpIgnoreLineAndHeader); diff != "" {
				t.Fatalf("row %d changed:\n%s", i, diff)
			}
		}
	})
}

// addReportSeeds adds the real-shaped reports in testdata and the sample
// report to a fuzz corpus.
func addReportSeeds(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.csv")
	seeds = append(seeds, "../../events/sample-report.csv")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// cmpIgnoreLineAndHeader ignores an entry's line (WriteCSV renumbers rows
// after blank lines and quoted line breaks) and its header, wherever
// cmpEntry's transformer puts them.
var cmpIgnoreLineAndHeader = cmp.FilterPath(func(p cmp.Path) bool {
	f, ok := p.Last().(cmp.StructField)
	return ok && (f.Name() == "Line" || f.Name() == "header")
}, cmp.Ignore())

// FuzzFieldKeys checks the skimmer that finds get-credential-report's
// fields against encoding/json's own tokens: on every object encoding/json
// takes, the two find the same keys, or the same second key of a field given
// twice, and neither panics.
func FuzzFieldKeys(f *testing.F) {
	f.Add(`{"Content": "", "content": "x"}`)
	f.Add(`{"A": [1, {"Content": "\"Content\""}], "B": {"C": [[], {}]}, "D": -1.5e3, "E": true, "F": null, "Content": "\\"}`)
	f.Add(`{"\u0043ontent": "", "X": "\u00e9", "GeneratedTime": "", "ReportFormat": "a", "REPORTFORMAT": "b"}`)
	f.Add(` {}`)
	f.Fuzz(func(t *testing.T, s string) {
		var doc map[string]any
		dec := json.NewDecoder(strings.NewReader(s))
		if !strings.HasPrefix(s, "{") || dec.Decode(&doc) != nil || strings.TrimSpace(s[dec.InputOffset():]) != "" {
			return // fieldKeys is only for an object that decoded
		}
		fields := []string{"Content", "ReportFormat", "GeneratedTime"}
		keys, got := fieldKeys(s, 0, fields...)
		want := -1 // the offset of the second key, by encoding/json's tokens
		first := []int{-1, -1, -1}
		dec = json.NewDecoder(strings.NewReader(s))
		dec.Token()
		for want < 0 && dec.More() {
			at := int(dec.InputOffset())
			tok, _ := dec.Token()
			for f, name := range fields {
				if !strings.EqualFold(tok.(string), name) {
					continue
				}
				if first[f] >= 0 {
					want = at + strings.IndexByte(s[at:], '"')
				} else {
					first[f] = at + strings.IndexByte(s[at:], '"')
				}
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				t.Fatal(err)
			}
		}
		var pe *ParseError
		switch {
		case want < 0 && got != nil:
			t.Fatalf("fieldKeys: %v; encoding/json sees no field twice", got)
		case want < 0 && !slices.Equal(keys, first):
			t.Fatalf("fieldKeys: keys at %v; encoding/json's are at %v", keys, first)
		case want >= 0 && !errors.As(got, &pe):
			t.Fatalf("fieldKeys: %v; encoding/json sees a field twice at byte %d", got, want)
		case want >= 0:
			if line, column := lineColumn(s, want); pe.Line != line || pe.Column != column {
				t.Fatalf("fieldKeys: the second key at line %d, column %d; encoding/json's is at line %d, column %d", pe.Line, pe.Column, line, column)
			}
		}
	})
}

// FuzzSimpleJSON checks the shortcut for get-credential-report JSON against
// encoding/json: whatever simpleJSON takes, decodeJSON takes too, reading
// the same Content, ReportFormat, GeneratedTime and Content key.
func FuzzSimpleJSON(f *testing.F) {
	content := base64.StdEncoding.EncodeToString(lines(header22, rootRow(), row()))
	f.Add(`{"Content": "` + content + `", "ReportFormat": "text/csv", "GeneratedTime": "2026-11-20T06:00:00+00:00"}`)
	f.Add("{\n    \"GeneratedTime\": \"2026-11-20T06:00:00Z\",\n    \"ReportFormat\": \"text/csv\",\n    \"Content\":\n        \"" + content + "\"\n}\n")
	f.Add(`{"content":"eA==","Other":"é","reportformat":""}`)
	f.Add(`{"Content":"eA==", "Content":"eA=="}`)
	f.Add("{\"Content\":\"eA\n==\"}")
	f.Add(`{"Content":"eA==","X":"a` + "\x01" + `"}`)
	f.Add(`{"Content":"eA==","X":"` + "\xff" + `"}`)
	f.Add(`{"Content":"eA==","X":1}`)
	f.Fuzz(func(t *testing.T, s string) {
		if !strings.HasPrefix(s, "{") {
			return
		}
		fast, ok := simpleJSON(s, 0)
		if !ok {
			return
		}
		slow, err := decodeJSON(s, 0)
		if err != nil {
			t.Fatalf("simpleJSON took what encoding/json refuses: %v", err)
		}
		if !bytes.Equal(fast.csv, slow.csv) || fast.ReportFormat != slow.ReportFormat || fast.GeneratedTime != slow.GeneratedTime || fast.contentAt != slow.contentAt {
			t.Fatalf("simpleJSON read %+v; encoding/json %+v", fast, slow)
		}
	})
}
