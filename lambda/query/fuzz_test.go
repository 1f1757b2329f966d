package query

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCompile checks that an expression never panics the compiler, and that
// each problem of one that does not compile is placed on a line and column
// of the expression (columns in characters, one past the end for the end of
// the line), or, for one CEL places nowhere, at 0:0.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"password_enabled && !mfa_active",
		"mfa_active &&",
		"mfa_active &&\n  nope",
		"user == \"é\" && nope",
		"raw.team == 'ops' || access_key_1_last_used_region == null",
		"as_of - user_creation_time > duration('8760h')",
		strings.Repeat("(", 300) + "true" + strings.Repeat(")", 300),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_, err := Compile("--where", src)
		var ce *CompileError
		if !errors.As(err, &ce) {
			return
		}
		lines := strings.Split(src, "\n")
		for _, p := range ce.Problems {
			if p.Line == 0 && p.Column == 0 {
				continue
			}
			if p.Line < 1 || p.Line > len(lines) || p.Column < 1 || p.Column > utf8.RuneCountInString(lines[p.Line-1])+1 {
				t.Fatalf("problem at %d:%d, outside the expression's %d lines: %s", p.Line, p.Column, len(lines), p.Msg)
			}
		}
	})
}
