package cli

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/internal/swar"
	"github.com/credaudit/credaudit/lambda/rules"
)

// scanOutput is everything a scan prints.
type scanOutput struct {
	report   *loaded
	profile  string
	selected []rules.Selected
	results  []rules.Result
	outcomes []rules.SuppressionOutcome
	source   string // --report value ("" live, "-" stdin)
	color    bool
	// tally counts the results: as they were written when the scan streamed
	// them (results is nil), else on the first call of counts.
	tally *tally
}

// scanHead is the start of the documented scan JSON (README, "scan JSON");
// results follow it, then scanTail.
type scanHead struct {
	AccountID   string     `json:"account_id"`
	GeneratedAt *time.Time `json:"generated_at"`
	AsOf        time.Time  `json:"as_of"`
	Profile     string     `json:"profile"`
}

type scanTail struct {
	Summary      summaryJSON       `json:"summary"`
	Suppressions []suppressionJSON `json:"suppressions"`
}

type summaryJSON struct {
	Rules        int        `json:"rules"`
	Results      int        `json:"results"`
	Passed       int        `json:"passed"`
	Failed       int        `json:"failed"` // unsuppressed
	NotAvailable int        `json:"not_available"`
	Suppressed   int        `json:"suppressed"`
	FailedBySev  bySeverity `json:"failed_by_severity"` // unsuppressed, every severity present
}

// bySeverity is a count per severity, written as an object of every
// label, most severe first, as the README shows it and the table lists
// them (a map's JSON would be in key order: CRITICAL, HIGH, INFORMATIONAL,
// LOW, MEDIUM).
type bySeverity [rules.Critical + 1]int

func (c bySeverity) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for sev := rules.Critical; sev >= rules.Informational; sev-- {
		if sev != rules.Critical {
			b = append(b, ',')
		}
		b = strconv.AppendInt(append(strconv.AppendQuote(b, sev.String()), ':'), int64(c[sev]), 10)
	}
	return append(b, '}'), nil
}

type suppressionJSON struct {
	Rule     string `json:"rule"`
	User     string `json:"user"`
	Reason   string `json:"reason"`
	Expires  string `json:"expires,omitempty"`
	Source   string `json:"source"`
	Expired  bool   `json:"expired"`
	Matched  int    `json:"matched"`
	Unseen   int    `json:"not_available"`
	Shadowed int    `json:"shadowed"`
}

// tally counts results for the summary and --fail-on.
type tally struct {
	results, passed, failed, notAvailable, suppressed int
	failedBySev                                       bySeverity // unsuppressed; every severity is one of ParseSeverity's
	// suppressedFailed counts the suppressed results that fail (the others
	// are NOT_AVAILABLE results a suppression covers).
	suppressedFailed int
}

// worst is the highest severity failing unsuppressed, -1 for none.
func (t *tally) worst() rules.Severity {
	for sev := rules.Critical; sev >= rules.Informational; sev-- {
		if t.failedBySev[sev] > 0 {
			return sev
		}
	}
	return -1
}

// add counts a batch of results.
func (t *tally) add(results []rules.Result) {
	t.results += len(results)
	for i := range results {
		r := &results[i]
		switch {
		case r.Suppressed():
			t.suppressed++
			if r.Status == rules.Failed {
				t.suppressedFailed++
			}
		case r.Status == rules.Passed:
			t.passed++
		case r.Status == rules.Failed:
			t.failed++
			t.failedBySev[r.Rule.Severity]++
		default:
			t.notAvailable++
		}
	}
}

// counts is the tally of the results, counted once.
func (o *scanOutput) counts() *tally {
	if o.tally == nil {
		o.tally = new(tally)
		o.tally.add(o.results)
	}
	return o.tally
}

func (o *scanOutput) summary() summaryJSON {
	t := o.counts()
	s := summaryJSON{Rules: len(o.selected), Results: t.results, Passed: t.passed, Failed: t.failed,
		NotAvailable: t.notAvailable, Suppressed: t.suppressed, FailedBySev: t.failedBySev}
	return s
}

func (o *scanOutput) head() scanHead {
	rep := o.report.report
	h := scanHead{AccountID: rep.AccountID, AsOf: o.report.asOf, Profile: o.profile}
	if !rep.GeneratedTime.IsZero() {
		g := rep.GeneratedTime
		h.GeneratedAt = &g
	}
	return h
}

func (o *scanOutput) tail() scanTail {
	t := scanTail{Summary: o.summary(), Suppressions: []suppressionJSON{}}
	for _, s := range o.outcomes {
		j := suppressionJSON{Rule: s.Suppression.RuleID, User: s.Suppression.User, Reason: s.Suppression.Reason,
			Source: s.Suppression.Source, Expired: s.Expired, Matched: s.Matched, Unseen: s.Unseen, Shadowed: s.Shadowed}
		if !s.Suppression.Expires.IsZero() {
			// To the fraction of a second it was written with, as as_of
			// is: one it applies before must not print as the as-of.
			j.Expires = s.Suppression.Expires.Format(time.RFC3339Nano)
		}
		t.Suppressions = append(t.Suppressions, j)
	}
	return t
}

// resultWriter writes a scan's output as its results come (scanJSON,
// scanCSV, scanSARIF) for the output it was made for: add gets each batch
// in order, end writes what follows them (the JSON's summary and
// suppressions, from that output as it then is).
type resultWriter interface {
	add(results []rules.Result) error
	end() error
}

// streamWriters make the result writers of the formats that are written as
// the results come (streamScan). The table needs every result before its
// first line.
var streamWriters = map[string]func(io.Writer, *scanOutput) (resultWriter, error){
	"json":  func(w io.Writer, o *scanOutput) (resultWriter, error) { return newScanJSON(w, o) },
	"csv":   func(w io.Writer, _ *scanOutput) (resultWriter, error) { return newScanCSV(w), nil },
	"sarif": func(w io.Writer, o *scanOutput) (resultWriter, error) { return newScanSARIF(w, o) },
}

// writeScan writes o's results, all evaluated, in format: the table, or
// another format through its result writer.
func writeScan(w io.Writer, o *scanOutput, format string) error {
	if format == "table" {
		return writeScanTable(w, o)
	}
	rw, err := streamWriters[format](w, o)
	if err != nil {
		return err
	}
	if err := rw.add(o.results); err != nil {
		return err
	}
	return rw.end()
}

// scanJSON writes the scan JSON as results come: the head when made, each
// batch of results as add gets it, the summary and suppressions at end.
// Nothing is written before the first batch fills a chunk. A 5,000-user
// account yields 35,000 to 70,000 results, 12 to 24 MB, so results are not
// marshalled one by one: each is a few appends to the buffer, which is
// written in big chunks: the fields from its rule and status (escaped once
// per rule), the fields from its row (checked for escaping once per run),
// its reason, and the suppression fields. The head and the tail go through
// encoding/json.
type scanJSON struct {
	o     *scanOutput
	jw    jsonWriter
	heads ruleHeads
	rows  *rowFields
	comma int // bytes of the separating comma to skip: 1 until the first result is written
}

func newScanJSON(w io.Writer, o *scanOutput) (*scanJSON, error) {
	head, err := marshalJSON(o.head())
	if err != nil {
		return nil, err
	}
	sj := &scanJSON{o: o, jw: jsonWriter{w: w, buf: make([]byte, 0, outChunk)}, rows: newRowFields(o.report.report), comma: 1}
	sj.jw.buf = append(sj.jw.buf, head[:len(head)-1]...) // without the closing brace
	sj.jw.buf = append(sj.jw.buf, `,"results":[`...)
	return sj, nil
}

// add writes a batch of results.
func (sj *scanJSON) add(results []rules.Result) error {
	for i := range results {
		r := &results[i]
		b := append(sj.jw.buf, sj.heads.get(r)[sj.comma:]...)
		b = sj.rows.append(b, r)
		b = appendJSONText(b, r.Reason)
		if r.Suppressed() {
			b = append(b, `", "suppressed": true, "suppression_reason": "`...)
			b = appendJSONText(b, r.SuppressionReason())
			b = append(b, `"}`...)
		} else {
			b = append(b, `", "suppressed": false, "suppression_reason": ""}`...)
		}
		sj.jw.buf, sj.comma = b, 0
		if err := sj.jw.flushFull(); err != nil {
			return err
		}
	}
	return nil
}

// end writes the output's summary and suppressions, as streamScan has
// filled them in, and the rest of the document.
func (sj *scanJSON) end() error {
	if sj.comma == 0 { // a result was written
		sj.jw.buf = append(sj.jw.buf, '\n')
	}
	tail, err := marshalJSON(sj.o.tail())
	if err != nil {
		return err
	}
	sj.jw.buf = append(sj.jw.buf, "],"...)
	sj.jw.buf = append(sj.jw.buf, tail[1:]...)
	sj.jw.buf = append(sj.jw.buf, '\n')
	return sj.jw.flush()
}

// outChunk is the write size of every output written as it is made (the
// scan in each format, the query JSON): large enough that the system calls
// cost nothing next to producing the bytes (under 100 writes for the scan
// JSON's 12 MB), small enough to stay in cache; 512 KB measured no faster.
const outChunk = 128 << 10

// jsonWriter collects output in buf and writes it in chunks of about
// outChunk bytes.
type jsonWriter struct {
	w   io.Writer
	buf []byte
}

// flushFull writes the buffer once it holds a chunk.
func (jw *jsonWriter) flushFull() error {
	if len(jw.buf) < outChunk-4<<10 {
		return nil
	}
	return jw.flush()
}

func (jw *jsonWriter) flush() error {
	_, err := jw.w.Write(jw.buf)
	jw.buf = jw.buf[:0]
	return err
}

// ruleHeads holds the JSON a result starts with, from the separating comma
// to the name of resource_type, for the current rule and each status.
// Results come rule by rule, so one rule at a time is enough.
type ruleHeads struct {
	rule     *rules.Rule
	byStatus [rules.NotAvailable + 1][]byte // indexed by status; [0], no verdict (a rule's bug), says Status(0)
}

func (h *ruleHeads) get(r *rules.Result) []byte {
	if r.Rule != h.rule {
		h.rule = r.Rule
		for st := range h.byStatus {
			h.byStatus[st] = appendRuleHead(h.byStatus[st][:0], r.Rule, rules.Status(st))
		}
	}
	return h.byStatus[r.Status]
}

func appendRuleHead(b []byte, r *rules.Rule, st rules.Status) []byte {
	b = append(b, ",\n  {\"rule_id\": "...)
	b = appendJSONString(b, r.ID)
	b = append(b, `, "title": `...)
	b = appendJSONString(b, r.Title)
	b = append(b, `, "severity": `...)
	b = appendJSONString(b, r.Severity.String())
	b = append(b, `, "status": `...)
	b = appendJSONString(b, st.String())
	return append(b, `, "resource_type": `...)
}

// rowFields writes the fields a result takes from its row (resource_type's
// value, resource_id and user) up to the reason's opening quote. Whether a
// row's user name and ARN can be written as they are (jsonPlain, true of
// every name IAM allows) is checked once per run, at the row's first
// result; then a result's row fields are a few appends.
type rowFields struct {
	entries []*credreport.Entry
	plain   []rowPlain
	next    int // where the next result's row most likely is
}

// rowPlain says whether a row's user name and ARN are plain JSON text.
type rowPlain uint8

const (
	plainUnknown rowPlain = iota
	plainYes
	plainNo
)

func newRowFields(rep *credreport.Report) *rowFields {
	return &rowFields{entries: rep.Entries, plain: make([]rowPlain, len(rep.Entries))}
}

// append appends r's row fields, escaping only what needs it.
func (f *rowFields) append(b []byte, r *rules.Result) []byte {
	e := r.Entry
	i := f.find(e)
	if i < 0 {
		return appendRowFields(b, r)
	}
	if f.plain[i] == plainUnknown {
		f.plain[i] = plainNo
		if jsonPlain(e.User) && jsonPlain(e.ARN) {
			f.plain[i] = plainYes
		}
	}
	if f.plain[i] == plainNo {
		return appendRowFields(b, r)
	}
	b = append(b, '"')
	b = append(b, r.ResourceType()...)
	b = append(b, `", "resource_id": "`...)
	b = append(b, r.ResourceID()...) // plain: the ARN, or AWS::::Account: and its 12 digits
	b = append(b, `", "user": "`...)
	b = append(b, e.User...)
	return append(b, `", "reason": "`...)
}

// find returns the index of e among the rows, or -1. Results come rule by
// rule in report order, so e is nearly always the row at the cursor; else
// the search goes on forward and then from the start, which for results in
// report order costs one pass over the rows per rule.
func (f *rowFields) find(e *credreport.Entry) int {
	if i := f.next; i < len(f.entries) && f.entries[i] == e {
		f.next++
		return i
	}
	i := slices.Index(f.entries[min(f.next, len(f.entries)):], e)
	if i >= 0 {
		i += f.next
	} else if i = slices.Index(f.entries, e); i < 0 {
		return -1
	}
	f.next = i + 1
	return i
}

func appendRowFields(b []byte, r *rules.Result) []byte {
	b = appendJSONString(b, r.ResourceType())
	b = append(b, `, "resource_id": `...)
	b = appendJSONString(b, r.ResourceID())
	b = append(b, `, "user": `...)
	b = appendJSONString(b, r.User())
	return append(b, `, "reason": "`...)
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendJSONText(b, s)
	return append(b, '"')
}

// appendJSONText appends s escaped as the inside of a JSON string: plain
// ASCII (nearly every value) as it is, anything else as encoding/json writes
// it.
func appendJSONText(b []byte, s string) []byte {
	if jsonPlain(s) {
		return append(b, s...)
	}
	q, _ := marshalJSON(s)
	return append(b, q[1:len(q)-1]...)
}

// jsonPlain reports whether s is printable ASCII without '"' or '\\', which
// a JSON string holds as it is. Reasons make up most of the 12 MB a large
// scan writes, so it tests eight bytes at a time, the last eight overlapping
// the word before rather than looping over a tail.
func jsonPlain(s string) bool {
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(s)-8; i += 8 {
		if !plain8(swar.Word(s, i)) {
			return false
		}
	}
	return plain8(swar.Word(s, len(s)-8))
}

// plain8 reports whether none of the eight bytes in x is below 0x20, at or
// above 0x80, '"' or '\\'. For a byte b, (b - k) &^ b has its top bit set when
// b < k (and b < 0x80); b ^ c is zero, so below 1, exactly when b == c. A
// borrow only crosses into the next byte from a byte that already matched, so
// the answer for the word is exact.
func plain8(x uint64) bool {
	const ones, tops = 0x0101010101010101, 0x8080808080808080
	quote, backslash := x^('"'*ones), x^('\\'*ones)
	return ((x-0x20*ones)&^x|(quote-ones)&^quote|(backslash-ones)&^backslash|x)&tops == 0
}

// scanCSV writes the scan CSV as results come: the header when made, a
// record per result as add gets it. end writes what is still buffered.
type scanCSV struct {
	cw *csv.Writer
}

func newScanCSV(w io.Writer) *scanCSV {
	sc := &scanCSV{cw: csv.NewWriter(bufio.NewWriterSize(w, outChunk))}
	sc.cw.Write([]string{"rule_id", "title", "severity", "status", "resource_type", "resource_id", "user", "reason", "suppressed", "suppression_reason"})
	return sc
}

// add writes a batch of results; a failed write is returned (by the first
// record after it, as the buffer fills).
func (sc *scanCSV) add(results []rules.Result) error {
	for i := range results {
		r := &results[i]
		rec := [...]string{r.Rule.ID, r.Rule.Title, r.Rule.Severity.String(), r.Status.String(), r.ResourceType(), r.ResourceID(), r.User(), r.Reason,
			strconv.FormatBool(r.Suppressed()), r.SuppressionReason()}
		for j, cell := range rec {
			rec[j] = spreadsheetSafe(cell)
		}
		if err := sc.cw.Write(rec[:]); err != nil {
			return err
		}
	}
	return nil
}

// spreadsheetSafe keeps a spreadsheet from reading a cell as a formula
// (OWASP's CSV injection): one that starts with = + - @, a tab or a carriage
// return gets a leading '. IAM user names may start with = + - or @
// (=A1, -2+3), and a custom rule's text with anything.
func spreadsheetSafe(cell string) string {
	if cell != "" && strings.IndexByte("=+-@\t\r", cell[0]) >= 0 {
		return "'" + cell
	}
	return cell
}

func (sc *scanCSV) end() error {
	sc.cw.Flush()
	return sc.cw.Error()
}

// ANSI colours per severity, used only on a terminal.
var sevColor = map[rules.Severity]string{
	rules.Critical: "\x1b[1;31m", rules.High: "\x1b[31m", rules.Medium: "\x1b[33m", rules.Low: "\x1b[36m", rules.Informational: "\x1b[2m",
}

const tableWidth = 80

// writeScanTable prints failing and not-available results grouped by
// severity (most severe first, failing before not available), then the
// suppressed ones, then a summary. Lines fit in 80 columns. The table is
// written in chunks as it is made: the `all` profile's over 5,000 users is
// 2 MB, which one growing buffer would copy some five times over.
func writeScanTable(w io.Writer, o *scanOutput) error {
	b := bufio.NewWriterSize(w, outChunk)
	rep := o.report.report
	paint := func(sev rules.Severity, s string) string {
		if !o.color {
			return s
		}
		return sevColor[sev] + s + "\x1b[0m"
	}
	generated := "Report time unknown (CSV)"
	if !rep.GeneratedTime.IsZero() {
		generated = "Report generated " + rep.GeneratedTime.Format(time.RFC3339Nano)
	}
	fmt.Fprintf(b, "Account %s · profile %s · %s\n", rep.AccountID, o.profile, audit.Nouns(len(o.selected), "rule"))
	// Both times to the fraction of a second they have, one line if it fits.
	evaluated := "evaluated as of " + o.report.asOf.Format(time.RFC3339Nano)
	if line := generated + " · " + evaluated; utf8.RuneCountInString(line) <= tableWidth {
		b.WriteString(line + "\n")
	} else {
		b.WriteString(generated + "\n" + strings.ToUpper(evaluated[:1]) + evaluated[1:] + "\n")
	}

	var suppressed []*rules.Result
	for sev := rules.Critical; sev >= rules.Informational; sev-- {
		var failed, notAvailable []*rules.Result
		for i := range o.results {
			r := &o.results[i]
			if r.Rule.Severity != sev || r.Suppressed() {
				continue
			}
			switch r.Status {
			case rules.Failed:
				failed = append(failed, r)
			case rules.NotAvailable:
				notAvailable = append(notAvailable, r)
			}
		}
		if len(failed)+len(notAvailable) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n%s\n", paint(sev, groupHeading(sev, len(failed), len(notAvailable))))
		for _, r := range append(failed, notAvailable...) {
			writeTableResult(b, r, "")
		}
	}
	for i := range o.results {
		if r := &o.results[i]; r.Suppressed() {
			suppressed = append(suppressed, r)
		}
	}
	if len(suppressed) > 0 {
		fmt.Fprintf(b, "\nSUPPRESSED (%d)\n", len(suppressed))
		for _, r := range suppressed {
			writeTableResult(b, r, "suppressed: "+r.SuppressionReason())
		}
	}
	for _, s := range o.outcomes {
		kind := s.Stale()
		if kind == "" {
			continue
		}
		kind = strings.ToUpper(kind[:1]) + kind[1:] // "Expired suppression …"
		// The source (a path) and the user (a glob or an ARN) stay whole.
		b.WriteByte('\n')
		f := folder{b: b, width: tableWidth, indent: "  "}
		for _, unit := range [...]string{kind, "suppression", "(" + s.Suppression.Source + "):", s.Suppression.RuleID, s.Suppression.User} {
			f.add(unit)
		}
		b.WriteByte('\n')
	}
	sum := o.summary()
	var sevs []string
	for sev := rules.Critical; sev >= rules.Informational; sev-- {
		if n := sum.FailedBySev[sev]; n > 0 {
			sevs = append(sevs, fmt.Sprintf("%d %s", n, strings.ToLower(sev.String())))
		}
	}
	line := fmt.Sprintf("%d failed", sum.Failed)
	if len(sevs) > 0 {
		line += " (" + strings.Join(sevs, ", ") + ")"
	}
	line += fmt.Sprintf(", %d not available, %d suppressed, %d passed", sum.NotAvailable, sum.Suppressed, sum.Passed)
	b.WriteByte('\n')
	writeWrapped(b, line, tableWidth, "")
	return b.Flush()
}

// groupHeading heads a severity's failing and not-available results with
// their counts, as the summary line counts them: "CRITICAL (2)", or, with
// results not decided, "CRITICAL (2 failed, 1 not available)", so that
// the heading's number is never read as more failures than there are.
func groupHeading(sev rules.Severity, failed, notAvailable int) string {
	switch {
	case notAvailable == 0:
		return fmt.Sprintf("%s (%d)", sev, failed)
	case failed == 0:
		return fmt.Sprintf("%s (%d not available)", sev, notAvailable)
	}
	return fmt.Sprintf("%s (%d failed, %d not available)", sev, failed, notAvailable)
}

// resultIndent is where a result's lines after the first start: under the
// user, past the rule ID's 8 columns.
const resultIndent = "           "

// writeTableResult writes a result's lines: the rule ID, padded to 8
// columns, and the user, with " [not available]" (each of the two on a line
// of its own, under the user's column, when it would pass the table's width);
// then the reason and the note, wrapped.
func writeTableResult(b *bufio.Writer, r *rules.Result, note string) {
	b.WriteString("  ")
	b.WriteString(r.Rule.ID)
	n := 2 + columns(r.Rule.ID)
	f := folder{b: b, width: tableWidth, indent: resultIndent, n: n, sep: max(len(resultIndent)-n, 1)}
	f.add(r.User())
	if r.Status == rules.NotAvailable {
		f.add("[not available]")
	}
	b.WriteByte('\n')
	writeWrapped(b, r.Reason, tableWidth, resultIndent)
	if note != "" {
		writeWrapped(b, note, tableWidth, resultIndent)
	}
}

// writeWrapped writes text's words to b in lines of at most width columns (a
// longer word has a line of its own), each starting with indent, and ends
// the last line.
func writeWrapped(b *bufio.Writer, text string, width int, indent string) {
	b.WriteString(indent)
	f := folder{b: b, width: width, indent: indent, n: columns(indent)}
	for word := range strings.FieldsSeq(text) {
		f.add(word)
	}
	b.WriteByte('\n')
}

// columns is how many terminal columns s takes: two for a character East
// Asian Width calls wide or fullwidth (CJK ideographs, Hangul, kana,
// fullwidth forms, most emoji), none for a combining mark, one for the rest.
// terminalSafe leaves no control or format character to count.
func columns(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf { // the common case: ASCII
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch k := width.LookupRune(r).Kind(); {
		case k == width.EastAsianWide || k == width.EastAsianFullwidth:
			n += 2
		case !unicode.In(r, unicode.Mn, unicode.Me):
			n++
		}
		i += size
	}
	return n
}

// folder writes units (words, names, paths: each kept whole) to b, a space
// apart, in lines of at most width columns (see columns). A unit that would
// pass the width goes to a new line, which starts with indent; a unit longer
// than that has a line of its own.
type folder struct {
	b      *bufio.Writer
	width  int
	indent string // the start of each new line
	n      int    // columns taken on the current line
	sep    int    // spaces before the next unit on the current line; 0 while it holds none, only its start
}

func (f *folder) add(unit string) {
	unit = terminalSafe(unit)
	w := columns(unit)
	if f.sep > 0 && f.n+f.sep+w > f.width {
		f.b.WriteByte('\n')
		f.b.WriteString(f.indent)
		f.n, f.sep = columns(f.indent), 0
	}
	for range f.sep {
		f.b.WriteByte(' ')
	}
	f.b.WriteString(unit)
	f.n += f.sep + w
	f.sep = 1
}

// scanSARIF writes SARIF 2.1.0 as results come: one run, the selected rules
// as reportingDescriptors, one result per failing (or suppressed failing)
// resource, located at the row of the report it came from. The document is
// the one encoding/json writes for it, keys in order, indented: its frame,
// marshalled with no results, goes round the results, each appended as
// encoding/json writes it, so that a large account's are never all held
// (400,000 for 50,000 users).
type scanSARIF struct {
	jw      jsonWriter
	tail    []byte // the frame after the results
	uri     []byte // the artifact's URI, as a JSON string
	account string
	key     []byte // what a result's fingerprint hashes: account/rule/resource
	index   map[*rules.Rule]int
	line    int  // the line every result is on (a JSON report's Content), 0 for each row's own
	written bool // a result was written
}

// sarifResults is where the frame's results go, at the depth of a run's
// members (runs, a run, its members: three levels of two spaces).
const sarifResults = "\n      \"results\": []"

func newScanSARIF(w io.Writer, o *scanOutput) (*scanSARIF, error) {
	index := make(map[*rules.Rule]int, len(o.selected))
	for i, s := range o.selected {
		index[s.Rule] = i
	}
	doc, err := encodeJSON(sarifFrame(o), "  ")
	if err != nil {
		return nil, err
	}
	at := bytes.Index(doc, []byte(sarifResults))
	if at < 0 {
		return nil, errors.New("sarif: the frame has no results") // cannot happen: the frame is ours
	}
	at += len(sarifResults) - len("]")
	return &scanSARIF{
		jw: jsonWriter{w: w, buf: append(make([]byte, 0, outChunk), doc[:at]...)}, tail: doc[at:],
		uri: appendJSONString(nil, sarifURI(o)), account: o.report.report.AccountID, index: index, line: o.report.contentLine,
	}, nil
}

// sarifURI is the artifact the results are located in, the report file, as
// the URI reference SARIF 2.1.0 requires (a path with a space, "#" or "%" is
// not one). A relative path is percent-encoded as a relative reference,
// which code scanning (GitHub's among them) reads from the repository root;
// an absolute one, which no root resolves, is a file URI.
func sarifURI(o *scanOutput) string {
	if o.source == "" || o.source == "-" {
		return "credential-report.csv"
	}
	p := filepath.ToSlash(o.source)
	if !filepath.IsAbs(o.source) {
		return (&url.URL{Path: p}).String() // "./a:b.csv" for "a:b.csv", which would read as a scheme
	}
	return fileURI(p)
}

// fileURI is the file URI of the absolute, slash-separated path p: a Unix
// path, or a Windows one that starts with its drive (file:///C:/…).
func fileURI(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// maxSARIFTags is the most tags of a rule GitHub code scanning keeps.
const maxSARIFTags = 10

// sarifFrame is o's SARIF document without results (an empty array at
// runs[0].results).
func sarifFrame(o *scanOutput) map[string]any {
	type obj = map[string]any
	descriptors := make([]obj, 0, len(o.selected))
	for _, s := range o.selected {
		r := s.Rule
		// GitHub code scanning keeps 10 tags of a rule, and warns of the
		// rest on every upload: the first requirements (CIS first) are
		// tags, and all of them a property of their own.
		reqs := rules.RelatedRequirements(r)
		tags := append([]string{"security"}, reqs[:min(len(reqs), maxSARIFTags-1)]...)
		props := obj{"tags": tags, "security-severity": sarifScore(r.Severity), "severity": r.Severity.String()}
		if len(reqs) > 0 {
			props["related_requirements"] = reqs
		}
		d := obj{
			"id":                   r.ID,
			"name":                 sarifName(r.Title, r.ID),
			"shortDescription":     obj{"text": r.Title},
			"fullDescription":      obj{"text": r.Description},
			"help":                 obj{"text": r.Remediation},
			"defaultConfiguration": obj{"level": sarifLevel(r.Severity)},
			"properties":           props,
		}
		if r.URL != "" {
			d["helpUri"] = r.URL
		}
		descriptors = append(descriptors, d)
	}
	return obj{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []obj{{
			"tool": obj{"driver": obj{
				"name":           "credaudit",
				"version":        version(),
				"informationUri": "https://github.com/credaudit/credaudit",
				"rules":          descriptors,
			}},
			"results": []obj{},
			"properties": obj{
				"account_id": o.report.report.AccountID, "as_of": o.report.asOf.Format(time.RFC3339Nano), "profile": o.profile,
			},
		}},
	}
}

// add writes the failing results of a batch, each as encoding/json writes
// it in the document (keys in order, indented at its depth), by appends: a
// 5,000-user scan has 35,000 of them.
func (ss *scanSARIF) add(results []rules.Result) error {
	for i := range results {
		r := &results[i]
		if r.Status != rules.Failed {
			continue
		}
		b := ss.jw.buf
		if ss.written {
			b = append(b, ',')
		}
		b = append(b, "\n        {\n          \"level\": \""...)
		b = append(b, sarifLevel(r.Rule.Severity)...)
		b = append(b, "\",\n          \"locations\": [\n            {\n              \"logicalLocations\": [\n                {\n                  \"fullyQualifiedName\": "...)
		b = appendJSONString(b, r.ResourceID())
		b = append(b, ",\n                  \"kind\": \"resource\",\n                  \"name\": "...)
		b = appendJSONString(b, r.User())
		b = append(b, "\n                }\n              ],\n              \"physicalLocation\": {\n                \"artifactLocation\": {\n                  \"uri\": "...)
		b = append(b, ss.uri...)
		b = append(b, "\n                },\n                \"region\": {\n                  \"startLine\": "...)
		line := r.Entry.Line
		if ss.line > 0 {
			line = ss.line
		}
		b = strconv.AppendInt(b, int64(max(line, 1)), 10)
		b = append(b, "\n                }\n              }\n            }\n          ],\n          \"message\": {\n            \"text\": "...)
		b = appendJSONString(b, r.Reason)
		b = append(b, "\n          },\n          \"partialFingerprints\": {\n            \"credaudit/v1\": \""...)
		ss.key = append(append(append(append(ss.key[:0], ss.account...), '/'), r.Rule.ID...), '/')
		ss.key = append(ss.key, r.ResourceID()...)
		sum := sha256.Sum256(ss.key)
		b = hex.AppendEncode(b, sum[:16])
		b = append(b, "\"\n          },\n          \"ruleId\": "...)
		b = appendJSONString(b, r.Rule.ID)
		b = append(b, ",\n          \"ruleIndex\": "...)
		b = strconv.AppendInt(b, int64(ss.index[r.Rule]), 10)
		if r.Suppressed() {
			b = append(b, ",\n          \"suppressions\": [\n            {\n              \"justification\": "...)
			b = appendJSONString(b, r.SuppressionReason())
			b = append(b, ",\n              \"kind\": \"external\"\n            }\n          ]"...)
		}
		ss.jw.buf, ss.written = append(b, "\n        }"...), true
		if err := ss.jw.flushFull(); err != nil {
			return err
		}
	}
	return nil
}

// GitHub code scanning's limits on the results of a SARIF run: it rejects an
// upload with more than sarifRejected and shows the sarifShown most severe
// (docs.github.com, "SARIF results exceed limit").
const (
	sarifShown    = 5000
	sarifRejected = 25000
)

// sarifLimitNote says what GitHub code scanning would do with a SARIF run of
// the counted results (every failing one, suppressed or not, and no
// NOT_AVAILABLE one, suppressed or not), when it would not take them all:
// "" for a run within its limits.
func sarifLimitNote(t *tally) string {
	n := t.failed + t.suppressedFailed
	switch {
	case n > sarifRejected:
		return fmt.Sprintf("the SARIF has %d results; GitHub code scanning rejects a run of more than %d (narrow it with --profile or the configuration's rules)", n, sarifRejected)
	case n > sarifShown:
		return fmt.Sprintf("the SARIF has %d results; GitHub code scanning shows only the %d most severe of a run", n, sarifShown)
	}
	return ""
}

// end writes the rest of the document.
func (ss *scanSARIF) end() error {
	if ss.written {
		ss.jw.buf = append(ss.jw.buf, "\n      "...)
	}
	ss.jw.buf = append(ss.jw.buf, ss.tail...)
	return ss.jw.flush()
}

func sarifLevel(s rules.Severity) string {
	switch {
	case s >= rules.High:
		return "error"
	case s == rules.Medium:
		return "warning"
	}
	return "note"
}

// sarifScore is GitHub's security-severity (CVSS-like 0–10) for a severity.
func sarifScore(s rules.Severity) string {
	return [...]string{"0.0", "3.0", "5.5", "8.0", "9.5"}[s]
}

// sarifName turns a rule's title into the PascalCase name SARIF viewers
// show, of its letters (with their marks) and digits in any script; a
// title with none (a
// custom rule's may be all symbols) gives the rule's ID.
func sarifName(title, id string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) }) {
		first, size := utf8.DecodeRuneInString(w)
		b.WriteRune(unicode.ToUpper(first))
		b.WriteString(w[size:])
	}
	if b.Len() == 0 {
		return id
	}
	return b.String()
}
