package rules

import "github.com/credaudit/credaudit/lambda/credreport"

// Key03 flags console users with an active access key that was never used.
// CIS v1.4+: "For any user having password_enabled set to true AND
// access_key_last_used_date set to N/A refer to the remediation" (keys created
// with the user at setup and never needed).
var Key03 = Rule{
	ID:    "KEY-03",
	Title: "Console users have no unused access keys from initial setup",
	Description: "Creating an access key along with a console user by default leaves a long-term secret that nobody needs. " +
		"This rule fails for an IAM user whose password_enabled is true and who has an active access key whose access_key_N_last_used_date holds no time (N/A: never used, or last used before April 2015). " +
		"It fires as soon as such a key exists, unless an optional grace period (grace_days; none by default, as in CIS) passes a key created fewer than that many days ago.",
	Remediation: "Delete access keys that were created with the user and never used. Create keys only when a workload needs one, and prefer IAM roles.",
	URL:         "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
	Severity:    Medium,
	Scope:       ScopeUsers,
	Frameworks: Frameworks{
		CIS: map[string]string{"1.2": "1.21", "1.4": "1.11", "3.0": "1.11", "5.0": "1.10"},
	},
	Thresholds: []Threshold{{Name: graceDays, Default: 0, Grace: true,
		Doc: "with a grace period of n days, passes a never-used key created less than n days ago (n−1 days passes, n fails)"}},
	Evaluate: evaluateKey03,
}

func evaluateKey03(e *credreport.Entry, env Env) (Verdict, error) {
	pw := passwordFlag(e)
	if pw == flagOff {
		return passed("no console password")
	}
	grace := threshold(env, graceDays, 0)
	var unused [2]bool
	anyActive := false
	unknown := -1 // a never-used key whose active flag holds a sentinel
	moot := -1    // a used key whose active flag holds a sentinel: it passes either way
	young := -1   // a never-used key within the grace period
	noDate := -1  // a never-used key whose age the grace period needs and the report lacks
	var youngRef ref
	for i := range 2 {
		k := keyFlag(e, i)
		if k == flagOff {
			continue
		}
		anyActive = anyActive || k == flagOn
		if e.AccessKeys[i].LastUsedDate.State == credreport.Set {
			if k == flagUnknown && moot < 0 {
				moot = i
			}
			continue
		}
		if grace > 0 {
			switch r := keyCreatedRef(e, i); {
			case r.kind == refMissing:
				if noDate < 0 {
					noDate = i
				}
				continue
			case env.AgeDays(r.t) < grace:
				if young < 0 {
					young, youngRef = i, r
				}
				continue
			}
		}
		if k == flagOn {
			unused[i] = true
		} else if unknown < 0 {
			unknown = i // it would fail if active
		}
	}
	if unused[0] || unused[1] {
		if pw == flagOn {
			return failed(pick(unused, "console password enabled and access key 1 never used", "console password enabled and access key 2 never used",
				"console password enabled and access keys 1 and 2 never used"))
		}
		// A key is known active and unused, so the password alone decides.
		return undecided(credreport.ColPasswordEnabled, e.PasswordEnabled.State)
	}
	switch {
	case noDate >= 0:
		return notAvailable(keyNames[noDate] + " was never used and has no last-rotated or user-creation time to measure the grace period from")
	case unknown >= 0:
		return undecided(keyActiveColumns[unknown], e.AccessKeys[unknown].Active.State)
	case young >= 0:
		// "access key 1 never used, created 6 days ago, within the 7-day
		// grace period"
		var buf [192]byte
		b := buf[:0]
		if keyFlag(e, young) == flagUnknown {
			b = eitherWay(b, keyActiveColumns[young], e.AccessKeys[young].Active.State)
		}
		b = idle{young + 1, youngRef.kind, env.AgeDays(youngRef.t)}.appendTo(b)
		return passed(env.text(appendGrace(b, grace)))
	case anyActive:
		return passed("every active access key has been used")
	case moot >= 0:
		var buf [96]byte
		b := eitherWay(buf[:0], keyActiveColumns[moot], e.AccessKeys[moot].Active.State)
		return passed(env.text(append(append(b, keyNames[moot]...), " has been used"...)))
	}
	return passed("no active access key")
}
