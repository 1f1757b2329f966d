package rules

import (
	"fmt"
	"slices"
	"strings"
)

// DefaultProfile is the profile a run uses when none is configured.
const DefaultProfile = "recommended"

// profiles are the named rule sets, in the order ProfileNames lists them.
// Each CIS profile is the rules that carry a control number for that version;
// fsbp is the rules whose Security Hub control is in the AWS Foundational
// Security Best Practices standard (IAM.3, IAM.4, IAM.5, IAM.6, IAM.8). The
// catalog test checks both.
var profiles = []struct {
	name  string
	rules []*Rule
}{
	// recommended: CIS 5.0 plus the root and user signing-certificate checks
	// and password expiry, which cost nothing and are rarely legitimate.
	{DefaultProfile, []*Rule{&Root01, &Root02, &Root03, &Root04, &Root05, &User01, &User06, &Cred01, &Key01, &Key02, &Key03, &Pwd02}},
	{"cis-1.2", []*Rule{&Root01, &Root02, &Root03, &Root04, &User01, &Cred02, &Key01, &Key03}},
	{"cis-1.4", []*Rule{&Root01, &Root02, &Root03, &Root04, &User01, &Cred01, &Key01, &Key02, &Key03}},
	{"cis-3.0", []*Rule{&Root01, &Root02, &Root03, &Root04, &User01, &Cred01, &Key01, &Key02, &Key03}},
	{"cis-5.0", []*Rule{&Root01, &Root02, &Root03, &Root04, &User01, &Cred01, &Key01, &Key02, &Key03}},
	{"fsbp", []*Rule{&Root01, &Root03, &User01, &Cred02, &Key01}},
	{"all", Catalog()},
}

// Profile returns the rules of the named profile, in catalog order. The slice
// is the caller's; the rules are shared and must not be modified.
func Profile(name string) ([]*Rule, error) {
	for _, p := range profiles {
		if p.name == name {
			return slices.Clone(p.rules), nil
		}
	}
	return nil, fmt.Errorf("unknown rule profile %q (want one of %s)", name, strings.Join(ProfileNames(), ", "))
}

// ProfileNames lists the profile names, the default first.
func ProfileNames() []string {
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.name
	}
	return names
}
