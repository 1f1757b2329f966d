package rules

import (
	"strconv"
	"strings"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
)

// This file holds what several built-in rules share: reading enabled flags,
// the reference times of never-used credentials, and reason wording.

// Slot names and enabled-flag columns, as reasons write them.
var (
	keyNames          = [2]string{"access key 1", "access key 2"}
	certNames         = [2]string{"signing certificate 1", "signing certificate 2"}
	keyActiveColumns  = [2]string{credreport.ColAccessKey1Active, credreport.ColAccessKey2Active}
	certActiveColumns = [2]string{credreport.ColCert1Active, credreport.ColCert2Active}
)

// flag is what the report says about whether a credential is enabled. A
// sentinel in an enabled column is flagUnknown: a rule whose outcome hinges on
// it is NOT_AVAILABLE rather than guessing.
type flag uint8

const (
	flagOff flag = iota
	flagOn
	flagUnknown
)

func flagOf(b credreport.Bool) flag {
	switch {
	case b.State != credreport.Set:
		return flagUnknown
	case b.V:
		return flagOn
	}
	return flagOff
}

// passwordFlag reads password_enabled ("console password enabled").
func passwordFlag(e *credreport.Entry) flag { return flagOf(e.PasswordEnabled) }

// keyFlag reads access_key_<i+1>_active.
func keyFlag(e *credreport.Entry, i int) flag { return flagOf(e.AccessKeys[i].Active) }

// certFlag reads cert_<i+1>_active.
func certFlag(e *credreport.Entry, i int) flag { return flagOf(e.Certs[i].Active) }

// credential is a user's password or one of their two access keys: the
// credentials whose use the report records. It points into the entry.
type credential struct {
	slot     int // 0 password, 1 access key 1, 2 access key 2
	enabled  *credreport.Bool
	lastUsed *credreport.Time
	set      *credreport.Time // password_last_changed or access_key_n_last_rotated
}

// Per-slot wording of credentials: its name, its enabled column and what
// "set" means for it.
var (
	credentialNames   = [3]string{"password", keyNames[0], keyNames[1]}
	credentialColumns = [3]string{credreport.ColPasswordEnabled, keyActiveColumns[0], keyActiveColumns[1]}
	credentialSetVerb = [3]string{"last changed", "created", "created"}
)

// credentials returns e's password and access keys, in column order.
func credentials(e *credreport.Entry) [3]credential {
	return [3]credential{
		{0, &e.PasswordEnabled, &e.PasswordLastUsed, &e.PasswordLastChanged},
		{1, &e.AccessKeys[0].Active, &e.AccessKeys[0].LastUsedDate, &e.AccessKeys[0].LastRotated},
		{2, &e.AccessKeys[1].Active, &e.AccessKeys[1].LastUsedDate, &e.AccessKeys[1].LastRotated},
	}
}

// usedBy names the credential of credentials(e) whose use a reason reports.
var usedBy = [3]string{" (password)", " (access key 1)", " (access key 2)"}

// latestUse is the latest recorded use of any of the row's credentials,
// enabled or not (password_last_used, access_key_1/2_last_used_date), and
// which (an index of credentials(e) and usedBy), or -1 when none is a time.
func latestUse(e *credreport.Entry) (last time.Time, how int) {
	how = -1
	for i, c := range credentials(e) {
		if t, ok := c.lastUsed.Get(); ok && t.After(last) {
			last, how = t, i
		}
	}
	return last, how
}

// undecided is the NOT_AVAILABLE verdict for c's enabled flag holding a sentinel.
func (c *credential) undecided() (Verdict, error) {
	return undecided(credentialColumns[c.slot], c.enabled.State)
}

// refKind says which column a reference time came from.
type refKind uint8

const (
	refMissing refKind = iota // no column held a time
	refUsed                   // last used
	refSet                    // password_last_changed or access_key_n_last_rotated
	refCreated                // user_creation_time
)

// ref is a credential's reference time and where it came from.
type ref struct {
	t    time.Time
	kind refKind
}

// idleRef is when c was last used, else when it was set, else when the user
// was created: the CIS fallbacks for never-used credentials.
func (c *credential) idleRef(e *credreport.Entry) ref {
	if t, ok := c.lastUsed.Get(); ok {
		return ref{t, refUsed}
	}
	return c.setRef(e)
}

// setRef is when c was set, else when the user was created.
func (c *credential) setRef(e *credreport.Entry) ref {
	if t, ok := c.set.Get(); ok {
		return ref{t, refSet}
	}
	return createdRef(e)
}

// keyCreatedRef is when access key i was created (last rotated), else when
// the user was.
func keyCreatedRef(e *credreport.Entry, i int) ref {
	if t, ok := e.AccessKeys[i].LastRotated.Get(); ok {
		return ref{t, refSet}
	}
	return createdRef(e)
}

func createdRef(e *credreport.Entry) ref {
	if t, ok := e.UserCreationTime.Get(); ok {
		return ref{t, refCreated}
	}
	return ref{}
}

// appendTo appends how idle the credential is: "password last used 60 days
// ago", "access key 2 never used, created 50 days ago".
func (d idle) appendTo(b []byte) []byte {
	b = append(b, credentialNames[d.slot]...)
	switch d.kind {
	case refUsed:
		b = append(b, " last used "...)
	case refSet:
		b = append(b, " never used, "...)
		b = append(b, credentialSetVerb[d.slot]...)
		b = append(b, ' ')
	default:
		b = append(b, " never used, user created "...)
	}
	return appendDaysAgo(b, d.age)
}

// noDateReason is the reason when the credential in slot has none of its
// reference columns.
func noDateReason(slot int) string {
	return credentialNames[slot] + " has no last-used, " + credentialSetVerb[slot] + " or user-creation time"
}

// rootPassword reports whether root has a password: GetAccountSummary's
// AccountPasswordPresent when known, otherwise anything but an explicit
// password_enabled false (the root row's not_supported counts as present),
// except in AWS GovCloud (US), whose root user has no console access (CIS:
// "IAM User account 'root' for us-gov cloud regions does not have console
// access"). what names the password when present; when absent it is empty,
// or says why for GovCloud.
func rootPassword(e *credreport.Entry, env Env) (present bool, what string) {
	switch {
	case env.Account != nil && env.Account.RootPasswordPresent:
		return true, "a password (AccountPasswordPresent)"
	case env.Account != nil:
		return false, ""
	case e.PasswordEnabled.State == credreport.Set && e.PasswordEnabled.V:
		return true, "a password"
	case e.PasswordEnabled.State == credreport.Set:
		return false, ""
	case strings.HasPrefix(e.ARN, "arn:"+partitionGovCloud+":"):
		return false, "no password (the root user of AWS GovCloud (US) has no console access; password_enabled is " + e.PasswordEnabled.State.String() + ")"
	}
	return true, "a password (password_enabled is " + e.PasswordEnabled.State.String() + ", assumed present)"
}

// partitionGovCloud is the partition of AWS GovCloud (US).
const partitionGovCloud = "aws-us-gov"

// rootCredentials decides ROOT-02 and ROOT-03 when root's credentials do:
// PASSED when none is present (no password, active access key or active
// signing certificate), NOT_AVAILABLE when none is known present but an
// access key's or certificate's active flag holds a sentinel, or when the
// account is in GovCloud, where the controls do not apply. Otherwise
// decided is false and what names the first credential present.
func rootCredentials(e *credreport.Entry, env Env) (v Verdict, decided bool, what string) {
	present, password := rootPassword(e, env)
	if present {
		return Verdict{}, false, password
	}
	unknown := ""
	check := func(f flag, name, column string, s credreport.State) bool {
		switch f {
		case flagOn:
			what = "active " + name
			return true
		case flagUnknown:
			if unknown == "" {
				unknown = undecidedReason(column, s)
			}
		}
		return false
	}
	for i := range 2 {
		if check(keyFlag(e, i), keyNames[i], keyActiveColumns[i], e.AccessKeys[i].Active.State) {
			return Verdict{}, false, what
		}
	}
	for i := range 2 {
		if check(certFlag(e, i), certNames[i], certActiveColumns[i], e.Certs[i].Active.State) {
			return Verdict{}, false, what
		}
	}
	if unknown != "" {
		v, _ = notAvailable(unknown)
		return v, true, ""
	}
	if password != "" {
		// GovCloud: CIS calls the control not applicable there; with no
		// active key or certificate there is nothing to decide from the
		// report (GetAccountSummary, when read, decides above).
		v, _ = notAvailable("not applicable: " + password + ", and no active access key or signing certificate")
		return v, true, ""
	}
	v, _ = passed("root credentials removed: no password, active access key or active signing certificate")
	return v, true, ""
}

// threshold returns the run's value of the named threshold, or def when the
// caller did not resolve it (a rule called directly rather than via Select).
func threshold(env Env, name string, def int) int {
	if v, ok := env.Thresholds.Get(name); ok {
		return v
	}
	return def
}

func passed(reason string) (Verdict, error) { return Verdict{Status: Passed, Reason: reason}, nil }
func failed(reason string) (Verdict, error) { return Verdict{Status: Failed, Reason: reason}, nil }
func notAvailable(reason string) (Verdict, error) {
	return Verdict{Status: NotAvailable, Reason: reason}, nil
}

// undecided is the NOT_AVAILABLE verdict for a sentinel the outcome hinges on.
func undecided(column string, s credreport.State) (Verdict, error) {
	return notAvailable(undecidedReason(column, s))
}

func undecidedReason(column string, s credreport.State) string {
	return column + " is " + s.String() + ", so this cannot be decided"
}

// eitherWay appends the passing reason of a rule that an enabled flag
// holding a sentinel does not decide: "access_key_1_active is N/A, and
// either way it passes: " before what was measured.
func eitherWay(b []byte, column string, s credreport.State) []byte {
	b = append(b, column...)
	b = append(b, " is "...)
	b = append(b, s.String()...)
	return append(b, ", and either way it passes: "...)
}

// Reasons are built by appending to a stack buffer and then made a string by
// Env.text, so a verdict costs at most one small copy.

// reasonBlocks stores the reasons of one evaluating goroutine (of an
// Evaluate or EvaluateEach call; it is not for two goroutines) end to end
// in large blocks. A 5,000-user run builds some 20,000 reasons that are
// not constant; one allocation per block instead of one per reason saves
// most of the run's allocations and the collector's work on them. Each
// reason is a string that points into its block, which strings.Builder
// never modifies once written; a full block is left to the reasons that
// point into it.
type reasonBlocks struct {
	block strings.Builder
}

const reasonBlockSize = 32 << 10

// text returns b as a string: copied into the run's reason blocks when
// Evaluate supplied them, else on its own.
func (env Env) text(b []byte) string {
	a := env.reasons
	if a == nil {
		return string(b)
	}
	if a.block.Cap()-a.block.Len() < len(b) {
		a.block = strings.Builder{}
		a.block.Grow(max(reasonBlockSize, len(b)))
	}
	start := a.block.Len()
	a.block.Write(b)
	return a.block.String()[start:]
}

// appendDays appends n days: "1 day", "131 days".
func appendDays(b []byte, n int) []byte {
	b = strconv.AppendInt(b, int64(n), 10)
	if n == 1 {
		return append(b, " day"...)
	}
	return append(b, " days"...)
}

// graceDays names the optional grace period of USER-01, KEY-02 and KEY-03
// (Threshold.Grace).
const graceDays = "grace_days"

// appendGrace appends that a grace period covers the result: ", within
// the 7-day grace period", words that reasons compare as such, not as a
// day count.
func appendGrace(b []byte, n int) []byte {
	return append(strconv.AppendInt(append(b, ", within the "...), int64(n), 10), "-day grace period"...)
}

// appendDaysAgo appends an age in days: "less than a day ago", "131 days ago".
func appendDaysAgo(b []byte, n int) []byte {
	if n == 0 {
		return append(b, "less than a day ago"...)
	}
	return append(appendDays(b, n), " ago"...)
}

// withDays writes prefix, n days, suffix: ("access key 2 is ", 131, " old").
func (env Env) withDays(prefix string, n int, suffix string) string {
	var buf [96]byte
	b := append(buf[:0], prefix...)
	b = appendDays(b, n)
	return env.text(append(b, suffix...))
}

// withDaysAgo writes prefix, an age in days, suffix: ("root was last used ",
// 12, " (password)").
func (env Env) withDaysAgo(prefix string, n int, suffix string) string {
	var buf [96]byte
	b := append(buf[:0], prefix...)
	b = appendDaysAgo(b, n)
	return env.text(append(b, suffix...))
}

// pick chooses a reason by which of two slots are on.
func pick(on [2]bool, first, second, both string) string {
	switch {
	case on[0] && on[1]:
		return both
	case on[0]:
		return first
	}
	return second
}

// idle is one enabled credential measured against a threshold: which one,
// where its reference time came from, and how many days ago that was.
type idle struct {
	slot int // 0 password, 1 access key 1, 2 access key 2
	kind refKind
	age  int
}

// ageScan is what scan finds among a user's password and keys. It
// keeps slots and ages rather than times and pointers: it is filled for every
// user by three rules, so it stays small.
type ageScan struct {
	bad        [3]idle // credentials at or past the threshold
	n          int
	enabled    bool // some password or key is enabled
	considered bool // some enabled credential was measured (or lacked a date)
	oldest     idle // the oldest measured credential (slot -1 when none)
	unknown    int  // the slot of an enabled flag holding a sentinel that decides the outcome, or -1
	failsIfOn  int  // the slot of such a flag whose credential would fail if enabled (its date is known), or -1
	moot       idle // the first credential whose flag holds a sentinel but that passes either way (slot -1 when none)
	noDate     int  // the slot of a measured credential with no reference time, or -1
}

// scan measures enabled credentials against days. It is the shared
// core of CRED-01/02 (every enabled credential, from its last use, else when
// set) and CRED-03 (neverUsed: only never-used ones, from when set). A mode
// flag rather than function values keeps the scan on the stack.
//
// A credential whose enabled flag holds a sentinel is measured as if it were
// enabled: if it would pass, it passes either way and decides nothing (moot);
// if it would fail or has no date, the outcome hinges on it (unknown).
func (sc *ageScan) scan(e *credreport.Entry, env Env, days int, neverUsed bool) {
	*sc = ageScan{oldest: idle{slot: -1, age: -1}, moot: idle{slot: -1}, unknown: -1, failsIfOn: -1, noDate: -1}
	creds := credentials(e)
	for i := range creds {
		c := &creds[i]
		switch flagOf(*c.enabled) {
		case flagOff:
			continue
		case flagUnknown:
			r := c.idleRef(e) // when never used, when it was set, as CRED-03 measures
			if r.kind == refMissing {
				if sc.unknown < 0 {
					sc.unknown = i
				}
				continue
			}
			d := idle{i, r.kind, env.AgeDays(r.t)}
			// CRED-03 passes a used credential whatever its age.
			switch {
			case !(neverUsed && r.kind == refUsed) && d.age >= days:
				if sc.unknown < 0 {
					sc.unknown = i
				}
				if sc.failsIfOn < 0 {
					sc.failsIfOn = i
				}
			case sc.moot.slot < 0:
				sc.moot = d
			}
			continue
		}
		sc.enabled = true
		if neverUsed && c.lastUsed.State == credreport.Set {
			continue
		}
		sc.considered = true
		r := c.idleRef(e) // last use, else when set: CRED-03 gets here only never used
		if r.kind == refMissing {
			if sc.noDate < 0 {
				sc.noDate = i
			}
			continue
		}
		d := idle{i, r.kind, env.AgeDays(r.t)}
		if d.age >= days {
			sc.bad[sc.n] = d
			sc.n++
		}
		if d.age > sc.oldest.age {
			sc.oldest = d
		}
	}
}

// verdict fails listing every credential at or past the threshold
// ("<prefix><days><suffix>password …; access key 1 …"), else reports why it
// cannot decide or that nothing is enabled; decided is false when the rule's
// own passing reason is due. (No callback: sc must stay on the stack.)
func (sc *ageScan) verdict(e *credreport.Entry, env Env, days int, prefix, suffix string) (v Verdict, decided bool) {
	if sc.n > 0 {
		var buf [160]byte
		b := appendDays(append(buf[:0], prefix...), days)
		b = append(b, suffix...)
		for j, d := range sc.bad[:sc.n] {
			if j > 0 {
				b = append(b, "; "...)
			}
			b = d.appendTo(b)
		}
		v, _ = failed(env.text(b))
		return v, true
	}
	// The fact named is one the verdict hinges on: a sentinel flag whose
	// credential would fail if enabled (the verdict is FAILED then), else an
	// enabled credential with no time (NOT_AVAILABLE whatever other flags
	// hold), else any sentinel flag that decides.
	creds := credentials(e)
	switch {
	case sc.failsIfOn >= 0:
		v, _ = creds[sc.failsIfOn].undecided()
	case sc.noDate >= 0:
		v, _ = notAvailable(noDateReason(sc.noDate))
	case sc.unknown >= 0:
		v, _ = creds[sc.unknown].undecided()
	case !sc.enabled && sc.moot.slot >= 0:
		c := credentials(e)[sc.moot.slot]
		var buf [160]byte
		v, _ = passed(env.text(sc.moot.appendTo(eitherWay(buf[:0], credentialColumns[c.slot], c.enabled.State))))
	case !sc.enabled:
		v, _ = passed("no enabled password or access key")
	default:
		return Verdict{}, false
	}
	return v, true
}

// evaluateUnused is CRED-01 and CRED-02: it fails when an enabled credential's
// idle reference (last use, else when set, else user creation) is days old or
// more, and lists every such credential.
func evaluateUnused(e *credreport.Entry, env Env, days int) (Verdict, error) {
	var sc ageScan
	sc.scan(e, env, days, false)
	if v, decided := sc.verdict(e, env, days, "unused for ", " or more: "); decided {
		return v, nil
	}
	var buf [96]byte
	b := append(buf[:0], "most idle enabled credential: "...)
	return passed(env.text(sc.oldest.appendTo(b)))
}
