package config_test

// A differential test of suppressions: generated configuration files go
// through config.Parse and the suppressor scan uses (rules.NewSuppressor over
// batches, and rules.Suppress for the table), and every answer is compared
// with model, written from issue 3 §3, the README's suppression paragraphs
// and events/credaudit.example.yaml before reading the implementation:
//
//   - rule: a rule ID (built-in or custom) or "*"; user: a user-name glob
//     (*, ?, [a-z], [^a-z] or [!a-z]) matching the name in any case (a
//     range's ends folded too: see modelClass), or an exact ARN (a user's,
//     its name in any case and the rest as the report writes it, path
//     included; or the root's); <root_account> is root;
//   - reason is required; expires, a date, applies while as-of is before
//     00:00 UTC of that date (an RFC 3339 time, which config's error offers,
//     while as-of is before that instant);
//   - suppressions mute failing results; the first unexpired match mutes
//     (matched), later ones count it as shadowed; an expired one mutes
//     nothing and counts nothing; a NOT_AVAILABLE result is covered by its
//     first unexpired match (unseen), later ones count nothing; a passing
//     result is never marked;
//   - a bad glob (an unclosed [), an ARN that is not a user's or the root's
//     (a role's, or one with a glob in it), a missing reason and a bad date
//     are refused naming the file, line and column.

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/rules"
)

// sup is the model's suppression.
type sup struct {
	rule    string
	user    string
	expires time.Time // zero: never
}

// modelExpired: a suppression applies while as-of is before its date.
func modelExpired(s sup, asOf time.Time) bool {
	return !s.expires.IsZero() && !asOf.Before(s.expires)
}

// modelIsARN says whether user is written as an ARN.
func modelIsARN(user string) bool { return strings.HasPrefix(user, "arn:") }

// modelARN splits a user's or the root's ARN; ok is false for anything else.
func modelARN(arn string) (prefix, name string, root, ok bool) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[2] != "iam" || f[3] != "" {
		return "", "", false, false
	}
	switch f[1] {
	case "aws", "aws-cn", "aws-us-gov":
	default:
		return "", "", false, false
	}
	if len(f[4]) != 12 || strings.Trim(f[4], "0123456789") != "" {
		return "", "", false, false
	}
	if strings.ContainsAny(f[5], "*?[") {
		return "", "", false, false
	}
	if f[5] == "root" {
		return arn, "", true, true
	}
	res, ok := strings.CutPrefix(f[5], "user/")
	if !ok {
		return "", "", false, false
	}
	i := strings.LastIndexByte(res, '/')
	name = res[i+1:]
	if name == "" {
		return "", "", false, false
	}
	return arn[:len(arn)-len(name)], name, false, true
}

// modelGlobOK says whether a glob is well formed: every [ is closed, and
// no range runs backwards (in any case: [Z-a] is [z-a]), which would match
// nothing.
func modelGlobOK(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '[' {
			continue
		}
		_, n, ok := modelClass(p[i:], 'a')
		if !ok {
			return false
		}
		i += n - 1
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// modelClass reads the class at the start of p ("[...]") and says whether c
// is in it, in any case; n is the class's length. Matching in any case folds
// a range's ends as it folds the name (glibc's fnmatch with FNM_CASEFOLD,
// Python's fnmatch where names are case-insensitive): [A-z] is [a-z], so it
// holds no _, and [0-Z] is [0-z], which does. The documents say only that
// names match in any case; this is the implementation's reading too.
func modelClass(p string, c byte) (in bool, n int, ok bool) {
	i := 1
	neg := false
	if i < len(p) && (p[i] == '^' || p[i] == '!') {
		neg = true
		i++
	}
	first := true
	for ; i < len(p); i++ {
		if p[i] == ']' && !first {
			return in != neg, i + 1, true
		}
		first = false
		lo, hi := p[i], p[i]
		if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
			hi = p[i+2]
			i += 2
			if lower(hi) < lower(lo) {
				return false, 0, false
			}
		}
		if lower(lo) <= lower(c) && lower(c) <= lower(hi) {
			in = true
		}
	}
	return false, 0, false
}

// modelGlob matches a well-formed glob against name, in any case.
func modelGlob(p, name string) bool {
	if p == "" {
		return name == ""
	}
	switch p[0] {
	case '*':
		for i := 0; i <= len(name); i++ {
			if modelGlob(p[1:], name[i:]) {
				return true
			}
		}
		return false
	case '?':
		return name != "" && modelGlob(p[1:], name[1:])
	case '[':
		if name == "" {
			return false
		}
		in, n, _ := modelClass(p, name[0])
		return in && modelGlob(p[n:], name[1:])
	default:
		return name != "" && lower(p[0]) == lower(name[0]) && modelGlob(p[1:], name[1:])
	}
}

// modelMatches says whether s names the result of rule on the row (user,
// arn).
func modelMatches(s sup, rule, user, arn string) bool {
	if s.rule != "*" && s.rule != rule {
		return false
	}
	if !modelIsARN(s.user) {
		if user == "<root_account>" { // root: named, never a wildcard's
			return strings.EqualFold(s.user, user)
		}
		return modelGlob(s.user, user)
	}
	prefix, name, root, _ := modelARN(s.user)
	if root {
		return arn == s.user
	}
	rp, rn, _, ok := modelARN(arn)
	return ok && rp == prefix && strings.EqualFold(rn, name)
}

// modelResult is a result as the model sees it.
type modelResult struct {
	rule, user, arn string
	failed, unseen  bool // FAILED; NOT_AVAILABLE
}

// modelOutcome is a suppression's outcome.
type modelOutcome struct {
	Expired                   bool
	Matched, Unseen, Shadowed int
}

// model returns, for each result, the index of the suppression that mutes it
// (-1: none), and each suppression's outcome.
func model(results []modelResult, sups []sup, asOf time.Time) ([]int, []modelOutcome) {
	muted := make([]int, len(results))
	out := make([]modelOutcome, len(sups))
	for i := range sups {
		out[i].Expired = modelExpired(sups[i], asOf)
	}
	for ri, r := range results {
		muted[ri] = -1
		if !r.failed && !r.unseen {
			continue
		}
		for si, s := range sups {
			if out[si].Expired || !modelMatches(s, r.rule, r.user, r.arn) {
				continue
			}
			switch {
			case muted[ri] < 0 && r.unseen:
				muted[ri] = si
				out[si].Unseen++
			case muted[ri] < 0:
				muted[ri] = si
				out[si].Matched++
			case r.failed:
				out[si].Shadowed++
			}
		}
	}
	return muted, out
}

// ---- generation ----

const nameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-"

var baseNames = []string{"alice", "Bob", "ci-deploy", "ci-release", "svc_backup", "a.b+c=d,e@f", "build@corp.example",
	"x", "X1", "deploy-ci", "legacy-signer", "ops_Admin", "_", "-", "ci", "cid", "c-i"}

type gen struct{ r *rand.Rand }

func (g gen) pick(s string) byte { return s[g.r.IntN(len(s))] }

func (g gen) name() string {
	if g.r.IntN(3) > 0 {
		n := []byte(baseNames[g.r.IntN(len(baseNames))])
		for i := range n {
			if g.r.IntN(4) == 0 {
				n[i] = upper(n[i])
			}
		}
		if g.r.IntN(3) == 0 {
			n = append(n, g.pick(nameChars))
		}
		return string(n)
	}
	n := make([]byte, 1+g.r.IntN(8))
	for i := range n {
		n[i] = g.pick(nameChars)
	}
	return string(n)
}

func (g gen) path() string {
	switch g.r.IntN(5) {
	case 0:
		return "/service/"
	case 1:
		return "/Team-A/ci/"
	default:
		return "/"
	}
}

// class writes a character class that holds c (or, negated, does not) when
// want, and does not (or does) otherwise.
func (g gen) class(c byte, want bool) string {
	var items []string
	inClass, dashLast := false, false
	for k := 1 + g.r.IntN(3); k > 0; k-- {
		switch g.r.IntN(4) {
		case 0: // a range of letters, digits, in either case
			ranges := []string{"az", "AZ", "09", "ac", "mz", "DF", "19", "Az", "0Z", "+Z", ".9"}
			rg := ranges[g.r.IntN(len(ranges))]
			lo, hi := rg[0], rg[1]
			items = append(items, string([]byte{lo, '-', hi}))
			if lower(lo) <= lower(c) && lower(c) <= lower(hi) {
				inClass = true
			}
		case 1: // c itself, maybe in the other case
			x := c
			if g.r.IntN(2) == 0 {
				x = upper(lower(c))
				if x == c {
					x = lower(c)
				}
			}
			if x == '-' {
				// Itself only first or last, as a shell reads it.
				if !inClass {
					if g.r.IntN(2) == 0 {
						items = append([]string{"-"}, items...)
					} else {
						dashLast = true
					}
				}
				inClass = true
				continue
			}
			items = append(items, string(x))
			inClass = true
		default:
			x := g.pick("+=,.@_abcXYZ019")
			items = append(items, string(x))
			if lower(x) == lower(c) {
				inClass = true
			}
		}
	}
	neg := inClass != want
	if dashLast {
		items = append(items, "-")
	}
	body := strings.Join(items, "")
	if body == "" {
		body = "q"
		neg = lower(c) == 'q' != want
	}
	if neg {
		return "[" + string(g.pick("^!")) + body + "]"
	}
	return "[" + body + "]"
}

// glob writes a glob after name, mostly one that matches it.
func (g gen) glob(name string) string {
	switch g.r.IntN(14) {
	case 0:
		return "*"
	case 1:
		return "<root_account>"
	case 2:
		return string(g.pick("<?*")) + "ROOT_account" + string(g.pick(">?*"))
	case 3:
		return g.name()
	}
	var b strings.Builder
	want := g.r.IntN(6) > 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch g.r.IntN(9) {
		case 0:
			b.WriteByte('?')
		case 1:
			b.WriteString(g.class(c, want || g.r.IntN(2) == 0))
		case 2:
			b.WriteByte('*')
			i += g.r.IntN(3) - 1
		case 3:
			b.WriteString("**")
			i--
		case 4:
			b.WriteByte(upper(c))
		default:
			b.WriteByte(c)
		}
	}
	if g.r.IntN(8) == 0 {
		b.WriteByte(g.pick(nameChars))
	}
	return b.String()
}

var partitions = []string{"aws", "aws-cn", "aws-us-gov"}

// arn writes an ARN after a user's, mostly one that matches it.
func (g gen) arn(part, account, path, name string) string {
	p, a := part, account
	switch g.r.IntN(10) {
	case 0:
		p = partitions[g.r.IntN(3)]
	case 1:
		a = "210987654321"
	case 2:
		path = strings.ToUpper(path)
	case 3:
		return fmt.Sprintf("arn:%s:iam::%s:root", p, a)
	case 4:
		name = strings.ToUpper(name)
	case 5:
		path = "/"
	}
	return fmt.Sprintf("arn:%s:iam::%s:user%s%s", p, a, path, name)
}

// row is one line of a report after sample-report.csv's alice.
func row(user, arn string) string {
	return `"` + user + `","` + arn + `",2020-01-15T12:00:00+00:00,true,2026-11-19T07:45:00+00:00,2026-09-01T12:00:00+00:00,N/A,true,true,` +
		"2026-08-20T12:00:00+00:00,2026-11-19T07:50:00+00:00,eu-west-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
}

// customRules is the configuration's custom rules, the same in every case.
const customRules = "custom_rules:\n" +
	"  - {id: ORG-01, title: t, severity: low, remediation: r, assert: mfa_active}\n" +
	"  - {id: ORG-X2, title: t, severity: high, remediation: r, where: is_root, assert: mfa_active}\n"

var ruleIDs = []string{"*", "*", "CRED-01", "USER-02", "ROOT-01", "KEY-01", "ORG-01", "ORG-X2"}

// yamlString writes s as a YAML scalar: plain, single- or double-quoted.
func (g gen) yamlString(s string) string {
	plain := s != "" && strings.Trim(s, nameChars) == "" && !strings.ContainsAny(s[:1], "@-,=") && s != "_"
	switch {
	case plain && g.r.IntN(2) == 0:
		return s
	case g.r.IntN(2) == 0:
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	default:
		return fmt.Sprintf("%q", s)
	}
}

// tc is one generated case.
type tc struct {
	yaml    string
	report  string
	asOf    time.Time
	sups    []sup
	sources []string
}

func (g gen) caseN(n int) tc {
	part := partitions[g.r.IntN(3)]
	account := "123456789012"
	var c tc
	var rows []string
	type user struct{ path, name string }
	var users []user
	seen := map[string]bool{}
	rows = append(rows, row("<root_account>", fmt.Sprintf("arn:%s:iam::%s:root", part, account)))
	for k := 1 + g.r.IntN(8); k > 0; k-- {
		u := user{g.path(), g.name()}
		if seen[strings.ToLower(u.name)] { // IAM user names are unique in any case
			continue
		}
		seen[strings.ToLower(u.name)] = true
		users = append(users, u)
		rows = append(rows, row(u.name, fmt.Sprintf("arn:%s:iam::%s:user%s%s", part, account, u.path, u.name)))
	}
	c.report = credreporttest.Header + "\n" + strings.Join(rows, "\n") + "\n"

	// Expiry dates around as-of: the day itself, either side, ±1 second.
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(5))
	offsets := []time.Duration{0, -time.Second, time.Second, -24 * time.Hour, 24 * time.Hour, 6 * time.Hour,
		-6 * time.Hour, 24*time.Hour - time.Second, 23 * time.Hour}
	c.asOf = base.Add(offsets[g.r.IntN(len(offsets))])
	if g.r.IntN(4) == 0 { // the same instant elsewhere
		zones := []*time.Location{time.FixedZone("UTC+2", 2*3600), time.FixedZone("UTC-8", -8*3600), time.FixedZone("UTC+14", 14*3600)}
		c.asOf = c.asOf.In(zones[g.r.IntN(len(zones))])
	}

	var b strings.Builder
	b.WriteString("# generated case " + fmt.Sprint(n) + "\n")
	line := 2
	if g.r.IntN(2) == 0 {
		b.WriteString(customRules)
		line += 3
	}
	b.WriteString("suppressions:\n")
	line++
	for k := 1 + g.r.IntN(6); k > 0; k-- {
		var s sup
		s.rule = ruleIDs[g.r.IntN(len(ruleIDs))]
		if s.rule == "ORG-01" || s.rule == "ORG-X2" {
			if !strings.Contains(b.String(), "custom_rules") {
				s.rule = "*"
			}
		}
		var u user
		if len(users) > 0 {
			u = users[g.r.IntN(len(users))]
		} else {
			u = user{"/", g.name()}
		}
		if g.r.IntN(4) == 0 {
			s.user = g.arn(part, account, u.path, u.name)
		} else {
			s.user = g.glob(u.name)
		}
		if !modelGlobOK(s.user) && !modelIsARN(s.user) {
			s.user = "*"
		}
		if modelIsARN(s.user) {
			if _, _, _, ok := modelARN(s.user); !ok {
				s.user = "*"
			}
		}
		var expires string
		switch g.r.IntN(6) {
		case 0, 1: // none
		case 2: // an RFC 3339 time around as-of, in some zone
			s.expires = c.asOf.Add(time.Duration(g.r.IntN(3)-1) * time.Second)
			zones := []*time.Location{time.UTC, time.FixedZone("", 5*3600+1800), time.FixedZone("", -7*3600)}
			expires = s.expires.In(zones[g.r.IntN(len(zones))]).Format(time.RFC3339)
			s.expires = s.expires.UTC()
		default: // a date: the day before as-of's, its day, the day after
			s.expires = base.AddDate(0, 0, g.r.IntN(3)-1)
			expires = s.expires.Format(time.DateOnly)
			if g.r.IntN(2) == 0 {
				expires = `"` + expires + `"`
			}
		}
		c.sups = append(c.sups, s)
		c.sources = append(c.sources, fmt.Sprintf("case.yaml:%d", line))
		fmt.Fprintf(&b, "  - rule: %s\n    user: %s\n    reason: %s\n", g.yamlString(s.rule), g.yamlString(s.user),
			g.yamlString(reason(n, len(c.sups)-1)))
		line += 3
		if expires != "" {
			fmt.Fprintf(&b, "    expires: %s\n", expires)
			line++
		}
	}
	c.yaml = b.String()
	return c
}

// reason is the reason of case n's suppression i: YAML's # and : in it.
func reason(n, i int) string { return fmt.Sprintf("reason %d: #%d: it's fine", n, i) }

// TestSuppressionsAgreeWithAModelOfTheirSpecification runs thousands of
// generated configurations through config.Parse and the suppressor, and
// compares which failing results are muted, by which suppression, and each
// suppression's outcome with the model's.
func TestSuppressionsAgreeWithAModelOfTheirSpecification(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(3, 0x5eed))}
	failures := 0
	stats := map[string]int{} // what the cases exercised, so that the test cannot pass by testing nothing
	for n := 0; n < 3000 && failures < 5; n++ {
		c := g.caseN(n)
		cfg, err := config.Parse("case.yaml", []byte(c.yaml))
		if err != nil {
			t.Errorf("case %d: config refused a valid file: %v\n%s", n, err, c.yaml)
			failures++
			continue
		}
		report, err := credreport.Parse([]byte(c.report))
		if err != nil {
			t.Fatalf("case %d: %v\n%s", n, err, c.report)
		}
		custom := map[string]*rules.Rule{}
		for _, r := range cfg.Custom {
			custom[r.ID] = r
		}
		// Results: each row gets results of a few rules, failing or not.
		var results []rules.Result
		var mres []modelResult
		ids := []string{"CRED-01", "USER-02", "ROOT-01", "KEY-01", "ORG-01", "ORG-X2"}
		statuses := []rules.Status{rules.Failed, rules.Failed, rules.Failed, rules.Passed, rules.NotAvailable}
		for _, e := range report.Entries {
			for _, id := range ids {
				rule, ok := rules.Lookup(id)
				if !ok {
					if rule = custom[id]; rule == nil {
						continue
					}
				}
				if g.r.IntN(3) == 0 {
					continue
				}
				st := statuses[g.r.IntN(len(statuses))]
				results = append(results, rules.Result{Rule: rule, Entry: e, Status: st, Reason: "r"})
				mres = append(mres, modelResult{rule: id, user: e.User, arn: e.ARN, failed: st == rules.Failed, unseen: st == rules.NotAvailable})
			}
		}
		wantMuted, wantOut := model(mres, c.sups, c.asOf)
		for i, o := range wantOut {
			k := "glob"
			if modelIsARN(c.sups[i].user) {
				k = "arn"
			}
			if strings.Contains(c.sups[i].user, "[") {
				k = "class"
			}
			switch {
			case o.Expired:
				stats[k+" expired"]++
			case o.Matched > 0:
				stats[k+" matched"]++
			case o.Unseen > 0:
				stats[k+" unseen"]++
			case o.Shadowed > 0:
				stats[k+" shadowed"]++
			default:
				stats[k+" unused"]++
			}
			if !c.sups[i].expires.IsZero() && c.asOf.Sub(c.sups[i].expires).Abs() <= time.Second {
				stats["expiry within 1s"]++
			}
		}
		for i, m := range wantMuted {
			if m >= 0 && mres[i].user == "<root_account>" {
				stats["root muted"]++
			}
		}

		// The streaming path: batches of any size.
		streamed := append([]rules.Result(nil), results...)
		s := rules.NewSuppressor(cfg.Suppressions, c.asOf)
		for i := 0; i < len(streamed); {
			j := min(len(streamed), i+1+g.r.IntN(7))
			s.Apply(streamed[i:j])
			i = j
		}
		gotStream := s.Outcomes()
		// The table's path.
		table := append([]rules.Result(nil), results...)
		gotTable := rules.Suppress(table, cfg.Suppressions, c.asOf)

		bad := func(what string, args ...any) {
			failures++
			t.Errorf("case %d, as-of %s: %s\nconfiguration:\n%s", n, c.asOf.Format(time.RFC3339), fmt.Sprintf(what, args...), c.yaml)
		}
		if len(cfg.Suppressions) != len(c.sups) {
			bad("config has %d suppressions, want %d", len(cfg.Suppressions), len(c.sups))
			continue
		}
		for i, got := range cfg.Suppressions {
			want := rules.Suppression{RuleID: c.sups[i].rule, User: c.sups[i].user, Reason: reason(n, i), Expires: c.sups[i].expires, Source: c.sources[i]}
			if got != want {
				bad("suppression %d read as %+v, want %+v", i, got, want)
			}
		}
		for path, got := range map[string][]rules.Result{"NewSuppressor": streamed, "Suppress": table} {
			for i := range got {
				r := &got[i]
				w := wantMuted[i]
				var gotIdx = -1
				if r.Suppression != nil {
					for k := range cfg.Suppressions {
						if r.Suppression.Source == cfg.Suppressions[k].Source {
							gotIdx = k
						}
					}
				}
				wantReason := ""
				if w >= 0 {
					wantReason = reason(n, w)
				}
				if gotIdx != w || r.Suppressed() != (w >= 0) || r.SuppressionReason() != wantReason {
					bad("%s: %s on user %q (%s), %s: muted by suppression %d (suppressed %v, reason %q); model: %d (reason %q)",
						path, r.Rule.ID, r.User(), r.ARN(), r.Status, gotIdx, r.Suppressed(), r.SuppressionReason(), w, wantReason)
				}
			}
		}
		for path, got := range map[string][]rules.SuppressionOutcome{"NewSuppressor": gotStream, "Suppress": gotTable} {
			if len(got) != len(wantOut) {
				bad("%s: %d outcomes, want %d", path, len(got), len(wantOut))
				continue
			}
			for i, o := range got {
				g := modelOutcome{o.Expired, o.Matched, o.Unseen, o.Shadowed}
				if g != wantOut[i] {
					bad("%s: suppression %d (rule %q, user %q, expires %v): outcome %+v; model %+v",
						path, i, c.sups[i].rule, c.sups[i].user, c.sups[i].expires, g, wantOut[i])
				}
			}
		}
	}
	for _, k := range []string{"glob", "class", "arn"} {
		for _, o := range []string{"expired", "matched", "unseen", "shadowed", "unused"} {
			if stats[k+" "+o] < 50 {
				t.Errorf("only %d cases of a %s suppression %s: %v", stats[k+" "+o], k, o, stats)
			}
		}
	}
	for _, k := range []string{"expiry within 1s", "root muted"} {
		if stats[k] < 50 {
			t.Errorf("only %d cases of %s: %v", stats[k], k, stats)
		}
	}
}

// TestBadSuppressionsAreRefusedAtTheirPlace checks that config refuses what the
// model refuses, naming the file, line and column of the value.
func TestBadSuppressionsAreRefusedAtTheirPlace(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(4, 0x5eed))}
	type bad struct {
		key, value string // value "" drops the key
	}
	fixed := []bad{
		{"user", `"ci-[a-z"`}, {"user", `"["`}, {"user", `"a[^b"`}, {"user", `"[!"`}, {"user", `"x[a-"`},
		{"user", "arn:aws:iam::123456789012:role/deploy"},
		{"user", "arn:aws:iam::123456789012:user/ci-*"},
		{"user", "arn:aws:iam::123456789012:user/ci-?"},
		{"user", "arn:aws:iam::123456789012:user/[ab]"},
		{"user", "arn:aws:iam::123456789012:group/admins"},
		{"user", "arn:aws:sts::123456789012:assumed-role/r/s"},
		{"user", "arn:aws:iam::12345678901:user/alice"},
		{"user", "arn:aws:iam::123456789012:user/"},
		{"user", "arn:aws:iam:us-east-1:123456789012:user/alice"},
		{"user", "arn:aws:iam::123456789012:*"},
		{"user", "arn:aws:iam::*:root"},
		{"user", ""}, {"user", `""`},
		{"reason", ""}, {"reason", `""`}, {"reason", `"   "`},
		{"expires", "2027-02-30"}, {"expires", "2027-13-01"}, {"expires", "tomorrow"}, {"expires", `"31/03/2027"`},
		{"expires", "2027-3-31"},
	}
	for n, b := range fixed {
		// A valid suppression or two before, then the bad one.
		var y strings.Builder
		y.WriteString("profile: all\nsuppressions:\n")
		line := 3
		for k := g.r.IntN(3); k > 0; k-- {
			fmt.Fprintf(&y, "  - rule: '*'\n    user: %s\n    reason: ok\n", g.yamlString("ok-user"))
			line += 3
		}
		item := line
		kv := map[string]string{"rule": "CRED-01", "user": "alice", "reason": "because", "expires": "2027-03-31"}
		kv[b.key] = b.value
		wantLine, wantCol := item, 5 // a missing key: the suppression
		first := true
		for _, k := range []string{"rule", "user", "reason", "expires"} {
			if kv[k] == "" {
				continue
			}
			lead := "    "
			if first {
				lead = "  - "
				first = false
			}
			fmt.Fprintf(&y, "%s%s: %s\n", lead, k, kv[k])
			if k == b.key { // a bad value, a blank one too: the value
				wantLine, wantCol = line, len(lead)+len(k)+3
			}
			line++
		}
		_, err := config.Parse("bad.yaml", []byte(y.String()))
		var ce *config.Error
		if !errors.As(err, &ce) {
			t.Errorf("%d: %s: %s: got %v, want a *config.Error\n%s", n, b.key, b.value, err, y.String())
			continue
		}
		if ce.File != "bad.yaml" || ce.Line != wantLine || ce.Column != wantCol {
			t.Errorf("%d: %s: %s: refused at %s:%d:%d, want bad.yaml:%d:%d (%v)\n%s", n, b.key, b.value, ce.File, ce.Line, ce.Column, wantLine, wantCol, err, y.String())
		}
	}
}
