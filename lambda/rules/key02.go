package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// Key02 flags users with both access keys active. CIS v1.4+ "Ensure there is
// only one active access key available for any single IAM user"; the report's
// two _active flags are equivalent to list-access-keys, as IAM allows two keys.
var Key02 = Rule{
	ID:    "KEY-02",
	Title: "IAM users have at most one active access key",
	Description: "Two active keys double the secrets to protect and usually mean a rotation that was never finished. " +
		"This rule fails for an IAM user whose access_key_1_active and access_key_2_active are both true. " +
		"A rotation in progress fails briefly by design, unless an optional grace period (grace_days; none by default, as in CIS) passes both keys while the newer was created fewer than that many days ago.",
	Remediation: "Pick the key in use (and less than 90 days old), move every consumer to it, then deactivate and delete the other key.",
	URL:         "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
	Severity:    Medium,
	Scope:       ScopeUsers,
	Frameworks: Frameworks{
		CIS: map[string]string{"1.4": "1.13", "3.0": "1.13", "5.0": "1.12"},
	},
	Thresholds: []Threshold{{Name: graceDays, Default: 0, Grace: true, Alias: "rotation_overlap_days",
		Doc: "with an overlap of n days, passes two active keys while the newer is less than n days old (n−1 days passes, n fails)"}},
	Evaluate: evaluateKey02,
}

func evaluateKey02(e *credreport.Entry, env Env) (Verdict, error) {
	k1, k2 := keyFlag(e, 0), keyFlag(e, 1)
	switch {
	case k1 == flagOff && k2 == flagOff:
		return passed("no active access key")
	case k1 == flagOff && k2 == flagOn:
		return passed("only access key 2 is active")
	case k2 == flagOff && k1 == flagOn:
		return passed("only access key 1 is active")
	case k1 == flagOff:
		return passed("access key 1 is not active, so at most one key is")
	case k2 == flagOff:
		return passed("access key 2 is not active, so at most one key is")
	}
	// Neither key is known inactive: an overlap, where one is set, passes
	// a key young enough whether or not the flags are known.
	if overlap := threshold(env, graceDays, 0); overlap > 0 {
		newer, missing := -1, -1
		var refs [2]ref
		for i := range 2 {
			refs[i] = keyCreatedRef(e, i)
			switch {
			case refs[i].kind == refMissing:
				missing = i
			case newer < 0 || refs[i].t.After(refs[newer].t):
				newer = i
			}
		}
		if newer >= 0 && env.AgeDays(refs[newer].t) < overlap {
			var buf [192]byte
			b := buf[:0]
			for i, f := range [2]flag{k1, k2} {
				if f == flagUnknown {
					b = eitherWay(b, keyActiveColumns[i], e.AccessKeys[i].Active.State)
					break
				}
			}
			b = appendKeyAge(b, newer, env.AgeDays(refs[newer].t), refs[newer].kind == refCreated)
			return passed(env.text(append(appendGrace(b, overlap), " for a rotation"...)))
		}
		switch {
		case k1 != flagOn || k2 != flagOn:
		case newer < 0:
			return notAvailable("access keys 1 and 2 are both active, and neither has a last-rotated or user-creation time to measure the grace period from")
		case missing >= 0:
			return notAvailable("access keys 1 and 2 are both active, and " + keyNames[missing] + " has no last-rotated or user-creation time to measure the grace period from")
		}
	}
	switch {
	case k1 == flagOn && k2 == flagOn:
		return failed("access keys 1 and 2 are both active")
	case k1 == flagUnknown:
		return undecided(keyActiveColumns[0], e.AccessKeys[0].Active.State)
	}
	return undecided(keyActiveColumns[1], e.AccessKeys[1].Active.State)
}
