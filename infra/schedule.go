package main

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CheckSchedule reports why Scheduler would refuse expr as the stack's
// recurring schedule, naming the field at fault, or nil. CloudFormation
// passes the expression through unchecked, so a bad one fails only at
// deploy, and the rollback leaves the stack's retained resources (key,
// bucket, log groups) behind; synth refuses it first.
//
// The rules are those of the EventBridge Scheduler user guide ("Schedule
// types"; its cron fields and wildcards are EventBridge's cron expressions):
//
//   - rate(value unit): value a positive whole number; unit minute, hour
//     or day, singular for 1 and plural (minutes, hours, days) above.
//   - cron(minutes hours day-of-month month day-of-week year), one space
//     between fields. Values: minutes 0-59, hours 0-23, day-of-month 1-31,
//     month 1-12 or JAN-DEC, day-of-week 1-7 (1 is Sunday) or SUN-SAT,
//     year 1970-2199. In every field a value, a range a-b, a list a,b,…
//     of those, or *; an increment /n after *, a value or a range in all
//     fields but day-of-week. Exactly one of day-of-month and day-of-week
//     is ?, which is allowed nowhere else. Alone in day-of-month: L (the
//     last day), nW (the weekday nearest day n) and LW; alone in
//     day-of-week: L, nL (the last day n of the month) and n#k (the k-th
//     day n of the month, k 1-5).
//
// Where the guide is silent this is the stricter reading: names in upper
// case only; L, W and # with numbers, never with names or in a list; a
// range low end first (no FRI-MON); an increment at most the field's
// highest value (0/59, not 0/60; years /229).
func CheckSchedule(expr string) error {
	_, err := parseSchedule(expr)
	return err
}

// scheduleSpec is a parsed schedule expression: every is the interval of
// rate(…), or cron the fields of cron(…).
type scheduleSpec struct {
	every time.Duration
	cron  *cronSpec
}

// parseSchedule reads expr as CheckSchedule describes it.
func parseSchedule(expr string) (scheduleSpec, error) {
	if body, ok := strings.CutPrefix(expr, "cron("); ok && strings.HasSuffix(body, ")") {
		c, err := parseCron(strings.TrimSuffix(body, ")"))
		return scheduleSpec{cron: c}, err
	}
	if body, ok := strings.CutPrefix(expr, "rate("); ok && strings.HasSuffix(body, ")") {
		every, err := parseRate(strings.TrimSuffix(body, ")"))
		return scheduleSpec{every: every}, err
	}
	return scheduleSpec{}, errors.New("want cron(minutes hours day-of-month month day-of-week year) or rate(value unit)")
}

// parseRate reads the inside of rate(…) as its interval; one too long
// for a time.Duration is the longest.
func parseRate(body string) (time.Duration, error) {
	value, unit, ok := strings.Cut(body, " ")
	if !ok || value == "" || unit == "" || strings.Contains(unit, " ") {
		return 0, fmt.Errorf("rate(%s): want rate(value unit), one space between", body)
	}
	n, ok := whole(value)
	if !ok || n < 1 || value[0] == '0' {
		return 0, fmt.Errorf("rate value %q: want a positive whole number", value)
	}
	switch unit {
	case "minute", "hour", "day":
		if n != 1 {
			return 0, fmt.Errorf("rate unit %q: %d takes the plural, %ss", unit, n, unit)
		}
	case "minutes", "hours", "days":
		if n == 1 {
			return 0, fmt.Errorf("rate unit %q: 1 takes the singular, %s", unit, strings.TrimSuffix(unit, "s"))
		}
	default:
		return 0, fmt.Errorf("rate unit %q: want minutes, hours or days (minute, hour or day for 1)", unit)
	}
	size := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(unit, "s")]
	if n > math.MaxInt64/int(size) {
		return math.MaxInt64, nil
	}
	return time.Duration(n) * size, nil
}

// cronField is one field of a cron expression: its values, min to max (or
// names[i] for min+i), and the largest increment it takes (0: none).
type cronField struct {
	name     string
	min, max int
	names    []string
	maxStep  int
}

// cronFields are the six fields in order.
var cronFields = [...]cronField{
	{name: "minutes", min: 0, max: 59, maxStep: 59},
	{name: "hours", min: 0, max: 23, maxStep: 23},
	{name: "day-of-month", min: 1, max: 31, maxStep: 31},
	{name: "month", min: 1, max: 12, maxStep: 12,
		names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day-of-week", min: 1, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
	{name: "year", min: 1970, max: 2199, maxStep: 2199 - 1970},
}

// Indexes of the fields in cronFields.
const (
	minutes = iota
	hours
	dayOfMonth
	month
	dayOfWeek
	year
)

// cronSpec is a parsed cron expression: the values each field allows.
type cronSpec [len(cronFields)]cronValues

// cronValues is what one field of a cron expression allows: the values in
// set (bit v-min for value v), or in a day field one of the other forms.
type cronValues struct {
	set  valueSet
	form dayForm
	n, k int // nW's n; nL's and n#k's day n (1 Sunday) and k
}

// valueSet holds a field's values, bit v-min for value v: 256 bits, the
// 230 years the widest.
type valueSet [4]uint64

func (s *valueSet) add(i int)     { s[i/64] |= 1 << (i % 64) }
func (s valueSet) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }

// dayForm is how a day field picks days.
type dayForm int

const (
	listed         dayForm = iota // the days in set: of the month, or of the week (bit 0 Sunday)
	unspecified                   // ?: the other day field picks
	lastDay                       // L in day-of-month
	lastWeekday                   // LW: the last Monday to Friday of the month
	nearestWeekday                // nW: the Monday to Friday nearest day n, in the same month
	lastOf                        // nL: the last day n of the month
	nthOf                         // n#k: the k-th day n of the month
)

// parseCron reads the inside of cron(…).
func parseCron(body string) (*cronSpec, error) {
	fields := strings.Split(body, " ")
	if len(fields) != len(cronFields) || slices.Contains(fields, "") {
		return nil, fmt.Errorf("cron(%s): want 6 fields (minutes hours day-of-month month day-of-week year) with one space between, got %d",
			body, len(strings.Fields(body)))
	}
	var c cronSpec
	for i, f := range fields {
		v, err := cronFields[i].parse(i, f)
		if err != nil {
			return nil, fmt.Errorf("%s field %q: %w", cronFields[i].name, f, err)
		}
		c[i] = v
	}
	if (fields[dayOfMonth] == "?") == (fields[dayOfWeek] == "?") {
		return nil, fmt.Errorf("day-of-month %q and day-of-week %q: exactly one of day-of-month and day-of-week must be ?",
			fields[dayOfMonth], fields[dayOfWeek])
	}
	return &c, nil
}

// parse reads field i's text s.
func (c cronField) parse(i int, s string) (cronValues, error) {
	if s == "?" {
		if i == dayOfMonth || i == dayOfWeek {
			return cronValues{form: unspecified}, nil
		}
		return cronValues{}, errors.New("? is allowed only in day-of-month and day-of-week")
	}
	if !strings.Contains(s, ",") {
		switch {
		case i == dayOfMonth && s == "L":
			return cronValues{form: lastDay}, nil
		case i == dayOfMonth && s == "LW":
			return cronValues{form: lastWeekday}, nil
		case i == dayOfWeek && s == "L":
			// The last day of the week: Saturday.
			var v cronValues
			v.set.add(c.max - c.min)
			return v, nil
		case i == dayOfMonth && strings.HasSuffix(s, "W"):
			n, err := c.number(strings.TrimSuffix(s, "W"))
			if err != nil {
				return cronValues{}, fmt.Errorf("nW (the weekday nearest day n): %w", err)
			}
			return cronValues{form: nearestWeekday, n: n}, nil
		case i == dayOfWeek && strings.HasSuffix(s, "L"):
			n, err := c.number(strings.TrimSuffix(s, "L"))
			if err != nil {
				return cronValues{}, fmt.Errorf("nL (the last day n of the month): %w", err)
			}
			return cronValues{form: lastOf, n: n}, nil
		}
	}
	if i == dayOfWeek && strings.Contains(s, "#") {
		day, k, _ := strings.Cut(s, "#")
		n, err := c.number(day)
		if err != nil {
			return cronValues{}, fmt.Errorf("n#k (the k-th day n of the month), alone in the field: %w", err)
		}
		nth, ok := whole(k)
		if !ok || nth < 1 || nth > 5 {
			return cronValues{}, fmt.Errorf("n#k (the k-th day n of the month), alone in the field: k %q is not 1-5", k)
		}
		return cronValues{form: nthOf, n: n, k: nth}, nil
	}
	var v cronValues
	items := strings.Split(s, ",")
	for _, item := range items {
		if err := c.item(item, len(items) > 1, &v.set); err != nil {
			return cronValues{}, err
		}
	}
	return v, nil
}

// item reads one element of a list into set: *, a value or a range a-b,
// with an increment /n where the field takes one (from a value, up to the
// field's highest).
func (c cronField) item(item string, inList bool, set *valueSet) error {
	base, step, hasStep := strings.Cut(item, "/")
	every := 1
	if hasStep {
		if c.maxStep == 0 {
			return fmt.Errorf("no / increments in %s", c.name)
		}
		n, ok := whole(step)
		if !ok || n < 1 || n > c.maxStep {
			return fmt.Errorf("increment %q: want 1-%d", step, c.maxStep)
		}
		every = n
	}
	a, b := c.min, c.max
	if base == "*" {
		if inList {
			return errors.New("* stands alone, not in a list")
		}
	} else {
		lo, hi, isRange := strings.Cut(base, "-")
		var err error
		if a, err = c.value(lo); err != nil {
			return err
		}
		switch {
		case isRange:
			if b, err = c.value(hi); err != nil {
				return err
			}
			if a > b {
				return fmt.Errorf("range %s: want the lower end first", base)
			}
		case !hasStep:
			b = a
		}
	}
	for v := a; v <= b; v += every {
		set.add(v - c.min)
	}
	return nil
}

// value reads one value of the field: a number or a name.
func (c cronField) value(s string) (int, error) {
	if i := slices.Index(c.names, s); i >= 0 {
		return c.min + i, nil
	}
	if n, ok := whole(s); ok && n >= c.min && n <= c.max {
		return n, nil
	}
	if c.names != nil {
		return 0, fmt.Errorf("%q is not %d-%d or %s-%s", s, c.min, c.max, c.names[0], c.names[len(c.names)-1])
	}
	return 0, fmt.Errorf("%q is not %d-%d", s, c.min, c.max)
}

// number reads one value of the field given as a number.
func (c cronField) number(s string) (int, error) {
	if n, ok := whole(s); ok && n >= c.min && n <= c.max {
		return n, nil
	}
	return 0, fmt.Errorf("%q is not %d-%d", s, c.min, c.max)
}

// whole reads s made only of digits (no sign) as a number.
func whole(s string) (int, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
