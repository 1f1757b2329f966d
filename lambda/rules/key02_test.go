package rules

import "testing"

func TestKey02(t *testing.T) {
	runRuleCases(t, &Key02, []ruleCase{
		{name: "both access keys active fails", entry: u(key(1, ago(10), ago(1)), key(2, ago(5), na)), want: Failed, reason: "access keys 1 and 2 are both active"},
		{name: "only access key 1 active passes", entry: u(key(1, ago(10), ago(1))), want: Passed, reason: "only access key 1 is active"},
		{name: "only access key 2 active passes", entry: u(key(2, ago(10), ago(1))), want: Passed, reason: "only access key 2 is active"},
		{name: "one active and one inactive key passes", entry: u(key(1, ago(10), ago(1)), inactiveKey(2, ago(200), ago(100))), want: Passed, reason: "only access key 1 is active"},
		{name: "no access keys passes", entry: u(), want: Passed, reason: "no active access key"},
		{name: "access_key_1_active N/A beside an active key 2 is not available", entry: u(keyActive(1, flagNA), key(2, ago(10), ago(1))), want: NotAvailable, reason: "access_key_1_active is N/A"},
		{name: "access_key_2_active no_information beside an inactive key 1 passes", entry: u(keyActive(2, flagNoInfo)), want: Passed, reason: "access key 1 is not active"},
		{name: "both flags not_supported is not available", entry: u(keyActive(1, flagNotSupp), keyActive(2, flagNotSupp)), want: NotAvailable, reason: "access_key_1_active is not_supported"},
	})
}
