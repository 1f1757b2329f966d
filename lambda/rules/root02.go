package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// Root02 flags a root user without MFA while root credentials exist. CIS v5.0:
// "ensure the mfa_active field is set to TRUE or the password_enabled field is
// set to FALSE"; Security Hub IAM.9 passes accounts whose root credentials were
// removed (centralized root access).
var Root02 = Rule{
	ID:    "ROOT-02",
	Title: "Root user has MFA enabled",
	Description: "The root user can do anything in the account; without MFA a leaked password is enough to take it over. " +
		"This rule fails when mfa_active is false on the root row and root credentials are present: a password, an active access key or an active signing certificate. " +
		"The report writes not_supported for the root password, so a password is assumed unless GetAccountSummary says none is present. " +
		"Accounts whose root credentials were removed pass. In AWS GovCloud (US), whose root user has no console access, the result from the report alone is NOT_AVAILABLE unless a root access key or certificate is active.",
	Remediation: "Sign in as the root user and assign an MFA device (preferably a FIDO security key or hardware token) under Security credentials, " +
		"or remove the root credentials through centralized root access in AWS Organizations.",
	URL:      "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable.html",
	Severity: Critical,
	Scope:    ScopeRoot,
	Frameworks: Frameworks{
		CIS:         map[string]string{"1.2": "1.13", "1.4": "1.5", "3.0": "1.5", "5.0": "1.4"},
		SecurityHub: []string{"IAM.9"},
		NIST80053:   []string{"AC-2(1)", "AC-3(15)", "IA-2(1)", "IA-2(2)", "IA-2(6)", "IA-2(8)"},
		PCIDSS:      []string{"v3.2.1/8.3.1", "v4.0.1/8.4.2"},
		Other:       []string{"SOC 2 CC6.6", "ISO/IEC 27001:2022 A.5.17", "ISO/IEC 27001:2022 A.8.5"},
	},
	WithoutAccount: "ROOT-02 goes by the report alone",
	Evaluate:       evaluateRoot02,
}

func evaluateRoot02(e *credreport.Entry, env Env) (Verdict, error) {
	if e.MFAActive.True() {
		return passed("root has MFA enabled")
	}
	v, decided, what := rootCredentials(e, env)
	if decided {
		return v, nil
	}
	if e.MFAActive.State != credreport.Set {
		return undecided(credreport.ColMFAActive, e.MFAActive.State)
	}
	return failed("root has no MFA and has " + what)
}
