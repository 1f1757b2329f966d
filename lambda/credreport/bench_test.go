package credreport_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
)

func BenchmarkParse(b *testing.B) {
	for _, n := range []int{5000, 50000} {
		data := credreporttest.Generate(n, 1)
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := credreport.Parse(data)
				if err != nil {
					b.Fatal(err)
				}
				if len(r.Users) != n {
					b.Fatalf("parsed %d users, want %d", len(r.Users), n)
				}
			}
		})
	}
}

// BenchmarkBaselineCSV is the floor Parse is compared with: encoding/csv
// reading every record and time.Parse on every timestamp-looking cell.
func BenchmarkBaselineCSV(b *testing.B) {
	for _, n := range []int{5000, 50000} {
		data := credreporttest.Generate(n, 1)
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := credreporttest.BaselineRead(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadJSON reads a 5,000-user report as get-credential-report's
// JSON: the base64 Content decoded, every field checked to be given once.
func BenchmarkReadJSON(b *testing.B) {
	csv := credreporttest.Generate(5000, 1)
	doc := `{"Content": "` + base64.StdEncoding.EncodeToString(csv) + `", "ReportFormat": "text/csv", "GeneratedTime": "2026-11-20T06:00:00+00:00"}`
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := credreport.ReadString(doc)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Users) != 5000 {
			b.Fatalf("read %d users, want 5000", len(r.Users))
		}
	}
}
