package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/credaudit/credaudit/lambda/state"
)

// OwedDigests keeps the organisation digests that could not be sent,
// oldest first, each marked Late: an organisation run saves its accounts'
// states before it sends its digest, so a digest not sent would otherwise
// never be reported by a later run. The function keeps them in its state
// bucket, the command line in its --state directory. The list is written
// as a state is (state.Store): only over the version read, so that of two
// overlapping runs neither overwrites the digests the other keeps.
type OwedDigests interface {
	// LoadOwed reads the digests owed and the version read; none, with
	// state.NoObject, when nothing was ever kept.
	LoadOwed(ctx context.Context) ([]Message, state.Token, error)
	// SaveOwed replaces them with owed, which may be empty, if the stored
	// list is still the version token names, and fails with
	// state.ErrConflict otherwise, writing nothing.
	SaveOwed(ctx context.Context, owed []Message, token state.Token) error
}

// MaxOwedDigests bounds the owed list: past it, the oldest are dropped,
// the latest counts being the ones that matter.
const MaxOwedDigests = 10

// OrgSending is what SendOrgDigest did.
type OrgSending struct {
	// Late counts the owed digests sent.
	Late int
	// Saved says the owed list was written: Owed digests, after Dropped
	// (the oldest) were dropped.
	Saved         bool
	Owed, Dropped int
	// Conflicts counts the times another run wrote the owed list between
	// this one's reading and writing it; each time the list was read
	// again, and the two merged.
	Conflicts int
	// Lost is the run's digest when it was neither sent nor kept (the
	// owed list could not be read or written).
	Lost *Message
	// SendErr is the failure to send; OwedErr the failure to read or
	// write the owed list.
	SendErr, OwedErr error
}

// SendOrgDigest sends the organisation digests earlier runs owe, oldest
// first, then digest, the run's own (nil when it has none to send), with
// send, stopping at the first it cannot send. What is left unsent is kept
// in owed, digest marked Late as made at madeAt. An owed list that cannot
// be read is never written, as it may hold digests this would overwrite:
// only digest is sent, and if it cannot be, it is Lost. A list another
// run wrote meanwhile is read again and merged (mergeOwed), up to
// conflictSaves times; past that, the list stays the other run's, and
// OwedErr says so.
func SendOrgDigest(ctx context.Context, owed OwedDigests, send func(context.Context, Message) error, digest *Message, madeAt time.Time) OrgSending {
	var out OrgSending
	msgs, token, err := owed.LoadOwed(ctx)
	if err != nil {
		out.OwedErr, msgs = err, nil
	}
	earlier := len(msgs)
	if digest == nil && earlier == 0 {
		return out
	}
	if digest != nil {
		msgs = append(slices.Clip(msgs), *digest) // not into the loaded list's spare room
	}
	sent := 0
	for _, m := range msgs {
		if out.SendErr = send(ctx, m); out.SendErr != nil {
			break
		}
		sent++
	}
	out.Late = min(sent, earlier)
	if out.SendErr != nil && digest != nil {
		msgs[len(msgs)-1] = Late(msgs[len(msgs)-1], madeAt)
	}
	if out.OwedErr == nil && (earlier > 0 || out.SendErr != nil) {
		// In overtime: a send cut off by the run's deadline leaves its
		// digest to be kept, as a run's state is saved after its digest.
		post, cancel := Overtime(ctx)
		out.OwedErr = saveOwed(post, owed, &out, token, msgs[:earlier], msgs[:sent], msgs[sent:])
		cancel()
	}
	if out.SendErr != nil && out.OwedErr != nil && digest != nil {
		out.Lost = &msgs[len(msgs)-1]
	}
	return out
}

// saveOwed writes left, the digests the run still owes, over the owed
// list at token, the version that held loaded; when another run wrote the
// list since, it merges the list as it now is with what this run sent and
// still owes, and tries again, up to conflictSaves times.
func saveOwed(ctx context.Context, owed OwedDigests, out *OrgSending, token state.Token, loaded, sent, left []Message) error {
	next := left
	for {
		if drop := len(next) - MaxOwedDigests; drop > 0 {
			out.Dropped, next = drop, next[drop:]
		} else {
			out.Dropped = 0
		}
		err := owed.SaveOwed(ctx, next, token)
		if err == nil {
			out.Saved, out.Owed = true, len(next)
			return nil
		}
		if !errors.Is(err, state.ErrConflict) {
			return err
		}
		if out.Conflicts == conflictSaves {
			return fmt.Errorf("other runs wrote the organisation digests owed first, %d times: %w", conflictSaves+1, err)
		}
		out.Conflicts++
		theirs, t, err := owed.LoadOwed(ctx)
		if err != nil {
			return err
		}
		next, token = mergeOwed(loaded, sent, left, theirs), t
	}
}

// mergeOwed is the owed list after another run wrote theirs since this
// run read loaded, sent what it sent and was left owing left: every
// digest either still owes (theirs, but for the ones this run sent, and
// left), each once, oldest first: those this run read, in their order,
// then the ones other runs added, then this run's own. A digest both hold
// is the same Message.
func mergeOwed(loaded, sent, left, theirs []Message) []Message {
	keep := func(m Message) bool {
		return slices.Contains(left, m) || slices.Contains(theirs, m) && !slices.Contains(sent, m)
	}
	var next []Message
	for _, list := range [][]Message{loaded, theirs, left} {
		for _, m := range list {
			if keep(m) && !slices.Contains(next, m) {
				next = append(next, m)
			}
		}
	}
	return next
}

// Err is the sending's failure: to send, to keep what is owed, or both.
func (s *OrgSending) Err() error { return errors.Join(s.SendErr, s.OwedErr) }
