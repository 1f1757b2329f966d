// Package lazyre compiles regular expressions on first use, not at program
// start: the binary is also a short-lived CLI, and patterns only the Lambda
// or one command needs should not cost every run their compile time.
package lazyre

import (
	"regexp"
	"sync"
)

// New returns a function that compiles expr once, on its first call, and
// panics there if expr is invalid (as regexp.MustCompile does; every
// pattern is a constant exercised by tests).
func New(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
