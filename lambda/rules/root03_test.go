package rules

import (
	"strings"
	"testing"
)

func TestRoot03(t *testing.T) {
	withPassword := &Account{RootPasswordPresent: true, RootMFAEnabled: true}
	runRuleCases(t, &Root03, []ruleCase{
		{name: "a report file alone is not available", entry: root(), want: NotAvailable, reason: "needs iam:ListVirtualMFADevices"},
		{name: "a report file alone is not available even without MFA", entry: root(mfa(no)), want: NotAvailable, reason: "cannot be decided from a report file"},
		{name: "MFA without a virtual device passes", entry: root(), account: withPassword, want: Passed, reason: "no virtual MFA device"},
		{name: "virtual MFA device assigned to root fails", entry: root(), account: &Account{RootPasswordPresent: true, RootMFAEnabled: true, RootVirtualMFA: true}, want: Failed, reason: "virtual MFA device, not hardware"},
		{name: "no MFA at all fails", entry: root(mfa(no)), account: &Account{RootPasswordPresent: true}, want: Failed, reason: "root has no MFA (AccountMFAEnabled is 0) and has a password"},
		{name: "root credentials removed passes even with a virtual device", entry: root(), account: &Account{RootVirtualMFA: true}, want: Passed, reason: "root credentials removed"},
		{name: "root credentials removed passes without MFA despite not_supported in the report", entry: root(mfa(no)), account: &Account{}, want: Passed, reason: "root credentials removed"},
		{name: "no password but an active access key and a virtual device fails", entry: root(key(1, ago(5), na)), account: &Account{RootMFAEnabled: true, RootVirtualMFA: true}, want: Failed, reason: "virtual"},
		{name: "no password but an active signing certificate and no MFA fails", entry: root(mfa(no), cert(2)), account: &Account{}, want: Failed, reason: "active signing certificate 2"},
		{name: "no password, inactive key and certificate are ignored", entry: root(mfa(no), inactiveKey(1, ago(5), na), inactiveCert(1)), account: &Account{}, want: Passed, reason: "root credentials removed"},
		{name: "no password and certificate 2's flag N/A: removed cannot be decided", entry: root(mfa(no), certActive(2, flagNA)), account: &Account{}, want: NotAvailable, reason: "cert_2_active is N/A"},
		{name: "no password and key 1's flag N/A with MFA and no virtual device passes either way", entry: root(keyActive(1, flagNA)), account: &Account{RootMFAEnabled: true}, want: Passed, reason: "no virtual MFA device"},
		{name: "mfa_active N/A with a virtual device assigned fails either way", entry: root(mfa(flagNA)), account: &Account{RootPasswordPresent: true, RootMFAEnabled: true, RootVirtualMFA: true}, want: Failed, reason: "virtual MFA device, not hardware"},
		// GetAccountSummary, read with the devices, says whether root has
		// MFA now; the report may be hours older.
		{name: "MFA removed since the report fails", entry: root(), account: &Account{RootPasswordPresent: true}, want: Failed, reason: "root has no MFA (AccountMFAEnabled is 0) and has a password (AccountPasswordPresent)"},
		{name: "hardware MFA added since the report passes", entry: root(mfa(no)), account: withPassword, want: Passed, reason: "no virtual MFA device"},
		{name: "mfa_active no_information, and MFA in the account summary, passes", entry: root(mfa(flagNoInfo)), account: withPassword, want: Passed, reason: "no virtual MFA device"},
	})
}

// A live run whose account facts could not be read says so, not that it
// was given a report file alone.
func TestRoot03AccountUnread(t *testing.T) {
	for _, tc := range []struct {
		unread bool
		reason string
	}{
		{false, "cannot be decided from a report file"},
		{true, "which this run could not read (its warning says why)"},
	} {
		res, err := Evaluate(Input{Report: testReport(), AsOf: testAsOf, AccountUnread: tc.unread}, []Selected{Select(&Root03, nil)})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Status != NotAvailable || !strings.Contains(res[0].Reason, tc.reason) {
			t.Errorf("unread %v: %+v, want NOT_AVAILABLE saying %q", tc.unread, res, tc.reason)
		}
	}
}
