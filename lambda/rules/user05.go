package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// User05 flags IAM users with no enabled password, active access key or
// active signing certificate: users that cannot be used and should be reviewed.
var User05 = Rule{
	ID:    "USER-05",
	Title: "IAM users have at least one enabled credential",
	Description: "A user without a password, active access key or active signing certificate cannot sign in or call AWS, and is often left over from a departed person or retired workload. " +
		"This rule fails for such a user. The report does not show SSH keys, service-specific credentials or group memberships, so review before deleting.",
	Remediation: "Check whether the user still has SSH public keys, service-specific credentials or a purpose; if not, delete the user.",
	URL:         "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_remove.html",
	Severity:    Informational,
	Scope:       ScopeUsers,
	Frameworks:  Frameworks{},
	Evaluate:    evaluateUser05,
}

func evaluateUser05(e *credreport.Entry, _ Env) (Verdict, error) {
	switch {
	case passwordFlag(e) == flagOn:
		return passed("console password enabled")
	case keyFlag(e, 0) == flagOn:
		return passed("access key 1 is active")
	case keyFlag(e, 1) == flagOn:
		return passed("access key 2 is active")
	case certFlag(e, 0) == flagOn:
		return passed("signing certificate 1 is active")
	case certFlag(e, 1) == flagOn:
		return passed("signing certificate 2 is active")
	case passwordFlag(e) == flagUnknown:
		return undecided(credreport.ColPasswordEnabled, e.PasswordEnabled.State)
	}
	for i := range 2 {
		if keyFlag(e, i) == flagUnknown {
			return undecided(keyActiveColumns[i], e.AccessKeys[i].Active.State)
		}
	}
	for i := range 2 {
		if certFlag(e, i) == flagUnknown {
			return undecided(certActiveColumns[i], e.Certs[i].Active.State)
		}
	}
	return failed("no enabled password, active access key or active signing certificate")
}
