package audit

import (
	"cmp"
	"slices"
	"time"

	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/rules"
)

// Summary is one account's run in numbers, with its most severe new
// findings and the suppressions that muted nothing: what an organisation
// run aggregates (the handler's response to a state machine, the CLI's
// --org output, the organisation digest). It never carries report contents
// beyond those few findings.
type Summary struct {
	AccountID    string         `json:"account_id"`
	Alias        string         `json:"alias,omitempty"`
	Profile      string         `json:"profile,omitempty"`
	Users        int            `json:"users"`
	Failing      int            `json:"failing"`
	BySeverity   map[string]int `json:"failing_by_severity"`
	Suppressed   int            `json:"suppressed"`
	NotAvailable int            `json:"not_available"`
	// AccountFactsError says why the root account facts beyond the report
	// could not be read (an SCP denying iam:GetAccountSummary, say); "" when
	// they were read, or no selected rule needed them. AccountFactsEffect
	// says what the selected rules did without them (Observation): "" in a
	// summary written before it was kept, when it was ROOT-03 left
	// NOT_AVAILABLE.
	AccountFactsError  string `json:"account_facts_error,omitempty"`
	AccountFactsEffect string `json:"account_facts_effect,omitempty"`
	New                int    `json:"new"`
	// NewNotVisible counts the new findings this run cannot see
	// (Counts.NewNotVisible); 0 in a summary written before it was kept.
	NewNotVisible int `json:"new_not_visible"`
	Changed       int `json:"changed"`
	// Unmuted counts still-failing findings a suppression muted until this
	// run (Counts.Unmuted).
	Unmuted      int  `json:"unmuted"`
	Resolved     int  `json:"resolved"`
	Gone         int  `json:"gone"`
	StillFailing int  `json:"still_failing"`
	Imported     int  `json:"imported"`
	Notified     bool `json:"notified"`
	// Severity is the highest severity among new and unmuted findings, or
	// "NONE", as the account digest's severity attribute; "" in a summary
	// written before it was kept.
	Severity string `json:"severity,omitempty"`
	// TopNew lists the most severe new, changed or unmuted findings, at
	// most MaxTopNew; a changed or unmuted one's note says so.
	TopNew []NewFinding `json:"top_new,omitempty"`
	// StaleSuppressions lists the suppressions that muted nothing in this
	// run (rules.SuppressionOutcome.Stale), in the configuration's order,
	// at most MaxStaleSuppressions; StaleMore counts the others. A summary
	// written before they were kept has none, which the organisation
	// digest reads as "nothing known stale here", so it never claims one
	// unused on that account's word.
	StaleSuppressions []StaleSuppression `json:"stale_suppressions,omitempty"`
	StaleMore         int                `json:"stale_suppressions_more,omitempty"`
	// Duplicate says the run was a second delivery of an event already
	// run (Outcome.Duplicate): it did nothing, and its counts but Users
	// are zero.
	Duplicate bool `json:"duplicate,omitempty"`
}

// StaleSuppression is a suppression that muted nothing in an account's run,
// as the organisation digest needs it to report it once over the accounts
// (they are audited with one configuration): what identifies it, and why.
type StaleSuppression struct {
	Rule   string `json:"rule"`
	User   string `json:"user"`
	Reason string `json:"reason"`
	// Expires is as the scan JSON gives it: RFC 3339, to the fraction of a
	// second written; left out for never.
	Expires time.Time `json:"expires,omitzero"`
	Source  string    `json:"source"`
	// Stale is why it muted nothing: "expired", "unused" (it matched no
	// failing result) or "shadowed" (every failing result it matched an
	// earlier suppression muted), as rules.SuppressionOutcome.Stale says.
	Stale string `json:"stale"`
	// Shadowed counts the failing results it matched behind an earlier
	// suppression.
	Shadowed int `json:"shadowed,omitempty"`
}

// NewFinding is one new, changed or unmuted finding in a Summary.
type NewFinding struct {
	RuleID   string `json:"rule_id"`
	Severity string `json:"severity"`
	User     string `json:"user"`
	Reason   string `json:"reason"`
	// Note qualifies the finding as the account digest does: one that was
	// not new is news as its reason changed (and what it was), or as it was
	// muted until this run (its suppression expired, or was removed or
	// changed); a new one this run cannot see (opened by a run whose digest
	// was not sent) is not visible in this report.
	Note string `json:"note,omitempty"`
}

// MaxTopNew bounds Summary.TopNew (a Step Functions state carries at most
// 256 KB).
const MaxTopNew = 10

// MaxStaleSuppressions bounds Summary.StaleSuppressions, as many as a
// digest lists (sectionCap); with each text clipped (maxReason), they add
// at most about 40 KB to a summary, which must fit a Step Functions state
// (256 KB).
const MaxStaleSuppressions = sectionCap

// AccountFactsWarning is AccountFactsWarning for the account's run, ""
// when its root account facts were read (or not needed).
func (s *Summary) AccountFactsWarning() string {
	if s.AccountFactsError == "" {
		return ""
	}
	effect := s.AccountFactsEffect
	if effect == "" {
		effect = rules.Root03.WithoutAccount
	}
	return AccountFactsWarning(s.AccountFactsError, effect)
}

// Summarize is out in numbers.
func Summarize(out *Outcome) *Summary {
	c := out.Counts
	s := &Summary{
		AccountID: out.AccountID, Alias: out.Alias, Profile: out.Profile, Users: len(out.Observation.Report.Users),
		Failing: c.Failing, BySeverity: map[string]int{}, Suppressed: c.Suppressed, NotAvailable: c.NotAvailable,
		New: c.New, NewNotVisible: c.NewNotVisible, Changed: c.Changed, Unmuted: c.Unmuted, Resolved: c.Resolved, Gone: c.Gone, StillFailing: c.StillFailing,
		Imported: out.Hub.Imported, Notified: out.Notified, Severity: severityAttr(c.HighestNew), Duplicate: out.Duplicate,
	}
	if err := out.Observation.AccountErr; err != nil {
		s.AccountFactsError = clip(err.Error(), 2*maxReason)
		s.AccountFactsEffect = out.Observation.AccountEffect
	}
	for sev := rules.Informational; sev <= rules.Critical; sev++ {
		s.BySeverity[sev.String()] = c.BySeverity[sev]
	}
	type ranked struct {
		sev rules.Severity
		f   NewFinding
	}
	var fresh []ranked
	expired := expiredUnmutes(out)
	for i := range out.Changes {
		ch := &out.Changes[i]
		if !ch.News() || ch.Kind == finding.Resolved || ch.Kind == finding.Gone {
			continue // TopNew lists failures: new, changed or unmuted
		}
		f := NewFinding{RuleID: ch.Record.RuleID, Severity: ch.Record.Severity, User: ch.Record.User, Reason: ch.Record.Reason, Note: newsNote(ch, expired)}
		fresh = append(fresh, ranked{severityOf(ch), f})
	}
	slices.SortStableFunc(fresh, func(x, y ranked) int { return cmp.Compare(y.sev, x.sev) })
	for i := range min(len(fresh), MaxTopNew) {
		s.TopNew = append(s.TopNew, fresh[i].f)
	}
	s.StaleSuppressions, s.StaleMore = staleSuppressions(out.Outcomes)
	return s
}

// staleSuppressions is the suppressions of outcomes that muted nothing, at
// most MaxStaleSuppressions, and how many more there are. Their texts are
// clipped, a source (file:line) the least: only a file path of some
// hundreds of bytes loses its line, when two suppressions of that file
// would read as one.
func staleSuppressions(outcomes []rules.SuppressionOutcome) (stale []StaleSuppression, more int) {
	for _, o := range outcomes {
		why := o.Stale()
		if why == "" {
			continue
		}
		if len(stale) == MaxStaleSuppressions {
			more++
			continue
		}
		sup := o.Suppression
		stale = append(stale, StaleSuppression{Rule: clip(sup.RuleID, maxReason), User: clip(sup.User, maxReason), Reason: clip(sup.Reason, maxReason),
			Expires: sup.Expires.UTC(), Source: clip(sup.Source, 2*maxReason), Stale: why, Shadowed: o.Shadowed})
	}
	return stale, more
}
