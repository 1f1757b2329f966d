package query

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
)

const csvHeader = credreporttest.Header + ",team" // plus a column the parser does not know

func report(t *testing.T) *credreport.Report {
	t.Helper()
	r, err := credreport.Parse([]byte(csvHeader + "\n" +
		"<root_account>,arn:aws:iam::123456789012:root,2019-01-01T00:00:00+00:00,not_supported,2026-11-01T00:00:00+00:00,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A,\n" +
		"ann,arn:aws:iam::123456789012:user/ann,2026-01-01T00:00:00+00:00,true,no_information,2026-01-01T00:00:00+00:00,N/A,false,true,2026-01-01T00:00:00+00:00,2026-11-10T00:00:00+00:00,N/A,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A,data\n" +
		"ben,arn:aws:iam::123456789012:user/ben,2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A,ops\n"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var asOf = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)

func TestExpressionsSeeTypedColumns(t *testing.T) {
	rep := report(t)
	tests := []struct {
		expr string
		want string // matching users, comma-separated
	}{
		{"password_enabled && !mfa_active", "ann"},
		{"!password_enabled", "<root_account>,ben"}, // root's not_supported reads false
		{"is_root", "<root_account>"},
		{"password_last_used == null", "ann,ben"},
		{"password_last_used != null && password_last_used > timestamp('2026-10-01T00:00:00Z')", "<root_account>"},
		{"raw.password_last_used == 'no_information'", "ann"},
		{"raw.password_enabled == 'not_supported'", "<root_account>"},
		{"raw.team == 'ops'", "ben"},
		{"access_key_1_last_used_service == 's3' && access_key_1_last_used_region == null", "ann"},
		{"as_of - user_creation_time > duration('8760h')", "<root_account>,ben"},
		{"account_id == '123456789012' && arn.endsWith('/ben')", "ben"},
		{"user.startsWith('a') || mfa_active", "ann,ben"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			x, err := Compile("--where", tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := x.Filter(rep.Table(), rep.AccountID, asOf)
			if err != nil {
				t.Fatal(err)
			}
			if s := strings.Join(got.Names(), ","); s != tc.want {
				t.Errorf("matched %q, want %q", s, tc.want)
			}
		})
	}
}

// A verdict is not taken from a sentinel: where root's password_enabled
// (not_supported) reads false for --where, Decide leaves a result that
// hinges on it undecided, saying what the report holds, and decides one
// that does not hinge on it, on every row alike.
func TestDecideLeavesWhatHingesOnASentinelUndecided(t *testing.T) {
	rep := report(t)
	const undecided = "?"
	tests := []struct {
		expr string
		want string // root's, ann's and ben's: true, false, or undecided
	}{
		{"!password_enabled || mfa_active", "?,false,true"},
		{"password_enabled || mfa_active", "?,true,true"},
		{"password_enabled && mfa_active", "false,false,false"}, // root's MFA is off: false whatever the password
		{"!password_enabled && mfa_active", "false,false,true"}, // root's MFA is off: false whatever the password
		{"mfa_active || is_root", "true,false,true"},            // reads no sentinel
		{"raw.password_enabled == 'not_supported'", "true,false,false"},
		{"password_enabled == false", "?,false,true"},
		{"[password_enabled, mfa_active].exists(b, b)", "?,true,true"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			x, err := Compile("assert", tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range rep.Table() {
				holds, why, err := x.Decide(Row{Entry: e, AccountID: rep.AccountID, AsOf: asOf})
				switch {
				case err != nil:
					t.Fatalf("%s: %v", e.User, err)
				case why != "":
					if why != "password_enabled is not_supported" || holds {
						t.Errorf("%s: undecided %q (holds %v), want password_enabled is not_supported", e.User, why, holds)
					}
					got = append(got, undecided)
				default:
					got = append(got, strconv.FormatBool(holds))
				}
			}
			if s := strings.Join(got, ","); s != tc.want {
				t.Errorf("decided %s, want %s", s, tc.want)
			}
		})
	}
}

func TestCompileErrorsSayWhatAndWhere(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"", "--where: empty expression"},
		{"mfa_active &&", "--where:1:14: Syntax error"},
		{"mfa_active && nope", "--where:1:15: undeclared reference to 'nope'; a column credaudit does not type is read as raw.nope\n | mfa_active && nope"}, // nothing near; no container
		// A name near a variable's (a typo, or another tool's) is offered it.
		{"mfa_actve", "--where:1:1: undeclared reference to 'mfa_actve'; did you mean mfa_active?\n"},
		{"mfa_enabled", "undeclared reference to 'mfa_enabled'; did you mean password_enabled or mfa_active?"},
		{"password_last_used_date != null", "undeclared reference to 'password_last_used_date'; did you mean password_last_used?"},
		{"access_key_active", "did you mean access_key_1_active or access_key_2_active?"},
		{"root", "did you mean is_root?"},
		{"mfa_active == tru", "undeclared reference to 'tru'; did you mean true?"},
		{"now - user_creation_time > duration('1h')", "--where:1:1: undeclared reference to 'now'; as_of is the time the report describes\n"},
		{"age > 3", "--where:1:1: undeclared reference to 'age'; a column credaudit does not type is read as raw.age\n"}, // two from arn: no typo of it
		{"team == 'ops'", "--where:1:1: undeclared reference to 'team'; a column credaudit does not type is read as raw.team\n"},
		{"min(1, 2) > 0", "--where:1:4: undeclared reference to 'min'\n"}, // a function: nothing to suggest
		{`duration("2628000h") > duration("1h")`, `--where:1:10: duration "2628000h" is out of range: a duration is at most 2562047h (about 292 years)`},
		{"user", "--where: expression yields string, want bool"},
		{"password_last_used", "yields timestamp, want bool"},
		{"user == 1", "--where:1:6: found no matching overload for '_==_'"},
		// A comparison a column's type cannot hold says how to write it,
		// at the literal: a sentinel reads as null, so == "N/A", which CEL
		// would check as two strings, would never hold.
		{`access_key_1_active && access_key_1_last_used_service == "N/A"`, `--where:1:58: access_key_1_last_used_service reads N/A as null: write access_key_1_last_used_service == null, or raw.access_key_1_last_used_service == "N/A" for the cell as written`},
		{`"N/A" != access_key_2_last_used_region`, `--where:1:1: access_key_2_last_used_region reads N/A as null`},
		{`access_key_1_last_used_service in ["s3", "N/A"]`, `--where:1:42: access_key_1_last_used_service reads N/A as null`},
		{`password_last_used == "no_information"`, `--where:1:23: password_last_used reads no_information as null: write password_last_used == null, or raw.password_last_used == "no_information"`},
		{`password_last_used > "2026-01-01T00:00:00Z"`, `--where:1:22: password_last_used is a timestamp: compare it with timestamp("2026-01-01T00:00:00Z")`},
		{"mfa_active == 'yes'", "--where:1:15: mfa_active is a bool: write mfa_active or !mfa_active"},
		{"password_enabled != 'not_supported'", `--where:1:21: password_enabled is a bool, and reads not_supported as false: raw.password_enabled == "not_supported" is the cell as written`},
		{"mfa_active == null", "--where:1:15: mfa_active is a bool, never null: a sentinel in it (root's password_enabled is not_supported) reads as false; raw.mfa_active is the cell as written"},
		// A bad literal is refused where it is written, saying how to write it.
		{`as_of - user_creation_time > duration("365d")`, `--where:1:39: duration "365d" is not a duration: write a number and a unit (h, m, s, ms, us or ns)`},
		{`user_creation_time > timestamp("2026-01-01")`, `--where:1:32: timestamp "2026-01-01" is not a timestamp: write an RFC 3339 time with its zone`},
		{`user.matches("[")`, `--where:1:14: pattern "[" is not an RE2 regular expression: missing closing ]`},
		{"mfa_active ||\n  matches(user, \"a(\")", `--where:2:17: pattern "a(" is not an RE2 regular expression: missing closing )`},
		// A limit on the expression, which CEL gives no position for.
		{strings.Repeat("(", 300) + "true" + strings.Repeat(")", 300), "--where: expression recursion limit exceeded"},
	}
	for _, tc := range tests {
		_, err := Compile("--where", tc.expr)
		if err == nil {
			t.Errorf("%q compiled", tc.expr)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %q does not contain %q", tc.expr, err, tc.want)
		}
	}
}

// Literals a duration, a timestamp or a pattern can be compile, and a
// string matched against a pattern is not read as one.
func TestGoodLiteralsCompile(t *testing.T) {
	for _, expr := range []string{
		`as_of - user_creation_time > duration("8760h")`,
		`user_creation_time > timestamp("2026-01-01T00:00:00Z")`,
		`user.matches("^ci-[a-z]+$")`,
		`matches("[", user)`,
		`matches(user, "a+")`,
		`user == "N/A" || access_key_1_last_used_service == "s3"`, // no sentinel in a user name, or in a service
		`["N/A"].exists(mfa_active, mfa_active == "N/A")`,         // a loop's variable, not the column
	} {
		if _, err := Compile("--where", expr); err != nil {
			t.Errorf("%q: %v", expr, err)
		}
	}
}

// A comprehension nested over lists compiles, but would run for hours over
// a report: past CostLimit on a row it fails, naming the row and the limit,
// at once (Decide too, for an expression that reads a boolean). A loop over
// a row's columns is far within it.
func TestEvaluationCostIsLimited(t *testing.T) {
	rep := report(t)
	row := Row{Entry: rep.Root, AccountID: rep.AccountID, AsOf: asOf}
	const l = "[0,1,2,3,4,5,6,7,8,9]"
	loops := l + ".all(a, " + l + ".all(b, " + l + ".all(c, " + l + ".all(d, " + l + ".all(e, a+b+c+d+e >= 0)))))" // 10^5 iterations
	for _, expr := range []string{loops, "password_enabled || " + loops} {
		x, err := Compile("--where", expr)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf(`--where on line 2 of the report (user "<root_account>"): operation cancelled: actual cost limit exceeded (an expression may take %d steps on a row: loop over less)`, CostLimit)
		if _, err := x.Eval(row); err == nil || err.Error() != want {
			t.Errorf("Eval: error = %v, want %q", err, want)
		}
		if _, _, err := x.Decide(row); err == nil || err.Error() != want {
			t.Errorf("Decide: error = %v, want %q", err, want)
		}
	}
	x, err := Compile("--where", `raw.exists(k, raw[k].contains("x") || raw.all(j, j.size() > 0))`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.Eval(row); err != nil {
		t.Errorf("a loop over the columns: %v", err)
	}
}

func TestEvaluationErrorNamesTheRow(t *testing.T) {
	rep := report(t)
	x, err := Compile("--where", "password_last_used < timestamp('2026-01-01T00:00:00Z')")
	if err != nil {
		t.Fatal(err)
	}
	_, err = x.Filter(rep.Table(), rep.AccountID, asOf)
	if err == nil || !strings.Contains(err.Error(), `--where on line 3 of the report (user "ann")`) ||
		!strings.HasSuffix(err.Error(), " (password_last_used is null on this row, where the report holds no_information: guard it with `password_last_used != null && …`)") {
		t.Errorf("error = %v", err)
	}

	// The operand that is null is named; an operation that fails for
	// another reason is not blamed on a null the expression also reads.
	ben := rep.Users[1]
	for _, tc := range []struct{ expr, hint string }{
		{"access_key_1_last_used_date > as_of - duration('24h') && mfa_active", " (access_key_1_last_used_date is null on this row, where the report holds N/A: guard it with `access_key_1_last_used_date != null && …`)"},
		{"password_last_used.getFullYear() > 2025 && mfa_active", " (password_last_used is null on this row, where the report holds N/A: guard it with `password_last_used != null && …`)"},
		{"dyn(mfa_active) + 1 > 1 && password_last_used == null", "no such overload: _+_"},
		// A key raw does not have is a column the report does not have.
		{"raw.pasword_last_used == 'x'", "no such key: pasword_last_used (the report has no column pasword_last_used; did you mean password_last_used?)"},
		{"raw['teams'] == 'ops'", "no such key: teams (the report has no column teams; did you mean team?)"},
		{"{'a': 'b'}['c'] == 'x'", "no such key: c"}, // not raw's
	} {
		x, err := Compile("--where", tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		_, err = x.Eval(Row{Entry: ben, AccountID: rep.AccountID, AsOf: asOf})
		if err == nil || !strings.HasSuffix(err.Error(), tc.hint) {
			t.Errorf("%s: error = %v, want it to end %q", tc.expr, err, tc.hint)
		}
	}

	// Written in a file, it says where; its reader names the report.
	x, err = CompileAt("custom_rules[0].assert", "c.yaml:9", "password_last_used < timestamp('2026-01-01T00:00:00Z')")
	if err != nil {
		t.Fatal(err)
	}
	_, err = x.Filter(rep.Table(), rep.AccountID, asOf)
	var re *RowError
	if !errors.As(err, &re) {
		t.Fatalf("error = %v, want a RowError", err)
	}
	re.Report = "r.csv"
	if want := `custom_rules[0].assert (c.yaml:9) on line 3 of r.csv (user "ann"): no such overload`; !strings.HasPrefix(re.Error(), want) {
		t.Errorf("error = %v, want it to begin %s", re, want)
	}
}

// ageDays(t) is the rules' ageDays, floor((as_of − t) / 24h) never below 0,
// at its boundaries and against a count made without it; ageDays(t, at)
// counts to at. A null argument is an error naming the column, as any
// operation on one; a wrong type is a compile error at the call.
func TestAgeDays(t *testing.T) {
	ben := report(t).Users[1] // created 2020-01-01T00:00:00Z
	created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	eval := func(expr string, at time.Time) (bool, error) {
		t.Helper()
		x, err := Compile("--where", expr)
		if err != nil {
			t.Fatal(err)
		}
		return x.Eval(Row{Entry: ben, AccountID: "123456789012", AsOf: at})
	}
	for _, tc := range []struct {
		at   time.Time
		days int
	}{
		{created.AddDate(0, 0, 90), 90},
		{created.AddDate(0, 0, 90).Add(-time.Nanosecond), 89},
		{created.AddDate(0, 0, 90).Add(23*time.Hour + 59*time.Minute), 90},
		{created, 0},
		{created.Add(-time.Hour), 0},          // before creation: never below 0
		{created.AddDate(-5, 0, 0), 0},        // long before
		{created.AddDate(7, 0, 0), 7*365 + 2}, // 2020 and 2024 are leap years
		{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), credreport.WholeDays(created, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC))},
	} {
		if ok, err := eval(fmt.Sprintf("ageDays(user_creation_time) == %d", tc.days), tc.at); err != nil || !ok {
			t.Errorf("as of %v: ageDays(user_creation_time) is not %d (%v)", tc.at, tc.days, err)
		}
		want := int(tc.at.Sub(created) / (24 * time.Hour))
		if want < 0 || tc.at.Year() == 9999 {
			want = max(tc.days, 0)
		}
		if tc.days != want {
			t.Errorf("as of %v: test case says %d days, time.Sub %d", tc.at, tc.days, want)
		}
	}
	if ok, err := eval("ageDays(user_creation_time, timestamp('2020-04-01T00:00:00Z')) == 91 && ageDays(as_of) == 0", asOf); err != nil || !ok {
		t.Errorf("ageDays(t, at): %v %v", ok, err)
	}
	if _, err := eval("ageDays(password_last_used) > 1", asOf); err == nil ||
		!strings.HasSuffix(err.Error(), "(password_last_used is null on this row, where the report holds N/A: guard it with `password_last_used != null && …`)") {
		t.Errorf("ageDays of a null: %v", err)
	}
	for _, expr := range []string{"ageDays(user) > 1", "ageDays() > 1", "ageDays(as_of, as_of, as_of) > 1", "ageDays(user_creation_time) > 1.5"} {
		if _, err := Compile("--where", expr); err == nil || !strings.Contains(err.Error(), "--where:1:") {
			t.Errorf("%s: %v, want a compile error at its place", expr, err)
		}
	}
}
