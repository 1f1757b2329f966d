package handler

import (
	"context"
	"testing"
	"time"
)

// An invocation's run ends AlertReserve before Lambda's deadline, so that
// the alert of a run that reached it can still be sent.
func TestReserveForAlert(t *testing.T) {
	deadline := time.Now().Add(time.Minute)
	parent, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	ctx, stop := reserveForAlert(parent)
	defer stop()
	if got, ok := ctx.Deadline(); !ok || !got.Equal(deadline.Add(-AlertReserve)) {
		t.Errorf("run deadline %v (%v), want %v", got, ok, deadline.Add(-AlertReserve))
	}
	ctx, stop = reserveForAlert(context.Background())
	defer stop()
	if _, ok := ctx.Deadline(); ok {
		t.Error("a context without a deadline got one")
	}
}

// Acquiring the report leaves 2 minutes before the run's deadline to
// publish, or a quarter of the time when that is less, so that a short
// timeout still leaves the report its share.
func TestPublishReserve(t *testing.T) {
	for _, tc := range []struct {
		left, want time.Duration // want within a second below
	}{
		{885 * time.Second, 2 * time.Minute},
		{8 * time.Minute, 2 * time.Minute},
		{50 * time.Second, 12500 * time.Millisecond},
		{0, time.Second},
	} {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(tc.left))
		got := publishReserve(ctx)
		cancel()
		if got > tc.want || got < tc.want-time.Second {
			t.Errorf("with %v left: %v, want %v", tc.left, got, tc.want)
		}
	}
	if got := publishReserve(context.Background()); got != 2*time.Minute {
		t.Errorf("without a deadline: %v, want 2m", got)
	}
}
