package rules

import (
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
)

func TestPwd02(t *testing.T) {
	pw := password(ago(1), ago(80))
	runRuleCases(t, &Pwd02, []ruleCase{
		{name: "no rotation policy (N/A) passes", entry: u(pw), want: Passed, reason: "no rotation policy (password_next_rotation is N/A)"},
		{name: "password_next_rotation no_information passes", entry: u(pw, nextRotation(noInfo)), want: Passed, reason: "password_next_rotation is no_information"},
		{name: "password_next_rotation not_supported passes", entry: u(pw, nextRotation(notSupported)), want: Passed, reason: "password_next_rotation is not_supported"},
		{name: "expiring in 30 days passes", entry: u(pw, nextRotation(ago(-30))), want: Passed, reason: "password expires in 30 days"},
		{name: "expiring in exactly 7 days passes", entry: u(pw, nextRotation(ago(-7))), want: Passed, reason: "password expires in 7 days"},
		{name: "expiring a second short of 7 days fails", entry: u(pw, nextRotation(agoD(-7*day+time.Second))), want: Failed, reason: "password expires in 6 days"},
		{name: "expiring in 1 day fails", entry: u(pw, nextRotation(ago(-1))), want: Failed, reason: "password expires in 1 day"},
		{name: "expiring in two hours fails", entry: u(pw, nextRotation(agoD(-2*time.Hour))), want: Failed, reason: "password expires in less than a day"},
		{name: "expiring exactly at the report time fails as expired", entry: u(pw, nextRotation(ago(0))), want: Failed, reason: "password expired less than a day ago"},
		{name: "expired 3 days ago fails", entry: u(pw, nextRotation(ago(3))), want: Failed, reason: "password expired 3 days ago"},
		{name: "a disabled password with a past rotation date is ignored", entry: u(nextRotation(ago(3))), want: Passed, reason: "no console password"},
		{name: "password_enabled not_supported with an expired password is not available", entry: u(passwordEnabled(flagNotSupp), nextRotation(ago(3))), want: NotAvailable, reason: "password_enabled is not_supported"},
		{name: "a configured 30-day warning fails expiry in 20 days", entry: u(pw, nextRotation(ago(-20))), thresholds: map[string]int{"days": 30}, want: Failed, reason: "password expires in 20 days"},
		{name: "a configured 30-day warning passes expiry in exactly 30 days", entry: u(pw, nextRotation(ago(-30))), thresholds: map[string]int{"days": 30}, want: Passed, reason: "password expires in 30 days"},
		// Beyond a time.Duration's 292 years the days are still counted.
		{name: "expiring in 400 years passes with its days", entry: u(pw, nextRotation(credreport.TimeOf(testAsOf.AddDate(400, 0, 0)))), want: Passed, reason: "password expires in 146097 days"},
		{name: "expiring half a second short of 7 days fails", entry: u(pw, nextRotation(agoD(-7*day+time.Second/2))), want: Failed, reason: "password expires in 6 days"},
		{name: "a configured 30-day warning fails expiry a second short of 30 days", entry: u(pw, nextRotation(agoD(-30*day+time.Second))), thresholds: map[string]int{"days": 30}, want: Failed, reason: "password expires in 29 days"},
	})
}
