package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// user04Days is the dormancy window: fails when the user's latest password or
// access-key use (else user_creation_time) is 90 days ago or more
// (cloudsploit iamUserNotInUse default). 89 passes, 90 fails.
const user04Days = 90

// User04 flags IAM users whose enabled credentials show no activity: the
// whole-identity view of CRED-01/CRED-02.
var User04 = Rule{
	ID:    "USER-04",
	Title: "IAM users with enabled credentials are not dormant",
	Description: "A user who still holds an enabled password or access key but has not used any of them for months is likely abandoned. " +
		"This rule fails for an IAM user with an enabled password or active access key whose latest password_last_used or access_key_N_last_used_date " +
		"(of any password or key, else user_creation_time) is the configured number of days (default 90) ago or more. " +
		"Users without enabled credentials pass; USER-05 covers them.",
	Remediation: "Confirm with the owner whether the user is still needed; if not, remove its console password and access keys, then delete the user.",
	URL:         "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html",
	Severity:    Low,
	Scope:       ScopeUsers,
	Frameworks:  Frameworks{},
	Thresholds:  []Threshold{{Name: "days", Default: user04Days, Doc: "fails when the latest activity is 90 days ago or more (89 passes, 90 fails)", Alias: "dormant_days"}},
	Evaluate:    evaluateUser04,
}

func evaluateUser04(e *credreport.Entry, env Env) (Verdict, error) {
	days := threshold(env, "days", user04Days)
	creds := credentials(e)
	enabled, unknown := false, -1
	for i := range creds {
		switch flagOf(*creds[i].enabled) {
		case flagOn:
			enabled = true
		case flagUnknown:
			if unknown < 0 {
				unknown = i
			}
		}
	}
	if !enabled && unknown < 0 {
		return passed("no enabled password or access key")
	}
	// Activity is any recorded use, also of a credential disabled since.
	last, how := latestUse(e)
	var buf [128]byte
	b := buf[:0]
	if !enabled {
		// Only flags holding a sentinel: recent activity passes either way;
		// dormancy would fail only if one of them is enabled.
		b = eitherWay(b, credentialColumns[unknown], creds[unknown].enabled.State)
	}
	var age int
	if how < 0 {
		t, ok := e.UserCreationTime.Get()
		if !ok {
			return undecided(credreport.ColUserCreationTime, e.UserCreationTime.State)
		}
		age = env.AgeDays(t)
		b = appendDaysAgo(append(b, "no password or access-key use recorded; user created "...), age)
	} else {
		age = env.AgeDays(last)
		b = append(appendDaysAgo(append(b, "last activity "...), age), usedBy[how]...)
	}
	switch {
	case age < days:
		return passed(env.text(b))
	case !enabled:
		return creds[unknown].undecided()
	}
	return failed(env.text(b))
}
