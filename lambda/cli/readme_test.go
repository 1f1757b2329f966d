package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestREADMEScanJSONIsTheExampleScan keeps the README's scan JSON example
// true: its summary is that of the scan of the sample report with the
// example configuration (the golden scan.json), and its suppression's source
// the example's first suppression.
func TestREADMEScanJSONIsTheExampleScan(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "**Scan JSON** (stable):\n\n```json\n")
	block, _, closed := strings.Cut(block, "```")
	if !ok || !closed {
		t.Fatal("README has no scan JSON example")
	}
	// The example elides titles and reasons (…), so only its summary is
	// JSON as it stands.
	_, summary, ok := strings.Cut(block, `"summary": `)
	summary, _, ended := strings.Cut(summary, ",\n \"suppressions\"")
	var readmeSummary map[string]any
	if !ok || !ended {
		t.Fatalf("README's example has no summary followed by suppressions:\n%s", block)
	}
	if err := json.Unmarshal([]byte(summary), &readmeSummary); err != nil {
		t.Fatalf("README's example summary: %v\n%s", err, summary)
	}

	data, err := os.ReadFile(filepath.Join("testdata", "scan.json"))
	if err != nil {
		t.Fatal(err)
	}
	var scan struct {
		Summary      map[string]any `json:"summary"`
		Suppressions []struct {
			Source string `json:"source"`
		} `json:"suppressions"`
	}
	if err := json.Unmarshal(data, &scan); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(scan.Summary, readmeSummary); diff != "" {
		t.Errorf("README's scan JSON summary is not the example scan's (-scan +README):\n%s", diff)
	}
	if len(scan.Suppressions) == 0 {
		t.Fatal("the example scan reports no suppression; the README shows one")
	}
	source := filepath.Base(scan.Suppressions[0].Source)
	if !strings.Contains(block, `"source": "`+source+`"`) {
		t.Errorf("README's example suppression source is not %q:\n%s", source, block)
	}
}
