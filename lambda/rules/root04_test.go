package rules

import (
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
)

func TestRoot04(t *testing.T) {
	runRuleCases(t, &Root04, []ruleCase{
		{name: "root never used passes", entry: root(), want: Passed, reason: "root has no recorded password or access-key use"},
		{name: "password used 89 days ago fails", entry: root(passwordLastUsed(ago(89))), want: Failed, reason: "root was last used 89 days ago (password)"},
		{name: "password used exactly 90 days ago passes", entry: root(passwordLastUsed(ago(90))), want: Passed, reason: "root was last used 90 days ago (password)"},
		{name: "password used a second short of 90 days ago fails", entry: root(passwordLastUsed(agoD(90*day - time.Second))), want: Failed, reason: "89 days ago"},
		{name: "the latest use counts, not the first column", entry: root(passwordLastUsed(ago(200)), key(2, ago(300), ago(3))), want: Failed, reason: "3 days ago (access key 2)"},
		{name: "use of a since-deactivated key is still root use", entry: root(inactiveKey(1, ago(500), ago(10))), want: Failed, reason: "10 days ago (access key 1)"},
		{name: "used less than a day ago fails", entry: root(passwordLastUsed(agoD(2 * time.Hour))), want: Failed, reason: "less than a day ago"},
		{name: "password_last_used N/A is no use", entry: root(passwordLastUsed(na), key(1, ago(300), ago(100))), want: Passed, reason: "100 days ago (access key 1)"},
		{name: "password_last_used not_supported is no use", entry: root(passwordLastUsed(notSupported)), want: Passed, reason: "no recorded"},
		{name: "access key dates N/A and no_information are no use", entry: root(key(1, ago(30), na), key(2, ago(30), noInfo)), want: Passed, reason: "no recorded"},
		{name: "a configured 1-day window passes use 2 days ago", entry: root(passwordLastUsed(ago(2))), thresholds: map[string]int{"days": 1}, want: Passed, reason: "2 days ago"},
		{name: "a configured 1-day window fails use today", entry: root(passwordLastUsed(agoD(time.Hour))), thresholds: map[string]int{"days": 1}, want: Failed, reason: "less than a day ago"},
		{name: "a configured 30-day window fails use 29 days ago", entry: root(passwordLastUsed(ago(29))), thresholds: map[string]int{"days": 30}, want: Failed, reason: "29 days ago"},
		{name: "a configured 30-day window passes use 30 days ago", entry: root(passwordLastUsed(ago(30))), thresholds: map[string]int{"days": 30}, want: Passed, reason: "30 days ago"},
	})
}

// ROOT-04's event is the use its reason names: the latest of the three
// columns, a deactivated key's included, and none without a time.
func TestRoot04Event(t *testing.T) {
	for _, tc := range []struct {
		name  string
		entry *credreport.Entry
		want  credreport.Time
	}{
		{"the latest use, not the first column", root(passwordLastUsed(ago(200)), key(2, ago(300), agoD(3*time.Hour))), agoD(3 * time.Hour)},
		{"a since-deactivated key's use", root(inactiveKey(1, ago(500), ago(10))), ago(10)},
		{"no use recorded", root(passwordLastUsed(notSupported), key(1, ago(30), na), key(2, ago(30), noInfo)), na},
	} {
		want, _ := tc.want.Get() // zero for a sentinel
		if got := Root04.Event(tc.entry); !got.Equal(want) {
			t.Errorf("%s: Event = %v, want %v", tc.name, got, want)
		}
	}
}
