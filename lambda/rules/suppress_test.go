package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
)

func TestUserPattern(t *testing.T) {
	tests := []struct{ glob, want string }{
		{"Ci-*", "ci-*"},
		{"[!a-c]x", "[^a-c]x"},
		{"[^a-c]x", "[^a-c]x"},
		{"x[a!]", "x[a!]"},             // ! past the class's start is a character of it
		{`\[!a]`, `\[!a]`},             // an escaped [ opens no class
		{`[\!a]`, `[\!a]`},             // an escaped ! at the start does not negate
		{"[a-z][!0-9]", "[a-z][^0-9]"}, // every class
		{"[!]", "[^]"},                 // an empty negated class: CheckUserGlob refuses it
		// A - first or last in a class is itself, as in a shell.
		{"ci[-_]deploy", `ci[\-_]deploy`},
		{"ci[_-]deploy", `ci[_\-]deploy`},
		{"[!-_]x", `[^\-_]x`},
		{"[a-z-]", `[a-z\-]`},
		{"[-]", `[\-]`},
		{`[\--z]`, `[\--z]`}, // an escaped - first, then a range from it
		{"x[a-", "x[a-"},     // unclosed: CheckUserGlob refuses it
	}
	for _, tc := range tests {
		if got := userPattern(tc.glob); got != tc.want {
			t.Errorf("userPattern(%q) = %q, want %q", tc.glob, got, tc.want)
		}
	}
}

func TestCheckUserGlob(t *testing.T) {
	for user, ok := range map[string]bool{
		"ci-*":          true,
		"[!a]*":         true,
		"[":             false,
		"[!]":           false,
		"ci[-_]deploy":  true,
		"ci[!_-]deploy": true,
		"x[a-":          false,
		`x\`:            false,
		// A range that runs backwards matches nothing, which path.Match
		// does not refuse.
		"ci-[z-a]":   false,
		"ci-[!9-0]*": false,
		`ci-[\z-a]`:  false,
		"ci-[a-a]":   true,
		"ci-[-a]":    true,
		"ci-[a-]":    true,
		`ci-[\--a]`:  true,
		"ci-[Z-a]":   false, // names match in any case: read as z-a
		"ci-[b-a-z]": false,
		// Only what a user name holds, and the glob's own characters: a
		// user's path is not part of its name.
		"<root_account>":                       true,
		"a.b+c=d,e@f_g-H*":                     true,
		`\*x`:                                  true,
		"[!a-z]?*":                             true,
		"engineering/carol":                    false,
		"*/carol":                              false,
		"user/carol":                           false,
		"carol smith":                          false,
		"ci:deploy":                            false,
		"é*":                                   false,
		"arn:aws:iam::123456789012:user/alice": true,
		"arn:aws:iam::123456789012:user/ops/team+a/bob.b@x=y":       true, // a path, and every character a name may hold
		"arn:aws-us-gov:iam::123456789012:root":                     true,
		"arn:aws:iam::123456789012:user/[":                          false, // globs match names, not ARNs
		"arn:aws:iam::123456789012:user/*":                          false,
		"arn:aws:iam::*:user/bob":                                   false,
		"arn:aws:iam::123456789012:role/bob":                        false, // not a user
		"arn:garbage":                                               false,
		"arn:cloud:iam::123456789012:user/bob":                      false, // no such partition
		"arn:aws:iam::123456789012:user/" + strings.Repeat("n", 65): false,
	} {
		if err := CheckUserGlob(user); (err == nil) != ok {
			t.Errorf("CheckUserGlob(%q) = %v, want ok = %v", user, err, ok)
		}
	}
}

// Matches says whether a suppression names a result's rule and user, as
// Suppress matches them, whether or not it has expired.
func TestSuppressionMatches(t *testing.T) {
	alice := &credreport.Entry{User: "Alice", ARN: "arn:aws:iam::" + testAccount + ":user/ops/Alice"}
	r := &Result{Rule: &User01, Entry: alice, Status: Failed}
	expired := testAsOf.Add(-time.Hour)
	for _, tc := range []struct {
		name string
		s    Suppression
		want bool
	}{
		{"a glob in another case", Suppression{RuleID: "USER-01", User: "al*"}, true},
		{"every rule", Suppression{RuleID: "*", User: "alice"}, true},
		{"a class with a - first", Suppression{RuleID: "USER-01", User: "al[-i]ce"}, true},
		{"a class with a - last", Suppression{RuleID: "USER-01", User: "al[I-]ce"}, true},
		{"a negated class with a - first", Suppression{RuleID: "USER-01", User: "al[!-i]ce"}, false},
		{"an ARN in another case", Suppression{RuleID: "USER-01", User: "arn:aws:iam::" + testAccount + ":user/ops/alice"}, true},
		{"expired", Suppression{RuleID: "USER-01", User: "alice", Expires: expired}, true},
		{"another rule", Suppression{RuleID: "USER-02", User: "alice"}, false},
		{"another user", Suppression{RuleID: "USER-01", User: "bob"}, false},
		{"another path", Suppression{RuleID: "USER-01", User: "arn:aws:iam::" + testAccount + ":user/alice"}, false},
	} {
		if got := tc.s.Matches(r); got != tc.want {
			t.Errorf("%s: Matches = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Root's results are muted by a suppression that names root, never by
	// a glob's wildcard.
	root := &Result{Rule: &Root01, Entry: &credreport.Entry{User: credreport.RootUser, ARN: "arn:aws:iam::" + testAccount + ":root"}, Status: Failed}
	for user, want := range map[string]bool{
		"<root_account>": true, "<ROOT_Account>": true, "arn:aws:iam::" + testAccount + ":root": true,
		"*": false, "<*": false, "*account*": false, "<root_account?": false, "[<]root_account>": false,
		"arn:aws:iam::" + testAccount + ":user/root": false,
	} {
		if got := (Suppression{RuleID: "*", User: user}).Matches(root); got != want {
			t.Errorf("a suppression of user %q: Matches(root) = %v, want %v", user, got, want)
		}
	}
}

// An expired suppression's note gives a date as written, and a time as the
// instant it was, not the UTC day it fell on.
func TestStaleNoteSaysWhenTheSuppressionExpired(t *testing.T) {
	for _, tc := range []struct {
		expires time.Time
		want    string
	}{
		{time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), "suppression at c.yaml:7 expired on 2027-03-31 and no longer applies"},
		{time.Date(2027, 3, 31, 0, 0, 0, 0, time.FixedZone("", 2*3600)), "suppression at c.yaml:7 expired at 2027-03-30T22:00:00Z and no longer applies"},
		{time.Date(2027, 3, 31, 12, 30, 0, 0, time.UTC), "suppression at c.yaml:7 expired at 2027-03-31T12:30:00Z and no longer applies"},
		{time.Date(2027, 3, 31, 12, 30, 0, 1, time.UTC), "suppression at c.yaml:7 expired at 2027-03-31T12:30:00.000000001Z and no longer applies"}, // to the fraction written
	} {
		o := SuppressionOutcome{Suppression: Suppression{RuleID: "*", User: "a", Source: "c.yaml:7", Expires: tc.expires}, Expired: true}
		if got := o.StaleNote(); got != tc.want {
			t.Errorf("expires %v: StaleNote = %q, want %q", tc.expires, got, tc.want)
		}
	}
}

// A suppression covers a result it cannot decide yet (NOT_AVAILABLE: a
// report file has no MFA devices, a permission was denied, a cell held a
// sentinel) as it would mute the failure: the result is marked, so that
// the finding keeps its muted workflow status in Security Hub while unseen,
// and the suppression is not reported as matching nothing, which would
// invite its removal while it may still be needed. A passing result is
// never marked: its suppression has nothing left to mute.
func TestSuppressCoversUnseenResults(t *testing.T) {
	root := &credreport.Entry{User: credreport.RootUser, ARN: "arn:aws:iam::" + testAccount + ":root"}
	alice := &credreport.Entry{User: "alice", ARN: "arn:aws:iam::" + testAccount + ":user/alice"}
	results := func() []Result {
		return []Result{
			{Rule: &Root03, Entry: root, Status: NotAvailable},
			{Rule: &User01, Entry: alice, Status: NotAvailable},
			{Rule: &User02, Entry: alice, Status: Failed},
			{Rule: &Key01, Entry: alice, Status: Passed},
		}
	}
	sups := []Suppression{
		{RuleID: "ROOT-03", User: credreport.RootUser, Reason: "hardware MFA checked by hand"},
		{RuleID: "*", User: "alice", Reason: "break-glass"},
		{RuleID: "USER-01", User: "alice", Reason: "behind the broader one"},
		{RuleID: "KEY-01", User: "alice", Reason: "passes anyway"},
		{RuleID: "ROOT-03", User: credreport.RootUser, Reason: "expired", Expires: testAsOf},
	}
	res := results()
	out := Suppress(res, sups, testAsOf)
	for i, want := range []string{"hardware MFA checked by hand", "break-glass", "break-glass", ""} {
		if got := res[i].SuppressionReason(); got != want {
			t.Errorf("%s %s (%s): suppressed by %q, want %q", res[i].Rule.ID, res[i].User(), res[i].Status, got, want)
		}
	}
	for i, want := range []struct {
		matched, unseen, shadowed int
		stale                     string
	}{
		{0, 1, 0, ""},       // covers only a result not seen: not unused
		{1, 1, 0, ""},       // mutes one, covers one
		{0, 0, 0, "unused"}, // behind the broader one for an unseen result: it never applies
		{0, 0, 0, "unused"}, // only a passing result
		{0, 0, 0, "expired"},
	} {
		o := out[i]
		if o.Matched != want.matched || o.Unseen != want.unseen || o.Shadowed != want.shadowed || o.Stale() != want.stale {
			t.Errorf("suppression %d (%s): matched %d, unseen %d, shadowed %d, stale %q; want %d, %d, %d, %q",
				i, o.Suppression.Reason, o.Matched, o.Unseen, o.Shadowed, o.Stale(), want.matched, want.unseen, want.shadowed, want.stale)
		}
	}

	// Batch by batch, the same.
	s := NewSuppressor(sups, testAsOf)
	batched := results()
	s.Apply(batched[:2])
	s.Apply(batched[2:])
	for i := range batched {
		if batched[i].SuppressionReason() != res[i].SuppressionReason() {
			t.Errorf("batched: result %d suppressed by %q, want %q", i, batched[i].SuppressionReason(), res[i].SuppressionReason())
		}
	}
	for i := range out {
		if s.Outcomes()[i] != out[i] {
			t.Errorf("batched: outcome %d %+v, want %+v", i, s.Outcomes()[i], out[i])
		}
	}
}
