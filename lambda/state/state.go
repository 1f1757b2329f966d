package state

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/rules"
)

// Version is the newest state format this build reads and writes. Bump it on
// any change to the JSON shape; a state of a version outside
// oldestVersion..Version is refused.
//
// Version 2 adds records' "unnotified", version 3 their "region", version
// 4 their "workflow_unknown", version 5 their "muted", version 6 their
// "created_at", "taken_updated_at", "unreported", "unreported_reason" and
// "unreported_at", version 7 their "event_at", version 8 their
// "user_created_at", version 9 their "taken_archived". Encode writes the oldest
// version that holds the state (1 while no record is Unnotified, has a
// Region or is WorkflowUnknown, each is Muted just when an older version
// takes it to be (see mutedBefore), and none has a field of version 6
// to 9), so that an older build can still read
// what it can: rolled back to, it refuses only a state it cannot read
// wholly, and says so (ErrVersion).
const Version = 9

// oldestVersion is the oldest state format this build reads;
// unnotifiedVersion is the first whose records may be unnotified,
// regionVersion the first whose records may name a region,
// workflowUnknownVersion the first whose may be WorkflowUnknown,
// mutedVersion the first that says which records are Muted,
// keptVersion the first whose records may keep CreatedAt, TakenUpdatedAt
// and Unreported*, eventVersion the first whose may keep EventAt,
// userCreatedVersion the first whose may keep UserCreatedAt, and
// takenArchivedVersion the first whose may be TakenArchived.
const (
	oldestVersion          = 1
	unnotifiedVersion      = 2
	regionVersion          = 3
	workflowUnknownVersion = 4
	mutedVersion           = 5
	keptVersion            = 6
	eventVersion           = 7
	userCreatedVersion     = 8
	takenArchivedVersion   = 9
)

// recordVersion is the oldest state version that holds r, the one Encode
// writes.
func recordVersion(r *finding.Record) int {
	v := readVersion(r)
	if !r.CreatedAt.IsZero() || !r.TakenUpdatedAt.IsZero() || r.Unreported != "" || r.UnreportedReason != "" || !r.UnreportedAt.IsZero() {
		v = max(v, keptVersion)
	}
	return v
}

// readVersion is the oldest state version that Decode takes r in. The fields
// of keptVersion are taken in any: the builds that first wrote them labelled
// their states 1 to 5 (so that a build reading only those refused such a
// state as corrupt, and its alert advised deleting it, instead of saying it
// is another version's).
func readVersion(r *finding.Record) int {
	switch {
	case r.TakenArchived:
		return takenArchivedVersion
	case !r.UserCreatedAt.IsZero():
		return userCreatedVersion
	case !r.EventAt.IsZero():
		return eventVersion
	case r.Muted != mutedBefore(r):
		return mutedVersion
	case r.WorkflowUnknown:
		return workflowUnknownVersion
	case r.Region != "":
		return regionVersion
	case r.Unnotified:
		return unnotifiedVersion
	}
	return oldestVersion
}

// mutedBefore is whether a record of a state older than mutedVersion is
// Muted. The builds that wrote such states reported an unmuting when a
// record Suppressed, and not WorkflowUnknown, was found failing
// unsuppressed, so taking such a record as Muted keeps an unmuting pending
// across the upgrade, reported as those builds would have. (They saved some
// Muted findings unsuppressed, with Security Hub off or after a home region
// moved, or WorkflowUnknown, after a re-suppress Security Hub refused:
// those unmutings are lost, as they were to those builds.)
func mutedBefore(r *finding.Record) bool {
	return !r.Archived && r.Suppressed && !r.WorkflowUnknown
}

// maxDecoded bounds a decompressed state: 100,000 findings of about 1 KB,
// with a wide margin, and a stop for a corrupt or hostile object. A variable
// so a test can lower it.
var maxDecoded = 512 << 20

// Errors a caller may need to tell apart, with errors.Is.
var (
	// ErrConflict: the stored state changed since it was loaded (another
	// run saved first). Nothing was written; load again and redo the run's
	// diff, or give up and let the next run catch up.
	ErrConflict = errors.New("state changed since it was loaded")
	// ErrCorrupt: the stored object is not a state this program wrote.
	ErrCorrupt = errors.New("corrupt state")
	// ErrVersion: the stored state has a format version this build does not
	// read (written by a newer credaudit, or an unknown one).
	ErrVersion = errors.New("unsupported state version")
)

// State is what one account's audit leaves for the next: the records of its
// open findings (failing, suppressed or unseen) and of recently archived
// ones.
type State struct {
	Version   int    `json:"version"`
	AccountID string `json:"account_id"`
	// GeneratedAt is the as-of time of the report the last saved run
	// audited.
	GeneratedAt time.Time `json:"generated_at"`
	// SavedAt is when the state was saved; the caller sets it.
	SavedAt time.Time                 `json:"saved_at"`
	Records map[string]finding.Record `json:"records"`
	// Delivery names the invocation event whose run saved the state (its
	// Scheduler execution ID or EventBridge event ID), "" for none, so that
	// a second delivery of that event can tell it was already run. It is
	// not part of the encoded state, so every build reads the state: S3
	// keeps it as the object's metadata (DeliveryMetadata); Dir, for the
	// command line, which has no events, keeps none.
	Delivery string `json:"-"`
}

// New is the state of an account never audited: no records. Only a missing
// object means that; a corrupt one is an error, because an empty state
// would re-import every finding and lose each FirstObservedAt.
func New(accountID string) *State {
	return &State{Version: Version, AccountID: accountID, Records: map[string]finding.Record{}}
}

// Encode serializes s as gzipped JSON. Records are written in ID order, so
// equal states encode to equal bytes.
func Encode(s *State) ([]byte, error) {
	if s.Version != 0 && (s.Version < oldestVersion || s.Version > Version) {
		return nil, fmt.Errorf("encode state: %w %d (this build writes %d to %d)", ErrVersion, s.Version, oldestVersion, Version)
	}
	if s.AccountID == "" {
		return nil, errors.New("encode state: no account ID")
	}
	out := *s
	out.Version = oldestVersion
	muted := false
	for _, r := range s.Records {
		out.Version = max(out.Version, recordVersion(&r))
		muted = muted || r.Muted
	}
	if out.Records == nil {
		out.Records = map[string]finding.Record{}
	}
	if muted && out.Version < mutedVersion {
		// Each record is Muted just when mutedBefore says so: written
		// without "muted", which an older build refuses as unknown.
		out.Records = make(map[string]finding.Record, len(s.Records))
		for id, r := range s.Records {
			r.Muted = false
			out.Records[id] = r
		}
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(&out); err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return buf.Bytes(), nil
}

// Decode reads a state written by Encode. Anything else is an error wrapping
// ErrCorrupt (not gzip, truncated, not JSON, unknown fields, trailing data,
// inconsistent records) or ErrVersion (another format version).
func Decode(data []byte) (*State, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: not gzip (%s)", ErrCorrupt, strings.TrimPrefix(err.Error(), "gzip: "))
	}
	raw, err := io.ReadAll(io.LimitReader(zr, int64(maxDecoded)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: decompress: %v", ErrCorrupt, err)
	}
	if len(raw) > maxDecoded {
		return nil, fmt.Errorf("%w: more than %d bytes decompressed", ErrCorrupt, maxDecoded)
	}
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, jsonProblem(err))
	}
	if head.Version == nil {
		return nil, fmt.Errorf("%w: no version", ErrCorrupt)
	}
	if *head.Version < oldestVersion || *head.Version > Version {
		return nil, fmt.Errorf("%w %d (this build reads %d to %d)", ErrVersion, *head.Version, oldestVersion, Version)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var s State
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the state", ErrCorrupt)
	}
	if err := s.upgrade(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	s.Version = Version // each older format is a subset of this one, once upgraded
	return &s, nil
}

// jsonProblem says what is wrong with a state's JSON in its own terms, not
// in Go's ("Go struct field .version of type int"): the field and the kind
// of value it holds, or where the text stops being JSON.
func jsonProblem(err error) string {
	var (
		typ    *json.UnmarshalTypeError
		syntax *json.SyntaxError
		parse  *time.ParseError
	)
	switch {
	case errors.As(err, &parse): // time.Time's own decoding names no field
		return fmt.Sprintf("a time field holds %q, not an RFC 3339 time", parse.Value)
	case strings.HasPrefix(err.Error(), "Time.UnmarshalJSON: "):
		return "a time field holds no JSON string"
	case errors.As(err, &typ) && typ.Field == "":
		return fmt.Sprintf("a JSON %s, not an object", typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s is a JSON %s, want %s", typ.Field, typ.Value, jsonKind(typ.Type))
	case errors.As(err, &syntax):
		return fmt.Sprintf("not JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// jsonKind is the kind of JSON value that decodes into t.
func jsonKind(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Time](), t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "a list"
	}
	return "an object"
}

// upgrade fills in what a state older than mutedVersion leaves unsaid:
// which records are Muted (mutedBefore).
func (s *State) upgrade() error {
	if s.Version >= mutedVersion {
		return nil
	}
	for id, r := range s.Records {
		if r.Muted {
			return fmt.Errorf("record %q needs state version %d, not %d", id, mutedVersion, s.Version)
		}
		r.Muted = mutedBefore(&r)
		s.Records[id] = r
	}
	return nil
}

// severityLabel reports whether s is a severity as a record keeps it: the
// ASFF label, in capitals.
func severityLabel(s string) bool {
	sev, err := rules.ParseSeverity(s)
	return err == nil && sev.String() == s
}

// check is what every state this program writes satisfies.
func (s *State) check() error {
	if s.AccountID == "" {
		return errors.New("no account ID")
	}
	if s.Records == nil {
		return errors.New("no records object")
	}
	own := finding.IDPrefix + s.AccountID + "/"
	for id, r := range s.Records {
		switch {
		case r.ID != id:
			return fmt.Errorf("record %q has ID %q", id, r.ID)
		case !strings.HasPrefix(id, own):
			// Not a finding of this account (finding.ID): a run would
			// report it gone and archive it in this account's Security Hub.
			return fmt.Errorf("record %q is not a finding of account %s", id, s.AccountID)
		case r.RuleID == "" || r.ResourceID == "":
			return fmt.Errorf("record %q has no rule or resource", id)
		case r.Status != rules.Failed && r.Status != rules.Passed:
			return fmt.Errorf("record %q has no status FAILED or PASSED", id)
		case !severityLabel(r.Severity):
			// An archive of a removed custom rule is sent with it.
			return fmt.Errorf("record %q has severity %q, not a Security Hub label (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)", id, r.Severity)
		case r.ResourceType != rules.ResourceAccount && r.ResourceType != rules.ResourceIAMUser:
			return fmt.Errorf("record %q has resource type %q, not %s or %s", id, r.ResourceType, rules.ResourceAccount, rules.ResourceIAMUser)
		case r.FirstObservedAt.IsZero() || r.UpdatedAt.IsZero():
			return fmt.Errorf("record %q has no first-observed or updated time", id)
		case readVersion(&r) > s.Version:
			return fmt.Errorf("record %q needs state version %d, not %d", id, readVersion(&r), s.Version)
		}
	}
	return nil
}
