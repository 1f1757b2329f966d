package audit

import (
	"errors"
	"fmt"
	"testing"

	"github.com/credaudit/credaudit/lambda/query"
)

func TestLogSafe(t *testing.T) {
	for in, want := range map[string]string{
		`rule ORG-09: custom_rules[0].assert on line 2 (user "alice"): no such overload`:                                   `rule ORG-09: custom_rules[0].assert on line 2 (user "…"): no such overload`,
		`BatchImportFindings: 2 findings failed: "credaudit/1/USER-01/arn:aws:iam::1:user/ops/bob" (InvalidInput: bad)`:    `BatchImportFindings: 2 findings failed: "…" (InvalidInput: bad)`,
		`line 4, column 7 (user): duplicate user "a\"b" (first on line 2)`:                                                 `line 4, column 7 (user): duplicate user "…" (first on line 2)`,
		`AccessDenied: User: arn:aws:iam::123456789012:user/ci/deploy is not authorized to perform: iam:GetAccountSummary`: `AccessDenied: User: arn:aws:iam::123456789012:user/… is not authorized to perform: iam:GetAccountSummary`,
		`operation error S3: PutObject, https response error StatusCode: 503`:                                              `operation error S3: PutObject, https response error StatusCode: 503`,
	} {
		if got := LogSafe(errors.New(in)); got != want {
			t.Errorf("LogSafe(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

// A custom rule's error is logged without CEL's message, which may name the
// row's user, or a value made from it, unquoted.
func TestLogSafeLeavesOutWhyACustomRuleFailed(t *testing.T) {
	for _, cause := range []string{"no such key: al", "no such key: svc-al", "no such key: al@corp.example"} {
		err := fmt.Errorf("rule ORG-03: %w", &query.RowError{Expr: "custom_rules[0].assert", Line: 4, User: "al", Err: errors.New(cause)})
		want := `rule ORG-03: custom_rules[0].assert failed on line 4 (the alert says how)`
		if got := LogSafe(err); got != want {
			t.Errorf("LogSafe = %q\nwant %q", got, want)
		}
	}
}
