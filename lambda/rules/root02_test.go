package rules

import (
	"strings"
	"testing"

	"github.com/credaudit/credaudit/lambda/credreport"
)

func TestRoot02(t *testing.T) {
	runRuleCases(t, &Root02, []ruleCase{
		{name: "root with MFA passes", entry: root(), want: Passed, reason: "root has MFA enabled"},
		{name: "root with MFA and an active key passes", entry: root(key(1, ago(3), na)), want: Passed, reason: "MFA enabled"},
		{name: "no MFA and password not_supported fails: password assumed present", entry: root(mfa(no)), want: Failed, reason: "password_enabled is not_supported, assumed present"},
		{name: "no MFA and password_enabled N/A counts as present", entry: root(mfa(no), passwordEnabled(flagNA)), want: Failed, reason: "password_enabled is N/A"},
		{name: "no MFA and password_enabled no_information counts as present", entry: root(mfa(no), passwordEnabled(flagNoInfo)), want: Failed, reason: "no_information"},
		{name: "no MFA and password explicitly true fails", entry: root(mfa(no), passwordEnabled(yes)), want: Failed, reason: "root has no MFA and has a password"},
		{name: "no MFA, password false and nothing else passes as root credentials removed", entry: root(mfa(no), passwordEnabled(no)), want: Passed, reason: "root credentials removed"},
		{name: "no MFA, password false, active access key 2 fails", entry: root(mfa(no), passwordEnabled(no), key(2, ago(3), na)), want: Failed, reason: "has active access key 2"},
		{name: "no MFA, password false, active signing certificate 1 fails", entry: root(mfa(no), passwordEnabled(no), cert(1)), want: Failed, reason: "has active signing certificate 1"},
		{name: "no MFA, password false, inactive key and certificate are ignored", entry: root(mfa(no), passwordEnabled(no), inactiveKey(1, ago(9), na), inactiveCert(2)), want: Passed, reason: "root credentials removed"},
		{name: "account summary without a root password passes despite not_supported in the report", entry: root(mfa(no)), account: &Account{}, want: Passed, reason: "root credentials removed"},
		{name: "account summary without a root password overrides password_enabled true", entry: root(mfa(no), passwordEnabled(yes)), account: &Account{}, want: Passed, reason: "root credentials removed"},
		{name: "account summary with a root password fails", entry: root(mfa(no)), account: &Account{RootPasswordPresent: true}, want: Failed, reason: "a password (AccountPasswordPresent)"},
		{name: "account summary without a password but an active key fails", entry: root(mfa(no), key(1, ago(3), na)), account: &Account{}, want: Failed, reason: "active access key 1"},
		{name: "no MFA, password false, access key 2's flag N/A: removed cannot be decided", entry: root(mfa(no), passwordEnabled(no), keyActive(2, flagNA)), want: NotAvailable, reason: "access_key_2_active is N/A"},
		{name: "no MFA, password false, certificate 1's flag no_information: removed cannot be decided", entry: root(mfa(no), passwordEnabled(no), certActive(1, flagNoInfo)), want: NotAvailable, reason: "cert_1_active is no_information"},
		{name: "no MFA, key 1's flag N/A but an active key 2 fails", entry: root(mfa(no), passwordEnabled(no), keyActive(1, flagNA), key(2, ago(3), na)), want: Failed, reason: "has active access key 2"},
		{name: "no MFA, a key flag no_information but an active certificate 2 fails", entry: root(mfa(no), passwordEnabled(no), keyActive(1, flagNoInfo), cert(2)), want: Failed, reason: "has active signing certificate 2"},
		{name: "no MFA, an active key 1 fails whatever key 2's flag holds", entry: root(mfa(no), passwordEnabled(no), key(1, ago(3), na), keyActive(2, flagNA)), want: Failed, reason: "has active access key 1"},
		{name: "account summary without a root password and a key flag not_supported is not available", entry: root(mfa(no), keyActive(1, flagNotSupp)), account: &Account{}, want: NotAvailable, reason: "access_key_1_active is not_supported"},
		{name: "MFA passes whatever the key flags hold", entry: root(keyActive(1, flagNA)), want: Passed, reason: "MFA enabled"},
		{name: "mfa_active N/A with root credentials present is not available", entry: root(mfa(flagNA)), want: NotAvailable, reason: "mfa_active is N/A"},
		{name: "mfa_active not_supported with root credentials removed passes", entry: root(mfa(flagNotSupp), passwordEnabled(no)), want: Passed, reason: "root credentials removed"},
		{name: "GovCloud root without MFA and nothing else is not applicable: it has no console password", entry: root(govCloud, mfa(no)), want: NotAvailable,
			reason: "not applicable: no password (the root user of AWS GovCloud (US) has no console access; password_enabled is not_supported), and no active access key or signing certificate"},
		{name: "GovCloud root with MFA passes", entry: root(govCloud), want: Passed, reason: "root has MFA enabled"},
		{name: "GovCloud root: an account summary with no password passes", entry: root(govCloud, mfa(no)), account: &Account{}, want: Passed, reason: "root credentials removed"},
		{name: "GovCloud root without MFA and with an active access key fails", entry: root(govCloud, mfa(no), key(1, ago(3), na)), want: Failed, reason: "root has no MFA and has active access key 1"},
		{name: "GovCloud root without MFA and with an active signing certificate fails", entry: root(govCloud, mfa(no), cert(2)), want: Failed, reason: "has active signing certificate 2"},
		{name: "GovCloud root with password_enabled true (not expected) fails", entry: root(govCloud, mfa(no), passwordEnabled(yes)), want: Failed, reason: "root has no MFA and has a password"},
		{name: "GovCloud root with a key flag N/A cannot be decided", entry: root(govCloud, mfa(no), keyActive(2, flagNA)), want: NotAvailable, reason: "access_key_2_active is N/A"},
		{name: "GovCloud root: the account summary decides when known", entry: root(govCloud, mfa(no)), account: &Account{RootPasswordPresent: true}, want: Failed, reason: "a password (AccountPasswordPresent)"},
	})
}

// govCloud puts a row in AWS GovCloud (US).
func govCloud(e *credreport.Entry) { e.ARN = strings.Replace(e.ARN, "arn:aws:", "arn:aws-us-gov:", 1) }
