package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// pwd01Days is PCI DSS v4.0.1 8.3.9: passwords used as the only factor are
// changed "at least once every 90 days". Fails at more than 90 days: 90
// passes, 91 fails.
const pwd01Days = 90

// Pwd01 flags single-factor console passwords older than 90 days.
var Pwd01 = Rule{
	ID:    "PWD-01",
	Title: "Single-factor console passwords are changed every 90 days or less",
	Description: "Where a password is the only authentication factor, PCI DSS requires it to be changed at least every 90 days. " +
		"This rule fails for an IAM user whose password_enabled is true, whose mfa_active is false and whose password_last_changed is more than the configured number of days (default 90) ago. " +
		"When password_last_changed holds no time, a user created within that many days passes (the password is no older than the user); an older user cannot be decided. " +
		"Users with MFA pass; USER-01 covers the missing MFA itself.",
	Remediation: "Enable MFA for the user (preferred), or have the user change the password and set an account password policy with a maximum password age of 90 days.",
	URL:         "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html",
	Severity:    Low,
	Scope:       ScopeUsers,
	Frameworks: Frameworks{
		PCIDSS: []string{"v4.0.1/8.3.9"},
	},
	Thresholds: []Threshold{{Name: "days", Default: pwd01Days, Doc: "fails when a single-factor password was last changed more than 90 days ago (90 passes, 91 fails)"}},
	Evaluate:   evaluatePwd01,
}

func evaluatePwd01(e *credreport.Entry, env Env) (Verdict, error) {
	days := threshold(env, "days", pwd01Days)
	pw, mfa := passwordFlag(e), flagOf(e.MFAActive)
	switch {
	case pw == flagOff:
		return passed("no console password")
	case mfa == flagOn:
		return passed("MFA is active")
	}
	changed, ok := e.PasswordLastChanged.Get()
	if !ok {
		// The password is no older than the user: a young user passes
		// whatever password_last_changed holds; for an older one, the
		// user's age says nothing of the password's.
		if created, ok := e.UserCreationTime.Get(); ok && env.AgeDays(created) <= days {
			return passed(env.withDaysAgo(credreport.ColPasswordLastChanged+" is "+e.PasswordLastChanged.State.String()+"; user created ", env.AgeDays(created), ""))
		}
		return undecided(credreport.ColPasswordLastChanged, e.PasswordLastChanged.State)
	}
	age := env.AgeDays(changed)
	if age <= days {
		return passed(env.withDaysAgo("password last changed ", age, ""))
	}
	switch {
	case pw == flagUnknown:
		return undecided(credreport.ColPasswordEnabled, e.PasswordEnabled.State)
	case mfa == flagUnknown:
		return undecided(credreport.ColMFAActive, e.MFAActive.State)
	}
	return failed(env.withDaysAgo("no MFA and password last changed ", age, ""))
}
