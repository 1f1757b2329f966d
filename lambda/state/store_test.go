package state

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/rules"
)

// storeUnderTest is a fresh, empty store and a way to write an account's
// object behind its back.
type storeUnderTest struct {
	store Store
	put   func(t *testing.T, accountID string, data []byte)
}

// testStore runs the Store contract against stores made by fresh.
func testStore(t *testing.T, fresh func(t *testing.T) storeUnderTest) {
	t.Run("a missing state is empty with no object", func(t *testing.T) {
		st := fresh(t).store
		s, tok, err := st.Load(t.Context(), acct)
		if err != nil {
			t.Fatal(err)
		}
		if tok != NoObject {
			t.Errorf("token = %q, want NoObject", tok)
		}
		if diff := cmp.Diff(New(acct), s); diff != "" {
			t.Errorf("state (-want +got):\n%s", diff)
		}
	})

	t.Run("a saved state loads back", func(t *testing.T) {
		st := fresh(t).store
		want := sample()
		if _, err := st.Save(t.Context(), acct, want, NoObject); err != nil {
			t.Fatal(err)
		}
		got, tok, err := st.Load(t.Context(), acct)
		if err != nil {
			t.Fatal(err)
		}
		if tok == NoObject {
			t.Errorf("token of a saved state is NoObject")
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("state (-want +got):\n%s", diff)
		}
	})

	t.Run("consecutive runs each save over the last", func(t *testing.T) {
		st := fresh(t).store
		for i := range 3 {
			s, tok, err := st.Load(t.Context(), acct)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(s.Records); got != i {
				t.Fatalf("run %d: loaded %d records, want %d", i, got, i)
			}
			id := finding.ID(acct, "KEY-01", "r"+string(rune('a'+i)))
			s.Records[id] = finding.Record{ID: id, RuleID: "KEY-01", ResourceID: "r", ResourceType: rules.ResourceIAMUser, Severity: "MEDIUM", Status: rules.Failed, FirstObservedAt: t0, UpdatedAt: t0}
			s.SavedAt = t0.Add(time.Duration(i) * time.Hour)
			if _, err := st.Save(t.Context(), acct, s, tok); err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
		}
	})

	t.Run("the token a save returns is the saved state's", func(t *testing.T) {
		st := fresh(t).store
		saved, err := st.Save(t.Context(), acct, sample(), NoObject)
		if err != nil {
			t.Fatal(err)
		}
		if _, loaded, err := st.Load(t.Context(), acct); err != nil || loaded != saved {
			t.Fatalf("Load token %q (err %v), want the one Save returned, %q", loaded, err, saved)
		}
		again, err := st.Save(t.Context(), acct, New(acct), saved)
		if err != nil {
			t.Fatalf("save over the token a save returned: %v", err)
		}
		if again == saved {
			t.Errorf("two different states saved with one token %q", saved)
		}
		if _, err := st.Save(t.Context(), acct, sample(), saved); !errors.Is(err, ErrConflict) {
			t.Errorf("save over a token saved over since: %v, want ErrConflict", err)
		}
	})

	t.Run("the second of two runs that loaded the same state conflicts", func(t *testing.T) {
		st := fresh(t).store
		if _, err := st.Save(t.Context(), acct, sample(), NoObject); err != nil {
			t.Fatal(err)
		}
		a, tokA, err := st.Load(t.Context(), acct)
		if err != nil {
			t.Fatal(err)
		}
		b, tokB, err := st.Load(t.Context(), acct)
		if err != nil {
			t.Fatal(err)
		}
		a.SavedAt = t0.Add(time.Hour)
		b.SavedAt = t0.Add(2 * time.Hour)
		if _, err := st.Save(t.Context(), acct, a, tokA); err != nil {
			t.Fatalf("first save: %v", err)
		}
		_, err = st.Save(t.Context(), acct, b, tokB)
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("second save error = %v, want ErrConflict", err)
		}
		t.Log(err)
		got, tok, err := st.Load(t.Context(), acct)
		if err != nil {
			t.Fatal(err)
		}
		if !got.SavedAt.Equal(a.SavedAt) {
			t.Errorf("stored SavedAt = %v, want the first save's %v", got.SavedAt, a.SavedAt)
		}
		// Loading again gives a token that saves.
		if _, err := st.Save(t.Context(), acct, b, tok); err != nil {
			t.Errorf("save after reloading: %v", err)
		}
	})

	t.Run("the second of two first runs conflicts", func(t *testing.T) {
		st := fresh(t).store
		_, tokA, err := st.Load(t.Context(), acct)
		if err != nil {
			t.Fatal(err)
		}
		_, tokB, err := st.Load(t.Context(), acct)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Save(t.Context(), acct, sample(), tokA); err != nil {
			t.Fatalf("first save: %v", err)
		}
		_, err = st.Save(t.Context(), acct, New(acct), tokB)
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("second save error = %v, want ErrConflict", err)
		}
		t.Log(err)
		got, _, err := st.Load(t.Context(), acct)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Records) != len(sample().Records) {
			t.Errorf("the conflicting save overwrote the state: %d records", len(got.Records))
		}
	})

	t.Run("a corrupt object is an error, not an empty state", func(t *testing.T) {
		sut := fresh(t)
		sut.put(t, acct, []byte("not a state"))
		s, _, err := sut.store.Load(t.Context(), acct)
		if !errors.Is(err, ErrCorrupt) || s != nil {
			t.Errorf("Load = %v, %v; want no state and ErrCorrupt", s, err)
		}
	})

	t.Run("a newer version is an error", func(t *testing.T) {
		sut := fresh(t)
		sut.put(t, acct, gz(t, `{"version":99,"account_id":"123456789012","records":{}}`))
		s, _, err := sut.store.Load(t.Context(), acct)
		if !errors.Is(err, ErrVersion) || s != nil {
			t.Errorf("Load = %v, %v; want no state and ErrVersion", s, err)
		}
	})

	t.Run("another account's state is an error", func(t *testing.T) {
		sut := fresh(t)
		other := New("210987654321")
		data, err := Encode(other)
		if err != nil {
			t.Fatal(err)
		}
		sut.put(t, acct, data)
		if _, _, err := sut.store.Load(t.Context(), acct); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Load error = %v, want ErrCorrupt", err)
		}
	})

	t.Run("saving a state under another account is refused", func(t *testing.T) {
		st := fresh(t).store
		if _, err := st.Save(t.Context(), "210987654321", sample(), NoObject); err == nil {
			t.Errorf("Save succeeded")
		}
	})

	t.Run("an account ID that is not 12 digits is refused", func(t *testing.T) {
		st := fresh(t).store
		for _, id := range []string{"", "12345678901", "../../etc/pw", "12345678901a"} {
			if _, _, err := st.Load(t.Context(), id); err == nil {
				t.Errorf("Load(%q) succeeded", id)
			}
			s := New(id)
			if _, err := st.Save(t.Context(), id, s, NoObject); err == nil {
				t.Errorf("Save(%q) succeeded", id)
			}
		}
	})
}
