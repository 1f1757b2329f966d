package rules

import "testing"

func TestRoot05(t *testing.T) {
	runRuleCases(t, &Root05, []ruleCase{
		{name: "root without signing certificates passes", entry: root(), want: Passed, reason: "root has no active signing certificate"},
		{name: "active signing certificate 1 fails", entry: root(cert(1)), want: Failed, reason: "root has active signing certificate 1"},
		{name: "active signing certificate 2 fails", entry: root(cert(2)), want: Failed, reason: "signing certificate 2"},
		{name: "both certificates active fails naming both", entry: root(cert(1), cert(2)), want: Failed, reason: "signing certificates 1 and 2"},
		{name: "inactive certificates are ignored", entry: root(inactiveCert(1), inactiveCert(2)), want: Passed, reason: "no active signing certificate"},
		{name: "cert_1_active N/A is not available", entry: root(certActive(1, flagNA)), want: NotAvailable, reason: "cert_1_active is N/A"},
		{name: "cert_2_active not_supported is not available", entry: root(certActive(2, flagNotSupp)), want: NotAvailable, reason: "cert_2_active is not_supported"},
		{name: "cert_1_active no_information does not hide an active certificate 2", entry: root(certActive(1, flagNoInfo), cert(2)), want: Failed, reason: "signing certificate 2"},
	})
}
