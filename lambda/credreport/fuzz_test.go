package credreport

import (
	"bytes"
	"os"
	"path/filepath"
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
