package rules

import "testing"

func TestRoot01(t *testing.T) {
	runRuleCases(t, &Root01, []ruleCase{
		{name: "root without access keys passes", entry: root(), want: Passed, reason: "root has no active access key"},
		{name: "active access key 1 fails", entry: root(key(1, ago(10), ago(1))), want: Failed, reason: "root has active access key 1"},
		{name: "active access key 2 fails", entry: root(key(2, ago(10), na)), want: Failed, reason: "root has active access key 2"},
		{name: "both access keys active fails naming both", entry: root(key(1, ago(10), na), key(2, ago(5), na)), want: Failed, reason: "access keys 1 and 2"},
		{name: "inactive root keys are ignored", entry: root(inactiveKey(1, ago(900), ago(800)), inactiveKey(2, ago(10), na)), want: Passed, reason: "no active access key"},
		{name: "active key with last_rotated N/A still fails", entry: root(key(1, na, na)), want: Failed, reason: "access key 1"},
		{name: "access_key_1_active N/A is not available", entry: root(keyActive(1, flagNA)), want: NotAvailable, reason: "access_key_1_active is N/A"},
		{name: "access_key_2_active no_information is not available", entry: root(keyActive(2, flagNoInfo)), want: NotAvailable, reason: "access_key_2_active is no_information"},
		{name: "access_key_1_active not_supported does not hide an active key 2", entry: root(keyActive(1, flagNotSupp), key(2, ago(3), na)), want: Failed, reason: "access key 2"},
		{name: "root without MFA or password is not this rule's business", entry: root(mfa(no), passwordEnabled(no)), want: Passed, reason: "no active access key"},
	})
}
