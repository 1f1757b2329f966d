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
	size := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": day}[strings.TrimSuffix(unit, "s")]
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

// LongestGap returns the longest time between two consecutive runs of the
// schedule expr (one CheckSchedule accepts, else its error) evaluated in
// zone, and false when it runs fewer than twice, so has no gap.
//
// rate(n unit) runs every n units whatever the zone (Scheduler counts a
// day as 24 hours, across a daylight saving change too).
//
// cron(…) is enumerated run by run over every year its year field allows,
// 1970 to 2199, the whole of Scheduler's range, so the answer is exact
// rather than sampled: leap days (Feb 29 comes 8 years apart across 2100),
// months without a 31st or a fifth Friday, and nW, LW, nL and n#k landing
// on different days each month all come out as they fall. Past years count
// too: synth reads no clock, so an expression gets the same answer on any
// day. Only an expression whose years leave a gap in the past (a list
// naming past years), or a zone whose clocks changed more in the past
// (Lord Howe Island's by an hour in 1982-1985, not half an hour; São
// Paulo's skipping midnight until 2019), gets a longer gap than its future
// runs have. A schedule that ends (a bounded year field) has no gap after
// its last run, as none begins before its first: the gap that matters lies
// between two runs that both happen.
//
// The day's runs are at the minutes×hours grid's times on the zone's
// clock; where that clock changes (daylight saving time, a zone changing
// its offset), runs are placed in UTC as Scheduler places them: a run at a
// time the clock skips (02:30 on the morning clocks go from 02:00 to 03:00)
// does not happen, so a daily 02:30 run in Europe/Berlin is 47 hours from
// the one before once a year, and a Sunday 02:30 one 13 days 23 hours; a
// time the clock shows twice runs once, at either showing, and both
// readings are counted against their neighbours, conservatively. The
// zone's changes are Go's time zone database's (time/tzdata where the
// system has none); a change decided after it was built is not foreseen.
func LongestGap(expr string, zone *time.Location) (time.Duration, bool, error) {
	s, err := parseSchedule(expr)
	if err != nil || s.cron == nil {
		return s.every, err == nil, err
	}
	gap, ok := s.cron.longestGap(zone)
	return gap, ok, nil
}

// Seconds in a day: the walk counts wall-clock and UTC time in seconds
// since 1970-01-01 00:00, as the zone's clock and as UTC read.
const daySeconds = 24 * 60 * 60

// longestGap is LongestGap for a cron expression.
func (c *cronSpec) longestGap(zone *time.Location) (time.Duration, bool) {
	base := cronFields[year].min
	first, last := 0, 0
	for i := range cronFields[year].max - base + 1 {
		if c[year].set.has(i) {
			if first == 0 {
				first = base + i
			}
			last = base + i
		}
	}
	w := gapWalk{times: c.timesOfDay(), shifts: clockChanges(zone, first, last)}
	for i := 1; i < len(w.times); i++ {
		w.inDay = max(w.inDay, w.times[i]-w.times[i-1])
	}
	if len(w.shifts) > 0 {
		w.offset = w.shifts[0].from
	}
	start := int64(0) // days since 1970-01-01, a Thursday, to the month's first
	for y := base; y <= last; y++ {
		for m := range 12 {
			length := monthLength(y, m+1)
			if c[year].set.has(y-base) && c[month].set.has(m) {
				days := c.daysOf(length, time.Weekday((start+4)%7))
				for d := range length {
					if days&(1<<d) != 0 {
						w.day(start + int64(d))
					}
				}
			}
			start += int64(length)
		}
	}
	return time.Duration(w.longest) * time.Second, w.runs > 1
}

// monthLength is the number of days in month m (1 January) of year y.
func monthLength(y, m int) int {
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		return 29
	}
	return [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
}

// timesOfDay returns the grid's times of day, in seconds after midnight,
// earliest first.
func (c *cronSpec) timesOfDay() []int64 {
	var out []int64
	for h := range 24 {
		for m := range 60 {
			if c[hours].set.has(h) && c[minutes].set.has(m) {
				out = append(out, int64(h*3600+m*60))
			}
		}
	}
	return out
}

// daysOf returns the days of a month the day fields pick, bit d-1 for day
// d, in a month of length days whose first day is a first.
func (c *cronSpec) daysOf(length int, first time.Weekday) uint32 {
	all := uint32(1)<<length - 1
	weekday := func(d int) time.Weekday { return (first + time.Weekday(d-1)) % 7 }
	dom, dow := c[dayOfMonth], c[dayOfWeek]
	want := time.Weekday(dow.n - 1) // nL's and n#k's day of the week
	switch {
	case dom.form == listed:
		return uint32(dom.set[0]) & all
	case dom.form == lastDay:
		return 1 << (length - 1)
	case dom.form == lastWeekday:
		d := length
		switch weekday(length) {
		case time.Saturday:
			d--
		case time.Sunday:
			d -= 2
		}
		return 1 << (d - 1)
	case dom.form == nearestWeekday:
		d := dom.n
		if d > length {
			// The month has no day n: no run (the guide is silent; this
			// is the reading with the longer gaps).
			return 0
		}
		switch {
		case weekday(d) == time.Saturday && d == 1:
			d += 2
		case weekday(d) == time.Saturday:
			d--
		case weekday(d) == time.Sunday && d == length:
			d -= 2
		case weekday(d) == time.Sunday:
			d++
		}
		return 1 << (d - 1)
	case dow.form == lastOf:
		d := length - int((weekday(length)-want+7)%7)
		return 1 << (d - 1)
	case dow.form == nthOf:
		d := 1 + int((want-first+7)%7) + 7*(dow.k-1)
		if d > length {
			return 0
		}
		return 1 << (d - 1)
	}
	var out uint32
	for d := 1; d <= length; d++ {
		if dow.set.has(int(weekday(d))) {
			out |= 1 << (d - 1)
		}
	}
	return out
}

// clockChange is a change of a zone's offset from UTC: at is the
// wall-clock time it happens, as the clock read before; from and to are
// the offsets, in seconds east of UTC.
type clockChange struct{ at, from, to int64 }

// Its wall-clock times [begin, end) are those the change affects: skipped
// when the clock goes forward, shown twice when it goes back.
func (s clockChange) begin() int64 { return min(s.at, s.at+s.to-s.from) }
func (s clockChange) end() int64   { return max(s.at, s.at+s.to-s.from) }

// clockChanges returns zone's offset changes from a day before year first
// to a day after year last.
func clockChanges(zone *time.Location, first, last int) []clockChange {
	stop := time.Date(last+1, time.January, 2, 0, 0, 0, 0, time.UTC)
	var out []clockChange
	t := time.Date(first-1, time.December, 31, 0, 0, 0, 0, time.UTC).In(zone)
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.After(stop) {
			return out
		}
		if !end.After(t) {
			// Past the zone's last listed change Go reads its rule a
			// year at a time, and on the last day of a leap year gives
			// an end already passed (the day before the year's end):
			// step over that day, which no rule changes the clock on.
			t = t.Add(time.Hour)
			continue
		}
		_, from := t.Zone()
		_, to := end.Zone()
		if from != to {
			out = append(out, clockChange{at: end.Unix() + int64(from), from: int64(from), to: int64(to)})
		}
		t = end
	}
}

// gapWalk visits the runs of a cron expression in order and keeps the
// longest gap between two.
type gapWalk struct {
	times  []int64 // the runs' times of day
	inDay  int64   // the longest gap between two of them
	shifts []clockChange
	next   int   // shifts[next] is the first change not wholly past
	offset int64 // the zone's offset until shifts[next]

	runs    int
	last    int64 // the last run, in UTC, its earlier reading
	longest int64
}

// day visits the runs of day d (days since 1970-01-01).
func (w *gapWalk) day(d int64) {
	start := d * daySeconds
	w.pass(start)
	if w.next < len(w.shifts) && w.shifts[w.next].begin() < start+daySeconds {
		for _, t := range w.times {
			w.at(start + t)
		}
		return
	}
	// The clock keeps its offset all day: the runs are as far apart as
	// it says.
	first := start + w.times[0] - w.offset
	w.run(first, first)
	if n := len(w.times); n > 1 {
		w.longest = max(w.longest, w.inDay)
		w.runs += n - 1
		w.last = start + w.times[n-1] - w.offset
	}
}

// at visits a run at wall-clock time t on a day the clock changes.
func (w *gapWalk) at(t int64) {
	w.pass(t)
	if w.next == len(w.shifts) || t < w.shifts[w.next].begin() {
		w.run(t-w.offset, t-w.offset)
		return
	}
	s := w.shifts[w.next]
	if s.to > s.from {
		return // the clock skips t: Scheduler skips the run
	}
	w.run(t-s.from, t-s.to) // the clock shows t twice: Scheduler runs once
}

// pass takes in the changes wholly before wall-clock time t.
func (w *gapWalk) pass(t int64) {
	for w.next < len(w.shifts) && w.shifts[w.next].end() <= t {
		w.offset = w.shifts[w.next].to
		w.next++
	}
}

// run counts a run between UTC times early and late (the same unless the
// clock showed its time twice), measuring the gap from the last run's
// earlier reading to this one's later.
func (w *gapWalk) run(early, late int64) {
	if w.runs > 0 {
		w.longest = max(w.longest, late-w.last)
	}
	w.runs++
	w.last = early
}
