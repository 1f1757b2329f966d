package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// User02 flags every IAM user without MFA, whatever their credentials (AWS
// Config iam-user-mfa-enabled, Security Hub IAM.19). Key-only service users
// fail by design, which is why it is in no CIS profile.
var User02 = Rule{
	ID:    "USER-02",
	Title: "IAM users have MFA enabled",
	Description: "MFA on every IAM user limits what a leaked credential can do, including API calls that require MFA through policy conditions. " +
		"This rule fails for an IAM user whose mfa_active is false in the credential report, whatever credentials the user has.",
	Remediation: "Assign an MFA device to the user under Security credentials. For service users that only hold access keys, prefer IAM roles and delete the user.",
	URL:         "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable.html",
	Severity:    Medium,
	Scope:       ScopeUsers,
	Frameworks: Frameworks{
		SecurityHub: []string{"IAM.19"},
		NIST80053:   []string{"AC-2(1)", "AC-3(15)", "IA-2(1)", "IA-2(2)", "IA-2(6)", "IA-2(8)"},
		PCIDSS:      []string{"v3.2.1/8.3.1", "v4.0.1/8.4.2"},
		Other:       []string{"NIST.800-171.r2 3.3.8", "NIST.800-171.r2 3.5.3", "NIST.800-171.r2 3.5.4", "NIST.800-171.r2 3.7.5"},
	},
	Evaluate: evaluateUser02,
}

func evaluateUser02(e *credreport.Entry, _ Env) (Verdict, error) {
	switch flagOf(e.MFAActive) {
	case flagOn:
		return passed("MFA is active")
	case flagOff:
		return failed("MFA is not active")
	}
	return undecided(credreport.ColMFAActive, e.MFAActive.State)
}
