package rules

import "testing"

func TestUser06(t *testing.T) {
	runRuleCases(t, &User06, []ruleCase{
		{name: "user without signing certificates passes", entry: u(password(ago(1), ago(10))), want: Passed, reason: "no active signing certificate"},
		{name: "active signing certificate 1 fails", entry: u(cert(1)), want: Failed, reason: "signing certificate 1 is active"},
		{name: "active signing certificate 2 fails", entry: u(cert(2)), want: Failed, reason: "signing certificate 2 is active"},
		{name: "both certificates active fails naming both", entry: u(cert(1), cert(2)), want: Failed, reason: "signing certificates 1 and 2 are active"},
		{name: "inactive certificates are ignored", entry: u(inactiveCert(1), inactiveCert(2)), want: Passed, reason: "no active signing certificate"},
		{name: "cert_1_active N/A is not available", entry: u(certActive(1, flagNA)), want: NotAvailable, reason: "cert_1_active is N/A"},
		{name: "cert_2_active not_supported is not available", entry: u(certActive(2, flagNotSupp)), want: NotAvailable, reason: "cert_2_active is not_supported"},
		{name: "cert_1_active no_information does not hide an active certificate 2", entry: u(certActive(1, flagNoInfo), cert(2)), want: Failed, reason: "signing certificate 2 is active"},
	})
}
