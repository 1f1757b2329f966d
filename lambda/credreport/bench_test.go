package credreport_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"testing"
	"time"

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
				if err := baselineRead(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// baselineRead reads data with encoding/csv and parses every timestamp cell.
func baselineRead(data []byte) error {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		for _, f := range rec {
			if len(f) == 25 && f[10] == 'T' {
				if _, err := time.Parse(time.RFC3339, f); err != nil {
					return err
				}
			}
		}
	}
}
