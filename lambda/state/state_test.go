package state

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/rules"
)

const acct = "123456789012"

var t0 = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)

// sample is a state with an open, a suppressed, an unseen and an archived
// record.
func sample() *State {
	s := New(acct)
	s.GeneratedAt, s.SavedAt = t0, t0.Add(2*time.Minute)
	add := func(r finding.Record) { s.Records[r.ID] = r }
	alice := "arn:aws:iam::" + acct + ":user/alice"
	add(finding.Record{
		ID: finding.ID(acct, "KEY-01", alice), RuleID: "KEY-01", Title: "Access keys are rotated every 90 days or less",
		ResourceID: alice, ResourceType: rules.ResourceIAMUser, User: "alice", Severity: "MEDIUM",
		Status: rules.Failed, Reason: "access key 1 is 131 days old",
		FirstObservedAt: t0.Add(-48 * time.Hour), LastObservedAt: t0, LastImportedAt: t0.Add(-47 * time.Hour), UpdatedAt: t0.Add(-48 * time.Hour),
	})
	add(finding.Record{
		ID: finding.ID(acct, "USER-02", alice), RuleID: "USER-02", Title: "IAM users have MFA",
		ResourceID: alice, ResourceType: rules.ResourceIAMUser, User: "alice", Severity: "MEDIUM",
		Status: rules.Failed, Reason: "MFA is not active", FirstObservedAt: t0, LastObservedAt: t0, LastImportedAt: t0, UpdatedAt: t0,
		Suppressed: true, SuppressionReason: "break-glass user, MFA in the safe", Muted: true,
	})
	add(finding.Record{
		ID: finding.ID(acct, "ROOT-03", rules.AccountResourceID(acct)), RuleID: "ROOT-03", Title: "Root has hardware MFA",
		ResourceID: rules.AccountResourceID(acct), ResourceType: rules.ResourceAccount, User: "<root_account>", Severity: "CRITICAL",
		Status: rules.Failed, Reason: "root's MFA device is a virtual MFA device, not hardware",
		FirstObservedAt: t0, LastObservedAt: t0, LastImportedAt: t0, UpdatedAt: t0, UnavailableSince: t0.Add(time.Hour),
	})
	add(finding.Record{
		ID: finding.ID(acct, "USER-05", "arn:aws:iam::"+acct+":user/bob"), RuleID: "USER-05", Title: "Unused users are removed",
		ResourceID: "arn:aws:iam::" + acct + ":user/bob", ResourceType: rules.ResourceIAMUser, User: "bob", Severity: "LOW",
		Status: rules.Passed, Reason: "no enabled password",
		FirstObservedAt: t0, LastObservedAt: t0, LastImportedAt: t0, UpdatedAt: t0.Add(time.Second), Archived: true,
	})
	return s
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	want := sample()
	data, err := Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	again, err := Encode(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Errorf("equal states encoded to different bytes")
	}
}

// A state is written in the oldest format that holds it, so the build
// before version 2 reads every state without an unnotified record or a
// region, the one before version 3 every state without a region, the one
// before version 4 every state without a record whose workflow status is
// unknown, the one before version 5 every state whose records are muted
// just when they are suppressed with a known workflow status, and the one
// before version 6 every state no record of which Security Hub is known to
// hold or has an unreported change; each reads back whole.
func TestEncodeWritesTheOldestVersionThatHoldsTheState(t *testing.T) {
	// with is sample with one record changed: alice's KEY-01, unless the
	// change is to her suppressed USER-02.
	with := func(rule string, change func(*finding.Record)) *State {
		s := sample()
		id := finding.ID(acct, rule, "arn:aws:iam::"+acct+":user/alice")
		r := s.Records[id]
		change(&r)
		s.Records[id] = r
		return s
	}
	unnotified := func(r *finding.Record) { r.Unnotified = true }
	region := func(r *finding.Record) { r.Region = "eu-west-1" }
	unknown := func(r *finding.Record) { r.WorkflowUnknown = true }
	muted := func(r *finding.Record) { r.Muted = true }
	unmuted := func(r *finding.Record) { r.Muted = false }
	created := func(r *finding.Record) { r.CreatedAt, r.TakenUpdatedAt = r.UpdatedAt, r.UpdatedAt }
	unreported := func(r *finding.Record) {
		r.Unreported, r.UnreportedReason, r.UnreportedAt = "resolved", "access key 1 is 12 days old", t0
	}
	for _, tc := range []struct {
		name string
		s    *State
		want int
	}{
		{"no unnotified record, no region, muted just when suppressed", sample(), 1},
		{"an unnotified record", with("KEY-01", unnotified), 2},
		{"a record with a region", with("KEY-01", region), 3},
		{"an unnotified record with a region", with("KEY-01", func(r *finding.Record) { unnotified(r); region(r) }), 3},
		{"a record whose workflow status is unknown", with("KEY-01", unknown), 4},
		{"a record with a region whose workflow status is unknown", with("KEY-01", func(r *finding.Record) { region(r); unknown(r) }), 4},
		{"a muted record saved unsuppressed (Security Hub off)", with("KEY-01", muted), 5},
		{"a suppressed record no longer muted (its unsuppress not sent)", with("USER-02", unmuted), 5},
		{"a muted, suppressed record whose workflow status is unknown", with("USER-02", unknown), 5},
		{"a record Security Hub is known to hold (created_at)", with("KEY-01", created), 6},
		{"a resolution not yet reported", with("KEY-01", unreported), 6},
		{"a muted record Security Hub is known to hold", with("KEY-01", func(r *finding.Record) { muted(r); created(r) }), 6},
	} {
		data, err := Encode(tc.s)
		if err != nil {
			t.Fatal(err)
		}
		version, raw := writtenVersion(t, data)
		if version != tc.want {
			t.Errorf("%s: written as version %d, want %d", tc.name, version, tc.want)
		}
		if version < mutedVersion && bytes.Contains(raw, []byte(`"muted"`)) {
			t.Errorf("%s: version %d written with \"muted\", which the builds that read it refuse", tc.name, version)
		}
		got, err := Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.s, got); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", tc.name, diff)
		}
	}
}

// writtenVersion is the version an encoded state says it is, and its JSON.
func writtenVersion(t *testing.T, data []byte) (int, []byte) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var head struct{ Version int }
	if err := json.Unmarshal(raw, &head); err != nil {
		t.Fatal(err)
	}
	return head.Version, raw
}

// recordFieldSince is the state version that first holds each field of a
// record. A field added to finding.Record without a new Version fails
// TestEveryRecordFieldHasItsVersion: a build rolled back to would refuse
// the states the newer one writes as corrupt ("unknown field"), not as
// another version's, and the alert would advise deleting them.
var recordFieldSince = map[string]int{
	"id": 1, "rule_id": 1, "title": 1, "resource_id": 1, "resource_type": 1, "user": 1, "severity": 1,
	"status": 1, "reason": 1, "first_observed_at": 1, "last_observed_at": 1, "last_imported_at": 1,
	"updated_at": 1, "suppressed": 1, "suppression_reason": 1, "unavailable_since": 1, "archived": 1,
	"unnotified":       unnotifiedVersion,
	"region":           regionVersion,
	"workflow_unknown": workflowUnknownVersion,
	"muted":            mutedVersion,
	"created_at":       keptVersion, "taken_updated_at": keptVersion,
	"unreported": keptVersion, "unreported_reason": keptVersion, "unreported_at": keptVersion,
	"event_at":        eventVersion,
	"user_created_at": userCreatedVersion,
	"taken_archived":  takenArchivedVersion,
}

// Each field a record writes is in recordFieldSince, and a record that
// sets only it, beside alice's KEY-01 failure, is written in a version
// that holds it.
func TestEveryRecordFieldHasItsVersion(t *testing.T) {
	rt := reflect.TypeFor[finding.Record]()
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		since, ok := recordFieldSince[name]
		if !ok {
			t.Errorf("finding.Record.%s (%q) has no state version: a new field needs a new Version, recordVersion and recordFieldSince", f.Name, name)
			continue
		}
		s := sample()
		id := finding.ID(acct, "KEY-01", "arn:aws:iam::"+acct+":user/alice")
		r := s.Records[id]
		v := reflect.ValueOf(&r).Elem().Field(i)
		if !v.IsZero() {
			continue // set in every record
		}
		switch v.Interface().(type) {
		case bool:
			v.SetBool(true)
		case string:
			v.SetString("x")
		case time.Time:
			v.Set(reflect.ValueOf(t0))
		default:
			t.Fatalf("finding.Record.%s: set a %s in this test", f.Name, f.Type)
		}
		s.Records[id] = r
		data, err := Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := writtenVersion(t, data); got < since {
			t.Errorf("a record with %q is written as version %d, which the builds before version %d refuse", name, got, since)
		}
	}
}

// A state the builds between version 5 and 6 wrote holds created_at and
// unreported under an older version: it is read, not refused as corrupt.
func TestDecodeTakesKeptFieldsUnderAnOlderVersion(t *testing.T) {
	rec := `{"id":"credaudit/123456789012/KEY-01/r","rule_id":"KEY-01","resource_id":"r","resource_type":"AwsIamUser","severity":"MEDIUM","status":"FAILED","first_observed_at":"2026-11-20T06:00:00Z",` +
		`"created_at":"2026-11-20T06:00:00Z","taken_updated_at":"2026-11-21T06:00:00Z","unreported":"resolved","unreported_reason":"fixed","unreported_at":"2026-11-21T06:00:00Z","updated_at":"2026-11-21T06:00:00Z"}`
	for _, v := range []string{"1", "5"} {
		s, err := Decode(gz(t, `{"version":`+v+`,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":`+rec+`}}`))
		if err != nil {
			t.Fatalf("version %s: %v", v, err)
		}
		r := s.Records["credaudit/123456789012/KEY-01/r"]
		if !r.CreatedAt.Equal(time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)) || r.Unreported != "resolved" || s.Version != Version {
			t.Errorf("version %s: read %+v as version %d", v, r, s.Version)
		}
	}
}

// A state saved before version 5 does not say which records are muted: a
// record suppressed with a known workflow status is taken to be, as the
// builds that saved it took it, so that a suppression ending after the
// upgrade is still reported (finding.Change.Unmuted).
func TestDecodeTakesOlderStatesSuppressedRecordsAsMuted(t *testing.T) {
	old := sample()
	old.Version = workflowUnknownVersion
	user02 := finding.ID(acct, "USER-02", "arn:aws:iam::"+acct+":user/alice")
	unknown := finding.ID(acct, "KEY-01", "arn:aws:iam::"+acct+":user/alice")
	for id, r := range old.Records {
		r.Muted = false // not in the format
		if id == unknown {
			r.Suppressed, r.SuppressionReason, r.WorkflowUnknown = true, "waived", true
		}
		old.Records[id] = r
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if err := json.NewEncoder(zw).Encode(old); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	got, err := Decode(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for id, r := range got.Records {
		if want := id == user02; r.Muted != want {
			t.Errorf("%s: muted %v, want %v", id, r.Muted, want)
		}
	}
	alice := &credreport.Entry{User: "alice", ARN: "arn:aws:iam::" + acct + ":user/alice"}
	ends := rules.Result{Rule: &rules.User02, Entry: alice, Status: rules.Failed, Reason: "MFA is not active"}
	unmuted := 0
	for _, c := range finding.Diff(got.Records, []rules.Result{ends}, acct, t0.Add(24*time.Hour), 0) {
		if c.Unmuted() {
			unmuted++
			if c.ID() != user02 {
				t.Errorf("%s unmuted, want only alice's USER-02", c.ID())
			}
		}
	}
	if unmuted == 0 {
		t.Error("alice's USER-02 unsuppressed after the upgrade: not unmuted")
	}
}

func TestEncodeAnEmptyState(t *testing.T) {
	data, err := Encode(&State{AccountID: acct})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != Version || got.Records == nil || len(got.Records) != 0 {
		t.Errorf("decoded %+v, want version %d and no records", got, Version)
	}
}

func TestEncodeRefuses(t *testing.T) {
	tests := []struct {
		name  string
		state *State
		want  error
	}{
		{"another version", &State{Version: Version + 1, AccountID: acct}, ErrVersion},
		{"no account", &State{Version: Version}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Encode(tt.state)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Encode error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	good, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	rec := `{"id":"credaudit/123456789012/KEY-01/r","rule_id":"KEY-01","resource_id":"r","resource_type":"AwsIamUser","severity":"MEDIUM","status":"FAILED","first_observed_at":"2026-11-20T06:00:00Z","updated_at":"2026-11-20T06:00:00Z"}`
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty object", nil, ErrCorrupt},
		{"not gzip", []byte(`{"version":1}`), ErrCorrupt},
		{"truncated gzip", good[:len(good)-10], ErrCorrupt},
		{"gzip of text", gz(t, "hello"), ErrCorrupt},
		{"no version", gz(t, `{"account_id":"123456789012","records":{}}`), ErrCorrupt},
		{"newer version", gz(t, `{"version":`+strconv.Itoa(Version+1)+`,"account_id":"123456789012","records":{}}`), ErrVersion},
		{"a record with an event time in a version 6 state", gz(t, `{"version":6,"account_id":"123456789012","records":{"credaudit/123456789012/ROOT-04/AWS::::Account:123456789012":`+
			`{"id":"credaudit/123456789012/ROOT-04/AWS::::Account:123456789012","rule_id":"ROOT-04","title":"t","resource_id":"AWS::::Account:123456789012","resource_type":"AwsAccount","user":"<root_account>","severity":"HIGH",`+
			`"status":"FAILED","reason":"r","event_at":"2026-11-20T05:00:00Z","first_observed_at":"2026-11-20T06:00:00Z","last_observed_at":"2026-11-20T06:00:00Z","updated_at":"2026-11-20T06:00:00Z"}}}`), ErrCorrupt},
		{"an unnotified record in a version 1 state", gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/arn:aws:iam::123456789012:user/alice":`+
			`{"id":"credaudit/123456789012/KEY-01/arn:aws:iam::123456789012:user/alice","rule_id":"KEY-01","title":"t","resource_id":"arn:aws:iam::123456789012:user/alice","resource_type":"AwsIamUser","user":"alice","severity":"MEDIUM",`+
			`"status":"FAILED","reason":"r","first_observed_at":"2026-11-20T06:00:00Z","last_observed_at":"2026-11-20T06:00:00Z","updated_at":"2026-11-20T06:00:00Z","unnotified":true}}}`), ErrCorrupt},
		{"a record with a region in a version 2 state", gz(t, `{"version":2,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":`+strings.Replace(rec, `"status":"FAILED",`, `"status":"FAILED","region":"eu-west-1",`, 1)+`}}`), ErrCorrupt},
		{"a record whose workflow status is unknown in a version 3 state", gz(t, `{"version":3,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":`+strings.Replace(rec, `"status":"FAILED",`, `"status":"FAILED","workflow_unknown":true,`, 1)+`}}`), ErrCorrupt},
		{"a muted record in a version 4 state", gz(t, `{"version":4,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":`+strings.Replace(rec, `"status":"FAILED",`, `"status":"FAILED","muted":true,`, 1)+`}}`), ErrCorrupt},
		{"version zero", gz(t, `{"version":0,"account_id":"123456789012","records":{}}`), ErrVersion},
		{"unknown field", gz(t, `{"version":1,"account_id":"123456789012","records":{},"extra":true}`), ErrCorrupt},
		{"data after the state", gz(t, `{"version":1,"account_id":"123456789012","records":{}} {}`), ErrCorrupt},
		{"no account", gz(t, `{"version":1,"records":{}}`), ErrCorrupt},
		{"no records", gz(t, `{"version":1,"account_id":"123456789012"}`), ErrCorrupt},
		{"record under another key", gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/s":`+rec+`}}`), ErrCorrupt},
		{"record without times", gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":{"id":"credaudit/123456789012/KEY-01/r","rule_id":"KEY-01","resource_id":"r"}}}`), ErrCorrupt},
		{"record of the wrong type", gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":[]}}`), ErrCorrupt},
		{"record without a status", gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":`+strings.Replace(rec, `"status":"FAILED",`, "", 1)+`}}`), ErrCorrupt},
		{"record with an unknown status", gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":`+strings.Replace(rec, `"FAILED"`, `"failed"`, 1)+`}}`), ErrCorrupt},
		{"record with a severity that is no label", gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":`+strings.Replace(rec, `"MEDIUM"`, `"HUGE"`, 1)+`}}`), ErrCorrupt},
		{"record with a severity not in capitals", gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":`+strings.Replace(rec, `"MEDIUM"`, `"medium"`, 1)+`}}`), ErrCorrupt},
		{"record without a severity", gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":`+strings.Replace(rec, `"severity":"MEDIUM",`, "", 1)+`}}`), ErrCorrupt},
		{"record of an unknown resource type", gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":`+strings.Replace(rec, `"AwsIamUser"`, `"AwsIamRole"`, 1)+`}}`), ErrCorrupt},
		{"record NOT_AVAILABLE", gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":`+strings.Replace(rec, `"FAILED"`, `"NOT_AVAILABLE"`, 1)+`}}`), ErrCorrupt},
		{"a record of another account", gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/210987654321/KEY-01/arn:aws:iam::210987654321:user/alice":`+
			strings.Replace(strings.Replace(rec, `"resource_id":"r"`, `"resource_id":"arn:aws:iam::210987654321:user/alice"`, 1), `"credaudit/123456789012/KEY-01/r"`, `"credaudit/210987654321/KEY-01/arn:aws:iam::210987654321:user/alice"`, 1)+`}}`), ErrCorrupt},
		{"a record of no account", gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/x":`+strings.ReplaceAll(rec, "credaudit/123456789012/KEY-01/r", "credaudit/x")+`}}`), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Decode(tt.data)
			if !errors.Is(err, tt.want) {
				t.Errorf("Decode error = %v, want %v", err, tt.want)
			}
			if s != nil {
				t.Errorf("Decode returned a state (%+v) with the error", s)
			}
		})
	}
	// The good record decodes: the refusals above are about what they change.
	if _, err := Decode(gz(t, `{"version":1,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":`+rec+`}}`)); err != nil {
		t.Errorf("a minimal valid state: %v", err)
	}
}

func TestDecodeRefusesABomb(t *testing.T) {
	defer func(n int) { maxDecoded = n }(maxDecoded)
	maxDecoded = 1 << 20
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write([]byte(`{"version":1,"account_id":"123456789012","records":{},"pad":"`))
	zw.Write(bytes.Repeat([]byte{' '}, maxDecoded))
	zw.Close()
	_, err := Decode(b.Bytes())
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "decompressed") {
		t.Errorf("Decode error = %v, want a size error", err)
	}
}

// A state that is not JSON of a state is refused saying what is wrong in
// the state's terms: the field and what it holds, not Go's types.
func TestDecodeSaysWhatIsWrong(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{`[]`, "corrupt state: a JSON array, not an object"},
		{`{"version":"8"}`, "corrupt state: version is a JSON string, want a number"},
		{`{"version":8,"account_id":"123456789012","records":[]}`, "corrupt state: records is a JSON array, want an object"},
		{`{"version":8,"account_id":"123456789012","records":{},"generated_at":true}`, "corrupt state: a time field holds no JSON string"},
		{`{"version":8,"account_id":"123456789012","records":{},"generated_at":"yesterday"}`, `corrupt state: a time field holds "yesterday", not an RFC 3339 time`},
		{`{"version":8,`, "corrupt state: not JSON at byte 13: unexpected end of JSON input"},
	} {
		_, err := Decode(gz(t, tc.data))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.data, err, tc.want)
		}
	}
}
