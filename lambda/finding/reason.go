package finding

import (
	"strings"
	"time"
)

// Reasons name ages in whole days relative to the report's as-of time
// ("access key 2 is 131 days old", "root was last used 3 days ago"), so the
// text of an unchanged fact changes every day. sameFact compares two reasons
// as facts: the words must match, and each day count must be the one the
// elapsed time predicts.

// drift says how a day count in a reason moves as the clock advances.
type drift int8

const (
	fixed     drift = 0  // a threshold: "unused for 45 days or more"
	ageing    drift = 1  // an age: "131 days old", "60 days ago"
	countdown drift = -1 // a time left: "password expires in 5 days"
)

// quantity is one day count of a reason.
type quantity struct {
	days  int
	drift drift
}

// placeholder stands for a day count in a reason's shape; reasons never
// contain it.
const placeholder = "\x00"

const lessThanADay = "less than a day"

// splitReason returns the reason with each day count ("131 days", "1 day",
// "less than a day") replaced by a placeholder, and the counts in order.
func splitReason(s string) (shape string, qs []quantity) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		n, end, ok := dayCount(s, i)
		if !ok {
			// Copy a whole digit run at once, so "12 days" is never read
			// from its middle as "2 days".
			j := i + 1
			for isDigit(s[i]) && j < len(s) && isDigit(s[j]) {
				j++
			}
			b.WriteString(s[i:j])
			i = j
			continue
		}
		rest := s[end:]
		d := fixed
		switch {
		case strings.HasPrefix(rest, " ago or more"), strings.HasPrefix(rest, " or more"):
			d = fixed
		case strings.HasPrefix(rest, " ago"), strings.HasPrefix(rest, " old"):
			d = ageing
		case strings.HasSuffix(b.String(), "expires in "):
			d = countdown
		}
		b.WriteString(placeholder)
		qs = append(qs, quantity{n, d})
		i = end
	}
	return b.String(), qs
}

// dayCount reads "<digits> day", "<digits> days" or "less than a day" (0)
// at s[i:], returning the count and where it ends.
func dayCount(s string, i int) (n, end int, ok bool) {
	if strings.HasPrefix(s[i:], lessThanADay) {
		end = i + len(lessThanADay)
		return 0, end, wordEnds(s, end)
	}
	j := i
	for j < len(s) && isDigit(s[j]) && j-i < maxDigits {
		n = n*10 + int(s[j]-'0')
		j++
	}
	if j == i || (j < len(s) && isDigit(s[j])) || !strings.HasPrefix(s[j:], " day") {
		return 0, 0, false
	}
	end = j + len(" day")
	if end < len(s) && s[end] == 's' {
		end++
	}
	return n, end, wordEnds(s, end)
}

func wordEnds(s string, i int) bool {
	if i == len(s) {
		return true
	}
	c := s[i]
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

const nsPerDay = int64(24 * time.Hour)

// maxDigits bounds a day count (999,999 days), so counts in nanoseconds fit
// an int64.
const maxDigits = 6

// sameFact reports whether reason cur, observed at curAt, states the same
// fact as reason prev, observed at prevAt. The words must be equal; a
// threshold must be equal; an age must have grown, and a time left shrunk,
// by the elapsed time, to within the rounding of whole days. A newer
// reference time (root used again, a key rotated) makes an age smaller than
// predicted, so the fact differs even if the text is identical.
//
// A day count is the floor of a real age, which was in [p, p+1) days, so
// after elapsed time e it must read a whole number of days in [p+e, p+1+e)
// (in [p-e, p+1-e) for a time left). A second use of a credential within
// about a day of the first can therefore go unnoticed: the reason cannot tell
// them apart (root use, whose failures are events, is told apart by its
// time instead: Record.EventAt). Doubt goes the other way: when prevAt and curAt are not the
// exact as-of times the rules used (sub-second parts are dropped), a count at
// a day boundary reads as Changed, which costs one import, not a lost
// change.
func sameFact(prev string, prevAt time.Time, cur string, curAt time.Time) bool {
	ps, pq := splitReason(prev)
	cs, cq := splitReason(cur)
	if ps != cs || len(pq) != len(cq) {
		return false
	}
	elapsed := int64(curAt.Sub(prevAt))
	for i := range pq {
		p, q := pq[i], cq[i]
		if p.drift != q.drift {
			return false
		}
		if p.drift == fixed {
			if p.days != q.days {
				return false
			}
			continue
		}
		// The real count was in [p, p+1) days; it is now in [w, w+1).
		w := int64(p.days)*nsPerDay + int64(p.drift)*elapsed
		lo, hi := floorDiv(w, nsPerDay), floorDiv(w+nsPerDay-1, nsPerDay)
		if n := int64(q.days); n < lo || n > hi {
			return false
		}
	}
	return true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
