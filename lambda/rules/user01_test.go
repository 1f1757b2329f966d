package rules

import (
	"testing"
	"time"
)

func TestUser01(t *testing.T) {
	runRuleCases(t, &User01, []ruleCase{
		{name: "console password without MFA fails", entry: u(password(ago(1), ago(10))), want: Failed, reason: "console password enabled and MFA not active"},
		{name: "never-used console password without MFA fails", entry: u(password(noInfo, ago(3))), want: Failed, reason: "MFA not active"},
		{name: "console password with MFA passes", entry: u(password(ago(1), ago(10)), mfa(yes)), want: Passed, reason: "MFA is active"},
		{name: "user without a console password passes", entry: u(), want: Passed, reason: "no console password"},
		{name: "key-only user without MFA passes", entry: u(key(1, ago(10), ago(1))), want: Passed, reason: "no console password"},
		{name: "password_enabled not_supported without MFA is not available", entry: u(passwordEnabled(flagNotSupp)), want: NotAvailable, reason: "password_enabled is not_supported"},
		{name: "password_enabled N/A with MFA passes", entry: u(passwordEnabled(flagNA), mfa(yes)), want: Passed, reason: "MFA is active"},
		{name: "mfa_active no_information with a console password is not available", entry: u(password(ago(1), ago(10)), mfa(flagNoInfo)), want: NotAvailable, reason: "mfa_active is no_information"},
		{name: "mfa_active N/A without a console password passes", entry: u(mfa(flagNA)), want: Passed, reason: "no console password"},
	})
}

// TestUser01GracePeriod: grace_days passes a console user without MFA
// created fewer than that many days ago, counted from user_creation_time,
// which a password reset does not move.
func TestUser01GracePeriod(t *testing.T) {
	pw := password(na, ago(1))
	grace := map[string]int{"grace_days": 7}
	runRuleCases(t, &User01, []ruleCase{
		{name: "created 6 days ago passes", entry: u(pw, created(ago(6))), thresholds: grace, want: Passed, reason: "MFA not active, user created 6 days ago, within the 7-day grace period"},
		{name: "created a second short of 7 days passes", entry: u(pw, created(agoD(7*day-time.Second))), thresholds: grace, want: Passed, reason: "user created 6 days ago"},
		{name: "created exactly 7 days ago fails", entry: u(pw, created(ago(7))), thresholds: grace, want: Failed, reason: "console password enabled and MFA not active"},
		{name: "created an hour ago fails without a grace period", entry: u(pw, created(agoD(time.Hour))), want: Failed, reason: "console password enabled and MFA not active"},
		{name: "a password reset yesterday does not restart it", entry: u(password(na, ago(1))), thresholds: grace, want: Failed, reason: "MFA not active"},
		{name: "user_creation_time N/A is not available", entry: u(pw, created(na)), thresholds: grace, want: NotAvailable, reason: "user_creation_time is N/A"},
		{name: "user_creation_time N/A with MFA active passes", entry: u(pw, created(na), mfa(yes)), thresholds: grace, want: Passed, reason: "MFA is active"},
		{name: "user_creation_time N/A without a password passes", entry: u(created(na)), thresholds: grace, want: Passed, reason: "no console password"},
		{name: "within it, password_enabled not_supported passes", entry: u(passwordEnabled(flagNotSupp), created(ago(3))), thresholds: grace, want: Passed, reason: "user created 3 days ago"},
		{name: "within it, mfa_active N/A passes naming it", entry: u(pw, mfa(flagNA), created(agoD(time.Hour))), thresholds: grace, want: Passed, reason: "mfa_active is N/A, and either way it passes: user created less than a day ago, within the 7-day grace period"},
		{name: "past it, mfa_active N/A is not available", entry: u(pw, mfa(flagNA), created(ago(8))), thresholds: grace, want: NotAvailable, reason: "mfa_active is N/A"},
	})
}
