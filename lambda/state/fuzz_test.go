package state

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode checks that a stored state's JSON (gzipped here, so the fuzzer
// mutates the JSON) is either refused as corrupt or of another version, or
// read into a state that Encode writes and Decode reads back unchanged: a
// state read once is kept whole by the run that saves it.
func FuzzDecode(f *testing.F) {
	var plain bytes.Buffer
	good, err := Encode(sample())
	if err != nil {
		f.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(good))
	if err != nil {
		f.Fatal(err)
	}
	if _, err := io.Copy(&plain, zr); err != nil {
		f.Fatal(err)
	}
	f.Add(plain.Bytes())
	rec := `{"id":"credaudit/123456789012/KEY-01/r","rule_id":"KEY-01","resource_id":"r","status":"FAILED","first_observed_at":"2026-11-20T06:00:00Z","updated_at":"2026-11-20T06:00:00Z"`
	f.Add([]byte(`{"version":1,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":` + rec + `,"suppressed":true}}}`))
	f.Add([]byte(`{"version":4,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":` + rec + `,"suppressed":true,"workflow_unknown":true}}}`))
	f.Add([]byte(`{"version":5,"account_id":"123456789012","records":{"credaudit/123456789012/KEY-01/r":` + rec + `,"archived":true,"muted":true,"region":"eu-west-1"}}}`))
	f.Fuzz(func(t *testing.T, js []byte) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(js)
		zw.Close()
		s, err := Decode(b.Bytes())
		if err != nil {
			if s != nil || !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("Decode = %v, %v: want no state and ErrCorrupt or ErrVersion", s, err)
			}
			return
		}
		data, err := Encode(s)
		if err != nil {
			t.Fatalf("a state Decode read does not encode: %v", err)
		}
		again, err := Decode(data)
		if err != nil {
			t.Fatalf("a state Encode wrote does not decode: %v", err)
		}
		if diff := cmp.Diff(s, again); diff != "" {
			t.Fatalf("state changed by Encode and Decode (-read +again):\n%s", diff)
		}
	})
}
