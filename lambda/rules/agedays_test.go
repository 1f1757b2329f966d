package rules

import (
	"testing"
	"time"
)

func TestAgeDaysFloorsWholeDaysAndNeverGoesNegative(t *testing.T) {
	asOf := time.Date(2026, 11, 20, 6, 0, 0, 500_000_000, time.UTC)
	env := Env{AsOf: asOf}
	tests := []struct {
		name string
		t    time.Time
		want int
	}{
		{"exactly 90 days", asOf.Add(-90 * 24 * time.Hour), 90},
		{"a nanosecond short of 90 days", asOf.Add(-90*24*time.Hour + 1), 89},
		{"90 days and a second", asOf.Add(-90*24*time.Hour - time.Second), 90},
		{"half a second before as-of", asOf.Add(-500 * time.Millisecond), 0},
		{"in the future", asOf.Add(48 * time.Hour), 0},
		{"year 1 (no overflow)", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), int(asOf.Sub(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC))/(24*time.Hour)) + 719162},
		{"another time zone", time.Date(2026, 11, 19, 8, 0, 0, 500_000_000, time.FixedZone("+02", 7200)), 1},
	}
	for _, tc := range tests {
		if got := env.AgeDays(tc.t); got != tc.want {
			t.Errorf("%s: AgeDays = %d, want %d", tc.name, got, tc.want)
		}
	}
}
