package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// Root03 flags a root user whose MFA is missing or virtual. The report cannot
// tell hardware from virtual MFA: the rule needs iam:ListVirtualMFADevices
// (Env.Account) and is NOT_AVAILABLE without it. AWS Config
// root-account-hardware-mfa-enabled: "NON_COMPLIANT if any virtual MFA devices
// are permitted for signing in with root credentials".
var Root03 = Rule{
	ID:    "ROOT-03",
	Title: "Root user uses a hardware MFA device",
	Description: "A virtual MFA device lives on a phone or computer that can itself be compromised; CIS (Level 2) asks for hardware MFA on the root user. " +
		"This rule fails when root credentials are present and root has no MFA, or a virtual MFA device is assigned to root. " +
		"It needs iam:ListVirtualMFADevices and iam:GetAccountSummary, so it is NOT_AVAILABLE when only a report file is read. " +
		"Accounts whose root credentials were removed pass.",
	Remediation: "Sign in as the root user, remove any virtual MFA device from Security credentials and assign a hardware TOTP token or FIDO security key instead.",
	URL:         "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_physical.html",
	Severity:    Critical,
	Scope:       ScopeRoot,
	Frameworks: Frameworks{
		CIS:         map[string]string{"1.2": "1.14", "1.4": "1.6", "3.0": "1.6", "5.0": "1.5"},
		SecurityHub: []string{"IAM.6"},
		NIST80053:   []string{"AC-2(1)", "AC-3(15)", "IA-2(1)", "IA-2(2)", "IA-2(6)", "IA-2(8)"},
		PCIDSS:      []string{"v3.2.1/8.3.1", "v4.0.1/8.4.2"},
		Other:       []string{"SOC 2 CC6.6"},
	},
	WithoutAccount: "ROOT-03 is NOT_AVAILABLE",
	Evaluate:       evaluateRoot03,
}

func evaluateRoot03(e *credreport.Entry, env Env) (Verdict, error) {
	switch {
	case env.Account == nil && env.AccountUnread:
		return notAvailable("root hardware MFA needs iam:ListVirtualMFADevices and iam:GetAccountSummary, which this run could not read (its warning says why)")
	case env.Account == nil:
		return notAvailable("root hardware MFA needs iam:ListVirtualMFADevices and iam:GetAccountSummary and cannot be decided from a report file")
	}
	v, decided, what := rootCredentials(e, env)
	// Whether root has MFA is read with the devices, from GetAccountSummary
	// (AccountMFAEnabled), not from the report's mfa_active, which may be
	// hours older: MFA removed since would otherwise pass as hardware.
	// Hardware MFA passes whether root credentials are present or not, so
	// a sentinel that leaves that open decides nothing then.
	mfa := env.Account.RootMFAEnabled
	hardware := mfa && !env.Account.RootVirtualMFA
	switch {
	case decided && (v.Status != NotAvailable || !hardware):
		return v, nil
	case hardware:
		return passed("root has MFA and no virtual MFA device is assigned to it")
	case !mfa:
		return failed("root has no MFA (AccountMFAEnabled is 0) and has " + what)
	}
	return failed("root's MFA device is a virtual MFA device, not hardware")
}
