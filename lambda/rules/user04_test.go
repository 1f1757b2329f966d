package rules

import (
	"testing"
	"time"
)

func TestUser04(t *testing.T) {
	runRuleCases(t, &User04, []ruleCase{
		{name: "password used 89 days ago passes", entry: u(password(ago(89), ago(300))), want: Passed, reason: "last activity 89 days ago (password)"},
		{name: "password used exactly 90 days ago fails", entry: u(password(ago(90), ago(300))), want: Failed, reason: "last activity 90 days ago (password)"},
		{name: "password used a second short of 90 days ago passes", entry: u(password(agoD(90*day-time.Second), ago(300))), want: Passed, reason: "89 days ago"},
		{name: "the latest use of any password or key counts", entry: u(password(ago(200), ago(300)), key(2, ago(300), ago(10))), want: Passed, reason: "last activity 10 days ago (access key 2)"},
		{name: "recent use of a since-deactivated key counts as activity", entry: u(password(ago(200), ago(300)), inactiveKey(1, ago(300), ago(5))), want: Passed, reason: "5 days ago (access key 1)"},
		{name: "never used: user created exactly 90 days ago fails", entry: u(created(ago(90)), key(1, ago(90), na)), want: Failed, reason: "no password or access-key use recorded; user created 90 days ago"},
		{name: "never used: user created 89 days ago passes", entry: u(created(ago(89)), key(1, ago(89), na)), want: Passed, reason: "user created 89 days ago"},
		{name: "never-used password counts from user creation, not password change", entry: u(created(ago(100)), password(noInfo, ago(10))), want: Failed, reason: "user created 100 days ago"},
		{name: "user without enabled credentials passes", entry: u(inactiveKey(1, ago(300), ago(300))), want: Passed, reason: "no enabled password or access key"},
		{name: "an active signing certificate alone is not an enabled password or key", entry: u(cert(1)), want: Passed, reason: "no enabled password or access key"},
		{name: "password_enabled not_supported and nothing else is not available", entry: u(passwordEnabled(flagNotSupp)), want: NotAvailable, reason: "password_enabled is not_supported"},
		{name: "password_enabled not_supported on a password used 89 days ago passes either way", entry: u(passwordEnabled(flagNotSupp), passwordLastUsed(ago(89))), want: Passed, reason: "password_enabled is not_supported, and either way it passes: last activity 89 days ago (password)"},
		{name: "password_enabled not_supported on a password used 90 days ago is not available", entry: u(passwordEnabled(flagNotSupp), passwordLastUsed(ago(90))), want: NotAvailable, reason: "password_enabled is not_supported"},
		{name: "access_key_1_active N/A on a user created 89 days ago without use passes either way", entry: u(created(ago(89)), keyActive(1, flagNA)), want: Passed, reason: "access_key_1_active is N/A, and either way it passes: no password or access-key use recorded; user created 89 days ago"},
		{name: "access_key_2_active N/A beside an enabled password is decided on the password", entry: u(password(ago(3), ago(10)), keyActive(2, flagNA)), want: Passed, reason: "3 days ago (password)"},
		{name: "never used and user_creation_time N/A is not available", entry: u(created(na), key(1, ago(10), na)), want: NotAvailable, reason: "user_creation_time is N/A"},
		{name: "only a flag N/A, never used and user_creation_time N/A: the missing age is what cannot be decided", entry: u(created(na), keyActive(1, flagNA)), want: NotAvailable, reason: "user_creation_time is N/A"},
		{name: "password_last_used no_information and key dates N/A fall back to creation", entry: u(password(noInfo, ago(5)), key(1, ago(5), na)), want: Failed, reason: "user created 400 days ago"},
		{name: "a configured 30-day window fails use 40 days ago", entry: u(key(1, ago(100), ago(40))), thresholds: map[string]int{"days": 30}, want: Failed, reason: "40 days ago (access key 1)"},
		{name: "a configured 30-day window fails use exactly 30 days ago", entry: u(key(1, ago(100), ago(30))), thresholds: map[string]int{"days": 30}, want: Failed, reason: "30 days ago (access key 1)"},
		{name: "a configured 30-day window passes use 29 days ago", entry: u(key(1, ago(100), ago(29))), thresholds: map[string]int{"days": 30}, want: Passed, reason: "29 days ago"},
	})
}
