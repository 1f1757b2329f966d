package audit

import (
	"errors"
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
	// A custom rule's error carries CEL's message, which names the row's
	// values unquoted.
	var row *query.RowError
	if errors.As(err, &row) && row.User != "" {
		s = maskName(s, row.User)
	}
	s = quotedValue().ReplaceAllString(s, `"…"`)
	if strings.Contains(s, ":user/") {
		s = userInARN().ReplaceAllString(s, ":user/…")
	}
	return s
}

// maskName replaces name in s with … wherever it stands as a whole name:
// not next to a character an IAM name may hold (so "al" is not masked in
// "also").
func maskName(s, name string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, name)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(name)
		if (i == 0 || !nameByte(s[i-1])) && (end == len(s) || !nameByte(s[end])) {
			b.WriteString(s[:i])
			b.WriteString("…")
		} else {
			b.WriteString(s[:end])
		}
		s = s[end:]
	}
}

// nameByte reports whether c may be part of an IAM user name.
func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("+=,.@_-", c) >= 0
}
