package rules

import "testing"

func TestUser03(t *testing.T) {
	pw := password(ago(1), ago(10))
	runRuleCases(t, &User03, []ruleCase{
		{name: "console password and active access key 1 fails", entry: u(pw, key(1, ago(10), ago(1))), want: Failed, reason: "console password enabled and access key 1 active"},
		{name: "console password and both keys active fails naming both", entry: u(pw, key(1, ago(10), ago(1)), key(2, ago(5), na)), want: Failed, reason: "access keys 1 and 2 active"},
		{name: "console password with inactive keys passes", entry: u(pw, inactiveKey(1, ago(10), ago(1)), inactiveKey(2, ago(10), na)), want: Passed, reason: "no active access key"},
		{name: "console password alone passes", entry: u(pw), want: Passed, reason: "no active access key"},
		{name: "active key without a console password passes", entry: u(key(2, ago(10), ago(1))), want: Passed, reason: "no console password"},
		{name: "password_enabled not_supported with an active key is not available", entry: u(passwordEnabled(flagNotSupp), key(1, ago(10), ago(1))), want: NotAvailable, reason: "password_enabled is not_supported"},
		{name: "password_enabled N/A without keys passes", entry: u(passwordEnabled(flagNA)), want: Passed, reason: "no active access key"},
		{name: "access_key_1_active N/A with a console password is not available", entry: u(pw, keyActive(1, flagNA)), want: NotAvailable, reason: "access_key_1_active is N/A"},
		{name: "access_key_2_active no_information does not hide an active key 1", entry: u(pw, key(1, ago(10), ago(1)), keyActive(2, flagNoInfo)), want: Failed, reason: "access key 1 active"},
		// Key 1 is known active, so only the password decides: the reason
		// names it, not key 2's sentinel.
		{name: "password_enabled N/A, key 1 active, access_key_2_active not_supported names the password", entry: u(passwordEnabled(flagNA), key(1, ago(10), ago(1)), keyActive(2, flagNotSupp)), want: NotAvailable, reason: "password_enabled is N/A"},
		{name: "password_enabled N/A, no key known active, access_key_2_active not_supported names key 2", entry: u(passwordEnabled(flagNA), keyActive(2, flagNotSupp)), want: NotAvailable, reason: "access_key_2_active is not_supported"},
	})
}
