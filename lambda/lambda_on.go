//go:build !nolambda

package main

import "github.com/credaudit/credaudit/lambda/handler"

// serveLambda serves the Lambda runtime API; it does not return.
var serveLambda = handler.Start
