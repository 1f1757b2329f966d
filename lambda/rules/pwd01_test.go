package rules

import (
	"testing"
	"time"
)

func TestPwd01(t *testing.T) {
	runRuleCases(t, &Pwd01, []ruleCase{
		{name: "single-factor password changed exactly 90 days ago passes", entry: u(password(ago(1), ago(90))), want: Passed, reason: "password last changed 90 days ago"},
		{name: "single-factor password changed 91 days ago fails", entry: u(password(ago(1), ago(91))), want: Failed, reason: "no MFA and password last changed 91 days ago"},
		{name: "password changed a second short of 91 days ago passes", entry: u(password(ago(1), agoD(91*day-time.Second))), want: Passed, reason: "90 days ago"},
		{name: "an old password with MFA passes", entry: u(password(ago(1), ago(400)), mfa(yes)), want: Passed, reason: "MFA is active"},
		{name: "user without a console password passes", entry: u(with(func(e *entry) { e.PasswordLastChanged = ago(400) })), want: Passed, reason: "no console password"},
		{name: "password_last_changed N/A on a user created 90 days ago passes: the password is no older", entry: u(created(ago(90)), password(ago(1), na)), want: Passed, reason: "password_last_changed is N/A; user created 90 days ago"},
		{name: "password_last_changed no_information on a user created 91 days ago is not available", entry: u(created(ago(91)), password(ago(1), noInfo)), want: NotAvailable, reason: "password_last_changed is no_information, so this cannot be decided"},
		{name: "password_last_changed not_supported on an old user is not available", entry: u(password(ago(1), notSupported)), want: NotAvailable, reason: "password_last_changed is not_supported"},
		{name: "no password_last_changed or user_creation_time is not available", entry: u(created(na), password(ago(1), na)), want: NotAvailable, reason: "password_last_changed is N/A"},
		{name: "mfa_active N/A with an old password is not available", entry: u(password(ago(1), ago(200)), mfa(flagNA)), want: NotAvailable, reason: "mfa_active is N/A"},
		{name: "password_enabled not_supported with an old password is not available", entry: u(passwordEnabled(flagNotSupp), with(func(e *entry) { e.PasswordLastChanged = ago(200) })), want: NotAvailable, reason: "password_enabled is not_supported"},
		{name: "a configured 30-day period fails a password changed 31 days ago", entry: u(password(ago(1), ago(31))), thresholds: map[string]int{"days": 30}, want: Failed, reason: "31 days ago"},
		{name: "a configured 30-day period passes a password changed 30 days ago", entry: u(password(ago(1), ago(30))), thresholds: map[string]int{"days": 30}, want: Passed, reason: "30 days ago"},
	})
}
