package rules

import "testing"

func TestUser05(t *testing.T) {
	const none = "no enabled password, active access key or active signing certificate"
	runRuleCases(t, &User05, []ruleCase{
		{name: "user without any credential fails", entry: u(), want: Failed, reason: none},
		{name: "inactive keys and certificates do not count", entry: u(inactiveKey(1, ago(10), ago(3)), inactiveKey(2, ago(10), na), inactiveCert(2)), want: Failed, reason: none},
		{name: "console password passes", entry: u(password(ago(1), ago(10))), want: Passed, reason: "console password enabled"},
		{name: "active access key 2 passes", entry: u(key(2, ago(10), na)), want: Passed, reason: "access key 2 is active"},
		{name: "active signing certificate 1 passes", entry: u(cert(1)), want: Passed, reason: "signing certificate 1 is active"},
		{name: "password_enabled not_supported is not available", entry: u(passwordEnabled(flagNotSupp)), want: NotAvailable, reason: "password_enabled is not_supported"},
		{name: "password_enabled not_supported beside an active key passes", entry: u(passwordEnabled(flagNotSupp), key(1, ago(10), na)), want: Passed, reason: "access key 1 is active"},
		{name: "access_key_1_active no_information is not available", entry: u(keyActive(1, flagNoInfo)), want: NotAvailable, reason: "access_key_1_active is no_information"},
		{name: "cert_2_active N/A is not available", entry: u(certActive(2, flagNA)), want: NotAvailable, reason: "cert_2_active is N/A"},
	})
}
