package rules

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/credreport"
)

var (
	ruleIDPattern  = regexp.MustCompile(`^[A-Z]+-\d\d$`)
	cisControl     = regexp.MustCompile(`^\d+(\.\d+)+$`)
	securityHubID  = regexp.MustCompile(`^IAM\.\d+$`)
	nistControl    = regexp.MustCompile(`^[A-Z]{2}-\d+(\(\d+\))?$`)
	pciRequirement = regexp.MustCompile(`^v\d+\.\d+(\.\d+)?/\d+(\.\d+)*$`)
)

// cisVersions are the CIS AWS Foundations Benchmark versions Security Hub supports.
var cisVersions = []string{"1.2", "1.4", "3.0", "5.0"}

func TestCatalogMetadata(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range Catalog() {
		if !ruleIDPattern.MatchString(r.ID) {
			t.Errorf("rule ID %q does not match %s", r.ID, ruleIDPattern)
		}
		if ids[r.ID] {
			t.Errorf("rule ID %s appears twice in the catalog", r.ID)
		}
		ids[r.ID] = true
		if got, ok := Lookup(r.ID); !ok || got != r {
			t.Errorf("Lookup(%q) = %v, %v; want the catalog's rule", r.ID, got, ok)
		}
		checkLen := func(field, s string, lo, hi int) {
			if n := utf8.RuneCountInString(s); n < lo || n > hi {
				t.Errorf("%s: %s has %d characters, want %d–%d", r.ID, field, n, lo, hi)
			}
		}
		checkLen("Title", r.Title, 1, 256)
		checkLen("Description", r.Description, 1, 1024)
		checkLen("Remediation", r.Remediation, 1, 512)
		if !strings.HasPrefix(r.URL, "https://docs.aws.amazon.com/") {
			t.Errorf("%s: URL %q is not AWS documentation over https", r.ID, r.URL)
		}
		if r.Evaluate == nil || r.Applies != nil || r.Custom {
			t.Errorf("%s: a built-in rule needs Evaluate and no Applies or Custom", r.ID)
		}
		if r.Scope != ScopeRoot && r.Scope != ScopeUsers {
			t.Errorf("%s: scope %d, want ScopeRoot or ScopeUsers", r.ID, r.Scope)
		}
		if (r.Scope == ScopeRoot) != strings.HasPrefix(r.ID, "ROOT-") {
			t.Errorf("%s: scope %d does not match its family", r.ID, r.Scope)
		}
		names := map[string]bool{}
		for _, th := range r.Thresholds {
			if th.Name == "" || th.Doc == "" || th.Default < 0 || (th.Default == 0) != th.Grace || names[th.Name] {
				t.Errorf("%s: threshold %+v needs a unique name, a Doc and a positive Default (0 for a grace period)", r.ID, th)
			}
			names[th.Name] = true
			// Select rewrites the first mention of the default; a second
			// would be left stating the default.
			if n := strings.Count(r.Title, string(appendDays(nil, th.Default))); n > 1 {
				t.Errorf("%s: title %q names the default %d %d times, want at most once", r.ID, r.Title, th.Default, n)
			}
		}
		for v := range r.Frameworks.CIS {
			if !slices.Contains(cisVersions, v) {
				t.Errorf("%s: CIS version %q, want one of %v", r.ID, v, cisVersions)
			}
		}
		for _, c := range r.Frameworks.NIST80053 {
			if !nistControl.MatchString(c) {
				t.Errorf("%s: NIST 800-53 control %q is malformed", r.ID, c)
			}
		}
		for _, c := range r.Frameworks.PCIDSS {
			if !pciRequirement.MatchString(c) {
				t.Errorf("%s: PCI DSS requirement %q is malformed (want v<version>/<number>)", r.ID, c)
			}
		}
		if n := len(RelatedRequirements(r)); n > MaxRelatedRequirements {
			t.Errorf("%s: %d related requirements, ASFF allows %d", r.ID, n, MaxRelatedRequirements)
		}
	}
}

func TestCatalogControlsUniquePerFramework(t *testing.T) {
	cis := map[string]string{} // "5.0/1.13" → rule
	sh := map[string]string{}
	for _, r := range Catalog() {
		for v, c := range r.Frameworks.CIS {
			if !cisControl.MatchString(c) {
				t.Errorf("%s: CIS %s control %q is malformed", r.ID, v, c)
			}
			if other, dup := cis[v+"/"+c]; dup {
				t.Errorf("CIS %s control %s is claimed by %s and %s", v, c, other, r.ID)
			}
			cis[v+"/"+c] = r.ID
		}
		for _, c := range r.Frameworks.SecurityHub {
			if !securityHubID.MatchString(c) {
				t.Errorf("%s: Security Hub control %q is malformed", r.ID, c)
			}
			if other, dup := sh[c]; dup {
				t.Errorf("Security Hub control %s is claimed by %s and %s", c, other, r.ID)
			}
			sh[c] = r.ID
		}
	}
}

func TestCatalogSeverities(t *testing.T) {
	want := map[string]Severity{
		"ROOT-01": Critical, "ROOT-02": Critical, "ROOT-03": Critical, "ROOT-04": High, "ROOT-05": Medium,
		"USER-01": Medium, "USER-02": Medium, "USER-03": Low, "USER-04": Low, "USER-05": Informational, "USER-06": Low,
		"CRED-01": Medium, "CRED-02": Medium, "CRED-03": Low,
		"KEY-01": Medium, "KEY-02": Medium, "KEY-03": Medium,
		"PWD-01": Low, "PWD-02": Low,
	}
	got := map[string]Severity{}
	for _, r := range Catalog() {
		got[r.ID] = r.Severity
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("catalog severities (-want +got):\n%s", diff)
	}
}

// TestCatalogThresholdDefaults: every threshold is "days", with the
// catalog's default, except the optional grace periods the catalog
// proposes (USER-01 mfaGraceDays, KEY-02 rotationOverlapDays, KEY-03
// graceDays), which are "grace_days", default 0, as CIS has none.
func TestCatalogThresholdDefaults(t *testing.T) {
	want := map[string]int{
		"ROOT-04 days": 90, "USER-04 days": 90, "CRED-01 days": 45, "CRED-02 days": 90, "CRED-03 days": 30, "KEY-01 days": 90, "PWD-01 days": 90, "PWD-02 days": 7,
		"USER-01 grace_days": 0, "KEY-02 grace_days": 0, "KEY-03 grace_days": 0,
	}
	got := map[string]int{}
	for _, r := range Catalog() {
		for _, th := range r.Thresholds {
			if th.Grace != (th.Name == "grace_days") {
				t.Errorf("%s: threshold %q has Grace %t", r.ID, th.Name, th.Grace)
			}
			got[r.ID+" "+th.Name] = th.Default
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("threshold defaults (-want +got):\n%s", diff)
	}
}

func TestProfiles(t *testing.T) {
	cis := []string{"ROOT-01", "ROOT-02", "ROOT-03", "ROOT-04", "USER-01", "CRED-01", "KEY-01", "KEY-02", "KEY-03"}
	var all []string
	for _, r := range Catalog() {
		all = append(all, r.ID)
	}
	want := map[string][]string{
		"recommended": {"ROOT-01", "ROOT-02", "ROOT-03", "ROOT-04", "ROOT-05", "USER-01", "USER-06", "CRED-01", "KEY-01", "KEY-02", "KEY-03", "PWD-02"},
		"cis-1.2":     {"ROOT-01", "ROOT-02", "ROOT-03", "ROOT-04", "USER-01", "CRED-02", "KEY-01", "KEY-03"},
		"cis-1.4":     cis,
		"cis-3.0":     cis,
		"cis-5.0":     cis,
		"fsbp":        {"ROOT-01", "ROOT-03", "USER-01", "CRED-02", "KEY-01"},
		"all":         all,
	}
	if diff := cmp.Diff([]string{"recommended", "cis-1.2", "cis-1.4", "cis-3.0", "cis-5.0", "fsbp", "all"}, ProfileNames()); diff != "" {
		t.Errorf("ProfileNames (-want +got):\n%s", diff)
	}
	if ProfileNames()[0] != DefaultProfile {
		t.Errorf("ProfileNames()[0] = %q, want the default %q", ProfileNames()[0], DefaultProfile)
	}
	for _, name := range ProfileNames() {
		rules, err := Profile(name)
		if err != nil {
			t.Fatalf("Profile(%q): %v", name, err)
		}
		var got []string
		for _, r := range rules {
			if c, ok := Lookup(r.ID); !ok || c != r {
				t.Errorf("profile %s: %s is not the catalog's rule", name, r.ID)
			}
			got = append(got, r.ID)
		}
		if diff := cmp.Diff(want[name], got); diff != "" {
			t.Errorf("profile %s (-want +got):\n%s", name, diff)
		}
	}
	if len(ProfileNames()) != len(want) {
		t.Errorf("ProfileNames has %d profiles, the pinned list %d", len(ProfileNames()), len(want))
	}
}

// TestProfilesMatchFrameworks keeps the framework profiles and the rules'
// control mappings from drifting apart: cis-X holds exactly the rules with a
// CIS X control, fsbp exactly those mapped to an FSBP IAM control.
func TestProfilesMatchFrameworks(t *testing.T) {
	fsbpControls := []string{"IAM.1", "IAM.2", "IAM.3", "IAM.4", "IAM.5", "IAM.6", "IAM.7", "IAM.8", "IAM.21"}
	for _, v := range cisVersions {
		var want []string
		for _, r := range Catalog() {
			if _, ok := r.Frameworks.CIS[v]; ok {
				want = append(want, r.ID)
			}
		}
		if diff := cmp.Diff(want, profileIDs(t, "cis-"+v)); diff != "" {
			t.Errorf("profile cis-%s vs rules with a CIS %s control (-mapped +profile):\n%s", v, v, diff)
		}
	}
	var want []string
	for _, r := range Catalog() {
		if slices.ContainsFunc(r.Frameworks.SecurityHub, func(c string) bool { return slices.Contains(fsbpControls, c) }) {
			want = append(want, r.ID)
		}
	}
	if diff := cmp.Diff(want, profileIDs(t, "fsbp")); diff != "" {
		t.Errorf("profile fsbp vs rules with an FSBP control (-mapped +profile):\n%s", diff)
	}
}

func profileIDs(t *testing.T, name string) []string {
	t.Helper()
	rules, err := Profile(name)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rules {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestProfileUnknown(t *testing.T) {
	_, err := Profile("cis-9.9")
	if err == nil {
		t.Fatal("Profile(\"cis-9.9\") succeeded, want an error")
	}
	for _, name := range ProfileNames() {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list valid profile %q", err, name)
		}
	}
}

func TestProfileIsACopy(t *testing.T) {
	a, _ := Profile("fsbp")
	a[0] = &Pwd02
	b, _ := Profile("fsbp")
	if b[0] != &Root01 {
		t.Errorf("changing a returned profile changed the next one: first rule %s", b[0].ID)
	}
}

func TestLookupUnknown(t *testing.T) {
	if r, ok := Lookup("KEY-99"); ok || r != nil {
		t.Errorf("Lookup(\"KEY-99\") = %v, %v; want nil, false", r, ok)
	}
}

func TestRelatedRequirements(t *testing.T) {
	want := []string{
		"CIS AWS Foundations Benchmark v1.2.0/1.12",
		"CIS AWS Foundations Benchmark v1.4.0/1.4",
		"CIS AWS Foundations Benchmark v3.0.0/1.4",
		"CIS AWS Foundations Benchmark v5.0.0/1.3",
		"NIST.800-53.r5 AC-2(1)", "NIST.800-53.r5 AC-3(15)", "NIST.800-53.r5 AC-3(7)",
		"NIST.800-53.r5 AC-6", "NIST.800-53.r5 AC-6(10)", "NIST.800-53.r5 AC-6(2)",
		"PCI DSS v3.2.1/2.1", "PCI DSS v3.2.1/2.2", "PCI DSS v3.2.1/7.2.1",
		"SOC 2 CC6.1", "SOC 2 CC6.2", "SOC 2 CC6.3", "ISO/IEC 27001:2022 A.5.15",
	}
	if diff := cmp.Diff(want, RelatedRequirements(&Root01)); diff != "" {
		t.Errorf("RelatedRequirements(ROOT-01) (-want +got):\n%s", diff)
	}
	if got := RelatedRequirements(&User03); len(got) != 0 {
		t.Errorf("RelatedRequirements(USER-03) = %q, want none", got)
	}
	if diff := cmp.Diff([]string{"PCI DSS v4.0.1/8.3.9"}, RelatedRequirements(&Pwd01)); diff != "" {
		t.Errorf("RelatedRequirements(PWD-01) (-want +got):\n%s", diff)
	}
}

func TestRelatedRequirementsDedupAndCap(t *testing.T) {
	r := &Rule{Frameworks: Frameworks{
		CIS:       map[string]string{"10.0": "2.1", "5.0": "1.3", "1.2": "1.12"},
		NIST80053: []string{"AC-2", "AC-2"},
		Other:     []string{"NIST.800-53.r5 AC-2", "SOC 2 CC6.1"},
	}}
	want := []string{
		"CIS AWS Foundations Benchmark v1.2.0/1.12",
		"CIS AWS Foundations Benchmark v5.0.0/1.3",
		"CIS AWS Foundations Benchmark v10.0.0/2.1",
		"NIST.800-53.r5 AC-2",
		"SOC 2 CC6.1",
	}
	for range 3 { // map order must not leak into the result
		if diff := cmp.Diff(want, RelatedRequirements(r)); diff != "" {
			t.Fatalf("RelatedRequirements (-want +got):\n%s", diff)
		}
	}
	for i := range 40 {
		r.Frameworks.Other = append(r.Frameworks.Other, "X "+strings.Repeat("x", i))
	}
	if got := RelatedRequirements(r); len(got) != MaxRelatedRequirements || got[0] != want[0] {
		t.Errorf("RelatedRequirements with 45 strings gave %d starting %q, want the first %d", len(got), got[0], MaxRelatedRequirements)
	}
}

// A rule says what it does without the root account facts exactly when
// they can change its verdict, since a live run reads them only for the
// rules that say so (AccountEffects): each rule is run over rows that
// differ in MFA, password and credentials, without the facts, with them
// unread, and with each fact set.
func TestCatalogWithoutAccountNamesTheRulesThatReadIt(t *testing.T) {
	rows := []*credreport.Entry{
		root(), root(mfa(no)), root(mfa(no), passwordEnabled(no)), root(key(1, ago(3), na)), root(cert(1)),
		u(), u(mfa(no)), u(mfa(no), password(ago(100), ago(100))), u(key(1, ago(100), ago(3))),
	}
	accounts := []*Account{nil, {}, {RootVirtualMFA: true}, {RootMFAEnabled: true}, {RootPasswordPresent: true}, {RootVirtualMFA: true, RootMFAEnabled: true, RootPasswordPresent: true}}
	for _, r := range Catalog() {
		s := Select(r, nil)
		reads := false
		for _, e := range rows {
			if (r.Scope == ScopeRoot) != e.IsRoot() {
				continue
			}
			var first Verdict
			for i, acct := range accounts {
				for _, unread := range []bool{false, true} {
					v, err := r.Evaluate(e, Env{AsOf: testAsOf, AccountID: testAccount, Account: acct, AccountUnread: unread && acct == nil, Thresholds: s.Thresholds})
					if err != nil {
						t.Fatalf("%s: %v", r.ID, err)
					}
					if i == 0 && !unread {
						first = v
					} else if v.Status != first.Status || v.Reason != first.Reason {
						reads = true
					}
				}
			}
		}
		if reads != (r.WithoutAccount != "") {
			t.Errorf("%s: its verdicts depend on the account facts: %v; it says what it does without them: %q", r.ID, reads, r.WithoutAccount)
		}
		if r.WithoutAccount != "" && !strings.HasPrefix(r.WithoutAccount, r.ID+" ") {
			t.Errorf("%s: WithoutAccount %q does not name the rule", r.ID, r.WithoutAccount)
		}
	}
	all, err := Profile("all")
	if err != nil {
		t.Fatal(err)
	}
	selected := make([]Selected, len(all))
	for i, r := range all {
		selected[i] = Select(r, nil)
	}
	if got, want := AccountEffects(selected), []string{"ROOT-02 goes by the report alone", "ROOT-03 is NOT_AVAILABLE"}; !slices.Equal(got, want) {
		t.Errorf("AccountEffects(all) = %q, want %q", got, want)
	}
	others := slices.DeleteFunc(selected, func(s Selected) bool { return s.Rule.ID == "ROOT-02" || s.Rule.ID == "ROOT-03" })
	if got := AccountEffects(others); got != nil {
		t.Errorf("AccountEffects without ROOT-02 and ROOT-03 = %q, want none", got)
	}
}
