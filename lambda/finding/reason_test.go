package finding

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/rules"
)

func TestSplitReason(t *testing.T) {
	tests := []struct {
		reason string
		shape  string
		qs     []quantity
	}{
		{"MFA is not active", "MFA is not active", nil},
		{"access key 2 is 131 days old", "access key 2 is \x00 old", []quantity{{131, ageing}}},
		{"access key 1 is 1 day old", "access key 1 is \x00 old", []quantity{{1, ageing}}},
		{"root was last used less than a day ago (password)", "root was last used \x00 ago (password)", []quantity{{0, ageing}}},
		{"password expires in 5 days", "password expires in \x00", []quantity{{5, countdown}}},
		{"password expires in less than a day", "password expires in \x00", []quantity{{0, countdown}}},
		{"password expired 3 days ago", "password expired \x00 ago", []quantity{{3, ageing}}},
		{
			"unused for 45 days or more: password last used 60 days ago; access key 1 never used, created 50 days ago",
			"unused for \x00 or more: password last used \x00 ago; access key 1 never used, created \x00 ago",
			[]quantity{{45, fixed}, {60, ageing}, {50, ageing}},
		},
		{"never used and set 45 days ago or more: access key 2 never used, created 46 days ago",
			"never used and set \x00 ago or more: access key 2 never used, created \x00 ago",
			[]quantity{{45, fixed}, {46, ageing}}},
		{"a window of 12 days", "a window of \x00", []quantity{{12, fixed}}},
		{"key 12 is 3 daysold", "key 12 is 3 daysold", nil},
		{"1234567 days old", "1234567 days old", nil},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			shape, qs := splitReason(tt.reason)
			if shape != tt.shape {
				t.Errorf("shape = %q, want %q", shape, tt.shape)
			}
			if diff := cmp.Diff(tt.qs, qs, cmp.AllowUnexported(quantity{})); diff != "" {
				t.Errorf("quantities (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSameFact(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name      string
		prev, cur string
		elapsed   time.Duration
		want      bool
	}{
		{"identical text without counts is the same", "MFA is not active", "MFA is not active", 24 * h, true},
		{"other words differ", "MFA is not active", "console password enabled and MFA not active", 0, false},
		{"an age one day older a day later is the same", "access key 1 is 131 days old", "access key 1 is 132 days old", 24 * h, true},
		{"an age a week older a week later is the same", "access key 1 is 131 days old", "access key 1 is 138 days old", 7 * 24 * h, true},
		{"an age unchanged a week later is a newer fact", "root was last used 3 days ago", "root was last used 3 days ago", 7 * 24 * h, false},
		{"an age unchanged a day later is a newer fact", "root was last used less than a day ago", "root was last used less than a day ago", 24 * h, false},
		{"an age unchanged 20 hours later may be the same", "root was last used 3 days ago", "root was last used 3 days ago", 20 * h, true},
		{"an age one older 20 hours later may be the same", "root was last used 3 days ago", "root was last used 4 days ago", 20 * h, true},
		{"an age two older 20 hours later is an older fact", "root was last used 3 days ago", "root was last used 5 days ago", 20 * h, false},
		{"an age one older 36 hours later may be the same", "access key 1 is 10 days old", "access key 1 is 11 days old", 36 * h, true},
		{"an age two older 36 hours later may be the same", "access key 1 is 10 days old", "access key 1 is 12 days old", 36 * h, true},
		{"an age the same in the same report is the same", "access key 1 is 10 days old", "access key 1 is 10 days old", 0, true},
		{"an age younger after the clock went back a day is the same", "access key 1 is 10 days old", "access key 1 is 9 days old", -24 * h, true},
		{"a time left a day shorter a day later is the same", "password expires in 5 days", "password expires in 4 days", 24 * h, true},
		{"a time left unchanged a day later is a later expiry", "password expires in 5 days", "password expires in 5 days", 24 * h, false},
		{"a time left running out is the same", "password expires in 1 day", "password expires in less than a day", 24 * h, true},
		{"a threshold unchanged is the same", "unused for 45 days or more: password last used 60 days ago",
			"unused for 45 days or more: password last used 61 days ago", 24 * h, true},
		{"a threshold reconfigured is not the same", "unused for 45 days or more: password last used 60 days ago",
			"unused for 60 days or more: password last used 61 days ago", 24 * h, false},
		{"another credential listed is not the same", "unused for 45 days or more: password last used 60 days ago",
			"unused for 45 days or more: password last used 61 days ago; access key 1 last used 45 days ago", 24 * h, false},
		{"another slot is not the same", "access key 1 is 131 days old", "access key 2 is 132 days old", 24 * h, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameFact(tt.prev, t0, tt.cur, t0.Add(tt.elapsed)); got != tt.want {
				t.Errorf("sameFact(%q, %q, %v later) = %v, want %v", tt.prev, tt.cur, tt.elapsed, got, tt.want)
			}
		})
	}
}

// The built-in rules' own reasons, evaluated on a row at two as-of times,
// pin sameFact to their wording: if a rule's wording changes so that an
// unchanged fact reads as changed (or the reverse), this test says so.
func TestSameFactOnRuleReasons(t *testing.T) {
	at := func(d time.Duration) credreport.Time { return credreport.TimeOf(t0.Add(d)) }
	na := credreport.Time{State: credreport.NotApplicable}
	yes, no := credreport.Bool{V: true}, credreport.Bool{V: false}
	row := func(edit func(e *credreport.Entry)) *credreport.Entry {
		e := &credreport.Entry{User: "alice", ARN: "arn:aws:iam::" + acct + ":user/alice",
			UserCreationTime: at(-400 * 24 * time.Hour), PasswordEnabled: no, PasswordLastUsed: na, PasswordLastChanged: na,
			PasswordNextRotation: na, MFAActive: no}
		for i := range 2 {
			e.AccessKeys[i] = credreport.AccessKey{Active: no, LastRotated: na, LastUsedDate: na}
			e.Certs[i] = credreport.Cert{Active: no, LastRotated: na}
		}
		edit(e)
		return e
	}
	rootRow := func(lastUsed credreport.Time) *credreport.Entry {
		return row(func(e *credreport.Entry) {
			e.User, e.ARN = credreport.RootUser, "arn:aws:iam::"+acct+":root"
			e.PasswordEnabled, e.PasswordLastUsed = yes, lastUsed
		})
	}
	day := 24 * time.Hour
	oldKey := row(func(e *credreport.Entry) {
		e.AccessKeys[0] = credreport.AccessKey{Active: yes, LastRotated: at(-131*day - 5*time.Hour), LastUsedDate: at(-2 * time.Hour)}
	})
	idle := row(func(e *credreport.Entry) {
		e.PasswordEnabled, e.PasswordLastUsed, e.PasswordLastChanged = yes, at(-60*day-3*time.Hour), at(-300*day)
		e.AccessKeys[1] = credreport.AccessKey{Active: yes, LastRotated: at(-50 * day), LastUsedDate: na}
	})
	expiring := row(func(e *credreport.Entry) {
		e.PasswordEnabled, e.PasswordLastChanged, e.PasswordNextRotation = yes, at(-80*day), at(6*day+7*time.Hour)
	})
	tests := []struct {
		name          string
		rule          *rules.Rule
		before, after *credreport.Entry
		elapsed       time.Duration
		want          bool
	}{
		{"KEY-01: the same key 25 hours later", &rules.Key01, oldKey, oldKey, 25 * time.Hour, true},
		{"KEY-01: the same key 30 days later", &rules.Key01, oldKey, oldKey, 30 * day, true},
		{"ROOT-04: no new use 3 days later", &rules.Root04, rootRow(at(-3 * day)), rootRow(at(-3 * day)), 3 * day, true},
		{"ROOT-04: a new use 3 days later", &rules.Root04, rootRow(at(-3 * day)), rootRow(at(2 * day)), 3 * day, false},
		{"ROOT-04: a new use the next day", &rules.Root04, rootRow(at(-time.Hour)), rootRow(at(23 * time.Hour)), day, false},
		{"CRED-01: nothing used 4 days later", &rules.Cred01, idle, idle, 4 * day, true},
		{"PWD-02: the same expiry 2 days later", &rules.Pwd02, expiring, expiring, 2 * day, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v1, err := tt.rule.Evaluate(tt.before, rules.Env{AsOf: t0, AccountID: acct})
			if err != nil {
				t.Fatal(err)
			}
			v2, err := tt.rule.Evaluate(tt.after, rules.Env{AsOf: t0.Add(tt.elapsed), AccountID: acct})
			if err != nil {
				t.Fatal(err)
			}
			if v1.Status != rules.Failed || v2.Status != rules.Failed {
				t.Fatalf("want two failures, got %s %q and %s %q", v1.Status, v1.Reason, v2.Status, v2.Reason)
			}
			if got := sameFact(v1.Reason, t0, v2.Reason, t0.Add(tt.elapsed)); got != tt.want {
				t.Errorf("sameFact(%q, %q, %v later) = %v, want %v", v1.Reason, v2.Reason, tt.elapsed, got, tt.want)
			}
		})
	}
}
