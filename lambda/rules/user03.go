package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// User03 flags users who hold both a console password and an active access
// key: a human identity that also signs API calls with long-term keys.
var User03 = Rule{
	ID:    "USER-03",
	Title: "Console users do not also hold active access keys",
	Description: "Mixing console and programmatic credentials on one identity makes keys outlive their purpose and blurs who did what. " +
		"This rule fails for an IAM user whose password_enabled is true and who has an active access key. It includes keys that are in use, unlike KEY-03.",
	Remediation: "Give people console access through IAM Identity Center and short-term credentials, and move workloads to IAM roles. " +
		"Deactivate and delete the user's access keys, or remove the console password from a service user.",
	URL:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
	Severity:   Low,
	Scope:      ScopeUsers,
	Frameworks: Frameworks{},
	Evaluate:   evaluateUser03,
}

func evaluateUser03(e *credreport.Entry, _ Env) (Verdict, error) {
	pw := passwordFlag(e)
	if pw == flagOff {
		return passed("no console password")
	}
	on := [2]bool{keyFlag(e, 0) == flagOn, keyFlag(e, 1) == flagOn}
	if (on[0] || on[1]) && pw == flagOn {
		return failed(pick(on, "console password enabled and access key 1 active", "console password enabled and access key 2 active",
			"console password enabled and access keys 1 and 2 active"))
	}
	if on[0] || on[1] {
		// A key is known active, so the password alone decides, whatever
		// the other key's flag holds.
		return undecided(credreport.ColPasswordEnabled, e.PasswordEnabled.State)
	}
	for i := range 2 {
		if keyFlag(e, i) == flagUnknown {
			return undecided(keyActiveColumns[i], e.AccessKeys[i].Active.State)
		}
	}
	return passed("no active access key")
}
