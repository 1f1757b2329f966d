package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// User06 flags IAM users with an active X.509 signing certificate, a rare
// legacy long-term credential (by analogy with ROOT-05).
var User06 = Rule{
	ID:    "USER-06",
	Title: "IAM users have no active signing certificates",
	Description: "X.509 signing certificates are long-term credentials for legacy SOAP and signing APIs, and are rarely watched or rotated. " +
		"This rule fails for an IAM user whose cert_1_active or cert_2_active is true in the credential report.",
	Remediation: "Find the workload that uses the certificate, move it to IAM roles, then deactivate and delete the certificate (DeleteSigningCertificate).",
	URL:         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteSigningCertificate.html",
	Severity:    Low,
	Scope:       ScopeUsers,
	Frameworks:  Frameworks{},
	Evaluate:    evaluateUser06,
}

func evaluateUser06(e *credreport.Entry, _ Env) (Verdict, error) {
	on := [2]bool{certFlag(e, 0) == flagOn, certFlag(e, 1) == flagOn}
	if on[0] || on[1] {
		return failed(pick(on, "signing certificate 1 is active", "signing certificate 2 is active", "signing certificates 1 and 2 are active"))
	}
	for i := range 2 {
		if certFlag(e, i) == flagUnknown {
			return undecided(certActiveColumns[i], e.Certs[i].Active.State)
		}
	}
	return passed("no active signing certificate")
}
