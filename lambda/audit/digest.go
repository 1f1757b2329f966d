package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/rules"
)

// NotifyMode says when a run sends its digest. Operational errors are sent
// whatever the mode.
type NotifyMode uint8

const (
	// NotifyChanges sends a digest only when a finding is new, changed,
	// resolved or gone: an unchanged account stays quiet.
	NotifyChanges NotifyMode = iota
	// NotifyAlways sends a digest every run.
	NotifyAlways
	// NotifyNever sends no digest; operational errors still go out unless
	// the Auditor's NoAlerts leaves them to its caller (a per-account
	// request of an organisation run: see handler.Request.Notify).
	NotifyNever
)

var notifyNames = [...]string{"changes", "always", "never"}

func (m NotifyMode) String() string {
	if int(m) < len(notifyNames) {
		return notifyNames[m]
	}
	return "NotifyMode(" + strconv.Itoa(int(m)) + ")"
}

// ParseNotifyMode reads "changes", "always" or "never".
func ParseNotifyMode(s string) (NotifyMode, error) {
	if i := slices.Index(notifyNames[:], strings.ToLower(strings.TrimSpace(s))); i >= 0 {
		return NotifyMode(i), nil
	}
	return 0, fmt.Errorf("%q is not a notify mode: want changes, always or never", s)
}

// Message kinds, in the "kind" message attribute.
const (
	KindDigest = "digest"
	KindError  = "error"
)

// Message attribute names, for SNS subscription filter policies.
const (
	// AttrKind is "digest" or "error"; a digest that reports errors too
	// (Message.Errors) is both, a String.Array, so that a filter policy
	// on either kind takes it.
	AttrKind     = "kind"
	AttrAccount  = "account_id"
	AttrSeverity = "severity" // highest severity among new findings, or "NONE"
)

// Limits of an SNS message.
const (
	// MaxSubject is below SNS's 100-character subject limit.
	MaxSubject = 99
	// MaxBody keeps the body, with subject and attributes, under SNS's
	// 256 KB message limit.
	MaxBody = 240_000
	// sectionCap is how many findings a digest section lists before "and N
	// more".
	sectionCap = 25
	// maxReason bounds one finding's reason in the digest.
	maxReason = 300
)

// Message is one SNS message: a digest or an operational alert.
type Message struct {
	Kind     string
	Subject  string
	Body     string
	Account  string
	Severity string // the highest new severity, or "NONE"
	// Errors says a digest reports operational errors too: Security Hub's
	// in an account's, accounts that failed in an organisation's.
	Errors bool
}

// Input is the SNS Publish request for m.
func (m Message) Input(topicARN string) *sns.PublishInput {
	attr := func(v string) snstypes.MessageAttributeValue {
		return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	attrs := map[string]snstypes.MessageAttributeValue{AttrKind: attr(m.Kind), AttrSeverity: attr(m.Severity)}
	if m.Errors && m.Kind == KindDigest {
		attrs[AttrKind] = snstypes.MessageAttributeValue{DataType: aws.String("String.Array"), StringValue: aws.String(`["` + KindDigest + `","` + KindError + `"]`)}
	}
	if m.Account != "" {
		attrs[AttrAccount] = attr(m.Account)
	}
	return &sns.PublishInput{TopicArn: aws.String(topicARN), Subject: aws.String(m.Subject), Message: aws.String(m.Body), MessageAttributes: attrs}
}

// Counts is a run in numbers. New, Changed, Unmuted and StillFailing
// count unsuppressed findings; suppressed ones are in Suppressed.
type Counts struct {
	Users                                      int
	Failing                                    int // failing, unsuppressed results
	BySeverity                                 [rules.Critical + 1]int
	Suppressed                                 int // failing results a suppression mutes
	NotAvailable                               int // results that could not be decided
	New, Changed, StillFailing, Resolved, Gone int
	// NewNotVisible counts the new findings this run cannot see (their
	// result NOT_AVAILABLE; finding.Change.Unavailable): opened by a run
	// whose digest was not sent, and reported as that run saw them. They
	// are in New, not in Failing, which counts this run's failing results.
	NewNotVisible int
	// Unmuted counts still-failing findings a suppression muted until this
	// run (finding.Change.Unmuted): listed with the new ones, since the
	// digest never reported them, or not since they were muted.
	Unmuted int
	// HighestNew is the highest severity among new and unmuted findings, -1
	// when there are none.
	HighestNew rules.Severity
}

// Changes is how many findings changed state (new, changed, unmuted,
// resolved or gone): what a digest in NotifyChanges mode waits for.
func (c Counts) Changes() int { return c.New + c.Changed + c.Unmuted + c.Resolved + c.Gone }

func count(results []rules.Result, changes []finding.Change) Counts {
	c := Counts{HighestNew: -1}
	for i := range results {
		r := &results[i]
		switch {
		case r.Status == rules.NotAvailable:
			c.NotAvailable++
		case r.Status != rules.Failed:
		case r.Suppressed():
			c.Suppressed++
		default:
			c.Failing++
			c.BySeverity[r.Rule.Severity]++
		}
	}
	for i := range changes {
		ch := &changes[i]
		if !ch.News() {
			if ch.Kind == finding.StillFailing && !ch.Record.Suppressed {
				c.StillFailing++
			} // StillArchived, an archive sent late, is no news
			continue
		}
		switch ch.Kind {
		case finding.Resolved:
			c.Resolved++
		case finding.Gone:
			c.Gone++
		case finding.New:
			c.New++
			if ch.Unavailable {
				c.NewNotVisible++
			}
		case finding.Changed:
			c.Changed++
		default: // still failing, unmuted
			c.Unmuted++
		}
		if ch.Kind == finding.New || ch.Unmuted() {
			if sev := severityOf(ch); sev > c.HighestNew {
				c.HighestNew = sev
			}
		}
	}
	return c
}

func severityOf(c *finding.Change) rules.Severity {
	if c.Result != nil {
		return c.Result.Rule.Severity
	}
	s, err := rules.ParseSeverity(c.Record.Severity)
	if err != nil {
		return rules.Informational
	}
	return s
}

// shouldNotify says whether the run sends its digest. A Security Hub
// error is an operational error, and root account facts that could not be
// read a failure to see (ROOT-03 left NOT_AVAILABLE, run after run): each
// is sent in the digest whatever the mode, unless NoAlerts leaves the
// run's failures to its caller: then the mode alone decides, so a
// per-account request with "notify":"never" sends nothing at all.
func (a *Auditor) shouldNotify(out *Outcome) bool {
	if (out.Hub.Err != nil || out.Observation != nil && out.Observation.AccountErr != nil) && !a.NoAlerts {
		return true
	}
	return a.Notify.sends(out.Counts)
}

// sends reports whether mode sends a digest of a run (or an organisation's
// runs) with counts c: always, never, or when something is new, changed,
// unmuted, resolved or gone.
func (m NotifyMode) sends(c Counts) bool {
	switch m {
	case NotifyAlways:
		return true
	case NotifyNever:
		return false
	}
	return c.Changes() > 0
}

// digestInput is everything a digest shows, so rendering is pure.
type digestInput struct {
	Account, Alias, Partition string
	Profile                   string
	GeneratedAt, AsOf, Now    time.Time
	Counts                    Counts
	Changes                   []finding.Change
	Selected                  map[string]bool // rule IDs run
	Hub                       HubReport
	Warnings                  []string
	// Expired holds the IDs of unmuted findings whose suppression expired
	// (an expired one still names them); another unmuted finding's was
	// removed or changed.
	Expired map[string]bool
	// InReport holds the resource IDs of gone findings that the report still
	// has a row for (see stillInReport).
	InReport map[string]bool
	// Undecided is the results that could not be decided (Counts.NotAvailable
	// of them), each with why.
	Undecided []line
}

func (a *Auditor) digest(out *Outcome) Message {
	obs := out.Observation
	in := digestInput{
		Account: out.AccountID, Alias: out.Alias, Partition: obs.Report.Partition, Profile: a.Profile,
		GeneratedAt: obs.Report.GeneratedTime, AsOf: obs.AsOf, Now: a.now(),
		Counts: out.Counts, Changes: out.Changes, Hub: out.Hub, Selected: map[string]bool{},
	}
	in.Counts.Users = len(obs.Report.Users)
	for _, s := range a.Selected {
		in.Selected[s.Rule.ID] = true
	}
	if obs.AccountErr != nil {
		in.Warnings = append(in.Warnings, AccountFactsWarning(obs.AccountErr.Error(), obs.AccountEffect))
	}
	for _, o := range out.Outcomes {
		// Listed so that they do not rot: one muting nothing may be
		// for what was fixed since, or be mistyped.
		if note := o.StaleNote(); note != "" {
			in.Warnings = append(in.Warnings, "The "+note+".")
		}
	}
	in.Expired = expiredUnmutes(out)
	in.InReport = stillInReport(obs.Report, out.Changes)
	in.Undecided = undecided(out.Results)
	return renderDigest(in)
}

// undecided is a line for each result that could not be decided, saying
// why (a cell the rule needs holds N/A, a permission was denied), so that
// the digest's count of them can be acted on without running a scan. A
// suppressed one is marked: its finding, if any, is muted.
func undecided(results []rules.Result) []line {
	var lines []line
	for i := range results {
		if r := &results[i]; r.Status == rules.NotAvailable {
			l := line{sev: r.Rule.Severity, rule: r.Rule.ID, user: r.User(), text: r.Reason}
			if r.Suppressed() {
				l.note = "(suppressed)"
			}
			lines = append(lines, l)
		}
	}
	return lines
}

// stillInReport is the resource IDs of the gone findings among changes
// that rep still has a row for: their rule no longer covers the row (a
// custom rule's where no longer selects it), while the others' user was
// deleted.
func stillInReport(rep *credreport.Report, changes []finding.Change) map[string]bool {
	gone := map[string]bool{}
	for i := range changes {
		if c := &changes[i]; c.Kind == finding.Gone {
			gone[c.Record.ResourceID] = false
		}
	}
	if len(gone) == 0 {
		return nil
	}
	for _, e := range rep.Entries {
		id := e.ARN
		if e.IsRoot() {
			id = rules.AccountResourceID(e.AccountID())
		}
		if _, ok := gone[id]; ok {
			gone[id] = true
		}
	}
	return gone
}

// expiredUnmutes is the IDs of the findings out unmutes because their
// suppression expired: an expired suppression with the reason they were
// muted for still names them. A record that no longer holds that reason
// (saved unsuppressed while Security Hub was off, or moved to another home
// region; see finding.Record.Muted) takes any expired suppression that
// names it.
func expiredUnmutes(out *Outcome) map[string]bool {
	ids := map[string]bool{}
	for i := range out.Changes {
		ch := &out.Changes[i]
		if !ch.Unmuted() || ch.Result == nil {
			continue
		}
		for _, o := range out.Outcomes {
			why := ch.Prev.SuppressionReason
			if o.Expired && (why == "" || o.Suppression.Reason == why) && o.Suppression.Matches(ch.Result) {
				ids[ch.ID()] = true
				break
			}
		}
	}
	return ids
}

// unmutedNote marks a listed finding that a suppression muted until this
// run.
func unmutedNote(expired bool) string {
	if expired {
		return "(suppression expired)"
	}
	return "(no longer suppressed: its suppression was removed or changed)"
}

// renderDigest writes the digest a person reads in 30 seconds: who and
// when, counts, then New, Resolved and Still failing, each capped.
func renderDigest(in digestInput) Message {
	c := in.Counts
	var b strings.Builder
	name := in.Account
	if in.Alias != "" {
		name += " (" + in.Alias + ")"
	}
	fmt.Fprintf(&b, "credaudit: IAM credential audit of account %s\n", name)
	gen := "Credential report of unknown generation time (a bare CSV file)"
	if !in.GeneratedAt.IsZero() {
		gen = "Credential report generated " + in.GeneratedAt.UTC().Format("2006-01-02 15:04 MST") + " (" + age(in.Now.Sub(in.GeneratedAt)) + " old)"
	}
	fmt.Fprintf(&b, "%s; profile %s; %s.\n\n", gen, in.Profile, Nouns(c.Users, "user"))

	var attention []string
	if in.Hub.Err != nil {
		attention = append(attention, hubAttention(in.Hub))
	}
	if c.NotAvailable > 0 {
		attention = append(attention, notDecided(c.NotAvailable, "", ", listed under NOT DECIDED"))
	}
	attention = append(attention, in.Warnings...)
	if len(attention) > 0 {
		// Capped as a section is: thousands of suppressions muting nothing
		// would otherwise push the counts and the findings out of the body.
		b.WriteString("ATTENTION\n")
		writeNotes(&b, attention)
		b.WriteString("\n")
	}

	fmt.Fprintf(&b, "Failing now: %d (%s)", c.Failing, bySeverity(c.BySeverity))
	if c.Suppressed > 0 {
		fmt.Fprintf(&b, "; %d more suppressed", c.Suppressed)
	}
	b.WriteString("\n" + c.thisRun())

	var fresh, resolved, still []line
	for i := range in.Changes {
		ch := &in.Changes[i]
		l := line{sev: severityOf(ch), rule: ch.Record.RuleID, user: ch.Record.User, text: ch.Record.Reason}
		switch {
		case ch.Kind == finding.Resolved:
			if ch.Unavailable {
				l.note = unreportedNote(ch)
			}
			resolved = append(resolved, l)
		case ch.Kind == finding.Gone && ch.Unavailable:
			l.text, l.note = "no longer evaluated", unreportedNote(ch)
			resolved = append(resolved, l)
		case ch.Kind == finding.Gone:
			l.text = goneReason(ch, in.Selected, in.InReport)
			resolved = append(resolved, l)
		case ch.News(): // new, changed or unmuted, unsuppressed
			l.note = newsNote(ch, in.Expired)
			fresh = append(fresh, l)
		case ch.Kind == finding.StillFailing && !ch.Record.Suppressed:
			if ch.Unavailable {
				l.note = notVisibleNote(&ch.Record)
			}
			still = append(still, l)
		} // StillArchived, an archive sent late, is no news
	}
	section(&b, "NEW OR CHANGED", fresh)
	section(&b, "RESOLVED", resolved)
	section(&b, "STILL FAILING", still)
	section(&b, "NOT DECIDED", in.Undecided)

	b.WriteString("\n")
	switch {
	case in.Hub.Off:
		b.WriteString("Security Hub: publishing is off.\n")
	default:
		fmt.Fprintf(&b, "Security Hub (%s): %s imported, ", in.Hub.Region, Nouns(in.Hub.Imported, "finding"))
		if in.Hub.WorkflowFailed == 0 {
			fmt.Fprintf(&b, "%s, %d failed.\n", Nouns(in.Hub.Workflow, "workflow update"), in.Hub.Failed)
		} else {
			fmt.Fprintf(&b, "%d failed; %s, %d failed.\n", in.Hub.Failed, Nouns(in.Hub.Workflow, "workflow update"), in.Hub.WorkflowFailed)
		}
		fmt.Fprintf(&b, "Open findings: %s\n", consoleURL(in.Partition, in.Hub.Region, in.Account))
	}
	fmt.Fprintf(&b, "Evaluated as of %s.\n", in.AsOf.UTC().Format(time.RFC3339))

	m := Message{Kind: KindDigest, Body: fitBody(b.String()), Account: in.Account, Severity: severityAttr(c.HighestNew), Errors: in.Hub.Err != nil}
	// First, where a long subject's clipping cannot drop it.
	counts := subjectCounts(&c)
	if in.Hub.Err != nil {
		counts = "Security Hub errors; " + counts
	}
	m.Subject = subject(in.Account, in.Alias, counts)
	return m
}

// severityAttr is the severity attribute of a digest whose highest
// severity among new and unmuted findings is sev, or "NONE" for -1 (none).
// A changed finding was reported when it opened, and its change may be for
// the better: it does not count.
func severityAttr(sev rules.Severity) string {
	if sev < 0 {
		return "NONE"
	}
	return sev.String()
}

// subjectCounts is a digest subject's counts, the account's or (c the
// total) the organisation's: "N new, …, R resolved, F failing (C
// critical), U not decided", the critical and undecided only when there
// are some. Without the undecided, "0 failing" would read as an all-clear
// while findings the run could not see are kept open.
func subjectCounts(c *Counts) string {
	s := newsCounts(c) + fmt.Sprintf("%d resolved, %d failing", c.Resolved+c.Gone, c.Failing)
	if n := c.BySeverity[rules.Critical]; n > 0 {
		s += fmt.Sprintf(" (%d critical)", n)
	}
	if c.NotAvailable > 0 {
		s += fmt.Sprintf(", %d not decided", c.NotAvailable)
	}
	return s
}

// newsCounts is "N new, M changed, K unmuted, " for a subject or an
// account's line in the organisation digest; changed and unmuted only when
// there are some.
func newsCounts(c *Counts) string {
	s := fmt.Sprintf("%d new%s, ", c.New, notVisible(c.NewNotVisible, "this run"))
	if c.Changed > 0 {
		s += fmt.Sprintf("%d changed, ", c.Changed)
	}
	return s + unmuted(c.Unmuted)
}

// newsNote is the note of a new, changed or unmuted finding in a digest:
// what its reason was, when it changed; why it is news, when a suppression
// muted it until now (expired holds the IDs of those whose suppression
// expired); or that the run cannot see it.
func newsNote(ch *finding.Change, expired map[string]bool) string {
	var note string
	switch {
	case ch.Unmuted():
		note = unmutedNote(expired[ch.ID()])
	case ch.Unavailable:
		note = notVisibleNote(&ch.Record)
	}
	if ch.Kind == finding.Changed {
		note = joinNotes(changedNote(ch), note)
	}
	return note
}

// changedNote marks a finding whose reason changed with what it was.
func changedNote(ch *finding.Change) string {
	return "(changed; was: " + clip(oneLine(ch.Prev.Reason), maxReason) + ")"
}

// joinNotes is a line's notes, each in its brackets, "" left out.
func joinNotes(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + " " + b
}

// unmuted is "N unmuted, " for the counts of a run that unmuted N > 0
// findings, else "": most runs unmute none.
func unmuted(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d unmuted, ", n)
}

// thisRun is the line of a digest that counts the run's changes: an
// account's, or an organisation's totals.
func (c *Counts) thisRun() string {
	return fmt.Sprintf("This run: %d new%s, %d changed, %s%d resolved, %d gone, %d still failing.\n",
		c.New, notVisible(c.NewNotVisible, "in this report"), c.Changed, unmuted(c.Unmuted), c.Resolved, c.Gone, c.StillFailing)
}

// notVisible is " (N not visible <when>)" for the counts of a run with N > 0
// new findings it cannot see, else "": they are counted new, as the run
// whose digest was not sent saw them, and not failing, as this run's result
// is NOT_AVAILABLE.
func notVisible(n int, when string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d not visible %s)", n, when)
}

// unreportedNote marks a resolution or removal a run whose digest did not
// report it saw (its digest was not sent, or it lost the race to save to
// a run whose digest said otherwise), reported by this run, which cannot
// see the finding.
func unreportedNote(ch *finding.Change) string {
	return "(seen " + ch.Prev.UnreportedAt.Format(time.DateOnly) + " by a run whose digest did not report it; not visible in this report)"
}

// notVisibleNote marks a listed finding the run cannot see: the record
// stands, as last seen failing.
func notVisibleNote(rec *finding.Record) string {
	return "(not visible in this report; last seen " + rec.LastObservedAt.Format(time.DateOnly) + ")"
}

// hubAttention says what Security Hub did not take, findings or workflow
// status updates (counted apart: a finding whose update failed was
// imported), and when it will: the next run sends it again, but while
// Security Hub is not enabled, or access is denied, every run fails the
// same way until a person fixes that, which the error says first
// (publish.FailedFindingsError), so that clipping keeps it.
func hubAttention(h HubReport) string {
	var what []string
	if h.Failed > 0 || h.WorkflowFailed == 0 {
		what = append(what, Nouns(h.Failed, "finding")+" could not be published")
	}
	if h.WorkflowFailed > 0 {
		what = append(what, Nouns(h.WorkflowFailed, "workflow status update")+" (suppressed, or back to NEW) could not be made")
	}
	again := "the next run sends them again"
	var failed *publish.FailedFindingsError
	switch {
	case errors.As(h.Err, &failed) && failed.Malformed():
		again = "Security Hub refused them as malformed, and will on every run: that is a fault of credaudit's, to report with this message"
	case errors.Is(h.Err, publish.ErrNotEnabled) || errors.Is(h.Err, publish.ErrAccessDenied):
		again = "they will not be until this is fixed (each run tries again)"
	case errors.Is(h.Err, context.DeadlineExceeded):
		again += " (the run reached its deadline: if this repeats and the function's timeout is below Lambda's 900-second maximum, raise it)"
	}
	return fmt.Sprintf("Security Hub (%s): %s; %s. %s", h.Region, strings.Join(what, " and "), again, h.Err)
}

// Nouns is n and noun, in the plural unless n is 1 ("1 account",
// "3 accounts").
func Nouns(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// notDecided says that n results could not be decided; where is "" in an
// account's digest, " in 2 accounts" in the organisation's, and listed
// says where the digest lists them, or is "".
func notDecided(n int, where, listed string) string {
	kept := "any findings they cover are kept as they were"
	if n == 1 {
		kept = "any finding it covers is kept as it was"
	}
	return Nouns(n, "result") + where + " could not be decided from the report (NOT_AVAILABLE" + listed + "); " + kept + "."
}

// AccountFactsWarning says what the selected rules did without the root
// account facts, as the digests and scan say it: err is why they could not
// be read, effect is AccountFactsEffect's.
func AccountFactsWarning(err, effect string) string {
	return "Root account facts could not be read, so " + effect + ": " + err
}

// AccountFactsEffect says what the selected rules do without the root
// account facts ("ROOT-03 is NOT_AVAILABLE"), "" when none reads them and
// a run need not read them.
func AccountFactsEffect(selected []rules.Selected) string {
	return strings.Join(rules.AccountEffects(selected), " and ")
}

// line is one finding in a digest section: text, clipped to maxReason,
// then note, which clipping must not cut.
type line struct {
	sev        rules.Severity
	rule, user string
	text, note string
}

func section(b *strings.Builder, title string, lines []line) {
	if len(lines) == 0 {
		return
	}
	slices.SortStableFunc(lines, func(x, y line) int {
		return cmp.Or(cmp.Compare(y.sev, x.sev), strings.Compare(x.rule, y.rule), strings.Compare(x.user, y.user))
	})
	fmt.Fprintf(b, "\n%s (%d)\n", title, len(lines))
	writeLines(b, "  ", lines, sectionCap)
}

// writeLines writes at most limit of lines, then "... and N more".
func writeLines(b *strings.Builder, indent string, lines []line, limit int) {
	for i, l := range lines {
		if i == limit {
			fmt.Fprintf(b, "%s... and %d more\n", indent, len(lines)-limit)
			break
		}
		note := l.note
		if note != "" {
			note = " " + note
		}
		fmt.Fprintf(b, "%s%-15s %-8s %s: %s%s\n", indent, "["+l.sev.String()+"]", l.rule, clip(oneLine(l.user), 64), clip(oneLine(l.text), maxReason), note)
	}
}

// oneLine is s with its line breaks (\n, \r, VT, FF, NEL, and the line
// and paragraph separators U+2028 and U+2029 that mail readers break at)
// written as Go escapes: a user name from a report file, a custom rule's
// text or an error cannot break its digest line, and so cannot write a line
// that reads as the digest's own (a section title). A character a terminal
// would obey is the command line's to escape (cli.writeDigest).
func oneLine(s string) string {
	if !strings.ContainsFunc(s, isLineBreak) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isLineBreak(r) {
			b.WriteString(strings.Trim(strconv.QuoteRune(r), "'"))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// fitBody cuts body at a line boundary to fit MaxBody, saying so.
func fitBody(body string) string {
	if len(body) <= MaxBody {
		return body
	}
	cut := strings.LastIndexByte(body[:MaxBody-64], '\n')
	return body[:cut+1] + "... (digest truncated)\n"
}

// goneReason says why a finding is gone: its rule no longer runs, the
// rule no longer covers a row the report still has (inReport, by resource
// ID), or the row is gone.
func goneReason(c *finding.Change, selected, inReport map[string]bool) string {
	user := c.Record.ResourceType == rules.ResourceIAMUser
	switch {
	case !selected[c.Record.RuleID]:
		return "the rule no longer runs (disabled, or not in the profile)"
	case inReport[c.Record.ResourceID] && user:
		return "the user still exists but is no longer in the rule's scope (its where no longer selects them)"
	case inReport[c.Record.ResourceID]:
		return "no longer in the rule's scope (its where no longer selects the root account)"
	case user:
		return "the user no longer exists"
	}
	return "no longer in the report"
}

func bySeverity(n [rules.Critical + 1]int) string {
	parts := make([]string, 0, len(n))
	for s := rules.Critical; s >= rules.Informational; s-- {
		parts = append(parts, fmt.Sprintf("%d %s", n[s], strings.ToLower(s.String())))
	}
	return strings.Join(parts, ", ")
}

// subject is "credaudit <account> (<alias>): <what>", without the alias when
// it does not fit, as fitSubject makes it.
func subject(account, alias, what string) string {
	s := "credaudit " + account
	if withAlias := s + " (" + alias + ")"; alias != "" && len(withAlias)+2+len(what) <= MaxSubject {
		s = withAlias
	}
	return fitSubject(s + ": " + what)
}

// fitSubject is s in printable ASCII, as SNS requires, within MaxSubject.
// A longer one keeps the whole clauses that fit, up to a ", ", "; " or
// " (", and ends "...", so that no count shows cut short ("(200" of
// "(20000 critical)"); one without such a place is cut.
func fitSubject(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if ch := s[i]; ch >= 0x20 && ch < 0x7f {
			out = append(out, ch)
		}
	}
	if len(out) <= MaxSubject {
		return string(out)
	}
	// A clause ending at cut leaves room for "..." when cut+3 <= MaxSubject.
	head := string(out[:MaxSubject-1])
	cut := max(strings.LastIndex(head, ", "), strings.LastIndex(head, "; "), strings.LastIndex(head, " ("))
	if cut <= 0 {
		return string(out[:MaxSubject])
	}
	return head[:cut] + "..."
}

// clip cuts s to at most n bytes at a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// age is a duration as a person says it: "45m", "5h", "3 days".
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0m"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " days"
}

// consoleURL opens Security Hub's findings page filtered to credaudit's
// active findings in the account. The console's filter is a query string
// inside the URL fragment, so each value is escaped twice.
func consoleURL(partition, region, account string) string {
	host := "console.aws.amazon.com"
	switch partition {
	case "aws-us-gov":
		host = "console.amazonaws-us-gov.com"
	case "aws-cn":
		host = "console.amazonaws.cn"
	}
	filter := func(field, value string) string {
		return field + "=" + url.QueryEscape(`\operator\:EQUALS\:`+value)
	}
	search := strings.Join([]string{
		filter("ProductName", "credaudit"),
		filter("AwsAccountId", account),
		filter("RecordState", "ACTIVE"),
	}, "&")
	return "https://" + region + "." + host + "/securityhub/home?region=" + region + "#/findings?search=" + url.QueryEscape(search)
}

// writeNotes writes notes as the lines of a section, "  ! " each, capped
// as a section is: the notes past the cap are suppressions that muted
// nothing, which scan --config lists.
func writeNotes(b *strings.Builder, notes []string) {
	for _, n := range notes[:min(len(notes), sectionCap)] {
		b.WriteString("  ! " + clip(oneLine(n), 2*maxReason) + "\n")
	}
	if more := len(notes) - sectionCap; more > 0 {
		fmt.Fprintf(b, "  ... and %d more (scan --config lists every suppression that muted nothing)\n", more)
	}
}

// writeFailure writes an alert's account of f: what failed, the error and
// what to check.
func writeFailure(b *strings.Builder, f *Failure) {
	fmt.Fprintf(b, "What failed: %s\n", f.Phase)
	fmt.Fprintf(b, "Error: %s\n", clip(f.Err.Error(), 4000))
	if f.Hint != "" {
		fmt.Fprintf(b, "What to check: %s\n", f.Hint)
	}
}

// alert is the operational alert for a run that could not see.
func alert(account string, f *Failure, now time.Time) Message {
	var b strings.Builder
	who := "the account"
	if account != "" {
		who = "account " + account
	}
	fmt.Fprintf(&b, "credaudit could not audit %s.\n\n", who)
	writeFailure(&b, f)
	b.WriteString("\nNothing was imported into Security Hub and nothing was resolved; the previous state is kept.\n")
	b.WriteString("Until a run succeeds, this account's findings are not up to date. The next scheduled run tries again.\n")
	fmt.Fprintf(&b, "Time: %s\n", now.UTC().Format(time.RFC3339))
	acct := account
	if acct == "" {
		acct = "(unknown account)"
	}
	return Message{Kind: KindError, Subject: subject(acct, "", "audit FAILED ("+string(f.Phase)+")"), Body: b.String(), Account: account, Severity: "NONE"}
}
