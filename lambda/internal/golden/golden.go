// Package golden compares test output with files under testdata/, in one
// place for every package's golden tests.
package golden

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Update says to rewrite the golden files instead of comparing: run the
// tests with UPDATE_GOLDEN=1, then review the diff before committing.
var Update = os.Getenv("UPDATE_GOLDEN") != ""

// Check compares got with testdata/name, rewriting the file when Update is
// set.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if Update && os.Getenv("CI") != "" {
		// CI checks; a leaked UPDATE_GOLDEN would make every golden
		// test compare its output with itself.
		t.Fatal("UPDATE_GOLDEN is set with CI: golden files are rewritten on a developer's machine, and their diff reviewed")
	}
	if Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}
