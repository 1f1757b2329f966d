package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/rules"
)

func ids(sel []rules.Selected) []string {
	out := make([]string, len(sel))
	for i, s := range sel {
		out[i] = s.Rule.ID
	}
	return out
}

// example is the repository's commented example configuration, parsed.
func example(tb testing.TB) *Config {
	tb.Helper()
	data, err := os.ReadFile("../../events/credaudit.example.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	c, err := Parse("credaudit.example.yaml", data)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestExampleConfigurationLoads(t *testing.T) {
	c := example(t)
	sel, profile, err := c.Selection("")
	if err != nil {
		t.Fatal(err)
	}
	if profile != "recommended" {
		t.Errorf("profile %q", profile)
	}
	got := strings.Join(ids(sel), " ")
	if !strings.Contains(got, "USER-02") || !strings.HasSuffix(got, "ORG-01 ORG-02") {
		t.Errorf("selection %s: want USER-02 added, custom rules last", got)
	}
	set := map[string]int{}
	for _, s := range sel {
		for _, v := range s.Thresholds {
			if v.Value != 0 {
				set[s.Rule.ID+" "+v.Name] = v.Value
			}
		}
	}
	if set["CRED-01 days"] != 60 || set["KEY-02 grace_days"] != 7 || set["USER-01 grace_days"] != 0 {
		t.Errorf("thresholds %v, want CRED-01 days 60, KEY-02 grace_days 7, no USER-01 grace period", set)
	}
	want := rules.Suppression{RuleID: "CRED-01", User: "ci-*", Reason: "CI deploy key, used by the quarterly release only",
		Expires: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), Source: "credaudit.example.yaml:29"}
	if diff := cmp.Diff(want, c.Suppressions[0]); diff != "" {
		t.Errorf("suppression (-want +got):\n%s", diff)
	}
	if c.Custom[0].Severity != rules.High || c.Custom[0].Description != c.Custom[0].Title {
		t.Errorf("custom rule = %+v", c.Custom[0])
	}
}

func TestSelectionPrecedence(t *testing.T) {
	c, err := Parse("c.yaml", []byte("profile: fsbp\nrules:\n  KEY-02: {enabled: true}\n  KEY-01: {enabled: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	sel, name, _ := c.Selection("")
	if name != "fsbp" || strings.Join(ids(sel), " ") != "ROOT-01 ROOT-03 USER-01 CRED-02 KEY-02" {
		t.Errorf("fsbp + KEY-02 - KEY-01 = %s %v", name, ids(sel))
	}
	sel, name, _ = c.Selection("cis-1.2") // the command line wins over the file
	if name != "cis-1.2" || strings.Contains(strings.Join(ids(sel), " "), "KEY-01") {
		t.Errorf("override: %s %v", name, ids(sel))
	}
	var none *Config
	if _, name, err := none.Selection(""); err != nil || name != rules.DefaultProfile {
		t.Errorf("no configuration: %s %v", name, err)
	}
	for _, empty := range []string{"", "# nothing yet\n", "---\n", "---\n# suppressions to come\n", "---\n...\n",
		"rules:\nsuppressions:\n  # - rule: CRED-01\n  #   user: ci-*\ncustom_rules:\n"} { // sections with every entry commented out
		if c, err := Parse("empty.yaml", []byte(empty)); err != nil || c.Profile != "" || len(c.Custom)+len(c.Suppressions)+len(c.Enabled) > 0 {
			t.Errorf("empty file %q: %+v, %v", empty, c, err)
		}
	}
}

// A configuration that leaves no rule to evaluate is refused by name:
// a run would report an all-clear from nothing and resolve every finding.
// One that leaves a custom rule alone is fine.
func TestSelectionOfNoRuleIsAnError(t *testing.T) {
	off := "rules:\n"
	for _, r := range rules.Catalog() {
		off += "  " + r.ID + ": {enabled: false}\n"
	}
	c, err := Parse("off.yaml", []byte(off))
	if err != nil {
		t.Fatal(err)
	}
	for _, profile := range []string{"", "all", "cis-1.2"} {
		if _, _, err := c.Selection(profile); !errors.Is(err, ErrNoRules) || !strings.Contains(err.Error(), "off.yaml disables every rule of profile") {
			t.Errorf("profile %q, every rule off: %v, want ErrNoRules naming the file", profile, err)
		}
	}
	custom, err := Parse("custom.yaml", []byte(off+"custom_rules:\n  - {id: ORG-01, title: t, severity: low, remediation: r, assert: 'true'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if sel, _, err := custom.Selection(""); err != nil || strings.Join(ids(sel), " ") != "ORG-01" {
		t.Errorf("only a custom rule: %v, %v", ids(sel), err)
	}
}

// The optional grace periods of USER-01, KEY-02 and KEY-03 are grace_days,
// 0 (none) by default and when set so; USER-01's and KEY-02's may be written
// by the catalog's names for them. They never change a title.
func TestGracePeriods(t *testing.T) {
	got, sel := thresholdsOf(t, "profile: all\nrules:\n  USER-01: {mfa_grace_days: 7}\n  KEY-02:\n    rotation_overlap_days: 3\n  KEY-03: {grace_days: 0}\n", "grace_days")
	want := map[string]int{"USER-01": 7, "KEY-02": 3, "KEY-03": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("grace periods (-want +got):\n%s", diff)
	}
	for _, s := range sel {
		if b, ok := rules.Lookup(s.Rule.ID); ok && s.Rule.Title != b.Title {
			t.Errorf("%s: title %q, want the catalog's %q", s.Rule.ID, s.Rule.Title, b.Title)
		}
	}
}

// thresholdsOf parses a configuration and returns, by rule ID, the value
// of the named threshold of each rule it selects that has one; and the
// selection.
func thresholdsOf(t *testing.T, yaml, name string) (map[string]int, []rules.Selected) {
	t.Helper()
	c, err := Parse("c.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	sel, _, err := c.Selection("")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, s := range sel {
		if n, ok := s.Thresholds.Get(name); ok {
			got[s.Rule.ID] = n
		}
	}
	return got, sel
}

// ROOT-04's and USER-04's thresholds can be written by the names the
// catalog's specification gives them, as well as days like every rule's.
func TestThresholdsBySpecificationName(t *testing.T) {
	got, _ := thresholdsOf(t, "profile: all\nrules:\n  ROOT-04: {root_use_days: 30}\n  USER-04:\n    dormant_days: 180\n  CRED-01: {days: 60}\n", "days")
	want := map[string]int{"ROOT-04": 30, "USER-04": 180, "CRED-01": 60, "CRED-02": 90, "CRED-03": 30, "KEY-01": 90, "PWD-01": 90, "PWD-02": 7}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("thresholds (-want +got):\n%s", diff)
	}
}

// A suppression may name a custom rule defined further down, a built-in
// rule outside the profile, or every rule (*).
func TestSuppressionsNameRulesThatExist(t *testing.T) {
	yaml := "suppressions:\n" +
		"  - {rule: ORG-01, user: bob, reason: r}\n" +
		"  - {rule: USER-06, user: bob, reason: r}\n" +
		"  - {rule: '*', user: bob, reason: r}\n" +
		"custom_rules:\n  - id: ORG-01\n    title: t\n    severity: low\n    remediation: r\n    assert: mfa_active\n"
	c, err := Parse("c.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range c.Suppressions {
		got = append(got, s.RuleID)
	}
	if diff := cmp.Diff([]string{"ORG-01", "USER-06", "*"}, got); diff != "" {
		t.Errorf("suppressed rules (-want +got):\n%s", diff)
	}
}

// A suppression's expires is a date (00:00 UTC) or an RFC 3339 time, with
// a lower-case t and z as RFC 3339 §5.6 allows (as --as-of takes them),
// and to the fraction of a second written.
func TestSuppressionExpiresIsADateOrAnRFC3339Time(t *testing.T) {
	for _, tc := range []struct {
		expires string
		want    time.Time
	}{
		{"2027-03-31", time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)},
		{"2027-03-31T06:00:00Z", time.Date(2027, 3, 31, 6, 0, 0, 0, time.UTC)},
		{"2027-03-31t06:00:00z", time.Date(2027, 3, 31, 6, 0, 0, 0, time.UTC)},
		{"2027-03-31t08:00:00+02:00", time.Date(2027, 3, 31, 6, 0, 0, 0, time.UTC)},
		{"2027-03-31T06:00:00.000000001Z", time.Date(2027, 3, 31, 6, 0, 0, 1, time.UTC)},
	} {
		c, err := Parse("c.yaml", []byte("suppressions:\n  - {rule: '*', user: bob, reason: r, expires: '"+tc.expires+"'}\n"))
		if err != nil {
			t.Errorf("%s: %v", tc.expires, err)
			continue
		}
		if got := c.Suppressions[0].Expires; !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("%s: expires %v, want %v", tc.expires, got, tc.want)
		}
	}
}

// What a configuration asks for that the run will not do is said, not
// silently dropped: a threshold of a rule the profile does not run or the
// file disables, and a file that sets nothing, empty or with its sections'
// entries commented out (truncated by accident, it drops every
// suppression and custom rule). The example configuration, and a
// threshold of a rule that runs, say nothing.
func TestNotesSayWhatTheConfigurationDoesNotDo(t *testing.T) {
	c, err := Parse("c.yaml", []byte("rules:\n  USER-04:\n    dormant_days: 60\n  KEY-01:\n    enabled: false\n    days: 30\n  CRED-01:\n    days: 30\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"c.yaml:6: rules.KEY-01 sets a threshold, but KEY-01 is disabled, so it does not run",
		"c.yaml:3: rules.USER-04 sets a threshold, but USER-04 is not in profile recommended, so it does not run (enabled: true runs it)",
	}
	if diff := cmp.Diff(want, c.Notes("recommended")); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[:1], c.Notes("all")); diff != "" {
		t.Errorf("notes under profile all, which runs USER-04 (-want +got):\n%s", diff)
	}
	for _, doc := range []string{"", "# nothing yet\n", "---\n",
		// Sections with nothing set in them say so too.
		"suppressions:\n",
		"rules:\n  # KEY-01: {days: 30}\ncustom_rules:\n  # - id: ORG-01\n",
		"rules: {}\nsuppressions: []\ncustom_rules: []\n",
		"rules:\n  KEY-01: {}\n",
	} {
		c, err := Parse("empty.yaml", []byte(doc))
		if want := []string{"empty.yaml holds no setting: the defaults apply (profile cis-5.0, no suppression, no custom rule)"}; err != nil || !cmp.Equal(c.Notes("cis-5.0"), want) {
			t.Errorf("%q: notes %q (err %v), want %q", doc, c.Notes("cis-5.0"), err, want)
		}
	}
	if notes := example(t).Notes("recommended"); notes != nil {
		t.Errorf("the example configuration: notes %q, want none", notes)
	}
	// A profile alone, or a rule only turned off, sets something.
	for _, doc := range []string{"profile: all\n", "rules:\n  KEY-01: {enabled: false}\n"} {
		if c, err := Parse("one.yaml", []byte(doc)); err != nil || c.Notes("cis-5.0") != nil {
			t.Errorf("%q: notes %q (err %v), want none", doc, c.Notes("cis-5.0"), err)
		}
	}
	if notes := (*Config)(nil).Notes("recommended"); notes != nil {
		t.Errorf("no configuration: notes %q", notes)
	}
}

// A configuration is one YAML document: its start and end markers are fine.
func TestOneDocumentWithItsMarkersLoads(t *testing.T) {
	for _, doc := range []string{"---\nprofile: fsbp\n", "profile: fsbp\n...\n", "---\nprofile: fsbp\n...\n# the end\n"} {
		if c, err := Parse("one.yaml", []byte(doc)); err != nil || c.Profile != "fsbp" {
			t.Errorf("%q: %v", doc, err)
		}
	}
}

// A CEL error names the file's line and column of the offending character
// when the expression stands in the file character for character, and
// otherwise the value's position and the place inside the expression.
func TestCELErrorsArePlacedInTheFile(t *testing.T) {
	head := "custom_rules:\n  - id: ORG-01\n    title: t\n    severity: low\n    remediation: r\n"
	for _, tc := range []struct{ name, value, want string }{
		{"plain", "    assert: mfa_active && nope # why\n", "c.yaml:6:27: custom_rules[0].assert: undeclared reference to 'nope'"},
		{"double-quoted", "    assert: \"mfa_active && nope\"\n", "c.yaml:6:28: custom_rules[0].assert: undeclared"},
		{"single-quoted", "    assert: 'user == \"x\" && nope'\n", "c.yaml:6:29: custom_rules[0].assert: undeclared"},
		{"literal block", "    assert: |\n      mfa_active &&\n        password_enabled == tru\n", "c.yaml:8:29: custom_rules[0].assert: undeclared reference to 'tru'"},
		{"literal block followed by another key", "    assert: |\n      mfa_active && nope\n    where: is_root\n", "c.yaml:7:21: custom_rules[0].assert: undeclared reference to 'nope'"},
		{"literal block, keep, followed by blank lines and a key", "    assert: |+\n      mfa_active && nope\n\n\n    where: is_root\n", "c.yaml:7:21: custom_rules[0].assert: undeclared"},
		{"literal block with a blank line", "    assert: |-\n      mfa_active\n\n      && nope\n", "c.yaml:9:10: custom_rules[0].assert: undeclared reference to 'nope'"},
		{"not ASCII", "    assert: user == \"é\" && nope\n", "c.yaml:6:28: custom_rules[0].assert: undeclared"},
		// A literal CEL refuses is placed at the literal, not at the value.
		{"bad duration", "    assert: as_of - user_creation_time < duration(\"365d\")\n", `c.yaml:6:51: custom_rules[0].assert: duration "365d" is not a duration`},
		{"bad timestamp, quoted", "    assert: 'password_last_used == null || password_last_used > timestamp(\"2026-01-01\")'\n", `c.yaml:6:75: custom_rules[0].assert: timestamp "2026-01-01" is not a timestamp`},
		{"bad pattern in a literal block", "    assert: |\n      mfa_active ||\n        user.matches(\"[\")\n", `c.yaml:8:22: custom_rules[0].assert: pattern "[" is not an RE2 regular expression`},
		{"two errors, each placed", "    assert: |\n      nope &&\n      nada\n", "c.yaml:7:7: custom_rules[0].assert: undeclared reference to 'nope'; a column credaudit does not type is read as raw.nope" +
			"\n | nope &&\n | ^\nc.yaml:8:7: custom_rules[0].assert: undeclared reference to 'nada'"},
		// Escapes, folding and lines run together: the value's position,
		// then the line and column inside the expression.
		{"escape", "    assert: \"user == \\\"x\\\" && nope\"\n", "c.yaml:6:13: custom_rules[0].assert:1:16: undeclared"},
		{"folded block", "    assert: >\n      mfa_active &&\n      nope\n", "c.yaml:6:13: custom_rules[0].assert:1:15: undeclared"},
		{"plain over two lines", "    assert: mfa_active &&\n      nope\n", "c.yaml:6:13: custom_rules[0].assert:1:15: undeclared"},
		// A limit CEL gives no position for: the value's position alone.
		{"nested too deep", "    assert: " + strings.Repeat("(", 300) + "true" + strings.Repeat(")", 300) + "\n", "c.yaml:6:13: custom_rules[0].assert: expression recursion limit exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(head+tc.value))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant one containing %q", err, tc.want)
			}
		})
	}
	// Lines end at \r\n, \r or \n alike, as yaml.v3 counts them.
	for _, br := range []string{"\r\n", "\r"} {
		for _, tc := range []struct{ value, want string }{
			{"    assert: |\n      mfa_active &&\n        password_enabled == tru\n", "c.yaml:8:29: custom_rules[0].assert: undeclared reference to 'tru'"},
			{"\n\n    assert: mfa_active && tru\n", "c.yaml:8:27: custom_rules[0].assert: undeclared reference to 'tru'"},
		} {
			_, err := Parse("c.yaml", []byte(strings.ReplaceAll(head+tc.value, "\n", br)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("line breaks %q, %q: %v\nwant %q", br, tc.value, err, tc.want)
			}
		}
	}
	// Columns count characters, as YAML's own errors do: three é before
	// the value on its line are three columns.
	_, err := Parse("c.yaml", []byte("custom_rules:\n  - {id: ORG-01, title: \"ééé\", severity: low, remediation: r, assert: nope}\n"))
	if want := "c.yaml:2:71: custom_rules[0].assert: undeclared"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("flow mapping: %v\nwant %q", err, want)
	}
}

func TestBadConfigurationNamesFileLineAndColumn(t *testing.T) {
	custom := func(extra string) string {
		return "custom_rules:\n  - id: ORG-01\n    title: t\n    severity: low\n    remediation: r\n    assert: mfa_active\n" + extra
	}
	tests := []struct{ name, yaml, want string }{
		{"not YAML", "profile: [", "c.yaml:1: did not find expected node content"},
		{"unknown top-level key", "profil: all\n", `c.yaml:1:1: unknown key "profil" in the configuration`},
		{"unknown profile", "profile: cis-9\n", `c.yaml:1:10: unknown rule profile "cis-9"`},
		{"unknown rule", "rules:\n  KEY-99: {enabled: false}\n", `c.yaml:2:3: unknown rule "KEY-99"`},
		{"unknown threshold", "rules:\n  KEY-02: {days: 3}\n", `c.yaml:2:12: unknown key "days" in rules.KEY-02`},
		{"threshold not a number", "rules:\n  CRED-01:\n    days: soon\n", `c.yaml:3:11: rules.CRED-01.days must be a whole number of days from 1 to 3650, not "soon"`},
		{"threshold quoted", "rules:\n  CRED-01:\n    days: \"30\"\n", `c.yaml:3:11: rules.CRED-01.days must be a whole number of days from 1 to 3650, not the string "30"`},
		{"threshold tagged a string", "rules:\n  CRED-01: {days: !!str 30}\n", `c.yaml:2:19: rules.CRED-01.days must be a whole number of days from 1 to 3650, not the string "30"`},
		{"threshold a decimal", "rules:\n  CRED-01: {days: 30.0}\n", `c.yaml:2:19: rules.CRED-01.days must be a whole number of days from 1 to 3650, not "30.0"`},
		{"threshold with a leading zero", "rules:\n  CRED-01:\n    days: 030\n", `c.yaml:3:11: rules.CRED-01.days: write 30, not 030, which YAML 1.1 reads as an octal number`},
		{"threshold with a sign and a leading zero", "rules:\n  CRED-01:\n    days: +030\n", `c.yaml:3:11: rules.CRED-01.days: write 30, not +030, which YAML 1.1 reads as an octal number`},
		{"threshold zero", "rules:\n  CRED-01: {days: 0}\n", "c.yaml:2:19: rules.CRED-01.days must be"},
		{"enabled not a bool", "rules:\n  KEY-02: {enabled: maybe}\n", "c.yaml:2:21: rules.KEY-02.enabled must be true or false"},
		{"repeated key", "profile: all\nprofile: fsbp\n", `c.yaml:2:1: key "profile" repeated`},
		{"second document", "profile: all\n---\nfoo: bar\n", "c.yaml:2:1: a second YAML document starts here; a configuration is one document"},
		{"second document that is not YAML", "profile: all\n---\nprofile: [bad\n", "c.yaml:2:1: a second YAML document starts here"},
		{"second document after an end marker", "profile: all\n...\n---\nprofile: fsbp\n", "c.yaml:3:1: a second YAML document starts here"},
		{"empty second document", "profile: all\n---\n", "c.yaml:2:1: a second YAML document starts here"},
		{"anchor on a threshold", "rules:\n  KEY-01: {days: &d 30}\n  CRED-01: {days: *d}\n", "c.yaml:2:18: anchor &d: anchors and aliases are not supported in the configuration; write the value out"},
		{"anchor on a key", "rules:\n  &k KEY-01: {days: 30}\n", "c.yaml:2:3: anchor &k: anchors and aliases"},
		{"alias to a mapping", "suppressions:\n  - &s {rule: '*', user: bob, reason: r}\n  - *s\n", "c.yaml:2:5: anchor &s:"},
		{"merge key", "custom_rules:\n  - &base {title: t, severity: low}\n  - <<: *base\n    id: ORG-01\n", "c.yaml:2:5: anchor &base: anchors and aliases are not supported"},
		{"local tag on a value", "profile: !foo all\n", "c.yaml:1:10: tag !foo: the configuration takes plain values"},
		{"local tag on a mapping", "rules: !cfg\n  KEY-01: {days: 30}\n", "c.yaml:1:8: tag !cfg:"},
		{"local tag on a key", "suppressions:\n  - rule: '*'\n    !k user: bob\n    reason: r\n", "c.yaml:3:5: tag !k:"},
		{"verbatim tag", "profile: !<tag:example.com,2026:p> all\n", "c.yaml:1:10: tag !<tag:example.com,2026:p>:"},
		{"binary tag, whose text is not its value", "suppressions:\n  - rule: '*'\n    user: bob\n    reason: !!binary cmVhc29u\n", "c.yaml:4:13: tag !!binary:"},
		{"repeated rule", "rules:\n  KEY-01:\n    days: 10\n  KEY-01:\n    enabled: false\n", `c.yaml:4:3: key "KEY-01" repeated in rules`},
		{"repeated custom rule under rules", custom("rules:\n  ORG-01: {enabled: false}\n  ORG-01: {enabled: true}\n"), `c.yaml:9:3: key "ORG-01" repeated in rules`},
		// A mistyped rule ID is unknown, whatever its settings hold.
		{"grace period below 0", "rules:\n  KEY-03: {grace_days: -1}\n", `c.yaml:2:24: rules.KEY-03.grace_days must be a whole number of days from 0 to 3650, not "-1"`},
		{"grace period by its other name, too long", "rules:\n  KEY-02:\n    rotation_overlap_days: 3651\n", `c.yaml:3:28: rules.KEY-02.rotation_overlap_days must be a whole number of days from 0 to 3650, not "3651"`},
		{"threshold of 0 days", "rules:\n  KEY-01: {days: 0}\n", `c.yaml:2:18: rules.KEY-01.days must be a whole number of days from 1 to 3650, not "0"`},
		{"grace period by both its names", "rules:\n  USER-01:\n    grace_days: 3\n    mfa_grace_days: 5\n", "c.yaml:4:21: rules.USER-01: grace_days and mfa_grace_days are one threshold; set one of them"},
		{"threshold by both its names", "rules:\n  ROOT-04:\n    days: 30\n    root_use_days: 60\n", "c.yaml:4:20: rules.ROOT-04: days and root_use_days are one threshold; set one of them"},
		{"threshold by another rule's name", "rules:\n  ROOT-04: {dormant_days: 30}\n", `c.yaml:2:13: unknown key "dormant_days" in rules.ROOT-04 (known: days, enabled, root_use_days)`},
		{"threshold by its other name, not a number", "rules:\n  USER-04: {dormant_days: \"30\"}\n", `c.yaml:2:27: rules.USER-04.dormant_days must be a whole number of days from 1 to 3650, not the string "30"`},
		{"threshold of a mistyped rule ID", "rules:\n  CRED-1:\n    days: 30\n", `c.yaml:2:3: unknown rule "CRED-1"`},
		{"unknown rule with no settings", "rules:\n  KEY-99:\n", `c.yaml:2:3: unknown rule "KEY-99"`},
		{"threshold of a custom rule", custom("rules:\n  ORG-01:\n    days: 30\n"), `c.yaml:9:5: unknown key "days" in rules.ORG-01 (known: enabled)`},
		{"suppression user ARN with a glob", "suppressions:\n  - rule: '*'\n    user: arn:aws:iam::123456789012:user/*\n    reason: r\n",
			`c.yaml:3:11: suppressions[0].user: "arn:aws:iam::123456789012:user/*" is neither an IAM user's ARN`},
		{"suppression user ARN of a role", "suppressions:\n  - rule: '*'\n    user: arn:aws:iam::123456789012:role/bob\n    reason: r\n", `c.yaml:3:11: suppressions[0].user: "arn:aws:iam::123456789012:role/bob" is neither`},
		{"suppression user with a path", "suppressions:\n  - rule: '*'\n    user: engineering/carol\n    reason: r\n",
			`c.yaml:3:11: suppressions[0].user: "engineering/carol" holds a /, which no user name does (a user's path is not part of its name), so it would match nothing: ` +
				`write the name alone ("carol"), or the user's ARN (arn:aws:iam::123456789012:user/PATH/NAME) to match one path`},
		{"suppression user glob with a path", "suppressions:\n  - rule: '*'\n    user: '*/carol'\n    reason: r\n", `c.yaml:3:11: suppressions[0].user: "*/carol" holds a /`},
		{"suppression user with a space", "suppressions:\n  - rule: '*'\n    user: carol smith\n    reason: r\n",
			`c.yaml:3:11: suppressions[0].user: "carol smith" holds " ", which no user name does (ASCII letters, digits and _+=,.@- only), so it would match nothing`},
		{"suppression bad glob", "suppressions:\n  - rule: '*'\n    user: 'a['\n    reason: r\n", `c.yaml:3:11: suppressions[0].user: bad glob "a["`},
		{"custom rule with a blank title", strings.Replace(custom(""), "title: t", "title: ' '", 1), "c.yaml:2:5: custom_rules[0]: title is required"},
		{"custom rule with a blank remediation", strings.Replace(custom(""), "remediation: r", "remediation: '  '", 1), "c.yaml:2:5: custom_rules[0]: remediation is required"},
		{"suppression without reason", "suppressions:\n  - rule: USER-01\n    user: bob\n", "c.yaml:2:5: suppressions[0]: reason is required"},
		{"suppression without user", "suppressions:\n  - rule: USER-01\n    reason: r\n", "c.yaml:2:5: suppressions[0]: user is required"},
		{"suppression of an unknown rule", "suppressions:\n  - rule: nope\n    user: bob\n    reason: r\n", `c.yaml:2:11: suppressions[0].rule: unknown rule "nope"`},
		{"suppression of a built-in rule that does not exist", "suppressions:\n  - rule: KEY-99\n    user: bob\n    reason: r\n", `c.yaml:2:11: suppressions[0].rule: unknown rule "KEY-99"`},
		{"suppression of a rule ID short of a digit", "suppressions:\n  - rule: KEY-1\n    user: bob\n    reason: r\n", `c.yaml:2:11: suppressions[0].rule: unknown rule "KEY-1"`},
		{"suppression of a custom rule not defined", custom("suppressions:\n  - rule: ORG-99\n    user: bob\n    reason: r\n"), `c.yaml:8:11: suppressions[0].rule: unknown rule "ORG-99"`},
		{"first unknown rule in the file", "suppressions:\n  - rule: ORG-09\n    user: bob\n    reason: r\nrules:\n  ORG-01: {enabled: false}\n", `c.yaml:2:11: suppressions[0].rule: unknown rule "ORG-09"`},
		{"suppression with a bad glob", "suppressions:\n  - rule: '*'\n    user: '[a'\n    reason: r\n", "c.yaml:3:11: suppressions[0].user: bad glob"},
		{"suppression with a bad date", "suppressions:\n  - rule: '*'\n    user: a\n    reason: r\n    expires: next week\n", `c.yaml:5:14: suppressions[0].expires "next week"`},
		{"suppression expiring on the zero date", "suppressions:\n  - rule: '*'\n    user: a\n    reason: r\n    expires: 0001-01-01\n", `c.yaml:5:14: suppressions[0].expires 0001-01-01 is before 1995, before any AWS credential`},
		{"suppression expiring past 9999 in UTC", "suppressions:\n  - rule: '*'\n    user: a\n    reason: r\n    expires: 9999-12-31T23:59:59-23:59\n", `c.yaml:5:14: suppressions[0].expires 9999-12-31T23:59:59-23:59 is after the year 9999 in UTC`},
		{"suppression expiring before 1995", "suppressions:\n  - rule: '*'\n    user: a\n    reason: r\n    expires: 1994-12-31T23:59:59Z\n", `c.yaml:5:14: suppressions[0].expires 1994-12-31T23:59:59Z is before 1995`},
		{"custom CEL does not compile", custom("  - id: ORG-02\n    title: t\n    severity: low\n    remediation: r\n    assert: nope\n"), "c.yaml:11:13: custom_rules[1].assert: undeclared reference to 'nope'"},
		{"custom where not boolean", custom("    where: user\n"), "c.yaml:7:12: custom_rules[0].where: expression yields string, want bool"},
		// An id's errors are at the id, not at the rule's first key.
		{"custom id clashes with a built-in", strings.Replace(custom(""), "ORG-01", "USER-01", 1), "c.yaml:2:9: custom_rules[0]: id USER-01 is a built-in rule"},
		{"custom id twice", custom("  - title: t\n    id: ORG-01\n    severity: low\n    remediation: r\n    assert: mfa_active\n"), "c.yaml:8:9: custom_rules[1]: id ORG-01 is used twice"},
		{"custom id malformed", strings.Replace(custom(""), "ORG-01", "org one", 1), `c.yaml:2:9: custom_rules[0]: id "org one" must look like ORG-01`},
		{"custom id malformed in a flow mapping", "custom_rules:\n  - {title: t, id: org-1, severity: low, remediation: r, assert: 'true'}\n", `c.yaml:2:20: custom_rules[0]: id "org-1" must look like ORG-01`},
		{"custom without id", strings.Replace(custom(""), "  - id: ORG-01\n    title: t\n", "  - title: t\n", 1), "c.yaml:2:5: custom_rules[0]: id is required (like ORG-01: capitals, digits and dashes)"},
		{"custom without severity", strings.Replace(custom(""), "    severity: low\n", "", 1), "severity is required"},
		{"custom with bad severity", strings.Replace(custom(""), "severity: low", "severity: dire", 1), `c.yaml:4:15: custom_rules[0].severity: unknown severity "dire"`},
		{"custom without assert", strings.Replace(custom(""), "    assert: mfa_active\n", "", 1), "assert is required"},
		{"custom remediation too long", strings.Replace(custom(""), "remediation: r", "remediation: "+strings.Repeat("x", 513), 1), "remediation is 513 characters, at most 512"},
		{"custom title too long in characters", strings.Replace(custom(""), "title: t", "title: "+strings.Repeat("é", 257), 1), "c.yaml:3:12: custom_rules[0].title is 257 characters, at most 256"},
		{"custom title too long in UTF-16 code units, as Security Hub counts", strings.Replace(custom(""), "title: t", "title: "+strings.Repeat("😀", 129), 1), "title is 258 characters, at most 256"},
		{"custom url not a URL", custom("    url: not a url\n"), `c.yaml:7:10: custom_rules[0].url "not a url" is not an http or https URL`},
		{"custom url of another scheme", custom("    url: javascript:alert(1)\n"), `custom_rules[0].url "javascript:alert(1)" is not an http or https URL`},
		{"custom url without a host", custom("    url: https:///runbook\n"), `custom_rules[0].url "https:///runbook" is not an http or https URL`},
		{"custom url too long once percent-encoded", custom("    url: https://wiki.example.com/" + strings.Repeat("é", 200) + "\n"), "c.yaml:7:10: custom_rules[0].url is 1225 characters once percent-encoded, at most 512"},
		{"threshold a list", "rules:\n  KEY-01: {days: [30]}\n", `c.yaml:2:18: rules.KEY-01.days must be a whole number of days from 1 to 3650, not a list`},
		{"threshold a mapping", "rules:\n  KEY-01:\n    days: {a: 1}\n", `c.yaml:3:11: rules.KEY-01.days must be a whole number of days from 1 to 3650, not a mapping`},
		{"rule ID a list", "rules:\n  ? [KEY-01]\n  : {days: 3}\n", `c.yaml:2:5: a key of rules is a list, not a rule ID`},
		{"settings key a list", "rules:\n  KEY-01:\n    ? [days]\n    : 3\n", `c.yaml:3:7: a key of rules.KEY-01 is a list, not a name`},
		{"suppression expires a list", "suppressions:\n  - rule: '*'\n    user: a\n    reason: r\n    expires: [2027-03-31]\n", `c.yaml:5:14: suppressions[0].expires is a list: want a date`},
		{"custom severity a list", strings.Replace(custom(""), "severity: low", "severity: [high]", 1), `c.yaml:4:15: custom_rules[0].severity is a list, not a severity`},
		{"custom title with a control character", strings.Replace(custom(""), "title: t", `title: "a\0b"`, 1), `c.yaml:3:12: custom_rules[0].title holds the control character U+0000 (character 2): write plain text`},
		{"custom title with an escape sequence", strings.Replace(custom(""), "title: t", `title: "\e[31mred"`, 1), `custom_rules[0].title holds the control character U+001B (character 1)`},
		{"custom title on two lines", strings.Replace(custom(""), "title: t", "title: >\n      one\n", 1), `c.yaml:3:12: custom_rules[0].title holds a line break (character 4): write it on one line`},
		{"custom remediation with a C1 control", strings.Replace(custom(""), "remediation: r", `remediation: "a\x85b"`, 1), `custom_rules[0].remediation holds the control character U+0085`},
		{"suppression reason with a bell", "suppressions:\n  - rule: '*'\n    user: a\n    reason: \"r\\a\"\n", `c.yaml:4:13: suppressions[0].reason holds the control character U+0007 (character 2)`},
		{"enabling an unknown custom rule", "rules:\n  ORG-07: {enabled: true}\n", `c.yaml:2:3: unknown rule "ORG-07"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("c.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("no error; got %+v", c)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// A custom rule's texts are measured in characters as Security Hub measures
// its limits, not in bytes: 512 accented characters are a remediation that
// fits. Its url is an http or https URL.
func TestCustomRuleTextsAndURL(t *testing.T) {
	rem, title := strings.Repeat("é", 512), strings.Repeat("界", 256)
	c, err := Parse("c.yaml", []byte("custom_rules:\n  - id: ORG-01\n    title: "+title+"\n    severity: low\n    remediation: "+rem+
		"\n    url: https://wiki.example.com/iam/runbook#keys\n    assert: mfa_active\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Custom[0]; r.Remediation != rem || r.Title != title || r.URL != "https://wiki.example.com/iam/runbook#keys" {
		t.Errorf("custom rule %+v", r)
	}
	// A URL written as a browser takes it, with a space or a letter
	// outside ASCII, is kept as the URI it means: SARIF's helpUri and
	// Security Hub's remediation URL get that.
	c, err = Parse("c.yaml", []byte("custom_rules:\n  - {id: ORG-01, title: t, severity: low, remediation: r, assert: 'true', url: 'https://wiki.example.com/Sécurité IAM?q=a b'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://wiki.example.com/S%C3%A9curit%C3%A9%20IAM?q=a%20b"; c.Custom[0].URL != want {
		t.Errorf("url %q, want %q", c.Custom[0].URL, want)
	}
	// A description, a remediation or a suppression's reason may be a
	// block of lines, indented with a tab.
	c, err = Parse("c.yaml", []byte("custom_rules:\n  - id: ORG-01\n    title: t\n    severity: low\n    remediation: |\n      Step one.\n      Step two:\tdone.\n"+
		"    description: |\n      Line one.\n      Line two.\n    assert: mfa_active\n"+
		"suppressions:\n  - rule: ORG-01\n    user: bob\n    reason: |\n      Break-glass user.\n      Ticket SEC-1.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Custom[0]; r.Remediation != "Step one.\nStep two:\tdone.\n" || r.Description != "Line one.\nLine two.\n" || c.Suppressions[0].Reason != "Break-glass user.\nTicket SEC-1.\n" {
		t.Errorf("custom rule %+v, suppression %+v", r, c.Suppressions[0])
	}
}

// sampleReport is events/sample-report.csv, parsed.
func sampleReport(t *testing.T) *credreport.Report {
	t.Helper()
	data, err := os.ReadFile("../../events/sample-report.csv")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := credreport.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// An assert written over several lines (a YAML block scalar) gives a reason
// on one line, as every reason is: a line break in it would break the
// digest's and the CSV's lines.
func TestMultiLineAssertGivesAOneLineReason(t *testing.T) {
	c, err := Parse("c.yaml", []byte("custom_rules:\n  - id: ORG-01\n    title: t\n    severity: low\n    remediation: r\n"+
		"    assert: |\r\n      mfa_active\r\n        ||  user == \"break-glass\"\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep := sampleReport(t)
	res, err := rules.Evaluate(rules.Input{Report: rep, AsOf: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}, []rules.Selected{rules.Select(c.Custom[0], nil)})
	if err != nil {
		t.Fatal(err)
	}
	src := `mfa_active ||  user == "break-glass"`
	reasons := map[string]bool{}
	for _, r := range res {
		reasons[r.Reason] = true
	}
	if diff := cmp.Diff(map[string]bool{"assert " + src + " holds": true, "assert " + src + " does not hold": true}, reasons); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
}

// A custom rule decides nothing from a sentinel, as a built-in rule does
// not: root's password_enabled is not_supported in every real report, and
// read as false, `!password_enabled || mfa_active` passed for a root
// without MFA. What hinges on it is NOT_AVAILABLE, saying what the report
// holds; what does not is decided; a where that hinges on it covers the
// row, undecided.
func TestCustomRulesLeaveWhatHingesOnASentinelNotAvailable(t *testing.T) {
	rule := func(id, where, assert string) string {
		s := "  - id: " + id + "\n    title: t\n    severity: critical\n    remediation: r\n    assert: \"" + assert + "\"\n"
		if where != "" {
			s += "    where: \"" + where + "\"\n"
		}
		return s
	}
	c, err := Parse("c.yaml", []byte("custom_rules:\n"+
		rule("ORG-01", "is_root", "!password_enabled || mfa_active")+
		rule("ORG-02", "is_root", "password_enabled && mfa_active")+
		rule("ORG-03", "password_enabled", "mfa_active")+
		rule("ORG-04", "", "!password_enabled || mfa_active")+
		rule("ORG-05", "is_root || password_enabled", "mfa_active")))
	if err != nil {
		t.Fatal(err)
	}
	rep := sampleReport(t)
	if rep.Root == nil || rep.Root.PasswordEnabled.State != credreport.NotSupported || rep.Root.MFAActive.True() {
		t.Fatal("the sample report changed: root's password_enabled is not not_supported, or its MFA is active")
	}
	var sel []rules.Selected
	for _, r := range c.Custom {
		sel = append(sel, rules.Select(r, nil))
	}
	res, err := rules.Evaluate(rules.Input{Report: rep, AsOf: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}, sel)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range res {
		if r.User() == "<root_account>" {
			got[r.Rule.ID] = r.Status.String() + ": " + r.Reason
		}
	}
	want := map[string]string{
		"ORG-01": "NOT_AVAILABLE: assert !password_enabled || mfa_active cannot be decided: password_enabled is not_supported",
		"ORG-02": "FAILED: assert password_enabled && mfa_active does not hold",
		"ORG-03": "NOT_AVAILABLE: where password_enabled cannot be decided: password_enabled is not_supported",
		"ORG-05": "FAILED: assert mfa_active does not hold", // the where reads the sentinel, and is decided without it
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("root's results (-want +got):\n%s", diff)
	}
	for _, r := range res {
		if r.User() != "<root_account>" && r.Status == rules.NotAvailable {
			t.Errorf("%s %s: NOT_AVAILABLE (%s); a user's cells hold no sentinel", r.Rule.ID, r.User(), r.Reason)
		}
	}
}

// yaml.v3 names the line where the block around a syntax error starts,
// sometimes counted from 0, and no line for an error on the first line: the
// error names instead the line from which the file no longer reads as YAML,
// in a long file too, wherever the error is, and where a quoted string spans
// lines.
func TestYAMLSyntaxErrorsNameTheLineWhereTheFileStopsBeingYAML(t *testing.T) {
	var sups strings.Builder
	sups.WriteString("suppressions:\n")
	for i := range 300 {
		fmt.Fprintf(&sups, "  - rule: KEY-01\n    user: user-%d\n    reason: a reason long enough to be realistic\n    expires: 2027-01-01\n", i)
	}
	long := sups.String() // 1,201 lines
	tests := []struct{ name, yaml, want string }{
		{"key indented less than its siblings", "rules:\n  KEY-01:\n    days: 5\n   enabled: true\n", "c.yaml:4: did not find expected key"},
		{"value after a value on the first line", "profile: all: fsbp\n", "c.yaml:1: mapping values are not allowed in this context"},
		{"tab indentation", "rules:\n\tKEY-01: {}\n", "c.yaml:2: found character that cannot start any token: a tab indents this line, and YAML indents with spaces only"},
		{"a tab after spaces", "profile: all\nrules:\n  KEY-01:\n  \tdays: 3\n", "c.yaml:4: found character that cannot start any token: a tab indents this line, and YAML indents with spaces only"},
		{"a Latin-1 byte", "profile: all\nsuppressions:\n  - rule: '*'\n    user: bob\n    reason: caf\xe9\n", "c.yaml:5: incomplete UTF-8 octet sequence: the configuration is read as UTF-8; save the file in that encoding"},
		{"flow mapping left open before the next key", "profile: all\nrules:\n  KEY-01: {days: 3\nsuppressions: []\n", "c.yaml:3: did not find expected ',' or '}'"},
		{"closed flow list, then a bad line", "profile: [\n  all]\nrules: {}\n   x: y\n", "c.yaml:4: did not find expected key"},
		{"quote never closed", "profile: all\nrules: {}\nsuppressions:\n  - rule: 'KEY-01\n    user: bob\n", "c.yaml:4: found unexpected end of stream"},
		{"alias of no anchor", "profile: all\nrules: *nope\n", "c.yaml:2: unknown anchor 'nope' referenced"},
		{"a quote left open on line 1 and closed further down", "profile: 'all\nrules: {}\nsuppressions:\n  - rule: KEY-01\n    user: bob\n    reason: 'on leave'\n", "c.yaml:1: did not find expected key"},
		{"a valid two-line string, then a quote never closed", "profile: all\nsuppressions:\n  - reason: \"a long\n      reason\"\n    rule: \"KEY-02\n    user: bob\n", "c.yaml:5: found unexpected end of stream"},
		// yaml.v3 names the end of the file for this one.
		{"a flow list left open on line 1 of a long file", "profile: [all\n" + strings.Repeat("# a comment line to make the file long enough\n", 1000), "c.yaml:1: did not find expected ',' or ']'"},
		{"a bad line near the top of a long file", strings.Replace(long, "    reason: a reason long enough to be realistic\n", "   reason: misindented\n", 1), "c.yaml:4: did not find expected '-' indicator"},
		{"a bad line near the top of a 4,800-line file", strings.Replace(strings.Repeat(long, 4), "    reason: a reason long enough to be realistic\n", "   reason: misindented\n", 1), "c.yaml:4: did not find expected '-' indicator"},
		{"a bad line in the middle of a long file", strings.Replace(long, "    user: user-150\n", "    user: user-150\n   reason: misindented\n", 1), "c.yaml:604: did not find expected '-' indicator"},
		// Lines end as yaml.v3 ends them: at \r\n, \r or \n alike, and at
		// YAML 1.1's NEL, LS and PS.
		{"CR line breaks", "rules:\r  KEY-01:\r    days: 5\r   enabled: true\r", "c.yaml:4: did not find expected key"},
		{"CRLF line breaks", "rules:\r\n  KEY-01:\r\n    days: 5\r\n   enabled: true\r\n", "c.yaml:4: did not find expected key"},
		{"CR line breaks and a quote never closed", "profile: all\rrules: {}\rsuppressions:\r  - rule: 'KEY-01\r    user: bob\r", "c.yaml:4: found unexpected end of stream"},
		{"NEL line breaks", "rules:\u0085  KEY-01:\u0085    days: 5\u0085   enabled: true\u0085", "c.yaml:4: did not find expected key"},
		{"LS line breaks", "rules:\u2028  KEY-01:\u2028    days: 5\u2028   enabled: true\u2028", "c.yaml:4: did not find expected key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.yaml))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// YAML reads the leading ! of an unquoted CEL negation as a tag: under
// where or assert, the error says to quote the expression, whether YAML
// took it as a tagged value or could not read what follows the tag.
// Elsewhere, a tag or a syntax error says nothing of CEL.
func TestUnquotedCELNegationSaysToQuoteIt(t *testing.T) {
	head := "custom_rules:\n  - id: ORG-01\n    title: t\n    severity: low\n    remediation: r\n"
	const plain = "the configuration takes plain values (strings, numbers, true or false, lists and mappings), not tagged ones"
	tests := []struct{ name, yaml, want string }{
		{"a negated column", head + "    assert: '!password_enabled'\n    where: !is_root\n",
			"c.yaml:7:12: tag !is_root: " + plain + "; if where is a CEL expression, quote it (where: '!is_root'), as YAML reads a leading ! as a tag"},
		{"a negated column compared", head + "    assert: !password_enabled == false\n",
			"c.yaml:6:13: tag !password_enabled: " + plain + "; if assert is a CEL expression, quote it (assert: '!password_enabled == false'), as YAML reads a leading ! as a tag"},
		{"a negated call with a quote in it", head + "    assert: !user.startsWith('ci-') == true\n",
			"c.yaml:6:13: tag !user.startsWith('ci-'): " + plain + "; if assert is a CEL expression, quote it (assert: \"!user.startsWith('ci-') == true\"), as YAML reads a leading ! as a tag"},
		{"a negation YAML cannot read past", head + "    assert: !password_enabled || mfa_active\n",
			"c.yaml:6: did not find expected comment or line break; if assert is a CEL expression, quote it, as YAML reads a leading ! as a tag"},
		{"a negated group", head + "    where: !(is_root && mfa_active)\n    assert: mfa_active\n",
			"c.yaml:6: did not find expected alphabetic or numeric character; if where is a CEL expression, quote it, as YAML reads a leading ! as a tag"},
		{"a negation in a flow mapping", "custom_rules:\n  - {id: ORG-01, assert: !password_enabled || mfa_active}\n",
			"c.yaml:2: found character that cannot start any token; if assert is a CEL expression, quote it, as YAML reads a leading ! as a tag"},
		{"a tag elsewhere", head + "    assert: mfa_active\n    url: !x https://example.com\n", "c.yaml:7:10: tag !x: " + plain},
		{"a syntax error elsewhere", head + "    assert: mfa_active\n    title: !x || y\n", "c.yaml:7: did not find expected comment or line break"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.yaml))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v\nwant  %s", err, tc.want)
			}
		})
	}
}

// A file whose heads cost more than syntaxBudget to read again keeps
// yaml.v3's own wording, with its line.
func TestYAMLSyntaxErrorPastTheBudgetKeepsYAMLsWording(t *testing.T) {
	defer func(b int) { syntaxBudget = b }(syntaxBudget)
	syntaxBudget = 4 << 10
	data := "profile: [all\n" + strings.Repeat("# a comment line to make the file long enough\n", 100)
	_, err := Parse("c.yaml", []byte(data))
	if want := "c.yaml: line 101: did not find expected ',' or ']'"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
