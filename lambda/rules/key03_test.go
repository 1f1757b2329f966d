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

// TestKey03GracePeriod: grace_days passes a never-used key created fewer
// than that many days ago (last rotated, else the user's creation).
func TestKey03GracePeriod(t *testing.T) {
	pw := password(ago(1), ago(10))
	grace := map[string]int{"grace_days": 7}
	runRuleCases(t, &Key03, []ruleCase{
		{name: "a key created 6 days ago passes", entry: u(pw, key(1, ago(6), na)), thresholds: grace, want: Passed, reason: "access key 1 never used, created 6 days ago, within the 7-day grace period"},
		{name: "a key created a second short of 7 days passes", entry: u(pw, key(2, agoD(7*day-time.Second), noInfo)), thresholds: grace, want: Passed, reason: "access key 2 never used, created 6 days ago"},
		{name: "a key created exactly 7 days ago fails", entry: u(pw, key(1, ago(7), na)), thresholds: grace, want: Failed, reason: "console password enabled and access key 1 never used"},
		{name: "a young key 1 leaves an old unused key 2 failing", entry: u(pw, key(1, ago(2), na), key(2, ago(30), na)), thresholds: grace, want: Failed, reason: "console password enabled and access key 2 never used"},
		{name: "a young key beside a used one passes naming the young one", entry: u(pw, key(1, ago(300), ago(1)), key(2, ago(2), na)), thresholds: grace, want: Passed, reason: "access key 2 never used, created 2 days ago"},
		{name: "no last-rotated time measures from the user's creation", entry: u(pw, created(ago(3)), key(1, na, na)), thresholds: grace, want: Passed, reason: "access key 1 never used, user created 3 days ago, within the 7-day grace period"},
		{name: "no last-rotated or user-creation time is not available", entry: u(pw, created(na), key(1, na, na)), thresholds: grace, want: NotAvailable, reason: "access key 1 was never used and has no last-rotated or user-creation time"},
		{name: "no time at all does not matter without a grace period", entry: u(pw, created(na), key(1, na, na)), want: Failed, reason: "access key 1 never used"},
		{name: "a young key with access_key_1_active N/A passes naming it", entry: u(pw, key(1, ago(1), na), keyActive(1, flagNA)), thresholds: grace, want: Passed, reason: "access_key_1_active is N/A, and either way it passes: access key 1 never used, created 1 day ago"},
		{name: "an old key with access_key_1_active N/A is not available", entry: u(pw, key(1, ago(9), na), keyActive(1, flagNA)), thresholds: grace, want: NotAvailable, reason: "access_key_1_active is N/A"},
		{name: "a young key with password_enabled N/A passes", entry: u(passwordEnabled(flagNA), key(1, ago(1), na)), thresholds: grace, want: Passed, reason: "within the 7-day grace period"},
	})
}
