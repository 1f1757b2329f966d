package config

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// FuzzParse checks that a configuration file never panics the parser and
// that every error it gives is an *Error naming the file and a line in it.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../../events/credaudit.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte("profile: [\n"))
	f.Add([]byte("profile: all\n---\nfoo: bar\n"))
	f.Add([]byte("rules:\n  CRED-01: {days: +030}\n"))
	f.Add([]byte("custom_rules:\n  - id: ORG-01\n    title: t\n    severity: low\n    remediation: r\n    assert: |\n      mfa_active &&\n        nope\n"))
	f.Add([]byte("suppressions:\n  - {rule: '*', user: 'a[', reason: r, expires: 2027-01-31}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("c.yaml", data)
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %q is not a *config.Error", err)
		}
		// The lines, and the one after the last that yaml.v3 may name: at
		// most the line breaks and two, each break holding one of these
		// (\r\n both); counted apart from lineSpans, which the error's
		// line comes from.
		lines := 2
		for _, br := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
			lines += bytes.Count(data, []byte(br))
		}
		if e.File != "c.yaml" || e.Line < 1 || e.Line > lines || e.Column < 0 {
			t.Fatalf("error %q: file %q, line %d of %d, column %d", err, e.File, e.Line, lines, e.Column)
		}
	})
}
