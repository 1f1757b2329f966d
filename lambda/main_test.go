package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/credaudit/credaudit/lambda/cli"
)

// goCommand runs the go command in this package's directory.
func goCommand(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// linkedBy holds linked's answers by build tags (the tests are not parallel).
var linkedBy = map[string][]string{}

// linked lists the packages the build with tags links: go list, run once per
// tags for the package's tests.
func linked(t *testing.T, tags string) []string {
	t.Helper()
	if _, ok := linkedBy[tags]; !ok {
		linkedBy[tags] = strings.Fields(goCommand(t, "list", "-deps", "-tags", tags, "."))
	}
	return linkedBy[tags]
}

// commandLine is the command-line build (-tags nolambda), made once for the
// package's tests in a directory removed when they end.
var commandLine = struct {
	once sync.Once
	bin  string // in a directory of its own
	err  error
}{}

func TestMain(m *testing.M) {
	code := m.Run()
	if commandLine.bin != "" {
		os.RemoveAll(filepath.Dir(commandLine.bin))
	}
	os.Exit(code)
}

// commandLineBinary builds the command line on first use and returns its path.
func commandLineBinary(t *testing.T) string {
	t.Helper()
	commandLine.once.Do(func() {
		dir, err := os.MkdirTemp("", "credaudit-main-test")
		if err != nil {
			commandLine.err = err
			return
		}
		commandLine.bin = filepath.Join(dir, "credaudit")
		cmd := exec.Command("go", "build", "-tags", "nolambda", "-o", commandLine.bin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			commandLine.err = fmt.Errorf("go build -tags nolambda: %v\n%s", err, out)
		}
	})
	if commandLine.err != nil {
		t.Fatal(commandLine.err)
	}
	return commandLine.bin
}

// The command-line build (-tags nolambda, make build's bin/credaudit) links
// neither the handler nor the Lambda runtime client nor the function's own
// SDK clients; the default build (the function's) links them.
func TestCommandLineBuildLinksNoLambdaPackages(t *testing.T) {
	lambdaOnly := []string{
		"github.com/credaudit/credaudit/lambda/handler",
		"github.com/aws/aws-lambda-go/lambda",
		"github.com/aws/aws-sdk-go-v2/service/ssm",
	}
	for _, tt := range []struct {
		tags  string
		links bool
	}{{"nolambda", false}, {"", true}} {
		for _, pkg := range lambdaOnly {
			if got := slices.Contains(linked(t, tt.tags), pkg); got != tt.links {
				t.Errorf("tags %q: links %s = %v, want %v", tt.tags, pkg, got, tt.links)
			}
		}
	}
}

// Go's linker drops the SDK operations the command line never calls, unless
// some linked package calls reflect's Method or MethodByName with a
// computed name: then it keeps every exported method of every type, and the
// binary doubles (google.golang.org/protobuf before v1.36.12, under Go
// 1.26: 33.2 MiB instead of 17.9, and every start pays for it). IAM's
// GetCredentialReport is called; CreateUser never is.
func TestCommandLineBuildDropsUncalledSDKOperations(t *testing.T) {
	symbols := goCommand(t, "tool", "nm", commandLineBinary(t))
	const iamClient = "github.com/aws/aws-sdk-go-v2/service/iam.(*Client)."
	for op, want := range map[string]bool{"GetCredentialReport": true, "CreateUser": false} {
		if got := strings.Contains(symbols, " T "+iamClient+op+"\n"); got != want {
			t.Errorf("links %s%s = %v, want %v", iamClient, op, got, want)
		}
	}
}

// internal/startfloor is a floor under the command line's start-up only if
// the command line links every package it does.
func TestCommandLineBuildLinksTheStartFloorsPackages(t *testing.T) {
	credaudit := linked(t, "nolambda")
	floor := strings.Fields(goCommand(t, "list", "-deps", "./internal/startfloor"))
	for _, pkg := range floor {
		if pkg != "github.com/credaudit/credaudit/lambda/internal/startfloor" && !slices.Contains(credaudit, pkg) {
			t.Errorf("internal/startfloor links %s, which the command line does not", pkg)
		}
	}
	if len(floor) < 100 {
		t.Errorf("internal/startfloor links %d packages; it should link the SDK's and cel-go's hundreds", len(floor))
	}
}

// The command-line build is the command line, even where the Lambda
// runtime's variable is set: its scan prints what cli.Run prints.
func TestCommandLineBuildRunsTheCommandLine(t *testing.T) {
	bin := commandLineBinary(t)
	args := []string{"scan", "--report", "../events/sample-report.csv", "--as-of", "2026-11-20T06:00:00Z", "--profile", "all", "--format", "json"}

	var want, wantErr bytes.Buffer
	code := cli.Run(context.Background(), args, cli.IO{Stdin: strings.NewReader(""), Stdout: &want, Stderr: &wantErr})

	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9")
	var got, gotErr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &got, &gotErr
	err := cmd.Run()
	gotCode := 0
	if ee, ok := err.(*exec.ExitError); ok {
		gotCode = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if gotCode != code || got.String() != want.String() || gotErr.String() != wantErr.String() {
		t.Errorf("the command-line build exits %d with %d bytes out, stderr %q; cli.Run exits %d with %d bytes, stderr %q",
			gotCode, got.Len(), gotErr.String(), code, want.Len(), wantErr.String())
	}
}

// A version set as make build sets it (make build VERSION=…) is the one
// `credaudit version` prints and SARIF names as its tool's.
func TestCommandLineBuildNamesTheVersionSetAtBuildTime(t *testing.T) {
	const v = "v9.8.7-test"
	bin := filepath.Join(t.TempDir(), "credaudit")
	goCommand(t, "build", "-tags", "nolambda", "-ldflags", "-X github.com/credaudit/credaudit/lambda/cli.Version="+v, "-o", bin, ".")
	out, err := exec.Command(bin, "version").Output()
	if err != nil || string(out) != "credaudit "+v+"\n" {
		t.Errorf("version: %q, %v; want %q", out, err, "credaudit "+v+"\n")
	}
	out, err = exec.Command(bin, "scan", "--report", "../events/sample-report.csv", "--as-of", "2026-11-20T06:00:00Z", "--format", "sarif").Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		err = nil
	}
	var sarif struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Version string `json:"version"`
				} `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if err != nil || json.Unmarshal(out, &sarif) != nil || len(sarif.Runs) != 1 || sarif.Runs[0].Tool.Driver.Version != v {
		t.Errorf("SARIF tool.driver.version: %+v (%v); want %q", sarif, err, v)
	}
}
