package rules

import (
	"testing"
	"time"
)

// CRED-02 is CRED-01's rule at 90 days (evaluateUnused): its own cases
// still cover each boundary, fallback and sentinel it reads.
func TestCred02(t *testing.T) {
	runRuleCases(t, &Cred02, []ruleCase{
		{name: "key used 89 days ago passes", entry: u(key(1, ago(300), ago(89))), want: Passed, reason: "access key 1 last used 89 days ago"},
		{name: "key used exactly 90 days ago fails", entry: u(key(1, ago(300), ago(90))), want: Failed, reason: "unused for 90 days or more: access key 1 last used 90 days ago"},
		{name: "key used a second short of 90 days ago passes", entry: u(key(1, ago(300), agoD(90*day-time.Second))), want: Passed, reason: "89 days ago"},
		{name: "a key idle 60 days fails CRED-01 but passes here", entry: u(key(1, ago(300), ago(60))), want: Passed, reason: "60 days ago"},
		{name: "password used exactly 90 days ago fails", entry: u(password(ago(90), ago(200))), want: Failed, reason: "unused for 90 days or more: password last used 90 days ago"},
		{name: "never-used password changed exactly 90 days ago fails", entry: u(password(noInfo, ago(90))), want: Failed, reason: "password never used, last changed 90 days ago"},
		{name: "never-used password changed 89 days ago passes", entry: u(password(na, ago(89))), want: Passed, reason: "password never used, last changed 89 days ago"},
		{name: "never-used password without password_last_changed counts from user creation", entry: u(created(ago(95)), password(noInfo, notSupported)), want: Failed, reason: "password never used, user created 95 days ago"},
		{name: "never-used key created 89 days ago passes", entry: u(key(2, ago(89), na)), want: Passed, reason: "access key 2 never used, created 89 days ago"},
		{name: "never-used key created 90 days ago fails", entry: u(key(2, ago(90), na)), want: Failed, reason: "access key 2 never used, created 90 days ago"},
		{name: "never-used key without last_rotated counts from user creation", entry: u(created(ago(120)), key(1, na, na)), want: Failed, reason: "access key 1 never used, user created 120 days ago"},
		{name: "an inactive key unused for years is ignored", entry: u(inactiveKey(2, ago(900), ago(800))), want: Passed, reason: "no enabled password or access key"},
		{name: "a disabled password unused for years is ignored", entry: u(passwordLastUsed(ago(300))), want: Passed, reason: "no enabled password or access key"},
		{name: "access_key_2_active no_information is not available", entry: u(keyActive(2, flagNoInfo)), want: NotAvailable, reason: "access_key_2_active is no_information"},
		{name: "password_enabled not_supported on a password used 100 days ago is not available", entry: u(passwordEnabled(flagNotSupp), passwordLastUsed(ago(100))), want: NotAvailable, reason: "password_enabled is not_supported"},
		{name: "password_enabled not_supported on a password used 89 days ago passes either way", entry: u(passwordEnabled(flagNotSupp), passwordLastUsed(ago(89))), want: Passed, reason: "password_enabled is not_supported, and either way it passes: password last used 89 days ago"},
		{name: "no last-used, created or user-creation time is not available", entry: u(created(na), key(1, na, na)), want: NotAvailable, reason: "access key 1 has no last-used, created or user-creation time"},
		{name: "a configured 120-day threshold passes use 100 days ago", entry: u(key(1, ago(300), ago(100))), thresholds: map[string]int{"days": 120}, want: Passed, reason: "100 days ago"},
	})
}
