package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

// Every schedule Scheduler would refuse is refused at synth, naming what is
// wrong; a bad schedule found only at deploy rolls back and leaves the
// retained resources (key, bucket, log groups) behind.
func TestScheduleAccepted(t *testing.T) {
	for _, expr := range []string{
		DefaultSchedule,
		"cron(30 7 ? * MON-FRI *)",
		"cron(0 5 ? * MON *)",
		"cron(0/15 * * * ? *)",
		"cron(*/5 8-17 ? * MON-FRI *)",
		"cron(0 10-20/2 * * ? *)",
		"cron(0 12 L * ? *)",
		"cron(0 12 LW * ? *)",
		"cron(0 12 15W * ? *)",
		"cron(0 12 ? * L *)",
		"cron(0 12 ? * 6L *)",
		"cron(0 12 ? * 6#3 *)",
		"cron(0 0 1 JAN,JUL ? 2027-2030)",
		"cron(15 10 ? * 2,4,6 *)",
		"cron(0 6 1/2 * ? *)",
		"cron(59 23 31 12 ? 2199)",
		"cron(0 0 1 1 ? 1970/5)",
		"cron(0 8 ? * SUN-SAT *)",
		"cron(0 8 ? 1-12 1-7 *)",
		"rate(1 minute)",
		"rate(5 minutes)",
		"rate(1 hour)",
		"rate(12 hours)",
		"rate(1 day)",
		"rate(7 days)",
	} {
		t.Run(expr, func(t *testing.T) {
			if err := CheckSchedule(expr); err != nil {
				t.Errorf("CheckSchedule(%q) = %v, want nil", expr, err)
			}
		})
	}
}

func TestScheduleRejected(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want string // in the error: the field, or what is wrong
	}{
		{"cron(0 6 * * * *)", "one of day-of-month and day-of-week must be ?"},
		{"cron(0 6 1 * MON *)", "one of day-of-month and day-of-week must be ?"},
		{"cron(0 6 ? * ? *)", "one of day-of-month and day-of-week must be ?"},
		{"cron(99 6 * * ? *)", "minutes"},
		{"cron(60 6 * * ? *)", "minutes"},
		{"cron(? 6 * * ? *)", "minutes"},
		{"cron(0/0 6 * * ? *)", "minutes"},
		{"cron(0/60 6 * * ? *)", "minutes"},
		{"cron(10-5 6 * * ? *)", "minutes"},
		{"cron(,0 6 * * ? *)", "minutes"},
		{"cron(*,5 6 * * ? *)", "minutes"},
		{"cron(L 6 * * ? *)", "minutes"},
		{"cron(0 24 * * ? *)", "hours"},
		{"cron(0 -1 * * ? *)", "hours"},
		{"cron(0 6 0 * ? *)", "day-of-month"},
		{"cron(0 6 32 * ? *)", "day-of-month"},
		{"cron(0 6 32W * ? *)", "day-of-month"},
		{"cron(0 6 W * ? *)", "day-of-month"},
		{"cron(0 6 5L * ? *)", "day-of-month"},
		{"cron(0 6 1,LW * ? *)", "day-of-month"},
		{"cron(0 6 6#3 * ? *)", "day-of-month"},
		{"cron(0 6 * 13 ? *)", "month"},
		{"cron(0 6 * JANUARY ? *)", "month"},
		{"cron(0 6 * jan ? *)", "month"},
		{"cron(0 6 * L ? *)", "month"},
		{"cron(0 6 ? * 8 *)", "day-of-week"},
		{"cron(0 6 ? * 0 *)", "day-of-week"},
		{"cron(0 6 ? * MON-SUNDAY *)", "day-of-week"},
		{"cron(0 6 ? * FRI-MON *)", "day-of-week"},
		{"cron(0 6 ? * 1/2 *)", "day-of-week"},
		{"cron(0 6 ? * 8L *)", "day-of-week"},
		{"cron(0 6 ? * 6#6 *)", "day-of-week"},
		{"cron(0 6 ? * 6#0 *)", "day-of-week"},
		{"cron(0 6 ? * 3#1,6#3 *)", "day-of-week"},
		{"cron(0 6 ? * 6W *)", "day-of-week"},
		{"cron(0 6 * * ? 1969)", "year"},
		{"cron(0 6 * * ? 2200)", "year"},
		{"cron(0 6 * * ? ?)", "year"},
		{"cron(0 6 * *)", "6 fields"},
		{"cron(0 6 * * ?)", "6 fields"}, // a Unix cron with a ?
		{"cron(0 6 * * ? * *)", "6 fields"},
		{"cron()", "6 fields"},
		{"cron(0 6 * * ? *", "want cron("},
		{"CRON(0 6 * * ? *)", "want cron("},
		{"at(2026-01-01T00:00:00)", "want cron("},
		{"0 6 * * ?", "want cron("},
		{"rate(1 hours)", "singular"},
		{"rate(1 minutes)", "singular"},
		{"rate(5 hour)", "plural"},
		{"rate(2 day)", "plural"},
		{"rate(0 days)", "positive"},
		{"rate(01 day)", "positive"},
		{"rate(-1 days)", "positive"},
		{"rate(1.5 hours)", "positive"},
		{"rate(5 weeks)", "unit"},
		{"rate(5)", "rate(value unit)"},
		{"rate(5  minutes)", "rate(value unit)"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			err := CheckSchedule(tc.expr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CheckSchedule(%q) = %v, want an error saying %q", tc.expr, err, tc.want)
			}
		})
	}
}

// LoadSettings refuses a bad schedule with CheckSchedule's reason.
func TestSettingsRejectsBadSchedule(t *testing.T) {
	_, err := LoadSettings(lookupIn(map[string]any{KeySchedule: "cron(99 6 * * ? *)"}))
	if err == nil || !strings.Contains(err.Error(), "context "+KeySchedule+"=cron(99 6 * * ? *)") || !strings.Contains(err.Error(), "minutes") {
		t.Errorf("LoadSettings: %v, want the schedule named with its bad field", err)
	}
}

// The longest gap between two runs, worked out by hand from the calendar
// (and, for the zones, from their clock changes) in each comment.
func TestLongestGap(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		name, expr, zone string
		want             time.Duration
	}{
		// rate(n unit): n units, in any zone.
		{"every minute", "rate(1 minute)", "Etc/UTC", time.Minute},
		{"every 5 minutes", "rate(5 minutes)", "Etc/UTC", 5 * time.Minute},
		{"every hour", "rate(1 hour)", "Etc/UTC", time.Hour},
		{"every 12 hours", "rate(12 hours)", "Etc/UTC", 12 * time.Hour},
		{"every 7 days", "rate(7 days)", "Etc/UTC", 7 * day},
		// Scheduler's day is 24 hours across a clock change.
		{"a rate's day is 24 hours in a zone with daylight saving time", "rate(1 day)", "Europe/Berlin", day},
		{"a rate too long for a duration is the longest one", "rate(1000000000000 days)", "Etc/UTC", math.MaxInt64},

		// cron in UTC.
		{"daily", "cron(0 6 * * ? *)", "Etc/UTC", day},
		{"hourly", "cron(0 * * * ? *)", "Etc/UTC", time.Hour},
		{"every quarter hour", "cron(0/15 * * * ? *)", "Etc/UTC", 15 * time.Minute},
		// 08:00 to 06:00 the next morning.
		{"twice a day, across the night", "cron(0 6,8 * * ? *)", "Etc/UTC", 22 * time.Hour},
		// Friday 07:30 to Monday 07:30.
		{"weekdays only: over the weekend", "cron(30 7 ? * MON-FRI *)", "Etc/UTC", 3 * day},
		// Friday 17:55 to Monday 08:00: 2 days 14 hours 5 minutes.
		{"every 5 minutes in office hours", "cron(*/5 8-17 ? * MON-FRI *)", "Etc/UTC", 2*day + 14*time.Hour + 5*time.Minute},
		{"weekly", "cron(0 5 ? * MON *)", "Etc/UTC", 7 * day},
		// L alone in day-of-week is the week's last day, Saturday.
		{"L in day-of-week: Saturdays", "cron(0 12 ? * L *)", "Etc/UTC", 7 * day},
		// Seven months have a 31st; April, June, September and
		// November do not: March 31 to May 31 is 30 + 31 days (as August
		// 31 to October 31); January 31 to March 31 is 59 or 60.
		{"monthly on the 31st", "cron(0 0 31 * ? *)", "Etc/UTC", 61 * day},
		// From one month's last day to the next's: the next month's
		// length, at most 31 (June 30 to July 31).
		{"the last day of the month", "cron(0 12 L * ? *)", "Etc/UTC", 31 * day},
		// A month ending on a Sunday runs on the Friday two days before;
		// a 31-day month ending on a weekday runs on the 31st: 2 + 31
		// days (Friday June 28 to Wednesday July 31, 2024).
		{"the last weekday of the month", "cron(0 12 LW * ? *)", "Etc/UTC", 33 * day},
		// The 14th (15th a Saturday), 15th or 16th (15th a Sunday). A
		// 31-day month moves the 15th three weekdays on: from a Saturday
		// (run on the 14th) to a Tuesday, or from a Thursday to a Sunday
		// (run on the 16th): 31 + 1 days. A 30-day month moves it two:
		// Saturday to Monday, or Friday to Sunday, 30 + 1.
		{"the weekday nearest the 15th", "cron(0 12 15W * ? *)", "Etc/UTC", 32 * day},
		// Only months with a 31st run, on the 29th (31st a Sunday), 30th
		// (a Saturday) or 31st: March 29 to May 31 when March 31 is a
		// Sunday (May 31 then a Friday, as in 2024): 2 + 30 + 31 days.
		// The guide does not say what 31W does in a 30-day month; it
		// does not run.
		{"the weekday nearest the 31st: none in shorter months", "cron(0 12 31W * ? *)", "Etc/UTC", 63 * day},
		// Last Fridays are 4 or 5 weeks apart: 5 when the next month
		// has 31 days and this one's last Friday is 4 or more days
		// before its end.
		{"the last Friday", "cron(0 12 ? * 6L *)", "Etc/UTC", 35 * day},
		// A month has a fifth Friday when its 29th, 30th or 31st is one.
		// Tabulating the months against the weekday of January 29th, in
		// leap years and others, the gaps are 9, 13 or 17 weeks; 17 when
		// three months in a row have none: January 31 to May 30 (January
		// 29th a Wednesday, not in a leap year), January 30 to May 29 (a
		// Thursday, not in a leap year), December 31 to April 29 (the next
		// January 29th a Saturday, not in a leap year), November 30 to
		// March 29.
		{"the fifth Friday: most months have none", "cron(0 12 ? * 6#5 *)", "Etc/UTC", 119 * day},
		// January, May, September: May 1 to September 1 is 31 + 30 +
		// 31 + 31 days (January to May 120 or 121, September to
		// January 122).
		{"every four months", "cron(0 3 1 */4 ? *)", "Etc/UTC", 123 * day},
		// Four years apart, but 2100 is no leap year: February 29, 2096
		// to February 29, 2104 is 8 × 365 days and one February 29.
		{"the leap day", "cron(0 0 29 2 ? *)", "Etc/UTC", 2921 * day},
		// The fifth Monday of February is a February 29 on a Monday:
		// 1988, 2016, 2044, 2072 (28 years apart), then, 2100 being no
		// leap year, 2112: 40 × 365 days and the 9 February 29ths of
		// 2076 to 2112 but 2100.
		{"February 29 on a Monday", "cron(0 0 ? 2 2#5 *)", "Etc/UTC", 14609 * day},
		// December 31, 2027 to January 1, 2029: 1 + 366 days.
		{"years apart: the gap between them counts", "cron(0 6 * * ? 2027,2029)", "Etc/UTC", 367 * day},
		// Nothing after December 31, 2028.
		{"a schedule that ends has no gap after its last run", "cron(0 6 * * ? 2027-2028)", "Etc/UTC", day},

		// cron in zones whose clocks change.
		// The clocks go back an hour on the last Sunday of October.
		{"daily in Berlin", "cron(0 6 * * ? *)", "Europe/Berlin", day + time.Hour},
		// Friday 07:30 CEST (05:30 UTC) to Monday 07:30 CET (06:30 UTC)
		// over the last weekend of October.
		{"weekdays in Berlin", "cron(30 7 ? * MON-FRI *)", "Europe/Berlin", 3*day + time.Hour},
		// The clocks go from 02:00 to 03:00 on the last Sunday of March:
		// no 02:30 that day, and Scheduler skips the run. Saturday 02:30
		// CET (01:30 UTC) to Monday 02:30 CEST (00:30 UTC).
		{"a time the clock skips: no run that day", "cron(30 2 * * ? *)", "Europe/Berlin", 2*day - time.Hour},
		// The same Sunday, so two weeks less an hour.
		{"weekly at a time the clock skips once a year", "cron(30 2 ? * SUN *)", "Europe/Berlin", 14*day - time.Hour},
		// October 2026: on Sunday 25th 02:30 comes twice (00:30 and
		// 01:30 UTC) and Scheduler runs once, at either: from Saturday
		// 02:30 CEST (00:30 UTC) to the second, or from the first to
		// Monday 02:30 CET (01:30 UTC), 25 hours either way.
		{"a time the clock shows twice runs once", "cron(30 2 * 10 ? 2026)", "Europe/Berlin", day + time.Hour},
		// Troll's clocks go back two hours in October.
		{"daily at Troll", "cron(0 6 * * ? *)", "Antarctica/Troll", day + 2*time.Hour},
		// Lord Howe's clocks go back half an hour in April, but went
		// back an hour in 1982 to 1985: past years count.
		{"daily on Lord Howe Island", "cron(0 6 * * ? *)", "Australia/Lord_Howe", day + time.Hour},
		// Until 2019 São Paulo's clocks went from 00:00 to 01:00 in
		// spring: Saturday 00:00 (03:00 UTC) to Monday 00:00 (02:00 UTC).
		{"a past clock change counts", "cron(0 0 * * ? *)", "America/Sao_Paulo", 2*day - time.Hour},
		{"daily in Kolkata (no change since 1945)", "cron(0 6 * * ? *)", "Asia/Kolkata", day},
		{"daily at a fixed offset", "cron(0 6 * * ? *)", "Etc/GMT-14", day},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zone, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			got, ok, err := LongestGap(tc.expr, zone)
			if err != nil || !ok || got != tc.want {
				t.Errorf("LongestGap(%q, %s) = %v, %v, %v; want %v, true, nil", tc.expr, tc.zone, got, ok, err, tc.want)
			}
		})
	}
}

// A schedule that runs once, or never, has no gap; an expression
// CheckSchedule refuses is refused with its reason.
func TestLongestGapWithoutTwoRuns(t *testing.T) {
	for _, expr := range []string{
		"cron(0 6 1 1 ? 2030)",   // once
		"cron(0 0 30 2 ? *)",     // February has no 30th
		"cron(0 0 ? 2 2#5 1970)", // 1970 has no February 29
	} {
		if gap, ok, err := LongestGap(expr, time.UTC); ok || err != nil {
			t.Errorf("LongestGap(%q) = %v, %v, %v; want no gap", expr, gap, ok, err)
		}
	}
	if _, ok, err := LongestGap("cron(99 6 * * ? *)", time.UTC); ok || err == nil || !strings.Contains(err.Error(), "minutes") {
		t.Errorf("LongestGap of a bad expression: %v, %v; want CheckSchedule's error", ok, err)
	}
}

// Synth runs often: the longest gap must stay cheap for the costliest
// expressions, run every minute or every day for 230 years in a zone
// whose clocks change twice a year.
func BenchmarkLongestGap(b *testing.B) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	for _, expr := range []string{DefaultSchedule, "cron(* * * * ? *)", "cron(30 2 ? * SUN *)"} {
		for _, zone := range []*time.Location{time.UTC, berlin} {
			b.Run(expr+" "+zone.String(), func(b *testing.B) {
				for b.Loop() {
					if _, _, err := LongestGap(expr, zone); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
