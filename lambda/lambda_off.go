//go:build nolambda

package main

// serveLambda is nil in the command-line build: it links neither the
// handler nor the Lambda runtime client, nor the SDK clients only the
// function uses (SSM). Go initialises every linked package at every start,
// and those cost a command about 5 ms before it reads a byte (make bench,
// BenchmarkProcessFloor). The function is built without the tag.
var serveLambda func()
