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
	Evaluate: evaluateRoot03,
}

func evaluateRoot03(e *credreport.Entry, env Env) (Verdict, error) {
	if env.Account == nil {
		return notAvailable("root hardware MFA needs iam:ListVirtualMFADevices and iam:GetAccountSummary and cannot be decided from a report file")
	}
	v, decided, what := rootCredentials(e, env)
	if decided {
		if v.Status == NotAvailable && e.MFAActive.True() && !env.Account.RootVirtualMFA {
			// Whether a key's or certificate's sentinel flag makes root
			// credentials present or not, hardware MFA passes.
			return passed("root has MFA and no virtual MFA device is assigned to it")
		}
		return v, nil
	}
	switch flagOf(e.MFAActive) {
	case flagOff:
		return failed("root has no MFA and has " + what)
	case flagUnknown:
		// A virtual device assigned to root fails with MFA or without:
		// the sentinel decides nothing then.
		if !env.Account.RootVirtualMFA {
			return undecided(credreport.ColMFAActive, e.MFAActive.State)
		}
	}
	if env.Account.RootVirtualMFA {
		return failed("root's MFA device is a virtual MFA device, not hardware")
	}
	return passed("root has MFA and no virtual MFA device is assigned to it")
}
