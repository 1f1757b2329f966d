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
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/credaudit/credaudit/lambda/cli"
)

func main() {
	if serveLambda != nil && os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		serveLambda()
		return
	}
	if os.Getenv("GOGC") == "" {
		// A run allocates tens of MB and then exits: collecting less often
		// cuts a 5,000-user scan from 40 to 28 ms (make bench) for a few MB
		// more peak memory.
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
