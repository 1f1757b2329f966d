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
