package rules

import "testing"

func TestUser01(t *testing.T) {
	runRuleCases(t, &User01, []ruleCase{
		{name: "console password without MFA fails", entry: u(password(ago(1), ago(10))), want: Failed, reason: "console password enabled and MFA not active"},
		{name: "never-used console password without MFA fails", entry: u(password(noInfo, ago(3))), want: Failed, reason: "MFA not active"},
		{name: "console password with MFA passes", entry: u(password(ago(1), ago(10)), mfa(yes)), want: Passed, reason: "MFA is active"},
		{name: "user without a console password passes", entry: u(), want: Passed, reason: "no console password"},
		{name: "key-only user without MFA passes", entry: u(key(1, ago(10), ago(1))), want: Passed, reason: "no console password"},
		{name: "password_enabled not_supported without MFA is not available", entry: u(passwordEnabled(flagNotSupp)), want: NotAvailable, reason: "password_enabled is not_supported"},
		{name: "password_enabled N/A with MFA passes", entry: u(passwordEnabled(flagNA), mfa(yes)), want: Passed, reason: "MFA is active"},
		{name: "mfa_active no_information with a console password is not available", entry: u(password(ago(1), ago(10)), mfa(flagNoInfo)), want: NotAvailable, reason: "mfa_active is no_information"},
		{name: "mfa_active N/A without a console password passes", entry: u(mfa(flagNA)), want: Passed, reason: "no console password"},
	})
}
