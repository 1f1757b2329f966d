package rules

import "testing"

func TestCred03(t *testing.T) {
	runRuleCases(t, &Cred03, []ruleCase{
		{name: "key never used, created 29 days ago passes", entry: u(key(1, ago(29), na)), want: Passed, reason: "access key 1 never used, created 29 days ago"},
		{name: "key never used, created exactly 30 days ago fails", entry: u(key(1, ago(30), na)), want: Failed, reason: "never used and set 30 days ago or more: access key 1 never used, created 30 days ago"},
		{name: "password never used (no_information), changed 30 days ago fails", entry: u(password(noInfo, ago(30))), want: Failed, reason: "password never used, last changed 30 days ago"},
		{name: "password never used (N/A), changed 30 days ago fails", entry: u(password(na, ago(30))), want: Failed, reason: "password never used, last changed 30 days ago"},
		{name: "password never used, changed 29 days ago passes", entry: u(password(noInfo, ago(29))), want: Passed, reason: "password never used, last changed 29 days ago"},
		{name: "password_last_changed not_supported counts from user creation", entry: u(created(ago(31)), password(noInfo, notSupported)), want: Failed, reason: "password never used, user created 31 days ago"},
		{name: "key last used no_information counts as never used", entry: u(key(2, ago(40), noInfo)), want: Failed, reason: "access key 2 never used, created 40 days ago"},
		{name: "both never-used credentials are listed", entry: u(password(noInfo, ago(50)), key(2, ago(40), na)), want: Failed, reason: "password never used, last changed 50 days ago; access key 2 never used, created 40 days ago"},
		{name: "used credentials pass however old", entry: u(password(ago(300), ago(400)), key(1, ago(500), ago(400))), want: Passed, reason: "every enabled password and access key has been used"},
		{name: "an inactive never-used key is ignored", entry: u(inactiveKey(1, ago(100), na)), want: Passed, reason: "no enabled password or access key"},
		{name: "access_key_2_active N/A on a never-used slot is not available", entry: u(keyActive(2, flagNA)), want: NotAvailable, reason: "access_key_2_active is N/A"},
		{name: "access_key_1_active not_supported on a used key passes either way", entry: u(keyActive(1, flagNotSupp), with(func(e *entry) { e.AccessKeys[0].LastUsedDate = ago(3) })), want: Passed, reason: "access_key_1_active is not_supported, and either way it passes: access key 1 last used 3 days ago"},
		{name: "access_key_1_active not_supported on a key last used 100 days ago passes either way: it was used", entry: u(keyActive(1, flagNotSupp), with(func(e *entry) { e.AccessKeys[0].LastUsedDate = ago(100) })), want: Passed, reason: "access_key_1_active is not_supported, and either way it passes: access key 1 last used 100 days ago"},
		{name: "password_enabled not_supported on a password set 29 days ago passes either way", entry: u(passwordEnabled(flagNotSupp), with(func(e *entry) { e.PasswordLastChanged = ago(29) })), want: Passed, reason: "password_enabled is not_supported, and either way it passes: password never used, last changed 29 days ago"},
		{name: "password_enabled not_supported on a password set 30 days ago is not available", entry: u(passwordEnabled(flagNotSupp), with(func(e *entry) { e.PasswordLastChanged = ago(30) })), want: NotAvailable, reason: "password_enabled is not_supported"},
		{name: "a flag that decides nothing does not hide a failing key", entry: u(passwordEnabled(flagNotSupp), with(func(e *entry) { e.PasswordLastChanged = ago(1) }), key(2, ago(31), na)), want: Failed, reason: "never used and set 30 days ago or more: access key 2 never used, created 31 days ago"},
		{name: "no set or user-creation time is not available", entry: u(created(na), key(1, na, na)), want: NotAvailable, reason: "access key 1 has no last-used, created or user-creation time"},
		// Undecided whatever password_enabled holds, so the key is named.
		{name: "a key with no time is named before a sentinel password flag", entry: u(created(na), passwordEnabled(flagNA), key(1, na, na)), want: NotAvailable, reason: "access key 1 has no last-used, created or user-creation time"},
		{name: "a configured 7-day threshold fails a key created 7 days ago", entry: u(key(1, ago(7), na)), thresholds: map[string]int{"days": 7}, want: Failed, reason: "set 7 days ago or more"},
		{name: "a configured 7-day threshold passes a key created 6 days ago", entry: u(key(1, ago(6), na)), thresholds: map[string]int{"days": 7}, want: Passed, reason: "6 days ago"},
	})
}
