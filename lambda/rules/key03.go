package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// Key03 flags console users with an active access key that was never used.
// CIS v1.4+: "For any user having password_enabled set to true AND
// access_key_last_used_date set to N/A refer to the remediation" (keys created
// with the user at setup and never needed).
var Key03 = Rule{
	ID:    "KEY-03",
	Title: "Console users have no unused access keys from initial setup",
	Description: "Creating an access key along with a console user by default leaves a long-term secret that nobody needs. " +
		"This rule fails for an IAM user whose password_enabled is true and who has an active access key whose access_key_N_last_used_date holds no time (N/A: never used, or last used before April 2015). " +
		"It fires as soon as such a key exists.",
	Remediation: "Delete access keys that were created with the user and never used. Create keys only when a workload needs one, and prefer IAM roles.",
	URL:         "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
	Severity:    Medium,
	Scope:       ScopeUsers,
	Frameworks: Frameworks{
		CIS: map[string]string{"1.2": "1.21", "1.4": "1.11", "3.0": "1.11", "5.0": "1.10"},
	},
	Evaluate: evaluateKey03,
}

func evaluateKey03(e *credreport.Entry, _ Env) (Verdict, error) {
	pw := passwordFlag(e)
	if pw == flagOff {
		return passed("no console password")
	}
	var unused [2]bool
	anyActive, unknown := false, -1
	for i := range 2 {
		k := keyFlag(e, i)
		anyActive = anyActive || k == flagOn
		if e.AccessKeys[i].LastUsedDate.State == credreport.Set {
			continue
		}
		switch k {
		case flagOn:
			unused[i] = true
		case flagUnknown:
			if unknown < 0 {
				unknown = i
			}
		}
	}
	if (unused[0] || unused[1]) && pw == flagOn {
		return failed(pick(unused, "console password enabled and access key 1 never used", "console password enabled and access key 2 never used",
			"console password enabled and access keys 1 and 2 never used"))
	}
	switch {
	case unknown >= 0:
		return undecided(keyActiveColumns[unknown], e.AccessKeys[unknown].Active.State)
	case unused[0] || unused[1]:
		return undecided(credreport.ColPasswordEnabled, e.PasswordEnabled.State)
	case !anyActive:
		return passed("no active access key")
	}
	return passed("every active access key has been used")
}
