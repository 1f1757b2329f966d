package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// User01 flags console users without MFA. CIS: "For any column having
// password_enabled set to true, ensure mfa_active is also set to true."
var User01 = Rule{
	ID:    "USER-01",
	Title: "IAM users with a console password have MFA enabled",
	Description: "A console password alone can be phished, guessed or reused from another breach. " +
		"This rule fails for an IAM user whose password_enabled is true and mfa_active is false in the credential report. " +
		"Any MFA type counts (virtual, FIDO security key or hardware). " +
		"An optional grace period (grace_days; none by default, as in CIS) passes a user created fewer than that many days ago.",
	Remediation: "Have the user assign an MFA device under Security credentials, or enforce MFA self-enrolment with a policy that denies everything but MFA setup until MFA is present. " +
		"Remove the console password if the user does not need console access.",
	URL:      "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable.html",
	Severity: Medium,
	Scope:    ScopeUsers,
	Frameworks: Frameworks{
		CIS:         map[string]string{"1.2": "1.2", "1.4": "1.10", "3.0": "1.10", "5.0": "1.9"},
		SecurityHub: []string{"IAM.5"},
		NIST80053:   []string{"AC-2(1)", "AC-3(15)", "IA-2(1)", "IA-2(2)", "IA-2(6)", "IA-2(8)"},
		PCIDSS:      []string{"v4.0.1/8.4.2"},
		Other:       []string{"SOC 2 CC6.6", "ISO/IEC 27001:2022 A.5.17", "ISO/IEC 27001:2022 A.8.5"},
	},
	Thresholds: []Threshold{{Name: graceDays, Default: 0, Grace: true, Alias: "mfa_grace_days",
		Doc: "with a grace period of n days, passes a user created less than n days ago (n−1 days passes, n fails)"}},
	Evaluate: evaluateUser01,
}

func evaluateUser01(e *credreport.Entry, env Env) (Verdict, error) {
	pw, mfa := passwordFlag(e), flagOf(e.MFAActive)
	switch {
	case pw == flagOff:
		return passed("no console password")
	case mfa == flagOn:
		return passed("MFA is active")
	}
	// The grace period counts from user_creation_time, not the catalog's
	// password_last_changed: a password reset, which a user without MFA may
	// do themselves, would otherwise start it again.
	if grace := threshold(env, graceDays, 0); grace > 0 {
		t, ok := e.UserCreationTime.Get()
		if ok && env.AgeDays(t) < grace {
			var buf [160]byte
			b := buf[:0]
			if mfa == flagOff {
				b = append(b, "MFA not active, "...)
			} else {
				b = eitherWay(b, credreport.ColMFAActive, e.MFAActive.State)
			}
			b = appendDaysAgo(append(b, "user created "...), env.AgeDays(t))
			return passed(env.text(appendGrace(b, grace)))
		}
		if !ok && pw == flagOn && mfa == flagOff {
			return undecided(credreport.ColUserCreationTime, e.UserCreationTime.State)
		}
	}
	switch {
	case pw == flagOn && mfa == flagOff:
		return failed("console password enabled and MFA not active")
	case pw == flagUnknown:
		return undecided(credreport.ColPasswordEnabled, e.PasswordEnabled.State)
	}
	return undecided(credreport.ColMFAActive, e.MFAActive.State)
}
