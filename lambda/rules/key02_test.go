package rules

import (
	"testing"
	"time"
)

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

// TestKey02RotationOverlap: grace_days passes two active keys while the
// newer was created fewer than that many days ago (last rotated, else the
// user's creation).
func TestKey02RotationOverlap(t *testing.T) {
	overlap := map[string]int{"grace_days": 7}
	runRuleCases(t, &Key02, []ruleCase{
		{name: "a key 2 created an hour ago passes", entry: u(key(1, ago(400), ago(1)), key(2, agoD(time.Hour), na)), thresholds: overlap, want: Passed, reason: "access key 2 is less than a day old, within the 7-day grace period for a rotation"},
		{name: "a key 2 created 6 days ago passes", entry: u(key(1, ago(400), ago(1)), key(2, ago(6), na)), thresholds: overlap, want: Passed, reason: "access key 2 is 6 days old, within the 7-day grace period for a rotation"},
		{name: "the newer key is the one measured", entry: u(key(1, ago(3), ago(1)), key(2, ago(200), ago(1))), thresholds: overlap, want: Passed, reason: "access key 1 is 3 days old"},
		{name: "a second short of 7 days passes", entry: u(key(1, ago(400), ago(1)), key(2, agoD(7*day-time.Second), na)), thresholds: overlap, want: Passed, reason: "is 6 days old"},
		{name: "exactly 7 days fails", entry: u(key(1, ago(400), ago(1)), key(2, ago(7), na)), thresholds: overlap, want: Failed, reason: "access keys 1 and 2 are both active"},
		{name: "a day fails without an overlap", entry: u(key(1, ago(400), ago(1)), key(2, ago(1), na)), want: Failed, reason: "both active"},
		{name: "no last-rotated time measures from the user's creation", entry: u(created(ago(2)), key(1, na, ago(1)), key(2, na, na)), thresholds: overlap, want: Passed, reason: "access key 1 has no last-rotated time, user created 2 days ago"},
		{name: "an old key and one with no time at all is not available", entry: u(created(na), key(1, ago(400), ago(1)), key(2, na, na)), thresholds: overlap, want: NotAvailable, reason: "access key 2 has no last-rotated or user-creation time"},
		{name: "a young key beside one with no time at all passes", entry: u(created(na), key(1, ago(2), ago(1)), key(2, na, na)), thresholds: overlap, want: Passed, reason: "access key 1 is 2 days old"},
		{name: "a young key 2 passes whatever access_key_1_active says, naming it", entry: u(keyActive(1, flagNA), key(2, ago(2), na)), thresholds: overlap, want: Passed, reason: "access_key_1_active is N/A, and either way it passes: access key 2 is 2 days old"},
		{name: "a young key 1 passes whatever access_key_2_active says, naming it", entry: u(key(1, ago(2), ago(1)), keyActive(2, flagNoInfo)), thresholds: overlap, want: Passed, reason: "access_key_2_active is no_information, and either way it passes: access key 1 is 2 days old"},
		{name: "two keys with no time at all is not available naming both", entry: u(created(na), key(1, na, ago(1)), key(2, na, na)), thresholds: overlap, want: NotAvailable, reason: "neither has a last-rotated or user-creation time"},
		{name: "old keys with access_key_1_active N/A are not available", entry: u(keyActive(1, flagNA), key(2, ago(20), na)), thresholds: overlap, want: NotAvailable, reason: "access_key_1_active is N/A"},
	})
}
