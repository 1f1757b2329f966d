package rules_test

// A differential test: an independent model of the 19 built-in rules,
// written from the specification (issue 3 §1–2, the rule catalog and the
// README's documented refinements) without reading the rules' code, is run
// over tens of thousands of generated rows and compared with rules.Evaluate.
//
// Where the specification leaves a case open, the model follows what the
// README documents: a sentinel decides a verdict only when the verdict hinges
// on it; root's not_supported password counts as present, except in AWS
// GovCloud (US), where it cannot be told (an explicit true or false on the
// root row is taken as written); PWD-01 without password_last_changed passes
// a user created within its days; a report without a root row leaves every
// root rule NOT_AVAILABLE.

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/rules"
)

// ---------------------------------------------------------------------------
// The model.

// truth is what a row says about a fact: yes, no, or unknown (a sentinel in a
// cell the fact hinges on). Combined with Kleene's logic, an unknown decides
// the verdict only when the verdict hinges on it, which is the README's rule:
// "A sentinel the verdict does not hinge on decides nothing".
type truth uint8

const (
	no truth = iota
	yes
	unknown
)

func not(a truth) truth {
	switch a {
	case yes:
		return no
	case no:
		return yes
	}
	return unknown
}

func and(facts ...truth) truth {
	out := yes
	for _, f := range facts {
		if f == no {
			return no
		}
		if f == unknown {
			out = unknown
		}
	}
	return out
}

func or(facts ...truth) truth {
	out := no
	for _, f := range facts {
		if f == yes {
			return yes
		}
		if f == unknown {
			out = unknown
		}
	}
	return out
}

func when(b bool) truth {
	if b {
		return yes
	}
	return no
}

// flag reads a true/false cell; a sentinel is unknown.
func flag(b credreport.Bool) truth {
	if b.State != credreport.Set {
		return unknown
	}
	return when(b.V)
}

// fails turns "the rule fails" into a status.
func fails(f truth) rules.Status {
	switch f {
	case yes:
		return rules.Failed
	case no:
		return rules.Passed
	}
	return rules.NotAvailable
}

// world is what a verdict reads besides the row.
type world struct {
	asOf    time.Time
	days    int            // the rule's threshold: days, or its grace period (0: none)
	account *rules.Account // nil: a report file alone
}

// ageDays is floor((asOf − t) / 24h), never below 0, computed in whole
// seconds and nanoseconds so that no duration overflows.
func (w world) ageDays(t time.Time) int {
	secs := w.asOf.Unix() - t.Unix()
	if w.asOf.Nanosecond() < t.Nanosecond() {
		secs-- // the difference is secs−1 and a fraction
	}
	if secs < 0 {
		return 0
	}
	return int(secs / 86400)
}

// timeIn is the cell's time, or nothing for a sentinel.
func timeIn(c credreport.Time) (time.Time, bool) { return c.Get() }

// firstTime is the first of the cells that holds a time: the spec's
// "a, else b, else c".
func firstTime(cells ...credreport.Time) (time.Time, bool) {
	for _, c := range cells {
		if t, ok := timeIn(c); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// atLeastDaysOld is "ageDays(t) ≥ n", unknown when there is no time.
func (w world) atLeastDaysOld(t time.Time, ok bool, n int) truth {
	if !ok {
		return unknown
	}
	return when(w.ageDays(t) >= n)
}

// withinGrace is "ageDays(t) < n" for a grace period of n days: never when
// n is 0 (no grace period), whatever the time; unknown when there is none.
func (w world) withinGrace(t time.Time, ok bool, n int) truth {
	if n == 0 {
		return no
	}
	if !ok {
		return unknown
	}
	return when(w.ageDays(t) < n)
}

// moreThanDaysOld is "ageDays(t) > n", unknown when there is no time.
func (w world) moreThanDaysOld(t time.Time, ok bool, n int) truth {
	if !ok {
		return unknown
	}
	return when(w.ageDays(t) > n)
}

func passwordOn(e *credreport.Entry) truth { return flag(e.PasswordEnabled) }
func mfaOn(e *credreport.Entry) truth      { return flag(e.MFAActive) }
func keyOn(e *credreport.Entry, n int) truth {
	return flag(e.AccessKeys[n].Active)
}
func certOn(e *credreport.Entry, n int) truth { return flag(e.Certs[n].Active) }

// neverUsed: the last-used cell holds no time.
func neverUsed(c credreport.Time) truth {
	_, ok := timeIn(c)
	return when(!ok)
}

// passwordReference: password_last_used, else password_last_changed,
// else user_creation_time (issue 3 §1).
func passwordReference(e *credreport.Entry) (time.Time, bool) {
	return firstTime(e.PasswordLastUsed, e.PasswordLastChanged, e.UserCreationTime)
}

// keyReference: access_key_n_last_used_date, else access_key_n_last_rotated,
// else user_creation_time (issue 3 §1).
func keyReference(e *credreport.Entry, n int) (time.Time, bool) {
	k := e.AccessKeys[n]
	return firstTime(k.LastUsedDate, k.LastRotated, e.UserCreationTime)
}

// keyCreated: access_key_n_last_rotated, else user_creation_time (KEY-01).
func keyCreated(e *credreport.Entry, n int) (time.Time, bool) {
	return firstTime(e.AccessKeys[n].LastRotated, e.UserCreationTime)
}

// passwordSet: password_last_changed, else user_creation_time (CRED-03).
func passwordSet(e *credreport.Entry) (time.Time, bool) {
	return firstTime(e.PasswordLastChanged, e.UserCreationTime)
}

// isGovCloud: the row's ARN is in AWS GovCloud (US).
func isGovCloud(e *credreport.Entry) bool { return strings.HasPrefix(e.ARN, "arn:aws-us-gov:") }

// rootPasswordPresent: with the live account's facts, AccountPasswordPresent;
// from the report alone, password_enabled when it says true or false, and
// when it holds a sentinel (always, as IAM writes root's row) present
// ("password not explicitly false", issue 3 ROOT-02), except in GovCloud,
// whose root has no console access (catalog ROOT-02; README), where it
// cannot be told.
func rootPasswordPresent(e *credreport.Entry, w world) truth {
	switch {
	case w.account != nil:
		return when(w.account.RootPasswordPresent)
	case e.PasswordEnabled.State == credreport.Set:
		return when(e.PasswordEnabled.V)
	case isGovCloud(e):
		return unknown
	}
	return yes
}

func rootCredentialsPresent(e *credreport.Entry, w world) truth {
	return or(rootPasswordPresent(e, w), keyOn(e, 0), keyOn(e, 1), certOn(e, 0), certOn(e, 1))
}

// ROOT-01: root has an active access key (either slot).
func root01(e *credreport.Entry, w world) rules.Status {
	return fails(or(keyOn(e, 0), keyOn(e, 1)))
}

// ROOT-02: root mfa_active is false and root credentials are present.
func root02(e *credreport.Entry, w world) rules.Status {
	return fails(and(not(mfaOn(e)), rootCredentialsPresent(e, w)))
}

// ROOT-03: root uses no hardware MFA; needs the live account, else
// NOT_AVAILABLE. With it: credentials present and (no MFA, as
// GetAccountSummary says, or a virtual MFA device assigned to root);
// removed credentials pass.
func root03(e *credreport.Entry, w world) rules.Status {
	if w.account == nil {
		return rules.NotAvailable
	}
	return fails(and(rootCredentialsPresent(e, w), or(when(!w.account.RootMFAEnabled), when(w.account.RootVirtualMFA))))
}

// ROOT-04: the latest of root's password_last_used and both keys'
// last_used_date (sentinels ignored) is less than `days` days old; no
// recorded use passes.
func root04(e *credreport.Entry, w world) rules.Status {
	var latest time.Time
	found := false
	for _, c := range []credreport.Time{e.PasswordLastUsed, e.AccessKeys[0].LastUsedDate, e.AccessKeys[1].LastUsedDate} {
		if t, ok := timeIn(c); ok && (!found || t.After(latest)) {
			latest, found = t, true
		}
	}
	if !found {
		return rules.Passed
	}
	return fails(when(w.ageDays(latest) < w.days))
}

// ROOT-05: root has an active signing certificate.
func root05(e *credreport.Entry, w world) rules.Status {
	return fails(or(certOn(e, 0), certOn(e, 1)))
}

// USER-01: console password enabled and MFA not active, unless the user was
// created within the grace period (README: from user_creation_time, which a
// password reset does not move).
func user01(e *credreport.Entry, w world) rules.Status {
	created, ok := timeIn(e.UserCreationTime)
	return fails(and(passwordOn(e), not(mfaOn(e)), not(w.withinGrace(created, ok, w.days))))
}

// USER-02: MFA not active.
func user02(e *credreport.Entry, w world) rules.Status {
	return fails(not(mfaOn(e)))
}

// USER-03: console password enabled and an active access key.
func user03(e *credreport.Entry, w world) rules.Status {
	return fails(and(passwordOn(e), or(keyOn(e, 0), keyOn(e, 1))))
}

// USER-04: an enabled credential (password or key), and the latest use of
// any password or key, else user_creation_time, is `days` or more old.
func user04(e *credreport.Entry, w world) rules.Status {
	var latest time.Time
	found := false
	for _, c := range []credreport.Time{e.PasswordLastUsed, e.AccessKeys[0].LastUsedDate, e.AccessKeys[1].LastUsedDate} {
		if t, ok := timeIn(c); ok && (!found || t.After(latest)) {
			latest, found = t, true
		}
	}
	if !found {
		latest, found = timeIn(e.UserCreationTime)
	}
	enabled := or(passwordOn(e), keyOn(e, 0), keyOn(e, 1))
	return fails(and(enabled, w.atLeastDaysOld(latest, found, w.days)))
}

// USER-05: no enabled password, no active key, no active certificate.
func user05(e *credreport.Entry, w world) rules.Status {
	return fails(not(or(passwordOn(e), keyOn(e, 0), keyOn(e, 1), certOn(e, 0), certOn(e, 1))))
}

// USER-06: an active signing certificate.
func user06(e *credreport.Entry, w world) rules.Status {
	return fails(or(certOn(e, 0), certOn(e, 1)))
}

// unusedFor: an enabled credential whose reference time is `days` or more
// old (CRED-01, CRED-02).
func unusedFor(e *credreport.Entry, w world) rules.Status {
	pt, pok := passwordReference(e)
	k1, k1ok := keyReference(e, 0)
	k2, k2ok := keyReference(e, 1)
	return fails(or(
		and(passwordOn(e), w.atLeastDaysOld(pt, pok, w.days)),
		and(keyOn(e, 0), w.atLeastDaysOld(k1, k1ok, w.days)),
		and(keyOn(e, 1), w.atLeastDaysOld(k2, k2ok, w.days)),
	))
}

// CRED-01: an enabled credential's reference time is 45 (days) or more old.
func cred01(e *credreport.Entry, w world) rules.Status { return unusedFor(e, w) }

// CRED-02: the same at 90.
func cred02(e *credreport.Entry, w world) rules.Status { return unusedFor(e, w) }

// CRED-03: an enabled credential never used and set `days` or more ago.
func cred03(e *credreport.Entry, w world) rules.Status {
	ps, psok := passwordSet(e)
	k1, k1ok := keyCreated(e, 0)
	k2, k2ok := keyCreated(e, 1)
	return fails(or(
		and(passwordOn(e), neverUsed(e.PasswordLastUsed), w.atLeastDaysOld(ps, psok, w.days)),
		and(keyOn(e, 0), neverUsed(e.AccessKeys[0].LastUsedDate), w.atLeastDaysOld(k1, k1ok, w.days)),
		and(keyOn(e, 1), neverUsed(e.AccessKeys[1].LastUsedDate), w.atLeastDaysOld(k2, k2ok, w.days)),
	))
}

// KEY-01: an active key's last_rotated, else user_creation_time, is more
// than `days` old (90 passes, 91 fails).
func key01(e *credreport.Entry, w world) rules.Status {
	k1, k1ok := keyCreated(e, 0)
	k2, k2ok := keyCreated(e, 1)
	return fails(or(
		and(keyOn(e, 0), w.moreThanDaysOld(k1, k1ok, w.days)),
		and(keyOn(e, 1), w.moreThanDaysOld(k2, k2ok, w.days)),
	))
}

// KEY-02: both access keys active, unless the newer was created (KEY-01's
// reference) within the grace period: the newer is, when either is.
func key02(e *credreport.Entry, w world) rules.Status {
	k1, k1ok := keyCreated(e, 0)
	k2, k2ok := keyCreated(e, 1)
	return fails(and(keyOn(e, 0), keyOn(e, 1), not(or(w.withinGrace(k1, k1ok, w.days), w.withinGrace(k2, k2ok, w.days)))))
}

// KEY-03: console password enabled and an active key never used, unless
// that key was created within the grace period.
func key03(e *credreport.Entry, w world) rules.Status {
	k1, k1ok := keyCreated(e, 0)
	k2, k2ok := keyCreated(e, 1)
	return fails(and(passwordOn(e), or(
		and(keyOn(e, 0), neverUsed(e.AccessKeys[0].LastUsedDate), not(w.withinGrace(k1, k1ok, w.days))),
		and(keyOn(e, 1), neverUsed(e.AccessKeys[1].LastUsedDate), not(w.withinGrace(k2, k2ok, w.days))),
	)))
}

// PWD-01: console password enabled, MFA not active, password_last_changed
// more than `days` old. README: without password_last_changed, a user
// created within `days` passes (the password is no older than the user),
// an older one cannot be decided.
func pwd01(e *credreport.Entry, w world) rules.Status {
	old := unknown
	if t, ok := timeIn(e.PasswordLastChanged); ok {
		old = when(w.ageDays(t) > w.days)
	} else if t, ok := timeIn(e.UserCreationTime); ok && w.ageDays(t) <= w.days {
		old = no
	}
	return fails(and(passwordOn(e), not(mfaOn(e)), old))
}

// PWD-02: console password enabled and password_next_rotation is a time
// less than `days` days after asOf, or already past.
func pwd02(e *credreport.Entry, w world) rules.Status {
	soon := no
	if t, ok := timeIn(e.PasswordNextRotation); ok {
		soon = when(t.Sub(w.asOf) < time.Duration(w.days)*24*time.Hour)
	}
	return fails(and(passwordOn(e), soon))
}

// modelRule is one rule of the model, with the default threshold the spec
// gives it (0 for a rule without one), or a grace period, default 0 (the
// catalog's optional grace periods).
type modelRule struct {
	id      string
	root    bool
	days    int
	grace   bool
	verdict func(*credreport.Entry, world) rules.Status
}

// threshold is the name of the rule's threshold in the configuration, or "".
func (mr modelRule) threshold() string {
	switch {
	case mr.grace:
		return "grace_days"
	case mr.days != 0:
		return "days"
	}
	return ""
}

var model = []modelRule{
	{"ROOT-01", true, 0, false, root01},
	{"ROOT-02", true, 0, false, root02},
	{"ROOT-03", true, 0, false, root03},
	{"ROOT-04", true, 90, false, root04},
	{"ROOT-05", true, 0, false, root05},
	{"USER-01", false, 0, true, user01},
	{"USER-02", false, 0, false, user02},
	{"USER-03", false, 0, false, user03},
	{"USER-04", false, 90, false, user04},
	{"USER-05", false, 0, false, user05},
	{"USER-06", false, 0, false, user06},
	{"CRED-01", false, 45, false, cred01},
	{"CRED-02", false, 90, false, cred02},
	{"CRED-03", false, 30, false, cred03},
	{"KEY-01", false, 90, false, key01},
	{"KEY-02", false, 0, true, key02},
	{"KEY-03", false, 0, true, key03},
	{"PWD-01", false, 90, false, pwd01},
	{"PWD-02", false, 7, false, pwd02},
}

// ---------------------------------------------------------------------------
// The rows.

const oracleAccount = "123456789012"

// rowMaker draws cells for one report: every sentinel a column can hold,
// true/false in any case, and times on and around the threshold boundaries
// of the report's as-of time, after it, and far before it, in several time
// zones. Empty cells appear only where Parse takes them (last used region
// and service); an empty flag or time is a parse error naming its line and
// column, so no rule meets one.
type rowMaker struct {
	rng   *rand.Rand
	asOf  time.Time
	days  []int // day counts worth hitting exactly: every threshold of the run ±1
	zones []*time.Location
}

func (m *rowMaker) pick(options ...string) string { return options[m.rng.IntN(len(options))] }

// flag draws an enabled flag: mostly true or false, sometimes a sentinel.
func (m *rowMaker) flag() string {
	if m.rng.IntN(8) == 0 {
		return m.pick("N/A", "no_information", "not_supported")
	}
	return m.pick("true", "false", "true", "false", "TRUE", "False")
}

// when draws a timestamp cell: a sentinel, or a time placed on a boundary.
func (m *rowMaker) when() string {
	if m.rng.IntN(5) == 0 {
		return m.pick("N/A", "N/A", "no_information", "not_supported")
	}
	return m.format(m.instant())
}

func (m *rowMaker) instant() time.Time {
	day := 24 * time.Hour
	var at time.Time
	switch m.rng.IntN(10) {
	case 0: // after the as-of time: ages never go below 0
		at = m.asOf.Add(m.pickDuration(time.Second, day-time.Second, day, 6*day+23*time.Hour, 7*day, 7*day+time.Second, 8*day, 400*day))
	case 1: // anywhere in the last two years
		at = m.asOf.Add(-time.Duration(m.rng.IntN(730*86400)) * time.Second)
	case 2: // far back, or the edges of what a report may hold
		at = m.pickTime(credreport.Earliest, m.asOf.AddDate(-15, 0, 0), time.Date(2014, 10, 20, 0, 0, 0, 0, time.UTC))
	default: // exactly n days before, or a second either side of it
		n := m.days[m.rng.IntN(len(m.days))]
		at = m.asOf.Add(-time.Duration(n) * day).Add(time.Duration(m.rng.IntN(3)-1) * time.Second)
	}
	if at.Before(credreport.Earliest) {
		at = credreport.Earliest
	}
	return at.Truncate(time.Second) // reports write whole seconds
}

func (m *rowMaker) pickDuration(ds ...time.Duration) time.Duration { return ds[m.rng.IntN(len(ds))] }
func (m *rowMaker) pickTime(ts ...time.Time) time.Time             { return ts[m.rng.IntN(len(ts))] }

func (m *rowMaker) format(t time.Time) string {
	return t.In(m.zones[m.rng.IntN(len(m.zones))]).Format(credreporttest.TimeLayout)
}

// row writes one CSV row: a user, or root, whose password columns are
// not_supported three times in four, as IAM writes them, and anything else
// otherwise.
func (m *rowMaker) row(partition, name string, root bool) string {
	arn := "arn:" + partition + ":iam::" + oracleAccount + ":user/" + name
	pwdEnabled, pwdChanged, pwdNext := m.flag(), m.when(), m.when()
	if root {
		arn = credreport.RootARN(partition, oracleAccount)
		if m.rng.IntN(4) != 0 {
			pwdEnabled, pwdChanged, pwdNext = "not_supported", "not_supported", "not_supported"
		}
	} else if m.rng.IntN(3) == 0 {
		pwdEnabled = "false" // the common user without a password
		pwdChanged = m.pick("N/A", pwdChanged)
	}
	key := func() []string {
		used := m.when()
		region, service := "N/A", "N/A"
		if used != "N/A" && m.rng.IntN(2) == 0 {
			region, service = m.pick("us-east-1", "us-gov-west-1", ""), "iam"
		}
		return []string{m.flag(), m.when(), used, region, service}
	}
	cells := []string{name, arn, m.when(), pwdEnabled, m.when(), pwdChanged, pwdNext, m.flag()}
	cells = append(cells, key()...)
	cells = append(cells, key()...)
	cells = append(cells, m.flag(), m.when(), m.flag(), m.when())
	return strings.Join(cells, ",")
}

// oracleRun is one generated report with its as-of time, thresholds and
// account facts.
type oracleRun struct {
	report     *credreport.Report
	asOf       time.Time
	account    *rules.Account
	thresholds map[string]int // rule ID → its threshold (modelRule.threshold); a rule not here runs with its default
}

func makeRuns(t *testing.T, seed uint64, count, users int) []oracleRun {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	asOfs := []time.Time{
		credreporttest.AsOf,
		time.Date(2026, 3, 1, 12, 34, 56, 0, time.UTC),
		time.Date(2025, 12, 31, 23, 59, 59, 500_000_000, time.UTC), // --as-of with a fraction
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.FixedZone("", 5*3600+1800)),
	}
	zones := []*time.Location{time.UTC, time.UTC, time.FixedZone("", -7*3600), time.FixedZone("", 5*3600+1800)}
	choices := []int{1, 7, 29, 30, 31, 44, 45, 46, 89, 90, 91, 365, 3650}
	runs := make([]oracleRun, 0, count)
	for i := range count {
		run := oracleRun{asOf: asOfs[rng.IntN(len(asOfs))], thresholds: map[string]int{}}
		days := []int{0, 1, 6, 7, 8, 29, 30, 31, 44, 45, 46, 89, 90, 91}
		for _, mr := range model {
			if mr.threshold() != "" && rng.IntN(3) == 0 {
				n := choices[rng.IntN(len(choices))]
				if mr.grace && rng.IntN(len(choices)) == 0 {
					n = 0 // set, as none
				}
				run.thresholds[mr.id] = n
				days = append(days, n-1, n, n+1)
			}
		}
		if rng.IntN(2) == 0 {
			run.account = &rules.Account{RootVirtualMFA: rng.IntN(2) == 0, RootMFAEnabled: rng.IntN(2) == 0, RootPasswordPresent: rng.IntN(2) == 0}
		}
		m := &rowMaker{rng: rng, asOf: run.asOf, days: days, zones: zones}
		partition := []string{"aws", "aws", "aws-us-gov", "aws-cn"}[rng.IntN(4)]
		var csv strings.Builder
		csv.WriteString(credreporttest.Header + "\n")
		rootAt := rng.IntN(users + 1)
		if rng.IntN(40) == 0 {
			rootAt = -1 // a report without a root row
		}
		for u := range users + 1 {
			if u == rootAt {
				csv.WriteString(m.row(partition, credreport.RootUser, true) + "\n")
			} else {
				csv.WriteString(m.row(partition, fmt.Sprintf("user-%d-%d", i, u), false) + "\n")
			}
		}
		rep, err := credreport.Parse([]byte(csv.String()))
		if err != nil {
			t.Fatalf("generated report %d does not parse: %v\n%s", i, err, csv.String())
		}
		if run.account != nil && rep.Root != nil {
			// The live account agrees with the report on root's MFA.
			if rep.Root.MFAActive.State == credreport.Set {
				run.account.RootMFAEnabled = rep.Root.MFAActive.V
			}
		}
		run.report = rep
		runs = append(runs, run)
	}
	return runs
}

// ---------------------------------------------------------------------------
// The comparison.

// checker compares Evaluate's results with the model's verdicts and counts
// what it saw.
type checker struct {
	t             *testing.T
	rows, results int
	disagreements map[string]int                  // rule ID → count
	verdicts      map[string]map[rules.Status]int // rule ID → the model's verdicts, counted
}

func newChecker(t *testing.T) *checker {
	return &checker{t: t, disagreements: map[string]int{}, verdicts: map[string]map[rules.Status]int{}}
}

// selected is every rule of the model with the run's thresholds.
func (c *checker) selected(run oracleRun) []rules.Selected {
	var selected []rules.Selected
	for _, mr := range model {
		r, ok := rules.Lookup(mr.id)
		if !ok {
			c.t.Fatalf("%s is not in the catalog", mr.id)
		}
		var set map[string]int
		if n, ok := run.thresholds[mr.id]; ok {
			set = map[string]int{mr.threshold(): n}
		}
		selected = append(selected, rules.Select(r, set))
	}
	return selected
}

// check compares one run's results, given in any number of batches.
func (c *checker) check(run oracleRun, api string, batches func(yield func([]rules.Result) error) error) {
	t := c.t
	c.rows += len(run.report.Entries)
	seen := map[string]int{}
	err := batches(func(got []rules.Result) error {
		c.results += len(got)
		for _, res := range got {
			mr := modelFor(t, res.Rule.ID)
			w := world{asOf: run.asOf, days: mr.days, account: run.account}
			if n, ok := run.thresholds[mr.id]; ok {
				w.days = n
			}
			var want rules.Status
			switch {
			case mr.root && run.report.Root == nil:
				want = rules.NotAvailable // README: any root rule when the report has no root row
			case mr.root != (res.Entry == run.report.Root):
				t.Errorf("%s covers %s, the wrong scope", mr.id, res.User())
				continue
			default:
				want = mr.verdict(res.Entry, w)
			}
			seen[mr.id+" "+res.ResourceID()]++
			if c.verdicts[mr.id] == nil {
				c.verdicts[mr.id] = map[rules.Status]int{}
			}
			c.verdicts[mr.id][want]++
			if res.Status != want {
				c.disagreements[mr.id]++
				if c.disagreements[mr.id] <= 5 {
					t.Errorf("%s at as-of %s (days %d, account %+v): the model says %s, %s says %s (%q)\nrow: %s",
						mr.id, run.asOf.Format(time.RFC3339Nano), w.days, run.account, want, api, res.Status, res.Reason, rowText(res.Entry))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", api, err)
	}
	// Exactly one result per rule and resource: root rules the account,
	// user rules every user.
	for _, mr := range model {
		if mr.root {
			if n := seen[mr.id+" "+rules.AccountResourceID(oracleAccount)]; n != 1 {
				t.Errorf("%s: %s gave %d results for the account, want 1", api, mr.id, n)
			}
			continue
		}
		for _, e := range run.report.Users {
			if n := seen[mr.id+" "+e.ARN]; n != 1 {
				t.Errorf("%s: %s gave %d results for %s, want 1", api, mr.id, n, e.ARN)
			}
		}
	}
}

func (c *checker) evaluate(run oracleRun) {
	c.check(run, "Evaluate", func(yield func([]rules.Result) error) error {
		got, err := rules.Evaluate(rules.Input{Report: run.report, AsOf: run.asOf, Account: run.account}, c.selected(run))
		if err != nil {
			return err
		}
		return yield(got)
	})
}

func (c *checker) evaluateEach(run oracleRun) {
	c.check(run, "EvaluateEach", func(yield func([]rules.Result) error) error {
		return rules.EvaluateEach(rules.Input{Report: run.report, AsOf: run.asOf, Account: run.account}, c.selected(run), yield)
	})
}

// done reports the disagreements in all, and fails unless the rows reached
// every verdict of every rule at least min times: otherwise agreement says little.
func (c *checker) done(min int) {
	for _, mr := range model {
		if n := c.disagreements[mr.id]; n > 0 {
			c.t.Errorf("%s: %d disagreements in all", mr.id, n)
		}
		for _, s := range []rules.Status{rules.Passed, rules.Failed, rules.NotAvailable} {
			if n := c.verdicts[mr.id][s]; n < min {
				c.t.Errorf("%s: the rows reach %s only %d times", mr.id, s, n)
			}
		}
	}
}

// TestRulesAgreeWithTheModel compares every rule over 4,000 small reports
// (44,000 rows), each with its own as-of time, partition, thresholds and
// account facts.
func TestRulesAgreeWithTheModel(t *testing.T) {
	c := newChecker(t)
	for _, run := range makeRuns(t, 20261120, 4000, 10) {
		c.evaluate(run)
	}
	c.done(20)
	if c.rows < 40000 || c.results < c.rows*12 {
		t.Errorf("compared %d results over %d rows, want tens of thousands", c.results, c.rows)
	}
}

// TestLargeReportsAgreeWithTheModel compares reports large enough to be
// evaluated on every CPU, whole (Evaluate) and in batches (EvaluateEach,
// which scan uses for large accounts).
func TestLargeReportsAgreeWithTheModel(t *testing.T) {
	c := newChecker(t)
	want := 0
	for _, run := range makeRuns(t, 7, 3, 2500) {
		c.evaluate(run)
		c.evaluateEach(run)
		want += 2 * (5 + 14*len(run.report.Users))
	}
	c.done(0) // three root rows cannot reach every verdict; the small reports do
	if c.results != want {
		t.Errorf("compared %d results, want %d", c.results, want)
	}
}

func modelFor(t *testing.T, id string) modelRule {
	for _, mr := range model {
		if mr.id == id {
			return mr
		}
	}
	t.Fatalf("Evaluate returned %s, which the model does not know", id)
	return modelRule{}
}

func rowText(e *credreport.Entry) string {
	if e == nil {
		return "(no root row)"
	}
	return strings.Join(e.Raw(), ",")
}
