package rules

import (
	"testing"
	"time"
)

func TestCred01(t *testing.T) {
	runRuleCases(t, &Cred01, []ruleCase{
		{name: "password used 44 days ago passes", entry: u(password(ago(44), ago(100))), want: Passed, reason: "most idle enabled credential: password last used 44 days ago"},
		{name: "password used exactly 45 days ago fails", entry: u(password(ago(45), ago(100))), want: Failed, reason: "unused for 45 days or more: password last used 45 days ago"},
		{name: "password used a second short of 45 days ago passes", entry: u(password(agoD(45*day-time.Second), ago(100))), want: Passed, reason: "44 days ago"},
		{name: "never-used password counts from its last change: 45 days fails", entry: u(password(noInfo, ago(45))), want: Failed, reason: "password never used, last changed 45 days ago"},
		{name: "never-used password changed 44 days ago passes", entry: u(password(na, ago(44))), want: Passed, reason: "password never used, last changed 44 days ago"},
		{name: "never-used password without password_last_changed counts from user creation", entry: u(created(ago(50)), password(noInfo, notSupported)), want: Failed, reason: "password never used, user created 50 days ago"},
		{name: "active key used exactly 45 days ago fails", entry: u(key(1, ago(300), ago(45))), want: Failed, reason: "access key 1 last used 45 days ago"},
		{name: "never-used key counts from its creation: 45 days fails", entry: u(key(2, ago(45), na)), want: Failed, reason: "access key 2 never used, created 45 days ago"},
		{name: "never-used key created 44 days ago passes", entry: u(key(2, ago(44), na)), want: Passed, reason: "access key 2 never used, created 44 days ago"},
		{name: "never-used key without last_rotated counts from user creation", entry: u(created(ago(60)), key(1, na, na)), want: Failed, reason: "access key 1 never used, user created 60 days ago"},
		{name: "every offending credential is listed", entry: u(password(ago(60), ago(100)), key(1, ago(300), ago(50)), key(2, ago(10), ago(1))), want: Failed, reason: "password last used 60 days ago; access key 1 last used 50 days ago"},
		{name: "an inactive key unused for years is ignored", entry: u(password(ago(1), ago(10)), inactiveKey(1, ago(900), ago(800))), want: Passed, reason: "password last used 1 day ago"},
		{name: "a disabled password is ignored", entry: u(passwordLastUsed(ago(300))), want: Passed, reason: "no enabled password or access key"},
		{name: "user without credentials passes", entry: u(), want: Passed, reason: "no enabled password or access key"},
		{name: "password_enabled not_supported is not available", entry: u(passwordEnabled(flagNotSupp), passwordLastUsed(ago(100))), want: NotAvailable, reason: "password_enabled is not_supported"},
		{name: "password_enabled not_supported on a password used 44 days ago passes either way", entry: u(passwordEnabled(flagNotSupp), passwordLastUsed(ago(44))), want: Passed, reason: "password_enabled is not_supported, and either way it passes: password last used 44 days ago"},
		{name: "password_enabled not_supported on a password used 45 days ago is not available", entry: u(passwordEnabled(flagNotSupp), passwordLastUsed(ago(45))), want: NotAvailable, reason: "password_enabled is not_supported"},
		{name: "access_key_2_active N/A on a key created 10 days ago beside an enabled password decides nothing", entry: u(password(ago(3), ago(100)), keyActive(2, flagNA), with(func(e *entry) { e.AccessKeys[1].LastRotated = ago(10) })), want: Passed, reason: "most idle enabled credential: password last used 3 days ago"},
		{name: "access_key_2_active N/A on a never-used key without dates counts from user creation", entry: u(created(ago(20)), keyActive(2, flagNA)), want: Passed, reason: "access_key_2_active is N/A, and either way it passes: access key 2 never used, user created 20 days ago"},
		{name: "both active flags N/A on an old user names access key 1", entry: u(keyActive(1, flagNA), keyActive(2, flagNA)), want: NotAvailable, reason: "access_key_1_active is N/A"},
		{name: "access_key_1_active N/A does not hide an idle password", entry: u(password(ago(100), ago(200)), keyActive(1, flagNA)), want: Failed, reason: "password last used 100 days ago"},
		{name: "no last-used, created or user-creation time is not available", entry: u(created(na), key(1, na, na)), want: NotAvailable, reason: "access key 1 has no last-used, created or user-creation time"},
		// Undecided whatever password_enabled holds, so the key is named.
		{name: "a key with no time is named before a sentinel password flag", entry: u(created(na), passwordEnabled(flagNA), key(1, na, na)), want: NotAvailable, reason: "access key 1 has no last-used, created or user-creation time"},
		// The password would fail if enabled: its flag decides.
		{name: "a sentinel password flag that would fail is named before a key with no time", entry: u(created(na), password(ago(100), ago(200)), passwordEnabled(flagNA), key(1, na, na)),
			want: NotAvailable, reason: "password_enabled is N/A"},
		{name: "a configured 10-day threshold fails use 10 days ago", entry: u(key(1, ago(30), ago(10))), thresholds: map[string]int{"days": 10}, want: Failed, reason: "unused for 10 days or more: access key 1 last used 10 days ago"},
		{name: "a configured 10-day threshold passes use 9 days ago", entry: u(key(1, ago(30), ago(9))), thresholds: map[string]int{"days": 10}, want: Passed, reason: "9 days ago"},
	})
}
