package credreport

import (
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/credaudit/credaudit/lambda/internal/swar"
)

// ParseError says where in the CSV a report is malformed, or where in the
// get-credential-report JSON document that holds it. Line and Column are
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

const utf8BOM = "\uFEFF"

// Read parses a report in either form users hold one in: the raw CSV, or the
// JSON that `aws iam get-credential-report` prints (base64 Content and
// GeneratedTime). For JSON input Report.GeneratedTime is set.
func Read(data []byte) (*Report, error) { return ReadString(string(data)) }

// ReadString is Read for a report held in a string, which it does not copy:
// the cells of the report are substrings of s. A command that reads a file
// into a string (strings.Builder) saves the copy Read makes, a megabyte of
// fresh memory for 5,000 users.
func ReadString(s string) (*Report, error) {
	if why := utf16Start(s); why != "" {
		// What Windows PowerShell 5's > writes: read as UTF-8, every
		// column would go missing.
		return nil, &ParseError{Line: 1, Err: errors.New("the file is UTF-16 (" + why + "), and a credential report is UTF-8: " +
			"write it as UTF-8 (in PowerShell, | Out-File -Encoding utf8) or convert it (iconv -f UTF-16 -t UTF-8)")}
	}
	trimmed := strings.TrimLeft(strings.TrimPrefix(s, utf8BOM), " \t\r\n")
	if strings.HasPrefix(trimmed, "[") {
		// No CSV report starts so (its header starts "user"); read as one,
		// the array would be a header missing every column.
		return nil, fmt.Errorf("read get-credential-report JSON: %w", errorAt(s, len(s)-len(trimmed), errors.New(`a JSON array; want the one object "aws iam get-credential-report" writes, {"Content": …}`)))
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return parse(s)
	}
	skipped := len(s) - len(trimmed)
	doc, ok := simpleJSON(s, skipped)
	if !ok {
		var err error
		if doc, err = decodeJSON(s, skipped); err != nil {
			return nil, fmt.Errorf("read get-credential-report JSON: %w", err)
		}
	}
	var (
		generated time.Time
		err       error
	)
	switch {
	case doc.generatedAt >= 0 && doc.GeneratedTime == "":
		// Left out, the report is dated as a bare CSV is; given, it is a
		// time, not a way of leaving it out.
		return nil, fmt.Errorf("read get-credential-report JSON: %w", errorAt(s, doc.generatedAt, errors.New("GeneratedTime is empty (or null): give the report's time, or leave the field out for a report of unknown time")))
	case doc.generatedAt >= 0:
		generated, err = ParseRFC3339(doc.GeneratedTime)
		if err != nil {
			return nil, fmt.Errorf("read get-credential-report JSON: GeneratedTime %s is not an RFC 3339 time", quote(doc.GeneratedTime))
		}
	}
	r, err := Parse(doc.csv)
	if err != nil {
		return nil, fmt.Errorf("Content: %w", err)
	}
	r.GeneratedTime = generated.UTC()
	r.ContentLine, _ = lineColumn(s, doc.contentAt)
	return r, nil
}

// reportJSON is the object get-credential-report writes, its Content
// decoded.
type reportJSON struct {
	csv                         []byte
	ReportFormat, GeneratedTime string
	contentAt                   int // where Content's key is in the input
	generatedAt                 int // where GeneratedTime's is; -1: left out
}

// decodeJSON reads the object at s[start:] with encoding/json, the
// authority on what JSON is accepted and on every error, and refuses a
// field given twice (fieldKeys), anything after the object, a ReportFormat
// other than text/csv and a Content that is not base64. An error in the
// JSON names its line and column in s.
func decodeJSON(s string, start int) (reportJSON, error) {
	var doc struct {
		Content       *string
		ReportFormat  string
		GeneratedTime string
	}
	dec := json.NewDecoder(strings.NewReader(s[start:]))
	if err := dec.Decode(&doc); err != nil {
		return reportJSON{}, jsonError(s, start, err)
	}
	if rest := strings.TrimLeft(s[start+int(dec.InputOffset()):], " \t\r\n"); rest != "" {
		return reportJSON{}, errorAt(s, len(s)-len(rest), errors.New("data after the JSON object"))
	}
	keys, err := fieldKeys(s, start, "Content", "ReportFormat", "GeneratedTime")
	if err != nil {
		return reportJSON{}, err
	}
	if doc.Content == nil && keys[0] >= 0 {
		return reportJSON{}, errorAt(s, keys[0], errors.New(`"Content" is null, want the report's base64 text`))
	}
	if doc.Content == nil {
		return reportJSON{}, errors.New(`no "Content" field`)
	}
	if doc.ReportFormat != "" && doc.ReportFormat != "text/csv" {
		return reportJSON{}, fmt.Errorf("ReportFormat %s, want text/csv", quote(doc.ReportFormat))
	}
	csv, err := base64.StdEncoding.DecodeString(*doc.Content)
	if err != nil {
		return reportJSON{}, fmt.Errorf("Content is not base64: %w", err)
	}
	return reportJSON{csv: csv, ReportFormat: doc.ReportFormat, GeneratedTime: doc.GeneratedTime, contentAt: keys[0], generatedAt: keys[2]}, nil
}

// simpleJSON reads the object at s[start:] when it is as simple as
// get-credential-report writes it: string values only, keys of plain ASCII,
// each field once, Content base64 with no escape or line break in it,
// ReportFormat text/csv if any, and nothing after the object; ok is false
// for anything else, which decodeJSON then reads, and refuses if it must.
// It reads what decodeJSON would (FuzzSimpleJSON), with one pass over
// Content where encoding/json makes two and a copy: a 5,000-user report in
// 3–4 ms instead of 15 (BenchmarkReadJSON).
func simpleJSON(s string, start int) (doc reportJSON, ok bool) {
	doc.contentAt, doc.generatedAt = -1, -1
	format := false // seen
	i := skipSpace(s, start+1)
	for {
		if i >= len(s) || s[i] != '"' {
			return doc, false
		}
		keyAt := i
		n := strings.IndexByte(s[i+1:], '"')
		if n < 0 || !plainASCII(s[i+1:i+1+n]) {
			return doc, false
		}
		key := s[i+1 : i+1+n]
		if i = skipSpace(s, i+n+2); i >= len(s) || s[i] != ':' {
			return doc, false
		}
		if i = skipSpace(s, i+1); i >= len(s) || s[i] != '"' {
			return doc, false
		}
		n = strings.IndexByte(s[i+1:], '"') // IndexByte, not IndexAny: a vector loop
		if n < 0 || strings.IndexByte(s[i+1:i+1+n], '\\') >= 0 {
			return doc, false // an escape: encoding/json unquotes it
		}
		value := s[i+1 : i+1+n]
		i = skipSpace(s, i+n+2)
		switch {
		case strings.EqualFold(key, "Content"):
			// The base64 decoder skips line breaks, which JSON refuses
			// in a string; every other byte it takes is JSON's too.
			if doc.contentAt >= 0 || strings.IndexByte(value, '\n') >= 0 || strings.IndexByte(value, '\r') >= 0 {
				return doc, false
			}
			var err error
			if doc.csv, err = base64.StdEncoding.DecodeString(value); err != nil {
				return doc, false
			}
			doc.contentAt = keyAt
		case !jsonText(value):
			return doc, false
		case strings.EqualFold(key, "ReportFormat"):
			if format || value != "" && value != "text/csv" {
				return doc, false
			}
			doc.ReportFormat, format = value, true
		case strings.EqualFold(key, "GeneratedTime"):
			if doc.generatedAt >= 0 { // seen
				return doc, false
			}
			doc.GeneratedTime, doc.generatedAt = value, keyAt
		}
		switch {
		case i < len(s) && s[i] == ',':
			i = skipSpace(s, i+1)
		case i < len(s) && s[i] == '}':
			return doc, doc.contentAt >= 0 && skipSpace(s, i+1) == len(s)
		default:
			return doc, false
		}
	}
}

// plainASCII reports whether s is printable ASCII without a backslash or a
// quote: a JSON key encoding/json reads as written, and matches to a field
// as strings.EqualFold does.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f || s[i] == '\\' || s[i] == '"' {
			return false
		}
	}
	return true
}

// jsonText reports whether s, unescaped, is the text of a JSON string as
// encoding/json reads it: valid UTF-8 (which it would replace) with no
// control character (which it refuses).
func jsonText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 {
			return false
		}
	}
	return utf8.ValidString(s)
}

// fieldKeys returns where the key of each of fields is in the JSON object
// at s[start:], which must be valid JSON (decoded already), matched in any
// case as encoding/json matches a key to a field; -1 for a field it does
// not have. A field given twice is an error at the second key: encoding/json
// would take the last silently, and which of two reports, or times, is
// meant is not for credaudit to guess.
func fieldKeys(s string, start int, fields ...string) ([]int, error) {
	at := make([]int, len(fields))
	for f := range at {
		at[f] = -1
	}
	i := start + 1 // past '{'
	for {
		i = skipSpace(s, i)
		if s[i] == '}' {
			return at, nil
		}
		if s[i] == ',' {
			i = skipSpace(s, i+1)
		}
		end := stringEnd(s, i)
		var key string
		if err := json.Unmarshal([]byte(s[i:end]), &key); err != nil {
			return nil, errorAt(s, i, err) // not for JSON that decoded
		}
		for f, name := range fields {
			if !strings.EqualFold(key, name) {
				continue
			}
			if at[f] >= 0 {
				line, column := lineColumn(s, at[f])
				return nil, errorAt(s, i, fmt.Errorf("%s given a second time (first at line %d, column %d), and get-credential-report writes it once", quote(key), line, column))
			}
			at[f] = i
		}
		i = valueEnd(s, skipSpace(s, skipSpace(s, end)+1)) // past ':' and the value
	}
}

// skipSpace returns the index of the first byte at or after i of s that is
// not JSON white space.
func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string that starts at
// s[i] (its opening quote), which must be valid. It jumps from quote or
// backslash to the next: a megabyte of base64 Content takes microseconds.
func stringEnd(s string, i int) int {
	for i++; ; {
		j := strings.IndexAny(s[i:], `"\\`)
		if s[i+j] == '"' {
			return i + j + 1
		}
		i += j + 2 // the backslash and the byte it escapes
	}
}

// valueEnd returns the index just past the valid JSON value that starts at
// s[i].
func valueEnd(s string, i int) int {
	depth := 0
	for {
		switch s[i] {
		case '"':
			i = stringEnd(s, i)
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			i++
		default: // a number, true, false, null, or ',', ':' or space inside
			i++
			for i < len(s) && !strings.ContainsRune(`"{}[],`, rune(s[i])) {
				i++
			}
			if depth == 0 {
				return i
			}
			if s[i] == ',' {
				i++
			}
		}
		if depth == 0 {
			return i
		}
	}
}

// jsonError places a JSON decoding error of s[skipped:] at its line and
// column in s: the byte the decoder stopped at (a syntax error's offending
// byte, the end of a value of the wrong type), or the end of a truncated
// input.
func jsonError(s string, skipped int, err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return errorAt(s, skipped+int(syntax.Offset)-1, err)
	case errors.As(err, &typ) && typ.Field != "":
		// Its own words, not Go's ("Go struct field .GeneratedTime of
		// type string"): every field is a string.
		return errorAt(s, skipped+int(typ.Offset)-1, fmt.Errorf("%s is a JSON %s, want a string", typ.Field, typ.Value))
	case errors.As(err, &typ):
		return errorAt(s, skipped+int(typ.Offset)-1, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorAt(s, len(s), err)
	}
	return err
}

// errorAt is a *ParseError for err at byte off of s.
func errorAt(s string, off int, err error) error {
	line, column := lineColumn(s, off)
	return &ParseError{Line: line, Column: column, Err: err}
}

// lineColumn is where byte off of s is, counting from 1.
func lineColumn(s string, off int) (line, column int) {
	off = max(0, min(off, len(s)))
	return 1 + strings.Count(s[:off], "\n"), off - strings.LastIndexByte(s[:off], '\n')
}

// Parse parses the CSV content of a credential report (GetCredentialReport's
// Content, already decoded by the SDK). Columns are found by name: reordered
// columns work and unknown columns are kept raw. A UTF-8 BOM, CRLF line ends,
// quoted fields and a trailing newline are accepted; anything else malformed is
// a *ParseError naming the line and column.
//
// Reports as IAM writes them take a fast path (parsePlain); anything it does
// not handle, every malformed input included, is read with encoding/csv,
// which is the authority on what is accepted and on every error's position.
func Parse(data []byte) (*Report, error) { return parse(string(data)) }

// parse is Parse of a string, which every cell of the report points into.
func parse(s string) (*Report, error) {
	s = strings.TrimPrefix(s, utf8BOM)
	if len(strings.TrimSpace(s)) == 0 {
		return nil, ErrEmpty
	}
	if r, ok := parsePlain(s); ok {
		return r, nil
	}
	if crOnly(s) {
		// Read so, the file is one line: a header with every row's cells
		// in it, or a stray quote, which says nothing of the cause.
		return nil, &ParseError{Line: 1, Err: errors.New("the lines end in a carriage return alone (as classic Mac OS wrote them), and a credential report's end in LF or CRLF: convert it (tr '\\r' '\\n')")}
	}
	if cut, err := tooWide(s); err != nil {
		// encoding/csv would hold the record's fields, some 40 bytes each,
		// before counting them: a line of 100 MB of commas, many GB. It
		// reads what comes before, for an error there.
		if cut > 0 {
			var pe *ParseError
			if _, first := parseCSV(s[:cut]); errors.As(first, &pe) && pe.Line > 0 && pe.Line < err.Line {
				return nil, first
			}
		}
		return nil, err
	}
	return parseCSV(s)
}

// maxColumns bounds a report's header: IAM writes 22 columns, and more
// are kept raw, but a header of millions (a malformed file) is not.
const maxColumns = 1024

// tooWide finds the first record of s, read as encoding/csv reads it,
// with more fields than the header, or a header of more than maxColumns,
// and returns it as encoding/csv would report it, and where it starts.
// Quotes are followed as in well-formed CSV: a malformed quote before the
// record is encoding/csv's error to find, in s[:cut].
func tooWide(s string) (cut int, _ *ParseError) {
	want := -1 // the header's fields, once read
	// The record's first line and offset, the lines read, its fields so far.
	recLine, start, line, fields, quoted, empty := 1, 0, 1, 1, false, true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted, empty = !quoted, false
		case quoted:
			if c == '\n' {
				line++
			}
		case c == ',':
			fields++
			empty = false
			switch {
			case want < 0 && fields > maxColumns:
				return start, &ParseError{Line: recLine, Err: fmt.Errorf("more than %d columns in the header (a credential report has %d)", maxColumns, len(Columns))}
			case want >= 0 && fields > want:
				return start, &ParseError{Line: recLine, Column: 1, Err: fmt.Errorf("wrong number of fields (want %d, as in the header)", want)}
			}
		case c == '\n':
			if !empty && want < 0 {
				want = fields
			}
			line++
			recLine, start, fields, empty = line, i+1, 1, true
		case c != '\r':
			empty = false
		}
	}
	return 0, nil
}

// crOnly reports whether s's first line ends in a carriage return that no
// line feed follows: a header has no quoted field that could hold one.
func crOnly(s string) bool {
	i := strings.IndexAny(s, "\r\n")
	return i >= 0 && s[i] == '\r' && (i+1 == len(s) || s[i+1] != '\n') && strings.TrimSpace(s[i:]) != ""
}

// rowBuffers hands out entries, and for rows read with encoding/csv copies
// of their cells, from shared backing arrays: one allocation each for a
// report's rows, rather than one per row. They are sized by rowsAtMost;
// should a report have more rows than that, a new backing array is
// started.
type rowBuffers struct {
	entries []Entry
	cells   []string
}

// newRowBuffers makes room for rows entries and, for encoding/csv, rows rows
// of columns cells.
func newRowBuffers(rows, columns int) rowBuffers {
	return rowBuffers{entries: make([]Entry, 0, rows), cells: make([]string, 0, rows*columns)}
}

// rowsAtMost is the room to make for the rows of src, the text of lines
// lines of a report of columns columns: a row a line, but no more rows than
// its bytes hold, a row taking at least a byte a cell (its comma or line
// end) and the 30 of the shortest ARN (arn:aws:iam::123456789012:root).
// Blank lines and quoted line breaks are lines without rows: sized by its
// lines alone, a 329 KB report of 20,000 columns over blank lines asked for
// 16 GB.
func rowsAtMost(src string, lines, columns int) int {
	return min(lines, len(src)/(columns+len("arn:aws:iam::123456789012:root")-1)+1)
}

// take hands out the room for the next rows entries in b's backing array,
// which b gives up.
func (b *rowBuffers) take(rows int) rowBuffers {
	part := rowBuffers{entries: b.entries[:0:rows]}
	b.entries = b.entries[rows:rows:cap(b.entries)]
	return part
}

// next returns a new entry of a report with header h.
func (b *rowBuffers) next(h *header) *Entry {
	if len(b.entries) == cap(b.entries) {
		b.entries = make([]Entry, 0, max(cap(b.entries), 64))
	}
	b.entries = append(b.entries, Entry{header: h})
	return &b.entries[len(b.entries)-1]
}

// keep returns a copy of rec.
func (b *rowBuffers) keep(rec []string) []string {
	if len(b.cells)+len(rec) > cap(b.cells) {
		b.cells = make([]string, 0, max(cap(b.cells), 64*len(rec)))
	}
	start := len(b.cells)
	b.cells = append(b.cells, rec...)
	return b.cells[start:len(b.cells):len(b.cells)]
}

// parseCSV parses with encoding/csv. It reads everything Parse accepts and
// reports every malformed input with its position.
func parseCSV(data string) (*Report, error) {
	cr := csv.NewReader(strings.NewReader(data))
	cr.ReuseRecord = true
	names, err := cr.Read()
	if err != nil {
		return nil, csvError(err, 0)
	}
	line, _ := cr.FieldPos(0)
	h, colIdx, err := readHeader(names, line, func(field int) int {
		_, col := cr.FieldPos(field)
		return col
	})
	if err != nil {
		return nil, err
	}
	buf := newRowBuffers(rowsAtMost(data, strings.Count(data, "\n"), len(names)), len(names))
	rep := newReport(h, cap(buf.entries))
	fieldErr := func(k int, cause error) error {
		line, col := cr.FieldPos(colIdx[k])
		return &ParseError{Line: line, Column: col, Field: Columns[k].Name, Err: cause}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err, len(names))
		}
		e := buf.next(h)
		e.raw = buf.keep(rec)
		e.Line, _ = cr.FieldPos(0)
		if k, err := decodeRow(e, e.raw, &colIdx); err != nil {
			return nil, fieldErr(k, err)
		}
		if k, err := rep.add(e); err != nil {
			return nil, fieldErr(k, err)
		}
	}
	return rep.done()
}

// parsePlain parses a report written the way IAM writes it, without
// encoding/csv: one record a line, LF or CRLF line ends, fields quoted only
// around commas. Every cell is a substring of src. It returns false for
// anything else (a doubled quote inside quotes, a quoted line break, a stray
// quote, a wrong number of fields, a bad cell or identity), which Parse then
// reads with parseCSV; what it accepts, it parses exactly as parseCSV does.
//
// A large report is parsed on every CPU (parsePlainParts): a row's cells
// depend only on its own line and the header.
func parsePlain(src string) (*Report, bool) {
	workers := min(runtime.GOMAXPROCS(0), len(src)/minWorkerBytes)
	return parsePlainParts(src, workers, partBytes)
}

// minWorkerBytes is the least input per worker of parsePlainParts: about
// 1,000 rows, some 0.7 ms of work, far more than a goroutine costs.
// partBytes is the size of the parts they take turns at (about 250 rows):
// small enough that a worker whose CPU is busy with other work leaves its
// share to the others, large enough that handing parts out costs nothing.
const (
	minWorkerBytes = 256 << 10
	partBytes      = 64 << 10
)

// parsePlainParts is parsePlain with the rows after the header cut, at line
// ends, into parts of about size bytes, parsed by workers goroutines that
// each take the next part when done with one. With one worker or fewer the
// rows are one part, parsed on the caller's goroutine. The parts are joined
// in order, provided that together they are one account without a user
// twice: a worker checks each user against those it has parsed before,
// joinParts each worker's users against the other workers'.
func parsePlainParts(src string, workers, size int) (*Report, bool) {
	var (
		h      *header
		colIdx [22]int
		line   int // lines read
	)
	for h == nil { // the header: the first line that is not empty
		if src == "" {
			return nil, false
		}
		var ln string
		ln, src = cutLine(src)
		line++
		// encoding/csv drops the \r of a CRLF, and a final \r before EOF,
		// and skips empty lines.
		if ln = strings.TrimSuffix(ln, "\r"); ln == "" {
			continue
		}
		rec, ok := splitPlain(nil, ln, maxColumns)
		if !ok {
			return nil, false
		}
		var err error
		if h, colIdx, err = readHeader(rec, line, nil); err != nil {
			return nil, false
		}
	}
	if workers <= 1 {
		size = len(src)
	}
	size = max(size, 1)
	var ps []plainPart
	for len(src) > 0 || ps == nil {
		end := len(src)
		if size < end { // up to the line end at or after size bytes
			end = size - 1
			if nl := strings.IndexByte(src[end:], '\n'); nl >= 0 {
				end += nl + 1
			} else {
				end = len(src)
			}
		}
		p := plainPart{src: src[:end], line: line, lines: strings.Count(src[:end], "\n")}
		ps = append(ps, p)
		line += p.lines
		src = src[end:]
	}
	// One backing array of entries for all parts, as for one part: each
	// part gets room for a row on every line it has (rowsAtMost).
	room, rows := make([]int, len(ps)), 0
	for i, p := range ps {
		room[i] = rowsAtMost(p.src, p.lines+1, len(h.names))
		rows += room[i]
	}
	all := newRowBuffers(rows, 0)
	for i := range ps {
		ps[i].buf = all.take(room[i])
	}
	workers = max(1, min(workers, len(ps)))
	names := make([]map[string]int, workers) // lower-cased user name → line, for each worker's rows
	if workers == 1 {
		names[0] = make(map[string]int, rows)
		ps[0].parse(h, &colIdx, names[0])
		return joinParts(ps, names)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range names {
		names[w] = make(map[string]int, (rows+workers-1)/workers)
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(ps); i = int(next.Add(1) - 1) {
				ps[i].parse(h, &colIdx, names[w])
			}
		})
	}
	wg.Wait()
	return joinParts(ps, names)
}

// plainPart is a run of whole lines of a report after its header, and what
// parsing them gave.
type plainPart struct {
	src   string
	line  int // lines before src
	lines int // line ends in src
	buf   rowBuffers
	rep   reportBuilder
	ok    bool
}

// parse parses the part's rows into p.rep, checking their user names
// against those in seen, which it adds them to; p.ok says whether
// parsePlain's rules held for every row.
func (p *plainPart) parse(h *header, colIdx *[22]int, seen map[string]int) {
	src, line, buf := p.src, p.line, &p.buf
	p.rep = reportBuilder{Report: &Report{Header: h.names, Entries: make([]*Entry, 0, cap(buf.entries))}, seen: seen}
	rec := make([]string, 0, len(h.names))
	for len(src) > 0 {
		var ln string
		ln, src = cutLine(src)
		line++
		if ln = strings.TrimSuffix(ln, "\r"); ln == "" {
			continue
		}
		var ok bool
		if rec, ok = splitPlain(rec[:0], ln, len(h.names)); !ok || len(rec) != len(h.names) {
			return
		}
		e := buf.next(h)
		e.Line, e.src = line, ln
		if _, err := decodeRow(e, rec, colIdx); err != nil {
			return
		}
		if _, err := p.rep.add(e); err != nil {
			return
		}
	}
	p.ok = true
}

// joinParts joins parsed parts into one report, if each part parsed and
// together they have rows, all of one account, and no user twice: names
// holds each worker's user names, checked against each other's.
func joinParts(ps []plainPart, names []map[string]int) (*Report, bool) {
	rows := 0
	for i := range ps {
		if !ps[i].ok {
			return nil, false
		}
		rows += len(ps[i].rep.Entries)
	}
	if rows == 0 {
		return nil, false
	}
	for w := 1; w < len(names); w++ {
		for name := range names[w] {
			for _, other := range names[:w] {
				if _, dup := other[name]; dup {
					return nil, false
				}
			}
		}
	}
	if len(ps) == 1 {
		return ps[0].rep.Report, true
	}
	var rep *Report
	for i := range ps {
		p := ps[i].rep
		if len(p.Entries) == 0 {
			continue
		}
		if rep == nil {
			rep = &Report{Header: p.Header, Entries: make([]*Entry, 0, rows), AccountID: p.AccountID, Partition: p.Partition}
		}
		if p.AccountID != rep.AccountID || p.Partition != rep.Partition {
			return nil, false
		}
		rep.Entries = append(rep.Entries, p.Entries...)
		if rep.Users == nil && p.Users != nil {
			rep.Users = make([]*Entry, 0, rows)
		}
		rep.Users = append(rep.Users, p.Users...)
		if p.Root != nil {
			rep.Root = p.Root
		}
	}
	return rep, true
}

// cutLine cuts s after its first line end; line is without the \n.
func cutLine(s string) (line, rest string) {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// splitPlain appends the fields of one line to rec, at most limit of them.
// A field is either unquoted and free of quotes, or quoted with no quote
// inside; ok is false for anything else, and for more than limit fields
// (a malformed line of millions of commas is not split into millions of
// strings).
func splitPlain(rec []string, ln string, limit int) (_ []string, ok bool) {
	// The fields rec may hold before the line's last.
	limit += len(rec) - 1
	if strings.IndexByte(ln, '"') < 0 { // nearly every line: no quotes at all
		// Commas are found eight bytes at a time (a field averages a dozen
		// bytes, too short for IndexByte to pay off).
		start, i := 0, 0
		for ; i+8 <= len(ln); i += 8 {
			for m := commas(swar.Word(ln, i)); m != 0; m &= m - 1 {
				j := i + bits.TrailingZeros64(m)/8
				if len(rec) == limit {
					return rec, false
				}
				rec = append(rec, ln[start:j])
				start = j + 1
			}
		}
		for ; i < len(ln); i++ {
			if ln[i] == ',' {
				if len(rec) == limit {
					return rec, false
				}
				rec = append(rec, ln[start:i])
				start = i + 1
			}
		}
		return append(rec, ln[start:]), true
	}
	for {
		if strings.HasPrefix(ln, `"`) {
			end := strings.IndexByte(ln[1:], '"') + 1
			if end == 0 {
				return rec, false // a quoted line break, or no closing quote
			}
			if len(rec) > limit {
				return rec, false
			}
			rec = append(rec, ln[1:end])
			switch rest := ln[end+1:]; {
			case rest == "":
				return rec, true
			case rest[0] == ',':
				ln = rest[1:]
				continue
			}
			return rec, false // a doubled quote, or text after the closing quote
		}
		i := strings.IndexByte(ln, ',')
		field := ln
		if i >= 0 {
			field = ln[:i]
		}
		if strings.IndexByte(field, '"') >= 0 {
			return rec, false // a bare quote: encoding/csv's error to report
		}
		if len(rec) > limit {
			return rec, false
		}
		rec = append(rec, field)
		if i < 0 {
			return rec, true
		}
		ln = ln[i+1:]
	}
}

// commas returns the top bit of each byte of x that is a comma. For a byte y
// of x ^ ",,,,,,,,", (y&0x7f + 0x7f) | y has its top bit clear exactly when
// y is zero, and no carry crosses into the next byte: the answer is exact
// for every byte, which the split relies on.
func commas(x uint64) uint64 {
	const low7, tops = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	y := x ^ (',' * 0x0101010101010101) // comma bytes become zero
	return ^((y&low7 + low7) | y) & tops
}

// misspelt says which of the missing columns the header has in another case
// or with spaces around it (a report saved by a spreadsheet, or typed by
// hand), which a reader would otherwise take for absent; "" for none.
func misspelt(names, missing []string) string {
	var found []string
	for _, n := range names {
		t := strings.TrimSpace(n)
		if t != n || strings.ToLower(t) != t {
			if slices.Contains(missing, strings.ToLower(t)) {
				found = append(found, quote(n))
			}
		}
	}
	n := len(found)
	switch {
	case n == 0:
		return ""
	case n > 3:
		found = append(found[:3], "…")
	}
	return fmt.Sprintf(" (the header has %d of them in another case or with spaces: %s; IAM writes each in lower case, separated by a comma alone)",
		n, strings.Join(found, ", "))
}

// readHeader reads the header, the names on line (blank lines may come
// before it); col gives the column a name starts at, for an error, or is
// nil when the caller drops the error.
func readHeader(names []string, line int, col func(field int) int) (*header, [22]int, error) {
	var colIdx [22]int
	h := &header{names: append([]string(nil), names...), index: make(map[string]int, len(names))}
	for i, n := range h.names {
		if j, dup := h.index[n]; dup {
			err := &ParseError{Line: line, Err: fmt.Errorf("column %s appears twice (fields %d and %d)", quote(n), j+1, i+1)}
			if col != nil {
				err.Column = col(i)
			}
			return nil, colIdx, err
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
		return nil, colIdx, &ParseError{Line: line, Err: fmt.Errorf("missing required column(s): %s%s", strings.Join(missing, ", "), misspelt(h.names, missing))}
	}
	return h, colIdx, nil
}

// quote is s quoted as %q quotes it, for an error, but cut after its first
// 256 characters, with its size said: a malformed report's cell can run to
// megabytes (a line of 10 MB without a comma), and an error that quoted it
// whole buried its own position.
func quote(s string) string {
	const most = 256
	if len(s) <= most || utf8.RuneCountInString(s) <= most {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%.*q… (%d bytes)", most, s, len(s))
}

func csvError(err error, want int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			msg = fmt.Errorf("wrong number of fields (want %d, as in the header)", want)
		}
		if pe.StartLine > 0 && pe.StartLine != pe.Line {
			// A quoted field that does not close reads on past its line:
			// the line to fix is where the row starts, not where reading
			// gave up.
			return &ParseError{Line: pe.StartLine, Err: fmt.Errorf("a quoted field in the row starting here does not close: %w (found at line %d, column %d)", msg, pe.Line, pe.Column)}
		}
		return &ParseError{Line: pe.Line, Column: pe.Column, Err: msg}
	}
	return fmt.Errorf("read credential report: %w", err)
}

// decodeRow types every known cell of e from the row's cells. colIdx maps
// Columns' order to the cells' positions. On a bad cell it returns the cell's index in
// Columns and the cause.
func decodeRow(e *Entry, cells []string, colIdx *[22]int) (int, error) {
	cell := func(k int) string { return cells[colIdx[k]] }
	var err error
	bad := -1
	tm := func(k int, dst *Time) {
		if err == nil {
			if *dst, err = parseTime(cell(k)); err != nil {
				bad = k
			}
		}
	}
	bl := func(k int, dst *Bool) {
		if err == nil {
			if *dst, err = parseBool(cell(k)); err != nil {
				bad = k
			}
		}
	}
	tx := func(k int, dst *Text) {
		*dst = parseText(cell(k))
	}

	e.User = cell(0)
	e.ARN = cell(1)
	switch {
	case e.User == "":
		return 0, errors.New("empty user name")
	// The user and the ARN name every result, finding and digest line, and
	// IAM writes them in ASCII: bytes that are not UTF-8 (a report saved
	// in another encoding, or damaged) would reach Security Hub and SNS,
	// which take only UTF-8, or be changed to U+FFFD in one output and not
	// another.
	case !utf8.ValidString(e.User):
		return 0, fmt.Errorf("user name %s is not UTF-8", quote(e.User))
	case !utf8.ValidString(e.ARN):
		return 1, fmt.Errorf("ARN %s is not UTF-8", quote(e.ARN))
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
	return bad, err
}

// reportBuilder collects rows into a Report, checking their identity.
type reportBuilder struct {
	*Report
	seen map[string]int // lower-cased user name → line
}

func newReport(h *header, rows int) reportBuilder {
	return reportBuilder{
		Report: &Report{Header: h.names, Entries: make([]*Entry, 0, rows)},
		seen:   make(map[string]int, rows),
	}
}

// add checks the entry's identity (ARN shape, one account, unique names) and
// files it as root or user. On a problem it returns the index in Columns of
// the column at fault and the cause.
func (r reportBuilder) add(e *Entry) (int, error) {
	const user, arn = 0, 1 // indexes in Columns
	partition, account, resource, ok := SplitIAMARN(e.ARN)
	if !ok {
		return arn, fmt.Errorf("%s is not an IAM ARN (want arn:<partition>:iam::<12-digit account>:root or :user/<name>)", quote(e.ARN))
	}
	switch {
	case e.IsRoot() && resource != "root":
		return arn, fmt.Errorf("root row has ARN %s, want one ending in :root", quote(e.ARN))
	case !e.IsRoot() && !strings.HasPrefix(resource, "user/"):
		return arn, fmt.Errorf("user row has ARN %s, want one with :user/<name>", quote(e.ARN))
	case !e.IsRoot() && resource[strings.LastIndexByte(resource, '/')+1:] != e.User:
		// A user's ARN ends in its name (which holds no /), so unique names
		// make unique ARNs: the resource every result and finding is keyed by.
		return arn, fmt.Errorf("ARN %s is not user %s's (want one ending in %s)", quote(e.ARN), quote(e.User), quote("/"+e.User))
	}
	if r.AccountID == "" {
		r.AccountID, r.Partition = account, partition
	} else if account != r.AccountID || partition != r.Partition {
		return arn, fmt.Errorf("ARN %s is in account %s/%s but earlier rows are in %s/%s", quote(e.ARN), partition, account, r.Partition, r.AccountID)
	}
	key := strings.ToLower(e.User) // IAM user names are unique regardless of case
	if first, dup := r.seen[key]; dup {
		return user, fmt.Errorf("duplicate user %s (first on line %d)", quote(e.User), first)
	}
	r.seen[key] = e.Line
	r.Entries = append(r.Entries, e)
	if e.IsRoot() {
		r.Root = e
	} else {
		if r.Users == nil { // room for every row but root's, as for Entries
			r.Users = make([]*Entry, 0, max(cap(r.Entries)-1, 1))
		}
		r.Users = append(r.Users, e)
	}
	return 0, nil
}

func (r reportBuilder) done() (*Report, error) {
	if len(r.Entries) == 0 {
		return nil, fmt.Errorf("%w: a header but no rows", ErrEmpty)
	}
	return r.Report, nil
}

// SplitIAMARN splits arn:<partition>:iam::<account>:<resource>, checking the
// partition and the account ID; ok is false for anything else.
func SplitIAMARN(arn string) (partition, account, resource string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return "", "", "", false
	}
	partition, rest, ok = strings.Cut(rest, ":")
	if !ok || !IsPartition(partition) {
		return "", "", "", false
	}
	rest, ok = strings.CutPrefix(rest, "iam::")
	if !ok {
		return "", "", "", false
	}
	account, resource, ok = strings.Cut(rest, ":")
	if !ok || !IsAccountID(account) || resource == "" {
		return "", "", "", false
	}
	return partition, account, resource, true
}

// Sentinel returns the state a cell holding s is in when s is a sentinel
// as IAM writes it ("N/A", "no_information", "not_supported"); ok is false
// for any other text.
func Sentinel(s string) (st State, ok bool) {
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

// Earliest is the start of 1995, the year Amazon.com opened: no AWS account,
// credential or report is older. AWS opened to developers in 2002, so an
// old account's root row (its user_creation_time is the account's; its
// access keys may be as old) can predate 2006, when S3 and EC2 came. A
// timestamp before it is a typo (0026 for 2026) or a placeholder (1970,
// 0001), and the zero time would read as no time at all.
var Earliest = time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC)

// WholeDays returns the whole days from a to b, never below 0: the rules'
// ageDays(t) = floor((asOf − t) / 24h) is WholeDays(t, asOf), and custom
// rules' ageDays is the same. It works on whole seconds plus a nanosecond
// borrow rather than time.Sub, which is exact for every representable time
// (a Duration ends at 292 years) and cheaper in the rules' hot loop.
func WholeDays(a, b time.Time) int {
	secs := b.Unix() - a.Unix()
	if b.Nanosecond() < a.Nanosecond() {
		secs--
	}
	if secs < 0 {
		return 0
	}
	return int(secs / 86400)
}

// Latest is the last second RFC 3339 can write in UTC (year 9999): a time
// after it (9999-12-31T23:00:00-05:00) could be read but never written
// again, as JSON or anywhere else.
var Latest = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

var earliestSec, latestSec = TimeOf(Earliest).sec, TimeOf(Latest).sec

// utf16Start says why s reads as UTF-16, or "": it starts with a UTF-16
// byte order mark, or, without one, with two characters of ASCII each a
// zero byte beside it, in the same order: a report's header ("user",
// perhaps quoted) or its JSON ({"Content") as UTF-16 writes it.
func utf16Start(s string) string {
	switch {
	case strings.HasPrefix(s, "\xff\xfe") || strings.HasPrefix(s, "\xfe\xff"):
		return "it starts with a UTF-16 byte order mark"
	case len(s) >= 4 && (utf16ASCII(s[0], s[1]) && utf16ASCII(s[2], s[3]) || utf16ASCII(s[1], s[0]) && utf16ASCII(s[3], s[2])):
		return "its first characters are two bytes each, one of them zero"
	}
	return ""
}

// utf16ASCII reports whether a, b is a character of ASCII (not NUL) and a
// zero byte: the character in UTF-16 of that byte order.
func utf16ASCII(a, b byte) bool { return a != 0 && a < utf8.RuneSelf && b == 0 }

// ParseRFC3339 parses s as RFC 3339 writes a time. §5.6 takes a lower-case
// t and z too, which Go's layout does not, and no other letter is valid
// either way; Go's layout also takes what §5.6 does not: a ',' before the
// fraction of a second, and an offset of 24 hours or 60 minutes. Fractions
// of a second are kept.
func ParseRFC3339(s string) (time.Time, error) {
	u := strings.ToUpper(s)
	t, err := time.Parse(time.RFC3339, u)
	// Go has checked that an offset other than Z is ±hh:mm, in digits.
	if err == nil && (len(u) > 19 && u[19] == ',' || !strings.HasSuffix(u, "Z") && (u[len(u)-5:len(u)-3] > "23" || u[len(u)-2:] > "59")) {
		err = fmt.Errorf("%s is not an RFC 3339 time", quote(s))
	}
	if err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// OutOfRange says why t can be no credential report's time (before
// Earliest, after Latest), or "" when it can be.
func OutOfRange(t time.Time) string {
	switch {
	case t.Before(Earliest):
		return fmt.Sprintf("is before %d, before any credential report", Earliest.Year())
	case t.After(Latest):
		return fmt.Sprintf("is after the year %d in UTC", Latest.Year())
	}
	return ""
}

func parseTime(s string) (Time, error) {
	if st, ok := Sentinel(s); ok {
		return Time{State: st}, nil
	}
	t, ok := parseIAMTime(s)
	if !ok {
		if s == "" {
			return Time{}, errors.New("empty value, want an RFC 3339 time, N/A, no_information or not_supported")
		}
		std, err := ParseRFC3339(s)
		if err != nil {
			return Time{}, fmt.Errorf("invalid timestamp %s, want RFC 3339 (2006-01-02T15:04:05+00:00), N/A, no_information or not_supported", quote(s))
		}
		t = TimeOf(std)
	}
	if t.sec < earliestSec {
		return Time{}, fmt.Errorf("timestamp %s is before %d, before any AWS credential", quote(s), Earliest.Year())
	}
	if t.sec > latestSec {
		return Time{}, fmt.Errorf("timestamp %s is after the year %d in UTC", quote(s), Latest.Year())
	}
	return t, nil
}

// parseIAMTime parses the form of timestamp IAM writes,
// 2006-01-02T15:04:05+00:00 (or with Z for +00:00) with a year from 0001,
// into the same time time.Parse gives, at a fraction of its cost (a report
// has ten timestamp columns). ok is false for anything else, valid or not:
// time.Parse decides those.
func parseIAMTime(s string) (t Time, ok bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19:] != "+00:00" && s[19:] != "Z" {
		return Time{}, false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if s[i]-'0' > 9 { // not a digit (bytes below '0' wrap around)
			return Time{}, false
		}
	}
	two := func(i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }
	year, month, day := two(0)*100+two(2), two(5), two(8)
	hour, minute, sec := two(11), two(14), two(17)
	if year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return Time{}, false
	}
	days := daysSinceEpoch(year, month, day)
	return Time{sec: days*86400 + int64(hour*3600+minute*60+sec) - unixYear1}, true
}

var monthDays = [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func daysIn(month, year int) int {
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		return 29
	}
	return monthDays[month]
}

// daysSinceEpoch returns the days from 1970-01-01 to a proleptic Gregorian
// date with year ≥ 1, counting years from March so that the leap day comes
// last (the civil-from-days method of Howard Hinnant's date algorithms).
func daysSinceEpoch(year, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := year / 400
	yearOfEra := year - era*400                     // [0, 399]
	dayOfYear := (153*((month+9)%12)+2)/5 + day - 1 // [0, 365], from March 1
	dayOfEra := yearOfEra*365 + yearOfEra/4 - yearOfEra/100 + dayOfYear
	return int64(era*146097+dayOfEra) - 719468
}

func parseBool(s string) (Bool, error) {
	switch s { // the lowercase IAM writes, before the case-insensitive forms
	case "true":
		return Bool{V: true}, nil
	case "false":
		return Bool{V: false}, nil
	}
	if st, ok := Sentinel(s); ok {
		return Bool{State: st}, nil
	}
	// In ASCII case only: strings.EqualFold would also take Unicode's
	// folds, "falſe" (long s) for false.
	switch {
	case len(s) == 4 && asciiLower(s) == "true":
		return Bool{V: true}, nil
	case len(s) == 5 && asciiLower(s) == "false":
		return Bool{V: false}, nil
	}
	return Bool{}, fmt.Errorf("invalid boolean %s, want true, false, N/A, no_information or not_supported", quote(s))
}

// asciiLower returns s with A–Z in lower case, every other byte as it is.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func parseText(s string) Text {
	if st, ok := Sentinel(s); ok {
		return Text{State: st}
	}
	return Text{S: s}
}
