// Command credaudit audits the IAM credential report of an AWS account.
//
// Inside AWS Lambda (AWS_LAMBDA_RUNTIME_API set) it serves the scheduled
// audit's handler; everywhere else it is the command-line tool. Built with
// the nolambda tag (make build's bin/credaudit) it is the command-line tool
// only: see lambda_off.go.
package main

import (
	"context"
	"os"
	"runtime/debug"

	"github.com/credaudit/credaudit/lambda/cli"
)

func main() {
	if serveLambda != nil && os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		serveLambda()
		return
	}
	if os.Getenv("GOGC") == "" {
		// A run allocates tens of MB and then exits: collecting less often
		// means no collection at all in a 5,000-user scan, which the default
		// GOGC=100 slows by half (38 against 25 ms on make bench's machine),
		// for a few MB more peak memory (28 MB).
		debug.SetGCPercent(400)
	}
	// The commands that call AWS arm SIGINT and SIGTERM themselves (a
	// cancelled context ends their calls); a scan of a report file keeps
	// the signals' default action, which ends it at once.
	code := cli.Run(context.Background(), os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	os.Exit(code)
}
