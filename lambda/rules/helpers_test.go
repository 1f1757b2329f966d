package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
)

// testAsOf is the fixed clock of every rule test.
var testAsOf = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)

const testAccount = "123456789012"

// Cell values.
var (
	na           = credreport.Time{State: credreport.NotApplicable}
	noInfo       = credreport.Time{State: credreport.NoInformation}
	notSupported = credreport.Time{State: credreport.NotSupported}

	yes         = credreport.Bool{V: true}
	no          = credreport.Bool{V: false}
	flagNA      = credreport.Bool{State: credreport.NotApplicable}
	flagNoInfo  = credreport.Bool{State: credreport.NoInformation}
	flagNotSupp = credreport.Bool{State: credreport.NotSupported}
)

// ago is a time exactly n days before testAsOf.
func ago(n int) credreport.Time { return agoD(time.Duration(n) * 24 * time.Hour) }

// agoD is a time d before testAsOf (negative d: after it).
func agoD(d time.Duration) credreport.Time { return credreport.TimeOf(testAsOf.Add(-d)) }

// opt changes a test entry.
type opt func(e *credreport.Entry)

// user returns IAM user name, created 400 days ago, with no credentials and no
// MFA, changed by opts.
func user(name string, opts ...opt) *credreport.Entry {
	e := &credreport.Entry{
		User:                 name,
		ARN:                  "arn:aws:iam::" + testAccount + ":user/" + name,
		UserCreationTime:     ago(400),
		PasswordEnabled:      no,
		PasswordLastUsed:     na,
		PasswordLastChanged:  na,
		PasswordNextRotation: na,
		MFAActive:            no,
	}
	for i := range 2 {
		e.AccessKeys[i] = credreport.AccessKey{Active: no, LastRotated: na, LastUsedDate: na}
		e.Certs[i] = credreport.Cert{Active: no, LastRotated: na}
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// u is user("alice", opts...).
func u(opts ...opt) *credreport.Entry { return user("alice", opts...) }

// root returns the root row as IAM writes it (password_enabled,
// password_last_changed and password_next_rotation not_supported, password
// never used) with MFA active and no keys or certificates, changed by opts.
func root(opts ...opt) *credreport.Entry {
	base := []opt{func(e *credreport.Entry) {
		e.ARN = "arn:aws:iam::" + testAccount + ":root"
		e.PasswordEnabled = flagNotSupp
		e.PasswordLastChanged = notSupported
		e.PasswordNextRotation = notSupported
		e.PasswordLastUsed = noInfo
		e.MFAActive = yes
	}}
	return user(credreport.RootUser, append(base, opts...)...)
}

// password enables the console password, last used and last changed as given.
func password(lastUsed, lastChanged credreport.Time) opt {
	return func(e *credreport.Entry) {
		e.PasswordEnabled, e.PasswordLastUsed, e.PasswordLastChanged = yes, lastUsed, lastChanged
	}
}

// key makes access key slot (1 or 2) active, created and last used as given.
func key(slot int, rotated, used credreport.Time) opt {
	return func(e *credreport.Entry) {
		e.AccessKeys[slot-1] = credreport.AccessKey{Active: yes, LastRotated: rotated, LastUsedDate: used}
	}
}

// inactiveKey is key with the slot inactive.
func inactiveKey(slot int, rotated, used credreport.Time) opt {
	return func(e *credreport.Entry) {
		e.AccessKeys[slot-1] = credreport.AccessKey{Active: no, LastRotated: rotated, LastUsedDate: used}
	}
}

// cert makes signing certificate slot (1 or 2) active.
func cert(slot int) opt {
	return func(e *credreport.Entry) { e.Certs[slot-1] = credreport.Cert{Active: yes, LastRotated: ago(100)} }
}

// inactiveCert uploads a certificate in slot and leaves it inactive.
func inactiveCert(slot int) opt {
	return func(e *credreport.Entry) { e.Certs[slot-1] = credreport.Cert{Active: no, LastRotated: ago(100)} }
}

// with applies f to the entry.
func with(f func(e *credreport.Entry)) opt { return f }

func mfa(b credreport.Bool) opt { return with(func(e *credreport.Entry) { e.MFAActive = b }) }

func created(t credreport.Time) opt {
	return with(func(e *credreport.Entry) { e.UserCreationTime = t })
}

// ruleCase is one row of a rule's table.
type ruleCase struct {
	name       string
	entry      *credreport.Entry
	account    *Account       // Env.Account
	thresholds map[string]int // overrides of the rule's defaults
	want       Status
	reason     string // a fragment the reason must contain
}

// runRuleCases evaluates each case with the rule's resolved thresholds at
// testAsOf, then checks through Evaluate that the rule covers only the root
// row (ScopeRoot) or only IAM users (ScopeUsers).
func runRuleCases(t *testing.T, r *Rule, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Select(r, tc.thresholds)
			env := Env{AsOf: testAsOf, AccountID: testAccount, Account: tc.account, Thresholds: s.Thresholds}
			got, err := r.Evaluate(tc.entry, env)
			if err != nil {
				t.Fatalf("%s: unexpected error: %v", r.ID, err)
			}
			if got.Status != tc.want || !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("%s = %s %q, want %s with reason containing %q", r.ID, got.Status, got.Reason, tc.want, tc.reason)
			}
			if got.Reason == "" || strings.Contains(got.Reason, "\n") {
				t.Errorf("%s reason %q is not one sentence", r.ID, got.Reason)
			}
		})
	}
	switch r.Scope {
	case ScopeRoot:
		t.Run("covers only the root row", func(t *testing.T) { checkRootScope(t, r) })
	case ScopeUsers:
		t.Run("covers every IAM user and never root", func(t *testing.T) { checkUserScope(t, r) })
	default:
		t.Fatalf("%s: built-in rule with scope %d", r.ID, r.Scope)
	}
}

// scopeReport has a root row and two users, each holding every credential
// (so a rule evaluated on the wrong row would have something to say).
func scopeReport() *credreport.Report {
	everything := []opt{password(ago(1), ago(200)), key(1, ago(300), na), key(2, ago(300), ago(100)), cert(1), mfa(no)}
	rt := root(everything...)
	a, b := user("alice", everything...), user("bob", everything...)
	return &credreport.Report{
		Entries: []*credreport.Entry{rt, a, b}, Root: rt, Users: []*credreport.Entry{a, b},
		AccountID: testAccount, Partition: "aws",
	}
}

func checkRootScope(t *testing.T, r *Rule) {
	t.Helper()
	rep := scopeReport()
	res, err := Evaluate(Input{Report: rep, AsOf: testAsOf, Account: &Account{}}, []Selected{Select(r, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("%s gave %d results for a report with root and 2 users, want 1", r.ID, len(res))
	}
	if got := res[0]; got.ResourceType() != ResourceAccount || got.User() != credreport.RootUser || got.ResourceID() != "AWS::::Account:"+testAccount {
		t.Errorf("%s result is for %s %s (%s), want the account", r.ID, got.ResourceType(), got.ResourceID(), got.User())
	}

	rep.Root, rep.Entries = nil, rep.Entries[1:]
	res, err = Evaluate(Input{Report: rep, AsOf: testAsOf}, []Selected{Select(r, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Status != NotAvailable {
		t.Errorf("%s on a report without a root row gave %+v, want one NOT_AVAILABLE result", r.ID, res)
	}
}

func checkUserScope(t *testing.T, r *Rule) {
	t.Helper()
	res, err := Evaluate(Input{Report: scopeReport(), AsOf: testAsOf}, []Selected{Select(r, nil)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range res {
		got = append(got, x.User())
		if x.ResourceType() != ResourceIAMUser || x.ResourceID() != x.ARN() {
			t.Errorf("%s result for %s has resource %s %s, want an IAM user by ARN", r.ID, x.User(), x.ResourceType(), x.ResourceID())
		}
	}
	if strings.Join(got, ",") != "alice,bob" {
		t.Errorf("%s covered users %v, want [alice bob] (never root)", r.ID, got)
	}
}

func passwordEnabled(b credreport.Bool) opt {
	return with(func(e *credreport.Entry) { e.PasswordEnabled = b })
}

func keyActive(slot int, b credreport.Bool) opt {
	return with(func(e *credreport.Entry) { e.AccessKeys[slot-1].Active = b })
}

func certActive(slot int, b credreport.Bool) opt {
	return with(func(e *credreport.Entry) { e.Certs[slot-1].Active = b })
}

func nextRotation(t credreport.Time) opt {
	return with(func(e *credreport.Entry) { e.PasswordNextRotation = t })
}

func passwordLastUsed(t credreport.Time) opt {
	return with(func(e *credreport.Entry) { e.PasswordLastUsed = t })
}

const day = 24 * time.Hour

// entry shortens credreport.Entry in with(...) literals.
type entry = credreport.Entry
