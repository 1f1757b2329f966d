package audit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/credaudit/credaudit/lambda/rules"
)

// AccountRun is one account of an organisation run: its summary, or why it
// could not be audited, or both when it was audited but not everything was
// published.
type AccountRun struct {
	AccountID string `json:"account_id"`
	// Name is the account's name in the organisation.
	Name string `json:"name,omitempty"`
	// Summary is nil when the account could not be audited.
	Summary *Summary `json:"summary,omitempty"`
	// Error says what failed; "" when the audit succeeded.
	Error string `json:"error,omitempty"`
}

// Failed reports whether the account's audit failed, wholly or in part.
func (r *AccountRun) Failed() bool { return r.Error != "" }

// CountRuns counts an organisation run's accounts that were audited (they
// have a summary) and that failed, wholly or in part: an account can be
// both.
func CountRuns(runs []AccountRun) (audited, failed int) {
	for _, r := range runs {
		if r.Summary != nil {
			audited++
		}
		if r.Failed() {
			failed++
		}
	}
	return audited, failed
}

// NothingDue is why an organisation digest is not due in notify mode
// changes (OrgDigestDue).
const NothingDue = "no account failed, was not wholly seen, or has anything new, changed, unmuted, resolved or gone"

// OrgDigestDue reports whether an organisation run sends its digest under
// mode, as an account's run sends its own: whenever an account failed (an
// operational error is always sent) or its root account facts could not be
// read (a failure to see), else every run (NotifyAlways), never,
// or when some account has something new, changed, unmuted, resolved or
// gone, so that an organisation where nothing changed stays quiet.
func OrgDigestDue(runs []AccountRun, mode NotifyMode) bool {
	var total Counts
	for _, r := range runs {
		if r.Failed() || r.Summary != nil && r.Summary.AccountFactsError != "" {
			return true // an account not seen, or not wholly
		}
		if r.Summary != nil {
			total.add(r.Summary)
		}
	}
	return mode.sends(total)
}

// add adds an account's summary to an organisation's counts.
func (c *Counts) add(s *Summary) {
	c.Failing += s.Failing
	c.NotAvailable += s.NotAvailable
	c.New += s.New
	c.NewNotVisible += s.NewNotVisible
	c.Changed += s.Changed
	c.Unmuted += s.Unmuted
	c.Resolved += s.Resolved
	c.Gone += s.Gone
	c.StillFailing += s.StillFailing
	for sev := rules.Informational; sev <= rules.Critical; sev++ {
		c.BySeverity[sev] += s.BySeverity[sev.String()]
	}
}

// orgTopNew is how many new findings the organisation digest lists per
// account.
const orgTopNew = 5

// OrgDigest is the one message an organisation run sends: how many
// accounts were audited, which failed and why, and per account its new
// (and how many of those the run cannot see), resolved and failing counts
// with its most severe new findings, and how many of its results could not
// be decided (and why, when the root account facts could not be read), so
// an account that could not be seen wholly does not read as clean.
// Accounts with the most severe news come first, quiet ones last. The
// suppressions that muted nothing are listed as orgStale says, so that they
// do not rot silently in an organisation either.
func OrgDigest(runs []AccountRun, profile string, now time.Time) Message {
	return orgDigest(runs, profile, now, true)
}

// PartialOrgDigest is the organisation digest of runs that are only some
// of the run's accounts (why saying which, and why the others are not
// named; see partial): since the others were not seen, no suppression is
// said to mute nothing but an expired one.
func PartialOrgDigest(runs []AccountRun, profile string, now time.Time, why string) Message {
	return partial(orgDigest(runs, profile, now, false), why)
}

// orgDigest is OrgDigest; complete says whether runs are every account of
// the run.
func orgDigest(runs []AccountRun, profile string, now time.Time, complete bool) Message {
	var (
		failed, audited []AccountRun
		total           Counts
		undecided       int // accounts with NOT_AVAILABLE results
		highest         = rules.Severity(-1)
	)
	for _, r := range runs {
		if r.Failed() {
			failed = append(failed, r)
		}
		s := r.Summary
		if s == nil {
			continue
		}
		audited = append(audited, r)
		total.add(s)
		if s.NotAvailable > 0 {
			undecided++
		}
		highest = max(highest, s.highest())
	}
	slices.SortStableFunc(failed, func(x, y AccountRun) int { return strings.Compare(x.AccountID, y.AccountID) })
	slices.SortStableFunc(audited, func(x, y AccountRun) int {
		return cmp.Or(cmp.Compare(topSeverity(y.Summary), topSeverity(x.Summary)),
			cmp.Compare(y.Summary.News(), x.Summary.News()),
			cmp.Compare(y.Summary.Failing, x.Summary.Failing), strings.Compare(x.AccountID, y.AccountID))
	})

	var b strings.Builder
	fmt.Fprintf(&b, "credaudit: IAM credential audit of %s in the organisation\n", Nouns(len(runs), "account"))
	fmt.Fprintf(&b, "Profile %s; run at %s.\n\n", profile, now.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Accounts audited: %d of %d; %d failed.\n", len(audited), len(runs), len(failed))
	fmt.Fprintf(&b, "Failing now: %d (%s)\n", total.Failing, bySeverity(total.BySeverity))
	b.WriteString(total.thisRun())
	if total.NotAvailable > 0 {
		b.WriteString(notDecided(total.NotAvailable, " in "+Nouns(undecided, "account"), "") + "\n")
	}

	if len(failed) > 0 {
		fmt.Fprintf(&b, "\nFAILED ACCOUNTS (%d)\n", len(failed))
		writeFailed(&b, failed)
	}
	if stale := orgStale(runs, complete); len(stale.notes)+len(stale.caveats) > 0 {
		// Capped as the account digest's ATTENTION is; the caveats, which
		// say what is not listed, always follow.
		b.WriteString("\nSUPPRESSIONS THAT MUTED NOTHING\n")
		notes := make([]string, len(stale.notes))
		for i, note := range stale.notes {
			notes[i] = "The " + note + "."
		}
		writeNotes(&b, notes)
		for _, c := range stale.caveats {
			b.WriteString("  " + strings.ToUpper(c[:1]) + c[1:] + ".\n")
		}
	}
	if len(audited) > 0 {
		fmt.Fprintf(&b, "\nACCOUNTS (%d)\n", len(audited))
	}
	for _, r := range audited {
		s := r.Summary
		var c Counts
		c.add(s)
		fmt.Fprintf(&b, "  %s: %s%d resolved, %d failing (%s)", accountName(r), newsCounts(&c), s.Resolved+s.Gone, s.Failing, bySeverity(c.BySeverity))
		if s.NotAvailable > 0 {
			fmt.Fprintf(&b, "; %d could not be decided (NOT_AVAILABLE)", s.NotAvailable)
		}
		b.WriteString("\n")
		if w := s.AccountFactsWarning(); w != "" {
			b.WriteString("      ! " + clip(oneLine(w), 2*maxReason) + "\n")
		}
		lines := make([]line, 0, len(s.TopNew))
		for _, f := range s.TopNew {
			l := line{rule: f.RuleID, user: f.User, text: f.Reason, note: f.Note}
			l.sev, _ = rules.ParseSeverity(f.Severity)
			lines = append(lines, l)
		}
		lines = lines[:min(len(lines), orgTopNew)]
		writeLines(&b, "      ", lines, orgTopNew)
		if more := s.News() - len(lines); more > 0 {
			fmt.Fprintf(&b, "      ... and %d more\n", more)
		}
	}

	m := Message{Kind: KindDigest, Body: fitBody(b.String()), Severity: severityAttr(highest), Errors: len(failed) > 0}
	what := Nouns(len(runs), "account")
	if len(failed) > 0 {
		what += fmt.Sprintf(", %d FAILED", len(failed))
	}
	m.Subject = subject("organisation", "", what+"; "+subjectCounts(&total))
	return m
}

// OrgStaleNotes says which suppressions muted nothing in an organisation
// run's accounts (runs, every account of the run), as orgStale decides and
// StaleNote words it ("suppression at c.yaml:9 matches no failing result in
// any of the 3 accounts audited"), then what it cannot say: for the
// command line, which lists them as a single account's scan does.
func OrgStaleNotes(runs []AccountRun) []string {
	stale := orgStale(runs, true)
	return append(stale.notes, stale.caveats...)
}

// staleNotes is what an organisation run says of the suppressions that
// muted nothing: a note for each (StaleNote's words, scoped to the
// accounts audited), and caveats saying what it could not decide.
type staleNotes struct {
	notes, caveats []string
}

// orgStale decides which suppressions muted nothing in an organisation run,
// from its accounts' summaries (Summary.StaleSuppressions). The accounts
// are audited with one configuration, so a suppression (its rule, user,
// reason, expiry and source alike) is the same one in each:
//
//   - expired in any account, it is expired in all: listed once;
//   - unused (matching no failing result) only when it is unused in every
//     account audited, so that one muting a user of a single account is
//     not listed;
//   - shadowed when it muted nothing in every account audited, and matched
//     failing results behind an earlier suppression in at least one: it
//     never applies anywhere.
//
// An account that was not audited (no summary) may have failing results
// it mutes, so while any is, or when runs are not every account of the
// run (complete false), no suppression is said to be unused or shadowed:
// a caveat says how many were withheld, and why. An account's summary
// that left some stale suppressions out (Summary.StaleMore) is not taken to
// say the others muted something, which can only withhold a verdict, never
// make one up; a caveat says more may have muted nothing.
func orgStale(runs []AccountRun, complete bool) staleNotes {
	type key struct{ rule, user, reason, expires, source string }
	type tally struct {
		st       StaleSuppression
		expired  bool
		accounts int // audited accounts where it muted nothing
		shadowed int
	}
	var (
		order               []key
		seen                = map[key]*tally{}
		audited, notAudited int
		clipped, withheld   int
	)
	for _, r := range runs {
		s := r.Summary
		if s == nil {
			notAudited++
			continue
		}
		audited++
		clipped = max(clipped, s.StaleMore)
		for _, st := range s.StaleSuppressions {
			k := key{st.Rule, st.User, st.Reason, st.Expires.Format(time.RFC3339Nano), st.Source}
			t := seen[k]
			if t == nil {
				t = &tally{st: st}
				seen[k] = t
				order = append(order, k)
			}
			t.accounts++
			t.expired = t.expired || st.Stale == "expired"
			t.shadowed += st.Shadowed
		}
	}
	scope, anyOf := "the account audited", "the account audited"
	if audited != 1 {
		scope, anyOf = fmt.Sprintf("the %d accounts audited", audited), fmt.Sprintf("any of the %d accounts audited", audited)
	}
	var out staleNotes
	for _, k := range order {
		t := seen[k]
		o := rules.SuppressionOutcome{Suppression: rules.Suppression{RuleID: t.st.Rule, User: t.st.User, Reason: t.st.Reason,
			Expires: t.st.Expires, Source: t.st.Source}, Expired: t.expired, Shadowed: t.shadowed}
		switch {
		case t.expired:
			out.notes = append(out.notes, o.StaleNote())
		case t.accounts < audited:
			// It muted something in another account, or covered a result
			// that could not be decided there, or that account's summary
			// left it out.
		case notAudited > 0 || !complete:
			withheld++
		default: // shadowed in every account, or unused in every one
			out.notes = append(out.notes, o.StaleNoteIn(scope, anyOf))
		}
	}
	if withheld > 0 {
		what, are, they := Nouns(withheld, "suppression")+" muted", "are", "they"
		if withheld == 1 {
			are, they = "is", "it"
		}
		why := "this digest does not cover every account of the run, and " + they + " may apply in the others"
		if complete {
			why = Nouns(notAudited, "account") + " could not be audited, and " + they + " may apply there"
		}
		out.caveats = append(out.caveats, fmt.Sprintf("%s nothing in %s, but %s not said to be unused or shadowed: %s", what, scope, are, why))
	}
	if clipped > 0 {
		out.caveats = append(out.caveats, fmt.Sprintf("more suppressions may have muted nothing: an account's summary lists at most %d "+
			"(scan --config in the account lists every one)", MaxStaleSuppressions))
	}
	return out
}

// failedBudget is how many bytes the organisation digest gives its failed
// accounts, so that the audited accounts' news, listed after them, is
// never cut off the end by the accounts that could not be audited.
const failedBudget = MaxBody / 4

// writeFailed lists the failed accounts, in order, one line each; the
// accounts that failed with the same error share one line naming them
// (a map that stops early leaves every account after it "not audited").
// Past failedBudget, it says how many more failed instead of naming them.
func writeFailed(b *strings.Builder, failed []AccountRun) {
	var order []string
	same := map[string][]AccountRun{}
	for _, r := range failed {
		why := clip(oneLine(r.Error), 2*maxReason)
		if same[why] == nil {
			order = append(order, why)
		}
		same[why] = append(same[why], r)
	}
	end, named := b.Len()+failedBudget, 0
	for _, why := range order {
		if b.Len() >= end {
			break
		}
		group := same[why]
		if len(group) == 1 {
			fmt.Fprintf(b, "  ! %s: %s\n", accountName(group[0]), why)
			named++
			continue
		}
		fmt.Fprintf(b, "  ! %s: %s\n", Nouns(len(group), "account"), why)
		line := namesIndent
		for i, r := range group {
			if b.Len()+len(line) >= end {
				break
			}
			name := " " + accountName(r)
			if i < len(group)-1 {
				name += ","
			}
			if len(line)+len(name) > failedWidth {
				b.WriteString(line + "\n")
				line = namesIndent
			}
			line += name
			named++
		}
		if line != namesIndent {
			b.WriteString(line + "\n")
		}
	}
	if more := len(failed) - named; more > 0 {
		fmt.Fprintf(b, "  ... and %s, not named here to leave room for the audited accounts\n", Nouns(more, "more failed account"))
	}
}

// failedWidth is how wide a line naming the accounts that failed alike
// grows before the next one starts; each starts with namesIndent (and a
// space before each name).
const (
	failedWidth = 100
	namesIndent = "     "
)

// News is how many of s's findings the organisation digest lists: new,
// changed or unmuted, as TopNew lists them.
func (s *Summary) News() int { return s.New + s.Changed + s.Unmuted }

// highest is the highest severity among s's new and unmuted findings, -1
// for none. A summary written before Summary.Severity was kept has only its
// TopNew to go by, changed findings among them.
func (s *Summary) highest() rules.Severity {
	if s.Severity == "" {
		return topSeverity(s)
	}
	if sev, err := rules.ParseSeverity(s.Severity); err == nil {
		return sev
	}
	return -1 // "NONE"
}

// topSeverity is the highest severity among s's listed findings (new,
// changed or unmuted), -1 for none: the order of the accounts.
func topSeverity(s *Summary) rules.Severity {
	top := rules.Severity(-1)
	for _, f := range s.TopNew {
		if sev, err := rules.ParseSeverity(f.Severity); err == nil {
			top = max(top, sev)
		}
	}
	return top
}

func accountName(r AccountRun) string {
	name := r.AccountID
	switch {
	case r.Summary != nil && r.Summary.Alias != "":
		name += " (" + r.Summary.Alias + ")"
	case r.Name != "":
		name += " (" + r.Name + ")"
	}
	return name
}

// Late is the organisation digest m, made by the run at madeAt but not
// sent, marked for sending with a later run: "[late]" before its subject
// and a first line saying which run made it, so that nobody reads its
// counts as the latest run's.
func Late(m Message, madeAt time.Time) Message {
	m.Subject = fitSubject("[late] " + m.Subject)
	m.Body = fitBody(fmt.Sprintf("Sent late: the organisation run at %s made this digest but could not send it.\n\n",
		madeAt.UTC().Format("2006-01-02 15:04 MST")) + m.Body)
	return m
}

// partial is the organisation digest m of only some of the run's accounts,
// why saying which and why the others are not named: "[partial]" before
// its subject and a first line saying so, so that nobody reads its counts
// as the whole organisation's. It reports an error too (its kind is both).
func partial(m Message, why string) Message {
	m.Subject = fitSubject("[partial] " + m.Subject)
	m.Body = fitBody("Partial: " + why + "\n\n" + m.Body)
	m.Errors = true
	return m
}
