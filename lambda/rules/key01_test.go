package rules

import (
	"testing"
	"time"
)

func TestKey01(t *testing.T) {
	runRuleCases(t, &Key01, []ruleCase{
		{name: "a key created today passes, less than a day old", entry: u(key(1, agoD(3*time.Hour), na)), want: Passed, reason: "access key 1 is less than a day old"},
		{name: "active key exactly 90 days old passes", entry: u(key(1, ago(90), ago(1))), want: Passed, reason: "access key 1 is 90 days old"},
		{name: "active key 91 days old fails", entry: u(key(1, ago(91), ago(1))), want: Failed, reason: "access key 1 is 91 days old"},
		{name: "active key a second short of 91 days old passes", entry: u(key(1, agoD(91*day-time.Second), ago(1))), want: Passed, reason: "90 days old"},
		{name: "access key 2 131 days old fails", entry: u(key(1, ago(10), ago(1)), key(2, ago(131), ago(2))), want: Failed, reason: "access key 2 is 131 days old"},
		{name: "both old keys are listed", entry: u(key(1, ago(131), ago(1)), key(2, ago(200), na)), want: Failed, reason: "access key 1 is 131 days old; access key 2 is 200 days old"},
		{name: "an unused old key fails too", entry: u(key(1, ago(120), na)), want: Failed, reason: "access key 1 is 120 days old"},
		{name: "an inactive old key is ignored", entry: u(inactiveKey(1, ago(500), ago(400))), want: Passed, reason: "no active access key"},
		{name: "the older of two passing keys is named", entry: u(key(1, ago(10), ago(1)), key(2, ago(80), ago(1))), want: Passed, reason: "access key 2 is 80 days old"},
		{name: "last_rotated N/A falls back to user creation", entry: u(created(ago(95)), key(1, na, na)), want: Failed, reason: "access key 1 has no last-rotated time, user created 95 days ago"},
		{name: "last_rotated no_information falls back to user creation", entry: u(created(ago(30)), key(2, noInfo, na)), want: Passed, reason: "access key 2 has no last-rotated time, user created 30 days ago"},
		{name: "no last_rotated or user_creation_time is not available", entry: u(created(na), key(1, na, na)), want: NotAvailable, reason: "access key 1 is active and has no last-rotated or user-creation time"},
		{name: "both keys past the limit, one measured from user creation", entry: u(created(ago(200)), key(1, ago(100), na), key(2, na, na)), want: Failed,
			reason: "access key 1 is 100 days old; access key 2 has no last-rotated time, user created 200 days ago"},
		// An active key with no time leaves the rule undecided whatever key
		// 1's sentinel flag holds: that is the fact named.
		{name: "a key with no time is named before another key's sentinel flag", entry: u(created(na), keyActive(1, flagNA), key(2, na, na)), want: NotAvailable, reason: "access key 2 is active and has no last-rotated or user-creation time"},
		// Key 1 would fail if active: its flag decides (FAILED if active).
		{name: "a sentinel flag whose key would fail is named before a key with no time", entry: u(created(na), keyActive(1, flagNA), with(func(e *entry) { e.AccessKeys[0].LastRotated = ago(200) }), key(2, na, na)),
			want: NotAvailable, reason: "access_key_1_active is N/A"},
		{name: "access_key_2_active not_supported is not available", entry: u(key(1, ago(10), ago(1)), keyActive(2, flagNotSupp)), want: NotAvailable, reason: "access_key_2_active is not_supported"},
		{name: "access_key_1_active N/A on a key rotated 90 days ago passes either way", entry: u(keyActive(1, flagNA), with(func(e *entry) { e.AccessKeys[0].LastRotated = ago(90) })), want: Passed, reason: "access_key_1_active is N/A, and either way it passes: access key 1 is 90 days old"},
		{name: "access_key_1_active N/A on a key rotated 91 days ago is not available", entry: u(keyActive(1, flagNA), with(func(e *entry) { e.AccessKeys[0].LastRotated = ago(91) })), want: NotAvailable, reason: "access_key_1_active is N/A"},
		{name: "access_key_2_active no_information on a young key beside an active key names the active one", entry: u(key(1, ago(20), ago(1)), keyActive(2, flagNoInfo), with(func(e *entry) { e.AccessKeys[1].LastRotated = ago(40) })), want: Passed, reason: "access key 1 is 20 days old"},
		{name: "both active flags N/A on an old user names access key 1", entry: u(keyActive(1, flagNA), keyActive(2, flagNA)), want: NotAvailable, reason: "access_key_1_active is N/A"},
		{name: "access_key_1_active N/A does not hide an old key 2", entry: u(keyActive(1, flagNA), key(2, ago(100), ago(1))), want: Failed, reason: "access key 2 is 100 days old"},
		{name: "a console password is not an access key", entry: u(password(ago(1), ago(400))), want: Passed, reason: "no active access key"},
		{name: "a configured 30-day period fails a key 31 days old", entry: u(key(1, ago(31), ago(1))), thresholds: map[string]int{"days": 30}, want: Failed, reason: "access key 1 is 31 days old"},
		{name: "a configured 30-day period passes a key 30 days old", entry: u(key(1, ago(30), ago(1))), thresholds: map[string]int{"days": 30}, want: Passed, reason: "30 days old"},
	})
}
