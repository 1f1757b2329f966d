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
		"This rule fails for an IAM user whose password_enabled is true, whose mfa_active is false and whose password_last_changed (else user_creation_time) is more than the configured number of days (default 90) ago. " +
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
	what, r := pwd01Changed, createdRef(e)
	if t, ok := e.PasswordLastChanged.Get(); ok {
		r = ref{t, refSet}
	} else {
		what = pwd01NeverChanged
	}
	if r.kind == refMissing {
		return notAvailable("password has no last-changed or user-creation time")
	}
	age := env.AgeDays(r.t)
	if age <= days {
		return passed(env.withDaysAgo(what.passed, age, ""))
	}
	switch {
	case pw == flagUnknown:
		return undecided(credreport.ColPasswordEnabled, e.PasswordEnabled.State)
	case mfa == flagUnknown:
		return undecided(credreport.ColMFAActive, e.MFAActive.State)
	}
	return failed(env.withDaysAgo(what.failed, age, ""))
}

// pwd01Age is how PWD-01's reasons introduce the password's age, when the
// rule passes and when it fails (written out, so a verdict copies no text).
type pwd01Age struct{ passed, failed string }

var (
	pwd01Changed      = pwd01Age{"password last changed ", "no MFA and password last changed "}
	pwd01NeverChanged = pwd01Age{"password never changed; user created ", "no MFA and password never changed; user created "}
)
