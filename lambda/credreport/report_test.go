package credreport

import (
	"strings"
	"testing"
	"time"
)

// A Time cell gives back the UTC time it was made from, to the nanosecond,
// on both sides of the Unix epoch and of year 1; the zero cell holds
// time.Time{}; and Equal, which go-cmp uses for every Time in the parser's
// tests, tells apart every state and every second and nanosecond.
func TestTimeKeepsTheTimeAndComparesExactly(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 20, 6, 0, 0, 999999999, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 500, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2026, 11, 20, 8, 0, 0, 0, time.FixedZone("", 2*3600)), // 06:00 UTC
	} {
		got, ok := TimeOf(at).Get()
		if !ok || !got.Equal(at) || got.Location() != time.UTC || got != at.UTC() {
			t.Errorf("TimeOf(%v).Get() = %v, %v; want %v in UTC", at, got, ok, at.UTC())
		}
	}
	if got := (Time{}).T(); got != (time.Time{}) {
		t.Errorf("Time{}.T() = %v, want time.Time{}", got)
	}
	at := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	cells := []Time{TimeOf(at), TimeOf(at.Add(time.Second)), TimeOf(at.Add(time.Nanosecond)), {State: NotApplicable}, {State: NoInformation}, {State: NotSupported}, {}}
	for i, a := range cells {
		for j, b := range cells {
			if a.Equal(b) != (i == j) {
				t.Errorf("%v (%s).Equal(%v (%s)) = %v, want %v", a.T(), a.State, b.T(), b.State, a.Equal(b), i == j)
			}
		}
	}
	if !TimeOf(at).Equal(TimeOf(at.In(time.FixedZone("", -5*3600)))) {
		t.Error("the same instant in two zones makes different cells")
	}
}

func TestEntryAccountID(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:iam::123456789012:root":              "123456789012",
		"arn:aws-us-gov:iam::210987654321:user/a/b/c": "210987654321",
		"arn:aws:iam::12345678901:root":               "", // 11 digits
		"arn:aws:s3:::bucket":                         "",
		"":                                            "",
	} {
		if got := (&Entry{ARN: arn}).AccountID(); got != want {
			t.Errorf("AccountID of %q = %q, want %q", arn, got, want)
		}
	}
}

// Sorted orders rows by typed values (times by time, not by their text in
// other offsets; false before true), keeps sentinels last in either
// direction, breaks ties by the next key and then by report order, and
// orders a column the parser does not know by its text.
func TestTableSorted(t *testing.T) {
	rep, err := Parse(lines(header22+",team",
		rootRow(ColPasswordLastUsed, "2026-11-01T00:00:00+00:00")+",ops",
		row(ColUser, "ann", ColPasswordLastUsed, "2026-10-31T23:30:00-02:00", ColMFAActive, "true")+",ops", // 2026-11-01T01:30Z
		row(ColUser, "bob", ColPasswordLastUsed, "no_information")+",dev",
		row(ColUser, "cat", ColPasswordLastUsed, "2025-01-01T00:00:00+00:00")+",dev",
		row(ColUser, "dan", ColPasswordLastUsed, "N/A", ColMFAActive, "true")+",ops",
		row(ColUser, "eve", ColPasswordLastUsed, "2025-01-01T00:00:00+00:00", ColMFAActive, "true")+",",
	))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		keys []SortKey
		want string
	}{
		{"by time, the oldest first, sentinels last", []SortKey{{Column: ColPasswordLastUsed}}, "cat eve <root_account> ann dan bob"},
		{"by time, the newest first, sentinels still last", []SortKey{{Column: ColPasswordLastUsed, Desc: true}}, "ann <root_account> cat eve dan bob"},
		{"false before true, ties in report order", []SortKey{{Column: ColMFAActive}}, "<root_account> bob cat ann dan eve"},
		{"true first, then by time", []SortKey{{Column: ColMFAActive, Desc: true}, {Column: ColPasswordLastUsed}}, "eve ann dan cat <root_account> bob"},
		{"an unknown column by its text", []SortKey{{Column: "team"}, {Column: ColUser, Desc: true}}, "eve cat bob dan ann <root_account>"},
		{"no keys: report order", nil, "<root_account> ann bob cat dan eve"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(rep.Table().Sorted(tt.keys).Names(), " "); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	if got := strings.Join(rep.Table().Names(), " "); got != "<root_account> ann bob cat dan eve" {
		t.Errorf("Sorted changed the table it sorted: %s", got)
	}
}
