package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/rules"
)

// This file is a property test of the single-account digest and the
// operational alert: what the README ("SNS digest", CREDAUDIT_NOTIFY),
// issue 4 §4 and ../shared/reference/aws-facts.md §3.1 and §3.3 promise of
// every message, whatever the change set and whatever the names, reasons
// and custom-rule texts in it. The promises, each checked by
// checkMessage or checkNotify:
//
//  1. Subject (aws-facts §3.1: "UTF-8 text with no line breaks or control
//     characters, and less than 100 characters long"; README: "under 100
//     characters"): at most 99 characters, printable ASCII (digest.go's
//     subject says so), whatever the alias, names and reasons.
//  2. Subject counts (README: "3 new, 1 resolved, 12 failing (2
//     critical)"): every count the subject shows is whole and the run's
//     (new, and "(N not visible this run)" when some new ones are not
//     visible, changed, unmuted, resolved = resolved + gone, failing,
//     critical, "N not decided" when results could not be decided,
//     "Security Hub errors" first when Security Hub failed); the whole
//     form when it fits, with the alias when that fits too, else cut
//     between clauses and saying so with "...".
//  3. Size (aws-facts §3.1: 262,144 bytes, body plus attributes, UTF-8;
//     README: "Always under 240 KB"): the body is at most 240,000 bytes of
//     valid UTF-8, and subject, body and attributes fit in 256 KiB.
//  4. Clipping: a body cut to fit says so ("... (digest truncated)") and
//     keeps its head: account, report time, the ATTENTION block's title
//     and the counts (README's order: account, report time and age,
//     ATTENTION, counts by severity, then the sections).
//  5. Body counts: "Failing now" and "This run" are the run's counts
//     (README: a new finding this run cannot see is counted new, "not
//     visible in this report", and not failing).
//  6. Sections (README: NEW OR CHANGED with unmuted findings marked,
//     RESOLVED, STILL FAILING; "rule, user, reason; 25 per section, then
//     and N more"): every change is in its one section (resolved and gone
//     in RESOLVED; muted ones and late archives in none; a new or still
//     failing finding not visible this run marked "(not visible in this
//     report; last seen <date>)"), each section's
//     title counts it, lists its first 25 by severity (highest first),
//     rule, then user, each once, then "... and N more".
//  7. Words: "1 user", "1 finding", never "1 users" (Nouns).
//  8. Line structure (README: "rule, user, reason, one line each"): a user
//     name, reason or custom-rule text cannot add a line (no line break of
//     any kind: \n, \r, VT, FF, NEL, U+2028, U+2029; they show escaped)
//     nor so a fake section title: every line of the body is one the
//     digest wrote, and the section titles are exactly the sections. A
//     character a terminal would obey (ESC) is the command line's to
//     escape (README --state; cli's TestTablesEscapeWhatATerminalWouldObey).
//  9. Attributes (README: kind, account_id, severity = "highest severity
//     among new and unmuted findings, or NONE"; aws-facts §3.3: names
//     A-Z a-z 0-9 _ - ., String values without surrogate characters).
// 10. Notify (README CREDAUDIT_NOTIFY): changes sends only when something
//     is new, changed, unmuted, resolved or gone; always; never sends no
//     digest; a Security Hub error is sent whatever the mode, unless
//     NoAlerts leaves failures to the caller ("notify":"never").

// digestPropSeed fixes every generated case; a failure prints the case.
const digestPropSeed = 20261121

// The documented limits the digests are checked against, written here
// rather than taken from digest.go, so that a change to the code's
// constants is caught: SNS's subject (aws-facts §3.1: less than 100
// characters), the README's body ("Always under 240 KB") and sections
// ("25 per section").
const (
	docMaxSubject = 99
	docMaxBody    = 240_000
	docSectionCap = 25
)

// propCase is one generated digest: the input renderDigest gets, and what
// the model expects of it (derived from the changes, not from count).
type propCase struct {
	name string
	in   digestInput
}

// Parts of generated names and texts: IAM's characters, and what a
// crafted report, configuration or state could hold.
var (
	iamChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-"
	oddParts = []string{
		"🔑", "👩‍💻", "\u202eevil", "שלום", "مرحبا", "e\u0301", "\u0301", "\u2028", "\u2029", "\u0085",
		"\x00", "\x1b[31m", "\x1b]0;t\x07", "\n", "\r\n", "\r", "\t", "\v", "\f",
		"\nRESOLVED (1)\n  [CRITICAL]      ROOT-01  x: y", "\nATTENTION\n  ! ", "NEW OR CHANGED (3)", ": ", "...",
		"ok", "deploy", "ü", "日本語",
	}
	propRules = []*rules.Rule{&rules.Root01, &rules.User01, &rules.Key01,
		{ID: "ORG-01", Severity: rules.High}, {ID: "ORG-02", Severity: rules.Low}, {ID: "ORG-03", Severity: rules.Informational}}
)

func genIAMName(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = iamChars[rng.IntN(len(iamChars))]
	}
	return string(b)
}

func genOdd(rng *rand.Rand, parts int) string {
	var b strings.Builder
	for range parts {
		b.WriteString(oddParts[rng.IntN(len(oddParts))])
	}
	return b.String()
}

// genUser is a user name: IAM's (up to 64 characters) mostly, else odd.
func genUser(rng *rand.Rand, i int, odd bool) string {
	switch {
	case !odd || rng.IntN(3) > 0:
		n := 1 + rng.IntN(12)
		if rng.IntN(8) == 0 {
			n = 64
		}
		return genIAMName(rng, n) + strconv.Itoa(i)
	case rng.IntN(6) == 0:
		return strings.Repeat("🔑", 64) + strconv.Itoa(i)
	}
	return genOdd(rng, 1+rng.IntN(4)) + strconv.Itoa(i)
}

// genReason is a reason: a built-in's, a custom rule's (up to 3,000
// characters), or odd.
func genReason(rng *rand.Rand, odd bool) string {
	switch rng.IntN(4) {
	case 0:
		return "access key 1 is " + strconv.Itoa(rng.IntN(2000)) + " days old"
	case 1:
		n := rng.IntN(3000)
		lit := strings.Repeat("é🔑x", n/3)
		return `assert user != "` + lit + `" does not hold`
	case 2:
		if odd {
			return "assert " + genOdd(rng, 1+rng.IntN(6)) + " does not hold"
		}
	}
	return "console password enabled and MFA not active"
}

var propKinds = []finding.Kind{finding.New, finding.Changed, finding.StillFailing, finding.Resolved, finding.Gone, finding.StillArchived}

// genChanges makes n changes of distinct (rule, user), with every kind,
// muted, unmuted (expired or removed) and not visible findings (still
// failing, or new: opened by a run whose digest was not sent).
func genChanges(rng *rand.Rand, n int, odd bool) ([]finding.Change, map[string]bool, map[string]bool) {
	changes := make([]finding.Change, 0, n)
	expired, selected := map[string]bool{}, map[string]bool{}
	for _, r := range propRules {
		if rng.IntN(3) > 0 {
			selected[r.ID] = true
		}
	}
	for i := range n {
		rule := propRules[rng.IntN(len(propRules))]
		user := genUser(rng, i, odd)
		kind := propKinds[rng.IntN(len(propKinds))]
		rec := finding.Record{ID: fmt.Sprintf("f%d", i), RuleID: rule.ID, User: user, Severity: rule.Severity.String(),
			Reason: genReason(rng, odd), ResourceType: rules.ResourceIAMUser, ResourceID: "arn:aws:iam::123456789012:user/u" + strconv.Itoa(i),
			LastObservedAt: generatedAt.Add(-time.Duration(rng.IntN(400)) * 24 * time.Hour)}
		ch := finding.Change{Kind: kind, Record: rec}
		switch kind {
		case finding.New, finding.Changed, finding.StillFailing, finding.Resolved:
			status := rules.Failed
			if kind == finding.Resolved {
				status = rules.Passed
			}
			ch.Result = &rules.Result{Rule: rule, Entry: &credreport.Entry{User: user}, Status: status, Reason: rec.Reason}
		}
		if kind == finding.Changed {
			ch.Prev = &finding.Record{Reason: genReason(rng, odd)}
		}
		if ch.Result != nil && ch.Result.Status == rules.Failed && rng.IntN(5) == 0 { // muted
			ch.Record.Suppressed = true
			ch.Result.Suppression = &rules.Suppression{Reason: "muted"}
		}
		if kind == finding.StillFailing && !ch.Record.Suppressed {
			switch rng.IntN(4) {
			case 0: // unmuted
				ch.Prev = &finding.Record{Muted: true}
				if rng.IntN(2) == 0 {
					expired[rec.ID] = true
				}
			case 1:
				ch.Unavailable = true
			}
		}
		if kind == finding.New && rng.IntN(4) == 0 { // not visible: NOT_AVAILABLE now
			ch.Unavailable = true
			ch.Result.Status = rules.NotAvailable
		}
		changes = append(changes, ch)
	}
	return changes, expired, selected
}

// genCase makes the i-th direct case: sizes from 0 to 20,000 changes.
func genCase(rng *rand.Rand, i int) propCase {
	sizes := []int{0, 1, 2, 24, 25, 26, 51, 200, 1000, 3000}
	n := sizes[i%len(sizes)]
	if i == 7 {
		n = 20_000
	}
	if i%5 == 4 {
		n = rng.IntN(400)
	}
	odd := i%2 == 1
	changes, expired, selected := genChanges(rng, n, odd)
	in := digestInput{Account: sampleAccount, Partition: "aws", Profile: "recommended",
		GeneratedAt: generatedAt, AsOf: generatedAt, Now: generatedAt.Add(2 * time.Hour),
		Changes: changes, Expired: expired, Selected: selected}
	// An account alias is IAM's: lower-case letters, digits and hyphens,
	// at most 63 characters.
	in.Alias = []string{"", "acme-prod", strings.Repeat("a", 63), strings.Repeat("x-1", 1+rng.IntN(20))}[rng.IntN(4)]
	c := count(nil, changes)
	big := []int{0, 1, 2, 9, 10, 99, 1000, 99999}
	for s := range c.BySeverity {
		c.BySeverity[s] = big[rng.IntN(len(big))]
		c.Failing += c.BySeverity[s]
	}
	c.Suppressed, c.NotAvailable, c.Users = big[rng.IntN(len(big))], big[rng.IntN(len(big))], big[rng.IntN(len(big))]
	in.Counts = c
	in.Hub = HubReport{Region: "eu-west-1", Imported: big[rng.IntN(len(big))], Workflow: big[rng.IntN(len(big))]}
	switch rng.IntN(4) {
	case 0:
		in.Hub = HubReport{Off: true}
	case 1:
		in.Hub.Failed, in.Hub.WorkflowFailed = big[rng.IntN(len(big))], big[rng.IntN(3)]
		err := error(errors.New("import refused: " + genOdd(rng, 3)))
		if rng.IntN(2) == 0 {
			err = fmt.Errorf("%w: enable it", publish.ErrNotEnabled)
		}
		in.Hub.Err = err
	}
	for range []int{0, 0, 1, 3, 40}[rng.IntN(5)] {
		in.Warnings = append(in.Warnings, fmt.Sprintf("The suppression at s3://bucket/credaudit.yaml:%d matches no failing result.", rng.IntN(99999)))
	}
	return propCase{name: fmt.Sprintf("direct case %d: %d changes, odd names %v, alias %q, %d warnings, hub %+v",
		i, n, odd, in.Alias, len(in.Warnings), in.Hub), in: in}
}

// model is what the README says a digest of a run shows.
type model struct {
	account, alias           string
	new, changed, unmuted    int
	newNotVisible            int
	resolved, gone, still    int
	failing, critical        int
	bySeverity               [rules.Critical + 1]int
	suppressed, notAvailable int
	users                    int
	hubErr                   bool
	attention                bool
	highest                  string
	// sections: title → its lines in the documented order, unclipped.
	sections map[string][]string
}

var sectionTitles = []string{"NEW OR CHANGED", "RESOLVED", "STILL FAILING"}

// modelClip cuts s to at most n bytes at a rune boundary, ending "...".
func modelClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func buildModel(in digestInput) model {
	m := model{account: in.Account, alias: in.Alias, failing: in.Counts.Failing, bySeverity: in.Counts.BySeverity,
		critical: in.Counts.BySeverity[rules.Critical], suppressed: in.Counts.Suppressed, notAvailable: in.Counts.NotAvailable,
		users: in.Counts.Users, hubErr: in.Hub.Err != nil, highest: "NONE", sections: map[string][]string{}}
	m.attention = m.hubErr || m.notAvailable > 0 || len(in.Warnings) > 0
	type entry struct {
		sev        rules.Severity
		rule, user string
		text       string
	}
	lists := map[string][]entry{}
	highest := rules.Severity(-1)
	for i := range in.Changes {
		ch := &in.Changes[i]
		sev, _ := rules.ParseSeverity(ch.Record.Severity)
		e := entry{sev: sev, rule: ch.Record.RuleID, user: ch.Record.User}
		muted := ch.Record.Suppressed
		wasMuted := ch.Result != nil && ch.Result.Status == rules.Failed && ch.Prev != nil && ch.Prev.Muted && !muted
		unmuted := ch.Kind == finding.StillFailing && wasMuted
		var title, note string
		switch {
		case ch.Kind == finding.Resolved:
			m.resolved++
			title, e.text = "RESOLVED", ch.Record.Reason
		case ch.Kind == finding.Gone:
			m.gone++
			title = "RESOLVED"
			user, there := ch.Record.ResourceType == rules.ResourceIAMUser, in.InReport[ch.Record.ResourceID]
			switch {
			case !in.Selected[ch.Record.RuleID]:
				e.text = "the rule no longer runs (disabled, or not in the profile)"
			case there && user:
				e.text = "the user still exists but is no longer in the rule's scope (its where no longer selects them)"
			case there:
				e.text = "no longer in the rule's scope (its where no longer selects the root account)"
			case user:
				e.text = "the user no longer exists"
			default:
				e.text = "no longer in the report"
			}
		case muted || ch.Kind == finding.StillArchived:
		case ch.Kind == finding.New:
			m.new++
			title, e.text = "NEW OR CHANGED", ch.Record.Reason
			if ch.Unavailable {
				m.newNotVisible++
				note = " (not visible in this report; last seen " + ch.Record.LastObservedAt.Format(time.DateOnly) + ")"
			}
		case ch.Kind == finding.Changed:
			m.changed++
			title, e.text = "NEW OR CHANGED", ch.Record.Reason
			note = " (changed; was: " + modelClip(modelEscape(ch.Prev.Reason), maxReason) + ")"
		case unmuted:
			m.unmuted++
			title, e.text = "NEW OR CHANGED", ch.Record.Reason
		default:
			m.still++
			title, e.text = "STILL FAILING", ch.Record.Reason
			if ch.Unavailable {
				note = " (not visible in this report; last seen " + ch.Record.LastObservedAt.Format(time.DateOnly) + ")"
			}
		}
		// A changed finding was reported when it opened: the severity
		// attribute is raised by it only when it was muted until now.
		if (ch.Kind == finding.New || unmuted || ch.Kind == finding.Changed && wasMuted) && !muted && sev > highest {
			highest = sev
		}
		if wasMuted && title == "NEW OR CHANGED" && !ch.Unavailable { // unmuted, or changed since it was muted
			why := " (no longer suppressed: its suppression was removed or changed)"
			if in.Expired[ch.Record.ID] {
				why = " (suppression expired)"
			}
			note += why
		}
		if title != "" {
			e.text = modelClip(modelEscape(e.text), maxReason) + note
			lists[title] = append(lists[title], e)
		}
	}
	if highest >= 0 {
		m.highest = highest.String()
	}
	for title, l := range lists {
		slices.SortStableFunc(l, func(x, y entry) int {
			if x.sev != y.sev {
				return int(y.sev) - int(x.sev)
			}
			if c := strings.Compare(x.rule, y.rule); c != 0 {
				return c
			}
			return strings.Compare(x.user, y.user)
		})
		for _, e := range l {
			m.sections[title] = append(m.sections[title], fmt.Sprintf("  %-15s %-8s %s: %s", "["+e.sev.String()+"]", e.rule, modelClip(modelEscape(e.user), 64), e.text))
		}
	}
	return m
}

// modelEscape is s with each line break as Go quotes it.
func modelEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if modelLineBreak(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (m model) changes() int { return m.new + m.changed + m.unmuted + m.resolved + m.gone }

// subjectClauses is the subject's counts, clause by clause, as the README
// writes them.
func (m model) subjectClauses() []string {
	cl := []string{fmt.Sprintf("%d new", m.new)}
	if m.newNotVisible > 0 {
		cl = append(cl, fmt.Sprintf(" (%d not visible this run)", m.newNotVisible))
	}
	if m.changed > 0 {
		cl = append(cl, fmt.Sprintf(", %d changed", m.changed))
	}
	if m.unmuted > 0 {
		cl = append(cl, fmt.Sprintf(", %d unmuted", m.unmuted))
	}
	cl = append(cl, fmt.Sprintf(", %d resolved", m.resolved+m.gone), fmt.Sprintf(", %d failing", m.failing))
	if m.critical > 0 {
		cl = append(cl, fmt.Sprintf(" (%d critical)", m.critical))
	}
	if m.notAvailable > 0 {
		cl = append(cl, fmt.Sprintf(", %d not decided", m.notAvailable))
	}
	if m.hubErr { // first, where clipping cannot drop it
		cl[0] = "; " + cl[0]
		cl = append([]string{"Security Hub errors"}, cl...)
	}
	return cl
}

// modelLineBreak reports the characters a mail reader or terminal may break a line
// at.
func modelLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

var (
	attrName   = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)
	wrongPlura = regexp.MustCompile(`(^|[^0-9])1 (users|findings|results|workflow updates|workflow status updates)\b`)
	titleLine  = regexp.MustCompile(`^(ATTENTION|NEW OR CHANGED \(\d+\)|RESOLVED \(\d+\)|STILL FAILING \(\d+\))$`)
)

// checkMessage checks promises 1–9 of msg, a digest of m. It returns the
// broken ones.
func checkMessage(m model, msg Message) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }

	// 1. Subject limits.
	if n := utf8.RuneCountInString(msg.Subject); n > docMaxSubject || n == 0 {
		fail("subject is %d characters (limit %d): %q", n, docMaxSubject, msg.Subject)
	}
	for _, r := range msg.Subject {
		if r < 0x20 || r > 0x7e {
			fail("subject holds %U, not printable ASCII: %q", r, msg.Subject)
			break
		}
	}
	// 2. Subject counts.
	prefix := "credaudit " + m.account + ": "
	if withAlias := "credaudit " + m.account + " (" + m.alias + "): "; m.alias != "" && strings.HasPrefix(msg.Subject, withAlias) {
		prefix = withAlias
	}
	full := strings.Join(m.subjectClauses(), "")
	switch {
	case !strings.HasPrefix(msg.Subject, prefix):
		fail("subject %q does not start %q", msg.Subject, prefix)
	case msg.Subject[len(prefix):] == full:
	default:
		rest := msg.Subject[len(prefix):]
		if len("credaudit "+m.account+": "+full) <= docMaxSubject {
			fail("subject %q cut though %q fits", msg.Subject, "credaudit "+m.account+": "+full)
		}
		shown, ok := strings.CutSuffix(rest, "...")
		if !ok {
			fail("subject %q is cut without saying so (want %q)", msg.Subject, full)
		} else if shown = strings.TrimRight(shown, " ,;"); !slices.ContainsFunc(prefixesOf(m.subjectClauses()), func(p string) bool { return p == shown }) {
			fail("subject %q is not the counts %q cut between clauses", msg.Subject, full)
		}
	}

	// 3. Size and encoding.
	if len(msg.Body) > docMaxBody {
		fail("body is %d bytes, limit %d", len(msg.Body), docMaxBody)
	}
	if !utf8.ValidString(msg.Body) || !utf8.ValidString(msg.Subject) {
		fail("message is not valid UTF-8")
	}
	in := msg.Input("arn:aws:sns:eu-west-1:123456789012:credaudit")
	size := len(*in.Message) + len(*in.Subject)
	for name, v := range in.MessageAttributes {
		size += len(name) + len(*v.DataType) + len(*v.StringValue)
		if !attrName.MatchString(name) || strings.HasPrefix(name, "AWS.") || strings.HasPrefix(name, "Amazon.") {
			fail("attribute name %q", name)
		}
		// README: kind is a String.Array, both kinds, for a digest that
		// reports Security Hub's errors, so that a filter on errors takes it.
		dataType := "String"
		if name == AttrKind && m.hubErr {
			dataType = "String.Array"
		}
		if *v.DataType != dataType || strings.ContainsFunc(*v.StringValue, func(r rune) bool { return r > 0xFFFF || r < 0x20 }) {
			fail("attribute %s = %q (%s)", name, *v.StringValue, *v.DataType)
		}
	}
	if size > 262_144 {
		fail("message with attributes is %d bytes, SNS takes 262,144", size)
	}

	// 9. Attributes.
	want := map[string]string{AttrKind: KindDigest, AttrAccount: m.account, AttrSeverity: m.highest}
	if m.hubErr {
		want[AttrKind] = `["digest","error"]`
	}
	for k, v := range want {
		if got, ok := in.MessageAttributes[k]; !ok || *got.StringValue != v {
			fail("attribute %s is not %q", k, v)
		}
	}

	// 4. Clipping keeps the head.
	body := msg.Body
	truncated := strings.HasSuffix(body, "\n... (digest truncated)\n")
	for _, head := range []string{"credaudit: IAM credential audit of account " + m.account, "Failing now: ", "This run: "} {
		if !strings.Contains(body, head) {
			fail("body lacks %q (truncated %v)", head, truncated)
		}
	}
	if m.attention && !strings.Contains(body, "\nATTENTION\n") {
		fail("body lacks the ATTENTION block")
	}

	// 5. Body counts.
	failing := fmt.Sprintf("Failing now: %d (%s)", m.failing, bySeverityModel(m.bySeverity))
	if m.suppressed > 0 {
		failing += fmt.Sprintf("; %d more suppressed", m.suppressed)
	}
	unm := ""
	if m.unmuted > 0 {
		unm = fmt.Sprintf("%d unmuted, ", m.unmuted)
	}
	notVisible := ""
	if m.newNotVisible > 0 {
		notVisible = fmt.Sprintf(" (%d not visible in this report)", m.newNotVisible)
	}
	thisRun := fmt.Sprintf("This run: %d new%s, %d changed, %s%d resolved, %d gone, %d still failing.", m.new, notVisible, m.changed, unm, m.resolved, m.gone, m.still)
	for _, l := range []string{failing, thisRun} {
		if !strings.Contains(body, "\n"+l+"\n") {
			fail("body lacks the line %q", l)
		}
	}

	// 6. Sections, unless truncation cut them.
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	titles := 0
	for _, l := range lines {
		if titleLine.MatchString(l) {
			titles++
		}
	}
	wantTitles := 0
	if m.attention {
		wantTitles++
	}
	for _, title := range sectionTitles {
		l := m.sections[title]
		if len(l) == 0 {
			if strings.Contains(body, "\n"+title+" (") {
				fail("body has an empty %s section", title)
			}
			continue
		}
		wantTitles++
		block := fmt.Sprintf("\n%s (%d)\n", title, len(l))
		listed := l[:min(len(l), docSectionCap)]
		block += strings.Join(listed, "\n") + "\n"
		if len(l) > docSectionCap {
			block += fmt.Sprintf("  ... and %d more\n", len(l)-docSectionCap)
		}
		if !strings.Contains(body, block) && !truncated {
			got := ""
			if i := strings.Index(body, "\n"+title+" ("); i >= 0 {
				got = body[i:min(len(body), i+len(block))]
			}
			w, g := strings.Split(block, "\n"), strings.Split(got, "\n")
			for k := range w {
				if k >= len(g) || w[k] != g[k] {
					fail("section %s, line %d is\n%q\nwant\n%q", title, k, g[min(k, len(g)-1)], w[k])
					break
				}
			}
		}
	}
	if titles != wantTitles && !truncated {
		fail("body has %d section titles, want %d (a name or reason wrote one)", titles, wantTitles)
	}

	// 7. Words (in the lines the digest words, not names or reasons).
	for _, l := range lines {
		if !strings.HasPrefix(l, "  [") && !strings.HasPrefix(l, "  ! ") && wrongPlura.MatchString(l) {
			fail("line %q says 1 in the plural", l)
		}
	}
	if wrongPlura.MatchString(msg.Subject) {
		fail("subject %q says 1 in the plural", msg.Subject)
	}

	// 8. Line structure: no other line break than the digest's own.
	if i := strings.IndexFunc(strings.ReplaceAll(body, "\n", ""), modelLineBreak); i >= 0 {
		r, _ := utf8.DecodeRuneInString(strings.ReplaceAll(body, "\n", "")[i:])
		fail("body holds a line break %U that the digest did not write", r)
	}
	for _, l := range lines {
		if l == "" || titleLine.MatchString(l) || strings.HasPrefix(l, "  [") || strings.HasPrefix(l, "  ! ") || strings.HasPrefix(l, "  ... and ") {
			continue
		}
		if !slices.ContainsFunc(headLines, func(p string) bool { return strings.HasPrefix(l, p) }) {
			fail("body line %q is none the digest writes", l)
			break
		}
	}
	return bad
}

// headLines are the beginnings of the digest's own lines outside the
// sections and ATTENTION.
var headLines = []string{"credaudit: IAM credential audit of account ", "Credential report ", "Failing now: ", "This run: ",
	"Security Hub", "Open findings: https://", "Evaluated as of ", "... (digest truncated)"}

func prefixesOf(clauses []string) []string {
	var out []string
	for i := 1; i <= len(clauses); i++ {
		out = append(out, strings.TrimRight(strings.Join(clauses[:i], ""), " ,;"))
	}
	return out
}

func bySeverityModel(n [rules.Critical + 1]int) string {
	return fmt.Sprintf("%d critical, %d high, %d medium, %d low, %d informational",
		n[rules.Critical], n[rules.High], n[rules.Medium], n[rules.Low], n[rules.Informational])
}

// checkNotify checks promise 10: whether a run with these counts and
// Security Hub error sends its digest in each mode.
func checkNotify(m model, hub HubReport) []string {
	var bad []string
	for _, mode := range []NotifyMode{NotifyChanges, NotifyAlways, NotifyNever} {
		for _, noAlerts := range []bool{false, true} {
			a := &Auditor{Notify: mode, NoAlerts: noAlerts}
			c := Counts{New: m.new, Changed: m.changed, Unmuted: m.unmuted, Resolved: m.resolved, Gone: m.gone, StillFailing: m.still}
			got := a.shouldNotify(&Outcome{Counts: c, Hub: hub})
			want := mode == NotifyAlways || mode == NotifyChanges && m.changes() > 0 || hub.Err != nil && !noAlerts
			if got != want {
				bad = append(bad, fmt.Sprintf("notify %v, NoAlerts %v, %d changes, hub error %v: sends %v, want %v", mode, noAlerts, m.changes(), hub.Err != nil, got, want))
			}
		}
	}
	return bad
}

// TestDigestProperties checks every promise over generated change sets
// rendered directly (up to 20,000 changes, odd names and long reasons).
func TestDigestProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(digestPropSeed, digestPropSeed^0x5eed))
	for i := range 60 {
		tc := genCase(rng, i)
		m := buildModel(tc.in)
		if c := tc.in.Counts; c.New != m.new || c.Changed != m.changed || c.Unmuted != m.unmuted || c.Resolved != m.resolved || c.Gone != m.gone || c.StillFailing != m.still {
			t.Errorf("%s: count says %d new, %d changed, %d unmuted, %d resolved, %d gone, %d still; the README's classes %+v",
				tc.name, c.New, c.Changed, c.Unmuted, c.Resolved, c.Gone, c.StillFailing, m)
		}
		msg := renderDigest(tc.in)
		bad := append(checkMessage(m, msg), checkNotify(m, tc.in.Hub)...)
		if len(bad) > 0 {
			t.Errorf("%s:\n- %s\nsubject %q\nbody (first 3,000 bytes):\n%s", tc.name, strings.Join(bad, "\n- "), msg.Subject, msg.Body[:min(len(msg.Body), 3000)])
		}
	}
}

// TestAlertProperties checks promises 1, 3 and 9 of operational alerts,
// whatever the error says.
func TestAlertProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(digestPropSeed, 2))
	for i := range 40 {
		account := []string{sampleAccount, ""}[i%2]
		errText := genOdd(rng, 1+rng.IntN(8)) + strings.Repeat("é🔑", rng.IntN(3000))
		f := &Failure{Phase: []Phase{PhaseAcquire, PhaseParse, PhaseLoadState, PhaseConfiguration}[rng.IntN(4)], Err: errors.New(errText), Hint: "check " + genOdd(rng, 2)}
		msg := alert(account, f, generatedAt)
		var bad []string
		if n := utf8.RuneCountInString(msg.Subject); n > docMaxSubject || strings.ContainsFunc(msg.Subject, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			bad = append(bad, fmt.Sprintf("subject %q", msg.Subject))
		}
		if !strings.Contains(msg.Subject, "audit FAILED ("+string(f.Phase)+")") {
			bad = append(bad, fmt.Sprintf("subject %q does not say the phase", msg.Subject))
		}
		if len(msg.Body) > docMaxBody || !utf8.ValidString(msg.Body) {
			bad = append(bad, fmt.Sprintf("body %d bytes, valid UTF-8 %v", len(msg.Body), utf8.ValidString(msg.Body)))
		}
		in := msg.Input("arn:aws:sns:eu-west-1:123456789012:credaudit")
		if *in.MessageAttributes[AttrKind].StringValue != KindError || *in.MessageAttributes[AttrSeverity].StringValue != "NONE" {
			bad = append(bad, "attributes kind/severity")
		}
		if a, ok := in.MessageAttributes[AttrAccount]; ok != (account != "") || ok && *a.StringValue != account {
			bad = append(bad, "attribute account_id")
		}
		if len(bad) > 0 {
			t.Errorf("alert %d (account %q, error %q…): %s", i, account, errText[:min(len(errText), 80)], strings.Join(bad, "; "))
		}
	}
}

// propReport is a generated report of n users plus users named in odd.
func propReport(t *testing.T, n int, seed uint64, odd []string) []byte {
	t.Helper()
	rep := credreporttest.Generate(n, seed)
	var b bytes.Buffer
	b.Write(rep)
	for _, name := range odd {
		q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
		// A console user without MFA, with an old, unused key.
		fmt.Fprintf(&b, "%s,%s,2024-01-01T00:00:00+00:00,true,no_information,2024-01-01T00:00:00+00:00,N/A,false,true,2024-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
			q(name), q("arn:aws:iam::123456789012:user/"+name))
	}
	return b.Bytes()
}

// TestDigestPropertiesThroughRuns checks every promise of the digests that
// runs send over generated reports (the real path: parse, rules,
// suppressions, custom rules, the diff, Security Hub and SNS fakes), run
// after run, in each notify mode.
func TestDigestPropertiesThroughRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(digestPropSeed, 3))
	long := strings.Repeat("é🔑x", 1000)
	cfg := `
suppressions:
  - rule: "*"
    user: "user-0000*"
    reason: muted by the test
    expires: 2026-11-22
custom_rules:
  - id: ORG-01
    title: Long texts
    severity: critical
    remediation: Fix it.
    assert: "!password_enabled || user == \"` + long + `\u2028\e[31m\""
`
	for seq := range 6 {
		r := newRig(t, cfg)
		r.a.Notify = NotifyMode(rng.IntN(3))
		r.iam.alias = []string{"", "acme-prod", strings.Repeat("a", 63)}[rng.IntN(3)]
		var odd []string
		if seq%2 == 1 {
			for i := range 1 + rng.IntN(4) {
				// IAM allows none of these, but a report file given to
				// scan --report may hold them.
				odd = append(odd, genOdd(rng, 1+rng.IntN(3))+"-"+strconv.Itoa(i))
			}
		}
		users := []int{0, 3, 40, 250}[rng.IntN(4)]
		seed := rng.Uint64()
		r.iam.report = propReport(t, users, seed, odd)
		for run := range 4 {
			if run > 0 {
				r.on(run)
				switch rng.IntN(3) {
				case 0: // unchanged
				case 1: // another report: many new and resolved findings
					r.iam.report = propReport(t, users+rng.IntN(30), rng.Uint64(), odd)
				case 2: // some users deleted
					r.iam.report = propReport(t, users/2, seed, odd[:len(odd)/2])
				}
				if rng.IntN(4) == 0 {
					r.hub.refuseAll = "InvalidAccess"
				} else {
					r.hub.refuseAll = ""
				}
			}
			r.sns.sent = nil
			out, err := r.a.Run(context.Background())
			if err != nil && out == nil {
				t.Fatalf("sequence %d run %d: %v", seq, run, err)
			}
			name := fmt.Sprintf("sequence %d run %d (notify %v, alias %q, %d users, odd names %q, Security Hub refusing %q)",
				seq, run, r.a.Notify, r.iam.alias, users, odd, r.hub.refuseAll)
			in := digestInput{Account: out.AccountID, Alias: out.Alias, Counts: out.Counts, Changes: out.Changes, Hub: out.Hub,
				Expired: expiredUnmutes(out), InReport: stillInReport(out.Observation.Report, out.Changes), Selected: map[string]bool{}}
			for _, s := range r.a.Selected {
				in.Selected[s.Rule.ID] = true
			}
			for _, o := range out.Outcomes {
				if o.StaleNote() != "" {
					in.Warnings = append(in.Warnings, o.StaleNote())
				}
			}
			m := buildModel(in)
			m.users = out.Counts.Users
			bad := checkNotify(m, out.Hub)
			sent := len(r.sns.take()) > 0
			want := r.a.Notify == NotifyAlways || r.a.Notify == NotifyChanges && m.changes() > 0 || out.Hub.Err != nil
			if sent != want || sent != out.Notified {
				bad = append(bad, fmt.Sprintf("digest sent %v (Notified %v), want %v: %d changes, hub error %v", sent, out.Notified, want, m.changes(), out.Hub.Err))
			}
			bad = append(bad, checkMessage(m, out.Digest)...)
			if len(bad) > 0 {
				t.Errorf("%s:\n- %s\nsubject %q\nbody (first 3,000 bytes):\n%s", name, strings.Join(bad, "\n- "), out.Digest.Subject, out.Digest.Body[:min(len(out.Digest.Body), 3000)])
			}
		}
	}
}
