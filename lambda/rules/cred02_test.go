package rules

import "testing"

func TestCred02(t *testing.T) {
	runRuleCases(t, &Cred02, []ruleCase{
		{name: "key used 89 days ago passes", entry: u(key(1, ago(300), ago(89))), want: Passed, reason: "access key 1 last used 89 days ago"},
		{name: "key used exactly 90 days ago fails", entry: u(key(1, ago(300), ago(90))), want: Failed, reason: "unused for 90 days or more: access key 1 last used 90 days ago"},
		{name: "a key idle 60 days fails CRED-01 but passes here", entry: u(key(1, ago(300), ago(60))), want: Passed, reason: "60 days ago"},
		{name: "never-used password changed exactly 90 days ago fails", entry: u(password(noInfo, ago(90))), want: Failed, reason: "password never used, last changed 90 days ago"},
		{name: "never-used key created 89 days ago passes", entry: u(key(2, ago(89), na)), want: Passed, reason: "access key 2 never used, created 89 days ago"},
		{name: "an inactive key unused for years is ignored", entry: u(inactiveKey(2, ago(900), ago(800))), want: Passed, reason: "no enabled password or access key"},
		{name: "access_key_2_active no_information is not available", entry: u(keyActive(2, flagNoInfo)), want: NotAvailable, reason: "access_key_2_active is no_information"},
	})
}
