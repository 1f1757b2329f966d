package rules

import (
	"fmt"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/internal/lazyre"
)

// Suppression mutes failing results of a rule (or every rule, "*") for users
// matching a name glob or an exact ARN, for a stated reason, until an optional
// expiry.
type Suppression struct {
	RuleID  string    // a rule ID or "*"
	User    string    // a user-name glob (UserGlob, "<root_account>" for root) or a user's ARN
	Reason  string    // required
	Expires time.Time // zero: never; otherwise it applies while as-of < Expires
	Source  string    // where it was declared ("credaudit.yaml:12"), for messages
}

// Earliest is the earliest as-of time or suppression expiry a run takes,
// the same as the earliest timestamp a report may hold (1995, before any AWS
// account): an earlier date is a typo (0026 for 2026), and the zero time
// (0001-01-01), which Suppression reads as no expiry, must not pass for a
// date that was given.
var Earliest = credreport.Earliest

// Expired reports whether the suppression no longer applies at asOf.
func (s Suppression) Expired(asOf time.Time) bool {
	return !s.Expires.IsZero() && !asOf.Before(s.Expires)
}

// Matches reports whether the suppression names r's rule and user, expired
// or not: what tells a result that an expired suppression would still mute
// from one whose suppression was removed.
func (s Suppression) Matches(r *Result) bool {
	pattern := ""
	if !isARN(s.User) {
		pattern = userPattern(s.User)
	}
	return s.matches(pattern, r, strings.ToLower(r.User()))
}

// matches reports whether the suppression applies to r, whose user name in
// lower case is user. pattern is the suppression's userPattern, "" for an
// ARN. The root's results are muted only by a suppression that names root
// (<root_account>, or its ARN), never by a glob's wildcard: "*" written to
// mute the IAM users would otherwise mute the CRITICAL root findings too.
func (s Suppression) matches(pattern string, r *Result, user string) bool {
	if s.RuleID != "*" && s.RuleID != r.Rule.ID {
		return false
	}
	if pattern == "" {
		return sameUserARN(s.User, r.ARN())
	}
	if r.Entry.IsRoot() {
		return pattern == credreport.RootUser
	}
	ok, err := path.Match(pattern, user)
	return err == nil && ok
}

func isARN(user string) bool { return strings.HasPrefix(user, "arn:") }

// IAM user names are unique regardless of case ("Names are not distinguished
// by case", CreateUser), so Alice and alice are one user, and a suppression
// names a user in any case: user-name globs match case-insensitively, and an
// ARN matches when all but the user name after its last slash is equal and
// the names are equal in any case. The root's ARN has no name: it matches
// only itself.
func sameUserARN(a, b string) bool {
	i, j := strings.LastIndexByte(a, '/'), strings.LastIndexByte(b, '/')
	if i < 0 || j < 0 {
		return a == b
	}
	return a[:i] == b[:j] && strings.EqualFold(a[i+1:], b[j+1:])
}

// CheckUserGlob reports whether user, a suppression's user, is well formed:
// a user's or the root's ARN, or a glob in path.Match's syntax (* ? [a-z]
// [^a-z] \*), where a shell's [!a-z] is read as [^a-z] too, and a - first
// or last in a class as itself. IAM user names
// hold no [ ] ! or \, so no glob is needed to match those literally. A
// glob holds only those and what a user name may ([\w+=,.@-], and the
// root's <root_account>): any other character, such as the / of a user's
// path, which is not part of its name, would match nothing.
func CheckUserGlob(user string) error {
	if isARN(user) {
		if _, _, resource, ok := credreport.SplitIAMARN(user); !ok || !userResource().MatchString(resource) {
			return fmt.Errorf("%q is neither an IAM user's ARN (arn:aws:iam::123456789012:user/NAME) nor the root's (arn:aws:iam::123456789012:root), "+
				"so it would match nothing; globs match user names, not ARNs", user)
		}
		return nil
	}
	if i := strings.IndexFunc(user, func(r rune) bool { return !globChar(r) }); i >= 0 {
		c, _ := utf8.DecodeRuneInString(user[i:])
		if c == '/' {
			alone := ""
			if name := user[strings.LastIndexByte(user, '/')+1:]; name != "" {
				alone = fmt.Sprintf("the name alone (%q), or ", name)
			}
			return fmt.Errorf("%q holds a /, which no user name does (a user's path is not part of its name), so it would match nothing: write %s"+
				"the user's ARN (arn:aws:iam::123456789012:user/PATH/NAME) to match one path", user, alone)
		}
		return fmt.Errorf("%q holds %q, which no user name does (ASCII letters, digits and _+=,.@- only), so it would match nothing", user, string(c))
	}
	pattern := userPattern(user)
	if _, err := path.Match(pattern, ""); err != nil {
		return fmt.Errorf("bad glob %q: %v", user, err)
	}
	if lo, hi, ok := invertedRange(pattern); ok {
		return fmt.Errorf("bad glob %q: the range %c-%c runs backwards, so it matches nothing; write %c-%c", user, lo, hi, hi, lo)
	}
	return nil
}

// invertedRange finds a range of a class in pattern (a userPattern that
// path.Match takes) whose end comes before its start, such as [z-a]:
// path.Match takes it and matches nothing with it.
func invertedRange(pattern string) (lo, hi byte, ok bool) {
	// char reads the class's character at i, escaped or not, and where
	// the next one starts.
	char := func(i int) (byte, int) {
		if pattern[i] == '\\' && i+1 < len(pattern) {
			return pattern[i+1], i + 2
		}
		return pattern[i], i + 1
	}
	for i := 0; i < len(pattern); {
		if pattern[i] == '\\' {
			i += 2
			continue
		}
		if pattern[i] != '[' {
			i++
			continue
		}
		i++
		if i < len(pattern) && pattern[i] == '^' {
			i++
		}
		for i < len(pattern) && pattern[i] != ']' {
			var c byte
			c, i = char(i)
			if i+1 < len(pattern) && pattern[i] == '-' && pattern[i+1] != ']' {
				var end byte
				end, i = char(i + 1)
				if end < c {
					return c, end, true
				}
			}
		}
		i++
	}
	return 0, 0, false
}

// globChar reports whether a user-name glob may hold r: a character of
// IAM's user names ([\w+=,.@-], \w in ASCII), of the root's
// (<root_account>), or of the glob syntax.
func globChar(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune("_+=,.@-<>*?[]^!\\", r)
}

// userResource is the resource of a user's ARN, with its path (printable
// ASCII) and name, or of the root's.
var userResource = lazyre.New(`^(root|user/([!-~]*/)?[\w+=,.@-]{1,64})$`)

// userPattern is the path.Match pattern of a user-name glob: in lower case,
// matched against the user name in lower case, and with a class read as a
// shell reads it: opened by [! it is negated, as [^ (path.Match would read
// the ! as a character of the class), and a - first or last in it is itself
// (ci[-_]deploy), where path.Match refuses the pattern.
func userPattern(glob string) string {
	in := strings.ToLower(glob)
	out := make([]byte, 0, len(in)+2)
	for i := 0; i < len(in); i++ {
		switch in[i] {
		case '\\':
			out = append(out, in[i])
			if i+1 < len(in) {
				i++ // the escaped character stays as it is
				out = append(out, in[i])
			}
		case '[':
			out = append(out, '[')
			if i+1 < len(in) && (in[i+1] == '!' || in[i+1] == '^') {
				out = append(out, '^')
				i++
			}
			// Copy to the class's end, so a [ or ! inside it stays literal;
			// an unclosed class stays unclosed, for CheckUserGlob to refuse.
			for first := true; i+1 < len(in) && in[i+1] != ']'; first = false {
				i++
				switch {
				case in[i] == '\\' && i+1 < len(in):
					out = append(out, in[i], in[i+1])
					i++
				case in[i] == '-' && (first || i+1 < len(in) && in[i+1] == ']'):
					out = append(out, '\\', '-')
				default:
					out = append(out, in[i])
				}
			}
		default:
			out = append(out, in[i])
		}
	}
	return string(out)
}

// SuppressionOutcome says what happened to each suppression in a run.
type SuppressionOutcome struct {
	Suppression Suppression
	Expired     bool // no longer applies
	Matched     int  // failing results it suppressed
	// Unseen counts the NOT_AVAILABLE results it covers (the first
	// unexpired suppression that matches one covers it): results it would
	// mute if they were seen failing, so it may still be needed and is not
	// stale.
	Unseen int
	// Shadowed counts the failing results it matches that an earlier
	// suppression had already muted: one with Matched 0 and Shadowed > 0
	// never takes effect, and is as dead as one that matches nothing.
	Shadowed int
}

// Stale says why the suppression muted nothing this run, for the outputs
// that list such suppressions so they do not rot: "expired"; "shadowed",
// when every failing result it matches an earlier suppression mutes;
// "unused", when it matches none; "" when it muted something, or covers a
// result the run could not decide (Unseen): a failure to see says nothing
// of whether the suppression is still needed.
func (o SuppressionOutcome) Stale() string {
	switch {
	case o.Expired:
		return "expired"
	case o.Matched > 0, o.Unseen > 0:
		return ""
	case o.Shadowed > 0:
		return "shadowed"
	}
	return "unused"
}

// StaleNote says in words why the suppression muted nothing this run
// ("suppression at c.yaml:27 expired on 2027-03-31 and no longer
// applies"), for the command line and the digest alike; "" when it muted
// something.
func (o SuppressionOutcome) StaleNote() string { return o.StaleNoteIn("", "") }

// StaleNoteIn is StaleNote said of more than one run: a shadowed
// suppression never applies "in" scope, an unused one matches no failing
// result "in" anyOf ("the 3 accounts audited", "any of the 3 accounts
// audited"); "" says neither.
func (o SuppressionOutcome) StaleNoteIn(scope, anyOf string) string {
	in := func(s string) string {
		if s == "" {
			return ""
		}
		return " in " + s
	}
	switch o.Stale() {
	case "expired":
		// A date is 00:00 UTC: its day is what was written. A time in
		// another zone is given as the instant, not the UTC day before
		// it, to the fraction of a second it was written with.
		when := "on " + o.Suppression.Expires.Format(time.DateOnly)
		if e := o.Suppression.Expires; !e.Equal(e.Truncate(24 * time.Hour)) {
			when = "at " + e.UTC().Format(time.RFC3339Nano)
		}
		return fmt.Sprintf("suppression at %s expired %s and no longer applies", o.Suppression.Source, when)
	case "shadowed":
		return fmt.Sprintf("suppression at %s never applies%s: every failing result it matches (%d) is muted by an earlier suppression", o.Suppression.Source, in(scope), o.Shadowed)
	case "unused":
		return fmt.Sprintf("suppression at %s matches no failing result%s", o.Suppression.Source, in(anyOf))
	}
	return ""
}

// Suppress marks the failing and NOT_AVAILABLE results that an unexpired
// suppression matches (the first matching suppression's reason wins) and
// reports, for every suppression, whether it expired, how many failing
// results it suppressed, how many unseen ones it covers and how many failing
// ones it matched behind an earlier one, so expired, unused and shadowed
// ones can be shown.
func Suppress(results []Result, sups []Suppression, asOf time.Time) []SuppressionOutcome {
	s := NewSuppressor(sups, asOf)
	s.Apply(results)
	return s.Outcomes()
}

// Suppressor is Suppress for results that come in batches (EvaluateEach):
// Apply marks each batch, Outcomes reports over all of them.
type Suppressor struct {
	sups     []Suppression
	patterns []string // each suppression's userPattern, "" for an ARN
	out      []SuppressionOutcome
}

// NewSuppressor applies sups at asOf.
func NewSuppressor(sups []Suppression, asOf time.Time) *Suppressor {
	out := make([]SuppressionOutcome, len(sups))
	patterns := make([]string, len(sups))
	for i, s := range sups {
		out[i] = SuppressionOutcome{Suppression: s, Expired: s.Expired(asOf)}
		if !isARN(s.User) {
			patterns[i] = userPattern(s.User)
		}
	}
	return &Suppressor{sups: sups, patterns: patterns, out: out}
}

// Apply marks the failing results of a batch that an unexpired suppression
// matches, and the NOT_AVAILABLE ones, which it covers: a failure to see is
// no reason to unmute a finding (see Result.Suppression).
func (s *Suppressor) Apply(results []Result) {
	if len(s.sups) == 0 {
		return
	}
	for i := range results {
		r := &results[i]
		if r.Status == Passed {
			continue
		}
		user := strings.ToLower(r.User()) // once, not once a suppression
		for j := range s.sups {
			if s.out[j].Expired || !s.sups[j].matches(s.patterns[j], r, user) {
				continue
			}
			switch {
			case r.Status != Failed:
				if r.Suppression == nil {
					s.out[j].Unseen++
					r.Suppression = &s.sups[j]
				}
				continue
			case r.Suppression != nil:
				s.out[j].Shadowed++
				continue
			}
			s.out[j].Matched++
			r.Suppression = &s.sups[j]
		}
	}
}

// Outcomes says, for every suppression, whether it expired and how many
// results it matched so far. The slice is the Suppressor's: a later Apply
// updates its counts.
func (s *Suppressor) Outcomes() []SuppressionOutcome { return s.out }
