package credreport

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ParseError says where in the CSV a report is malformed. Line and Column are
// 1-based positions in the input (Column counts bytes within the line, as
// encoding/csv does); Field names the report column when the problem is in one
// cell.
type ParseError struct {
	Line   int
	Column int
	Field  string
	Err    error
}

func (e *ParseError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("line %d, column %d (%s): %v", e.Line, e.Column, e.Field, e.Err)
	}
	if e.Column > 0 {
		return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// ErrEmpty is returned for an input with no header or no rows.
var ErrEmpty = errors.New("credential report is empty")

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Read parses a report in either form users hold one in: the raw CSV, or the
// JSON that `aws iam get-credential-report` prints (base64 Content and
// GeneratedTime). For JSON input Report.GeneratedTime is set.
func Read(data []byte) (*Report, error) {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Parse(data)
	}
	var doc struct {
		Content       *string
		ReportFormat  string
		GeneratedTime string
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("read get-credential-report JSON: %w", err)
	}
	if doc.Content == nil {
		return nil, errors.New(`read get-credential-report JSON: no "Content" field`)
	}
	if doc.ReportFormat != "" && doc.ReportFormat != "text/csv" {
		return nil, fmt.Errorf("read get-credential-report JSON: ReportFormat %q, want text/csv", doc.ReportFormat)
	}
	csvData, err := base64.StdEncoding.DecodeString(*doc.Content)
	if err != nil {
		return nil, fmt.Errorf("read get-credential-report JSON: Content is not base64: %w", err)
	}
	var generated time.Time
	if doc.GeneratedTime != "" {
		generated, err = time.Parse(time.RFC3339, doc.GeneratedTime)
		if err != nil {
			return nil, fmt.Errorf("read get-credential-report JSON: GeneratedTime %q is not an RFC 3339 time", doc.GeneratedTime)
		}
	}
	r, err := Parse(csvData)
	if err != nil {
		return nil, fmt.Errorf("Content: %w", err)
	}
	r.GeneratedTime = generated.UTC()
	return r, nil
}

// Parse parses the CSV content of a credential report (GetCredentialReport's
// Content, already decoded by the SDK). Columns are found by name: reordered
// columns work and unknown columns are kept raw. A UTF-8 BOM, CRLF line ends,
// quoted fields and a trailing newline are accepted; anything else malformed is
// a *ParseError naming the line and column.
func Parse(data []byte) (*Report, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ErrEmpty
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = true
	names, err := cr.Read()
	if err != nil {
		return nil, csvError(err, 0)
	}
	h, colIdx, err := readHeader(names)
	if err != nil {
		return nil, err
	}

	// One allocation each for the rows, the entries and the raw cells: a
	// report has as many rows as lines (minus the header) unless a quoted
	// field spans lines, in which case the slices simply grow.
	rows := bytes.Count(data, []byte{'\n'})
	entries := make([]Entry, 0, rows)
	cells := make([]string, 0, rows*len(names))
	rep := &Report{Header: h.names, Entries: make([]*Entry, 0, rows)}
	seen := make(map[string]int, rows)

	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err, len(names))
		}
		if len(cells)+len(rec) > cap(cells) {
			cells = make([]string, 0, max(cap(cells), 64*len(rec)))
		}
		start := len(cells)
		cells = append(cells, rec...)
		if len(entries) == cap(entries) {
			entries = make([]Entry, 0, max(cap(entries), 64))
		}
		entries = append(entries, Entry{})
		e := &entries[len(entries)-1]
		e.Raw = cells[start:len(cells):len(cells)]
		e.header = h
		e.Line, _ = cr.FieldPos(0)
		if err := decodeRow(e, &colIdx, cr); err != nil {
			return nil, err
		}
		if err := rep.add(e, seen, cr, &colIdx); err != nil {
			return nil, err
		}
	}
	if len(rep.Entries) == 0 {
		return nil, fmt.Errorf("%w: a header but no rows", ErrEmpty)
	}
	return rep, nil
}

func readHeader(names []string) (*header, [22]int, error) {
	var colIdx [22]int
	h := &header{names: append([]string(nil), names...), index: make(map[string]int, len(names))}
	for i, n := range h.names {
		if j, dup := h.index[n]; dup {
			return nil, colIdx, &ParseError{Line: 1, Column: 0, Err: fmt.Errorf("column %q appears twice (fields %d and %d)", n, j+1, i+1)}
		}
		h.index[n] = i
	}
	var missing []string
	for k, c := range Columns {
		i, ok := h.index[c.Name]
		if !ok {
			missing = append(missing, c.Name)
			continue
		}
		colIdx[k] = i
	}
	if len(missing) > 0 {
		return nil, colIdx, &ParseError{Line: 1, Err: fmt.Errorf("missing required column(s): %s", strings.Join(missing, ", "))}
	}
	return h, colIdx, nil
}

func csvError(err error, want int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			msg = fmt.Errorf("wrong number of fields (want %d, as in the header)", want)
		}
		return &ParseError{Line: pe.Line, Column: pe.Column, Err: msg}
	}
	return fmt.Errorf("read credential report: %w", err)
}

// decodeRow types every known cell of e. colIdx maps Columns' order to the
// record's field positions.
func decodeRow(e *Entry, colIdx *[22]int, cr *csv.Reader) error {
	var err error
	cell := func(k int) string { return e.Raw[colIdx[k]] }
	fail := func(k int, cause error) error {
		line, col := cr.FieldPos(colIdx[k])
		return &ParseError{Line: line, Column: col, Field: Columns[k].Name, Err: cause}
	}
	tm := func(k int, dst *Time) {
		if err == nil {
			if *dst, err = parseTime(cell(k)); err != nil {
				err = fail(k, err)
			}
		}
	}
	bl := func(k int, dst *Bool) {
		if err == nil {
			if *dst, err = parseBool(cell(k)); err != nil {
				err = fail(k, err)
			}
		}
	}
	tx := func(k int, dst *Text) {
		*dst = parseText(cell(k))
	}

	e.User = cell(0)
	e.ARN = cell(1)
	if e.User == "" {
		return fail(0, errors.New("empty user name"))
	}
	tm(2, &e.UserCreationTime)
	bl(3, &e.PasswordEnabled)
	tm(4, &e.PasswordLastUsed)
	tm(5, &e.PasswordLastChanged)
	tm(6, &e.PasswordNextRotation)
	bl(7, &e.MFAActive)
	for n := range 2 {
		base := 8 + 5*n
		k := &e.AccessKeys[n]
		bl(base, &k.Active)
		tm(base+1, &k.LastRotated)
		tm(base+2, &k.LastUsedDate)
		tx(base+3, &k.LastUsedRegion)
		tx(base+4, &k.LastUsedService)
	}
	for n := range 2 {
		base := 18 + 2*n
		bl(base, &e.Certs[n].Active)
		tm(base+1, &e.Certs[n].LastRotated)
	}
	return err
}

// add checks the entry's identity (ARN shape, one account, unique names) and
// files it as root or user.
func (r *Report) add(e *Entry, seen map[string]int, cr *csv.Reader, colIdx *[22]int) error {
	arnErr := func(cause error) error {
		line, col := cr.FieldPos(colIdx[1])
		return &ParseError{Line: line, Column: col, Field: ColARN, Err: cause}
	}
	partition, account, resource, ok := splitIAMARN(e.ARN)
	if !ok {
		return arnErr(fmt.Errorf("%q is not an IAM ARN (want arn:<partition>:iam::<12-digit account>:root or :user/<name>)", e.ARN))
	}
	switch {
	case e.IsRoot() && resource != "root":
		return arnErr(fmt.Errorf("root row has ARN %q, want one ending in :root", e.ARN))
	case !e.IsRoot() && !strings.HasPrefix(resource, "user/"):
		return arnErr(fmt.Errorf("user row has ARN %q, want one with :user/<name>", e.ARN))
	}
	if r.AccountID == "" {
		r.AccountID, r.Partition = account, partition
	} else if account != r.AccountID || partition != r.Partition {
		return arnErr(fmt.Errorf("ARN %q is in account %s/%s but earlier rows are in %s/%s", e.ARN, partition, account, r.Partition, r.AccountID))
	}
	key := strings.ToLower(e.User) // IAM user names are unique regardless of case
	if first, dup := seen[key]; dup {
		line, col := cr.FieldPos(colIdx[0])
		return &ParseError{Line: line, Column: col, Field: ColUser, Err: fmt.Errorf("duplicate user %q (first on line %d)", e.User, first)}
	}
	seen[key] = e.Line
	r.Entries = append(r.Entries, e)
	if e.IsRoot() {
		r.Root = e
	} else {
		r.Users = append(r.Users, e)
	}
	return nil
}

// splitIAMARN splits arn:<partition>:iam::<account>:<resource>.
func splitIAMARN(arn string) (partition, account, resource string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return "", "", "", false
	}
	partition, rest, ok = strings.Cut(rest, ":")
	if !ok || !isARNPartition(partition) {
		return "", "", "", false
	}
	rest, ok = strings.CutPrefix(rest, "iam::")
	if !ok {
		return "", "", "", false
	}
	account, resource, ok = strings.Cut(rest, ":")
	if !ok || len(account) != 12 || resource == "" {
		return "", "", "", false
	}
	for _, c := range account {
		if c < '0' || c > '9' {
			return "", "", "", false
		}
	}
	return partition, account, resource, true
}

func sentinel(s string) (State, bool) {
	switch s {
	case SentinelNotApplicable:
		return NotApplicable, true
	case SentinelNoInformation:
		return NoInformation, true
	case SentinelNotSupported:
		return NotSupported, true
	}
	return Set, false
}

func parseTime(s string) (Time, error) {
	if st, ok := sentinel(s); ok {
		return Time{State: st}, nil
	}
	if s == "" {
		return Time{}, errors.New("empty value, want an RFC 3339 time, N/A, no_information or not_supported")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return Time{}, fmt.Errorf("invalid timestamp %q, want RFC 3339 (2006-01-02T15:04:05+00:00), N/A, no_information or not_supported", s)
	}
	return Time{T: t.UTC()}, nil
}

func parseBool(s string) (Bool, error) {
	if st, ok := sentinel(s); ok {
		return Bool{State: st}, nil
	}
	switch {
	case strings.EqualFold(s, "true"):
		return Bool{V: true}, nil
	case strings.EqualFold(s, "false"):
		return Bool{V: false}, nil
	}
	return Bool{}, fmt.Errorf("invalid boolean %q, want true, false, N/A, no_information or not_supported", s)
}

func parseText(s string) Text {
	if st, ok := sentinel(s); ok {
		return Text{State: st}
	}
	return Text{S: s}
}
