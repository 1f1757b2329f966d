package credreporttest

import (
	"bytes"
	"testing"
)

// UserRow returns user's row of report, its newline included; user must be
// written unquoted (no comma or quote in the name). It fails tb if the
// report has no such row, so a test whose fixture changed says so.
func UserRow(tb testing.TB, report []byte, user string) []byte {
	tb.Helper()
	start, end := userRow(tb, report, user)
	return report[start:end]
}

// WithoutUser returns a copy of report without user's row (see UserRow), as
// the next report shows a deleted user.
func WithoutUser(tb testing.TB, report []byte, user string) []byte {
	tb.Helper()
	start, end := userRow(tb, report, user)
	return append(report[:start:start], report[end:]...)
}

func userRow(tb testing.TB, report []byte, user string) (start, end int) {
	tb.Helper()
	i := bytes.Index(report, []byte("\n"+user+","))
	if i < 0 {
		tb.Fatalf("the report has no row for user %s", user)
	}
	start = i + 1
	end = len(report)
	if n := bytes.IndexByte(report[start:], '\n'); n >= 0 {
		end = start + n + 1
	}
	return start, end
}
