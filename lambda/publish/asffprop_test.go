package publish_test

// A property test of the ASFF credaudit imports: generated configurations
// (custom rules with extreme titles, descriptions, remediations and URLs;
// suppressions with long reasons) and credential reports (extreme user names
// and paths, every partition, sentinels) go through the real path —
// config.Parse, Selection, audit.Auditor.Audit with a state directory and
// an Importer over a recording client, twice, so that findings are opened,
// refreshed, resolved and gone — and every finding the run sends, and every
// finding `scan --format asff` prints (audit.Findings), is checked against
// the validator of asffcheck_test.go, written from Security Hub's
// documentation, and against publish/doc.go's truncation rule.

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"gopkg.in/yaml.v3"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/rules"
	"github.com/credaudit/credaudit/lambda/state"
)

// propSeed fixes the generator: every run checks the same inputs.
const propSeed = 0x5ec0_4b1d

// propCases is how many accounts are generated (two runs each).
const propCases = 90

// plainPieces are the bits a text the configuration takes is made of
// (custom rule texts, a suppression's reason): ASCII, two-, three- and
// four-byte UTF-8, combining marks, emoji sequences, a tab, spaces JSON or
// Go treat specially.
var plainPieces = []string{
	"a", "Z", "0", " ", "word ", "-", ".", "/", ":", "\"", "\\", "<", ">", "&", "'", "%", "#",
	"é", "ß", "ñ", "Ω", "ж", // 2 bytes
	"中", "文", "€", "‰", "…", "\u200b", "\u2028", "\u2029", "\ufeff", "\u202e", "\u00a0", "\u3000", // 3 bytes (and U+00A0: 2)
	"e\u0301", "a\u0308\u0323", "\u0301", // combining marks
	"😀", "🇺🇸", "👩\u200d💻", "𝔘", "🏳️\u200d🌈", // 4 bytes, surrogate pairs in UTF-16
	"\t",
}

// pieces are plainPieces and the controls the configuration refuses, which
// reach the findings through the reasons, which quote the assert.
var pieces = append(slices.Clone(plainPieces), "\x01", "\x1f", "\x7f", "\u0085")

// genText is a text of exactly n UTF-16 code units (Security Hub's count),
// not blank, made of pieces.
func genText(r *rand.Rand, n int) string { return genFrom(r, n, pieces) }

// genPlain is genText of plainPieces: a text the configuration takes.
func genPlain(r *rand.Rand, n int) string { return genFrom(r, n, plainPieces) }

func genFrom(r *rand.Rand, n int, pieces []string) string {
	var b strings.Builder
	units := 0
	for units < n {
		p := pieces[r.IntN(len(pieces))]
		if units+publish.Length(p) > n {
			p = "x"
		}
		b.WriteString(p)
		units += publish.Length(p)
	}
	s := b.String()
	if strings.TrimSpace(s) == "" || unicode.IsSpace([]rune(s)[0]) {
		// Not blank, and not starting with a space, which YAML and
		// config would trim differently from the text meant.
		_, size := utf8.DecodeRuneInString(s)
		s = strings.Repeat("x", publish.Length(s[:size])) + s[size:]
	}
	return s
}

// genLength picks a length for a field of limit max: small, random, at the
// limit, or just under it, with a piece crossing the boundary now and then.
func genLength(r *rand.Rand, max int) int {
	switch r.IntN(5) {
	case 0:
		return 1 + r.IntN(8)
	case 1:
		return 1 + r.IntN(max)
	case 2:
		return max - r.IntN(3)
	}
	return max
}

// customRule is a generated custom rule, as written in the file.
type customRule struct {
	id, title, description, remediation, url, severity string
	where, assert                                      string
	over                                               string // the field one past its limit, if any
}

// fit brings the field one past its limit back to it.
func (c *customRule) fit() {
	cut := func(s string, limit int) string {
		for publish.Length(s) > limit {
			_, size := utf8.DecodeLastRuneInString(s)
			s = s[:len(s)-size]
		}
		return s
	}
	switch c.over {
	case "title":
		c.title = cut(c.title, 256)
	case "description":
		c.description = cut(c.description, 1024)
	case "remediation":
		c.remediation = cut(c.remediation, 512)
	case "url":
		for escapedLen(c.url) > 512 {
			_, size := utf8.DecodeLastRuneInString(c.url)
			c.url = c.url[:len(c.url)-size]
		}
	}
	c.over = ""
}

// genCustom makes a custom rule whose every text is at or near its limit.
func genCustom(r *rand.Rand, i int) customRule {
	id := fmt.Sprintf("ORG-%02d", i)
	if r.IntN(3) == 0 { // the longest ID config takes: 64 characters
		id = "X" + strings.Repeat("Y", 60-len(fmt.Sprint(i))) + "-" + fmt.Sprint(i) + "Z"
		id = id[:min(len(id), 64)]
	}
	c := customRule{
		id:          id,
		title:       genPlain(r, genLength(r, 256)),
		remediation: genPlain(r, genLength(r, 512)),
		severity:    []string{"informational", "low", "medium", "high", "critical", "CRITICAL"}[r.IntN(6)],
	}
	if r.IntN(4) > 0 {
		c.description = genPlain(r, genLength(r, 1024))
	}
	if r.IntN(3) > 0 {
		c.url = genURL(r, genLength(r, 512))
	}
	// Now and then one field one past its limit, which config must
	// refuse at its place; the run then goes on with it at the limit.
	if r.IntN(6) == 0 {
		c.over = []string{"title", "description", "remediation", "url"}[r.IntN(4)]
		switch c.over {
		case "title":
			c.title = genPlain(r, 257)
		case "description":
			c.description = genPlain(r, 1025)
		case "remediation":
			c.remediation = genPlain(r, 513)
		case "url":
			c.url = genURL(r, 513)
			for escapedLen(c.url) < 513 { // a wide character left it short
				c.url += "y"
			}
		}
	}
	switch r.IntN(4) {
	case 0:
		c.where = "is_root || !is_root" // root too: an AwsAccount resource
	case 1:
		c.where = "!is_root && password_enabled"
	}
	// The assert's source is the reason ("assert … does not hold"): a long
	// literal makes a reason longer than every field it goes into.
	lit := genText(r, []int{5, 300, 1100, 2100, 3000}[r.IntN(5)])
	lit = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`).Replace(lit)
	switch r.IntN(3) {
	case 0:
		c.assert = `user == "` + lit + `"` // fails everyone
	case 1:
		c.assert = `user != "` + lit + `"` // passes everyone
	default:
		c.assert = `size(user) % 2 == 0 || user == "` + lit + `"`
	}
	return c
}

// genURL is an http(s) URL as a person pastes it (spaces, letters outside
// ASCII, characters a URI must escape) that is n characters once
// percent-encoded, as the README says it is read, or just under when a
// multi-byte character does not fit.
func genURL(r *rand.Rand, n int) string {
	u := []string{"https://", "http://"}[r.IntN(2)] + []string{"docs.example.com", "runbooks.example.org:8443", "xn--r8jz45g.jp"}[r.IntN(3)] + "/"
	chars := []string{"a", "b", "-", "_", "/", " ", "é", "中", "😀", "<", ">", "{", "}", "|", "^", "`", "\"", "~", "(", ")", "+", ",", ";", "=", "@", "!", "*", "'", "?", "#"}
	for escapedLen(u) < n {
		c := chars[r.IntN(len(chars))]
		if escapedLen(u+c) > n {
			c = "z"
		}
		u += c
	}
	return u
}

// escapedLen is s's length percent-encoded: a byte other than a printable
// ASCII character a URI may hold takes three.
func escapedLen(s string) int {
	n := 0
	for _, c := range []byte(s) {
		if c > ' ' && c < 0x7f && !strings.ContainsRune("<>\"\\^`{|}", rune(c)) {
			n++
		} else {
			n += 3
		}
	}
	return n
}

// suppression is a generated suppression.
type suppression struct {
	rule, user, reason, expires string
}

// yamlString is a scalar node written double-quoted, so that every text
// (controls, leading spaces, line separators) reads back as it is.
func yamlString(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
}

func yamlMap(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		v, ok := kv[i+1].(*yaml.Node)
		if !ok {
			s := kv[i+1].(string)
			if s == "" {
				continue
			}
			v = yamlString(s)
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: kv[i].(string)}, v)
	}
	return n
}

// configFile writes the configuration as YAML.
func configFile(t *testing.T, profile string, custom []customRule, sups []suppression) []byte {
	doc := yamlMap("profile", profile)
	if len(custom) > 0 {
		list := &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range custom {
			list.Content = append(list.Content, yamlMap("id", c.id, "title", c.title, "description", c.description,
				"severity", c.severity, "remediation", c.remediation, "url", c.url, "where", c.where, "assert", c.assert))
		}
		doc.Content = append(doc.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "custom_rules"}, list)
	}
	if len(sups) > 0 {
		list := &yaml.Node{Kind: yaml.SequenceNode}
		for _, s := range sups {
			m := yamlMap("rule", s.rule, "user", s.user, "reason", s.reason)
			if s.expires != "" {
				m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "expires"}, &yaml.Node{Kind: yaml.ScalarNode, Value: s.expires})
			}
			list.Content = append(list.Content, m)
		}
		doc.Content = append(doc.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "suppressions"}, list)
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("marshal the configuration: %v", err))
	}
	return b
}

// iamNameChars are the characters IAM allows in a user name.
const iamNameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-"

// genUser is a user name (IAM's characters, 1–64, or now and then letters
// IAM would not allow but the report parser takes) and path (/ or up to
// IAM's 512 characters of printable ASCII).
func genUser(r *rand.Rand, i int) (name, path string) {
	n := []int{1, 8, 63, 64, 64}[r.IntN(5)]
	suffix := fmt.Sprintf("%d", i) // unique regardless of case
	var b strings.Builder
	for b.Len() < n-len(suffix) {
		b.WriteByte(iamNameChars[r.IntN(len(iamNameChars))])
	}
	name = b.String() + suffix
	if r.IntN(8) == 0 {
		name = "é中😀" + suffix
	}
	path = "/"
	switch r.IntN(4) {
	case 0:
		path = "/engineering/"
	case 1, 2:
		total := []int{100, 511, 512}[r.IntN(3)]
		var p strings.Builder
		p.WriteByte('/')
		for p.Len() < total-1 {
			c := byte(0x21 + r.IntN(0x7e-0x21+1))
			if c == '/' && strings.HasSuffix(p.String(), "/") {
				c = 'p'
			}
			p.WriteByte(c)
		}
		path = strings.TrimSuffix(p.String(), "/") + "/"
	}
	return name, path
}

// reportRow is one generated row of the credential report.
type reportRow []string

// genRow makes a row of the report's 22 columns, the cells random but of
// their column's type (a timestamp, a sentinel where IAM writes one, a
// boolean), as of asOf.
func genRow(r *rand.Rand, user, arn string, root bool, asOf time.Time) reportRow {
	when := func() string {
		return asOf.Add(-time.Duration(r.Int64N(int64(4000 * 24 * time.Hour)))).UTC().Format("2006-01-02T15:04:05+00:00")
	}
	tOr := func(sentinels ...string) string {
		if r.IntN(3) == 0 {
			return sentinels[r.IntN(len(sentinels))]
		}
		return when()
	}
	b := func() string { return []string{"true", "false"}[r.IntN(2)] }
	row := reportRow{user, arn, when()}
	if root {
		row = append(row, "not_supported", tOr("N/A", "no_information"), "not_supported", "not_supported")
	} else {
		row = append(row, b(), tOr("N/A", "no_information"), tOr("N/A"), tOr("N/A"))
	}
	row = append(row, b())
	for range 2 {
		if r.IntN(2) == 0 {
			row = append(row, "false", "N/A", "N/A", "N/A", "N/A")
			continue
		}
		region, service := "N/A", "N/A"
		used := tOr("N/A")
		if used != "N/A" {
			region, service = []string{"us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"}[r.IntN(4)], []string{"s3", "iam", "sts"}[r.IntN(3)]
		}
		row = append(row, b(), when(), used, region, service)
	}
	for range 2 {
		if r.IntN(3) == 0 {
			row = append(row, b(), when())
		} else {
			row = append(row, "false", "N/A")
		}
	}
	return row
}

func writeReport(t *testing.T, rows []reportRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(credreporttest.Header + "\n")
	w := csv.NewWriter(&buf)
	for _, row := range rows {
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return buf.Bytes()
}

// recorder is a Security Hub client that takes everything and keeps what it
// was sent.
type recorder struct {
	imports []*securityhub.BatchImportFindingsInput
	updates []*securityhub.BatchUpdateFindingsInput
}

func (c *recorder) BatchImportFindings(_ context.Context, in *securityhub.BatchImportFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	c.imports = append(c.imports, in)
	return &securityhub.BatchImportFindingsOutput{SuccessCount: aws.Int32(int32(len(in.Findings))), FailedCount: aws.Int32(0)}, nil
}

func (c *recorder) BatchUpdateFindings(_ context.Context, in *securityhub.BatchUpdateFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchUpdateFindingsOutput, error) {
	c.updates = append(c.updates, in)
	out := &securityhub.BatchUpdateFindingsOutput{}
	for _, id := range in.FindingIdentifiers {
		out.ProcessedFindings = append(out.ProcessedFindings, id)
	}
	return out, nil
}

// partitions are the three the README names, each with a home region.
var partitions = []struct{ name, region string }{
	{"aws", "eu-west-1"}, {"aws-cn", "cn-northwest-1"}, {"aws-us-gov", "us-gov-west-1"},
}

// propCase is one generated account: a configuration and two reports.
type propCase struct {
	n                 int
	partition, region string
	account           string
	profile           string
	custom            []customRule
	sups              []suppression
	reports           [2][]byte
	asOf              [2]time.Time
	facts             *rules.Account
}

func (c *propCase) String() string {
	return fmt.Sprintf("case %d (seed %#x): partition %s, region %s, account %s\n--- configuration ---\n%s--- first report ---\n%s--- second report (as of %s) ---\n%s",
		c.n, propSeed, c.partition, c.region, c.account, configFile(nil, c.profile, c.custom, c.sups), clip(c.reports[0]), c.asOf[1].Format(time.RFC3339), clip(c.reports[1]))
}

// clip shortens a report for a failure message.
func clip(b []byte) string {
	if len(b) > 6000 {
		return string(b[:6000]) + "\n…\n"
	}
	return string(b)
}

func genCase(t *testing.T, r *rand.Rand, n int) *propCase {
	t.Helper()
	p := partitions[n%len(partitions)]
	c := &propCase{n: n, partition: p.name, region: p.region, account: fmt.Sprintf("%012d", r.Int64N(1e12))}
	profiles := rules.ProfileNames()
	var custom []customRule
	for i := range r.IntN(4) {
		custom = append(custom, genCustom(r, i+1))
	}
	var sups []suppression
	for range r.IntN(4) {
		s := suppression{rule: "*", user: []string{"*", "a*", "<root_account>", "[a-m]*"}[r.IntN(4)],
			reason: genPlain(r, []int{10, 511, 513, 2047, 2049, 5000}[r.IntN(6)])}
		if len(custom) > 0 && r.IntN(2) == 0 {
			s.rule = custom[r.IntN(len(custom))].id
		} else if r.IntN(2) == 0 {
			s.rule = rules.Catalog()[r.IntN(len(rules.Catalog()))].ID
		}
		if r.IntN(3) == 0 {
			s.expires = "2027-03-01" // between the two runs: unmuted in the second
		}
		sups = append(sups, s)
	}
	c.profile, c.custom, c.sups = profiles[n%len(profiles)], custom, sups

	c.asOf[0] = time.Date(2027, 1, 1+r.IntN(50), r.IntN(24), r.IntN(60), r.IntN(60), 0, time.UTC)
	c.asOf[1] = c.asOf[0].Add(time.Duration(1+r.IntN(120)) * 24 * time.Hour).Add(time.Duration(r.IntN(1e9)))
	if r.IntN(3) > 0 {
		c.facts = &rules.Account{RootVirtualMFA: r.IntN(2) == 0, RootMFAEnabled: r.IntN(2) == 0, RootPasswordPresent: r.IntN(2) == 0}
	}
	arnPrefix := "arn:" + c.partition + ":iam::" + c.account + ":"
	rows := []reportRow{genRow(r, "<root_account>", arnPrefix+"root", true, c.asOf[0])}
	for i := range 3 + r.IntN(10) {
		name, path := genUser(r, i)
		rows = append(rows, genRow(r, name, arnPrefix+"user"+path+name, false, c.asOf[0]))
	}
	c.reports[0] = writeReport(t, rows)
	// The second report: some users deleted (gone), the rest re-rolled
	// (fixed, or failing otherwise), as of later.
	next := []reportRow{genRow(r, "<root_account>", arnPrefix+"root", true, c.asOf[1])}
	for _, row := range rows[1:] {
		if r.IntN(4) == 0 {
			continue
		}
		next = append(next, genRow(r, row[0], row[1], false, c.asOf[1]))
	}
	c.reports[1] = writeReport(t, next)
	return c
}

// sourceTexts are the untruncated texts a finding's fields come from.
type sourceTexts struct {
	title, remediation, url string
}

// wantTruncated is publish/doc.go's rule: a text within limit units is
// kept as it is; a longer one is cut on a rune boundary to the longest
// prefix that fits with TruncationMarker, trailing spaces dropped, and ends
// in the marker.
func wantTruncated(s string, limit int) string {
	if publish.Length(s) <= limit {
		return s
	}
	budget := limit - publish.Length(publish.TruncationMarker)
	end, units := 0, 0
	for i, r := range s {
		u := publish.Length(string(r))
		if units+u > budget {
			break
		}
		units += u
		end = i + utf8.RuneLen(r)
	}
	return strings.TrimRightFunc(s[:end], unicode.IsSpace) + publish.TruncationMarker
}

// checkTruncation checks a text field against its source: kept whole when
// it fits, else truncated by the documented rule, never splitting a
// character's bytes.
func checkTruncation(field, got, source string, limit int) []string {
	var v []string
	if !utf8.ValidString(got) {
		v = append(v, fmt.Sprintf("%s: a UTF-8 sequence was split: %q", field, got))
	}
	if want := wantTruncated(source, limit); got != want {
		v = append(v, fmt.Sprintf("%s: from a source of %d units (limit %d) got\n\t%q\nwant\n\t%q", field, publish.Length(source), limit, got, want))
	}
	return v
}

// checkFinding checks one finding: the documented rules, and what
// credaudit's README and doc.go promise of its fields.
func checkFinding(c *propCase, f *types.AwsSecurityFinding, src map[string]sourceTexts, reasons map[string]string) []string {
	v := violations(f)
	if got, want := aws.ToString(f.ProductArn), publish.DefaultProductARN(c.partition, c.region, c.account); got != want {
		v = append(v, fmt.Sprintf("ProductArn: %q, want the home region's default product %q", got, want))
	}
	if got := aws.ToString(f.AwsAccountId); got != c.account {
		v = append(v, fmt.Sprintf("AwsAccountId: %q, want %q", got, c.account))
	}
	for i, res := range f.Resources {
		if string(res.Partition) != c.partition {
			v = append(v, fmt.Sprintf("Resources[%d].Partition: %q, want %q", i, res.Partition, c.partition))
		}
		if aws.ToString(res.Region) != c.region {
			v = append(v, fmt.Sprintf("Resources[%d].Region: %q, want %q", i, aws.ToString(res.Region), c.region))
		}
	}
	rule := aws.ToString(f.GeneratorId)
	s, ok := src[rule]
	if !ok {
		return append(v, fmt.Sprintf("GeneratorId: %q is no selected rule", rule))
	}
	v = append(v, checkTruncation("Title", aws.ToString(f.Title), s.title, docTitleMax)...)
	var text, link string
	if f.Remediation != nil && f.Remediation.Recommendation != nil {
		text, link = aws.ToString(f.Remediation.Recommendation.Text), aws.ToString(f.Remediation.Recommendation.Url)
	}
	v = append(v, checkTruncation("Remediation.Recommendation.Text", text, strings.TrimSpace(s.remediation), docRecommendationMax)...)
	if link != s.url {
		v = append(v, fmt.Sprintf("Remediation.Recommendation.Url: %q, want the rule's %q", link, s.url))
	}
	if reason, ok := reasons[aws.ToString(f.Id)]; ok {
		v = append(v, checkTruncation("ProductFields[credaudit/Reason]", f.ProductFields[publish.ProductFieldReason], strings.TrimSpace(reason), docProductValueMax)...)
	}
	for k, val := range f.ProductFields {
		if strings.HasSuffix(val, publish.TruncationMarker) && publish.Length(val) > docProductValueMax {
			v = append(v, fmt.Sprintf("ProductFields[%s]: truncated to %d units", k, publish.Length(val)))
		}
	}
	if d := aws.ToString(f.Description); strings.HasSuffix(d, publish.TruncationMarker) && publish.Length(d) != docDescriptionMax && publish.Length(d) < docDescriptionMax-8 {
		// The cut keeps as much as fits: only a wide character (two
		// units) or trailing spaces may leave it short of the limit.
		v = append(v, fmt.Sprintf("Description: truncated to %d units, well under %d", publish.Length(d), docDescriptionMax))
	}
	return v
}

func TestEveryImportedFindingIsValidASFF(t *testing.T) {
	r := rand.New(rand.NewPCG(propSeed, 0))
	findings, refused := 0, 0
	reached = map[string]int{}
	for n := range propCases {
		c := genCase(t, r, n)
		if !runCase(t, c) {
			return
		}
		findings += lastFindings
		refused += lastRefused
	}
	t.Logf("%d accounts, %d findings checked, %d configurations refused as over a limit", propCases, findings, refused)
	want := []string{"partition aws", "partition aws-cn", "partition aws-us-gov", "compliance FAILED", "compliance PASSED",
		"record state ACTIVE", "record state ARCHIVED", "resource AwsIamUser", "resource AwsAccount",
		"description truncated", "reason truncated", "suppression reason truncated", "suppressed", "title at its limit",
		"remediation at its limit", "URL percent-encoded", "ID shortened", "resource ID over 512", "description outside the BMP",
		"reason with a control character", "report time", "note truncated", "custom rule one past a limit"}
	for _, l := range types.SeverityLabel("").Values() {
		want = append(want, "severity "+string(l))
	}
	for _, rule := range rules.Catalog() {
		want = append(want, "rule "+rule.ID)
	}
	for _, w := range want {
		if reached[w] == 0 {
			t.Errorf("no generated finding reached %q: the generator no longer covers it", w)
		}
	}
}

var lastFindings, lastRefused int

// reached counts what the generated findings covered, so that the test
// fails when the generator stops reaching an extreme.
var reached map[string]int

// cover counts what f covers.
func cover(f *types.AwsSecurityFinding) {
	mark := func(ok bool, what string) {
		if ok {
			reached[what]++
		}
	}
	marked := func(s string) bool { return strings.HasSuffix(s, publish.TruncationMarker) }
	reached["rule "+aws.ToString(f.GeneratorId)]++
	reached["partition "+string(f.Resources[0].Partition)]++
	reached["compliance "+string(f.Compliance.Status)]++
	reached["record state "+string(f.RecordState)]++
	reached["severity "+string(f.FindingProviderFields.Severity.Label)]++
	reached["resource "+aws.ToString(f.Resources[0].Type)]++
	mark(marked(aws.ToString(f.Description)), "description truncated")
	mark(marked(f.ProductFields[publish.ProductFieldReason]), "reason truncated")
	mark(marked(f.ProductFields[publish.ProductFieldSuppression]), "suppression reason truncated")
	mark(f.ProductFields[publish.ProductFieldSuppression] != "", "suppressed")
	mark(publish.Length(aws.ToString(f.Title)) == docTitleMax, "title at its limit")
	mark(f.Remediation != nil && publish.Length(aws.ToString(f.Remediation.Recommendation.Text)) == docRecommendationMax, "remediation at its limit")
	mark(f.Remediation != nil && strings.Contains(aws.ToString(f.Remediation.Recommendation.Url), "%"), "URL percent-encoded")
	mark(strings.Contains(aws.ToString(f.Id), "#"), "ID shortened")
	mark(len(aws.ToString(f.Resources[0].Id)) > 512, "resource ID over 512")
	mark(strings.ContainsFunc(aws.ToString(f.Description), func(r rune) bool { return r > 0xffff }), "description outside the BMP")
	mark(strings.ContainsAny(f.ProductFields[publish.ProductFieldReason], "\x01\x7f"), "reason with a control character")
	mark(f.ProductFields[publish.ProductFieldReportGeneratedAt] != "", "report time")
}

// runCase runs the two audits of c and checks what they send; false stops
// the test at the first case that breaks a rule.
func runCase(t *testing.T, c *propCase) bool {
	t.Helper()
	lastFindings, lastRefused = 0, 0
	ctx := context.Background()
	for i := range c.custom {
		cr := &c.custom[i]
		if cr.over == "" {
			continue
		}
		_, err := config.Parse("credaudit.yaml", configFile(t, c.profile, c.custom, c.sups))
		want := fmt.Sprintf("custom_rules[%d].%s is ", i, cr.over)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "at most") {
			t.Errorf("%s\nconfig.Parse of custom_rules[%d].%s one past its limit: %v, want an error naming it (%q…at most)", c, i, cr.over, err, want)
			return false
		}
		lastRefused++
		reached["custom rule one past a limit"]++
		cr.fit()
	}
	cfg, err := config.Parse("credaudit.yaml", configFile(t, c.profile, c.custom, c.sups))
	if err != nil {
		t.Fatalf("%s\nconfig.Parse: %v", c, err)
	}
	for i, cr := range c.custom { // the texts read back as written
		got := cfg.Custom[i]
		desc := cr.description
		if desc == "" {
			desc = cr.title
		}
		if got.Title != cr.title || got.Description != desc || got.Remediation != cr.remediation {
			t.Fatalf("%s\ncustom_rules[%d] read back as title %q, description %q, remediation %q", c, i, got.Title, got.Description, got.Remediation)
		}
	}
	selected, _, err := cfg.Selection("")
	if err != nil {
		t.Fatalf("%s\nSelection: %v", c, err)
	}
	src := map[string]sourceTexts{}
	for _, s := range selected {
		src[s.Rule.ID] = sourceTexts{title: s.Rule.Title, remediation: s.Rule.Remediation, url: strings.TrimSpace(s.Rule.URL)}
	}
	rec := &recorder{}
	clock := c.asOf[0]
	im := &publish.Importer{Client: rec, Now: func() time.Time { return clock },
		Sleep: func(_ context.Context, d time.Duration) error { clock = clock.Add(d); return nil }}
	a := &audit.Auditor{Selected: selected, Suppressions: cfg.Suppressions, Store: state.NewDir(t.TempDir()),
		Hub: im, HubRegion: c.region, Now: func() time.Time { return clock }}
	for run := range 2 {
		clock = c.asOf[run].Add(3 * time.Minute)
		rep, err := credreport.Parse(c.reports[run])
		if err != nil {
			t.Fatalf("%s\nrun %d: parse the report: %v", c, run+1, err)
		}
		if run == 1 {
			rep.GeneratedTime = c.asOf[run] // a live report's time; the first run's CSV has none
		}
		obs := &audit.Observation{Report: rep, AsOf: c.asOf[run], Account: c.facts}
		sentBefore := len(rec.imports)
		out, err := a.Audit(ctx, obs)
		if err != nil {
			t.Fatalf("%s\nrun %d: audit: %v", c, run+1, err)
		}
		reasons := map[string]string{} // finding ID → the reason it is sent with, where this run has it
		for _, ch := range out.Changes {
			if ch.Result != nil && !ch.Unavailable && ch.Import() {
				reasons[ch.ID()] = ch.Result.Reason
			}
		}
		printed, err := audit.Findings(out, rep.Partition, c.region, selected)
		if err != nil {
			t.Errorf("%s\nrun %d: audit.Findings (scan --format asff) could not map every change: %v", c, run+1, err)
			return false
		}
		var sent []types.AwsSecurityFinding
		for _, in := range rec.imports[sentBefore:] {
			if len(in.Findings) > docFindingsPerBatch {
				t.Errorf("%s\nrun %d: a BatchImportFindings request of %d findings, at most %d", c, run+1, len(in.Findings), docFindingsPerBatch)
				return false
			}
			size, err := wireSize(in.Findings)
			if err != nil || size > docPerBatchBytes {
				t.Errorf("%s\nrun %d: a BatchImportFindings request of %d bytes (%v), at most %d", c, run+1, size, err, docPerBatchBytes)
				return false
			}
			sent = append(sent, in.Findings...)
		}
		if len(sent) != len(printed) {
			t.Errorf("%s\nrun %d: the run sent %d findings, --format asff prints %d", c, run+1, len(sent), len(printed))
			return false
		}
		for i := range printed {
			if v := checkFinding(c, &printed[i], src, reasons); len(v) > 0 {
				b, _ := publish.Marshal(printed[i])
				t.Errorf("%s\nrun %d: finding %s breaks:\n\t%s\nfinding: %s", c, run+1, aws.ToString(printed[i].Id), strings.Join(v, "\n\t"), b)
				return false
			}
		}
		for i := range printed {
			cover(&printed[i])
		}
		lastFindings += len(printed)
		if out.Hub.Err != nil {
			t.Errorf("%s\nrun %d: Security Hub refused findings before sending: %v", c, run+1, out.Hub.Err)
			return false
		}
	}
	for _, in := range rec.updates {
		if n := in.Note; n != nil {
			text := aws.ToString(n.Text)
			if !utf8.ValidString(text) || docChars(text) < 1 || docChars(text) > 512 || strings.TrimSpace(text) == "" {
				t.Errorf("%s\nBatchUpdateFindings Note.Text of %d units (1–512, valid UTF-8): %q", c, docChars(text), text)
				return false
			}
			if strings.HasSuffix(text, publish.TruncationMarker) {
				reached["note truncated"]++
			}
			if by := aws.ToString(n.UpdatedBy); by == "" {
				t.Errorf("%s\nBatchUpdateFindings Note.UpdatedBy is empty", c)
				return false
			}
		}
		if len(in.FindingIdentifiers) > 100 || !slices.Contains(types.WorkflowStatus("").Values(), in.Workflow.Status) {
			t.Errorf("%s\nBatchUpdateFindings of %d findings, status %q", c, len(in.FindingIdentifiers), in.Workflow.Status)
			return false
		}
	}
	return true
}
