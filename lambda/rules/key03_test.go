package rules

import (
	"testing"
	"time"
)

func TestKey03(t *testing.T) {
	pw := password(ago(1), ago(10))
	runRuleCases(t, &Key03, []ruleCase{
		{name: "console password and never-used active key 1 fails", entry: u(pw, key(1, ago(400), na)), want: Failed, reason: "console password enabled and access key 1 never used"},
		{name: "both keys never used fails naming both", entry: u(pw, key(1, ago(400), na), key(2, ago(3), na)), want: Failed, reason: "access keys 1 and 2 never used"},
		{name: "a key created an hour ago fails at once", entry: u(pw, key(2, agoD(time.Hour), na)), want: Failed, reason: "access key 2 never used"},
		{name: "key last used no_information counts as never used", entry: u(pw, key(1, ago(10), noInfo)), want: Failed, reason: "access key 1 never used"},
		{name: "a used active key passes", entry: u(pw, key(1, ago(400), ago(2))), want: Passed, reason: "every active access key has been used"},
		{name: "an inactive never-used key is ignored", entry: u(pw, inactiveKey(1, ago(400), na)), want: Passed, reason: "no active access key"},
		{name: "never-used key without a console password passes", entry: u(key(1, ago(400), na)), want: Passed, reason: "no console password"},
		{name: "password_enabled not_supported with a never-used key is not available", entry: u(passwordEnabled(flagNotSupp), key(1, ago(400), na)), want: NotAvailable, reason: "password_enabled is not_supported"},
		{name: "password_enabled not_supported with a used key passes", entry: u(passwordEnabled(flagNotSupp), key(1, ago(400), ago(1))), want: Passed, reason: "every active access key has been used"},
		{name: "access_key_1_active N/A without a use date is not available", entry: u(pw, keyActive(1, flagNA)), want: NotAvailable, reason: "access_key_1_active is N/A"},
		{name: "access_key_2_active no_information with a use date passes", entry: u(pw, keyActive(2, flagNoInfo), with(func(e *entry) { e.AccessKeys[1].LastUsedDate = ago(4) })), want: Passed, reason: "access_key_2_active is no_information, and either way it passes: access key 2 has been used"},
		// A known active, unused key leaves only the password to decide:
		// the reason names it, not the other key's sentinel.
		{name: "password_enabled N/A, key 1 active and unused, access_key_2_active not_supported names the password", entry: u(passwordEnabled(flagNA), key(1, ago(40), na), keyActive(2, flagNotSupp)), want: NotAvailable, reason: "password_enabled is N/A"},
		{name: "password_enabled N/A, key 1 active and used, access_key_2_active not_supported names key 2", entry: u(passwordEnabled(flagNA), key(1, ago(40), ago(1)), keyActive(2, flagNotSupp)), want: NotAvailable, reason: "access_key_2_active is not_supported"},
	})
}
