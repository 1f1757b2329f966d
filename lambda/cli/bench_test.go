package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
)

// The scan benchmarks read a generated 5,000-user report (seed 1) and write
// to /dev/null: a file, as in a shell redirect, so no pipe copying is
// measured.

var benchProfiles = []string{"recommended", "all"}

// benchReport writes the 5,000-user report to a file in dir.
func benchReport(b *testing.B, dir string) string {
	b.Helper()
	return writeFile(b, dir, "report.csv", string(credreporttest.Generate(5000, 1)))
}

func openDevNull(b *testing.B) *os.File {
	b.Helper()
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// goBuild builds the package at pkg into dir/name and returns the binary's
// path. The build is make build's: static, stripped, and for credaudit
// (pkg "..") with the tag of the command-line build, nolambda.
func goBuild(b *testing.B, dir, name, pkg string) string {
	b.Helper()
	bin := filepath.Join(dir, name)
	build := exec.Command("go", "build", "-tags", "nolambda", "-trimpath", "-ldflags=-s -w", "-o", bin, pkg)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// runProcess runs bin with args, stdout to out.
func runProcess(b *testing.B, out *os.File, bin string, args ...string) {
	cmd := exec.Command(bin, args...)
	cmd.Stdout = out
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v: %s", bin, args, err, stderr.String())
	}
}

// processBench builds the credaudit binary and the baseline program
// (credreporttest/baseline), and writes the 5,000-user report, for the
// process benchmarks, which write to devNull.
func processBench(b *testing.B) (credaudit, baseline, report string, devNull *os.File) {
	b.Helper()
	dir := b.TempDir()
	credaudit = goBuild(b, dir, "credaudit", "..")
	baseline = goBuild(b, dir, "baseline", "../credreport/credreporttest/baseline")
	return credaudit, baseline, benchReport(b, dir), openDevNull(b)
}

// BenchmarkScanProcess runs the built credaudit binary — a whole process, as a
// user runs it — on the 5,000-user report file: scan --format json, output to
// /dev/null. It reports two ratios to baselines timed between the scans (off
// the benchmark's clock), so that both sides see the same moments of a noisy
// machine: x-baseline to BenchmarkBaselineCSVFile's work in this process
// (the target is 2), x-baseline-process to the same work as a
// program of its own (credreporttest/baseline), which pays a Go process's
// start-up and exit as the scan does.
func BenchmarkScanProcess(b *testing.B) {
	bin, baseline, report, devNull := processBench(b)
	for _, profile := range benchProfiles {
		b.Run("profile="+profile, func(b *testing.B) {
			var inProcess, asProcess time.Duration
			for b.Loop() {
				runProcess(b, devNull, bin, "scan", "--report", report, "--as-of", credreporttest.AsOf.Format(time.RFC3339), "--profile", profile, "--format", "json")
				b.StopTimer()
				start := time.Now()
				readBaseline(b, report)
				inProcess += time.Since(start)
				start = time.Now()
				runProcess(b, devNull, baseline, report)
				asProcess += time.Since(start)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed())/float64(inProcess), "x-baseline")
			b.ReportMetric(float64(b.Elapsed())/float64(asProcess), "x-baseline-process")
		})
	}
}

// BenchmarkProcessFloor is what any run of a binary pays before and after
// its work. cmd=credaudit-version: the credaudit binary printing its version
// (start-up, package initialisation of every linked package, exit), the
// fixed part of BenchmarkScanProcess. cmd=libraries: a program that links
// only the libraries credaudit is built on (the AWS SDK clients, cel-go,
// yaml.v3; internal/startfloor) and exits, the part of that no code of ours
// can remove. cmd=baseline: a minimal Go program doing
// BenchmarkBaselineCSVFile's work as a process of its own
// (credreporttest/baseline).
func BenchmarkProcessFloor(b *testing.B) {
	credaudit, baseline, report, devNull := processBench(b)
	libraries := goBuild(b, filepath.Dir(credaudit), "startfloor", "../internal/startfloor")
	b.Run("cmd=libraries", func(b *testing.B) {
		for b.Loop() {
			runProcess(b, devNull, libraries)
		}
	})
	b.Run("cmd=credaudit-version", func(b *testing.B) {
		for b.Loop() {
			runProcess(b, devNull, credaudit, "version")
		}
	})
	b.Run("cmd=baseline", func(b *testing.B) {
		for b.Loop() {
			runProcess(b, devNull, baseline, report)
		}
	})
}

// BenchmarkBaselineCSVFile is the floor: read the same 5,000-user file with
// encoding/csv and time.Parse every timestamp cell, in-process.
func BenchmarkBaselineCSVFile(b *testing.B) {
	report := benchReport(b, b.TempDir())
	for b.Loop() {
		readBaseline(b, report)
	}
}

// readBaseline opens the report file and reads it with BaselineRead.
func readBaseline(b *testing.B, report string) {
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

// BenchmarkScanInProcess is BenchmarkScanProcess without the process: Run
// called in this test binary, with the GC setting main uses, output to
// /dev/null. The difference between the two is process start-up and exit,
// and the first touch of fresh memory, which a benchmark loop reuses. The
// CSV and SARIF, streamed as the JSON is, show what streaming keeps out of
// memory next to the table, which holds every result.
func BenchmarkScanInProcess(b *testing.B) {
	report := benchReport(b, b.TempDir())
	devNull := openDevNull(b)
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	for _, profile := range benchProfiles {
		for _, format := range []string{"json", "csv", "sarif", "table"} {
			b.Run("profile="+profile+"/format="+format, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var stderr bytes.Buffer
					args := []string{"scan", "--report", report, "--as-of", credreporttest.AsOf.Format(time.RFC3339), "--profile", profile, "--format", format}
					if code := Run(context.Background(), args, IO{Stdout: devNull, Stderr: &stderr}); code != ExitOK {
						b.Fatalf("exit %d: %s", code, stderr.String())
					}
				}
			})
		}
	}
}

// BenchmarkWriteScanJSON is the JSON writer's share of a scan: the results
// of the 5,000-user report written to /dev/null.
func BenchmarkWriteScanJSON(b *testing.B) {
	devNull := openDevNull(b)
	for _, profile := range benchProfiles {
		o := generatedScan(b, 5000, profile)
		b.Run("profile="+profile, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := writeScan(devNull, o, "json"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWriteJSONBytes is the floor under BenchmarkWriteScanJSON: the same
// bytes, produced beforehand, copied through a buffer of the writer's chunk
// size to /dev/null. No JSON writer can be faster than copying its output once.
func BenchmarkWriteJSONBytes(b *testing.B) {
	devNull := openDevNull(b)
	for _, profile := range benchProfiles {
		var out bytes.Buffer
		if err := writeScan(&out, generatedScan(b, 5000, profile), "json"); err != nil {
			b.Fatal(err)
		}
		data := out.Bytes()
		b.Run("profile="+profile, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			buf := make([]byte, 0, outChunk)
			for b.Loop() {
				for rest := data; len(rest) > 0; {
					n := min(len(rest), outChunk)
					buf = append(buf[:0], rest[:n]...)
					if _, err := devNull.Write(buf); err != nil {
						b.Fatal(err)
					}
					rest = rest[n:]
				}
			}
		})
	}
}

// BenchmarkWriteQueryJSON is query --format json's writer: every column of
// the 5,000-user report (5 MB of JSON) to /dev/null.
func BenchmarkWriteQueryJSON(b *testing.B) {
	rep, err := credreport.Parse(credreporttest.Generate(5000, 1))
	if err != nil {
		b.Fatal(err)
	}
	devNull := openDevNull(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := writeRowsJSON(devNull, rep.Header, rep.Table()); err != nil {
			b.Fatal(err)
		}
	}
}
