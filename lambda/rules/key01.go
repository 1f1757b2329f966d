package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// key01Days is the rotation period. CIS v4+: "ensure that Created is less
// than or equal to 90 days ago"; AWS Config access-keys-rotated: "not rotated
// for more than maxAccessKeyAge". Fails at more than 90 days: 90 passes, 91
// fails.
const key01Days = 90

// Key01 flags active access keys older than the rotation period.
// access_key_N_last_rotated is when the key was created; unused old keys fail
// too, since rotation is not usage.
var Key01 = Rule{
	ID:    "KEY-01",
	Title: "Access keys are rotated every 90 days or less",
	Description: "The longer an access key lives, the more places it has been copied to and the longer a leak stays useful. " +
		"This rule fails for an IAM user with an active access key whose access_key_N_last_rotated (its creation time; else user_creation_time) is more than the configured number of days (default 90) ago. " +
		"Inactive keys are ignored; the root user is covered by ROOT-01.",
	Remediation: "Create a second access key, move every consumer to it, deactivate the old key, and delete it once nothing breaks. " +
		"Better, replace long-term keys with IAM roles.",
	URL:      "https://docs.aws.amazon.com/IAM/latest/UserGuide/id-credentials-access-keys-update.html",
	Severity: Medium,
	Scope:    ScopeUsers,
	Frameworks: Frameworks{
		CIS:         map[string]string{"1.2": "1.4", "1.4": "1.14", "3.0": "1.14", "5.0": "1.13"},
		SecurityHub: []string{"IAM.3"},
		NIST80053:   []string{"AC-2(1)", "AC-2(3)", "AC-3(15)"},
		PCIDSS:      []string{"v4.0.1/8.3.9", "v4.0.1/8.6.3"},
		Other:       []string{"SOC 2 CC6.1", "SOC 2 CC6.2"},
	},
	Thresholds: []Threshold{{Name: "days", Default: key01Days, Doc: "fails when an active access key is more than 90 days old (90 passes, 91 fails)"}},
	Evaluate:   evaluateKey01,
}

// appendKeyAge appends a key's age: "access key 1 is 131 days old" (or
// "is less than a day old"), or,
// when the key has no last-rotated time and is measured from the user's
// creation, "access key 1 has no last-rotated time, user created 131 days
// ago".
func appendKeyAge(b []byte, i, age int, fromCreation bool) []byte {
	b = append(b, keyNames[i]...)
	if fromCreation {
		return appendDaysAgo(append(b, " has no last-rotated time, user created "...), age)
	}
	if age == 0 {
		return append(b, " is less than a day old"...)
	}
	return append(appendDays(append(b, " is "...), age), " old"...)
}

func evaluateKey01(e *credreport.Entry, env Env) (Verdict, error) {
	days := threshold(env, "days", key01Days)
	var (
		ages        [2]int
		active, bad [2]bool
		created     [2]bool // measured from user_creation_time
		oldest      = -1
		noDate      = -1 // an active key with no reference time
		unknown     = -1 // a key whose active flag holds a sentinel and decides the outcome
		failsIfOn   = -1 // such a key that would fail if active (its time is known)
		moot        = -1 // a key whose active flag holds a sentinel but that passes either way
	)
	for i := range 2 {
		f := keyFlag(e, i)
		if f == flagOff {
			continue
		}
		r := keyCreatedRef(e, i)
		if f == flagUnknown {
			// Measured as if active: undecided if it would fail (unless
			// the other key fails), nothing to say if it would pass.
			switch {
			case r.kind == refMissing:
				if unknown < 0 {
					unknown = i // named first, as every rule names key 1 first
				}
			case env.AgeDays(r.t) > days:
				if unknown < 0 {
					unknown = i
				}
				if failsIfOn < 0 {
					failsIfOn = i
				}
			case moot < 0:
				moot, ages[i], created[i] = i, env.AgeDays(r.t), r.kind == refCreated
			}
			continue
		}
		if r.kind == refMissing {
			noDate = i
			continue
		}
		active[i], ages[i], created[i] = true, env.AgeDays(r.t), r.kind == refCreated
		bad[i] = ages[i] > days
		if oldest < 0 || ages[i] > ages[oldest] {
			oldest = i
		}
	}
	switch {
	case bad[0] && bad[1]:
		var buf [160]byte
		b := appendKeyAge(buf[:0], 0, ages[0], created[0])
		return failed(env.text(appendKeyAge(append(b, "; "...), 1, ages[1], created[1])))
	case bad[0] || bad[1]:
		i := 0
		if bad[1] {
			i = 1
		}
		var buf [96]byte
		return failed(env.text(appendKeyAge(buf[:0], i, ages[i], created[i])))
	}
	// The fact named is one the verdict hinges on: a sentinel flag whose
	// key would fail if active (FAILED then), else an active key with no
	// time (NOT_AVAILABLE whatever the other flag holds), else the flag.
	switch {
	case failsIfOn >= 0:
		return undecided(keyActiveColumns[failsIfOn], e.AccessKeys[failsIfOn].Active.State)
	case noDate >= 0:
		return notAvailable(keyNames[noDate] + " is active and has no last-rotated or user-creation time")
	case unknown >= 0:
		return undecided(keyActiveColumns[unknown], e.AccessKeys[unknown].Active.State)
	}
	if oldest < 0 && moot >= 0 {
		var buf [160]byte
		b := eitherWay(buf[:0], keyActiveColumns[moot], e.AccessKeys[moot].Active.State)
		return passed(env.text(appendKeyAge(b, moot, ages[moot], created[moot])))
	}
	if oldest < 0 {
		return passed("no active access key")
	}
	var buf [96]byte
	return passed(env.text(appendKeyAge(buf[:0], oldest, ages[oldest], created[oldest])))
}
