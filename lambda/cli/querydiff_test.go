package cli

// A differential test of credaudit query: an independent model of the
// README's "credaudit query" section (and issue 2 §5: every column typed,
// queryable with --where as InSpec's aws_iam_credential_report is) decides
// which rows a --where expression keeps and what --columns prints in JSON and
// CSV, over generated reports and expressions; Run must agree. The model reads
// cells as the README says: booleans in any ASCII case, a sentinel in a
// boolean column false in CEL and null in JSON, a timestamp an instant (any
// offset, any fraction) or null for N/A, no_information and not_supported,
// region and service a string or null for a sentinel, user and arn and
// unknown columns strings, raw every cell as written. Comparisons follow
// CEL's: == and != between null and a value are false and true, ordering a
// null is an error, && and || absorb an error when the other side decides,
// and an expression that fails on a row fails the query naming that row
// with nothing printed.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// qdColumns are the report's 22 columns (rules-catalog §1.1).
var qdColumns = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
	"password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
	"access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active",
	"cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

type qdKind int

const (
	qdString   qdKind = iota // user, arn, and unknown columns
	qdBool                   // bool; a sentinel is false (JSON null)
	qdTime                   // timestamp or null
	qdNullText               // region/service: string or null
)

func qdKindOf(col string) qdKind {
	switch {
	case col == "user" || col == "arn":
		return qdString
	case col == "password_enabled" || col == "mfa_active" || strings.HasSuffix(col, "_active"):
		if slices.Contains(qdColumns, col) {
			return qdBool
		}
	case strings.HasSuffix(col, "_region") || strings.HasSuffix(col, "_service"):
		if slices.Contains(qdColumns, col) {
			return qdNullText
		}
	case slices.Contains(qdColumns, col):
		return qdTime
	}
	return qdString
}

func qdSentinel(s string) bool { return s == "N/A" || s == "no_information" || s == "not_supported" }

// qdReport is a generated report: its header, its rows' cells as written, and
// the time the query runs as of.
type qdReport struct {
	header  []string
	rows    [][]string
	account string
	asOf    time.Time
	asOfArg string
	crlf    bool
	// the file's shape: a UTF-8 BOM, blank lines before the header, no final
	// line end, or the JSON aws iam get-credential-report prints (as of its
	// GeneratedTime instead of --as-of)
	bom, blank, noFinal, asJSON bool
}

func (r *qdReport) cell(row int, col string) (string, bool) {
	i := slices.Index(r.header, col)
	if i < 0 {
		return "", false
	}
	return r.rows[row][i], true
}

func (r *qdReport) csvText() string {
	return reportCSV(r.header, r.rows, r.bom, r.blank, r.crlf, r.noFinal)
}

// input is the file query reads: the CSV, or the CLI's JSON around it.
func (r *qdReport) input() string {
	if !r.asJSON {
		return r.csvText()
	}
	return cliReportJSON(r.csvText(), r.asOfArg)
}

// reportCSV is a generated report as a file holds it: header and rows as
// encoding/csv writes them, after a UTF-8 BOM and blank lines when asked,
// with CRLF line ends, or without the last line's end.
func reportCSV(header []string, rows [][]string, bom, blank, crlf, noFinal bool) string {
	var b strings.Builder
	if bom {
		b.WriteString("\ufeff")
	}
	if blank {
		b.WriteString("\n\n")
	}
	w := csv.NewWriter(&b)
	w.UseCRLF = crlf
	_ = w.Write(header)
	_ = w.WriteAll(rows)
	s := b.String()
	if noFinal {
		s = strings.TrimRight(s, "\r\n")
	}
	return s
}

// cliReportJSON is the report text as aws iam get-credential-report
// prints it, generated at generated.
func cliReportJSON(text, generated string) string {
	b, _ := json.Marshal(map[string]string{
		"Content":       base64.StdEncoding.EncodeToString([]byte(text)),
		"ReportFormat":  "text/csv",
		"GeneratedTime": generated,
	})
	return string(b)
}

// line is the line of the file (of Content) row i starts on.
func (r *qdReport) line(i int) int {
	n := 2
	if r.blank {
		n += 2
	}
	for _, row := range r.rows[:i] {
		for _, c := range row {
			n += strings.Count(c, "\n")
		}
		n++
	}
	return n
}

// mv is a model value of CEL.
type mv struct {
	k mk
	b bool
	s string
	t time.Time
	d time.Duration
	i int64
}

type mk int

const (
	mErr mk = iota
	mNull
	mBool
	mStr
	mTime
	mDur
	mInt
)

var errV = mv{k: mErr}

func boolV(b bool) mv { return mv{k: mBool, b: b} }

// qdRow is a row as the model's expressions see it.
type qdRow struct {
	r   *qdReport
	idx int
}

func (q qdRow) raw(col string) (string, bool) { return q.r.cell(q.idx, col) }

// typed is the model's reading of a known column's cell as the README's
// "Expression variables" describe it.
func (q qdRow) typed(col string) mv {
	s, _ := q.raw(col)
	switch qdKindOf(col) {
	case qdBool:
		return boolV(strings.EqualFold(s, "true"))
	case qdTime:
		if qdSentinel(s) {
			return mv{k: mNull}
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic("generated a bad timestamp " + s)
		}
		return mv{k: mTime, t: t}
	case qdNullText:
		if qdSentinel(s) {
			return mv{k: mNull}
		}
	}
	return mv{k: mStr, s: s}
}

// jsonValue is the model's JSON value of a column of a row: typed, null for a
// sentinel, a timestamp as its instant.
func (q qdRow) jsonValue(col string) any {
	s, _ := q.raw(col)
	switch qdKindOf(col) {
	case qdBool:
		if qdSentinel(s) {
			return nil
		}
		return strings.EqualFold(s, "true")
	case qdTime:
		if qdSentinel(s) {
			return nil
		}
		t, _ := time.Parse(time.RFC3339Nano, s)
		return "instant " + t.UTC().Format(time.RFC3339Nano)
	case qdNullText:
		if qdSentinel(s) {
			return nil
		}
	}
	return s
}

// qdExpr is an expression: its CEL source and the model's evaluation.
type qdExpr struct {
	src  string
	eval func(qdRow) mv
}

func qdEqual(a, b mv) mv {
	if a.k == mErr || b.k == mErr {
		return errV
	}
	if a.k != b.k {
		return boolV(false)
	}
	switch a.k {
	case mNull:
		return boolV(true)
	case mBool:
		return boolV(a.b == b.b)
	case mStr:
		return boolV(a.s == b.s)
	case mTime:
		return boolV(a.t.Equal(b.t))
	case mDur:
		return boolV(a.d == b.d)
	case mInt:
		return boolV(a.i == b.i)
	}
	panic("kind")
}

func qdCompare(a, b mv, op string) mv {
	switch op {
	case "==":
		return qdEqual(a, b)
	case "!=":
		e := qdEqual(a, b)
		if e.k == mErr {
			return e
		}
		return boolV(!e.b)
	}
	if a.k == mErr || b.k == mErr || a.k != b.k || a.k == mNull {
		return errV
	}
	var c int
	switch a.k {
	case mStr:
		c = strings.Compare(a.s, b.s)
	case mTime:
		c = a.t.Compare(b.t)
	case mDur:
		c = cmpOrdered(a.d, b.d)
	case mInt:
		c = cmpOrdered(a.i, b.i)
	case mBool:
		c = cmpOrdered(btoi(a.b), btoi(b.b))
	}
	switch op {
	case "<":
		return boolV(c < 0)
	case "<=":
		return boolV(c <= 0)
	case ">":
		return boolV(c > 0)
	case ">=":
		return boolV(c >= 0)
	}
	panic(op)
}

func cmpOrdered[T int | int64 | time.Duration](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// qdAnd and qdOr are CEL's commutative logic: a decided side wins over an
// error on the other.
func qdAnd(a, b mv) mv {
	if (a.k == mBool && !a.b) || (b.k == mBool && !b.b) {
		return boolV(false)
	}
	if a.k != mBool || b.k != mBool {
		return errV
	}
	return boolV(true)
}

func qdOr(a, b mv) mv {
	if (a.k == mBool && a.b) || (b.k == mBool && b.b) {
		return boolV(true)
	}
	if a.k != mBool || b.k != mBool {
		return errV
	}
	return boolV(false)
}

// qdGen generates reports and expressions.
type qdGen struct {
	rng *rand.Rand
	r   *qdReport
	// times and strings seen in the report, for literals that hit
	times []time.Time
	strs  []string
}

func (g *qdGen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func (g *qdGen) chance(n int) bool { return g.rng.IntN(n) == 0 }

var qdZones = []struct {
	name   string
	offset int
}{{"Z", 0}, {"+00:00", 0}, {"-00:00", 0}, {"+05:30", 5*3600 + 30*60}, {"-08:00", -8 * 3600}, {"+14:00", 14 * 3600}, {"-12:00", -12 * 3600}, {"+01:00", 3600}}

// formatTime writes t in RFC 3339 with a random offset and fraction (the
// instant it denotes is what the model reads back from the text).
func (g *qdGen) formatTime(t time.Time) string {
	z := qdZones[g.rng.IntN(len(qdZones))]
	local := t.In(time.FixedZone("", z.offset))
	if local.Year() > 9999 || local.Year() < 2006 {
		local, z = t.UTC(), qdZones[0]
	}
	// the fraction replaces t's: the model reads the instant from the text
	frac := []string{"", ".000", ".5", ".123456789", ".000000001"}[g.rng.IntN(5)]
	return local.Format("2006-01-02T15:04:05") + frac + z.name
}

var (
	qdMin = time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC)
	qdMax = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

func (g *qdGen) someTime() time.Time {
	asOf := g.r.asOf
	switch g.rng.IntN(10) {
	case 0:
		return qdMin
	case 1:
		return qdMax.Add(-time.Duration(g.rng.IntN(2)) * time.Hour * 24 * 365 * 100)
	case 2:
		return asOf
	case 3:
		return asOf.Add(time.Duration(g.rng.IntN(3)-1) * time.Second)
	case 4:
		return asOf.Add(time.Duration(g.rng.IntN(30)+1) * 24 * time.Hour) // after as-of
	default:
		return asOf.Add(-time.Duration(g.rng.IntN(400*24)) * time.Hour).Add(-time.Duration(g.rng.IntN(86400)) * time.Second)
	}
}

func (g *qdGen) timeCell() string {
	if g.chance(3) {
		return g.pick([]string{"N/A", "no_information", "not_supported"})
	}
	return g.formatTime(g.someTime())
}

func (g *qdGen) boolCell() string {
	if g.chance(5) {
		return g.pick([]string{"N/A", "no_information", "not_supported"})
	}
	return g.pick([]string{"true", "false", "TRUE", "FALSE", "True", "False", "tRuE", "fAlSe"})
}

func (g *qdGen) regionCell(col string) string {
	if g.chance(3) {
		return g.pick([]string{"N/A", "no_information", "not_supported"})
	}
	if strings.HasSuffix(col, "_region") {
		return g.pick([]string{"us-east-1", "eu-west-2", "us-gov-west-1", "cn-north-1", "ap-south-1"})
	}
	return g.pick([]string{"s3", "iam", "sts", "ec2", "secretsmanager"})
}

var qdNameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-"

func (g *qdGen) userName(seen map[string]bool) string {
	for {
		var n string
		switch g.rng.IntN(6) {
		case 0:
			n = g.pick([]string{"=A1", "-2+3", "a,b", "@ops", "svc.deploy", "alice", "Bob", "x", "ci_deploy", "o'neil", "user name", "né"})
		case 1:
			n = strings.Repeat("z", 64)
		default:
			b := make([]byte, 1+g.rng.IntN(12))
			for i := range b {
				b[i] = qdNameChars[g.rng.IntN(len(qdNameChars))]
			}
			n = string(b)
		}
		if !seen[strings.ToLower(n)] && n != "<root_account>" {
			seen[strings.ToLower(n)] = true
			return n
		}
	}
}

var qdUnknown = []string{"extra", "x-y", "note_1", "Tag Value"}

func (g *qdGen) report() *qdReport {
	rng := g.rng
	r := &qdReport{crlf: g.chance(3), bom: g.chance(5), blank: g.chance(5), noFinal: g.chance(5), asJSON: g.chance(5)}
	g.r = r
	partition := g.pick([]string{"aws", "aws", "aws-us-gov", "aws-cn"})
	r.account = fmt.Sprintf("%012d", rng.Int64N(1e12))
	r.asOf = time.Date(2015+rng.IntN(15), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), 0, 0, 0, time.UTC)
	r.asOfArg = g.formatTime(r.asOf)
	if strings.Contains(r.asOfArg, ".") { // the instant as written
		r.asOf, _ = time.Parse(time.RFC3339Nano, r.asOfArg)
	}
	r.header = slices.Clone(qdColumns)
	if g.chance(2) {
		rng.Shuffle(len(r.header), func(i, j int) { r.header[i], r.header[j] = r.header[j], r.header[i] })
	}
	for _, u := range qdUnknown {
		if g.chance(3) {
			r.header = append(r.header, u)
		}
	}
	seen := map[string]bool{}
	n := 1 + rng.IntN(12)
	root := -1 // the root row's place, usually first
	if !g.chance(4) {
		root = 0
		if g.chance(4) {
			root = rng.IntN(n)
		}
	}
	for i := range n {
		cells := map[string]string{}
		isRoot := i == root
		if isRoot {
			cells["user"] = "<root_account>"
			cells["arn"] = "arn:" + partition + ":iam::" + r.account + ":root"
		} else {
			name := g.userName(seen)
			path := g.pick([]string{"/", "/dev/", "/a.b/c/"})
			cells["user"] = name
			cells["arn"] = "arn:" + partition + ":iam::" + r.account + ":user" + path + name
		}
		for _, c := range r.header {
			if _, ok := cells[c]; ok {
				continue
			}
			switch qdKindOf(c) {
			case qdBool:
				cells[c] = g.boolCell()
			case qdTime:
				cells[c] = g.timeCell()
			case qdNullText:
				cells[c] = g.regionCell(c)
			default:
				cells[c] = g.pick([]string{"", "N/A", "true", "hello, world", "=A1", "no_information", "é", "two\nlines", "\"quoted\""})
			}
		}
		if isRoot {
			cells["password_enabled"] = "not_supported"
			cells["password_last_changed"] = "not_supported"
			cells["password_next_rotation"] = "not_supported"
		}
		row := make([]string, len(r.header))
		for j, c := range r.header {
			row[j] = cells[c]
		}
		r.rows = append(r.rows, row)
	}
	g.times = []time.Time{qdMin, qdMax, r.asOf}
	g.strs = []string{"", "N/A", "us-east-1", "s3", "a", "<root_account>", r.account}
	for i := range r.rows {
		for _, c := range r.header {
			s, _ := r.cell(i, c)
			if qdKindOf(c) == qdTime && !qdSentinel(s) {
				t, _ := time.Parse(time.RFC3339Nano, s)
				g.times = append(g.times, t)
			} else {
				g.strs = append(g.strs, s)
			}
		}
	}
	return r
}

func (g *qdGen) colOf(k qdKind) string {
	var cs []string
	for _, c := range qdColumns {
		if qdKindOf(c) == k {
			cs = append(cs, c)
		}
	}
	return g.pick(cs)
}

func (g *qdGen) timeLit() (string, time.Time) {
	t := g.times[g.rng.IntN(len(g.times))]
	switch g.rng.IntN(4) {
	case 0:
		t = t.Add(time.Nanosecond)
	case 1:
		t = t.Add(-time.Second)
	}
	if t.After(qdMax.Add(time.Second-1)) || t.Before(qdMin) {
		t = qdMin
	}
	s := g.formatTime(t)
	t, _ = time.Parse(time.RFC3339Nano, s)
	return `timestamp("` + s + `")`, t
}

func (g *qdGen) strLit() (string, string) {
	s := g.strs[g.rng.IntN(len(g.strs))]
	if s != "" && g.chance(3) {
		runes := []rune(s)
		s = string(runes[:g.rng.IntN(len(runes))])
	}
	return strconv.Quote(s), s
}

// strLitFor is strLit for a comparison with a column, nullable when it
// holds null for a sentinel: no sentinel's text then, which the command
// refuses (TestQueryRefusesBadWhereAtItsPosition).
func (g *qdGen) strLitFor(nullable bool) (string, string) {
	for {
		if ls, lv := g.strLit(); !nullable || !qdSentinel(lv) {
			return ls, lv
		}
	}
}

// strTerm is a string-valued term: a string column, a nullable one, raw.
func (g *qdGen) strTerm() (string, func(qdRow) mv, bool) {
	switch g.rng.IntN(5) {
	case 0:
		c := g.pick([]string{"user", "arn"})
		return c, func(q qdRow) mv { return q.typed(c) }, false
	case 1:
		return "account_id", func(q qdRow) mv { return mv{k: mStr, s: q.r.account} }, false
	case 2:
		c := g.colOf(qdNullText)
		return c, func(q qdRow) mv { return q.typed(c) }, true
	default:
		c := g.pick(append(slices.Clone(qdColumns), append(qdUnknown, "nope")...))
		src := "raw." + c
		if strings.ContainsAny(c, " -") || g.chance(2) {
			src = "raw[" + strconv.Quote(c) + "]"
		}
		return src, func(q qdRow) mv {
			s, ok := q.raw(c)
			if !ok {
				return errV // no such key
			}
			return mv{k: mStr, s: s}
		}, false
	}
}

var qdOps = []string{"==", "!=", "<", "<=", ">", ">="}

func (g *qdGen) leaf() qdExpr {
	switch g.rng.IntN(14) {
	case 0, 1:
		c := g.colOf(qdBool)
		if g.chance(6) {
			c = "is_root"
			return qdExpr{c, func(q qdRow) mv { s, _ := q.raw("user"); return boolV(s == "<root_account>") }}
		}
		return qdExpr{c, func(q qdRow) mv { return q.typed(c) }}
	case 2:
		c := g.colOf(qdBool)
		d := g.colOf(qdBool)
		op := g.pick([]string{"==", "!="})
		return qdExpr{c + " " + op + " " + d, func(q qdRow) mv { return qdCompare(q.typed(c), q.typed(d), op) }}
	case 3:
		if g.chance(3) {
			c := g.colOf(qdBool)
			lit := g.chance(2)
			op := g.pick([]string{"==", "!="})
			return qdExpr{c + " " + op + " " + strconv.FormatBool(lit), func(q qdRow) mv { return qdCompare(q.typed(c), boolV(lit), op) }}
		}
		c := g.pick([]string{g.colOf(qdTime), g.colOf(qdNullText)})
		op := g.pick([]string{"==", "!="})
		return qdExpr{c + " " + op + " null", func(q qdRow) mv { return qdCompare(q.typed(c), mv{k: mNull}, op) }}
	case 4, 5:
		c := g.colOf(qdTime)
		op := g.pick(qdOps)
		lit, t := g.timeLit()
		e := qdExpr{c + " " + op + " " + lit, func(q qdRow) mv { return qdCompare(q.typed(c), mv{k: mTime, t: t}, op) }}
		if g.chance(3) {
			e = qdExpr{lit + " " + flip(op) + " " + c, e.eval}
		}
		return g.guard(c, e)
	case 6:
		c, d := g.colOf(qdTime), g.colOf(qdTime)
		op := g.pick(qdOps)
		return g.guard(c, qdExpr{c + " " + op + " " + d, func(q qdRow) mv { return qdCompare(q.typed(c), q.typed(d), op) }})
	case 7:
		c := g.colOf(qdTime)
		op := g.pick(qdOps)
		d := time.Duration(g.rng.IntN(200)) * 24 * time.Hour
		if g.chance(3) {
			d += time.Duration(g.rng.IntN(3)-1) * time.Second
		}
		if g.chance(4) {
			// two columns' interval, or as_of itself
			a, b := g.colOf(qdTime), c
			if g.chance(2) {
				lit, t := g.timeLit()
				return qdExpr{"as_of " + op + " " + lit, func(q qdRow) mv { return qdCompare(mv{k: mTime, t: q.r.asOf}, mv{k: mTime, t: t}, op) }}
			}
			src := a + " - " + b + " " + op + ` duration("` + strconv.FormatInt(int64(d/time.Second), 10) + `s")`
			return g.guard(b, g.guard(a, qdExpr{src, func(q qdRow) mv {
				va, vb := q.typed(a), q.typed(b)
				if va.k != mTime || vb.k != mTime {
					return errV
				}
				iv, ok := qdSub(va.t, vb.t)
				if !ok {
					return errV
				}
				return qdCompare(mv{k: mDur, d: iv}, mv{k: mDur, d: d}, op)
			}}))
		}
		src := "as_of - " + c + " " + op + ` duration("` + strconv.FormatInt(int64(d/time.Second), 10) + `s")`
		return g.guard(c, qdExpr{src, func(q qdRow) mv {
			v := q.typed(c)
			if v.k != mTime {
				return errV
			}
			age, ok := qdSub(q.r.asOf, v.t)
			if !ok {
				return errV
			}
			return qdCompare(mv{k: mDur, d: age}, mv{k: mDur, d: d}, op)
		}})
	case 8:
		c := g.colOf(qdTime)
		l1, t1 := g.timeLit()
		l2, t2 := g.timeLit()
		return qdExpr{c + " in [" + l1 + ", " + l2 + "]", func(q qdRow) mv {
			v := q.typed(c)
			return qdOr(qdEqual(v, mv{k: mTime, t: t1}), qdEqual(v, mv{k: mTime, t: t2}))
		}}
	case 9, 10:
		src, term, nullable := g.strTerm()
		op := g.pick(qdOps)
		if g.chance(2) {
			op = "=="
		}
		ls, lv := g.strLitFor(nullable)
		return qdExpr{src + " " + op + " " + ls, func(q qdRow) mv { return qdCompare(term(q), mv{k: mStr, s: lv}, op) }}
	case 11:
		src, term, nullable := g.strTerm()
		var lits []string
		var vals []string
		for range 1 + g.rng.IntN(3) {
			ls, lv := g.strLitFor(nullable)
			lits, vals = append(lits, ls), append(vals, lv)
		}
		return qdExpr{src + " in [" + strings.Join(lits, ", ") + "]", func(q qdRow) mv {
			v := term(q)
			if v.k == mErr {
				return v
			}
			return boolV(v.k == mStr && slices.Contains(vals, v.s))
		}}
	case 12:
		src, term, _ := g.strTerm()
		fn := g.pick([]string{"startsWith", "endsWith", "contains", "size"})
		if fn == "size" {
			op := g.pick(qdOps)
			n := int64(g.rng.IntN(20))
			return qdExpr{"size(" + src + ") " + op + " " + strconv.FormatInt(n, 10), func(q qdRow) mv {
				v := term(q)
				if v.k != mStr {
					return errV
				}
				return qdCompare(mv{k: mInt, i: int64(utf8.RuneCountInString(v.s))}, mv{k: mInt, i: n}, op)
			}}
		}
		ls, lv := g.strLit()
		return qdExpr{src + "." + fn + "(" + ls + ")", func(q qdRow) mv {
			v := term(q)
			if v.k != mStr {
				return errV
			}
			switch fn {
			case "startsWith":
				return boolV(strings.HasPrefix(v.s, lv))
			case "endsWith":
				return boolV(strings.HasSuffix(v.s, lv))
			}
			return boolV(strings.Contains(v.s, lv))
		}}
	default:
		c := g.pick(append(slices.Clone(qdColumns), append(qdUnknown, "nope")...))
		src := strconv.Quote(c) + " in raw"
		if !strings.ContainsAny(c, " -") && g.chance(2) {
			src = "has(raw." + c + ")"
		}
		return qdExpr{src, func(q qdRow) mv { _, ok := q.raw(c); return boolV(ok) }}
	}
}

// qdSub is as_of - t as a duration, or false when it overflows one (CEL's
// durations are Go's, about ±292 years).
func qdSub(a, b time.Time) (time.Duration, bool) {
	secs := a.Unix() - b.Unix()
	if secs > math.MaxInt64/int64(time.Second)-1 || secs < math.MinInt64/int64(time.Second)+1 {
		return 0, false
	}
	return a.Sub(b), true
}

func flip(op string) string {
	return map[string]string{"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
}

// guard writes `c != null && e` most of the time, as the README advises.
func (g *qdGen) guard(c string, e qdExpr) qdExpr {
	if g.chance(4) {
		return e
	}
	return qdExpr{c + " != null && " + e.src, func(q qdRow) mv {
		return qdAnd(qdCompare(q.typed(c), mv{k: mNull}, "!="), e.eval(q))
	}}
}

func (g *qdGen) expr(depth int) qdExpr {
	if depth == 0 || g.chance(3) {
		return g.leaf()
	}
	switch g.rng.IntN(5) {
	case 0:
		e := g.expr(depth - 1)
		return qdExpr{"!(" + e.src + ")", func(q qdRow) mv {
			v := e.eval(q)
			if v.k != mBool {
				return errV
			}
			return boolV(!v.b)
		}}
	case 1, 2:
		a, b := g.expr(depth-1), g.expr(depth-1)
		sep := " && "
		if g.chance(5) {
			sep = "\n  && "
		}
		return qdExpr{"(" + a.src + sep + b.src + ")", func(q qdRow) mv { return qdAnd(a.eval(q), b.eval(q)) }}
	case 3:
		a, b := g.expr(depth-1), g.expr(depth-1)
		return qdExpr{"(" + a.src + " || " + b.src + ")", func(q qdRow) mv { return qdOr(a.eval(q), b.eval(q)) }}
	default:
		c, a, b := g.expr(depth-1), g.expr(depth-1), g.expr(depth-1)
		return qdExpr{"(" + c.src + " ? " + a.src + " : " + b.src + ")", func(q qdRow) mv {
			v := c.eval(q)
			if v.k != mBool {
				return errV
			}
			if v.b {
				return a.eval(q)
			}
			return b.eval(q)
		}}
	}
}

// qdRun runs credaudit query over the report.
func qdRun(r *qdReport, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	full := []string{"query", "--report", "-"}
	if !r.asJSON {
		full = append(full, "--as-of", r.asOfArg)
	}
	full = append(full, args...)
	code = Run(context.Background(), full, IO{Stdin: strings.NewReader(r.input()), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

type qdField struct {
	Key   string
	Value any
}

// qdReadJSON reads query's JSON array of objects, keeping each object's keys
// in order and reading a timestamp string as its instant.
func qdReadJSON(s string, timeCols func(string) bool) ([][]qdField, error) {
	var objs []json.RawMessage
	if err := json.Unmarshal([]byte(s), &objs); err != nil {
		return nil, err
	}
	var rows [][]qdField
	for _, o := range objs {
		dec := json.NewDecoder(bytes.NewReader(o))
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		var row []qdField
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			key := k.(string)
			if s, ok := v.(string); ok && timeCols(key) {
				t, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					return nil, fmt.Errorf("%s: %q is not RFC 3339: %w", key, s, err)
				}
				v = "instant " + t.UTC().Format(time.RFC3339Nano)
			}
			row = append(row, qdField{key, v})
		}
		if row == nil {
			row = []qdField{}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func TestQueryAgreesWithModel(t *testing.T) {
	g := &qdGen{rng: rand.New(rand.NewPCG(2, 0x9e3779b9))}
	const reports, exprsPerReport = 120, 14
	var kept, failed, ran int
	for ri := range reports {
		r := g.report()
		for ei := range exprsPerReport {
			e := g.expr(3)
			var cols []string
			if !g.chance(3) {
				cols = slices.Clone(r.header)
				g.rng.Shuffle(len(cols), func(i, j int) { cols[i], cols[j] = cols[j], cols[i] })
				cols = cols[:1+g.rng.IntN(len(cols))]
			}
			// the model's answer
			var want []int
			errRow := -1
			for i := range r.rows {
				v := e.eval(qdRow{r, i})
				if v.k != mBool {
					errRow = i
					break
				}
				if v.b {
					want = append(want, i)
				}
			}
			users := []string{}
			for _, i := range want {
				u, _ := r.cell(i, "user")
				users = append(users, u)
			}
			show := func(format, what string, got, wantV any) {
				t.Helper()
				t.Errorf("report %d, expression %d, --format %s, --columns %q: %s\n--as-of %s (JSON form: %v)\n--where:\n%s\nreport:\n%s\ngot:  %v\nwant: %v",
					ri, ei, format, strings.Join(cols, ","), what, r.asOfArg, r.asJSON, e.src, r.csvText(), got, wantV)
			}
			for _, format := range []string{"json", "csv"} {
				args := []string{"--format", format, "--where", e.src}
				if cols != nil {
					args = append(args, "--columns", strings.Join(cols, ","))
				}
				ran++
				code, stdout, stderr := qdRun(r, args...)
				if errRow >= 0 {
					failed++
					user, _ := r.cell(errRow, "user")
					in := "stdin"
					if r.asJSON {
						in = "the report in stdin"
					}
					place := fmt.Sprintf("line %d of %s (user %q)", r.line(errRow), in, user)
					if code != ExitUsage || stdout != "" || !strings.Contains(stderr, place) {
						show(format, "the model fails on a row", fmt.Sprintf("exit %d, stdout %q, stderr %q", code, stdout, stderr), fmt.Sprintf("exit 2, nothing printed, stderr naming %s", place))
					}
					continue
				}
				if code != ExitOK {
					show(format, "exit code", fmt.Sprintf("exit %d: %s", code, stderr), fmt.Sprintf("exit 0, the rows of users %q", users))
					continue
				}
				kept += len(want)
				shown := cols
				if shown == nil {
					shown = r.header
				}
				switch format {
				case "json":
					got, err := qdReadJSON(stdout, func(c string) bool { return slices.Contains(qdColumns, c) && qdKindOf(c) == qdTime })
					if err != nil {
						show(format, "JSON", stdout, err)
						continue
					}
					wantRows := [][]qdField{}
					for _, i := range want {
						row := []qdField{}
						for _, c := range shown {
							row = append(row, qdField{c, qdRow{r, i}.jsonValue(c)})
						}
						wantRows = append(wantRows, row)
					}
					if got == nil {
						got = [][]qdField{}
					}
					if d := cmp.Diff(wantRows, got); d != "" {
						show(format, "rows (-model +query):\n"+d, stdout, fmt.Sprintf("the rows of users %q", users))
					}
				case "csv":
					rd := csv.NewReader(strings.NewReader(stdout))
					got, err := rd.ReadAll()
					if err != nil {
						show(format, "CSV", stdout, err)
						continue
					}
					wantRows := [][]string{shown}
					for _, i := range want {
						row := []string{}
						for _, c := range shown {
							s, _ := r.cell(i, c)
							row = append(row, s)
						}
						wantRows = append(wantRows, row)
					}
					if d := cmp.Diff(wantRows, got); d != "" {
						show(format, "rows (-model +query):\n"+d, stdout, fmt.Sprintf("the rows of users %q", users))
					}
				}
			}
		}
		if t.Failed() {
			break
		}
	}
	t.Logf("%d runs; %d rows kept, %d runs failing on a row", ran, kept, failed)
}

// TestQueryRefusesBadWhereAtItsPosition: an expression naming a column the
// report's variables do not have, or comparing a column with a value of
// another type, is refused before any row is read: exit 2, the problem's
// line and column (in characters) within --where, nothing on stdout.
func TestQueryRefusesBadWhereAtItsPosition(t *testing.T) {
	g := &qdGen{rng: rand.New(rand.NewPCG(5, 0x9e3779b9))}
	type bad struct {
		src  string
		at   int // offset in runes of the character the error names
		what string
	}
	bads := []bad{
		{"password_last_usd == null", 0, "undeclared reference to 'password_last_usd'"},
		{"access_key_3_active", 0, "undeclared reference to 'access_key_3_active'"},
		{"mfa", 0, "undeclared reference to 'mfa'"},
		{`extra == "x"`, 0, "undeclared reference to 'extra'"}, // an unknown column is in raw only
		{"User == \"a\"", 0, "undeclared reference to 'User'"},
		{"user == true", 5, "no matching overload"},
		{`mfa_active == "true"`, 14, "mfa_active is a bool: write mfa_active or !mfa_active"},
		{`password_last_used == "2020-01-01T00:00:00Z"`, 22, `password_last_used is a timestamp: compare it with timestamp("2020-01-01T00:00:00Z")`},
		{`access_key_1_last_used_region != "N/A"`, 33, "access_key_1_last_used_region reads N/A as null: write access_key_1_last_used_region == null"},
		{`"no_information" == password_last_used`, 0, "password_last_used reads no_information as null"},
		{"password_last_used > 5", 19, "no matching overload"},
		{"access_key_1_last_used_region == 5", 30, "no matching overload"},
		{"user == null", 5, "no matching overload"},
		{`as_of - user > duration("1h")`, 6, "no matching overload"},
		{"is_root < 1", 8, "no matching overload"},
		{`cert_1_last_rotated < "é"`, 22, `cert_1_last_rotated is a timestamp: compare it with timestamp("é")`},
		{`as_of - user_creation_time < duration("365d")`, 38, `duration "365d" is not a duration`},
		{`user_creation_time > timestamp("2026-01-01")`, 31, `timestamp "2026-01-01" is not a timestamp`},
		{`user.matches("[")`, 13, `pattern "[" is not an RE2 regular expression`},
	}
	for i := range 150 {
		r := g.report()
		b := bads[i%len(bads)]
		// wrap the bad leaf in a valid expression, sometimes on a later line
		a := g.expr(1)
		prefix := ""
		switch g.rng.IntN(3) {
		case 1:
			prefix = a.src + " && "
		case 2:
			prefix = "(" + a.src + ") ||\n   "
		}
		src := prefix + b.src
		line := 1 + strings.Count(prefix, "\n")
		col := utf8.RuneCountInString(prefix[strings.LastIndex(prefix, "\n")+1:])
		place := fmt.Sprintf("--where:%d:%d: ", line, col+b.at+1)
		code, stdout, stderr := qdRun(r, "--format", g.pick([]string{"json", "csv", "table"}), "--where", src)
		if code != ExitUsage || stdout != "" || !strings.Contains(stderr, place) || !strings.Contains(stderr, b.what) {
			t.Errorf("--where:\n%s\nreport:\n%s\ngot:  exit %d, stdout %q, stderr %q\nwant: exit 2, nothing on stdout, stderr with %q and %q", src, r.csvText(), code, stdout, stderr, place, b.what)
		}
	}
}
