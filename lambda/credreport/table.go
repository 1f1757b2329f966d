package credreport

import (
	"encoding/csv"
	"fmt"
	"io"
)

// Table is a list of report rows with the queries InSpec's
// aws_iam_credential_report resource offers: all entries, Where, and every
// column as a list.
type Table []*Entry

// Where returns the rows for which keep returns true, in order.
func (t Table) Where(keep func(*Entry) bool) Table {
	var out Table
	for _, e := range t {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// Column returns the typed values of a known column, one per row.
func (t Table) Column(name string) ([]Value, error) {
	c, ok := LookupColumn(name)
	if !ok {
		return nil, fmt.Errorf("unknown column %q", name)
	}
	out := make([]Value, len(t))
	for i, e := range t {
		out[i] = c.get(e)
	}
	return out, nil
}

// RawColumn returns the raw text of any column the report has, one per row.
func (t Table) RawColumn(name string) ([]string, error) {
	out := make([]string, len(t))
	for i, e := range t {
		v, ok := e.RawValue(name)
		if !ok {
			return nil, fmt.Errorf("unknown column %q", name)
		}
		out[i] = v
	}
	return out, nil
}

// Names returns the user column (InSpec's `users`).
func (t Table) Names() []string {
	out := make([]string, len(t))
	for i, e := range t {
		out[i] = e.User
	}
	return out
}

// ARNs returns the arn column.
func (t Table) ARNs() []string {
	out := make([]string, len(t))
	for i, e := range t {
		out[i] = e.ARN
	}
	return out
}

// WriteCSV writes the report back as CSV: its header and every row's raw
// cells, in order, so that parsing the output yields the same rows.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.Header); err != nil {
		return err
	}
	var buf [32]string
	for _, e := range r.Entries {
		if err := cw.Write(e.cells(buf[:0])); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
