package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/org"
	"github.com/credaudit/credaudit/lambda/query"
)

func runQuery(ctx context.Context, args []string, io IO) (err error) {
	fs := newFlags("query", "[--report FILE|-] [--profile AWS_PROFILE] [--region REGION] [--as-of TIME] [--where EXPR] [--columns a,b] [--sort [-]a,b] [--format table|json|csv] [--count] [--fail-if-any]")
	var src source
	src.register(fs, "profile")
	var awsProfile string
	fs.StringVar(&awsProfile, "aws-profile", "", "same as --profile")
	where := fs.String("where", "", "CEL `expression` a row must satisfy, e.g. 'password_enabled && !mfa_active'")
	columns := fs.String("columns", "", "comma-separated `columns` to print, in order (default: every column of the report)")
	sortBy := fs.String("sort", "", "comma-separated `columns` to order the rows by, the first deciding; -column for descending (times by time, false before true; N/A, no_information and not_supported last either way; default: report order)")
	format := fs.String("format", "", "output `format`: table, json or csv (default: table on a terminal, csv otherwise)")
	count := fs.Bool("count", false, "print the number of matching rows instead of the rows (not with --columns, --sort or --format)")
	failIfAny := fs.Bool("fail-if-any", false, "exit 1 when any row matches --where, every row without it (a check for CI: the rows are printed, or counted with --count)")
	if err := parseFlags(fs, args, io); err != nil {
		return err
	}
	if *count && (*columns != "" || *format != "" || *sortBy != "") {
		return usageErr("--count prints a number, not rows: leave out --columns, --sort and --format")
	}
	switch {
	case awsProfile != "" && src.awsProfile != "" && awsProfile != src.awsProfile:
		return usageErr("--profile %q and --aws-profile %q name two AWS profiles; give one", src.awsProfile, awsProfile)
	case awsProfile != "":
		src.awsProfile = awsProfile
	}
	if *format == "" {
		*format = "csv"
		if isTerminal(io.Stdout) {
			*format = "table"
		}
	}
	if *format != "table" && *format != "json" && *format != "csv" {
		return usageErr("--format %q: want table, json or csv", *format)
	}
	named, err := org.SplitList(*columns) // none: every column
	if err != nil {
		return usageErr("--columns %q: %v", *columns, err)
	}
	if *columns != "" && len(named) == 0 {
		return usageErr("--columns %q names no column; leave it out for every column", *columns)
	}
	seen := map[string]bool{}
	for _, c := range named {
		if seen[c] { // a JSON object would hold the key twice
			return usageErr("--columns names %q twice", c)
		}
		seen[c] = true
	}
	keys, err := sortKeys(*sortBy)
	if err != nil {
		return err
	}
	sorted := make([]string, len(keys))
	for i, k := range keys {
		sorted[i] = k.Column
	}
	if src.live() {
		// IAM's report has its 22 columns: a name that is none of them is
		// refused now, not after the report is generated (minutes).
		for _, c := range slices.Concat(named, sorted) {
			if _, ok := credreport.LookupColumn(c); !ok {
				return usageErr("%s: the report has no column %q (it has: %s)", columnsFlag(c, named), c, strings.Join(credreport.ColumnNames(), ", "))
			}
		}
	}
	var filter *query.Expr
	if *where != "" {
		var err error
		if filter, err = query.Compile("--where", *where); err != nil {
			return usageErr("%v", err)
		}
	}

	ctx, stop := interruptible(ctx, src.live())
	defer func() { err = interrupted(ctx, stop, err) }()
	in, err := src.load(ctx, io.Stdin)
	if err != nil {
		return err
	}
	if in.note != "" {
		fmt.Fprintf(io.Stderr, "credaudit query: %s\n", in.note)
	}
	rep := in.report
	cols := rep.Header
	if len(named) > 0 {
		cols = named
	}
	for _, c := range slices.Concat(named, sorted) {
		if !slices.Contains(rep.Header, c) {
			return usageErr("%s: the report has no column %q (it has: %s)", columnsFlag(c, named), c, terminalSafe(strings.Join(rep.Header, ", ")))
		}
	}
	rows := rep.Table()
	if filter != nil {
		if rows, err = filter.Filter(rows, rep.AccountID, in.asOf); err != nil {
			return usageErr("%v", in.named(err))
		}
		if note := sentinelsReadFalse(filter, rep, in.asOf); note != "" {
			fmt.Fprintf(io.Stderr, "credaudit query: %s\n", note)
		}
	}
	rows = rows.Sorted(keys)
	switch {
	case *count:
		_, err = fmt.Fprintln(io.Stdout, len(rows))
	case *format == "csv":
		err = writeRowsCSV(io.Stdout, cols, rows)
	case *format == "json":
		err = writeRowsJSON(io.Stdout, cols, rows)
	default:
		err = writeRowsTable(io.Stdout, cols, rows)
	}
	if err == nil && *failIfAny && len(rows) > 0 {
		return &exitError{ExitFindings, fmt.Errorf("%s matched (--fail-if-any)", audit.Nouns(len(rows), "row"))}
	}
	return err
}

// sortKeys reads --sort: columns, each once, "-" before one that orders
// descending.
func sortKeys(list string) ([]credreport.SortKey, error) {
	names, err := org.SplitList(list)
	if err != nil {
		return nil, usageErr("--sort %q: %v", list, err)
	}
	if list != "" && len(names) == 0 {
		return nil, usageErr("--sort %q names no column; leave it out for the report's order", list)
	}
	keys := make([]credreport.SortKey, len(names))
	for i, n := range names {
		keys[i] = credreport.SortKey{Column: strings.TrimPrefix(n, "-"), Desc: strings.HasPrefix(n, "-")}
		if keys[i].Column == "" {
			return nil, usageErr("--sort %q: a \"-\" with no column after it", list)
		}
		for _, k := range keys[:i] {
			if k.Column == keys[i].Column { // the second would never decide
				return nil, usageErr("--sort names %q twice", k.Column)
			}
		}
	}
	return keys, nil
}

// columnsFlag names the flag that named column c: --columns when named has
// it, else --sort.
func columnsFlag(c string, named []string) string {
	if slices.Contains(named, c) {
		return "--columns"
	}
	return "--sort"
}

// sentinelsReadFalse says on which rows --where hinged on a boolean cell
// holding a sentinel, which it read as false (root's password_enabled is
// not_supported): there the row's match is the expression's verdict on
// false, not on the report, which a scan would leave NOT_AVAILABLE. It is ""
// when there is none.
func sentinelsReadFalse(filter *query.Expr, rep *credreport.Report, asOf time.Time) string {
	const most = 3
	var rows []string
	n := 0
	for _, e := range rep.Entries {
		if !filter.ReadsSentinel(e) {
			continue
		}
		_, why, err := filter.Decide(query.Row{Entry: e, AccountID: rep.AccountID, AsOf: asOf})
		if err != nil || why == "" {
			continue
		}
		if n++; n <= most {
			rows = append(rows, fmt.Sprintf("line %d (user %s): %s", e.Line, terminalSafe(strconv.Quote(e.User)), why))
		}
	}
	if n == 0 {
		return ""
	}
	if n > most {
		rows = append(rows, fmt.Sprintf("and %d more", n-most))
	}
	return fmt.Sprintf("--where's match hinged on a sentinel, read as false, on %s (a scan would leave it NOT_AVAILABLE): %s",
		audit.Nouns(n, "row"), strings.Join(rows, "; "))
}

func writeRowsCSV(w io.Writer, cols []string, rows credreport.Table) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(cols); err != nil {
		return err
	}
	for _, e := range rows {
		cells := e.RawValues(cols)
		if len(cells) == 1 && cells[0] == "" {
			// encoding/csv writes a record of one empty field as an
			// empty line, which CSV readers skip: quote it, as "".
			if cw.Flush(); cw.Error() != nil {
				return cw.Error()
			}
			if _, err := io.WriteString(w, `""`+"\n"); err != nil {
				return err
			}
			continue
		}
		if err := cw.Write(cells); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeRowsJSON writes an array of objects with typed values: booleans as
// booleans, timestamps as RFC 3339 strings, sentinels as null; columns the
// parser does not know stay strings. Each value is appended as
// encoding/json writes it, and the output is written in chunks: a 5,000-user
// report is 5 MB of JSON.
func writeRowsJSON(w io.Writer, cols []string, rows credreport.Table) error {
	keys := make([][]byte, len(cols)) // each `"column": `
	known, typed := make([]credreport.Column, len(cols)), make([]bool, len(cols))
	var unknown []string // the columns the parser does not know, in order
	for j, c := range cols {
		keys[j] = append(appendJSONString(nil, c), ": "...)
		if known[j], typed[j] = credreport.LookupColumn(c); !typed[j] {
			unknown = append(unknown, c)
		}
	}
	jw := jsonWriter{w: w, buf: make([]byte, 0, outChunk)}
	jw.buf = append(jw.buf, '[')
	for i, e := range rows {
		if i > 0 {
			jw.buf = append(jw.buf, ',')
		}
		jw.buf = append(jw.buf, "\n  {"...)
		var raw []string // the unknown columns' text, split from the row once
		if len(unknown) > 0 {
			raw = e.RawValues(unknown)
		}
		for j := range cols {
			if j > 0 {
				jw.buf = append(jw.buf, ", "...)
			}
			jw.buf = append(jw.buf, keys[j]...)
			if !typed[j] {
				jw.buf, raw = appendJSONString(jw.buf, raw[0]), raw[1:]
				continue
			}
			var err error
			if jw.buf, err = appendJSONCell(jw.buf, known[j].Value(e)); err != nil {
				return err
			}
		}
		jw.buf = append(jw.buf, '}')
		if err := jw.flushFull(); err != nil {
			return err
		}
	}
	if len(rows) > 0 {
		jw.buf = append(jw.buf, '\n')
	}
	jw.buf = append(jw.buf, "]\n"...)
	return jw.flush()
}

// appendJSONCell appends a typed cell as encoding/json writes its Value.Any
// without HTML escaping: null for a sentinel, a boolean, an RFC 3339 string
// or the text.
func appendJSONCell(b []byte, v credreport.Value) ([]byte, error) {
	if v.State() != credreport.Set {
		return append(b, "null"...), nil
	}
	switch v.Kind {
	case credreport.KindBool:
		return strconv.AppendBool(b, v.Bool.V), nil
	case credreport.KindTime:
		t := v.Time.T()
		if y := t.Year(); y < 0 || y > 9999 { // encoding/json's error
			_, err := marshalJSON(t)
			return b, err
		}
		b = append(b, '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"'), nil
	}
	return appendJSONString(b, v.Text.S), nil
}

// writeTableRow writes cells as one tab-separated line, each as a terminal
// shows it harmlessly (terminalSafe).
func writeTableRow(w io.Writer, cells []string) {
	for i, c := range cells {
		if i > 0 {
			io.WriteString(w, "\t")
		}
		io.WriteString(w, terminalSafe(c))
	}
	io.WriteString(w, "\n")
}

func writeRowsTable(w io.Writer, cols []string, rows credreport.Table) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writeTableRow(tw, cols) // a report's own columns are named by it
	for _, e := range rows {
		writeTableRow(tw, e.RawValues(cols))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "(%s)\n", audit.Nouns(len(rows), "row"))
	return err
}

// marshalJSON is json.Marshal without HTML escaping ("<root_account>" stays readable).
func marshalJSON(v any) ([]byte, error) {
	b, err := encodeJSON(v, "")
	return bytes.TrimSuffix(b, []byte("\n")), err
}

// encodeJSON is v as a json.Encoder writes it without HTML escaping,
// indented by indent unless that is "", with the newline it ends with; nil
// on an error.
func encodeJSON(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
