package credreport

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
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

// SortKey orders rows by one column. A known column orders by its typed
// values: false before true, times in time order, text by its bytes; a
// column the parser does not know, by its text. Desc reverses the values'
// order. A sentinel (N/A, no_information, not_supported, in that order)
// sorts after every value either way: "never used" is not the oldest use,
// nor the newest.
type SortKey struct {
	Column string
	Desc   bool
}

// Sorted returns the rows ordered by keys, the first deciding and the next
// breaking its ties; rows equal on every key keep their order. A key naming
// a column the rows' report does not have orders nothing; no keys, t itself.
func (t Table) Sorted(keys []SortKey) Table {
	if len(keys) == 0 {
		return t
	}
	// Each key's cells, read once a row: a comparison then reads no line.
	// A column the parser does not know is text.
	cells := make([][]Value, len(keys))
	for k, key := range keys {
		c, known := LookupColumn(key.Column)
		cells[k] = make([]Value, len(t))
		for i, e := range t {
			if known {
				cells[k][i] = c.get(e)
			} else {
				cells[k][i].Text.S, _ = e.RawValue(key.Column)
			}
		}
	}
	order := make([]int, len(t))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		for k, key := range keys {
			if c := compareCells(cells[k][a], cells[k][b], key.Desc); c != 0 {
				return c
			}
		}
		return 0
	})
	out := make(Table, len(t))
	for i, j := range order {
		out[i] = t[j]
	}
	return out
}

// compareCells orders two cells of one column, descending when desc, with
// sentinels last either way.
func compareCells(a, b Value, desc bool) int {
	sa, sb := a.State(), b.State()
	if sa != Set || sb != Set {
		return cmp.Compare(sa, sb) // Set is 0, before every sentinel
	}
	var c int
	switch a.Kind {
	case KindTime:
		c = cmp.Or(cmp.Compare(a.Time.sec, b.Time.sec), cmp.Compare(a.Time.nsec, b.Time.nsec))
	case KindBool:
		switch {
		case a.Bool.V == b.Bool.V:
		case b.Bool.V: // false before true
			c = -1
		default:
			c = 1
		}
	default:
		c = strings.Compare(a.Text.S, b.Text.S)
	}
	if desc {
		return -c
	}
	return c
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
