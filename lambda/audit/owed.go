package audit

import (
	"context"
	"errors"
	"time"
)

// OwedDigests keeps the organisation digests that could not be sent,
// oldest first, each marked Late: an organisation run saves its accounts'
// states before it sends its digest, so a digest not sent would otherwise
// never be reported by a later run. The function keeps them in its state
// bucket, the command line in its --state directory.
type OwedDigests interface {
	// LoadOwed reads the digests owed; none when nothing was ever kept.
	LoadOwed(ctx context.Context) ([]Message, error)
	// SaveOwed replaces them with owed, which may be empty.
	SaveOwed(ctx context.Context, owed []Message) error
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
// only digest is sent, and if it cannot be, it is Lost.
func SendOrgDigest(ctx context.Context, owed OwedDigests, send func(context.Context, Message) error, digest *Message, madeAt time.Time) OrgSending {
	var out OrgSending
	msgs, err := owed.LoadOwed(ctx)
	if err != nil {
		out.OwedErr, msgs = err, nil
	}
	earlier := len(msgs)
	if digest == nil && earlier == 0 {
		return out
	}
	if digest != nil {
		msgs = append(msgs, *digest)
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
		left := msgs[sent:]
		if drop := len(left) - MaxOwedDigests; drop > 0 {
			out.Dropped, left = drop, left[drop:]
		}
		if err := owed.SaveOwed(ctx, left); err != nil {
			out.OwedErr = err
		} else {
			out.Saved, out.Owed = true, len(left)
		}
	}
	if out.SendErr != nil && out.OwedErr != nil && digest != nil {
		out.Lost = &msgs[len(msgs)-1]
	}
	return out
}

// Err is the sending's failure: to send, to keep what is owed, or both.
func (s *OrgSending) Err() error { return errors.Join(s.SendErr, s.OwedErr) }
