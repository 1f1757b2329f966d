package main

import (
	"strings"
	"testing"
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
