package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	if body, ok := strings.CutPrefix(expr, "cron("); ok && strings.HasSuffix(body, ")") {
		return checkCron(strings.TrimSuffix(body, ")"))
	}
	if body, ok := strings.CutPrefix(expr, "rate("); ok && strings.HasSuffix(body, ")") {
		return checkRate(strings.TrimSuffix(body, ")"))
	}
	return errors.New("want cron(minutes hours day-of-month month day-of-week year) or rate(value unit)")
}

// checkRate checks the inside of rate(…).
func checkRate(body string) error {
	value, unit, ok := strings.Cut(body, " ")
	if !ok || value == "" || unit == "" || strings.Contains(unit, " ") {
		return fmt.Errorf("rate(%s): want rate(value unit), one space between", body)
	}
	n, ok := whole(value)
	if !ok || n < 1 || value[0] == '0' {
		return fmt.Errorf("rate value %q: want a positive whole number", value)
	}
	switch unit {
	case "minute", "hour", "day":
		if n != 1 {
			return fmt.Errorf("rate unit %q: %d takes the plural, %ss", unit, n, unit)
		}
	case "minutes", "hours", "days":
		if n == 1 {
			return fmt.Errorf("rate unit %q: 1 takes the singular, %s", unit, strings.TrimSuffix(unit, "s"))
		}
	default:
		return fmt.Errorf("rate unit %q: want minutes, hours or days (minute, hour or day for 1)", unit)
	}
	return nil
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

// Indexes of the two day fields in cronFields.
const (
	dayOfMonth = 2
	dayOfWeek  = 4
)

// checkCron checks the inside of cron(…).
func checkCron(body string) error {
	fields := strings.Split(body, " ")
	if len(fields) != len(cronFields) || slices.Contains(fields, "") {
		return fmt.Errorf("cron(%s): want 6 fields (minutes hours day-of-month month day-of-week year) with one space between, got %d",
			body, len(strings.Fields(body)))
	}
	for i, f := range fields {
		if err := cronFields[i].check(i, f); err != nil {
			return fmt.Errorf("%s field %q: %w", cronFields[i].name, f, err)
		}
	}
	if (fields[dayOfMonth] == "?") == (fields[dayOfWeek] == "?") {
		return fmt.Errorf("day-of-month %q and day-of-week %q: exactly one of day-of-month and day-of-week must be ?",
			fields[dayOfMonth], fields[dayOfWeek])
	}
	return nil
}

// check checks field i's text s.
func (c cronField) check(i int, s string) error {
	if s == "?" {
		if i == dayOfMonth || i == dayOfWeek {
			return nil
		}
		return errors.New("? is allowed only in day-of-month and day-of-week")
	}
	if !strings.Contains(s, ",") {
		switch {
		case i == dayOfMonth && (s == "L" || s == "LW"), i == dayOfWeek && s == "L":
			return nil
		case i == dayOfMonth && strings.HasSuffix(s, "W"):
			if _, err := c.number(strings.TrimSuffix(s, "W")); err != nil {
				return fmt.Errorf("nW (the weekday nearest day n): %w", err)
			}
			return nil
		case i == dayOfWeek && strings.HasSuffix(s, "L"):
			if _, err := c.number(strings.TrimSuffix(s, "L")); err != nil {
				return fmt.Errorf("nL (the last day n of the month): %w", err)
			}
			return nil
		}
	}
	if i == dayOfWeek && strings.Contains(s, "#") {
		day, k, _ := strings.Cut(s, "#")
		if _, err := c.number(day); err != nil {
			return fmt.Errorf("n#k (the k-th day n of the month), alone in the field: %w", err)
		}
		if n, ok := whole(k); !ok || n < 1 || n > 5 {
			return fmt.Errorf("n#k (the k-th day n of the month), alone in the field: k %q is not 1-5", k)
		}
		return nil
	}
	items := strings.Split(s, ",")
	for _, item := range items {
		if err := c.item(item, len(items) > 1); err != nil {
			return err
		}
	}
	return nil
}

// item checks one element of a list: *, a value or a range a-b, with an
// increment /n where the field takes one.
func (c cronField) item(item string, inList bool) error {
	base, step, hasStep := strings.Cut(item, "/")
	if hasStep {
		if c.maxStep == 0 {
			return fmt.Errorf("no / increments in %s", c.name)
		}
		if n, ok := whole(step); !ok || n < 1 || n > c.maxStep {
			return fmt.Errorf("increment %q: want 1-%d", step, c.maxStep)
		}
	}
	if base == "*" {
		if inList {
			return errors.New("* stands alone, not in a list")
		}
		return nil
	}
	lo, hi, isRange := strings.Cut(base, "-")
	a, err := c.value(lo)
	if err != nil || !isRange {
		return err
	}
	b, err := c.value(hi)
	if err != nil {
		return err
	}
	if a > b {
		return fmt.Errorf("range %s: want the lower end first", base)
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
