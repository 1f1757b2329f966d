package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/state"
)

// Two scans --org of the same --state directory that overlap, SNS
// refusing both, keep both their digests owed: the one that writes the
// owed file second finds it changed since it read it, reads it again and
// writes it with the other's digest and its own.
func TestOverlappingScansKeepBothOwedDigests(t *testing.T) {
	ctx := context.Background()
	owed := owedDigests{state.NewDir(t.TempDir())}
	earlier := []audit.Message{{Kind: audit.KindDigest, Subject: "[late] owed", Body: "Sent late: an earlier run", Severity: "NONE"}}
	if err := owed.SaveOwed(ctx, earlier, state.NoObject); err != nil {
		t.Fatal(err)
	}
	madeAt := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	refuse := func(context.Context, audit.Message) error { return errors.New("sns refused") }
	first := audit.Message{Kind: audit.KindDigest, Subject: "first", Body: "first", Severity: "NONE"}
	second := audit.Message{Kind: audit.KindDigest, Subject: "second", Body: "second", Severity: "NONE"}

	// The first has read the owed file; while it sends, the second runs
	// from start to end.
	var other audit.OrgSending
	out := audit.SendOrgDigest(ctx, owed, func(ctx context.Context, m audit.Message) error {
		if other.SendErr == nil {
			other = audit.SendOrgDigest(ctx, owed, refuse, &second, madeAt)
		}
		return refuse(ctx, m)
	}, &first, madeAt)
	if other.OwedErr != nil || out.OwedErr != nil || !out.Saved || out.Conflicts != 1 {
		t.Fatalf("owed file errors: second %v, first %v (saved %v after %d conflicts, want 1)", other.OwedErr, out.OwedErr, out.Saved, out.Conflicts)
	}
	got, _, err := owed.LoadOwed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := append(earlier, audit.Late(second, madeAt), audit.Late(first, madeAt))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("owed after both (-want +got):\n%s", diff)
	}
	if entries, err := os.ReadDir(filepath.Dir(owed.path())); err != nil || len(entries) != 1 {
		t.Errorf("the --state directory holds %v (%v), want only %s", entries, err, OwedDigestsFile)
	}
}
