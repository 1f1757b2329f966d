package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// cred03Days is how long a credential may stay unused after it was set: fails
// when an enabled credential was never used and was set 30 days ago or more
// (an early warning ahead of CRED-01). 29 passes, 30 fails.
const cred03Days = 30

// Cred03 flags enabled credentials that were never used since they were set:
// a password never signed in with, an access key never called with.
var Cred03 = Rule{
	ID:    "CRED-03",
	Title: "Credentials are used within 30 days of being set",
	Description: "A password nobody signed in with or an access key nobody called with is usually unneeded, and may have been handed to the wrong place. " +
		"This rule fails for an IAM user with an enabled password whose password_last_used holds no time, or an active access key whose access_key_N_last_used_date holds no time, " +
		"when it was set (password_last_changed or access_key_N_last_rotated, else user_creation_time) the configured number of days (default 30) ago or more.",
	Remediation: "Ask the owner whether the credential is needed; remove the console password or deactivate and delete the access key if it is not.",
	URL:         "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html",
	Severity:    Low,
	Scope:       ScopeUsers,
	Frameworks:  Frameworks{},
	Thresholds:  []Threshold{{Name: "days", Default: cred03Days, Doc: "fails when an enabled credential was never used and was set 30 days ago or more (29 passes, 30 fails)"}},
	Evaluate:    evaluateCred03,
}

func evaluateCred03(e *credreport.Entry, env Env) (Verdict, error) {
	days := threshold(env, "days", cred03Days)
	var sc ageScan
	sc.scan(e, env, days, true)
	if v, decided := sc.verdict(e, env, days, "never used and set ", " ago or more: "); decided {
		return v, nil
	}
	if !sc.considered {
		return passed("every enabled password and access key has been used")
	}
	var buf [96]byte
	return passed(env.text(sc.oldest.appendTo(buf[:0])))
}
