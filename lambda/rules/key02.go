package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// Key02 flags users with both access keys active. CIS v1.4+ "Ensure there is
// only one active access key available for any single IAM user"; the report's
// two _active flags are equivalent to list-access-keys, as IAM allows two keys.
var Key02 = Rule{
	ID:    "KEY-02",
	Title: "IAM users have at most one active access key",
	Description: "Two active keys double the secrets to protect and usually mean a rotation that was never finished. " +
		"This rule fails for an IAM user whose access_key_1_active and access_key_2_active are both true. " +
		"A rotation in progress fails briefly by design; suppress it with an expiry if needed.",
	Remediation: "Pick the key in use (and less than 90 days old), move every consumer to it, then deactivate and delete the other key.",
	URL:         "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
	Severity:    Medium,
	Scope:       ScopeUsers,
	Frameworks: Frameworks{
		CIS: map[string]string{"1.4": "1.13", "3.0": "1.13", "5.0": "1.12"},
	},
	Evaluate: evaluateKey02,
}

func evaluateKey02(e *credreport.Entry, _ Env) (Verdict, error) {
	k1, k2 := keyFlag(e, 0), keyFlag(e, 1)
	switch {
	case k1 == flagOn && k2 == flagOn:
		return failed("access keys 1 and 2 are both active")
	case k1 == flagOff && k2 == flagOff:
		return passed("no active access key")
	case k1 == flagOff && k2 == flagOn:
		return passed("only access key 2 is active")
	case k2 == flagOff && k1 == flagOn:
		return passed("only access key 1 is active")
	case k1 == flagOff:
		return passed("access key 1 is not active, so at most one key is")
	case k2 == flagOff:
		return passed("access key 2 is not active, so at most one key is")
	case k1 == flagUnknown:
		return undecided(keyActiveColumns[0], e.AccessKeys[0].Active.State)
	}
	return undecided(keyActiveColumns[1], e.AccessKeys[1].Active.State)
}
