package rules

import "testing"

func TestUser02(t *testing.T) {
	runRuleCases(t, &User02, []ruleCase{
		{name: "user with MFA passes", entry: u(mfa(yes)), want: Passed, reason: "MFA is active"},
		{name: "console user without MFA fails", entry: u(password(ago(1), ago(10))), want: Failed, reason: "MFA is not active"},
		{name: "key-only service user without MFA fails", entry: u(key(1, ago(10), ago(1))), want: Failed, reason: "MFA is not active"},
		{name: "user without any credential and without MFA fails", entry: u(), want: Failed, reason: "MFA is not active"},
		{name: "mfa_active N/A is not available", entry: u(mfa(flagNA)), want: NotAvailable, reason: "mfa_active is N/A"},
		{name: "mfa_active no_information is not available", entry: u(mfa(flagNoInfo)), want: NotAvailable, reason: "mfa_active is no_information"},
		{name: "mfa_active not_supported is not available", entry: u(mfa(flagNotSupp)), want: NotAvailable, reason: "mfa_active is not_supported"},
	})
}
