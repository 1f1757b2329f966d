package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// Root01 flags an active root access key. CIS: "For the <root_account> user,
// ensure the access_key_1_active and access_key_2_active fields are set to
// FALSE". Inactive root keys pass, as in the CIS credential-report audit.
var Root01 = Rule{
	ID:    "ROOT-01",
	Title: "Root user has no active access keys",
	Description: "An access key for the root user gives whoever holds it unrestricted, MFA-less API access to the whole account. " +
		"This rule fails when access_key_1_active or access_key_2_active is true on the root row of the credential report. " +
		"Inactive root keys are not flagged.",
	Remediation: "Sign in as the root user, open Security credentials and delete both root access keys. " +
		"Use IAM roles or IAM Identity Center for programmatic access instead.",
	URL:      "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_delete-key.html",
	Severity: Critical,
	Scope:    ScopeRoot,
	Frameworks: Frameworks{
		CIS:         map[string]string{"1.2": "1.12", "1.4": "1.4", "3.0": "1.4", "5.0": "1.3"},
		SecurityHub: []string{"IAM.4"},
		NIST80053:   []string{"AC-2(1)", "AC-3(15)", "AC-3(7)", "AC-6", "AC-6(10)", "AC-6(2)"},
		PCIDSS:      []string{"v3.2.1/2.1", "v3.2.1/2.2", "v3.2.1/7.2.1"},
		Other:       []string{"SOC 2 CC6.1", "SOC 2 CC6.2", "SOC 2 CC6.3", "ISO/IEC 27001:2022 A.5.15"},
	},
	Evaluate: evaluateRoot01,
}

func evaluateRoot01(e *credreport.Entry, _ Env) (Verdict, error) {
	on := [2]bool{keyFlag(e, 0) == flagOn, keyFlag(e, 1) == flagOn}
	if on[0] || on[1] {
		return failed(pick(on, "root has active access key 1", "root has active access key 2", "root has active access keys 1 and 2"))
	}
	for i := range 2 {
		if keyFlag(e, i) == flagUnknown {
			return undecided(keyActiveColumns[i], e.AccessKeys[i].Active.State)
		}
	}
	return passed("root has no active access key")
}
