package credreport

import (
	"slices"
	"strings"
	"time"
)

// The report's 22 columns, by the names IAM gives them.
const (
	ColUser                      = "user"
	ColARN                       = "arn"
	ColUserCreationTime          = "user_creation_time"
	ColPasswordEnabled           = "password_enabled"
	ColPasswordLastUsed          = "password_last_used"
	ColPasswordLastChanged       = "password_last_changed"
	ColPasswordNextRotation      = "password_next_rotation"
	ColMFAActive                 = "mfa_active"
	ColAccessKey1Active          = "access_key_1_active"
	ColAccessKey1LastRotated     = "access_key_1_last_rotated"
	ColAccessKey1LastUsedDate    = "access_key_1_last_used_date"
	ColAccessKey1LastUsedRegion  = "access_key_1_last_used_region"
	ColAccessKey1LastUsedService = "access_key_1_last_used_service"
	ColAccessKey2Active          = "access_key_2_active"
	ColAccessKey2LastRotated     = "access_key_2_last_rotated"
	ColAccessKey2LastUsedDate    = "access_key_2_last_used_date"
	ColAccessKey2LastUsedRegion  = "access_key_2_last_used_region"
	ColAccessKey2LastUsedService = "access_key_2_last_used_service"
	ColCert1Active               = "cert_1_active"
	ColCert1LastRotated          = "cert_1_last_rotated"
	ColCert2Active               = "cert_2_active"
	ColCert2LastRotated          = "cert_2_last_rotated"
)

// Kind is the type of a column's values.
type Kind uint8

const (
	KindText    Kind = iota // free text that is never a sentinel (user, arn)
	KindTime                // RFC 3339 timestamp or a sentinel
	KindBool                // true/false or a sentinel
	KindOptText             // text or the N/A sentinel (last used region/service)
)

// Column describes one known column of the report.
type Column struct {
	Name string
	Kind Kind
	// get returns the typed cell of e for this column.
	get func(e *Entry) Value
}

// Columns lists the 22 known columns in the order IAM writes them.
var Columns = []Column{
	{ColUser, KindText, func(e *Entry) Value { return Value{Kind: KindText, Text: Text{e.User, Set}} }},
	{ColARN, KindText, func(e *Entry) Value { return Value{Kind: KindText, Text: Text{e.ARN, Set}} }},
	{ColUserCreationTime, KindTime, func(e *Entry) Value { return timeValue(e.UserCreationTime) }},
	{ColPasswordEnabled, KindBool, func(e *Entry) Value { return boolValue(e.PasswordEnabled) }},
	{ColPasswordLastUsed, KindTime, func(e *Entry) Value { return timeValue(e.PasswordLastUsed) }},
	{ColPasswordLastChanged, KindTime, func(e *Entry) Value { return timeValue(e.PasswordLastChanged) }},
	{ColPasswordNextRotation, KindTime, func(e *Entry) Value { return timeValue(e.PasswordNextRotation) }},
	{ColMFAActive, KindBool, func(e *Entry) Value { return boolValue(e.MFAActive) }},
	{ColAccessKey1Active, KindBool, func(e *Entry) Value { return boolValue(e.AccessKeys[0].Active) }},
	{ColAccessKey1LastRotated, KindTime, func(e *Entry) Value { return timeValue(e.AccessKeys[0].LastRotated) }},
	{ColAccessKey1LastUsedDate, KindTime, func(e *Entry) Value { return timeValue(e.AccessKeys[0].LastUsedDate) }},
	{ColAccessKey1LastUsedRegion, KindOptText, func(e *Entry) Value { return textValue(e.AccessKeys[0].LastUsedRegion) }},
	{ColAccessKey1LastUsedService, KindOptText, func(e *Entry) Value { return textValue(e.AccessKeys[0].LastUsedService) }},
	{ColAccessKey2Active, KindBool, func(e *Entry) Value { return boolValue(e.AccessKeys[1].Active) }},
	{ColAccessKey2LastRotated, KindTime, func(e *Entry) Value { return timeValue(e.AccessKeys[1].LastRotated) }},
	{ColAccessKey2LastUsedDate, KindTime, func(e *Entry) Value { return timeValue(e.AccessKeys[1].LastUsedDate) }},
	{ColAccessKey2LastUsedRegion, KindOptText, func(e *Entry) Value { return textValue(e.AccessKeys[1].LastUsedRegion) }},
	{ColAccessKey2LastUsedService, KindOptText, func(e *Entry) Value { return textValue(e.AccessKeys[1].LastUsedService) }},
	{ColCert1Active, KindBool, func(e *Entry) Value { return boolValue(e.Certs[0].Active) }},
	{ColCert1LastRotated, KindTime, func(e *Entry) Value { return timeValue(e.Certs[0].LastRotated) }},
	{ColCert2Active, KindBool, func(e *Entry) Value { return boolValue(e.Certs[1].Active) }},
	{ColCert2LastRotated, KindTime, func(e *Entry) Value { return timeValue(e.Certs[1].LastRotated) }},
}

// Value returns e's typed cell of the column: for a caller that reads one
// column of many rows, looked up once (LookupColumn) rather than by name for
// each row (Entry.Value).
func (c Column) Value(e *Entry) Value { return c.get(e) }

// ColumnNames is the names of Columns, in order.
func ColumnNames() []string {
	names := make([]string, len(Columns))
	for i, c := range Columns {
		names[i] = c.Name
	}
	return names
}

// LookupColumn returns the known column called name.
func LookupColumn(name string) (Column, bool) {
	for _, c := range Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// State says whether a cell holds a value or which sentinel it held.
type State uint8

const (
	Set           State = iota // the cell holds a value
	NotApplicable              // "N/A"
	NoInformation              // "no_information"
	NotSupported               // "not_supported"
)

// Sentinel strings as IAM writes them.
const (
	SentinelNotApplicable = "N/A"
	SentinelNoInformation = "no_information"
	SentinelNotSupported  = "not_supported"
	RootUser              = "<root_account>"
)

func (s State) String() string {
	switch s {
	case Set:
		return "set"
	case NotApplicable:
		return SentinelNotApplicable
	case NoInformation:
		return SentinelNoInformation
	case NotSupported:
		return SentinelNotSupported
	}
	return "unknown"
}

// Time is a timestamp cell: a time in UTC, as the report's are, when State
// is Set. It keeps the time as seconds and nanoseconds, in 16 bytes where a
// time.Time takes 24: a row has ten, and a large report's rows are most of
// what a scan holds. Times compare with ==.
type Time struct {
	sec   int64 // since January 1, year 1, UTC, so that the zero Time holds time.Time{}
	nsec  int32
	State State
}

// unixYear1 is the Unix time of January 1, year 1, UTC, from which a Time
// counts its seconds.
const unixYear1 = -62135596800

// TimeOf returns the cell holding t (converted to UTC).
func TimeOf(t time.Time) Time {
	return Time{sec: t.Unix() - unixYear1, nsec: int32(t.Nanosecond())}
}

// T returns the time, in UTC. It is meaningful only when State is Set.
func (t Time) T() time.Time { return time.Unix(t.sec+unixYear1, int64(t.nsec)).UTC() }

// Get returns the time and whether the cell held one.
func (t Time) Get() (time.Time, bool) { return t.T(), t.State == Set }

// After reports whether t is later than u; meaningful only when both are
// Set.
func (t Time) After(u Time) bool { return t.sec > u.sec || t.sec == u.sec && t.nsec > u.nsec }

// Equal reports whether t and u hold the same: the same state and, when set,
// the same time. It is ==, for go-cmp, which does not look inside Time.
func (t Time) Equal(u Time) bool { return t == u }

// Bool is a boolean cell. V is meaningful only when State is Set.
type Bool struct {
	V     bool
	State State
}

// True reports whether the cell holds true. A sentinel is not true.
func (b Bool) True() bool { return b.State == Set && b.V }

// Text is a text cell that may hold a sentinel (last used region and service).
type Text struct {
	S     string
	State State
}

// AccessKey is one of a user's two access-key slots.
type AccessKey struct {
	Active          Bool
	LastRotated     Time // creation or last change; kept for inactive keys that still exist
	LastUsedDate    Time
	LastUsedRegion  Text
	LastUsedService Text
}

// Cert is one of a user's two signing-certificate slots.
type Cert struct {
	Active      Bool
	LastRotated Time
}

// Entry is one row of the report: an IAM user, or the root user.
type Entry struct {
	User                 string
	ARN                  string
	UserCreationTime     Time
	PasswordEnabled      Bool
	PasswordLastUsed     Time
	PasswordLastChanged  Time
	PasswordNextRotation Time
	MFAActive            Bool
	AccessKeys           [2]AccessKey
	Certs                [2]Cert

	// Line is the 1-based line of the source on which the row starts.
	Line int

	// The cells as written (Raw): raw for a row read with encoding/csv, else
	// split again from src, the row's line, when asked for, which saves a
	// large report's parse 350 bytes of memory a row.
	raw    []string
	src    string
	header *header
}

// IsRoot reports whether the entry is the account's root user.
func (e *Entry) IsRoot() bool { return e.User == RootUser }

// AccountID is the account of the row's ARN (arn:<partition>:iam::<account>:…),
// or "" when that is not an IAM ARN with a 12-digit account.
func (e *Entry) AccountID() string {
	_, account, _, _ := SplitIAMARN(e.ARN)
	return account
}

// RawValue returns the raw text of the named column, including columns this
// package does not know. ok is false when the report has no such column.
func (e *Entry) RawValue(column string) (string, bool) {
	if e.header == nil {
		return "", false
	}
	i, ok := e.header.index[column]
	if !ok {
		return "", false
	}
	var buf [32]string
	return e.cells(buf[:0])[i], true
}

// RawValues returns the raw text of each named column, "" for a column the
// report does not have: RawValue for several columns, splitting the row's
// line once rather than once a column.
func (e *Entry) RawValues(columns []string) []string {
	out := make([]string, len(columns))
	if e.header == nil {
		return out
	}
	var buf [32]string
	cells := e.cells(buf[:0])
	for i, c := range columns {
		if j, ok := e.header.index[c]; ok {
			out[i] = cells[j]
		}
	}
	return out
}

// Raw returns every cell as written, in the order of Report.Header (nil for
// an entry that was not parsed). The slice is the caller's.
func (e *Entry) Raw() []string {
	if e.raw != nil {
		return slices.Clone(e.raw)
	}
	return e.cells(make([]string, 0, len(e.Header())))
}

// cells returns the entry's cells: those it keeps (a row read with
// encoding/csv, not to be changed), else its line split into buf; nil for
// an entry that was not parsed.
func (e *Entry) cells(buf []string) []string {
	switch {
	case e.raw != nil:
		return e.raw
	case e.header == nil:
		return nil
	}
	cells, _ := splitPlain(buf, e.src, len(e.header.names)) // it split when parsed
	return cells
}

// Header returns the names of the columns of Raw, in order (nil for an entry
// that was not parsed).
func (e *Entry) Header() []string {
	if e.header == nil {
		return nil
	}
	return e.header.names
}

// Value returns the typed cell of the named known column.
func (e *Entry) Value(column string) (Value, bool) {
	c, ok := LookupColumn(column)
	if !ok {
		return Value{}, false
	}
	return c.get(e), true
}

// Value is a typed cell of any kind, as returned by Entry.Value and Table.Column.
type Value struct {
	Kind Kind
	Time Time // KindTime
	Bool Bool // KindBool
	Text Text // KindText, KindOptText
}

// State returns the cell's state.
func (v Value) State() State {
	switch v.Kind {
	case KindTime:
		return v.Time.State
	case KindBool:
		return v.Bool.State
	}
	return v.Text.State
}

// Any returns the value as a plain Go value: time.Time, bool or string, or nil
// when the cell held a sentinel.
func (v Value) Any() any {
	if v.State() != Set {
		return nil
	}
	switch v.Kind {
	case KindTime:
		return v.Time.T()
	case KindBool:
		return v.Bool.V
	}
	return v.Text.S
}

func timeValue(t Time) Value { return Value{Kind: KindTime, Time: t} }
func boolValue(b Bool) Value { return Value{Kind: KindBool, Bool: b} }
func textValue(t Text) Value { return Value{Kind: KindOptText, Text: t} }

// Report is a parsed credential report.
type Report struct {
	// Header is the report's header as written, including unknown columns.
	Header []string
	// Entries holds every row in report order, the root row included.
	Entries []*Entry
	// Root is the root user's row, or nil when the report has none.
	Root *Entry
	// Users are the IAM users, in report order, without the root row.
	Users []*Entry
	// AccountID and Partition come from the rows' ARNs.
	AccountID string
	Partition string
	// GeneratedTime is when IAM generated the report (the "as of" of every
	// fact in it); zero when unknown, e.g. a bare CSV file.
	GeneratedTime time.Time
	// ContentLine, for a report read from get-credential-report's JSON, is
	// the line of that JSON its Content is on: where every row of the
	// report is in the file. 0 for a CSV.
	ContentLine int
}

// Table returns all rows, the root row included, as a queryable Table.
func (r *Report) Table() Table { return Table(r.Entries) }

// User returns the IAM user called name (root is not a user).
func (r *Report) User(name string) (*Entry, bool) {
	for _, u := range r.Users {
		if u.User == name {
			return u, true
		}
	}
	return nil, false
}

type header struct {
	names []string
	index map[string]int
}

// RootARN is the ARN of the account's root user, as the report's root row
// writes it: arn:<partition>:iam::<account>:root.
func RootARN(partition, accountID string) string {
	return "arn:" + partition + ":iam::" + accountID + ":root"
}

// IsAccountID reports whether s is an AWS account ID: 12 digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// IsPartition accepts "aws" and its dashed variants (aws-us-gov, aws-cn, aws-iso-b, …).
func IsPartition(p string) bool {
	if p == "aws" {
		return true
	}
	rest, ok := strings.CutPrefix(p, "aws-")
	if !ok || rest == "" {
		return false
	}
	for _, r := range rest {
		if (r < 'a' || r > 'z') && r != '-' {
			return false
		}
	}
	return true
}
