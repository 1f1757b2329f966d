package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/state"
)

// deliveryStore keeps a state's Delivery beside the rig's directory store,
// as the S3 store keeps it in the object's metadata (state.Dir keeps none).
// after, when set, runs once after the first Load, as another run would.
type deliveryStore struct {
	state.Store
	delivery string
	after    func()
	// err, when set, fails every Load.
	err error
}

func (s *deliveryStore) Load(ctx context.Context, acct string) (*state.State, state.Token, error) {
	if s.err != nil {
		return nil, state.NoObject, s.err
	}
	st, tok, err := s.Store.Load(ctx, acct)
	if err == nil {
		st.Delivery = s.delivery
	}
	if after := s.after; after != nil {
		s.after = nil
		after()
	}
	return st, tok, err
}

func (s *deliveryStore) Save(ctx context.Context, acct string, st *state.State, tok state.Token) (state.Token, error) {
	tok, err := s.Store.Save(ctx, acct, st, tok)
	if err == nil {
		s.delivery = st.Delivery
	}
	return tok, err
}

// sent is what the rig's runs have sent so far: messages to the topic,
// findings to Security Hub, and the stored state's bytes.
type sent struct {
	messages, imports, updates int
	stored                     []byte
}

func (r *rig) sent(t *testing.T) sent {
	t.Helper()
	stored, err := os.ReadFile(filepath.Join(r.dir, sampleAccount+".json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	return sent{len(r.sns.sent), r.hub.imports, len(r.hub.workflow), stored}
}

// A second delivery of the schedule's event, after the first's run saved,
// does nothing: no digest (in either notify mode), no import, the state
// as it was. Another event's run, at the same moment, runs.
func TestASecondDeliveryOfAnEventDoesNothing(t *testing.T) {
	for _, mode := range []NotifyMode{NotifyChanges, NotifyAlways} {
		t.Run(mode.String(), func(t *testing.T) {
			r := newRig(t, "")
			ctx := context.Background()
			r.a.Store = &deliveryStore{Store: r.store}
			r.a.Notify, r.a.Delivery = mode, "4a1c3b2e-59b8-4d1f-9a55-0c5a8b0f6e21"
			first, err := r.a.Run(ctx)
			if err != nil || first.Duplicate || !first.Notified || first.Hub.Imported == 0 {
				t.Fatalf("first delivery: duplicate %v, notified %v, %d imported, err %v; want a digest and imports", first.Duplicate, first.Notified, first.Hub.Imported, err)
			}
			before := r.sent(t)

			again, err := r.a.Run(ctx)
			if err != nil || !again.Duplicate || again.Notified || again.Saved || again.Results != nil {
				t.Fatalf("second delivery: duplicate %v, notified %v, saved %v, %d results, err %v; want a duplicate that does nothing",
					again.Duplicate, again.Notified, again.Saved, len(again.Results), err)
			}
			if after := r.sent(t); after.messages != before.messages || after.imports != before.imports || after.updates != before.updates || !bytes.Equal(after.stored, before.stored) {
				t.Errorf("the second delivery sent %d messages, %d findings and %d updates, state rewritten %v; want nothing",
					after.messages-before.messages, after.imports-before.imports, after.updates-before.updates, !bytes.Equal(after.stored, before.stored))
			}
			if s := Summarize(again); !s.Duplicate || s.AccountID != sampleAccount || s.New != 0 || s.Notified {
				t.Errorf("summary %+v, want the account's, marked duplicate, with nothing done", s)
			}

			r.a.Delivery = "89d1a02d-5ec7-412e-82f5-13505f849b41"
			next, err := r.a.Run(ctx)
			if err != nil || next.Duplicate || next.Notified != (mode == NotifyAlways) {
				t.Errorf("another event's run: duplicate %v, notified %v, err %v; want a run, with a digest only in mode always", next.Duplicate, next.Notified, err)
			}
		})
	}
}

// A second delivery that loaded the state before the first's run saved
// ahead finds, when its own save ahead conflicts, that the run of its event
// saved first: it sends nothing, whether that run has finished or only
// saved ahead. A run of another event that overlaps so publishes, as
// before.
func TestASecondDeliveryRunningAlongsideDoesNothing(t *testing.T) {
	const delivery = "4a1c3b2e-59b8-4d1f-9a55-0c5a8b0f6e21"
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		// first is what the other run did after this one loaded.
		first     func(t *testing.T, r *rig, a Auditor)
		duplicate bool
		// quiet runs both after a run of another event, in mode always:
		// they have no news, only a digest to send.
		quiet bool
	}{
		{"the first run finished", func(t *testing.T, r *rig, a Auditor) {
			if _, err := a.Run(ctx); err != nil {
				t.Fatal(err)
			}
		}, true, false},
		{"the first run finished, both quiet", func(t *testing.T, r *rig, a Auditor) {
			if _, err := a.Run(ctx); err != nil {
				t.Fatal(err)
			}
		}, true, true},
		{"the first run saved ahead only", func(t *testing.T, r *rig, a Auditor) {
			ahead, tok, err := a.Store.Load(ctx, sampleAccount)
			if err != nil {
				t.Fatal(err)
			}
			ahead.Delivery = delivery
			if _, err := a.Store.Save(ctx, sampleAccount, ahead, tok); err != nil {
				t.Fatal(err)
			}
		}, true, false},
		{"another event's run finished", func(t *testing.T, r *rig, a Auditor) {
			a.Delivery = "89d1a02d-5ec7-412e-82f5-13505f849b41"
			if _, err := a.Run(ctx); err != nil {
				t.Fatal(err)
			}
		}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, "")
			store := &deliveryStore{Store: r.store}
			r.a.Store = store
			if tc.quiet {
				r.a.Notify, r.a.Delivery = NotifyAlways, "0e8f7a6b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
				if _, err := r.a.Run(ctx); err != nil {
					t.Fatal(err)
				}
			}
			r.a.Delivery = delivery
			var before sent
			store.after = func() {
				// A minute on, so the state it saves differs from the one
				// loaded (an S3 ETag and Dir's token are the bytes' hash).
				a := *r.a
				a.Now = func() time.Time { return r.a.Now().Add(time.Minute) }
				tc.first(t, r, a)
				before = r.sent(t)
			}
			out, err := r.a.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			after := r.sent(t)
			if out.Duplicate != tc.duplicate {
				t.Fatalf("duplicate %v, want %v", out.Duplicate, tc.duplicate)
			}
			if !tc.duplicate {
				if after.messages != before.messages+1 || after.imports == before.imports || !out.Conflict || !out.Saved {
					t.Errorf("the run of another event sent %d messages and %d findings, conflict %v, saved %v; want it to publish, then save after the conflict",
						after.messages-before.messages, after.imports-before.imports, out.Conflict, out.Saved)
				}
				return
			}
			if after.messages != before.messages || after.imports != before.imports || after.updates != before.updates || !bytes.Equal(after.stored, before.stored) {
				t.Errorf("the second delivery sent %d messages, %d findings and %d updates, state rewritten %v; want nothing",
					after.messages-before.messages, after.imports-before.imports, after.updates-before.updates, !bytes.Equal(after.stored, before.stored))
			}
			if out.Results != nil || out.Changes != nil || out.Counts != (Counts{}) || out.Notified || out.Saved {
				t.Errorf("the second delivery's outcome has %d results, %d changes, counts %+v, notified %v, saved %v; want none of what the other run publishes",
					len(out.Results), len(out.Changes), out.Counts, out.Notified, out.Saved)
			}
		})
	}
}

// A run whose save ahead conflicts, and which then cannot read who saved
// first, fails before sending anything: the run that saved may be another
// delivery of its event, which sends what it would.
func TestARunThatCannotTellItsDeliveryFromTheWinnerSendsNothing(t *testing.T) {
	const delivery = "4a1c3b2e-59b8-4d1f-9a55-0c5a8b0f6e21"
	ctx := context.Background()
	r := newRig(t, "")
	store := &deliveryStore{Store: r.store}
	r.a.Store, r.a.Delivery = store, delivery
	var before sent
	store.after = func() {
		first := *r.a
		first.Now = func() time.Time { return r.a.Now().Add(time.Minute) }
		if _, err := first.Run(ctx); err != nil {
			t.Fatal(err)
		}
		before = r.sent(t)
		store.err = errors.New("api error InternalError: We encountered an internal error")
	}
	out, err := r.a.Run(ctx)
	var f *Failure
	if out != nil || !errors.As(err, &f) || f.Phase != PhaseLoadState {
		t.Fatalf("Run = %v, %v; want a load state failure", out, err)
	}
	after := r.sent(t)
	// The failure's alert is the one message.
	if after.messages != before.messages+1 || after.imports != before.imports || after.updates != before.updates || !bytes.Equal(after.stored, before.stored) {
		t.Errorf("the run sent %d messages, %d findings and %d updates, state rewritten %v; want only its alert",
			after.messages-before.messages, after.imports-before.imports, after.updates-before.updates, !bytes.Equal(after.stored, before.stored))
	}
	if subject := *r.sns.sent[len(r.sns.sent)-1].Subject; !strings.Contains(subject, "FAILED") {
		t.Errorf("the last message is %q, want the failure's alert", subject)
	}
}
