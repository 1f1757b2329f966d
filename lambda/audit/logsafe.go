package audit

import (
	"errors"
	"fmt"
	"strings"

	"github.com/credaudit/credaudit/lambda/internal/lazyre"
	"github.com/credaudit/credaudit/lambda/query"
)

// The function's logs hold counts, never user names (README); the errors
// they quote do hold them: a finding ID ends in a user's ARN, a custom
// rule's error names the row's user, a malformed report's error quotes the
// cell. credaudit's errors quote every value they take from a report, a
// configuration or AWS with %q, and AWS's own messages name principals by
// ARN.
var (
	quotedValue = lazyre.New(`"(?:[^"\\]|\\.)*"`)
	userInARN   = lazyre.New(`:user/[^\s"'(),;]*`)
)

// LogSafe is err's text as a log line may quote it: every quoted value
// shown as "…" and every user ARN's path and name as …, so that what
// failed, and where, is kept (the operation, the error code, the line and
// column of a cell) and whom it concerns is not. The operational alert and
// the digest, which go to the topic's subscribers, carry the whole text.
func LogSafe(err error) string {
	s := err.Error()
	// A custom rule's error carries CEL's message, which may quote the row's
	// values, or values made from them ("no such key: svc-bob"), unquoted:
	// the line keeps which rule failed on which line, not why.
	var row *query.RowError
	if errors.As(err, &row) {
		s = strings.Replace(s, row.Error(), fmt.Sprintf("%s failed on line %d (the alert says how)", row.Expr, row.Line), 1)
	}
	s = quotedValue().ReplaceAllString(s, `"…"`)
	if strings.Contains(s, ":user/") {
		s = userInARN().ReplaceAllString(s, ":user/…")
	}
	return s
}
