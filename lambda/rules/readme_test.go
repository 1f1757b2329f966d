package rules

import (
	"os"
	"strings"
	"testing"
)

// TestREADMECatalogTableMatchesTheCatalog keeps the README's rule table true:
// every rule has a row with its severity, CIS control numbers (1.2 / 1.4 / 3.0
// / 5.0) and Security Hub controls.
func TestREADMECatalogTableMatchesTheCatalog(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 7 {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if _, ok := Lookup(cells[1]); ok {
			rows[cells[1]] = cells[1:6]
		}
	}
	for _, r := range Catalog() {
		row, ok := rows[r.ID]
		if !ok {
			t.Errorf("README has no row for %s", r.ID)
			continue
		}
		if row[2] != r.Severity.String() {
			t.Errorf("%s: README severity %s, catalog %s", r.ID, row[2], r.Severity)
		}
		cis := "—"
		if len(r.Frameworks.CIS) > 0 {
			var parts []string
			for _, v := range []string{"1.2", "1.4", "3.0", "5.0"} {
				c := r.Frameworks.CIS[v]
				if c == "" {
					c = "—"
				}
				parts = append(parts, c)
			}
			cis = strings.Join(parts, " / ")
		}
		if row[3] != cis {
			t.Errorf("%s: README CIS %q, catalog %q", r.ID, row[3], cis)
		}
		sh := "—"
		if len(r.Frameworks.SecurityHub) > 0 {
			sh = strings.Join(r.Frameworks.SecurityHub, ", ")
		}
		if row[4] != sh {
			t.Errorf("%s: README Security Hub %q, catalog %q", r.ID, row[4], sh)
		}
	}
}
