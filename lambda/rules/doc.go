// Package rules decides, for each rule and each resource of a parsed
// credential report, whether the resource PASSED, FAILED or is NOT_AVAILABLE,
// with a one-sentence reason naming the fact ("access key 2 is 131 days old").
//
// The package is pure: no SDK, no I/O, no clock, no logging. The as-of time
// (the report's generation time), the resolved thresholds and any facts
// beyond the report (Account) arrive in Env; rules see typed values from
// package credreport, never raw sentinel strings.
//
// # Semantics shared by the built-in rules
//
//   - Root rules (ScopeRoot) cover the account through the root row; user
//     rules (ScopeUsers) cover every IAM user and never root.
//   - Ages are Env.AgeDays: whole days between a time and the as-of time.
//   - A never-used credential is measured from when it was set: a password
//     from password_last_changed, an access key from access_key_N_last_rotated,
//     else from user_creation_time (the CIS fallbacks).
//   - Inactive access keys and certificates and disabled passwords are ignored
//     unless a rule says otherwise.
//   - A sentinel in an enabled flag (password_enabled not_supported on a user
//     row, say) makes the result NOT_AVAILABLE when the outcome depends on it,
//     except where a rule documents otherwise (ROOT-02 treats root's
//     not_supported password as present).
//
// # Adding a rule
//
//  1. Pick the next free ID in its family (ROOT, USER, CRED, KEY, PWD, or a
//     new upper-case family). IDs are permanent: never renumber or reuse one.
//  2. Create one file named after the ID (key04.go) holding an exported Rule
//     value (Key04) with every field filled in: Title (≤ 256 characters),
//     Description (≤ 1024), Remediation (1–512), an https://docs.aws.amazon.com
//     URL, Severity, Scope, Frameworks (control numbers as strings per
//     framework version) and Thresholds; and a named evaluate function
//     (evaluateKey04) returning exactly one Verdict. Put each threshold's
//     default in a constant next to a comment quoting the boundary wording
//     ("more than 90 days"), read it with threshold(env, name, default), and
//     build reason strings with concatenation and strconv rather than fmt.
//     A reason that is not a constant is best appended to a stack buffer and
//     made a string with env.text, or with env.withDays / env.withDaysAgo:
//     Evaluate then keeps it in the run's reason blocks rather than in
//     an allocation of its own. Helpers several rules share go in
//     credentials.go. The function reads its row and Env and nothing else:
//     Evaluate calls it for different users from several goroutines at once
//     (each with reason blocks of its own).
//  3. Add one line to the list in Catalog (catalog.go).
//  4. Add the rule to the profiles it belongs to (profile.go) and update the
//     pinned memberships in catalog_test.go.
//  5. Add key04_test.go: a table of plainly named cases run with
//     runRuleCases, covering pass, fail, both boundary days, inactive
//     credentials ignored, every sentinel the rule reads, and the fact named
//     in the reason. runRuleCases also checks root versus users.
//
// The catalog test then checks the new rule's ID format, metadata limits,
// framework control numbers, severity and thresholds.
package rules
