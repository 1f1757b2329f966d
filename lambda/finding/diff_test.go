package finding

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/rules"
)

var (
	keyAlice  = ID(acct, "KEY-01", alice.ARN)
	keyBob    = ID(acct, "KEY-01", bob.ARN)
	rootUse   = ID(acct, "ROOT-04", rules.AccountResourceID(acct))
	mfaAlice  = ID(acct, "USER-02", alice.ARN)
	credAlice = ID(acct, "CRED-01", alice.ARN)
)

// keyHigh is KEY-01 reconfigured with another severity.
var keyHigh = func() rules.Rule { r := rules.Key01; r.Severity = rules.High; return r }()

const (
	old131  = "access key 1 is 131 days old"
	passKey = "access key 1 is 3 days old"
	noMFA   = "MFA is not active"
)

// Second is the smallest step of UpdatedAt.
const second = time.Second

func TestDiffTransitions(t *testing.T) {
	k1, r4, u2, c1 := &rules.Key01, &rules.Root04, &rules.User02, &rules.Cred01
	k1Strict := rules.Key01 // as a configuration's days: 60 makes it
	k1Strict.Title = "Access keys are rotated every 60 days or less"
	tests := []struct {
		name string
		runs []run
		want []summary
	}{
		{
			name: "failing for the first time is new",
			runs: []run{{day(0), []rules.Result{fail(k1, alice, old131), pass(k1, bob, passKey)}}},
			want: []summary{{ID: keyAlice, Kind: New, Import: true, Status: rules.Failed, Reason: old131,
				First: day(0), LastObserved: day(0), Updated: day(0)}},
		},
		{
			name: "a resource that never failed yields no change",
			runs: []run{
				{day(0), []rules.Result{pass(k1, alice, passKey), unseen(k1, bob)}},
				{day(1), []rules.Result{pass(k1, alice, "access key 1 is 4 days old"), unseen(k1, bob)}},
			},
			want: []summary{},
		},
		{
			name: "the same key a day older is still failing",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(1), []rules.Result{fail(k1, alice, "access key 1 is 132 days old")}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, Status: rules.Failed, Reason: "access key 1 is 132 days old",
				First: day(0), LastObserved: day(1), Updated: day(0)}},
		},
		{
			name: "still failing 29 days after the last import needs no refresh",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(29), []rules.Result{fail(k1, alice, "access key 1 is 160 days old")}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, Status: rules.Failed, Reason: "access key 1 is 160 days old",
				First: day(0), LastObserved: day(29), Updated: day(0)}},
		},
		{
			name: "still failing 30 days after the last import needs a refresh",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(30), []rules.Result{fail(k1, alice, "access key 1 is 161 days old")}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, NeedsRefresh: true, Import: true, Status: rules.Failed,
				Reason: "access key 1 is 161 days old", First: day(0), LastObserved: day(30), Updated: day(30)}},
		},
		{
			name: "root used again while failing is new again, on the same finding",
			runs: []run{
				{day(0), []rules.Result{fail(r4, rootRow, "root was last used 3 days ago (password)")}},
				{day(7), []rules.Result{fail(r4, rootRow, "root was last used 2 days ago (password)")}},
			},
			want: []summary{{ID: rootUse, Kind: New, Import: true, Status: rules.Failed,
				Reason: "root was last used 2 days ago (password)", First: day(0), LastObserved: day(7), Updated: day(7)}},
		},
		{
			name: "root used again the next day is new (an event) though the text is the same",
			runs: []run{
				{day(0), []rules.Result{fail(r4, rootRow, "root was last used less than a day ago (password)")}},
				{day(1), []rules.Result{fail(r4, rootRow, "root was last used less than a day ago (password)")}},
			},
			want: []summary{{ID: rootUse, Kind: New, Import: true, Status: rules.Failed,
				Reason: "root was last used less than a day ago (password)", First: day(0), LastObserved: day(1), Updated: day(1)}},
		},
		{
			// Hourly runs: the report 4 hours later says root was used an
			// hour ago. The reason is the same; the use is not.
			name: "root used again hours later is new, by its time, though the reason allows the same use",
			runs: []run{
				{day(0), []rules.Result{fail(r4, rootUsedAt(day(0).Add(-time.Hour)), "root was last used less than a day ago (password)")}},
				{day(0).Add(4 * time.Hour), []rules.Result{fail(r4, rootUsedAt(day(0).Add(3*time.Hour)), "root was last used less than a day ago (password)")}},
			},
			want: []summary{{ID: rootUse, Kind: New, Import: true, Status: rules.Failed,
				Reason: "root was last used less than a day ago (password)", First: day(0), LastObserved: day(0).Add(4 * time.Hour), Updated: day(0).Add(4 * time.Hour)}},
		},
		{
			name: "root not used again hours later is still failing, by its time",
			runs: []run{
				{day(0), []rules.Result{fail(r4, rootUsedAt(day(0).Add(-time.Hour)), "root was last used less than a day ago (password)")}},
				{day(0).Add(4 * time.Hour), []rules.Result{fail(r4, rootUsedAt(day(0).Add(-time.Hour)), "root was last used less than a day ago (password)")}},
			},
			want: []summary{{ID: rootUse, Kind: StillFailing, Status: rules.Failed,
				Reason: "root was last used less than a day ago (password)", First: day(0), LastObserved: day(0).Add(4 * time.Hour), Updated: day(0)}},
		},
		{
			name: "root not used again reads a day older and is still failing",
			runs: []run{
				{day(0), []rules.Result{fail(r4, rootRow, "root was last used less than a day ago (password)")}},
				{day(1), []rules.Result{fail(r4, rootRow, "root was last used 1 day ago (password)")}},
			},
			want: []summary{{ID: rootUse, Kind: StillFailing, Status: rules.Failed,
				Reason: "root was last used 1 day ago (password)", First: day(0), LastObserved: day(1), Updated: day(0)}},
		},
		{
			name: "root used with another credential is new",
			runs: []run{
				{day(0), []rules.Result{fail(r4, rootRow, "root was last used 3 days ago (password)")}},
				{day(1), []rules.Result{fail(r4, rootRow, "root was last used 4 days ago (access key 1)")}},
			},
			want: []summary{{ID: rootUse, Kind: New, Import: true, Status: rules.Failed,
				Reason: "root was last used 4 days ago (access key 1)", First: day(0), LastObserved: day(1), Updated: day(1)}},
		},
		{
			name: "another credential listed is changed",
			runs: []run{
				{day(0), []rules.Result{fail(c1, alice, "unused for 45 days or more: password last used 60 days ago")}},
				{day(1), []rules.Result{fail(c1, alice, "unused for 45 days or more: password last used 61 days ago; access key 1 last used 45 days ago")}},
			},
			want: []summary{{ID: credAlice, Kind: Changed, Import: true, Status: rules.Failed,
				Reason: "unused for 45 days or more: password last used 61 days ago; access key 1 last used 45 days ago",
				First:  day(0), LastObserved: day(1), Updated: day(1)}},
		},
		{
			name: "a new severity is changed",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(1), []rules.Result{fail(&keyHigh, alice, "access key 1 is 132 days old")}},
			},
			want: []summary{{ID: keyAlice, Kind: Changed, Import: true, Status: rules.Failed,
				Reason: "access key 1 is 132 days old", First: day(0), LastObserved: day(1), Updated: day(1)}},
		},
		{
			name: "passing after failing is resolved",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(1), []rules.Result{pass(k1, alice, "no active access key")}},
			},
			want: []summary{{ID: keyAlice, Kind: Resolved, Import: true, Status: rules.Passed, Reason: "no active access key",
				First: day(0), LastObserved: day(1), Updated: day(1), Archived: true}},
		},
		{
			name: "a deleted user is gone",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131), fail(k1, bob, old131)}},
				{day(1), []rules.Result{fail(k1, bob, "access key 1 is 132 days old")}},
			},
			want: []summary{
				{ID: keyBob, Kind: StillFailing, Status: rules.Failed, Reason: "access key 1 is 132 days old",
					First: day(0), LastObserved: day(1), Updated: day(0)},
				{ID: keyAlice, Kind: Gone, Import: true, Status: rules.Failed, Reason: old131,
					First: day(0), LastObserved: day(0), Updated: day(1), Archived: true},
			},
		},
		{
			name: "a rule no longer run is gone",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131), fail(u2, alice, noMFA)}},
				{day(1), []rules.Result{fail(u2, alice, noMFA)}},
			},
			want: []summary{
				{ID: mfaAlice, Kind: StillFailing, Status: rules.Failed, Reason: noMFA, First: day(0), LastObserved: day(1), Updated: day(0)},
				{ID: keyAlice, Kind: Gone, Import: true, Status: rules.Failed, Reason: old131,
					First: day(0), LastObserved: day(0), Updated: day(1), Archived: true},
			},
		},
		{
			name: "not available after failing keeps the record as still failing",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(1), []rules.Result{unseen(k1, alice)}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, Unavailable: true, Status: rules.Failed, Reason: old131,
				First: day(0), LastObserved: day(0), Updated: day(0)}},
		},
		{
			name: "not available for 30 days is refreshed",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(10), []rules.Result{unseen(k1, alice)}},
				{day(30), []rules.Result{unseen(k1, alice)}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, Unavailable: true, NeedsRefresh: true, Import: true,
				Status: rules.Failed, Reason: old131, First: day(0), LastObserved: day(0), Updated: day(30)}},
		},
		{
			name: "seen again after not available compares with the last observation",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(1), []rules.Result{unseen(k1, alice)}},
				{day(5), []rules.Result{fail(k1, alice, "access key 1 is 136 days old")}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, Status: rules.Failed, Reason: "access key 1 is 136 days old",
				First: day(0), LastObserved: day(5), Updated: day(0)}},
		},
		{
			name: "passing after resolved yields no change",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(1), []rules.Result{pass(k1, alice, "no active access key")}},
				{day(2), []rules.Result{pass(k1, alice, "no active access key")}},
			},
			want: []summary{},
		},
		{
			name: "gone after resolved yields no change",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(1), []rules.Result{pass(k1, alice, "no active access key")}},
				{day(2), nil},
			},
			want: []summary{},
		},
		{
			name: "failing again after resolved is new and keeps its first observation",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(1), []rules.Result{pass(k1, alice, "no active access key")}},
				{day(5), []rules.Result{fail(k1, alice, "access key 1 is 91 days old")}},
			},
			want: []summary{{ID: keyAlice, Kind: New, Import: true, Status: rules.Failed, Reason: "access key 1 is 91 days old",
				First: day(0), LastObserved: day(5), Updated: day(5)}},
		},
		{
			name: "failing again after the tombstone expired is new from scratch",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(1), []rules.Result{pass(k1, alice, "no active access key")}},
				{day(95), []rules.Result{fail(k1, alice, "access key 1 is 91 days old")}},
			},
			want: []summary{{ID: keyAlice, Kind: New, Import: true, Status: rules.Failed, Reason: "access key 1 is 91 days old",
				First: day(95), LastObserved: day(95), Updated: day(95)}},
		},
		{
			name: "a new suppressed failure is imported and suppressed",
			runs: []run{{day(0), []rules.Result{suppressed(fail(k1, alice, old131), "break-glass key")}}},
			want: []summary{{ID: keyAlice, Kind: New, Workflow: WorkflowSuppress, Import: true, Status: rules.Failed, Reason: old131,
				First: day(0), LastObserved: day(0), Updated: day(0), Suppressed: true}},
		},
		{
			name: "a suppression newly applying to a failing finding suppresses it, and imports it with its reason",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(1), []rules.Result{suppressed(fail(k1, alice, "access key 1 is 132 days old"), "break-glass key")}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, Workflow: WorkflowSuppress, NeedsRefresh: true, Import: true, Status: rules.Failed,
				Reason: "access key 1 is 132 days old", First: day(0), LastObserved: day(1), Updated: day(1), Suppressed: true}},
		},
		{
			name: "a suppression still applying keeps the workflow",
			runs: []run{
				{day(0), []rules.Result{suppressed(fail(k1, alice, old131), "break-glass key")}},
				{day(1), []rules.Result{suppressed(fail(k1, alice, "access key 1 is 132 days old"), "break-glass key")}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, Status: rules.Failed,
				Reason: "access key 1 is 132 days old", First: day(0), LastObserved: day(1), Updated: day(0), Suppressed: true}},
		},
		{
			// A threshold is in the title: Security Hub would show the
			// old one until the next refresh.
			name: "a title changed on a still-failing finding is imported, as no news",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(1), []rules.Result{fail(&k1Strict, alice, "access key 1 is 132 days old")}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, NeedsRefresh: true, Import: true, Status: rules.Failed,
				Reason: "access key 1 is 132 days old", First: day(0), LastObserved: day(1), Updated: day(1)}},
		},
		{
			name: "a suppression with another reason updates the note and the imported reason",
			runs: []run{
				{day(0), []rules.Result{suppressed(fail(k1, alice, old131), "break-glass key")}},
				{day(1), []rules.Result{suppressed(fail(k1, alice, "access key 1 is 132 days old"), "vendor integration")}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, Workflow: WorkflowSuppress, NeedsRefresh: true, Import: true, Status: rules.Failed,
				Reason: "access key 1 is 132 days old", First: day(0), LastObserved: day(1), Updated: day(1), Suppressed: true}},
		},
		{
			name: "an expired suppression returns the finding to new, imported without its reason",
			runs: []run{
				{day(0), []rules.Result{suppressed(fail(k1, alice, old131), "break-glass key")}},
				{day(1), []rules.Result{fail(k1, alice, "access key 1 is 132 days old")}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, Workflow: WorkflowUnsuppress, NeedsRefresh: true, Import: true, Status: rules.Failed,
				Reason: "access key 1 is 132 days old", First: day(0), LastObserved: day(1), Updated: day(1)}},
		},
		{
			name: "a suppressed finding that resolves is unsuppressed",
			runs: []run{
				{day(0), []rules.Result{suppressed(fail(k1, alice, old131), "break-glass key")}},
				{day(1), []rules.Result{pass(k1, alice, "no active access key")}},
			},
			want: []summary{{ID: keyAlice, Kind: Resolved, Workflow: WorkflowUnsuppress, Import: true, Status: rules.Passed,
				Reason: "no active access key", First: day(0), LastObserved: day(1), Updated: day(1), Archived: true}},
		},
		{
			name: "a suppressed finding that is gone is unsuppressed",
			runs: []run{
				{day(0), []rules.Result{suppressed(fail(k1, alice, old131), "break-glass key")}},
				{day(1), nil},
			},
			want: []summary{{ID: keyAlice, Kind: Gone, Workflow: WorkflowUnsuppress, Import: true, Status: rules.Failed,
				Reason: old131, First: day(0), LastObserved: day(0), Updated: day(1), Archived: true}},
		},
		{
			name: "a suppressed finding not available stays suppressed: the suppression covers the unseen result",
			runs: []run{
				{day(0), []rules.Result{suppressed(fail(k1, alice, old131), "break-glass key")}},
				{day(1), []rules.Result{suppressed(unseen(k1, alice), "break-glass key")}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, Unavailable: true, Status: rules.Failed, Reason: old131,
				First: day(0), LastObserved: day(0), Updated: day(0), Suppressed: true}},
		},
		{
			name: "a suppressed finding not available whose suppression was removed is set back to NEW, and not reported yet",
			runs: []run{
				{day(0), []rules.Result{suppressed(fail(k1, alice, old131), "break-glass key")}},
				{day(1), []rules.Result{unseen(k1, alice)}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, Workflow: WorkflowUnsuppress, Unavailable: true, NeedsRefresh: true, Import: true, Status: rules.Failed, Reason: old131,
				First: day(0), LastObserved: day(0), Updated: day(1)}},
		},
		{
			name: "a finding not available that a suppression now covers is suppressed",
			runs: []run{
				{day(0), []rules.Result{fail(k1, alice, old131)}},
				{day(1), []rules.Result{suppressed(unseen(k1, alice), "break-glass key")}},
			},
			want: []summary{{ID: keyAlice, Kind: StillFailing, Workflow: WorkflowSuppress, Unavailable: true, NeedsRefresh: true, Import: true, Status: rules.Failed, Reason: old131,
				First: day(0), LastObserved: day(0), Updated: day(1), Suppressed: true}},
		},
		{
			name: "a duplicate result counts once",
			runs: []run{{day(0), []rules.Result{fail(k1, alice, old131), pass(k1, alice, passKey)}}},
			want: []summary{{ID: keyAlice, Kind: New, Import: true, Status: rules.Failed, Reason: old131,
				First: day(0), LastObserved: day(0), Updated: day(0)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes, _ := replay(t, tt.runs...)
			if diff := cmp.Diff(tt.want, summarize(changes)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

// A user with a long path has a finding ID cut and hashed to MaxIDLength
// (see ID); every result, whatever its status, must find the record kept
// under that ID, so the user's findings go through exactly the transitions
// of a user with a short path (TestDiffTransitions pins those).
func TestDiffFindsRecordsUnderShortenedIDs(t *testing.T) {
	k1 := &rules.Key01
	deep := userRow("deep")
	deep.ARN = "arn:aws:iam::" + acct + ":user/" + strings.Repeat("team/", 100) + "deep"
	keyDeep := ID(acct, k1.ID, deep.ARN)
	if full := len(appendID(nil, acct, k1.ID, deep.ARN)); full <= MaxIDLength || len(keyDeep) != MaxIDLength {
		t.Fatalf("deep's ID is %d bytes (%d before shortening), want it shortened to %d", len(keyDeep), full, MaxIDLength)
	}
	for _, tc := range []struct {
		name string
		runs func(u *credreport.Entry) []run
	}{
		{"passing after failing is resolved", func(u *credreport.Entry) []run {
			return []run{{day(0), []rules.Result{fail(k1, u, old131)}}, {day(1), []rules.Result{pass(k1, u, "no active access key")}}}
		}},
		{"not available after failing keeps the record as still failing", func(u *credreport.Entry) []run {
			return []run{{day(0), []rules.Result{fail(k1, u, old131)}}, {day(1), []rules.Result{unseen(k1, u)}}}
		}},
		{"failing again is still failing", func(u *credreport.Entry) []run {
			return []run{{day(0), []rules.Result{fail(k1, u, old131)}}, {day(1), []rules.Result{fail(k1, u, "access key 1 is 132 days old")}}}
		}},
		{"passing after resolved yields no change", func(u *credreport.Entry) []run {
			pass := []rules.Result{pass(k1, u, "no active access key")}
			return []run{{day(0), []rules.Result{fail(k1, u, old131)}}, {day(1), pass}, {day(2), pass}}
		}},
		{"a deleted user is gone", func(u *credreport.Entry) []run {
			return []run{{day(0), []rules.Result{fail(k1, u, old131)}}, {day(1), nil}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			short, _ := replay(t, tc.runs(alice)...)
			want := summarize(short)
			for i := range want {
				want[i].ID = keyDeep
			}
			long, _ := replay(t, tc.runs(deep)...)
			if diff := cmp.Diff(want, summarize(long)); diff != "" {
				t.Errorf("changes of the long-path user (-as for a short path +got):\n%s", diff)
			}
		})
	}
}

func TestDiffKeepsResultAndPrevious(t *testing.T) {
	res := []rules.Result{fail(&rules.Key01, alice, old131)}
	changes, _ := replay(t, run{day(0), res}, run{day(1), []rules.Result{unseen(&rules.Key01, alice)}})
	if len(changes) != 1 {
		t.Fatalf("got %d changes, want 1", len(changes))
	}
	c := changes[0]
	if c.Result == nil || c.Result.Status != rules.NotAvailable {
		t.Errorf("Result = %+v, want this run's NOT_AVAILABLE result", c.Result)
	}
	if c.Prev == nil || c.Prev.Reason != old131 {
		t.Errorf("Prev = %+v, want the previous record", c.Prev)
	}
	if got, want := c.Record.UnavailableSince, day(1); !got.Equal(want) {
		t.Errorf("UnavailableSince = %v, want %v", got, want)
	}
}

func TestDiffRecordDescribesTheFinding(t *testing.T) {
	changes := Diff(nil, []rules.Result{fail(&rules.Root04, rootRow, "root was last used 3 days ago (password)")}, acct, day(0), 0)
	if len(changes) != 1 {
		t.Fatalf("got %d changes, want 1", len(changes))
	}
	want := Record{
		ID: rootUse, RuleID: "ROOT-04", Title: rules.Root04.Title, ResourceID: "AWS::::Account:" + acct,
		ResourceType: rules.ResourceAccount, User: "<root_account>", Severity: "HIGH", Status: rules.Failed,
		Reason: "root was last used 3 days ago (password)", FirstObservedAt: day(0), LastObservedAt: day(0), UpdatedAt: day(0),
	}
	if diff := cmp.Diff(want, changes[0].Record); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
}

func TestDiffDoesNotModifyPrevious(t *testing.T) {
	_, state := replay(t,
		run{day(0), []rules.Result{fail(&rules.Key01, alice, old131), fail(&rules.Key01, bob, old131)}},
		run{day(1), nil})
	before := maps.Clone(state)
	changes := Diff(state, []rules.Result{pass(&rules.Key01, alice, "no active access key")}, acct, day(2), 0)
	if len(changes) != 2 {
		t.Fatalf("got %d changes, want 2", len(changes))
	}
	if diff := cmp.Diff(before, state); diff != "" {
		t.Errorf("Diff modified prev (-before +after):\n%s", diff)
	}
	after := next(state, changes, day(2))
	if diff := cmp.Diff(before, state); diff != "" {
		t.Errorf("Next modified prev (-before +after):\n%s", diff)
	}
	if after[keyAlice].Status != rules.Passed {
		t.Errorf("next state's %s = %+v, want resolved", keyAlice, after[keyAlice])
	}
}

func TestDiffUsesTheRefreshInterval(t *testing.T) {
	state := next(nil, Diff(nil, []rules.Result{fail(&rules.Key01, alice, old131)}, acct, day(0), 0), day(0))
	tests := []struct {
		name    string
		refresh time.Duration
		want    bool
	}{
		{"a week old import with a 7-day interval is refreshed", 7 * 24 * time.Hour, true},
		{"a week old import with an 8-day interval is not", 8 * 24 * time.Hour, false},
		{"zero means the 30-day default", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := Diff(state, []rules.Result{fail(&rules.Key01, alice, "access key 1 is 138 days old")}, acct, day(7), tt.refresh)
			if len(cs) != 1 || cs[0].Kind != StillFailing || cs[0].NeedsRefresh != tt.want {
				t.Errorf("got %+v, want still failing with NeedsRefresh %v", summarize(cs), tt.want)
			}
		})
	}
}

func TestNext(t *testing.T) {
	k1 := &rules.Key01
	state := next(nil, Diff(nil, []rules.Result{fail(k1, alice, old131), fail(k1, bob, old131)}, acct, day(0), 0), day(0).Add(time.Minute))
	if got, want := state[keyAlice].LastImportedAt, day(0).Add(time.Minute); !got.Equal(want) {
		t.Errorf("LastImportedAt after the first import = %v, want %v", got, want)
	}

	// Day 1: alice unchanged (not imported), bob resolved (imported).
	changes := Diff(state, []rules.Result{fail(k1, alice, "access key 1 is 132 days old"), pass(k1, bob, "no active access key")}, acct, day(1), 0)
	state = next(state, changes, day(1).Add(time.Minute))
	if got, want := state[keyAlice].LastImportedAt, day(0).Add(time.Minute); !got.Equal(want) {
		t.Errorf("alice's LastImportedAt = %v, want it unchanged at %v", got, want)
	}
	if got, want := state[keyAlice].LastObservedAt, day(1); !got.Equal(want) {
		t.Errorf("alice's LastObservedAt = %v, want %v", got, want)
	}
	if got := state[keyBob]; !got.Archived || !got.LastImportedAt.Equal(day(1).Add(time.Minute)) {
		t.Errorf("bob = %+v, want an archived tombstone imported at day 1", got)
	}

	// A record no change mentions is kept.
	state = next(state, nil, day(2))
	if _, ok := state[keyAlice]; !ok {
		t.Errorf("Next dropped an open record no change mentions")
	}

	// The tombstone lasts Retention after its UpdatedAt, though Security
	// Hub deletes the archive after ArchivedRetention: a region that was
	// home before may hold the finding open until then.
	if _, ok := next(state, nil, day(1).Add(Retention-second))[keyBob]; !ok {
		t.Errorf("tombstone dropped before Retention passed")
	}
	if _, ok := next(state, nil, day(1).Add(Retention))[keyBob]; ok {
		t.Errorf("tombstone kept after Retention passed")
	}
}

// The state written ahead of publishing hides nothing from the next run,
// whatever became of the run's imports, workflow updates and digest:
// what the run opened is new again, what it resolved an unsent archive
// (sent again if it still passes; new, and reopened in Security Hub, if it
// fails again), and what it sent a workflow status is WorkflowUnknown.
func TestNextUnsettled(t *testing.T) {
	k1 := &rules.Key01
	carol := userRow("carol")
	prev := next(nil, Diff(nil, []rules.Result{fail(k1, alice, old131), fail(k1, bob, old131)}, acct, day(0), 0), day(0))
	keyCarol := ID(acct, k1.ID, carol.ARN)
	day1 := []rules.Result{pass(k1, alice, passKey), fail(k1, bob, "access key 1 is 132 days old"), suppressed(fail(k1, carol, old131), "break-glass")}
	changes := Diff(prev, day1, acct, day(1), 0)
	u := NextUnsettled(prev, changes, Publication{At: day(1), Region: "eu-west-1"})

	if r := u[keyAlice]; !r.Archived || r.Status != rules.Passed || r.Unreported != "" || !r.unsent() || !r.UpdatedAt.After(prev[keyAlice].UpdatedAt) {
		t.Errorf("alice, resolved: %+v; want an unsent archive, later than her last import", r)
	}
	if r := u[keyBob]; r != prev[keyBob] {
		t.Errorf("bob, still failing, nothing sent: %+v; want %+v", r, prev[keyBob])
	}
	if r := u[keyCarol]; !r.Unnotified || !r.LastImportedAt.IsZero() || !r.WorkflowUnknown || r.Suppressed {
		t.Errorf("carol, new and suppressed: %+v; want Unnotified, due for import, its workflow status unknown", r)
	}

	// The next run, alice failing again: reopened in Security Hub; carol
	// reported new again, and her suppression sent again.
	got := Diff(u, []rules.Result{fail(k1, alice, old131), fail(k1, bob, "access key 1 is 133 days old"), suppressed(fail(k1, carol, "access key 1 is 132 days old"), "break-glass")}, acct, day(2), 0)
	kinds := map[string]Change{}
	for _, c := range got {
		kinds[c.ID()] = c
	}
	if c := kinds[keyAlice]; c.Kind != New || !c.Import() || c.Record.Archived || c.Record.Status != rules.Failed {
		t.Errorf("alice failing again: %+v; want her finding reopened, and reported new", c)
	}
	if c := kinds[keyCarol]; c.Kind != New || !c.Import() || c.Workflow != WorkflowSuppress {
		t.Errorf("carol: kind %s, import %v, workflow %s; want new again, imported and suppressed", c.Kind, c.Import(), c.Workflow)
	}

	// Alice still passing: her archive is sent again, no news.
	got = Diff(u, []rules.Result{pass(k1, alice, passKey)}, acct, day(2), 0)
	for _, c := range got {
		if c.ID() == keyAlice && (c.Kind != StillArchived || !c.Import() || c.News()) {
			t.Errorf("alice still passing: kind %s, import %v, news %v; want her archive sent again, quietly", c.Kind, c.Import(), c.News())
		}
	}

	// Security Hub off: the previous records, alice's archived.
	off := NextUnsettled(prev, changes, Publication{At: day(1), Off: true})
	if r := off[keyAlice]; len(off) != 2 || off[keyBob] != prev[keyBob] || !r.Archived || !r.unsent() {
		t.Errorf("Security Hub off: %v; want bob's record as it was, alice's an unsent archive", off)
	}
}

// After a run whose digest was not sent, the state keeps the previous
// records, adds the findings that run opened in Security Hub (or may have:
// a refused import may have landed), marked Unnotified, and marks the
// others it imported due for import: failing, the opened ones are new
// again; passing, they are resolved.
func TestNextUnnotified(t *testing.T) {
	k1 := &rules.Key01
	prev := next(nil, Diff(nil, []rules.Result{fail(k1, alice, old131)}, acct, day(0), 0), day(0))
	// Day 1, digest not sent: alice resolved, bob new (imported), the
	// root's KEY-01 new but refused by Security Hub.
	changes := Diff(prev, []rules.Result{pass(k1, alice, "no active access key"), fail(k1, bob, old131), fail(k1, rootRow, old131)}, acct, day(1), 0)
	keyRoot := changes[2].ID()
	state := NextUnnotified(prev, changes, Publication{At: day(1), FailedImports: map[string]bool{keyRoot: true}})
	// Alice's finding is archived in Security Hub but still open in the
	// state: due for import whatever the next run finds, later than the
	// archive.
	wantAlice := prev[keyAlice]
	wantAlice.LastImportedAt, wantAlice.UpdatedAt = time.Time{}, changes[0].Record.UpdatedAt
	wantAlice.TakenUpdatedAt, wantAlice.TakenArchived = changes[0].Record.UpdatedAt, true // Security Hub took the archive
	// And what the run saw, for a next run that cannot see it.
	wantAlice.Unreported, wantAlice.UnreportedReason, wantAlice.UnreportedAt = "resolved", "no active access key", day(1)
	if diff := cmp.Diff(wantAlice, state[keyAlice]); diff != "" {
		t.Errorf("alice's record (-want +saved):\n%s", diff)
	}
	if got := state[keyBob]; !got.Unnotified || got.Archived || !got.LastImportedAt.Equal(day(1)) {
		t.Errorf("bob = %+v, want an open record imported at day 1 and marked Unnotified", got)
	}
	if got := state[keyRoot]; !got.Unnotified || !got.LastImportedAt.IsZero() {
		t.Errorf("the refused finding = %+v, want it saved unnotified and never imported", got)
	}
	if off := NextUnnotified(prev, changes, Publication{At: day(1), Off: true}); !cmp.Equal(off, prev) {
		t.Errorf("with Security Hub off the state moved on: %v", off)
	}

	// Day 2: bob still failing is new again, keeping his first sighting;
	// alice is resolved again.
	again := Diff(state, []rules.Result{pass(k1, alice, "no active access key"), fail(k1, bob, old131), fail(k1, rootRow, old131)}, acct, day(2), 0)
	kinds := map[string]Kind{}
	for _, c := range again {
		kinds[c.ID()] = c.Kind
		if c.ID() == keyBob && (!c.Record.FirstObservedAt.Equal(day(1)) || !c.Record.UpdatedAt.After(state[keyBob].UpdatedAt) || c.Record.Unnotified) {
			t.Errorf("bob's change record = %+v, want first observed day 1, a later UpdatedAt and no Unnotified", c.Record)
		}
	}
	if want := map[string]Kind{keyAlice: Resolved, keyBob: New, keyRoot: New}; !cmp.Equal(kinds, want) {
		t.Errorf("day 2 changes = %v, want %v", kinds, want)
	}
	// Or alice fails again as she did before: Security Hub, which holds her
	// finding archived, gets it again, later than the archive.
	relapse := Diff(state, []rules.Result{fail(k1, alice, old131)}, acct, day(1), 0)
	if len(relapse) < 1 || relapse[0].ID() != keyAlice || !relapse[0].Import() || !relapse[0].Record.UpdatedAt.After(changes[0].Record.UpdatedAt) {
		t.Errorf("alice failing again: %+v, want her finding imported after its archive", relapse)
	}
	// A suppression Security Hub was sent in a run whose digest failed is
	// remembered: removed later, the finding is unmuted there.
	muted := NextUnnotified(prev, Diff(prev, []rules.Result{suppressed(fail(k1, alice, old131), "waived")}, acct, day(1), 0), Publication{At: day(1)})
	if !muted[keyAlice].Suppressed {
		t.Errorf("alice = %+v, want her suppression, sent to Security Hub, saved", muted[keyAlice])
	}
	if unmute := Diff(muted, []rules.Result{fail(k1, alice, old131)}, acct, day(2), 0); len(unmute) != 1 || unmute[0].Workflow != WorkflowUnsuppress {
		t.Errorf("suppression removed: %+v, want the finding unmuted", summarize(unmute))
	}
	// Or bob and the root pass (and alice is gone): they are resolved, not
	// forgotten.
	fixed := Diff(state, []rules.Result{pass(k1, bob, "no active access key"), pass(k1, rootRow, "no active access key")}, acct, day(2), 0)
	if len(fixed) != 3 || fixed[0].ID() != keyBob || fixed[0].Kind != Resolved || fixed[0].Record.Unnotified || fixed[1].ID() != keyRoot || fixed[1].Kind != Resolved {
		t.Errorf("bob and the root fixed: changes %+v, want both resolved", summarize(fixed))
	}
}

func TestFirstObservedAtIsNeverRewritten(t *testing.T) {
	k1 := &rules.Key01
	runs := []run{
		{day(0), []rules.Result{fail(k1, alice, old131)}},
		{day(1), []rules.Result{fail(k1, alice, "access key 2 is 100 days old")}},                      // changed
		{day(2), []rules.Result{suppressed(fail(k1, alice, "access key 2 is 101 days old"), "known")}}, // suppressed
		{day(3), []rules.Result{unseen(k1, alice)}},                                                    // not available
		{day(40), []rules.Result{fail(k1, alice, "access key 2 is 139 days old")}},                     // refreshed
		{day(41), []rules.Result{pass(k1, alice, "no active access key")}},                             // resolved
		{day(50), []rules.Result{fail(k1, alice, "access key 1 is 91 days old")}},                      // reopened
		{day(51), nil}, // gone
		{day(60), []rules.Result{fail(&keyHigh, alice, "access key 1 is 101 days old")}},                   // reopened
		{day(30), []rules.Result{fail(&keyHigh, alice, "access key 1 is 71 days old")}},                    // clock back
		{day(200), []rules.Result{suppressed(fail(&keyHigh, alice, "access key 1 is 241 days old"), "x")}}, // refreshed
	}
	for i := range runs {
		changes, _ := replay(t, runs[:i+1]...)
		if len(changes) != 1 {
			t.Fatalf("run %d: got %d changes, want 1", i, len(changes))
		}
		if got := changes[0].Record.FirstObservedAt; !got.Equal(day(0)) {
			t.Errorf("run %d (%v): FirstObservedAt = %v, want %v", i, changes[0].Kind, got, day(0))
		}
	}
}

func TestUpdatedAtStrictlyIncreases(t *testing.T) {
	k1 := &rules.Key01
	// Each run changes the fact, so each imports; the clock jumps about.
	at := []time.Time{day(10), day(12), day(5), day(5), day(5).Add(-time.Hour), day(5).Add(300 * time.Millisecond), day(20)}
	reasons := []string{"access key 1 is 131 days old", "access key 2 is 95 days old"}
	var (
		state   map[string]Record
		last    time.Time
		created bool
	)
	for i, a := range at {
		changes := Diff(state, []rules.Result{fail(k1, alice, reasons[i%2])}, acct, a, 0)
		if len(changes) != 1 || !changes[0].Import() {
			t.Fatalf("run %d at %v: got %+v, want one import", i, a, summarize(changes))
		}
		u := changes[0].Record.UpdatedAt
		if created && !u.After(last) {
			t.Errorf("run %d at %v: UpdatedAt %v is not after the previous %v", i, a, u, last)
		}
		if u.Nanosecond() != 0 {
			t.Errorf("run %d: UpdatedAt %v is not whole seconds", i, u)
		}
		if !created && !u.Equal(changes[0].Record.FirstObservedAt) {
			t.Errorf("new finding: UpdatedAt %v differs from CreatedAt %v", u, changes[0].Record.FirstObservedAt)
		}
		last, created = u, true
		state = next(state, changes, a)
	}
	// Archiving and reopening after the clock went back still moves on.
	changes := Diff(state, []rules.Result{pass(k1, alice, "no active access key")}, acct, day(1), 0)
	if u := changes[0].Record.UpdatedAt; !u.After(last) {
		t.Errorf("resolved: UpdatedAt %v is not after %v", u, last)
	}
	last = changes[0].Record.UpdatedAt
	state = next(state, changes, day(1))
	changes = Diff(state, []rules.Result{fail(k1, alice, old131)}, acct, day(1), 0)
	if c := changes[0]; c.Kind != New || !c.Record.UpdatedAt.After(last) {
		t.Errorf("reopened: %+v, want New with UpdatedAt after %v", summarize(changes), last)
	}
}

func TestKindAndWorkflowNames(t *testing.T) {
	got := []string{New.String(), Changed.String(), StillFailing.String(), Resolved.String(), Gone.String(), StillArchived.String(), Kind(9).String(),
		WorkflowKeep.String(), WorkflowSuppress.String(), WorkflowUnsuppress.String(), Workflow(7).String()}
	want := []string{"new", "changed", "still failing", "resolved", "gone", "still archived", "Kind(9)", "keep", "suppress", "unsuppress", "Workflow(7)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}

// A failed publication is redone by the next run, never lost: each case runs
// a publication that failed, then the next run on the same facts, and checks
// the next run sends the finding again.
func TestNextAfterFailedPublication(t *testing.T) {
	k1 := &rules.Key01
	keyAlice := ID(acct, k1.ID, alice.ARN)
	open := next(nil, Diff(nil, []rules.Result{fail(k1, alice, old131)}, acct, day(0), 0), day(0))
	// mutedOpen is open, suppressed a day later.
	mutedOpen := next(open, Diff(open, []rules.Result{suppressed(fail(k1, alice, old131), "break-glass user")}, acct, day(1), 0), day(1))
	// mutedTombstone is a suppressed finding resolved without its unsuppress.
	mutedTombstone := NextAfter(mutedOpen, Diff(mutedOpen, []rules.Result{pass(k1, alice, "no active access key")}, acct, day(2), 0),
		Publication{At: day(2), FailedWorkflow: map[string]bool{keyAlice: true}})

	t.Run("a new finding whose import failed is imported on the next run, created when first seen", func(t *testing.T) {
		changes := Diff(nil, []rules.Result{fail(k1, alice, old131)}, acct, day(0), 0)
		state := NextAfter(nil, changes, Publication{At: day(0), FailedImports: map[string]bool{keyAlice: true}})
		if !state[keyAlice].LastImportedAt.IsZero() {
			t.Fatalf("LastImportedAt = %v after a failed import, want zero", state[keyAlice].LastImportedAt)
		}
		again := Diff(state, []rules.Result{fail(k1, alice, "access key 1 is 132 days old")}, acct, day(1), 0)
		if len(again) != 1 || again[0].Kind != StillFailing || !again[0].Import() {
			t.Fatalf("next run: %+v, want still failing and imported", summarize(again))
		}
		if got := again[0].Record; !got.FirstObservedAt.Equal(day(0)) || !got.UpdatedAt.Equal(day(1)) {
			t.Errorf("re-import: first observed %v, updated %v; want %v and %v", got.FirstObservedAt, got.UpdatedAt, day(0), day(1))
		}
	})
	t.Run("a resolution whose import failed is sent again, not reported again", func(t *testing.T) {
		changes := Diff(open, []rules.Result{pass(k1, alice, "no active access key")}, acct, day(1), 0)
		state := NextAfter(open, changes, Publication{At: day(1), FailedImports: map[string]bool{keyAlice: true}})
		// The archive, unsent: the digest reported the resolution.
		want := changes[0].Record
		want.LastImportedAt = time.Time{}
		if diff := cmp.Diff(want, state[keyAlice]); diff != "" {
			t.Fatalf("record after a failed resolution (-want +got):\n%s", diff)
		}
		again := Diff(state, []rules.Result{pass(k1, alice, "no active access key")}, acct, day(2), 0)
		if len(again) != 1 || again[0].Kind != StillArchived || !again[0].Import() || !again[0].Record.UpdatedAt.Equal(changes[0].Record.UpdatedAt) {
			t.Errorf("next run: %+v, want the archive sent again, as it was, and no news", summarize(again))
		}
		// Or failing as before (the same fact, a day on): new, since the
		// digest said it was resolved, and sent ACTIVE after the archive
		// that may have landed.
		relapse := Diff(state, []rules.Result{fail(k1, alice, "access key 1 is 132 days old")}, acct, day(1), 0)
		if len(relapse) != 1 || relapse[0].Kind != New || !relapse[0].Import() || !relapse[0].Record.UpdatedAt.After(changes[0].Record.UpdatedAt) ||
			!relapse[0].Record.FirstObservedAt.Equal(day(0)) {
			t.Errorf("failing again: %+v, want it new, first observed on day 0, imported after the archive", summarize(relapse))
		}
	})
	t.Run("a gone finding whose import failed is archived on the next run, quietly", func(t *testing.T) {
		changes := Diff(open, nil, acct, day(1), 0)
		state := NextAfter(open, changes, Publication{At: day(1), FailedImports: map[string]bool{keyAlice: true}})
		again := Diff(state, nil, acct, day(2), 0)
		if len(again) != 1 || again[0].Kind != StillArchived || !again[0].Import() {
			t.Errorf("next run: %+v, want the archive sent again and no news", summarize(again))
		}
	})
	t.Run("a suppression whose workflow update failed is sent again", func(t *testing.T) {
		muted := suppressed(fail(k1, alice, old131), "break-glass user")
		changes := Diff(open, []rules.Result{muted}, acct, day(1), 0)
		if len(changes) != 1 || changes[0].Workflow != WorkflowSuppress {
			t.Fatalf("got %+v, want a suppress", summarize(changes))
		}
		state := NextAfter(open, changes, Publication{At: day(1), FailedWorkflow: map[string]bool{keyAlice: true}})
		if state[keyAlice].Suppressed {
			t.Fatal("record marked suppressed although the workflow update failed")
		}
		again := Diff(state, []rules.Result{suppressed(fail(k1, alice, "access key 1 is 132 days old"), "break-glass user")}, acct, day(2), 0)
		if len(again) != 1 || again[0].Workflow != WorkflowSuppress {
			t.Errorf("next run: %+v, want the suppress sent again", summarize(again))
		}
	})
	t.Run("a suppressed finding archived without its unsuppress comes back unmuted", func(t *testing.T) {
		back := Diff(mutedTombstone, []rules.Result{fail(k1, alice, old131)}, acct, day(3), 0)
		if len(back) != 1 || back[0].Kind != New || back[0].Workflow != WorkflowUnsuppress {
			t.Errorf("recurrence: %+v, want new with an unsuppress", summarize(back))
		}
	})
	// A finding whose import failed gets no workflow update (Security Hub
	// may not hold it yet): the next run must send both.
	for _, tt := range []struct {
		name           string
		prev           map[string]Record
		at             time.Time
		result         rules.Result // imported with workflow, and refused
		workflow       Workflow
		wantSuppressed bool         // the saved record's, as before the run
		again          rules.Result // the next run's result, a day later
	}{
		{
			name:   "a new suppressed finding whose import failed is imported and suppressed on the next run",
			at:     day(0),
			result: suppressed(fail(k1, alice, old131), "break-glass user"), workflow: WorkflowSuppress,
			again: suppressed(fail(k1, alice, "access key 1 is 132 days old"), "break-glass user"),
		},
		{
			name: "a suppression of an open finding whose refresh import failed is sent again with the import",
			prev: open, at: day(30),
			result: suppressed(fail(k1, alice, "access key 1 is 161 days old"), "break-glass user"), workflow: WorkflowSuppress,
			again: suppressed(fail(k1, alice, "access key 1 is 162 days old"), "break-glass user"),
		},
		{
			name: "a removed suppression whose refresh import failed is unsuppressed on the next run",
			prev: mutedOpen, at: day(31),
			result: fail(k1, alice, "access key 1 is 162 days old"), workflow: WorkflowUnsuppress, wantSuppressed: true,
			again: fail(k1, alice, "access key 1 is 163 days old"),
		},
		{
			name: "a suppressed tombstone's recurrence whose import failed is unsuppressed on the next run",
			prev: mutedTombstone, at: day(3),
			result: fail(k1, alice, old131), workflow: WorkflowUnsuppress, wantSuppressed: true,
			again: fail(k1, alice, "access key 1 is 132 days old"),
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			changes := Diff(tt.prev, []rules.Result{tt.result}, acct, tt.at, 0)
			if len(changes) != 1 || !changes[0].Import() || changes[0].Workflow != tt.workflow {
				t.Fatalf("got %+v, want an import with workflow %v", summarize(changes), tt.workflow)
			}
			state := NextAfter(tt.prev, changes, Publication{At: tt.at, FailedImports: map[string]bool{keyAlice: true}})
			if got := state[keyAlice].Suppressed; got != tt.wantSuppressed {
				t.Errorf("saved record suppressed %v after the failed import, want %v", got, tt.wantSuppressed)
			}
			again := Diff(state, []rules.Result{tt.again}, acct, tt.at.Add(24*time.Hour), 0)
			if len(again) != 1 || !again[0].Import() || again[0].Workflow != tt.workflow ||
				again[0].Record.SuppressionReason != tt.again.SuppressionReason() {
				t.Errorf("next run: %+v, want the import and workflow %v sent again", summarize(again), tt.workflow)
			}
		})
	}
	t.Run("with Security Hub off records move on but none counts as imported", func(t *testing.T) {
		changes := Diff(nil, []rules.Result{fail(k1, alice, old131)}, acct, day(0), 0)
		state := NextAfter(nil, changes, Publication{At: day(0), Off: true})
		if r := state[keyAlice]; !r.LastImportedAt.IsZero() || r.Status != rules.Failed {
			t.Errorf("record %+v, want failing and never imported", r)
		}
	})
	t.Run("a finding new and suppressed while Security Hub was off is imported muted when it is back on", func(t *testing.T) {
		state := NextAfter(nil, Diff(nil, []rules.Result{suppressed(fail(k1, alice, old131), "waived")}, acct, day(0), 0), Publication{At: day(0), Off: true})
		on := Diff(state, []rules.Result{suppressed(fail(k1, alice, old131), "waived")}, acct, day(1), 0)
		if len(on) != 1 || !on[0].Import() || on[0].Workflow != WorkflowSuppress {
			t.Errorf("back on: %+v, want the finding imported and suppressed", summarize(on))
		}
	})
	t.Run("a suppression added while Security Hub was off to a finding with no refresh due is sent when it is back on", func(t *testing.T) {
		state := next(nil, Diff(nil, []rules.Result{fail(k1, alice, old131)}, acct, day(0), 0), day(0))
		off := Diff(state, []rules.Result{suppressed(fail(k1, alice, "access key 1 is 132 days old"), "waived")}, acct, day(1), 0)
		if len(off) != 1 || !off[0].Import() || off[0].Workflow != WorkflowSuppress {
			t.Fatalf("run while off: %+v, want a suppression and an import of its reason", summarize(off))
		}
		state = NextAfter(state, off, Publication{At: day(1), Off: true})
		on := Diff(state, []rules.Result{suppressed(fail(k1, alice, "access key 1 is 133 days old"), "waived")}, acct, day(2), 0)
		if len(on) != 1 || !on[0].Import() || on[0].Workflow != WorkflowSuppress {
			t.Errorf("back on: %+v, want the suppression and its reason sent", summarize(on))
		}
	})
	t.Run("a suppressed finding is imported muted after Security Hub was off long enough to delete it", func(t *testing.T) {
		muted := suppressed(fail(&rules.Key02, alice, "access keys 1 and 2 are both active"), "waived")
		state := next(nil, Diff(nil, []rules.Result{muted}, acct, day(0), 0), day(0))
		for d := 1; d <= 100; d++ {
			state = NextAfter(state, Diff(state, []rules.Result{muted}, acct, day(d), 0), Publication{At: day(d), Off: true})
		}
		on := Diff(state, []rules.Result{muted}, acct, day(101), 0)
		if len(on) != 1 || !on[0].Import() || on[0].Workflow != WorkflowSuppress {
			t.Errorf("back on after 100 days: %+v, want the finding imported and suppressed", summarize(on))
		}
		state = next(state, on, day(101))
		if settled := Diff(state, []rules.Result{muted}, acct, day(102), 0); len(settled) != 1 || settled[0].Import() || settled[0].Workflow != WorkflowKeep {
			t.Errorf("the run after: %+v, want nothing sent", summarize(settled))
		}
	})
	t.Run("a suppression that ends while Security Hub is off is lifted when it is back on, though a refresh came between", func(t *testing.T) {
		muted := suppressed(fail(k1, alice, old131), "waived")
		state := next(nil, Diff(nil, []rules.Result{muted}, acct, day(0), 0), day(0))
		// Day 31, off: refreshed, still suppressed; Security Hub holds it
		// SUPPRESSED unless it deleted it meanwhile.
		state = NextAfter(state, Diff(state, []rules.Result{muted}, acct, day(31), 0), Publication{At: day(31), Off: true})
		// Day 32, off: the suppression is removed.
		state = NextAfter(state, Diff(state, []rules.Result{fail(k1, alice, "access key 1 is 163 days old")}, acct, day(32), 0), Publication{At: day(32), Off: true})
		on := Diff(state, []rules.Result{fail(k1, alice, "access key 1 is 164 days old")}, acct, day(33), 0)
		if len(on) != 1 || !on[0].Import() || on[0].Workflow != WorkflowUnsuppress {
			t.Errorf("back on: %+v, want the finding imported and unsuppressed", summarize(on))
		}
	})
	t.Run("a finding that changed while Security Hub was off is imported when it is back on", func(t *testing.T) {
		state := next(nil, Diff(nil, []rules.Result{fail(k1, alice, old131)}, acct, day(0), 0), day(0))
		changed := Diff(state, []rules.Result{fail(k1, alice, "access key 1 is 131 days old; access key 2 is 95 days old")}, acct, day(1), 0)
		state = NextAfter(state, changed, Publication{At: day(1), Off: true})
		on := Diff(state, []rules.Result{fail(k1, alice, "access key 1 is 132 days old; access key 2 is 96 days old")}, acct, day(2), 0)
		if len(on) != 1 || on[0].Kind != StillFailing || !on[0].Import() {
			t.Errorf("back on: %+v, want the still-failing finding imported (Security Hub holds its version from before)", summarize(on))
		}
	})
}

// An archive made while Security Hub was off is sent by the first run with
// it back on, once: the tombstone as saved, with the UpdatedAt it was
// archived with (later than anything sent before), as an import with no
// news (StillArchived, NeedsRefresh), whatever the run's result short of
// failing.
func TestArchiveMadeWhileSecurityHubWasOff(t *testing.T) {
	k1 := &rules.Key01
	fixed := pass(k1, alice, "no active access key")
	open := next(nil, Diff(nil, []rules.Result{fail(k1, alice, old131)}, acct, day(0), 0), day(0))
	sentAt := open[keyAlice].UpdatedAt // the last UpdatedAt Security Hub got
	// off is a run with Security Hub off.
	off := func(prev map[string]Record, at time.Time, results ...rules.Result) map[string]Record {
		return NextAfter(prev, Diff(prev, results, acct, at, 0), Publication{At: at, Off: true})
	}
	// sendsArchive checks changes are the one archive sent late, of the
	// tombstone rec.
	sendsArchive := func(t *testing.T, changes []Change, rec Record) {
		t.Helper()
		if len(changes) != 1 || changes[0].Kind != StillArchived || !changes[0].NeedsRefresh || !changes[0].Import() {
			t.Fatalf("got %+v, want one still-archived change to import", summarize(changes))
		}
		if diff := cmp.Diff(rec, changes[0].Record); diff != "" {
			t.Errorf("archive sent (-tombstone +sent):\n%s", diff)
		}
		if !rec.UpdatedAt.After(sentAt) {
			t.Errorf("archive sent with UpdatedAt %v, not after the %v Security Hub holds", rec.UpdatedAt, sentAt)
		}
	}

	for _, tt := range []struct {
		name    string
		archive []rules.Result // the run, off, that archives
		later   []rules.Result // every run's after it
		status  rules.Status   // the archive's compliance status
	}{
		{"a finding resolved while Security Hub was off is archived there when it is back on", []rules.Result{fixed}, []rules.Result{fixed}, rules.Passed},
		{"a finding gone while Security Hub was off is archived there when it is back on", nil, nil, rules.Failed},
		{"an archive made while Security Hub was off is sent though the resource is not visible", []rules.Result{fixed}, []rules.Result{unseen(k1, alice)}, rules.Passed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			state := off(open, day(1), tt.archive...)
			tomb := state[keyAlice]
			if !tomb.Archived || tomb.Status != tt.status || !tomb.LastImportedAt.IsZero() {
				t.Fatalf("tombstone %+v, want archived %s and never imported", tomb, tt.status)
			}
			on := Diff(state, tt.later, acct, day(3), 0)
			sendsArchive(t, on, tomb)
			state = next(state, on, day(3))
			if got := state[keyAlice].LastImportedAt; !got.Equal(day(3)) {
				t.Errorf("LastImportedAt after the archive was sent = %v, want %v", got, day(3))
			}
			if again := Diff(state, tt.later, acct, day(4), 0); len(again) != 0 {
				t.Errorf("the run after: %+v, want nothing sent again", summarize(again))
			}
		})
	}
	t.Run("an archive whose import failed is sent again by the next run", func(t *testing.T) {
		state := off(open, day(1), fixed)
		tomb := state[keyAlice]
		on := Diff(state, []rules.Result{fixed}, acct, day(3), 0)
		sendsArchive(t, on, tomb)
		state = NextAfter(state, on, Publication{At: day(3), FailedImports: map[string]bool{keyAlice: true}})
		if diff := cmp.Diff(tomb, state[keyAlice]); diff != "" {
			t.Fatalf("tombstone after the failed import (-before +after):\n%s", diff)
		}
		sendsArchive(t, Diff(state, []rules.Result{fixed}, acct, day(4), 0), tomb)
	})
	t.Run("an archive sent by a run whose digest was not sent is not sent again", func(t *testing.T) {
		state := off(open, day(1), fixed)
		on := Diff(state, []rules.Result{fixed}, acct, day(3), 0)
		sendsArchive(t, on, state[keyAlice])
		state = NextUnnotified(state, on, Publication{At: day(3)})
		if again := Diff(state, []rules.Result{fixed}, acct, day(4), 0); len(again) != 0 {
			t.Errorf("the run after: %+v, want nothing sent again", summarize(again))
		}
	})
	t.Run("a finding failing again when Security Hub is back is reopened and its archive never sent", func(t *testing.T) {
		state := off(open, day(1), fixed)
		sendsArchive(t, Diff(state, []rules.Result{fixed}, acct, day(3), 0), state[keyAlice])
		for _, at := range []time.Time{day(2), day(3)} { // failing again while off, or in the first run back
			relapse := Diff(state, []rules.Result{fail(k1, alice, old131)}, acct, at, 0)
			want := []summary{{ID: keyAlice, Kind: New, Import: true, Status: rules.Failed, Reason: old131,
				First: day(0), LastObserved: at, Updated: at}}
			if diff := cmp.Diff(want, summarize(relapse)); diff != "" {
				t.Errorf("failing again on %v (-want +got):\n%s", at, diff)
			}
		}
		state = off(state, day(2), fail(k1, alice, old131))
		back := Diff(state, []rules.Result{fail(k1, alice, "access key 1 is 132 days old")}, acct, day(3), 0)
		if len(back) != 1 || back[0].Kind != StillFailing || !back[0].Import() || back[0].Record.Archived {
			t.Errorf("back on: %+v, want the open finding imported, no archive", summarize(back))
		}
	})
	t.Run("with Security Hub still off the tombstone stays as it was and expires as before", func(t *testing.T) {
		state := off(open, day(1), fixed)
		tomb := state[keyAlice]
		for d := 2; d <= 90; d++ {
			if !day(d).Before(tomb.TakenUpdatedAt.Add(Retention)) {
				// Retention after the last import Security Hub took, it
				// has deleted the open finding: the archive creates it,
				// with its own UpdatedAt as CreatedAt.
				tomb.CreatedAt, tomb.TakenUpdatedAt = time.Time{}, time.Time{}
			}
			sendsArchive(t, Diff(state, []rules.Result{fixed}, acct, day(d), 0), tomb)
			state = off(state, day(d), fixed)
			if diff := cmp.Diff(tomb, state[keyAlice]); diff != "" {
				t.Fatalf("day %d, off: tombstone (-before +after):\n%s", d, diff)
			}
		}
		if !tomb.CreatedAt.IsZero() {
			t.Errorf("day 90: the tombstone says Security Hub holds the finding created %v, last taken %v, 90 days ago", tomb.CreatedAt, tomb.TakenUpdatedAt)
		}
		// Retention after the archive Security Hub has deleted the finding:
		// nothing is sent, and the tombstone goes.
		end := tomb.UpdatedAt.Add(Retention)
		sendsArchive(t, Diff(state, nil, acct, end.Add(-second), 0), tomb)
		for _, results := range [][]rules.Result{{fixed}, nil} {
			if late := Diff(state, results, acct, end, 0); len(late) != 0 {
				t.Errorf("back on at the end of Retention: %+v, want nothing sent", summarize(late))
			}
		}
		if _, ok := off(state, end, fixed)[keyAlice]; ok {
			t.Error("tombstone kept after Retention passed")
		}
	})
	t.Run("a suppressed finding archived while Security Hub was off is unsuppressed with its archive", func(t *testing.T) {
		muted := next(open, Diff(open, []rules.Result{suppressed(fail(k1, alice, old131), "waived")}, acct, day(1), 0), day(1))
		state := off(muted, day(2), fixed)
		if !state[keyAlice].Suppressed {
			t.Fatalf("tombstone %+v, want it still marked suppressed: the unsuppress was not sent", state[keyAlice])
		}
		state = off(state, day(3), fixed)
		if !state[keyAlice].Suppressed {
			t.Fatalf("tombstone %+v after another run off, want it still marked suppressed", state[keyAlice])
		}
		on := Diff(state, []rules.Result{fixed}, acct, day(4), 0)
		if len(on) != 1 || on[0].Kind != StillArchived || on[0].Workflow != WorkflowUnsuppress || on[0].Record.Suppressed {
			t.Fatalf("back on: %+v, want the archive sent with an unsuppress", summarize(on))
		}
		state = next(state, on, day(4))
		if again := Diff(state, []rules.Result{fixed}, acct, day(5), 0); len(again) != 0 {
			t.Errorf("the run after: %+v, want nothing sent again", summarize(again))
		}
	})
}

// After the home region changes, every finding is owed to the new region:
// InRegion makes an open one's record due, unsuppressed and its workflow
// unknown, so the next Diff imports it (quietly, as a refresh) and sends its
// workflow status, SUPPRESSED or NEW (the region may hold it from before, as
// it was then), and a tombstone's an unsent archive, its workflow unknown,
// which the next Diff sends (quietly, as StillArchived) and sets back to
// NEW; records in the region and records never imported stay as they were.
func TestInRegion(t *testing.T) {
	k1 := &rules.Key01
	mutedMFA := suppressed(fail(&rules.User02, alice, noMFA), "break-glass")
	old := NextAfter(nil, Diff(nil, []rules.Result{fail(k1, alice, old131), fail(k1, bob, old131), mutedMFA}, acct, day(0), 0),
		Publication{At: day(0), Region: "eu-west-1"})
	old = NextAfter(old, Diff(old, []rules.Result{fail(k1, alice, "access key 1 is 132 days old"), pass(k1, bob, passKey), mutedMFA}, acct, day(1), 0),
		Publication{At: day(1), Region: "eu-west-1"})
	for id, r := range old {
		if r.Region != "eu-west-1" || !r.LastImportedAt.Equal(day(0)) && !r.LastImportedAt.Equal(day(1)) {
			t.Fatalf("%s saved with region %q, imported %v; want eu-west-1, the day of its import", id, r.Region, r.LastImportedAt)
		}
	}
	if !old[keyBob].Archived || !old[mfaAlice].Suppressed {
		t.Fatalf("setup: bob %+v, alice's MFA %+v; want bob archived and the MFA finding suppressed", old[keyBob], old[mfaAlice])
	}
	before := maps.Clone(old)

	t.Run("in the same region nothing changes", func(t *testing.T) {
		held, moved := InRegion(old, "eu-west-1")
		if moved != 0 || !cmp.Equal(held, old) {
			t.Errorf("moved %d, records changed (-before +after):\n%s", moved, cmp.Diff(old, held))
		}
	})

	held, moved := InRegion(old, "us-east-1")
	if diff := cmp.Diff(before, old); diff != "" {
		t.Fatalf("InRegion modified prev:\n%s", diff)
	}
	if moved != 3 {
		t.Errorf("moved %d, want the 2 open findings and bob's tombstone", moved)
	}
	for _, id := range []string{keyAlice, mfaAlice} {
		if r := held[id]; !r.LastImportedAt.IsZero() || r.Region != "" || r.Suppressed || r.SuppressionReason != "" || !r.WorkflowUnknown || !r.CreatedAt.IsZero() {
			t.Errorf("%s after the move: %+v; want it due for import, unsuppressed, its workflow unknown, its CreatedAt the import's", id, r)
		}
	}
	wantBob := old[keyBob]
	wantBob.LastImportedAt, wantBob.Region, wantBob.WorkflowUnknown = time.Time{}, "", true
	wantBob.CreatedAt, wantBob.TakenUpdatedAt, wantBob.TakenArchived = time.Time{}, time.Time{}, false // not known to be held in the new region
	if diff := cmp.Diff(wantBob, held[keyBob]); diff != "" {
		t.Errorf("bob's tombstone after the move (-want +got), want it an unsent archive:\n%s", diff)
	}

	changes := Diff(held, []rules.Result{fail(k1, alice, "access key 1 is 133 days old"), pass(k1, bob, passKey), mutedMFA}, acct, day(2), 0)
	want := map[string]Workflow{keyAlice: WorkflowUnsuppress, mfaAlice: WorkflowSuppress}
	if len(changes) != len(want)+1 {
		t.Fatalf("after the move: %+v, want alice's two open findings and bob's archive", summarize(changes))
	}
	for _, c := range changes {
		if c.ID() == keyBob {
			if c.Kind != StillArchived || !c.Import() || c.Workflow != WorkflowUnsuppress || !c.Record.UpdatedAt.Equal(old[keyBob].UpdatedAt) {
				t.Errorf("bob: %+v, want his archive sent as it was saved", summarize([]Change{c}))
			}
			continue
		}
		if w, ok := want[c.ID()]; !ok || c.Kind != StillFailing || !c.NeedsRefresh || c.Workflow != w ||
			!c.Record.FirstObservedAt.Equal(day(0)) || !c.Record.UpdatedAt.After(old[c.ID()].UpdatedAt) {
			t.Errorf("%s: %+v, workflow %v; want a still-failing refresh, workflow %v, created day 0 and updated later than before", c.ID(), summarize([]Change{c}), c.Workflow, w)
		}
	}
	next := NextAfter(held, changes, Publication{At: day(2), Region: "us-east-1"})
	for _, id := range []string{keyAlice, mfaAlice, keyBob} {
		if r := next[id]; r.Region != "us-east-1" || !r.LastImportedAt.Equal(day(2)) {
			t.Errorf("%s saved with region %q, imported %v; want us-east-1, day 2", id, r.Region, r.LastImportedAt)
		}
	}
	if !next[mfaAlice].Suppressed {
		t.Errorf("alice's MFA finding saved unsuppressed after its suppression was sent")
	}
	for id, r := range next {
		if r.WorkflowUnknown {
			t.Errorf("%s saved with its workflow unknown after its status was sent", id)
		}
	}
	again, moved := InRegion(next, "us-east-1")
	after := Diff(again, []rules.Result{fail(k1, alice, "access key 1 is 134 days old"), mutedMFA, pass(k1, bob, passKey)}, acct, day(3), 0)
	if moved != 0 || len(after) != 2 || after[0].Import() || after[1].Import() || after[1].Workflow != WorkflowKeep {
		t.Errorf("the run after the move: %d moved, changes %+v; want none moved, nothing imported or updated", moved, summarize(after))
	}

	t.Run("a muted finding the first run in the new region cannot see is imported there muted", func(t *testing.T) {
		// The suppression still applies, and covers the unseen result
		// (rules.Suppressor): the import creates the finding NEW, so its
		// suppression must be sent with it.
		mutedUnseen := suppressed(unseen(&rules.User02, alice), "break-glass")
		cs := Diff(held, []rules.Result{fail(k1, alice, "access key 1 is 133 days old"), mutedUnseen}, acct, day(2), 0)
		i := slices.IndexFunc(cs, func(c Change) bool { return c.ID() == mfaAlice })
		if i < 0 {
			t.Fatalf("changes %+v lack alice's MFA finding", summarize(cs))
		}
		c := cs[i]
		if c.Kind != StillFailing || !c.Unavailable || !c.Import() || c.Workflow != WorkflowSuppress ||
			!c.Record.Suppressed || c.Record.SuppressionReason != "break-glass" || !c.Record.Muted || c.Unmuted() {
			t.Fatalf("alice's MFA finding: %+v, workflow %v, record %+v; want it re-imported unseen, with its suppression", summarize([]Change{c}), c.Workflow, c.Record)
		}
		saved := NextAfter(held, cs, Publication{At: day(2), Region: "us-east-1"})
		if r := saved[mfaAlice]; !r.Suppressed || r.WorkflowUnknown || !r.Muted {
			t.Errorf("saved %+v; want it suppressed, its workflow known, still muted", r)
		}
		// Seen again, failing and still suppressed: nothing more to send.
		after := Diff(saved, []rules.Result{mutedMFA}, acct, day(3), 0)
		if j := slices.IndexFunc(after, func(c Change) bool { return c.ID() == mfaAlice }); j < 0 || after[j].Workflow != WorkflowKeep || after[j].Kind != StillFailing || after[j].Unmuted() {
			t.Errorf("the run that sees it again: %+v; want it still failing, muted, no workflow update", summarize(after))
		}
	})
	t.Run("a failed import into the new region is owed again", func(t *testing.T) {
		failed := NextAfter(held, changes, Publication{At: day(2), Region: "us-east-1", FailedImports: map[string]bool{keyAlice: true}})
		again, moved := InRegion(failed, "us-east-1")
		cs := Diff(again, []rules.Result{fail(k1, alice, "access key 1 is 134 days old")}, acct, day(3), 0)
		if moved != 0 || len(cs) == 0 || cs[0].ID() != keyAlice || !cs[0].NeedsRefresh {
			t.Errorf("moved %d, changes %+v; want alice's finding refreshed again", moved, summarize(cs))
		}
	})
	t.Run("a record saved without a region is taken to be in the run's region", func(t *testing.T) {
		legacy := maps.Clone(old)
		for id, r := range legacy {
			r.Region = ""
			legacy[id] = r
		}
		held, moved := InRegion(legacy, "us-east-1")
		if moved != 0 {
			t.Errorf("moved %d, want none", moved)
		}
		for id, r := range held {
			if r.Region != "us-east-1" || !r.LastImportedAt.Equal(legacy[id].LastImportedAt) {
				t.Errorf("%s: region %q, imported %v; want us-east-1 and its import kept", id, r.Region, r.LastImportedAt)
			}
		}
		if legacy[keyAlice].Region != "" {
			t.Errorf("InRegion modified prev")
		}
	})
	t.Run("a record whose last import failed is moved from the region it names", func(t *testing.T) {
		failed := NextAfter(old, Diff(old, []rules.Result{mutedMFA}, acct, day(40), 0), Publication{At: day(40), Region: "eu-west-1", FailedImports: map[string]bool{mfaAlice: true}})
		if r := failed[mfaAlice]; !r.LastImportedAt.IsZero() || r.Region != "eu-west-1" || !r.Suppressed {
			t.Fatalf("setup: %+v; want alice's MFA finding not imported, in eu-west-1, suppressed there", r)
		}
		held, moved := InRegion(failed, "us-east-1")
		if r := held[mfaAlice]; moved == 0 || r.Region != "" || r.Suppressed || !r.WorkflowUnknown {
			t.Errorf("moved %d, %+v; want it moved, unsuppressed, its workflow unknown", moved, r)
		}
	})
	t.Run("a record never imported has no region to move from", func(t *testing.T) {
		off := NextAfter(nil, Diff(nil, []rules.Result{fail(k1, alice, old131)}, acct, day(0), 0), Publication{At: day(0), Off: true})
		held, moved := InRegion(off, "us-east-1")
		if moved != 0 || !cmp.Equal(held, off) {
			t.Errorf("moved %d, records changed (-before +after):\n%s", moved, cmp.Diff(off, held))
		}
	})
}

// A workflow update that was sent and failed may have landed all the same:
// the record is marked WorkflowUnknown, and the next run that can sends the
// status the finding should have then, even when it is the one the record
// holds (the suppression was changed back meanwhile), once.
func TestWorkflowUpdateThatMayHaveLanded(t *testing.T) {
	k1 := &rules.Key01
	plain := func(age int) rules.Result { return fail(k1, alice, "access key 1 is "+strconv.Itoa(age)+" days old") }
	muted := func(age int) rules.Result { return suppressed(plain(age), "break-glass user") }
	failedWorkflow := func(at time.Time) Publication {
		return Publication{At: at, FailedWorkflow: map[string]bool{keyAlice: true}}
	}
	open := next(nil, Diff(nil, []rules.Result{plain(131)}, acct, day(0), 0), day(0))
	mutedOpen := next(open, Diff(open, []rules.Result{muted(132)}, acct, day(1), 0), day(1))
	// suppressFailed: alice's suppression was sent on day 1 and failed.
	suppressFailed := NextAfter(open, Diff(open, []rules.Result{muted(132)}, acct, day(1), 0), failedWorkflow(day(1)))
	// unsuppressFailed: her suppression removed on day 2, its update failed.
	unsuppressFailed := NextAfter(mutedOpen, Diff(mutedOpen, []rules.Result{plain(133)}, acct, day(2), 0), failedWorkflow(day(2)))
	for name, st := range map[string]map[string]Record{"suppress": suppressFailed, "unsuppress": unsuppressFailed} {
		if r := st[keyAlice]; !r.WorkflowUnknown || r.Suppressed != (name == "unsuppress") {
			t.Fatalf("after the failed %s: %+v; want the workflow unknown and the suppression known before", name, r)
		}
	}

	tests := []struct {
		name     string
		prev     map[string]Record
		results  []rules.Result // the next run's, on day 3
		kind     Kind
		workflow Workflow
		settled  bool // whether the mark goes once the run's updates succeed
	}{
		{"a failed suppression, the suppression since removed: unsuppressed", suppressFailed, []rules.Result{plain(134)}, StillFailing, WorkflowUnsuppress, true},
		{"a failed suppression, still suppressed: suppressed again", suppressFailed, []rules.Result{muted(134)}, StillFailing, WorkflowSuppress, true},
		{"a failed suppression, then resolved: archived unsuppressed", suppressFailed, []rules.Result{pass(k1, alice, passKey)}, Resolved, WorkflowUnsuppress, true},
		{"a failed suppression, then gone: archived unsuppressed", suppressFailed, nil, Gone, WorkflowUnsuppress, true},
		{"a failed suppression, not visible, still suppressed: suppressed again", suppressFailed, []rules.Result{suppressed(unseen(k1, alice), "break-glass user")}, StillFailing, WorkflowSuppress, true},
		{"a failed suppression, not visible, the suppression since removed: unsuppressed", suppressFailed, []rules.Result{unseen(k1, alice)}, StillFailing, WorkflowUnsuppress, true},
		{"a failed unsuppress, suppressed again for the same reason: suppressed", unsuppressFailed, []rules.Result{muted(134)}, StillFailing, WorkflowSuppress, true},
		{"a failed unsuppress, still not suppressed: unsuppressed again", unsuppressFailed, []rules.Result{plain(134)}, StillFailing, WorkflowUnsuppress, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes := Diff(tt.prev, tt.results, acct, day(3), 0)
			if len(changes) != 1 || changes[0].Kind != tt.kind || changes[0].Workflow != tt.workflow {
				t.Fatalf("next run: %+v; want %v with workflow %v", summarize(changes), tt.kind, tt.workflow)
			}
			state := next(tt.prev, changes, day(3))
			if got := state[keyAlice].WorkflowUnknown; got == tt.settled {
				t.Errorf("after the run's updates succeeded: workflow unknown %v, want %v", got, !tt.settled)
			}
			if !tt.settled || changes[0].Record.Archived {
				return
			}
			after := Diff(state, tt.results, acct, day(4), 0)
			if len(after) != 1 || after[0].Workflow != WorkflowKeep {
				t.Errorf("the run after: %+v; want no workflow update", summarize(after))
			}
		})
	}

	t.Run("a run whose update is not sent, or fails again, keeps the mark", func(t *testing.T) {
		changes := Diff(suppressFailed, []rules.Result{plain(134)}, acct, day(3), 0)
		for name, pub := range map[string]Publication{
			"Security Hub off":   {At: day(3), Off: true},
			"the import refused": {At: day(3), FailedImports: map[string]bool{keyAlice: true}},
			"the update refused": failedWorkflow(day(3)),
		} {
			if r := NextAfter(suppressFailed, changes, pub)[keyAlice]; !r.WorkflowUnknown || r.Suppressed {
				t.Errorf("%s: %+v; want the workflow still unknown, unsuppressed as last known", name, r)
			}
		}
	})
	t.Run("a run whose digest was not sent keeps the mark its update left", func(t *testing.T) {
		changes := Diff(open, []rules.Result{muted(132)}, acct, day(1), 0)
		if r := NextUnnotified(open, changes, failedWorkflow(day(1)))[keyAlice]; !r.WorkflowUnknown || r.Suppressed {
			t.Errorf("%+v; want the workflow unknown, unsuppressed as last known", r)
		}
	})
	t.Run("a finding moved to another region has its workflow unknown there", func(t *testing.T) {
		r := suppressFailed[keyAlice]
		r.Region = "eu-west-1"
		held, moved := InRegion(map[string]Record{keyAlice: r}, "us-east-1")
		if moved != 1 || !held[keyAlice].WorkflowUnknown || held[keyAlice].Suppressed {
			t.Errorf("moved %d, record %+v; want it moved, unsuppressed, its workflow unknown (the region may hold it from before)", moved, held[keyAlice])
		}
	})
}

// An open finding a suppression muted, unmuted by a run, is Unmuted once:
// however that run's unsuppress fared (applied, refused, not sent because
// the import failed or Security Hub is off), the next run, which sends the
// unsuppress again if it was not applied, does not report it again. One
// unmuted by a run whose digest was not sent is new on the next run.
func TestUnmutedOnce(t *testing.T) {
	k1 := &rules.Key01
	plain := func(age int) rules.Result { return fail(k1, alice, "access key 1 is "+strconv.Itoa(age)+" days old") }
	open := next(nil, Diff(nil, []rules.Result{plain(131)}, acct, day(0), 0), day(0))
	muted := next(open, Diff(open, []rules.Result{suppressed(plain(132), "break-glass user")}, acct, day(1), 0), day(1))
	if c := Diff(open, []rules.Result{suppressed(plain(132), "break-glass user")}, acct, day(1), 0); c[0].Unmuted() {
		t.Fatalf("muting: %+v, want it not Unmuted", summarize(c))
	}
	// Day 31: the suppression is gone, and the finding is due for refresh,
	// so that a failed import holds its unsuppress back.
	unmute := Diff(muted, []rules.Result{plain(162)}, acct, day(31), 0)
	if len(unmute) != 1 || unmute[0].Kind != StillFailing || unmute[0].Workflow != WorkflowUnsuppress || !unmute[0].Unmuted() {
		t.Fatalf("unmuting: %+v, want still failing, unsuppressed and Unmuted", summarize(unmute))
	}
	for name, pub := range map[string]Publication{
		"applied":            {At: day(31)},
		"refused":            {At: day(31), FailedWorkflow: map[string]bool{keyAlice: true}},
		"its import refused": {At: day(31), FailedImports: map[string]bool{keyAlice: true}},
		"Security Hub off":   {At: day(31), Off: true},
	} {
		state := NextAfter(muted, unmute, pub)
		again := Diff(state, []rules.Result{plain(163)}, acct, day(32), 0)
		applied := name == "applied"
		if len(again) != 1 || again[0].Unmuted() || again[0].Kind != StillFailing || (again[0].Workflow == WorkflowUnsuppress) == applied {
			t.Errorf("unsuppress %s, the next run: %+v; want still failing, not Unmuted, the unsuppress sent again only if not applied", name, summarize(again))
		}
	}
	state := NextUnnotified(muted, unmute, Publication{At: day(31)})
	if again := Diff(state, []rules.Result{plain(163)}, acct, day(32), 0); len(again) != 1 || again[0].Kind != New {
		t.Errorf("after an unsent digest, the next run: %+v; want the finding new", summarize(again))
	}
}

// A finding whose result was suppressed when it last failed is Unmuted
// when its suppression ends, whatever became of its workflow status in
// Security Hub: the digest never reported the muted failure, whether or not
// Security Hub holds it SUPPRESSED. The run after is quiet.
func TestUnmutedWhateverSecurityHubHolds(t *testing.T) {
	k1 := &rules.Key01
	// on is alice's KEY-01 failure as the run on day d sees it.
	on := func(d int) rules.Result { return fail(k1, alice, "access key 1 is "+strconv.Itoa(131+d)+" days old") }
	muted := func(d int, why string) rules.Result { return suppressed(on(d), why) }
	tests := []struct {
		name string
		prev func() map[string]Record // the state the day-3 run, which finds the suppression gone, reads
		pub  Publication              // what became of that run's updates
	}{
		{"muted since it first failed, Security Hub off", func() map[string]Record {
			return NextAfter(nil, Diff(nil, []rules.Result{muted(2, "break-glass")}, acct, day(2), 0), Publication{At: day(2), Off: true})
		}, Publication{At: day(3), Off: true}},
		{"its suppression's new reason refused by Security Hub", func() map[string]Record {
			s := next(nil, Diff(nil, []rules.Result{on(0)}, acct, day(0), 0), day(0))
			s = next(s, Diff(s, []rules.Result{muted(1, "break-glass")}, acct, day(1), 0), day(1))
			resuppress := Diff(s, []rules.Result{muted(2, "break-glass, ticket 42")}, acct, day(2), 0)
			return NextAfter(s, resuppress, Publication{At: day(2), FailedWorkflow: map[string]bool{keyAlice: true}})
		}, Publication{At: day(3)}},
		{"the home region moved in the run that unmutes it", func() map[string]Record {
			s := NextAfter(nil, Diff(nil, []rules.Result{muted(2, "break-glass")}, acct, day(2), 0), Publication{At: day(2), Region: "eu-west-1"})
			held, _ := InRegion(s, "us-east-1")
			return held
		}, Publication{At: day(3), Region: "us-east-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := tt.prev()
			unmute := Diff(prev, []rules.Result{on(3)}, acct, day(3), 0)
			if len(unmute) != 1 || unmute[0].Kind != StillFailing || !unmute[0].Unmuted() {
				t.Fatalf("suppression ended: %+v, want still failing and Unmuted", summarize(unmute))
			}
			state := NextAfter(prev, unmute, tt.pub)
			if again := Diff(state, []rules.Result{on(4)}, acct, day(4), 0); len(again) != 1 || again[0].Unmuted() {
				t.Errorf("the run after: %+v, want it not Unmuted again", summarize(again))
			}
		})
	}
}

func TestAfterConflict(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	rec := func(id string, archived bool, updated time.Time) Record {
		return Record{ID: id, RuleID: "USER-01", Status: rules.Failed, Reason: "r", Severity: "MEDIUM", Archived: archived,
			LastImportedAt: updated, Region: "eu-west-1", UpdatedAt: updated}
	}
	theirs := map[string]Record{
		"alike":    rec("alike", false, t0),
		"differs":  rec("differs", false, t0),
		"unsent":   rec("unsent", false, t0),
		"reopened": rec("reopened", true, t0),
	}
	ours := map[string]Record{
		"alike":    rec("alike", false, t0.Add(time.Second)),
		"differs":  rec("differs", true, t0.Add(time.Second)),
		"onlyours": rec("onlyours", false, t0),
		"reopened": rec("reopened", false, t0.Add(time.Hour)),
	}
	got := AfterConflict(theirs, ours, []string{"alike", "differs", "onlyours", "notheld", "reopened"}, nil, false)
	due := func(r Record) bool { return r.LastImportedAt.IsZero() && r.Region == "" && r.WorkflowUnknown }
	if r := got["alike"]; due(r) || !r.UpdatedAt.Equal(t0.Add(time.Second)) || r.Archived {
		t.Errorf("sent alike: %+v, want theirs with the later UpdatedAt", r)
	}
	if r := got["differs"]; !due(r) || r.Archived || !r.UpdatedAt.Equal(t0.Add(time.Second)) {
		t.Errorf("sent otherwise: %+v, want theirs (open) due again after the later UpdatedAt", r)
	}
	if r := got["onlyours"]; !due(r) || r.ID != "onlyours" {
		t.Errorf("only ours: %+v, want ours due again", r)
	}
	if r := got["unsent"]; r != theirs["unsent"] {
		t.Errorf("not sent by this run: %+v, want theirs as it was", r)
	}
	// Their tombstone, which this run reopened: an unsent archive, sent with
	// its own UpdatedAt, which must be later than this run's open import.
	if r := got["reopened"]; !due(r) || !r.Archived || !r.UpdatedAt.After(t0.Add(time.Hour)) {
		t.Errorf("reopened by this run: %+v, want their archive due again after %v", r, t0.Add(time.Hour))
	}
	if _, ok := got["notheld"]; ok || len(got) != 5 {
		t.Errorf("got %d records (notheld present: %v), want 5", len(got), ok)
	}
	if theirs["differs"].LastImportedAt.IsZero() {
		t.Error("AfterConflict modified theirs")
	}

	// This run saw the newer report: what it sent otherwise is its record,
	// as its digest reported it, due again.
	got = AfterConflict(theirs, ours, []string{"alike", "differs", "reopened"}, map[string]bool{"differs": true, "reopened": true}, true)
	if r := got["differs"]; !due(r) || !r.Archived || !r.UpdatedAt.After(t0.Add(time.Second)) {
		t.Errorf("sent otherwise, ours newer: %+v, want our archive due again after %v", r, t0.Add(time.Second))
	}
	if r := got["reopened"]; !due(r) || r.Archived || !r.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("reopened, ours newer: %+v, want our open record due again", r)
	}
	if r := got["alike"]; due(r) {
		t.Errorf("sent alike, ours newer: %+v, want theirs", r)
	}
	if r := got["reopened"]; r.Unnotified {
		t.Errorf("reopened, ours newer, and reported so by our digest: %+v, want it not Unnotified", r)
	}
}

// A run with Security Hub off sends nothing, so it reconciles the findings
// it would have: those its digest reported, those the two runs muted
// otherwise, and those only it holds, seen on the newer report. A record
// both runs opened keeps the earlier one's FirstObservedAt (the CreatedAt
// Security Hub holds).
func TestAfterConflictUnsent(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	rec := func(archived bool, first time.Time) Record {
		return Record{ID: "f", RuleID: "USER-02", Status: rules.Failed, Reason: "r", Severity: "MEDIUM", Archived: archived,
			FirstObservedAt: first, LastImportedAt: t0, Region: "eu-west-1", UpdatedAt: t0}
	}
	open, closed := rec(false, t0), rec(true, t0)
	muted := open
	muted.Muted = true
	later := rec(false, t0.Add(time.Hour))
	later.Reason = "r, an hour later"
	due := func(r Record) bool { return r.LastImportedAt.IsZero() && r.WorkflowUnknown }
	tests := []struct {
		name          string
		theirs        map[string]Record
		ours          Record
		told          bool
		oursNewer     bool
		want          Record
		wantDue, kept bool
	}{
		{"told resolved, theirs open", map[string]Record{"f": open}, closed, true, true, closed, true, true},
		{"told new, theirs closed", map[string]Record{"f": closed}, open, true, true, open, true, true},
		{"muted here, not there", map[string]Record{"f": open}, muted, false, true, muted, true, true},
		// An unmuting this run told of, on the older report: theirs is
		// kept, but not Muted, or the next run tells it again.
		{"told unmuted, theirs muted and newer", map[string]Record{"f": muted}, open, true, false, open, true, true},
		{"only ours, newer", nil, muted, false, true, muted, true, true},
		{"only ours, older", nil, muted, false, false, Record{}, false, false},
		{"quiet and alike", map[string]Record{"f": open}, open, false, true, open, false, true},
		{"both opened it, ours later", map[string]Record{"f": open}, later, true, true, open, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := AfterConflict(tt.theirs, map[string]Record{"f": tt.ours}, nil, map[string]bool{"f": tt.told}, tt.oursNewer)["f"]
			if ok != tt.kept {
				t.Fatalf("kept %v (%+v), want %v", ok, got, tt.kept)
			}
			if !ok {
				return
			}
			if got.Archived != tt.want.Archived || got.Muted != tt.want.Muted || due(got) != tt.wantDue || !got.FirstObservedAt.Equal(tt.want.FirstObservedAt) {
				t.Errorf("kept %+v, want archived %v, muted %v, first observed %v, due again %v", got, tt.want.Archived, tt.want.Muted, tt.want.FirstObservedAt, tt.wantDue)
			}
		})
	}
}

// Of two overlapping runs' digests, one may have reported a finding closed
// (resolved or gone) or reopened while the other said nothing of it: the
// user was last told what the first said. The next run must report the
// finding from there, whichever run's record is kept.
func TestAfterConflictKeepsWhatTheUserWasLastTold(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	rec := func(archived bool, updated time.Time) Record {
		return Record{ID: "f", RuleID: "USER-02", Status: rules.Failed, Reason: "r", Severity: "MEDIUM", Archived: archived,
			LastImportedAt: updated, Region: "eu-west-1", UpdatedAt: updated}
	}
	open, closed := rec(false, t0.Add(time.Hour)), rec(true, t0)
	muted, unnotified := open, open
	muted.Muted, muted.Suppressed = true, true
	unnotified.Unnotified = true
	otherUnnotified := unnotified
	otherUnnotified.Reason = "r, otherwise"
	tests := []struct {
		name                       string
		theirs, ours               Record
		told                       bool // this run's digest reported its change
		oursNewer                  bool
		wantArchived, wantUnnotify bool
	}{
		// They archived it (their digest: resolved or gone); this run, on
		// the newer report, found it still failing: no news in its digest.
		{"ours open, quiet; theirs closed", closed, open, false, true, false, true},
		// This run reported it failing (new, changed or unmuted): told.
		{"ours open, reported; theirs closed", closed, open, true, true, false, false},
		// They, on the newer report, hold it open; this run, on the older
		// one, archived it and reported so.
		{"theirs open; ours closed, reported", open, closed, true, false, false, true},
		// This run's archive was no news (an archive sent late).
		{"theirs open; ours closed, quiet", open, closed, false, false, false, false},
		// They reopened it (their digest: new); this run, on the newer
		// report, holds the old archive (no news): the user was last told
		// it fails, so their open record is kept for the next run to close.
		{"ours closed, quiet; theirs open", open, closed, false, true, false, false},
		// ... unless their reopening was muted, or their digest not sent.
		{"ours closed, quiet; theirs open, muted", muted, closed, false, true, true, false},
		{"ours closed, quiet; theirs open, unnotified", unnotified, closed, false, true, true, false},
		// This run reported its archive (resolved or gone).
		{"ours closed, reported; theirs open", open, closed, true, true, true, false},
		// They, on the newer report, hold the archive; this run reopened
		// it and reported so.
		{"theirs closed; ours open, reported", closed, open, true, false, false, false},
		{"theirs closed; ours open, quiet", closed, open, false, false, true, false},
		// Both open: nobody was told it is closed.
		{"both open", rec(false, t0), open, false, true, false, false},
		// Their digest was not sent; this run's reported the finding
		// failing: the user was told, whichever record is kept.
		{"both open alike, theirs unnotified; ours reported", unnotified, open, true, true, false, false},
		{"both open otherwise, theirs unnotified and newer; ours reported", otherUnnotified, open, true, false, false, false},
		{"both open otherwise, theirs unnotified; ours newer, reported", otherUnnotified, open, true, true, false, false},
		{"both open alike, theirs unnotified; ours quiet", unnotified, open, false, true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			told := map[string]bool{"f": tt.told}
			got := AfterConflict(map[string]Record{"f": tt.theirs}, map[string]Record{"f": tt.ours}, []string{"f"}, told, tt.oursNewer)["f"]
			if got.Archived != tt.wantArchived || got.Unnotified != tt.wantUnnotify {
				t.Errorf("kept %+v, want archived %v, Unnotified %v", got, tt.wantArchived, tt.wantUnnotify)
			}
		})
	}
}

// After overlapping runs, a record kept open that the run on the newer
// report saw closed (it passes there, or has no result: gone), which that
// run's digest did not report (its state had it closed already), is marked
// Unreported as that run saw it: a next run that cannot see the finding
// reports it resolved, or gone, as a run whose digest was not sent would,
// and one that sees it decides afresh.
func TestSeenClosed(t *testing.T) {
	k1 := &rules.Key01
	carol := userRow("carol")
	keyCarol := ID(acct, k1.ID, carol.ARN)
	dave := userRow("dave")
	keyDave := ID(acct, k1.ID, dave.ARN)
	eve := userRow("eve")
	keyEve := ID(acct, k1.ID, eve.ARN)
	open := next(nil, Diff(nil, []rules.Result{fail(k1, alice, old131), fail(k1, bob, old131), fail(k1, carol, old131), fail(k1, dave, old131), fail(k1, eve, old131)}, acct, day(0), 0), day(0))
	eveRec := open[keyEve]
	eveRec.Archived = true
	open[keyEve] = eveRec
	carolRec := open[keyCarol] // the other run resolved carol, and its digest was not sent
	carolRec.Unreported, carolRec.UnreportedReason, carolRec.UnreportedAt = Resolved.String(), passKey, day(1).Add(-time.Hour)
	open[keyCarol] = carolRec
	records := maps.Clone(open)
	// Alice passes, bob has no result (deleted), carol still fails, dave
	// cannot be seen, eve's finding is archived and has no result either.
	SeenClosed(records, []rules.Result{pass(k1, alice, passKey), fail(k1, carol, old131), unseen(k1, dave)}, acct, day(1))
	if r := records[keyAlice]; r.Unreported != Resolved.String() || r.UnreportedReason != passKey || !r.UnreportedAt.Equal(day(1)) || r.Archived {
		t.Errorf("alice, passing: %+v; want open, Unreported resolved with her reason, as of day 1", r)
	}
	if r := records[keyBob]; r.Unreported != Gone.String() || !r.UnreportedAt.Equal(day(1)) || r.Archived {
		t.Errorf("bob, no result: %+v; want open, Unreported gone, as of day 1", r)
	}
	if r := records[keyCarol]; r.Unreported != "" || r.UnreportedReason != "" || !r.UnreportedAt.IsZero() {
		t.Errorf("carol, failing: %+v; want her unreported resolution, seen on the older report, cleared", r)
	}
	for _, id := range []string{keyDave, keyEve} {
		if r := records[id]; r != open[id] {
			t.Errorf("%s: %+v; want it as it was, %+v", id, r, open[id])
		}
	}
	// The next run cannot see alice or bob: it reports them as that run saw
	// them, and archives them.
	got := Diff(records, []rules.Result{unseen(k1, alice), unseen(k1, bob), unseen(k1, carol), unseen(k1, dave)}, acct, day(2), 0)
	kinds := map[string]Kind{}
	for _, c := range got {
		kinds[c.ID()] = c.Kind
		if (c.ID() == keyAlice || c.ID() == keyBob) && (!c.Record.Archived || !c.Unavailable) {
			t.Errorf("%s: %+v; want archived, reported as not visible", c.ID(), c.Record)
		}
	}
	if kinds[keyAlice] != Resolved || kinds[keyBob] != Gone {
		t.Errorf("next run, unseen: %+v; want alice resolved and bob gone", summarize(got))
	}
}

// Security Hub deletes a finding 90 days after its last update. A muted
// finding not imported for that long (no run could publish: Security Hub
// off, runs that could not see, the schedule disabled) is created afresh
// by its next import, NEW: that run must send its suppression again, or
// Security Hub shows the accepted risk as new. Short of that, the refresh
// finds the finding there, SUPPRESSED, and sends no workflow update.
func TestMutedFindingDeletedBySecurityHubIsSuppressedAgain(t *testing.T) {
	k1 := &rules.Key01
	muted := suppressed(fail(k1, alice, old131), "accepted")
	prev := next(nil, Diff(nil, []rules.Result{muted}, acct, day(0), 0), day(0))
	for _, tt := range []struct {
		day  int
		want Workflow
	}{
		{60, WorkflowKeep},
		{88, WorkflowKeep},
		{89, WorkflowSuppress}, // the import comes after the report: a day's margin
		{95, WorkflowSuppress},
	} {
		for _, res := range []rules.Result{muted, suppressed(unseen(k1, alice), "accepted")} {
			got := Diff(prev, []rules.Result{res}, acct, day(tt.day), 0)
			if len(got) != 1 || !got[0].Import() || got[0].Workflow != tt.want {
				t.Errorf("day %d, %s: %+v (workflow %v); want it imported, workflow %v", tt.day, res.Status, summarize(got), got[0].Workflow, tt.want)
			}
		}
	}
	// A refresh on day 50 that Security Hub refused: its last update there
	// is day 0's, whatever UpdatedAt the record now holds, and the next
	// import may come after the deletion. Not knowing when Security Hub last
	// took the finding, the run sends its suppression with the import.
	refresh := Diff(prev, []rules.Result{muted}, acct, day(50), 0)
	refused := NextAfter(prev, refresh, Publication{At: day(50), FailedImports: map[string]bool{keyAlice: true}})
	if got := Diff(refused, []rules.Result{muted}, acct, day(95), 0); len(got) != 1 || !got[0].Import() || got[0].Workflow != WorkflowSuppress {
		t.Errorf("after a refused import: %+v; want it imported, its suppression sent", summarize(got))
	}
}

// A resolution (or a removal) that a run sent to Security Hub but could not
// report, since its digest was not sent, is reported by the next run that
// cannot see the finding, as that run saw it, and Security Hub keeps the
// archive: the record, rolled back open so the change is reported again,
// must not re-open a finding the last sight found fixed (or gone).
func TestUnreportedCloseNotSeenNext(t *testing.T) {
	k1 := &rules.Key01
	prev := next(nil, Diff(nil, []rules.Result{fail(k1, alice, old131), fail(k1, bob, old131)}, acct, day(0), 0), day(0))
	// Day 1, digest not sent: alice resolved, bob gone (deleted).
	closing := Diff(prev, []rules.Result{pass(k1, alice, passKey)}, acct, day(1), 0)
	if len(closing) != 2 || closing[0].Kind != Resolved || closing[1].Kind != Gone {
		t.Fatalf("setup: %+v; want alice resolved, bob gone", summarize(closing))
	}
	state := NextUnnotified(prev, closing, Publication{At: day(1)})
	archiveAt := map[string]time.Time{keyAlice: closing[0].Record.UpdatedAt, keyBob: closing[1].Record.UpdatedAt}

	// Day 2: neither can be seen (alice's cells hold sentinels; bob was
	// recreated, and his new row cannot be decided either).
	cs := Diff(state, []rules.Result{unseen(k1, alice), unseen(k1, bob)}, acct, day(2), 0)
	want := map[string]struct {
		kind     Kind
		status   rules.Status
		reason   string
		observed time.Time // resolved: when seen passing; gone: when last seen failing
	}{keyAlice: {Resolved, rules.Passed, passKey, day(1)}, keyBob: {Gone, rules.Failed, old131, day(0)}}
	if len(cs) != 2 {
		t.Fatalf("day 2: %+v; want alice's resolution and bob's removal reported", summarize(cs))
	}
	for _, c := range cs {
		w := want[c.ID()]
		if c.Kind != w.kind || !c.Unavailable || !c.Import() || !c.Record.Archived || c.Record.Status != w.status || c.Record.Reason != w.reason ||
			!c.Record.LastObservedAt.Equal(w.observed) || !c.Record.UpdatedAt.After(archiveAt[c.ID()]) || !c.Record.FirstObservedAt.Equal(day(0)) {
			t.Errorf("%s: %+v; want it %v as day 1 saw it (%s %q), archived again later than that archive", c.ID(), summarize([]Change{c}), w.kind, w.status, w.reason)
		}
	}
	after := next(state, cs, day(2))
	for id, r := range after {
		if !r.Archived || r.Unreported != "" {
			t.Errorf("%s saved %+v; want a tombstone with nothing left to report", id, r)
		}
	}
	if again := Diff(after, []rules.Result{unseen(k1, alice), unseen(k1, bob)}, acct, day(3), 0); len(again) != 0 {
		t.Errorf("the run after: %+v; want nothing", summarize(again))
	}
	// Failing again on day 2 instead, they were never reported closed: the
	// open record stands (still failing), imported over the archive, and
	// nothing is left to report.
	relapse := Diff(state, []rules.Result{fail(k1, alice, "access key 1 is 133 days old"), fail(k1, bob, "access key 1 is 133 days old")}, acct, day(2), 0)
	if len(relapse) != 2 {
		t.Errorf("failing again: %+v; want alice's and bob's findings", summarize(relapse))
	}
	for _, c := range relapse {
		if c.Kind != StillFailing || !c.Import() || c.Record.Archived || c.Record.Unreported != "" {
			t.Errorf("failing again: %+v, record %+v; want still failing, re-imported, nothing left to report", summarize([]Change{c}), c.Record)
		}
	}
	// Seen passing, or gone, on day 2: reported as usual.
	fixed := Diff(state, []rules.Result{pass(k1, alice, passKey)}, acct, day(2), 0)
	if len(fixed) != 2 || fixed[0].Kind != Resolved || fixed[0].Unavailable || fixed[1].Kind != Gone || fixed[0].Record.Unreported != "" || fixed[1].Record.Unreported != "" {
		t.Errorf("seen on day 2: %+v; want alice resolved and bob gone, as usual", summarize(fixed))
	}
	// Not sent again on day 2 either: still owed, still as day 1 saw it.
	owed := NextUnnotified(state, cs, Publication{At: day(2)})
	if r := owed[keyAlice]; r.Archived || r.Unreported != "resolved" || r.UnreportedReason != passKey || !r.UnreportedAt.Equal(day(1)) {
		t.Errorf("alice after a second unsent digest: %+v; want the resolution still owed", r)
	}
}

// A run in a new home region whose digest was not sent saves each finding
// it imported there with the workflow status it sent there and that
// region: moved again, back to a region that holds the finding as it was,
// the finding is moved again, and its status sent there too.
func TestUnnotifiedRunInANewRegionThenMovedBack(t *testing.T) {
	k1 := &rules.Key01
	plain, muted := fail(k1, alice, old131), suppressed(fail(k1, alice, old131), "break-glass")
	west := NextAfter(nil, Diff(nil, []rules.Result{plain}, acct, day(0), 0), Publication{At: day(0), Region: "eu-west-1"})
	// Day 1: home region eu-central-1, the finding newly suppressed, sent
	// there; the digest not sent.
	held, _ := InRegion(west, "eu-central-1")
	cs := Diff(held, []rules.Result{muted}, acct, day(1), 0)
	if len(cs) != 1 || cs[0].Workflow != WorkflowSuppress || !cs[0].Import() {
		t.Fatalf("setup: %+v; want the finding imported and suppressed in eu-central-1", summarize(cs))
	}
	saved := NextUnnotified(held, cs, Publication{At: day(1), Region: "eu-central-1"})
	if r := saved[keyAlice]; r.Region != "eu-central-1" || !r.Suppressed {
		t.Errorf("saved %+v; want it in eu-central-1, where it was sent suppressed", r)
	}
	// Day 2: back to eu-west-1, which holds it NEW from day 0.
	back, moved := InRegion(saved, "eu-west-1")
	cs = Diff(back, []rules.Result{muted}, acct, day(2), 0)
	if moved != 1 || len(cs) != 1 || cs[0].Workflow != WorkflowSuppress || !cs[0].Import() {
		t.Errorf("back in eu-west-1: moved %d, %+v; want the finding imported there and its suppression sent", moved, summarize(cs))
	}
}

// CreatedAt is the ASFF CreatedAt of the finding Security Hub holds: the
// UpdatedAt of the import that created it there, as Security Hub requires
// the two equal on creation, kept from then on; FirstObservedAt is the
// failure's first observation whatever became of the imports.
func TestCreatedAt(t *testing.T) {
	k1 := &rules.Key01
	failing := []rules.Result{fail(k1, alice, old131)}
	id := Diff(nil, failing, acct, day(0), 0)[0].ID()

	t.Run("an import refused creates nothing; the next one taken creates the finding", func(t *testing.T) {
		first := Diff(nil, failing, acct, day(0), 0)
		state := NextAfter(nil, first, Publication{At: day(0), FailedImports: map[string]bool{id: true}})
		if r := state[id]; !r.CreatedAt.IsZero() || !r.TakenUpdatedAt.IsZero() {
			t.Fatalf("after a refused import: created %v, taken %v; want neither known", r.CreatedAt, r.TakenUpdatedAt)
		}
		again := Diff(state, failing, acct, day(1), 0)
		if len(again) != 1 || !again[0].Import() || !again[0].Record.CreatedAt.IsZero() {
			t.Fatalf("the next run: %+v, want an import that creates the finding", summarize(again))
		}
		state = next(state, again, day(1))
		if r := state[id]; !r.CreatedAt.Equal(again[0].Record.UpdatedAt) || !r.TakenUpdatedAt.Equal(r.CreatedAt) || !r.FirstObservedAt.Equal(day(0)) {
			t.Errorf("after it was taken: created %v, taken %v, first observed %v; want created and taken %v, first observed %v",
				r.CreatedAt, r.TakenUpdatedAt, r.FirstObservedAt, again[0].Record.UpdatedAt, day(0))
		}
		later := Diff(state, failing, acct, day(31), 0)
		if len(later) != 1 || !later[0].Import() || !later[0].Record.CreatedAt.Equal(day(1)) {
			t.Errorf("a later import: %+v created %v, want it sent with CreatedAt %v", summarize(later), later[0].Record.CreatedAt, day(1))
		}
	})
	t.Run("a record saved before CreatedAt was kept was created with FirstObservedAt", func(t *testing.T) {
		state := next(nil, Diff(nil, failing, acct, day(0), 0), day(0))
		legacy := state[id]
		legacy.CreatedAt, legacy.TakenUpdatedAt = time.Time{}, time.Time{}
		state[id] = legacy
		later := Diff(state, failing, acct, day(31), 0)
		if r := later[0].Record; !r.CreatedAt.Equal(day(0)) || !r.TakenUpdatedAt.Equal(day(0)) {
			t.Errorf("legacy record's next import: created %v, taken %v; want both %v", r.CreatedAt, r.TakenUpdatedAt, day(0))
		}
	})
	t.Run("Retention after the last import taken, Security Hub holds none", func(t *testing.T) {
		state := next(nil, Diff(nil, failing, acct, day(0), 0), day(0))
		for _, d := range []int{89, 90} {
			c := Diff(state, failing, acct, day(d), 0)
			held := d < 90
			if got := !c[0].Record.CreatedAt.IsZero(); got != held {
				t.Errorf("day %d: CreatedAt %v; want it known %v", d, c[0].Record.CreatedAt, held)
			}
		}
	})
	t.Run("an archive Retention after the last import taken creates the finding again", func(t *testing.T) {
		state := next(nil, Diff(nil, failing, acct, day(0), 0), day(0))
		gone := Diff(state, nil, acct, day(96), 0)
		if len(gone) != 1 || gone[0].Kind != Gone || !gone[0].Record.CreatedAt.IsZero() {
			t.Errorf("the user gone on day 96: %+v created %v; want gone, and CreatedAt not known", summarize(gone), gone[0].Record.CreatedAt)
		}
	})
	// Security Hub deletes an archived finding 30 days after its last
	// update: a failure that recurs by then reopens it, as created; one
	// that recurs later creates it afresh (an update with the old CreatedAt
	// would be a creation whose CreatedAt is not its UpdatedAt, refused),
	// first observed as the tombstone says.
	t.Run("a failure recurring 30 days after its archive was taken creates the finding again", func(t *testing.T) {
		state := next(nil, Diff(nil, failing, acct, day(0), 0), day(0))
		state = next(state, Diff(state, []rules.Result{pass(k1, alice, "no active access key")}, acct, day(1), 0), day(1))
		if r := state[id]; !r.Archived || r.LastImportedAt.IsZero() {
			t.Fatalf("day 1: %+v, want an archive taken", r)
		}
		for _, tt := range []struct {
			day     int
			created time.Time
			first   time.Time
		}{{30, day(0), day(0)}, {31, time.Time{}, day(0)}} {
			c := Diff(state, failing, acct, day(tt.day), 0)
			if len(c) != 1 || c[0].Kind != New || !c[0].Record.CreatedAt.Equal(tt.created) || !c[0].Record.FirstObservedAt.Equal(tt.first) {
				t.Errorf("failing again on day %d: %+v created %v, first observed %v; want new, created %v, first observed %v",
					tt.day, summarize(c), c[0].Record.CreatedAt, c[0].Record.FirstObservedAt, tt.created, tt.first)
			}
		}
	})
	// An archive whose call failed may have landed, and Security Hub
	// deletes it sooner than the open finding before it: which CreatedAt
	// it holds by the time the archive is sent again is not known. One
	// refused by name did not land: the open finding's stands.
	t.Run("an archive whose call failed leaves CreatedAt unknown; one refused does not", func(t *testing.T) {
		state := next(nil, Diff(nil, failing, acct, day(0), 0), day(0))
		resolved := Diff(state, []rules.Result{pass(k1, alice, "no active access key")}, acct, day(1), 0)
		for _, tt := range []struct {
			name      string
			unsettled bool
			created   time.Time
		}{{"call failed", true, time.Time{}}, {"refused", false, day(0)}} {
			pub := Publication{At: day(1), FailedImports: map[string]bool{id: true}, Unsettled: map[string]bool{id: tt.unsettled}}
			r := NextAfter(state, resolved, pub)[id]
			if !r.unsent() || !r.CreatedAt.Equal(tt.created) {
				t.Errorf("%s: %+v, want an unsent archive created %v", tt.name, r, tt.created)
			}
		}
	})
	t.Run("after overlapping runs sent it otherwise, which import Security Hub holds is not known", func(t *testing.T) {
		ours := next(nil, Diff(nil, failing, acct, day(0), 0), day(0))
		theirs := next(nil, Diff(nil, []rules.Result{fail(k1, alice, "access key 1 is 132 days old")}, acct, day(1), 0), day(1))
		got := AfterConflict(theirs, ours, []string{id}, nil, false)[id]
		if !got.CreatedAt.IsZero() || !got.TakenUpdatedAt.IsZero() {
			t.Errorf("reconciled: created %v, taken %v; want neither known", got.CreatedAt, got.TakenUpdatedAt)
		}
		// Sent alike by both, each creating it, an hour apart: Security
		// Hub holds the later import, whichever run made it.
		hourLater := maps.Clone(ours)
		r := hourLater[id]
		r.UpdatedAt, r.CreatedAt, r.TakenUpdatedAt, r.LastImportedAt = r.UpdatedAt.Add(time.Hour), r.CreatedAt.Add(time.Hour), r.TakenUpdatedAt.Add(time.Hour), r.LastImportedAt.Add(time.Hour)
		hourLater[id] = r
		for name, runs := range map[string][2]map[string]Record{"theirs later": {hourLater, ours}, "ours later": {ours, hourLater}} {
			alike := AfterConflict(runs[0], runs[1], []string{id}, nil, true)[id]
			if !alike.CreatedAt.Equal(r.CreatedAt) || !alike.TakenUpdatedAt.Equal(r.TakenUpdatedAt) {
				t.Errorf("sent alike, %s: created %v, taken %v; want the later import's, %v and %v", name, alike.CreatedAt, alike.TakenUpdatedAt, r.CreatedAt, r.TakenUpdatedAt)
			}
		}
	})
}

// A still-failing finding is refreshed before Security Hub deletes it,
// whatever the refresh interval allowed (1–89 days): each day's report is
// generated at 06:00 and imported two hours later, and no two UpdatedAt
// Security Hub takes are Retention apart.
func TestRefreshComesBeforeSecurityHubDeletes(t *testing.T) {
	for _, days := range []int{30, 88, 89} {
		refresh := time.Duration(days) * 24 * time.Hour
		var state map[string]Record
		var last time.Time
		for d := 0; d <= 200; d++ {
			results := []rules.Result{fail(&rules.Key01, alice, fmt.Sprintf("access key 1 is %d days old", 131+d))}
			changes := Diff(state, results, acct, day(d), refresh)
			for _, c := range changes {
				if !c.Import() {
					continue
				}
				if !last.IsZero() && c.Record.UpdatedAt.Sub(last) >= Retention {
					t.Fatalf("refresh after %d days: day %d imports UpdatedAt %v, %v after the last one taken, when Security Hub has deleted the finding",
						days, d, c.Record.UpdatedAt, c.Record.UpdatedAt.Sub(last))
				}
				last = c.Record.UpdatedAt
			}
			state = NextAfter(state, changes, Publication{At: day(d).Add(2 * time.Hour)})
		}
	}
}

// A user deleted and created again under the same name between two runs
// (the same ARN, so the same finding, but another user_creation_time)
// fails anew: news, as if a run between had seen the old one gone, with
// the old user's suppression lifted in Security Hub unless the new one's
// result is suppressed too. The same user still failing is not news, nor
// is a record kept before credaudit kept the user's creation time.
func TestDiffUserCreatedAgain(t *testing.T) {
	k1 := &rules.Key01
	aliceOf := func(created time.Time) *credreport.Entry {
		e := *alice
		e.UserCreationTime = credreport.TimeOf(created)
		return &e
	}
	oldAlice, newAlice := aliceOf(day(-400)), aliceOf(day(0))
	const aDayOn = "access key 1 is 132 days old" // old131 a day later: the same fact
	for _, tc := range []struct {
		name       string
		before     rules.Result
		forget     bool // the record kept no creation time
		after      rules.Result
		want       Kind
		wantFlow   Workflow
		wantImport bool
	}{
		{"the same user", fail(k1, oldAlice, old131), false, fail(k1, oldAlice, aDayOn), StillFailing, WorkflowKeep, false},
		// NEW: a status a person set on the old user's finding in the
		// console is not the new user's.
		{"created again", fail(k1, oldAlice, old131), false, fail(k1, newAlice, aDayOn), New, WorkflowUnsuppress, true},
		{"created again, the old one muted", suppressed(fail(k1, oldAlice, old131), "known"), false, fail(k1, newAlice, aDayOn), New, WorkflowUnsuppress, true},
		{"created again, both muted", suppressed(fail(k1, oldAlice, old131), "known"), false, suppressed(fail(k1, newAlice, aDayOn), "known"), New, WorkflowSuppress, true},
		{"created again, passing", fail(k1, oldAlice, old131), false, pass(k1, newAlice, passKey), Resolved, WorkflowKeep, true},
		{"a record kept before the creation time", fail(k1, oldAlice, old131), true, fail(k1, newAlice, aDayOn), StillFailing, WorkflowKeep, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := next(nil, Diff(nil, []rules.Result{tc.before}, acct, day(1), 0), day(1))
			if got := prev[keyAlice].UserCreatedAt; !got.Equal(day(-400)) {
				t.Fatalf("UserCreatedAt kept %v, want %v", got, day(-400))
			}
			if tc.forget {
				r := prev[keyAlice]
				r.UserCreatedAt = time.Time{}
				prev[keyAlice] = r
			}
			cs := Diff(prev, []rules.Result{tc.after}, acct, day(2), 0)
			if len(cs) != 1 {
				t.Fatalf("%d changes, want 1", len(cs))
			}
			c := cs[0]
			if c.Kind != tc.want || c.Workflow != tc.wantFlow || c.Import() != tc.wantImport {
				t.Errorf("%v, workflow %v, import %v; want %v, %v, %v", c.Kind, c.Workflow, c.Import(), tc.want, tc.wantFlow, tc.wantImport)
			}
			if c.Record.CreatedAt != prev[keyAlice].CreatedAt || !c.Record.FirstObservedAt.Equal(day(1)) {
				t.Errorf("CreatedAt %v, FirstObservedAt %v; want Security Hub's kept, %v and %v", c.Record.CreatedAt, c.Record.FirstObservedAt, prev[keyAlice].CreatedAt, day(1))
			}
		})
	}
	// The old user's finding was archived (resolved) before the new user
	// failed: Security Hub reopens it NEW from NOTIFIED or RESOLVED, but
	// keeps a SUPPRESSED a person set, which is lifted only for a new user.
	for _, tc := range []struct {
		name     string
		again    *credreport.Entry
		wantFlow Workflow
	}{{"the same user fails again", oldAlice, WorkflowKeep}, {"created again after", newAlice, WorkflowUnsuppress}} {
		prev := next(nil, Diff(nil, []rules.Result{fail(k1, oldAlice, old131)}, acct, day(1), 0), day(1))
		prev = next(prev, Diff(prev, []rules.Result{pass(k1, oldAlice, passKey)}, acct, day(2), 0), day(2))
		if !prev[keyAlice].Archived {
			t.Fatalf("%s: the resolved finding is not archived", tc.name)
		}
		cs := Diff(prev, []rules.Result{fail(k1, tc.again, aDayOn)}, acct, day(3), 0)
		if len(cs) != 1 {
			t.Fatalf("%s: %d changes, want 1", tc.name, len(cs))
		}
		if c := cs[0]; c.Kind != New || c.Workflow != tc.wantFlow || c.Recreated() != (tc.again == newAlice) {
			t.Errorf("%s: %v, workflow %v, recreated %v; want new, %v, %v", tc.name, c.Kind, c.Workflow, c.Recreated(), tc.wantFlow, tc.again == newAlice)
		}
	}
	// The account's findings keep no creation time: root is never created
	// again.
	cs := Diff(nil, []rules.Result{fail(&rules.Root01, rootRow, "root has access key 1 active")}, acct, day(1), 0)
	if got := cs[0].Record.UserCreatedAt; !got.IsZero() {
		t.Errorf("root's finding keeps a creation time %v", got)
	}
}
