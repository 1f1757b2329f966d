package cli

// A property test of credaudit scan's outputs and exit code. Each run of a
// generated report (0 to 300 users, sentinels, unusual names, a generated
// configuration with custom rules and suppressions, some expired or unused)
// goes through Run in every --format, under several --profile values and
// --fail-on at each severity in mixed case and none, and each output is
// checked against what the docs promise:
//
//	S1 issue 3 §4, README "Scan JSON": the JSON has exactly the keys
//	   account_id, generated_at, as_of, profile, results, summary,
//	   suppressions; a result exactly rule_id, title, severity, status,
//	   resource_type, resource_id, user, reason, suppressed,
//	   suppression_reason, strings but for suppressed (a boolean); status
//	   is PASSED, FAILED or NOT_AVAILABLE. generated_at is null for a bare
//	   CSV. profile is --profile, else the configuration's, else recommended.
//	S2 issue 3 §1, README: every rule yields exactly one result per resource
//	   it covers: root rules the account (AwsAccount, AWS::::Account:<id>,
//	   user <root_account>), even when the report has no root row (then
//	   NOT_AVAILABLE); user rules every IAM user (its ARN), never root; a
//	   custom rule the rows its where selects (default: every user, not
//	   root), with "assert … holds" or "does not hold". Results come rule
//	   by rule in the selection's order, rows in report order.
//	S3 README "Scan JSON": summary.rules is the number of rules evaluated;
//	   results = passed + failed + not_available + suppressed; failed and
//	   failed_by_severity (every severity present) count unsuppressed
//	   failures. Suppressions mute failing results and cover NOT_AVAILABLE
//	   ones, never passing ones (the example configuration); the first
//	   unexpired matching suppression mutes (its reason is
//	   suppression_reason); matched counts the failing results it muted,
//	   not_available the unseen ones it covers, shadowed the failing ones it
//	   matched behind an earlier one; expired ones (as-of not before the
//	   expiry) mute nothing.
//	   Every configured suppression is listed, in order, with its source.
//	S4 README: the CSV has the JSON's result fields as its header, LF line
//	   ends, the JSON's results in order with the same values, a cell
//	   starting with = + - @ prefixed with '.
//	S5 issue 3 §4, README: the table groups by severity, most severe first,
//	   failing before not available, each heading counting its failing
//	   and its not-available results apart; then the suppressed results; passed
//	   results are only counted, in the summary line; expired, unused and
//	   shadowed suppressions are listed; every line fits 80 columns (a wide
//	   character counts two) unless it is a single word; no escape sequence
//	   off a terminal.
//	S6 README: the SARIF holds the failing results, suppressed ones marked,
//	   each at its row of the report (the Content line of a JSON report
//	   file; for stdin, the artifact credential-report.csv, the CSV's row);
//	   its rules are the rules evaluated.
//	S7 README: the ASFF is exactly the findings a first run would import:
//	   one per failing result, suppressed ones too, marked by their reason
//	   (credaudit/SuppressionReason; the workflow status is the customer's
//	   field, which BatchImportFindings does not set: publish/doc.go).
//	S8 issue 3 §4, README "Exit codes": 0 when no unsuppressed failing
//	   result is at or above --fail-on (any case; default never), 1 when
//	   one is; 2 for bad usage, with nothing on stdout, and for a custom
//	   rule failing at run time (on the last user), with nothing written
//	   in any format; never a stack trace. Expired, unused and shadowed
//	   suppressions are said on stderr. Off a terminal the default format
//	   is json.
//
// The reports and configurations come from a fixed PCG seed; a failure
// prints the seed, the arguments, the configuration and the output.

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/width"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/rules"
)

var spSeverities = []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

func spSevRank(s string) int { return slices.Index(spSeverities, s) }

// spRow is a generated row of the report.
type spRow struct {
	user, arn string
	root      bool
	cells     []string // in credreporttest.Header's order
}

// spSup is a generated suppression and what the model makes of it.
type spSup struct {
	rule, user, reason string
	expires            time.Time // zero: none
	source             string
}

// spCustom is a generated custom rule with its model.
type spCustom struct {
	id, title, severity string
	where, assert       string
	covers, holds       func(r *spRow) bool
}

// spCase is one generated scan: a report, a configuration, the flags.
type spCase struct {
	seed      int
	account   string
	partition string
	rows      []spRow
	asOf      time.Time
	header    []string
	bom       bool // a UTF-8 BOM, blank lines before the header, CRLF line ends
	blank     bool
	crlf      bool
	asJSON    bool      // the CLI's get-credential-report JSON, dated by GeneratedTime
	generated time.Time // its GeneratedTime
	asOfFlag  bool      // --as-of given (always for a bare CSV)
	stdin     bool
	cfgText   string
	cfgPath   string
	cfgProf   string // the configuration's profile, "" for none
	profile   string // --profile, "" for none
	sups      []spSup
	customs   []spCustom
	reportArg string
}

func (c *spCase) csvText() string {
	rows := make([][]string, len(c.rows))
	for i := range c.rows {
		rows[i] = c.rows[i].cells
	}
	return reportCSV(c.header, rows, c.bom, c.blank, c.crlf, false)
}

// firstLine is the line of the CSV its first row starts on (after the
// header, and the blank lines before it).
func (c *spCase) firstLine() int {
	if c.blank {
		return 4
	}
	return 2
}

func (c *spCase) input() string {
	if !c.asJSON {
		return c.csvText()
	}
	return cliReportJSON(c.csvText(), c.generated.Format(time.RFC3339))
}

// spNames are hostile user names: IAM's characters (\w+=,.@-), 64 of them,
// ones a spreadsheet would read as formulas, and names IAM does not write
// but the report parser takes.
var spNames = []string{"=A1", "-2+3", "+sum", "@ops", "a,b", "svc.deploy", "alice", "Bob", "x", "ci_deploy", "ci-deploy",
	"first.last@example.com", "svc-reporting", "svc-backup", "管理者", "né", "dev_ZZ", "root", "user=1"}

const spNameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-"

func spGenerate(seed int, dir string) *spCase {
	rng := rand.New(rand.NewPCG(20261120, uint64(seed)))
	g := &qdGen{rng: rng, r: &qdReport{}}
	c := &spCase{seed: seed}
	c.partition = g.pick([]string{"aws", "aws", "aws", "aws-us-gov", "aws-cn"})
	c.account = fmt.Sprintf("%012d", rng.Int64N(1e12))
	c.asOf = time.Date(2016+rng.IntN(12), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), 0, 0, time.UTC)
	g.r.asOf = c.asOf
	c.asJSON = g.chance(5)
	c.generated, c.asOfFlag = c.asOf, true
	if c.asJSON {
		c.asOfFlag = g.chance(2)
		if c.asOfFlag {
			c.generated = c.asOf.Add(-time.Duration(rng.IntN(100*24)) * time.Hour)
		}
	}
	c.stdin = g.chance(4)
	var n int
	switch rng.IntN(10) {
	case 0:
		n = 0
	case 1, 2:
		n = 150 + rng.IntN(151)
	default:
		n = 1 + rng.IntN(40)
	}
	if seed == 7 { // past minSplitUsers twice over: evaluated by several workers
		n = 2*1024 + 1 + rng.IntN(100)
	}
	root := -1
	if n == 0 || !g.chance(6) { // a report has a row at least

		root = 0
		if g.chance(5) {
			root = rng.IntN(n + 1)
		}
	}
	header := strings.Split(credreporttest.Header, ",")
	if g.chance(3) { // a column IAM may add, multi-line cells in it
		header = append(header, "note")
	}
	c.header, c.bom, c.blank, c.crlf = header, g.chance(5), g.chance(5), g.chance(3)
	seen := map[string]bool{}
	for i := range n + 1 {
		var r spRow
		if i == root {
			r = spRow{user: "<root_account>", arn: "arn:" + c.partition + ":iam::" + c.account + ":root", root: true}
		} else if i == n {
			continue // the slot for root at the end
		} else {
			var name string
			for {
				switch rng.IntN(5) {
				case 0:
					name = g.pick(spNames)
				case 1:
					b := make([]byte, 64)
					for j := range b {
						b[j] = spNameChars[rng.IntN(len(spNameChars))]
					}
					name = string(b)
				default:
					b := make([]byte, 1+rng.IntN(14))
					for j := range b {
						b[j] = spNameChars[rng.IntN(len(spNameChars))]
					}
					name = string(b)
				}
				if !seen[strings.ToLower(name)] {
					seen[strings.ToLower(name)] = true
					break
				}
			}
			path := g.pick([]string{"/", "/", "/dev/", "/a.b/c/", "/" + strings.Repeat("p", 60) + "/"})
			r = spRow{user: name, arn: "arn:" + c.partition + ":iam::" + c.account + ":user" + path + name}
		}
		for _, col := range header {
			var cell string
			switch col {
			case "user":
				cell = r.user
			case "arn":
				cell = r.arn
			default:
				switch qdKindOf(col) {
				case qdBool:
					cell = strings.ToLower(g.boolCell())
					if !g.chance(8) && !strings.Contains(cell, "_") && cell != "n/a" {
						break
					}
					cell = g.pick([]string{"true", "false", "false", "N/A"})
				case qdTime:
					cell = g.timeCell()
					if !qdSentinel(cell) && !g.chance(4) { // mostly IAM's own form
						tm, _ := time.Parse(time.RFC3339Nano, cell)
						if y := tm.UTC().Year(); y >= 2006 && y <= 9999 {
							cell = tm.UTC().Format(credreporttest.TimeLayout)
						}
					}
				case qdNullText:
					cell = g.regionCell(col)
				default:
					cell = g.pick([]string{"", "two\nlines", "=A1", "three\nline\ncell", "\"quoted\", comma"})
				}
			}
			if r.root && (col == "password_enabled" || col == "password_last_changed" || col == "password_next_rotation") {
				cell = "not_supported"
			}
			r.cells = append(r.cells, cell)
		}
		c.rows = append(c.rows, r)
	}
	c.genConfig(g, dir)
	return c
}

func (c *spCase) users() []*spRow {
	var us []*spRow
	for i := range c.rows {
		if !c.rows[i].root {
			us = append(us, &c.rows[i])
		}
	}
	return us
}

// genConfig writes a configuration (or none) and records its model.
func (c *spCase) genConfig(g *qdGen, dir string) {
	rng := g.rng
	if g.chance(5) {
		c.profile = g.pick(rules.ProfileNames())
		return
	}
	var b strings.Builder
	line := 1
	w := func(s string) {
		b.WriteString(s)
		line += strings.Count(s, "\n")
	}
	if g.chance(2) {
		c.cfgProf = g.pick(rules.ProfileNames())
		w("profile: " + c.cfgProf + "\n")
	}
	switch rng.IntN(8) {
	case 0, 1, 2, 3:
		w("rules:\n  KEY-02:\n    enabled: " + g.pick([]string{"true", "false"}) + "\n  CRED-01:\n    days: 60\n  USER-05:\n    enabled: true\n")
	case 4: // every built-in rule off: only custom rules, or none at all
		w("rules:\n")
		for _, r := range rules.Catalog() {
			w("  " + r.ID + ":\n    enabled: false\n")
		}
	}
	nc := rng.IntN(4)
	if len(c.rows) > 2048 {
		nc = 0 // a custom rule makes a run evaluate in one pass
	}
	if nc > 0 {
		w("custom_rules:\n")
	}
	type cond struct {
		expr string
		f    func(r *spRow) bool
	}
	wheres := []cond{
		{"", func(r *spRow) bool { return !r.root }},
		{"is_root", func(r *spRow) bool { return r.root }},
		{"true", func(r *spRow) bool { return true }},
		{`arn.contains(":user/dev/")`, func(r *spRow) bool { return strings.Contains(r.arn, ":user/dev/") }},
		{`user.startsWith("svc")`, func(r *spRow) bool { return strings.HasPrefix(r.user, "svc") }},
	}
	asserts := []cond{
		{"true", func(r *spRow) bool { return true }},
		{"false", func(r *spRow) bool { return false }},
		{`user.size() < 10`, func(r *spRow) bool { return len([]rune(r.user)) < 10 }},
		{`!arn.contains("/a.b/")`, func(r *spRow) bool { return !strings.Contains(r.arn, "/a.b/") }},
		{`user == "管理者の確認が必要なユーザーアカウント"`, func(r *spRow) bool { return r.user == "管理者の確認が必要なユーザーアカウント" }},
		{`user != "a\\b\"c" && user != "\x1b[31mred\t\u2028é🔐"`, func(r *spRow) bool { return true }},
		{`user == "\x1b[31mred\t\u2028é🔐 ` + strings.Repeat("長い", 50) + `"`, func(r *spRow) bool { return false }},
	}
	titles := []string{"Tab\there, and a line\u2028break", "\u00a0leading no-break space", "Service users have no console password", "=cmd|' /C calc'!A0", "管理者はMFAを使用する 🔐", "-leading dash", "A title, with \"quotes\""}
	for i := range nc {
		id := fmt.Sprintf("ORG-%02d", i+1)
		if g.chance(4) {
			id = "ORG-" + strings.Repeat("X", 60)[:56+i]
		}
		wh, as := wheres[rng.IntN(len(wheres))], asserts[rng.IntN(len(asserts))]
		sev := spSeverities[rng.IntN(5)]
		sevText := []string{strings.ToLower(sev), sev, strings.ToUpper(sev[:1]) + strings.ToLower(sev[1:])}[rng.IntN(3)]
		cu := spCustom{id: id, title: g.pick(titles), severity: sev, where: wh.expr, assert: as.expr, covers: wh.f, holds: as.f}
		w("  - id: " + id + "\n")
		w("    title: " + yamlQuote(cu.title) + "\n")
		w("    severity: " + sevText + "\n")
		w("    remediation: Fix it.\n")
		if wh.expr != "" {
			w("    where: " + yamlQuote(wh.expr) + "\n")
		}
		w("    assert: " + yamlQuote(as.expr) + "\n")
		c.customs = append(c.customs, cu)
	}
	ns := rng.IntN(6)
	if ns > 0 {
		w("suppressions:\n")
	}
	users := c.users()
	ruleIDs := []string{"*", "*", "USER-02", "KEY-01", "CRED-01", "ROOT-01", "ROOT-02", "USER-01", "USER-05"}
	for _, cu := range c.customs {
		ruleIDs = append(ruleIDs, cu.id)
	}
	for range ns {
		s := spSup{rule: g.pick(ruleIDs), reason: g.pick([]string{"tabbed\treason with\u2028a line separator", "@SUM(1)", "accepted risk", "CI deploy key (CHG-4211), used by the quarterly release only", "=HYPERLINK(\"x\")", "レガシー統合の廃止まで例外 (CHG-4211)"})}
		switch k := rng.IntN(8); {
		case k == 0 || len(users) == 0:
			s.user = g.pick([]string{"*", "*", "<root_account>", "nobody-*", "svc*", "?*"})
		case k == 1:
			u := users[rng.IntN(len(users))]
			s.user = strings.ToUpper(u.user)
		case k == 2 && strings.IndexFunc(users[0].user, func(r rune) bool { return r > unicode.MaxASCII || r == ' ' }) < 0:
			u := users[0]
			i := strings.LastIndexByte(u.arn, '/')
			s.user = u.arn[:i+1] + strings.ToUpper(u.user)
		case k == 3:
			s.user = g.pick([]string{"arn:" + c.partition + ":iam::" + c.account + ":user/nobody", "arn:" + c.partition + ":iam::" + c.account + ":root"})
		default:
			u := users[rng.IntN(len(users))]
			s.user = strings.ToLower(u.user)
			if rs := []rune(s.user); len(rs) > 2 && !strings.ContainsAny(s.user, "[]\\*?") {
				s.user = string(rs[:2]) + "*"
			}
		}
		// A glob or an ARN holding what no IAM user name does (né, 管理者)
		// is refused, as it would match nothing.
		if strings.ContainsAny(s.user, "[]\\") || strings.IndexFunc(s.user, func(r rune) bool { return r > unicode.MaxASCII || r == ' ' }) >= 0 {
			s.user = "*"
		}
		if len(c.sups) > 0 && g.chance(4) { // an earlier one's rule and user: shadowed, where that one applies
			prev := c.sups[len(c.sups)-1]
			s.rule, s.user = prev.rule, prev.user
		}
		s.source = fmt.Sprintf("%s:%d", "", line) // completed below
		w("  - rule: " + yamlQuote(s.rule) + "\n")
		w("    user: " + yamlQuote(s.user) + "\n")
		w("    reason: " + yamlQuote(s.reason) + "\n")
		switch rng.IntN(8) {
		case 0: // a date already past: expired
			s.expires = c.asOf.Truncate(24*time.Hour).AddDate(0, 0, -rng.IntN(3))
			w("    expires: " + s.expires.Format(time.DateOnly) + "\n")
		case 1: // a date to come
			s.expires = c.asOf.Truncate(24*time.Hour).AddDate(0, 0, 1+rng.IntN(300))
			w("    expires: " + s.expires.Format(time.DateOnly) + "\n")
		case 2: // as-of itself (expired) or a second after (not)
			s.expires = c.asOf.Add(time.Duration(rng.IntN(2)) * time.Second)
			w("    expires: " + s.expires.Format(time.RFC3339) + "\n")
		}
		c.sups = append(c.sups, s)
	}
	c.cfgText = b.String()
	c.cfgPath = filepath.Join(dir, fmt.Sprintf("c%d.yaml", c.seed))
	for i := range c.sups {
		c.sups[i].source = c.cfgPath + c.sups[i].source
	}
	if g.chance(3) {
		c.profile = g.pick(rules.ProfileNames())
	}
}

func yamlQuote(s string) string {
	b, _ := json.Marshal(s) // a JSON string is a YAML double-quoted scalar
	return string(b)
}

// spResult is a result as the JSON writes it.
type spResult struct {
	RuleID            string `json:"rule_id"`
	Title             string `json:"title"`
	Severity          string `json:"severity"`
	Status            string `json:"status"`
	ResourceType      string `json:"resource_type"`
	ResourceID        string `json:"resource_id"`
	User              string `json:"user"`
	Reason            string `json:"reason"`
	Suppressed        bool   `json:"suppressed"`
	SuppressionReason string `json:"suppression_reason"`
}

func (r *spResult) record() []string {
	return []string{r.RuleID, r.Title, r.Severity, r.Status, r.ResourceType, r.ResourceID, r.User, r.Reason, fmt.Sprint(r.Suppressed), r.SuppressionReason}
}

type spDoc struct {
	AccountID   string     `json:"account_id"`
	GeneratedAt *string    `json:"generated_at"`
	AsOf        string     `json:"as_of"`
	Profile     string     `json:"profile"`
	Results     []spResult `json:"results"`
	Summary     struct {
		Rules        int            `json:"rules"`
		Results      int            `json:"results"`
		Passed       int            `json:"passed"`
		Failed       int            `json:"failed"`
		NotAvailable int            `json:"not_available"`
		Suppressed   int            `json:"suppressed"`
		FailedBySev  map[string]int `json:"failed_by_severity"`
	} `json:"summary"`
	Suppressions []struct {
		Rule     string `json:"rule"`
		User     string `json:"user"`
		Reason   string `json:"reason"`
		Expires  string `json:"expires"`
		Source   string `json:"source"`
		Expired  bool   `json:"expired"`
		Matched  int    `json:"matched"`
		Unseen   int    `json:"not_available"`
		Shadowed int    `json:"shadowed"`
	} `json:"suppressions"`
}

// spKeys checks that v, a JSON object, has exactly keys, each of the kind
// given ('s' string, 'b' bool, 'n' number, 'o' object, 'a' array, 'S' string
// or null).
func spKeys(v any, keys map[string]byte) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("not an object: %v", v)
	}
	if len(m) != len(keys) {
		return fmt.Errorf("keys %v, want exactly %v", slices.Sorted(mapKeys(m)), keys)
	}
	for k, kind := range keys {
		x, ok := m[k]
		if !ok {
			return fmt.Errorf("no key %q", k)
		}
		good := false
		switch x.(type) {
		case string:
			good = kind == 's' || kind == 'S'
		case bool:
			good = kind == 'b'
		case float64:
			good = kind == 'n'
		case map[string]any:
			good = kind == 'o'
		case []any:
			good = kind == 'a'
		case nil:
			good = kind == 'S'
		}
		if !good {
			return fmt.Errorf("%q is %T, want kind %c", k, x, kind)
		}
	}
	return nil
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// profileName is the profile the run must name: --profile, else the
// configuration's, else the default.
func (c *spCase) profileName() string {
	switch {
	case c.profile != "":
		return c.profile
	case c.cfgProf != "":
		return c.cfgProf
	}
	return rules.DefaultProfile
}

// checkJSON checks S1–S3 and returns the parsed document.
func (c *spCase) checkJSON(out string, selected []rules.Selected) (*spDoc, error) {
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		return nil, fmt.Errorf("S1: the JSON does not parse: %v", err)
	}
	if err := spKeys(raw, map[string]byte{"account_id": 's', "generated_at": 'S', "as_of": 's', "profile": 's', "results": 'a', "summary": 'o', "suppressions": 'a'}); err != nil {
		return nil, fmt.Errorf("S1: top level: %v", err)
	}
	for i, r := range raw["results"].([]any) {
		if err := spKeys(r, map[string]byte{"rule_id": 's', "title": 's', "severity": 's', "status": 's', "resource_type": 's', "resource_id": 's', "user": 's', "reason": 's', "suppressed": 'b', "suppression_reason": 's'}); err != nil {
			return nil, fmt.Errorf("S1: result %d: %v", i, err)
		}
	}
	if err := spKeys(raw["summary"], map[string]byte{"rules": 'n', "results": 'n', "passed": 'n', "failed": 'n', "not_available": 'n', "suppressed": 'n', "failed_by_severity": 'o'}); err != nil {
		return nil, fmt.Errorf("S3: summary: %v", err)
	}
	var doc spDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		return nil, err
	}
	if doc.AccountID != c.account {
		return nil, fmt.Errorf("S1: account_id %q, want %q", doc.AccountID, c.account)
	}
	if want := c.asOf.Format(time.RFC3339); doc.AsOf != want {
		return nil, fmt.Errorf("S1: as_of %s, want %s", doc.AsOf, want)
	}
	if (doc.GeneratedAt != nil) != c.asJSON || c.asJSON && *doc.GeneratedAt != c.generated.Format(time.RFC3339) {
		return nil, fmt.Errorf("S1: generated_at %v for a report in JSON %v", doc.GeneratedAt, c.asJSON)
	}
	if doc.Profile != c.profileName() {
		return nil, fmt.Errorf("S1: profile %q, want %q", doc.Profile, c.profileName())
	}
	// S2: the results, rule by rule.
	var root *spRow
	for i := range c.rows {
		if c.rows[i].root {
			root = &c.rows[i]
		}
	}
	k := 0
	for _, s := range selected {
		r := s.Rule
		var rows []*spRow
		switch {
		case r.Custom:
			var cu *spCustom
			for i := range c.customs {
				if c.customs[i].id == r.ID {
					cu = &c.customs[i]
				}
			}
			for i := range c.rows {
				if cu.covers(&c.rows[i]) {
					rows = append(rows, &c.rows[i])
				}
			}
		case strings.HasPrefix(r.ID, "ROOT-"):
			rows = []*spRow{root}
		default:
			rows = c.users()
		}
		for _, row := range rows {
			if k >= len(doc.Results) {
				return nil, fmt.Errorf("S2: %d results; want more, %s for %v next", len(doc.Results), r.ID, row)
			}
			got := &doc.Results[k]
			k++
			wantUser, wantType, wantID := "<root_account>", "AwsAccount", "AWS::::Account:"+c.account
			if row != nil && !row.root {
				wantUser, wantType, wantID = row.user, "AwsIamUser", row.arn
			}
			if got.RuleID != r.ID || got.User != wantUser || got.ResourceType != wantType || got.ResourceID != wantID {
				return nil, fmt.Errorf("S2: result %d is %s %s %s %s, want %s %s %s %s", k-1, got.RuleID, got.User, got.ResourceType, got.ResourceID, r.ID, wantUser, wantType, wantID)
			}
			if got.Title != r.Title || got.Severity != r.Severity.String() {
				return nil, fmt.Errorf("S2: result %d: title %q severity %s, want %q %s", k-1, got.Title, got.Severity, r.Title, r.Severity)
			}
			if !slices.Contains([]string{"PASSED", "FAILED", "NOT_AVAILABLE"}, got.Status) || got.Reason == "" {
				return nil, fmt.Errorf("S1: result %d: status %q reason %q", k-1, got.Status, got.Reason)
			}
			if row == nil && got.Status != "NOT_AVAILABLE" {
				return nil, fmt.Errorf("S2: %s without a root row is %s, want NOT_AVAILABLE", r.ID, got.Status)
			}
			if r.Custom {
				for _, cu := range c.customs {
					if cu.id != r.ID {
						continue
					}
					want, reason := "PASSED", "assert "+cu.assert+" holds"
					if !cu.holds(row) {
						want, reason = "FAILED", "assert "+cu.assert+" does not hold"
					}
					if got.Status != want || got.Reason != reason {
						return nil, fmt.Errorf("S2: %s on %s: %s %q, want %s %q", r.ID, row.user, got.Status, got.Reason, want, reason)
					}
				}
			}
		}
	}
	if k != len(doc.Results) {
		return nil, fmt.Errorf("S2: %d results, want %d: extra %+v", len(doc.Results), k, doc.Results[k])
	}
	// S3: suppressions, by the model.
	type outcome struct{ matched, unseen, shadowed int }
	outs := make([]outcome, len(c.sups))
	var passed, failed, na, suppressed int
	bySev := map[string]int{}
	for i := range doc.Results {
		r := &doc.Results[i]
		wantReason := ""
		if r.Status != "PASSED" {
			for j, s := range c.sups {
				if !s.expires.IsZero() && !c.asOf.Before(s.expires) || !spMatches(s, r, c.rows) {
					continue
				}
				switch {
				case wantReason != "" && r.Status == "FAILED":
					outs[j].shadowed++
				case wantReason != "":
				case r.Status == "FAILED":
					outs[j].matched++
					wantReason = s.reason
				default:
					outs[j].unseen++
					wantReason = s.reason
				}
			}
		}
		if r.Suppressed != (wantReason != "") || r.SuppressionReason != wantReason {
			return nil, fmt.Errorf("S3: %s %s (%s) suppressed %v %q, want %q", r.RuleID, r.User, r.Status, r.Suppressed, r.SuppressionReason, wantReason)
		}
		switch {
		case r.Suppressed:
			suppressed++
		case r.Status == "PASSED":
			passed++
		case r.Status == "FAILED":
			failed++
			bySev[r.Severity]++
		default:
			na++
		}
	}
	sum := doc.Summary
	if sum.Rules != len(selected) || sum.Results != len(doc.Results) || sum.Passed != passed || sum.Failed != failed || sum.NotAvailable != na || sum.Suppressed != suppressed {
		return nil, fmt.Errorf("S3: summary %+v, want rules %d results %d passed %d failed %d not_available %d suppressed %d", sum, len(selected), len(doc.Results), passed, failed, na, suppressed)
	}
	if len(sum.FailedBySev) != 5 {
		return nil, fmt.Errorf("S3: failed_by_severity %v lacks a severity", sum.FailedBySev)
	}
	for _, sev := range spSeverities {
		if n, ok := sum.FailedBySev[sev]; !ok || n != bySev[sev] {
			return nil, fmt.Errorf("S3: failed_by_severity %v, want %v", sum.FailedBySev, bySev)
		}
	}
	if len(doc.Suppressions) != len(c.sups) {
		return nil, fmt.Errorf("S3: %d suppressions listed, want %d", len(doc.Suppressions), len(c.sups))
	}
	for j, s := range c.sups {
		got := doc.Suppressions[j]
		expired := !s.expires.IsZero() && !c.asOf.Before(s.expires)
		if got.Rule != s.rule || got.User != s.user || got.Reason != s.reason || got.Source != s.source || got.Expired != expired ||
			got.Matched != outs[j].matched || got.Unseen != outs[j].unseen || got.Shadowed != outs[j].shadowed {
			return nil, fmt.Errorf("S3: suppression %d is %+v, want %+v expired %v matched %d not_available %d shadowed %d", j, got, s, expired, outs[j].matched, outs[j].unseen, outs[j].shadowed)
		}
		if wantExp := ""; s.expires.IsZero() && got.Expires != wantExp || !s.expires.IsZero() && got.Expires != s.expires.Format(time.RFC3339Nano) {
			return nil, fmt.Errorf("S3: suppression %d expires %q, want %v", j, got.Expires, s.expires)
		}
	}
	return &doc, nil
}

// spMatches is the model of a suppression's match (README: a user-name glob
// matching in any case, or a user's ARN, the name in any case; root's
// results only by <root_account> or its ARN, never by a wildcard).
func spMatches(s spSup, r *spResult, rows []spRow) bool {
	if s.rule != "*" && s.rule != r.RuleID {
		return false
	}
	if r.User == "<root_account>" && !strings.HasPrefix(s.user, "arn:") {
		return s.user == "<root_account>"
	}
	if s.user == "?*" {
		return true
	}
	if strings.HasPrefix(s.user, "arn:") {
		if r.User == "<root_account>" || strings.HasSuffix(s.user, ":root") {
			return r.User == "<root_account>" && strings.HasSuffix(s.user, ":root")
		}
		i := strings.LastIndexByte(s.user, '/')
		j := strings.LastIndexByte(r.ResourceID, '/')
		return i >= 0 && j >= 0 && s.user[:i] == r.ResourceID[:j] && strings.EqualFold(s.user[i+1:], r.ResourceID[j+1:])
	}
	// the generated globs are a name, or a prefix followed by *
	g, u := strings.ToLower(s.user), strings.ToLower(r.User)
	if p, ok := strings.CutSuffix(g, "*"); ok && !strings.ContainsAny(p, "*?") {
		return strings.HasPrefix(u, p)
	}
	return g == u
}

// checkCSV checks S4 against the JSON's results.
func checkCSV(out string, doc *spDoc) error {
	if strings.Contains(out, "\r\n") {
		return fmt.Errorf("S4: a CRLF line end")
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		return fmt.Errorf("S4: the CSV does not parse: %v", err)
	}
	header := []string{"rule_id", "title", "severity", "status", "resource_type", "resource_id", "user", "reason", "suppressed", "suppression_reason"}
	if len(recs) == 0 || !slices.Equal(recs[0], header) {
		return fmt.Errorf("S4: header %v", recs[:min(len(recs), 1)])
	}
	if len(recs)-1 != len(doc.Results) {
		return fmt.Errorf("S4: %d records, the JSON has %d results", len(recs)-1, len(doc.Results))
	}
	for i, r := range doc.Results {
		want := r.record()
		for j, cell := range want {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) { // OWASP's list
				want[j] = "'" + cell
			}
		}
		if !slices.Equal(recs[i+1], want) {
			return fmt.Errorf("S4: record %d is %q, want %q", i+1, recs[i+1], want)
		}
	}
	return nil
}

// spColumns is how many terminal columns s takes (East Asian Width: wide
// and fullwidth two, combining marks none).
func spColumns(s string) int {
	n := 0
	for _, r := range s {
		switch k := width.LookupRune(r).Kind(); {
		case k == width.EastAsianWide || k == width.EastAsianFullwidth:
			n += 2
		case unicode.In(r, unicode.Mn, unicode.Me):
		default:
			n++
		}
	}
	return n
}

// checkTable checks S5 against the JSON.
func (c *spCase) checkTable(out string, doc *spDoc) error {
	if strings.ContainsRune(out, 0x1b) {
		return fmt.Errorf("S5: an escape sequence off a terminal")
	}
	for i, line := range strings.Split(out, "\n") {
		if n := spColumns(line); n > 80 && len(strings.Fields(line)) != 1 {
			return fmt.Errorf("S5: line %d is %d columns: %q", i+1, n, line)
		}
	}
	sections := strings.Split(strings.TrimSuffix(out, "\n"), "\n\n")
	var want [][]string
	want = append(want, strings.Fields(fmt.Sprintf("Account %s · profile %s · %s", c.account, doc.Profile, audit.Nouns(doc.Summary.Rules, "rule"))))
	if c.asJSON {
		want[0] = append(want[0], "Report", "generated", c.generated.Format(time.RFC3339))
	} else {
		want[0] = append(want[0], strings.Fields("Report time unknown (CSV)")...)
	}
	want[0] = append(want[0], strings.Fields("· evaluated as of "+c.asOf.Format(time.RFC3339))...)
	// README: a character a terminal would obey shows escaped (\x1b);
	// text is wrapped at its words, a name is kept whole.
	words := func(s string) []string {
		ws := strings.Fields(s)
		for i, w := range ws {
			ws[i] = terminalSafe(w)
		}
		return ws
	}
	entry := func(r *spResult) []string {
		e := append([]string{r.RuleID}, strings.Fields(terminalSafe(r.User))...)
		if r.Status == "NOT_AVAILABLE" {
			e = append(e, "[not", "available]")
		}
		e = append(e, words(r.Reason)...)
		if r.Suppressed {
			e = append(e, "suppressed:")
			e = append(e, words(r.SuppressionReason)...)
		}
		return e
	}
	for sev := 4; sev >= 0; sev-- {
		var group []string
		var n [2]int // failed, not available
		for k, status := range []string{"FAILED", "NOT_AVAILABLE"} {
			for i := range doc.Results {
				if r := &doc.Results[i]; r.Severity == spSeverities[sev] && r.Status == status && !r.Suppressed {
					group = append(group, entry(r)...)
					n[k]++
				}
			}
		}
		var heading string
		switch {
		case n[1] == 0:
			heading = fmt.Sprintf("(%d)", n[0])
		case n[0] == 0:
			heading = fmt.Sprintf("(%d not available)", n[1])
		default:
			heading = fmt.Sprintf("(%d failed, %d not available)", n[0], n[1])
		}
		if n[0]+n[1] > 0 {
			want = append(want, append(append([]string{spSeverities[sev]}, strings.Fields(heading)...), group...))
		}
	}
	var group []string
	n := 0
	for i := range doc.Results {
		if r := &doc.Results[i]; r.Suppressed {
			group = append(group, entry(r)...)
			n++
		}
	}
	if n > 0 {
		want = append(want, append([]string{"SUPPRESSED", fmt.Sprintf("(%d)", n)}, group...))
	}
	for _, s := range doc.Suppressions {
		kind := ""
		switch {
		case s.Expired:
			kind = "Expired"
		case s.Matched > 0, s.Unseen > 0:
			continue
		case s.Shadowed > 0:
			kind = "Shadowed"
		default:
			kind = "Unused"
		}
		want = append(want, append([]string{kind, "suppression", "(" + s.Source + "):", s.Rule}, strings.Fields(terminalSafe(s.User))...))
	}
	sum := doc.Summary
	var sevs []string
	for sev := 4; sev >= 0; sev-- {
		if k := sum.FailedBySev[spSeverities[sev]]; k > 0 {
			sevs = append(sevs, fmt.Sprintf("%d %s", k, strings.ToLower(spSeverities[sev])))
		}
	}
	line := fmt.Sprintf("%d failed", sum.Failed)
	if len(sevs) > 0 {
		line += " (" + strings.Join(sevs, ", ") + ")"
	}
	line += fmt.Sprintf(", %d not available, %d suppressed, %d passed", sum.NotAvailable, sum.Suppressed, sum.Passed)
	want = append(want, strings.Fields(line))
	if len(sections) != len(want) {
		return fmt.Errorf("S5: %d sections, want %d (%v)", len(sections), len(want), firstWords(want))
	}
	for i, sec := range sections {
		if got := strings.Fields(sec); !slices.Equal(got, want[i]) {
			return fmt.Errorf("S5: section %d is\n%s\nwant the words %q", i, sec, want[i])
		}
	}
	return nil
}

func firstWords(ws [][]string) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w[0])
	}
	return out
}

// checkSARIF checks S6 against the JSON.
func (c *spCase) checkSARIF(out string, doc *spDoc, selected []rules.Selected) error {
	var s struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				Level     string `json:"level"`
				Locations []struct {
					Logical []struct {
						FQN  string `json:"fullyQualifiedName"`
						Name string `json:"name"`
					} `json:"logicalLocations"`
					Physical struct {
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				Message struct {
					Text string `json:"text"`
				} `json:"message"`
				RuleID       string `json:"ruleId"`
				RuleIndex    int    `json:"ruleIndex"`
				Suppressions []struct {
					Justification string `json:"justification"`
					Kind          string `json:"kind"`
				} `json:"suppressions"`
			} `json:"results"`
			Properties map[string]string `json:"properties"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		return fmt.Errorf("S6: the SARIF does not parse: %v", err)
	}
	if s.Version != "2.1.0" || len(s.Runs) != 1 {
		return fmt.Errorf("S6: version %q, %d runs", s.Version, len(s.Runs))
	}
	run := s.Runs[0]
	var ids []string
	for _, r := range run.Tool.Driver.Rules {
		ids = append(ids, r.ID)
	}
	var wantIDs []string
	for _, sel := range selected {
		wantIDs = append(wantIDs, sel.Rule.ID)
	}
	if !slices.Equal(ids, wantIDs) {
		return fmt.Errorf("S6: rules %v, want %v", ids, wantIDs)
	}
	if p := run.Properties; p["profile"] != doc.Profile || p["account_id"] != doc.AccountID || p["as_of"] != doc.AsOf {
		return fmt.Errorf("S6: properties %v", p)
	}
	lineOf := map[string]int{} // a row's line by its user
	line := c.firstLine()
	for _, r := range c.rows {
		lineOf[r.user] = line
		for _, cell := range r.cells {
			line += strings.Count(cell, "\n")
		}
		line++
		if c.asJSON && !c.stdin { // stdin's artifact is credential-report.csv, the Content
			lineOf[r.user] = 1
		}
	}
	k := 0
	for i := range doc.Results {
		r := &doc.Results[i]
		if r.Status != "FAILED" {
			continue
		}
		if k >= len(run.Results) {
			return fmt.Errorf("S6: %d results, want more: %s %s next", len(run.Results), r.RuleID, r.User)
		}
		got := run.Results[k]
		k++
		level := map[string]string{"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note", "INFORMATIONAL": "note"}[r.Severity]
		line := max(lineOf[r.User], 1)
		if got.RuleID != r.RuleID || got.Message.Text != r.Reason || got.Level != level || len(got.Locations) != 1 || len(got.Locations[0].Logical) != 1 ||
			got.Locations[0].Logical[0].FQN != r.ResourceID || got.Locations[0].Logical[0].Name != r.User || got.Locations[0].Physical.Region.StartLine != line ||
			got.RuleIndex < 0 || got.RuleIndex >= len(ids) || ids[got.RuleIndex] != r.RuleID {
			return fmt.Errorf("S6: result %d is %+v, want %+v at line %d", k-1, got, *r, line)
		}
		if r.Suppressed != (len(got.Suppressions) == 1) || r.Suppressed && (got.Suppressions[0].Justification != r.SuppressionReason || got.Suppressions[0].Kind != "external") {
			return fmt.Errorf("S6: result %d suppressions %+v, want suppressed %v %q", k-1, got.Suppressions, r.Suppressed, r.SuppressionReason)
		}
	}
	if k != len(run.Results) {
		return fmt.Errorf("S6: %d results, the JSON fails %d", len(run.Results), k)
	}
	return nil
}

// checkASFF checks S7 against the JSON.
func (c *spCase) checkASFF(out string, doc *spDoc) error {
	var fs []struct {
		AwsAccountId          string
		GeneratorId           string
		Compliance            struct{ Status string }
		Resources             []struct{ Id, Type, Partition, Region string }
		Workflow              *struct{ Status string }
		RecordState           string
		Title                 string
		Note                  *struct{ Text string }
		FindingProviderFields struct {
			Severity struct{ Label string }
		}
		ProductFields map[string]string
	}
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		return fmt.Errorf("S7: the ASFF does not parse: %v", err)
	}
	type key struct{ rule, resource string }
	want := map[key]*spResult{}
	for i := range doc.Results {
		if r := &doc.Results[i]; r.Status == "FAILED" {
			want[key{r.RuleID, r.ResourceID}] = r
		}
	}
	if len(fs) != len(want) {
		return fmt.Errorf("S7: %d findings, the JSON fails %d results", len(fs), len(want))
	}
	for i, f := range fs {
		if len(f.Resources) != 1 {
			return fmt.Errorf("S7: finding %d has %d resources", i, len(f.Resources))
		}
		r := want[key{f.GeneratorId, f.Resources[0].Id}]
		if r == nil {
			return fmt.Errorf("S7: finding %d (%s %s) is no failing result, or a second one", i, f.GeneratorId, f.Resources[0].Id)
		}
		delete(want, key{f.GeneratorId, f.Resources[0].Id})
		if f.AwsAccountId != c.account || f.Compliance.Status != "FAILED" || f.RecordState != "ACTIVE" || f.Resources[0].Type != r.ResourceType ||
			f.Resources[0].Partition != c.partition || f.FindingProviderFields.Severity.Label != r.Severity || f.Workflow != nil ||
			f.ProductFields["credaudit/SuppressionReason"] != strings.TrimSpace(r.SuppressionReason) ||
			f.ProductFields["credaudit/RuleId"] != r.RuleID {
			return fmt.Errorf("S7: finding %d is %+v, for %+v", i, f, *r)
		}
	}
	return nil
}

// spHubRegion is a region of the partition, for --hub-region.
var spHubRegion = map[string]string{"aws": "eu-west-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1"}

func TestScanOutputsKeepTheirPromises(t *testing.T) {
	dir := t.TempDir()
	failOns := []string{"", "informational", "Low", "MEDIUM", "hIgH", "Critical", "lOW", "CRITICAL", "Medium", "High", "INFORMATIONAL"}
	formats := []string{"json", "csv", "table", "sarif", "asff"}
	runs := 0
	stats := map[string]int{}
	for seed := range 100 {
		c := spGenerate(seed, dir)
		if c.cfgText != "" {
			writeFile(t, dir, filepath.Base(c.cfgPath), c.cfgText)
		}
		var cfg *config.Config
		if c.cfgText != "" {
			var err error
			if cfg, err = config.Parse(c.cfgPath, []byte(c.cfgText)); err != nil {
				t.Fatalf("seed %d: the generated configuration is refused: %v\n%s", seed, err, c.cfgText)
			}
		}
		selected, _, err := cfg.Selection(c.profile)
		// S8: a configuration that leaves no rule is refused, not scanned
		// into an all-clear.
		noRules := errors.Is(err, config.ErrNoRules)
		if err != nil && !noRules {
			t.Fatal(err)
		}
		stdin := ""
		c.reportArg = filepath.Join(dir, fmt.Sprintf("r%d.csv", seed))
		if c.stdin {
			stdin, c.reportArg = c.input(), "-"
		} else {
			writeFile(t, dir, filepath.Base(c.reportArg), c.input())
		}
		args := []string{"scan", "--report", c.reportArg}
		if c.asOfFlag {
			args = append(args, "--as-of", c.asOf.Format(time.RFC3339))
		}
		if c.profile != "" {
			args = append(args, "--profile", c.profile)
		}
		if c.cfgText != "" {
			args = append(args, "--config", c.cfgPath)
		}
		fail := func(format string, a []string, err error, out, stderr string) {
			t.Helper()
			t.Fatalf("seed %d, %d users, json %v, stdin %v, --format %s: %v\nargs: %q\nconfiguration:\n%s\nstderr: %s\nstdout (first 3000 bytes):\n%.3000s", seed, len(c.rows), c.asJSON, c.stdin, format, err, a, c.cfgText, stderr, out)
		}
		var doc *spDoc
		var jsonOut string
		for fi, format := range formats {
			a := append(slices.Clone(args), "--format", format)
			if format == "asff" {
				a = append(a, "--hub-region", spHubRegion[c.partition])
			}
			failOn := failOns[(seed*len(formats)+fi)%len(failOns)]
			if failOn != "" {
				a = append(a, "--fail-on", failOn)
			}
			code, out, stderr := run(t, stdin, a...)
			runs++
			if noRules {
				if code != ExitUsage || out != "" || !strings.Contains(stderr, "nothing would be checked") {
					fail(format, a, fmt.Errorf("S8: exit %d with no rule selected, want 2, nothing on stdout and the reason", code), out, stderr)
				}
				stats["no rule selected"]++
				continue
			}
			if code != ExitOK && code != ExitFindings {
				fail(format, a, fmt.Errorf("exit %d", code), out, stderr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				fail(format, a, fmt.Errorf("a stack trace"), out, stderr)
			}
			var err error
			switch format {
			case "json":
				doc, err = c.checkJSON(out, selected)
				jsonOut = out
			case "csv":
				err = checkCSV(out, doc)
			case "table":
				err = c.checkTable(out, doc)
			case "sarif":
				err = c.checkSARIF(out, doc, selected)
			case "asff":
				err = c.checkASFF(out, doc)
			}
			if err != nil {
				fail(format, a, err, out, stderr)
			}
			// S8: the exit code follows --fail-on.
			want := ExitOK
			if failOn != "" {
				at := spSevRank(strings.ToUpper(failOn))
				for sev := at; sev < 5; sev++ {
					if doc.Summary.FailedBySev[spSeverities[sev]] > 0 {
						want = ExitFindings
					}
				}
			}
			if code != want {
				fail(format, a, fmt.Errorf("S8: exit %d with --fail-on %q, want %d (failed_by_severity %v)", code, failOn, want, doc.Summary.FailedBySev), out, stderr)
			}
			if format == "json" {
				stats["results"] += doc.Summary.Results
				stats["failed"] += doc.Summary.Failed
				stats["suppressed"] += doc.Summary.Suppressed
				stats["not_available"] += doc.Summary.NotAvailable
				for _, s := range doc.Suppressions {
					switch {
					case s.Expired:
						stats["sup expired"]++
					case s.Matched > 0:
						stats["sup matched"]++
					case s.Unseen > 0:
						stats["sup unseen"]++
					case s.Shadowed > 0:
						stats["sup shadowed"]++
					default:
						stats["sup unused"]++
					}
				}
			}
			stats[fmt.Sprintf("exit %d", code)]++
			// S8: each stale suppression is said on stderr.
			for _, s := range doc.Suppressions {
				if (s.Expired || s.Matched == 0 && s.Unseen == 0) && !strings.Contains(stderr, "suppression at "+s.Source+" ") {
					fail(format, a, fmt.Errorf("S8: stderr does not say the stale suppression at %s", s.Source), out, stderr)
				}
			}
		}
		if noRules {
			continue
		}
		// README --format: json is the default off a terminal.
		if seed%3 == 0 {
			if code, out, stderr := run(t, stdin, args...); out != jsonOut || code != ExitOK {
				fail("(default)", args, fmt.Errorf("exit %d and not the JSON", code), out, stderr)
			}
		}
		// S8: usage errors exit 2 with nothing on stdout, a custom rule
		// failing at run time on the last user too (README: nothing written).
		if seed%4 == 0 {
			bads := [][]string{{"--format", "yaml"}, {"--fail-on", "severe"}, {"--fail-on", "none"}, {"--profile", "cis-9.9"}}
			if us := c.users(); len(us) > 0 {
				bad := writeFile(t, dir, fmt.Sprintf("bad%d.yaml", seed), "custom_rules:\n  - id: ORG-99\n    title: t\n    severity: low\n    remediation: r\n"+
					"    assert: "+yamlQuote("user == "+yamlQuote(us[len(us)-1].user)+" ? 1/0 == 1 : true")+"\n")
				for _, f := range formats { // the last --config is the one read
					b := []string{"--config", bad, "--format", f}
					if f == "asff" {
						b = append(b, "--hub-region", spHubRegion[c.partition])
					}
					bads = append(bads, b)
				}
			}
			for _, bad := range bads {
				a := append(slices.Clone(args), bad...)
				code, out, stderr := run(t, stdin, a...)
				runs++
				if code != ExitUsage || out != "" || stderr == "" {
					fail("-", a, fmt.Errorf("S8: exit %d, stdout %d bytes, want 2 and nothing", code, len(out)), out, stderr)
				}
			}
		}
	}
	t.Logf("%d runs: %v", runs, stats)
}
