package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// pwd02Days is the expiry warning: fails when password_next_rotation is less
// than 7 days after the report, or already past (Trend Micro Conformity
// IAM-039 "IAM User Password Expiry 7 Days"). Exactly 7 days ahead passes.
const pwd02Days = 7

// Pwd02 flags console passwords that expired or expire soon under the
// account's password policy, before the user is locked out mid-task.
var Pwd02 = Rule{
	ID:    "PWD-02",
	Title: "Console passwords are not expired or about to expire",
	Description: "When the account password policy sets a maximum password age, an expired password blocks the user at sign-in (or locks them out if administrator reset is required). " +
		"This rule fails for an IAM user whose password_enabled is true and whose password_next_rotation is less than the configured number of days (default 7) after the report, or already past. " +
		"Without a rotation policy (password_next_rotation N/A) it passes.",
	Remediation: "Ask the user to change the password before it expires, or reset it for them if it already has.",
	URL:         "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_admin-change-user.html",
	Severity:    Low,
	Scope:       ScopeUsers,
	Frameworks:  Frameworks{},
	Thresholds:  []Threshold{{Name: "days", Default: pwd02Days, Doc: "fails when the password expires less than 7 days after the report, or already expired (exactly 7 days passes)"}},
	Evaluate:    evaluatePwd02,
}

// noRotationPolicy is the passing reason for each sentinel of
// password_next_rotation.
var noRotationPolicy = [...]string{
	credreport.NotApplicable: "no rotation policy (password_next_rotation is N/A)",
	credreport.NoInformation: "no rotation policy (password_next_rotation is no_information)",
	credreport.NotSupported:  "no rotation policy (password_next_rotation is not_supported)",
}

func evaluatePwd02(e *credreport.Entry, env Env) (Verdict, error) {
	days := threshold(env, "days", pwd02Days)
	pw := passwordFlag(e)
	if pw == flagOff {
		return passed("no console password")
	}
	next, ok := e.PasswordNextRotation.Get()
	if !ok {
		return passed(noRotationPolicy[e.PasswordNextRotation.State])
	}
	left := env.daysUntil(next) // whole days, exact however far ahead
	if left >= days {
		return passed(env.withDays("password expires in ", left, ""))
	}
	if pw == flagUnknown {
		return undecided(credreport.ColPasswordEnabled, e.PasswordEnabled.State)
	}
	switch {
	case !next.After(env.AsOf):
		return failed(env.withDaysAgo("password expired ", env.AgeDays(next), ""))
	case left == 0:
		return failed("password expires in less than a day")
	}
	return failed(env.withDays("password expires in ", left, ""))
}
