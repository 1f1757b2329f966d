package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// cred02Days is CIS v1.2.0 1.3 "Ensure credentials unused for 90 days or
// greater are disabled" and Security Hub IAM.8 ("not used for 90 days").
// Fails at 90 days or more: 89 passes, 90 fails.
const cred02Days = 90

// Cred02 is CRED-01 at 90 days, kept separate so its framework mappings
// (IAM.8, CIS v1.2.0) stay accurate: a 60-day-idle key fails CRED-01 only.
var Cred02 = Rule{
	ID:    "CRED-02",
	Title: "Credentials unused for 90 days or more are removed",
	Description: "Unused passwords and access keys widen the window in which a leaked or abandoned credential can be used. " +
		"This rule fails for an IAM user with an enabled password or active access key whose last use is the configured number of days (default 90) ago or more. " +
		"A never-used password counts from password_last_changed and a never-used key from access_key_N_last_rotated, else from user_creation_time. " +
		"Inactive keys and disabled passwords are ignored.",
	Remediation: "Remove the console password of users who no longer sign in and deactivate or delete access keys that are not used. " +
		"The reason lists each offending credential.",
	URL:      "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html",
	Severity: Medium,
	Scope:    ScopeUsers,
	Frameworks: Frameworks{
		CIS:         map[string]string{"1.2": "1.3"},
		SecurityHub: []string{"IAM.8"},
		NIST80053:   []string{"AC-2", "AC-2(1)", "AC-2(3)", "AC-3", "AC-3(15)", "AC-3(7)", "AC-6"},
		PCIDSS:      []string{"v3.2.1/8.1.4", "v4.0.1/8.2.6"},
		Other:       []string{"NIST.800-171.r2 3.1.2", "SOC 2 CC6.1", "SOC 2 CC6.2", "SOC 2 CC6.3"},
	},
	Thresholds: []Threshold{{Name: "days", Default: cred02Days, Doc: "fails when an enabled credential is unused for 90 days or more (89 passes, 90 fails)"}},
	Evaluate:   evaluateCred02,
}

func evaluateCred02(e *credreport.Entry, env Env) (Verdict, error) {
	return evaluateUnused(e, env, threshold(env, "days", cred02Days))
}
