package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// cred01Days is CIS v1.4+ "Ensure credentials unused for 45 days or more are
// disabled": "ensure password_last_used_date is less than 45 days ago".
// Fails at 45 days or more: 44 passes, 45 fails.
const cred01Days = 45

// Cred01 flags enabled credentials unused for 45 days or more. Never-used
// credentials count from when they were set (password_last_changed,
// access_key_N_last_rotated), else from user_creation_time, as CIS audits.
var Cred01 = Rule{
	ID:    "CRED-01",
	Title: "Credentials unused for 45 days or more are disabled",
	Description: "Unused passwords and access keys widen the window in which a leaked or abandoned credential can be used. " +
		"This rule fails for an IAM user with an enabled password or active access key whose last use is the configured number of days (default 45) ago or more. " +
		"A never-used password counts from password_last_changed and a never-used key from access_key_N_last_rotated, else from user_creation_time. " +
		"Inactive keys and disabled passwords are ignored.",
	Remediation: "Remove the console password of users who no longer sign in and deactivate or delete access keys that are not used. " +
		"The reason lists each offending credential.",
	URL:      "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html",
	Severity: Medium,
	Scope:    ScopeUsers,
	Frameworks: Frameworks{
		CIS:         map[string]string{"1.4": "1.12", "3.0": "1.12", "5.0": "1.11"},
		SecurityHub: []string{"IAM.22"},
		PCIDSS:      []string{"v4.0.1/8.2.6"},
		Other:       []string{"NIST.800-171.r2 3.1.2", "ISO/IEC 27001:2022 A.5.15"},
	},
	Thresholds: []Threshold{{Name: "days", Default: cred01Days, Doc: "fails when an enabled credential is unused for 45 days or more (44 passes, 45 fails)"}},
	Evaluate:   evaluateCred01,
}

func evaluateCred01(e *credreport.Entry, env Env) (Verdict, error) {
	return evaluateUnused(e, env, threshold(env, "days", cred01Days))
}
