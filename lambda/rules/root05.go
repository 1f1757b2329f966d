package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// Root05 flags an active root X.509 signing certificate, a root credential
// that is easy to forget (GetAccountSummary AccountSigningCertificatesPresent).
var Root05 = Rule{
	ID:    "ROOT-05",
	Title: "Root user has no active signing certificates",
	Description: "An X.509 signing certificate on the root user is a long-term root credential for legacy SOAP and signing APIs. " +
		"This rule fails when cert_1_active or cert_2_active is true on the root row of the credential report.",
	Remediation: "Sign in as the root user and delete the root signing certificates (DeleteSigningCertificate without a user name). " +
		"Use IAM roles for any workload that still needs to sign requests.",
	URL:        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteSigningCertificate.html",
	Severity:   Medium,
	Scope:      ScopeRoot,
	Frameworks: Frameworks{},
	Evaluate:   evaluateRoot05,
}

func evaluateRoot05(e *credreport.Entry, _ Env) (Verdict, error) {
	on := [2]bool{certFlag(e, 0) == flagOn, certFlag(e, 1) == flagOn}
	if on[0] || on[1] {
		return failed(pick(on, "root has active signing certificate 1", "root has active signing certificate 2", "root has active signing certificates 1 and 2"))
	}
	for i := range 2 {
		if certFlag(e, i) == flagUnknown {
			return undecided(certActiveColumns[i], e.Certs[i].Active.State)
		}
	}
	return passed("root has no active signing certificate")
}
