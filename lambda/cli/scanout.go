package cli

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

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
}

var scanWriters = map[string]func(io.Writer, *scanOutput) error{
	"table": writeScanTable,
	"json":  writeScanJSON,
	"csv":   writeScanCSV,
	"sarif": writeScanSARIF,
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
	Rules        int            `json:"rules"`
	Results      int            `json:"results"`
	Passed       int            `json:"passed"`
	Failed       int            `json:"failed"` // unsuppressed
	NotAvailable int            `json:"not_available"`
	Suppressed   int            `json:"suppressed"`
	FailedBySev  map[string]int `json:"failed_by_severity"` // unsuppressed, every severity present
}

type suppressionJSON struct {
	Rule    string `json:"rule"`
	User    string `json:"user"`
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"`
	Source  string `json:"source"`
	Expired bool   `json:"expired"`
	Matched int    `json:"matched"`
}

func (o *scanOutput) summary() summaryJSON {
	s := summaryJSON{Rules: len(o.selected), Results: len(o.results), FailedBySev: map[string]int{}}
	for sev := rules.Informational; sev <= rules.Critical; sev++ {
		s.FailedBySev[sev.String()] = 0
	}
	for _, r := range o.results {
		switch {
		case r.Suppressed():
			s.Suppressed++
		case r.Status == rules.Passed:
			s.Passed++
		case r.Status == rules.Failed:
			s.Failed++
			s.FailedBySev[r.Rule.Severity.String()]++
		default:
			s.NotAvailable++
		}
	}
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
			Source: s.Suppression.Source, Expired: s.Expired, Matched: s.Matched}
		if !s.Suppression.Expires.IsZero() {
			j.Expires = s.Suppression.Expires.Format(time.RFC3339)
		}
		t.Suppressions = append(t.Suppressions, j)
	}
	return t
}

// writeScanJSON streams the scan JSON: a 5,000-user account yields some
// 100,000 results, so results are written one compact object per line
// without reflection; the rest goes through encoding/json.
func writeScanJSON(w io.Writer, o *scanOutput) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	head, err := marshalJSON(o.head())
	if err != nil {
		return err
	}
	bw.Write(head[:len(head)-1]) // without the closing brace
	bw.WriteString(`,"results":[`)
	buf := make([]byte, 0, 512)
	for i := range o.results {
		r := &o.results[i]
		buf = buf[:0]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n  {\"rule_id\": "...)
		buf = appendJSONString(buf, r.Rule.ID)
		buf = append(buf, ", \"title\": "...)
		buf = appendJSONString(buf, r.Rule.Title)
		buf = append(buf, ", \"severity\": \""...)
		buf = append(buf, r.Rule.Severity.String()...)
		buf = append(buf, "\", \"status\": \""...)
		buf = append(buf, r.Status...)
		buf = append(buf, "\", \"resource_type\": \""...)
		buf = append(buf, r.ResourceType()...)
		buf = append(buf, "\", \"resource_id\": "...)
		buf = appendJSONString(buf, r.ResourceID)
		buf = append(buf, ", \"user\": "...)
		buf = appendJSONString(buf, r.User())
		buf = append(buf, ", \"reason\": "...)
		buf = appendJSONString(buf, r.Reason)
		buf = append(buf, ", \"suppressed\": "...)
		buf = strconv.AppendBool(buf, r.Suppressed())
		buf = append(buf, ", \"suppression_reason\": "...)
		buf = appendJSONString(buf, r.SuppressionReason())
		buf = append(buf, '}')
		bw.Write(buf)
	}
	if len(o.results) > 0 {
		bw.WriteString("\n")
	}
	tail, err := marshalJSON(o.tail())
	if err != nil {
		return err
	}
	bw.WriteString("],")
	bw.Write(tail[1:])
	bw.WriteString("\n")
	return bw.Flush()
}

// appendJSONString appends s as a JSON string; plain ASCII (nearly every
// value) is copied as is, anything else goes through encoding/json.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 || c == '<' || c == '>' || c == '&' {
			q, _ := marshalJSON(s)
			return append(buf, q...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

func writeScanCSV(w io.Writer, o *scanOutput) error {
	cw := csv.NewWriter(bufio.NewWriterSize(w, 64<<10))
	cw.Write([]string{"rule_id", "title", "severity", "status", "resource_type", "resource_id", "user", "reason", "suppressed", "suppression_reason"})
	for _, r := range o.results {
		cw.Write([]string{r.Rule.ID, r.Rule.Title, r.Rule.Severity.String(), string(r.Status), r.ResourceType(), r.ResourceID, r.User(), r.Reason,
			strconv.FormatBool(r.Suppressed()), r.SuppressionReason()})
	}
	cw.Flush()
	return cw.Error()
}

// ANSI colours per severity, used only on a terminal.
var sevColor = map[rules.Severity]string{
	rules.Critical: "\x1b[1;31m", rules.High: "\x1b[31m", rules.Medium: "\x1b[33m", rules.Low: "\x1b[36m", rules.Informational: "\x1b[2m",
}

const tableWidth = 80

// writeScanTable prints failing and not-available results grouped by
// severity (most severe first, failing before not available), then the
// suppressed ones, then a summary. Lines fit in 80 columns.
func writeScanTable(w io.Writer, o *scanOutput) error {
	var b strings.Builder
	rep := o.report.report
	paint := func(sev rules.Severity, s string) string {
		if !o.color {
			return s
		}
		return sevColor[sev] + s + "\x1b[0m"
	}
	generated := "unknown"
	if !rep.GeneratedTime.IsZero() {
		generated = rep.GeneratedTime.Format(time.RFC3339)
	}
	fmt.Fprintf(&b, "Account %s · profile %s · %d rules\n", rep.AccountID, o.profile, len(o.selected))
	fmt.Fprintf(&b, "Report generated %s · evaluated as of %s\n", generated, o.report.asOf.Format(time.RFC3339))

	var suppressed []rules.Result
	for sev := rules.Critical; sev >= rules.Informational; sev-- {
		var group []rules.Result
		for _, status := range []rules.Status{rules.Failed, rules.NotAvailable} {
			for _, r := range o.results {
				if r.Rule.Severity == sev && r.Status == status && !r.Suppressed() {
					group = append(group, r)
				}
			}
		}
		if len(group) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s\n", paint(sev, fmt.Sprintf("%s (%d)", sev, len(group))))
		for _, r := range group {
			writeTableResult(&b, r, "")
		}
	}
	for _, r := range o.results {
		if r.Suppressed() {
			suppressed = append(suppressed, r)
		}
	}
	if len(suppressed) > 0 {
		fmt.Fprintf(&b, "\nSUPPRESSED (%d)\n", len(suppressed))
		for _, r := range suppressed {
			writeTableResult(&b, r, "suppressed: "+r.SuppressionReason())
		}
	}
	for _, s := range o.outcomes {
		switch {
		case s.Expired:
			fmt.Fprintf(&b, "\nExpired suppression (%s): %s %s\n", s.Suppression.Source, s.Suppression.RuleID, s.Suppression.User)
		case s.Matched == 0:
			fmt.Fprintf(&b, "\nUnused suppression (%s): %s %s\n", s.Suppression.Source, s.Suppression.RuleID, s.Suppression.User)
		}
	}
	sum := o.summary()
	var sevs []string
	for sev := rules.Critical; sev >= rules.Informational; sev-- {
		if n := sum.FailedBySev[sev.String()]; n > 0 {
			sevs = append(sevs, fmt.Sprintf("%d %s", n, strings.ToLower(sev.String())))
		}
	}
	line := fmt.Sprintf("%d failed", sum.Failed)
	if len(sevs) > 0 {
		line += " (" + strings.Join(sevs, ", ") + ")"
	}
	line += fmt.Sprintf(", %d not available, %d suppressed, %d passed", sum.NotAvailable, sum.Suppressed, sum.Passed)
	b.WriteString("\n" + wrap(line, tableWidth, "") + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTableResult(b *strings.Builder, r rules.Result, note string) {
	status := ""
	if r.Status == rules.NotAvailable {
		status = " [not available]"
	}
	fmt.Fprintf(b, "  %-8s %s%s\n", r.Rule.ID, r.User(), status)
	b.WriteString(wrap(r.Reason, tableWidth, "           ") + "\n")
	if note != "" {
		b.WriteString(wrap(note, tableWidth, "           ") + "\n")
	}
}

// wrap breaks text into lines of at most width runes, each starting with indent.
func wrap(text string, width int, indent string) string {
	var lines []string
	line := indent
	for _, word := range strings.Fields(text) {
		if len([]rune(line)) > len(indent) && len([]rune(line))+1+len([]rune(word)) > width {
			lines = append(lines, line)
			line = indent
		}
		if len([]rune(line)) > len(indent) {
			line += " "
		}
		line += word
	}
	lines = append(lines, line)
	return strings.Join(lines, "\n")
}

// SARIF 2.1.0: one run, the selected rules as reportingDescriptors, one result
// per failing (or suppressed failing) resource, located at the row of the
// report it came from.
func writeScanSARIF(w io.Writer, o *scanOutput) error {
	rep := o.report.report
	uri := o.source
	if uri == "" || uri == "-" {
		uri = "credential-report.csv"
	}
	lineOf := make(map[string]int, len(rep.Entries))
	for _, e := range rep.Entries {
		lineOf[e.ARN] = e.Line
	}
	type obj = map[string]any
	var descriptors []obj
	index := map[string]int{}
	for i, s := range o.selected {
		r := s.Rule
		index[r.ID] = i
		tags := []string{"security"}
		tags = append(tags, rules.RelatedRequirements(r)...)
		d := obj{
			"id":                   r.ID,
			"name":                 sarifName(r.Title),
			"shortDescription":     obj{"text": r.Title},
			"fullDescription":      obj{"text": r.Description},
			"help":                 obj{"text": r.Remediation},
			"defaultConfiguration": obj{"level": sarifLevel(r.Severity)},
			"properties":           obj{"tags": tags, "security-severity": sarifScore(r.Severity), "severity": r.Severity.String()},
		}
		if r.URL != "" {
			d["helpUri"] = r.URL
		}
		descriptors = append(descriptors, d)
	}
	results := []obj{}
	for _, r := range o.results {
		if r.Status != rules.Failed {
			continue
		}
		sum := sha256.Sum256([]byte(rep.AccountID + "/" + r.Rule.ID + "/" + r.ResourceID))
		res := obj{
			"ruleId":    r.Rule.ID,
			"ruleIndex": index[r.Rule.ID],
			"level":     sarifLevel(r.Rule.Severity),
			"message":   obj{"text": r.Reason},
			"locations": []obj{{
				"physicalLocation": obj{
					"artifactLocation": obj{"uri": uri},
					"region":           obj{"startLine": max(lineOf[r.ARN()], 1)},
				},
				"logicalLocations": []obj{{"name": r.User(), "fullyQualifiedName": r.ResourceID, "kind": "resource"}},
			}},
			"partialFingerprints": obj{"credaudit/v1": hex.EncodeToString(sum[:16])},
		}
		if r.Suppressed() {
			res["suppressions"] = []obj{{"kind": "external", "justification": r.SuppressionReason()}}
		}
		results = append(results, res)
	}
	doc := obj{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []obj{{
			"tool": obj{"driver": obj{
				"name":           "credaudit",
				"version":        Version,
				"informationUri": "https://github.com/credaudit/credaudit",
				"rules":          descriptors,
			}},
			"results": results,
			"properties": obj{
				"account_id": rep.AccountID, "as_of": o.report.asOf.Format(time.RFC3339), "profile": o.profile,
			},
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
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

// sarifName turns a title into the PascalCase name SARIF viewers show.
func sarifName(title string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}
