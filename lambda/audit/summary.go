package audit

import (
	"cmp"
	"slices"

	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/rules"
)

// Summary is one account's run in numbers, with its most severe new
// findings: what an organisation run aggregates (the handler's response to
// a state machine, the CLI's --org output, the organisation digest). It
// never carries report contents beyond those few findings.
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
	// could not be read (an SCP denying iam:GetAccountSummary, say), which
	// leaves ROOT-03 NOT_AVAILABLE; "" when they were read.
	AccountFactsError string `json:"account_facts_error,omitempty"`
	New               int    `json:"new"`
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

// Summarize is out in numbers.
func Summarize(out *Outcome) *Summary {
	c := out.Counts
	s := &Summary{
		AccountID: out.AccountID, Alias: out.Alias, Profile: out.Profile, Users: len(out.Observation.Report.Users),
		Failing: c.Failing, BySeverity: map[string]int{}, Suppressed: c.Suppressed, NotAvailable: c.NotAvailable,
		New: c.New, NewNotVisible: c.NewNotVisible, Changed: c.Changed, Unmuted: c.Unmuted, Resolved: c.Resolved, Gone: c.Gone, StillFailing: c.StillFailing,
		Imported: out.Hub.Imported, Notified: out.Notified, Severity: severityAttr(c.HighestNew),
	}
	if err := out.Observation.AccountErr; err != nil {
		s.AccountFactsError = clip(err.Error(), 2*maxReason)
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
	return s
}
