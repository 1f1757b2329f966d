package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
)

// BenchmarkScanProcess runs the built credaudit binary — a whole process, as a
// user runs it — on a 5,000-user report file: scan --format json, output
// to /dev/null. Compare with BenchmarkBaselineCSVFile (make bench prints both).
func BenchmarkScanProcess(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "credaudit")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	report := filepath.Join(dir, "report.csv")
	if err := os.WriteFile(report, credreporttest.Generate(5000, 1), 0o644); err != nil {
		b.Fatal(err)
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devNull.Close()
	for _, profile := range []string{"recommended", "all"} {
		b.Run("profile="+profile, func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command(bin, "scan", "--report", report, "--as-of", credreporttest.AsOf.Format(time.RFC3339), "--profile", profile, "--format", "json")
				cmd.Stdout = devNull // a file, as in a shell redirect: no pipe copying in the benchmark
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Run(); err != nil {
					b.Fatalf("%v: %s", err, stderr.String())
				}
			}
		})
	}
}

// BenchmarkBaselineCSVFile is the floor: read the same 5,000-user file with
// encoding/csv and time.Parse every timestamp cell, in-process.
func BenchmarkBaselineCSVFile(b *testing.B) {
	report := filepath.Join(b.TempDir(), "report.csv")
	if err := os.WriteFile(report, credreporttest.Generate(5000, 1), 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		f, err := os.Open(report)
		if err != nil {
			b.Fatal(err)
		}
		err = credreporttest.BaselineRead(f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}
