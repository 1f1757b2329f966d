package rules

// Catalog returns every built-in rule, in report order: root rules, user
// rules, credential-age rules, access-key rules, password rules. It is the one
// list of built-in rules; nothing registers itself.
func Catalog() []*Rule {
	return []*Rule{
		&Root01, // root has an active access key
		&Root02, // root without MFA while root credentials exist
		&Root03, // root MFA missing or virtual (needs ListVirtualMFADevices)
		&Root04, // root used recently
		&Root05, // root has an active signing certificate
		&User01, // console password without MFA
		&User02, // any user without MFA
		&User03, // console password and an active access key
		&User04, // enabled credentials but no recent activity
		&User05, // no enabled credential at all
		&User06, // active signing certificate
		&Cred01, // credential unused for 45 days or more
		&Cred02, // credential unused for 90 days or more
		&Cred03, // credential never used 30 days after being set
		&Key01,  // active access key older than 90 days
		&Key02,  // both access keys active
		&Key03,  // console user with a never-used active access key
		&Pwd01,  // single-factor password older than 90 days
		&Pwd02,  // password expired or expiring within 7 days
	}
}

// Lookup returns the built-in rule with the given ID ("KEY-01").
func Lookup(id string) (*Rule, bool) {
	for _, r := range Catalog() {
		if r.ID == id {
			return r, true
		}
	}
	return nil, false
}
