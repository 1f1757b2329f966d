package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/state"
)

// memOwed is an owed list in memory, at a version each save counts up
// (state.NoObject, "", until the first). Before its next save, meanwhile
// (when set, and once) runs as another run would between this one's load
// and save.
type memOwed struct {
	list      []Message
	version   int
	meanwhile func()
	saves     int
}

func (m *memOwed) token() state.Token {
	if m.version == 0 {
		return state.NoObject
	}
	return state.Token(strconv.Itoa(m.version))
}

func (m *memOwed) LoadOwed(context.Context) ([]Message, state.Token, error) {
	return append([]Message(nil), m.list...), m.token(), nil
}

func (m *memOwed) SaveOwed(ctx context.Context, owed []Message, token state.Token) error {
	if err := ctx.Err(); err != nil {
		return err // as S3 would, its call cut off
	}
	m.saves++
	if f := m.meanwhile; f != nil {
		m.meanwhile = nil
		f()
	}
	if token != m.token() {
		return fmt.Errorf("save owed: %w", state.ErrConflict)
	}
	m.list, m.version = append([]Message(nil), owed...), m.version+1
	return nil
}

func owedDigest(name string) Message {
	return Message{Kind: KindDigest, Subject: name, Body: name + " body", Severity: "NONE"}
}

func subjects(msgs []Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Subject
	}
	return out
}

// A digest whose send the run's deadline cut off is kept owed: the list is
// saved in overtime, not with the expired context, which lost it.
func TestOrgDigestCutOffByTheDeadlineIsKept(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	owed := &memOwed{}
	send := func(ctx context.Context, m Message) error {
		<-ctx.Done() // SNS never answers before the deadline
		return ctx.Err()
	}
	d := owedDigest("this run")
	out := SendOrgDigest(ctx, owed, send, &d, time.Now())
	if !errors.Is(out.SendErr, context.DeadlineExceeded) || out.OwedErr != nil || !out.Saved || out.Lost != nil {
		t.Fatalf("send %v, owed %v, saved %v, lost %v; want the cut-off digest saved owed", out.SendErr, out.OwedErr, out.Saved, out.Lost)
	}
	if got := subjects(owed.list); len(got) != 1 || !strings.HasPrefix(got[0], "[late] this run") {
		t.Errorf("owed %q, want this run's digest, marked late", got)
	}
}

// Two organisation runs that overlap both keep what they owe: a run whose
// owed list another run saved after it was read merges the two, each
// digest once, oldest first, and drops none but the ones it sent.
func TestOwedDigestsOfOverlappingRunsAreAllKept(t *testing.T) {
	madeAt := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	refuse := func(context.Context, Message) error { return errors.New("sns refused") }
	accept := func(context.Context, Message) error { return nil }
	late := func(name string) string { return Late(owedDigest(name), madeAt).Subject }
	for _, tc := range []struct {
		name         string
		stored       []string
		ours, theirs func(context.Context, Message) error
		want         []string
	}{
		{"both refused: the earlier digest once, then theirs, then ours", []string{"earlier"}, refuse, refuse,
			[]string{"earlier", late("theirs"), late("ours")}},
		{"both refused, nothing owed before", nil, refuse, refuse,
			[]string{late("theirs"), late("ours")}},
		{"ours sent everything: theirs stays, and the earlier digest ours sent is not sent again", []string{"earlier"}, accept, refuse,
			[]string{late("theirs")}},
		{"theirs sent everything: ours stays, and the earlier one ours could not send", []string{"earlier"}, refuse, accept,
			[]string{"earlier", late("ours")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			store := &memOwed{}
			for _, s := range tc.stored {
				store.list = append(store.list, owedDigest(s))
			}
			var other OrgSending
			store.meanwhile = func() {
				d := owedDigest("theirs")
				other = SendOrgDigest(ctx, store, tc.theirs, &d, madeAt)
			}
			d := owedDigest("ours")
			out := SendOrgDigest(ctx, store, tc.ours, &d, madeAt)
			if other.OwedErr != nil || out.OwedErr != nil || out.Lost != nil {
				t.Fatalf("owed list errors: theirs %v, ours %v (lost %v)", other.OwedErr, out.OwedErr, out.Lost)
			}
			if diff := cmp.Diff(tc.want, subjects(store.list)); diff != "" {
				t.Errorf("owed list after both runs (-want +got):\n%s", diff)
			}
			if !out.Saved || out.Owed != len(tc.want) || out.Conflicts != 1 {
				t.Errorf("ours: %+v; want saved, %d owed, after 1 conflict", out, len(tc.want))
			}
		})
	}
}

// The merged list is bounded as any other: the oldest are dropped.
func TestOwedDigestsMergedAreBounded(t *testing.T) {
	ctx := context.Background()
	madeAt := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	refuse := func(context.Context, Message) error { return errors.New("sns refused") }
	store := &memOwed{}
	var want []string
	for i := range MaxOwedDigests {
		store.list = append(store.list, owedDigest(fmt.Sprint("earlier ", i)))
		want = append(want, store.list[i].Subject)
	}
	store.meanwhile = func() {
		d := owedDigest("theirs")
		SendOrgDigest(ctx, store, refuse, &d, madeAt)
	}
	d := owedDigest("ours")
	out := SendOrgDigest(ctx, store, refuse, &d, madeAt)
	want = append(want[2:], Late(owedDigest("theirs"), madeAt).Subject, Late(d, madeAt).Subject)
	if diff := cmp.Diff(want, subjects(store.list)); diff != "" {
		t.Errorf("owed list after both runs (-want +got):\n%s", diff)
	}
	if !out.Saved || out.Owed != MaxOwedDigests || out.Dropped != 2 || out.Conflicts != 1 {
		t.Errorf("ours: %+v; want saved, %d owed, 2 dropped, 1 conflict", out, MaxOwedDigests)
	}
}

// A run that finds the owed list written by another run each time it is
// to write it stops after conflictSaves more tries and says so: the list
// stays the other runs', and a digest of its own it could not send is
// Lost, which the caller reports.
func TestOwedDigestsThatKeepChangingFailLoudly(t *testing.T) {
	ctx := context.Background()
	madeAt := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	refuse := func(context.Context, Message) error { return errors.New("sns refused") }
	store := &memOwed{list: []Message{owedDigest("earlier")}, version: 1}
	var others []string
	var other func()
	other = func() {
		store.meanwhile = other // again before the next save
		store.list = append(store.list, owedDigest(fmt.Sprint("other ", len(others))))
		store.version++
		others = append(others, store.list[len(store.list)-1].Subject)
	}
	store.meanwhile = other
	d := owedDigest("ours")
	out := SendOrgDigest(ctx, store, refuse, &d, madeAt)
	if !errors.Is(out.OwedErr, state.ErrConflict) || !strings.Contains(out.OwedErr.Error(), "other runs wrote the organisation digests owed first, 4 times") {
		t.Errorf("OwedErr = %v, want the conflicts named", out.OwedErr)
	}
	if !errors.Is(out.Err(), state.ErrConflict) || out.Saved || out.Conflicts != conflictSaves || store.saves != 1+conflictSaves {
		t.Errorf("%+v after %d saves; want not saved, %d conflicts, %d saves", out, store.saves, conflictSaves, 1+conflictSaves)
	}
	if out.Lost == nil || out.Lost.Subject != Late(d, madeAt).Subject {
		t.Errorf("Lost = %v, want this run's digest, late", out.Lost)
	}
	if want := append([]string{"earlier"}, others...); !slices.Equal(subjects(store.list), want) {
		t.Errorf("owed list %q, want the other runs' %q", subjects(store.list), want)
	}
}
