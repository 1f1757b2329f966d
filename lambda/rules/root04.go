package rules

import (
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
)

// root04Days is the root-use window. CIS gives no number ("Review
// password_last_used, access_key_1_last_used_date, access_key_2_last_used_date
// to determine when the root user was last used"); 90 follows steampipe and
// ScoutSuite. Fails when root was last used less than 90 days ago: 89 fails,
// 90 passes.
const root04Days = 90

// Root04 flags recent use of the root user.
var Root04 = Rule{
	ID:    "ROOT-04",
	Title: "Root user is not used for daily tasks",
	Description: "Daily use of the root user defeats least privilege and separation of duties. " +
		"This rule fails when the latest of the root row's password_last_used, access_key_1_last_used_date and access_key_2_last_used_date is less than the configured number of days (default 90) before the report. " +
		"A root user with no recorded use passes. Some tasks require root, so an expected failure can be suppressed.",
	Remediation: "Use the root user only for the tasks that require it. Create administrative users or IAM Identity Center permission sets for daily work, " +
		"and review CloudTrail for the root activity this rule found.",
	URL:      "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-tasks.html",
	Severity: High,
	Scope:    ScopeRoot,
	Event:    rootLastUse,
	Frameworks: Frameworks{
		CIS:   map[string]string{"1.2": "1.1", "1.4": "1.7", "3.0": "1.7", "5.0": "1.6"},
		Other: []string{"ISO/IEC 27001:2022 A.5.15"},
	},
	Thresholds: []Threshold{{Name: "days", Default: root04Days, Doc: "fails when root was last used less than 90 days ago (89 fails, 90 passes)", Alias: "root_use_days"}},
	Evaluate:   evaluateRoot04,
}

func evaluateRoot04(e *credreport.Entry, env Env) (Verdict, error) {
	days := threshold(env, "days", root04Days)
	last, how := latestUse(e)
	if how < 0 {
		return passed("root has no recorded password or access-key use")
	}
	age := env.AgeDays(last)
	reason := env.withDaysAgo("root was last used ", age, usedBy[how])
	if age < days {
		return failed(reason)
	}
	return passed(reason)
}

// rootLastUse is ROOT-04's Event: root's latest recorded use.
func rootLastUse(e *credreport.Entry) time.Time {
	last, _ := latestUse(e)
	return last
}
