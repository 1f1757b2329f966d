package state

import (
	"context"
	"errors"
	"fmt"

	"github.com/credaudit/credaudit/lambda/credreport"
)

// Token names the version of a stored state that Load returned, so Save can
// write only over that same version. It is opaque: an S3 ETag, or a content
// hash for Dir.
type Token string

// NoObject is the Token of a state that does not exist yet: Save with it
// creates the object, and fails with ErrConflict if another run created it
// first.
const NoObject Token = ""

// Store keeps one state per account.
type Store interface {
	// Load returns the account's state and its Token. A missing state is
	// New(accountID) with NoObject, not an error; an unreadable one is an
	// error (ErrCorrupt, ErrVersion), never an empty state.
	Load(ctx context.Context, accountID string) (*State, Token, error)
	// Save writes s if the stored state is still the one token names, and
	// fails with ErrConflict otherwise, writing nothing. It returns the
	// Token of the state it wrote, for a later Save over it.
	Save(ctx context.Context, accountID string, s *State, token Token) (Token, error)
	// Hint says what to check after Load or Save failed with err, in the
	// store's own terms (a bucket and a role's permissions, or a directory).
	Hint(err error) string
}

// hint is what to check after err, in a store's terms: restore is how to
// recover a state credaudit did not write ("restore it from a backup"),
// otherwise what to check for every other error (the directory, or the
// bucket and the role).
func hint(err error, restore, otherwise string) string {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "the run was stopped or ran out of time before the state was read or written; the stored state is as it was, and the next run starts from it."
	case errors.Is(err, ErrVersion):
		return "the stored state was written by another credaudit version; run that version, or restore an older state."
	case errors.Is(err, ErrCorrupt):
		return restore + " or delete it to start afresh: every open finding is then reported as new."
	case errors.Is(err, ErrConflict):
		return "other runs of the same account kept saving first: runs overlap (a schedule more frequent than a run lasts, or runs started by hand); the next run sends what it finds."
	}
	return otherwise
}

// encodeFor encodes s for accountID's object.
func encodeFor(accountID string, s *State) ([]byte, error) {
	if s.AccountID != accountID {
		return nil, fmt.Errorf("state of account %q saved as account %q", s.AccountID, accountID)
	}
	return Encode(s)
}

// decodeFor decodes accountID's object and checks it is that account's.
func decodeFor(accountID string, data []byte) (*State, error) {
	s, err := Decode(data)
	if err != nil {
		return nil, err
	}
	if s.AccountID != accountID {
		return nil, fmt.Errorf("%w: the state of account %s holds account %s", ErrCorrupt, accountID, s.AccountID)
	}
	return s, nil
}

// validAccountID reports whether id is 12 digits, as AWS account IDs are;
// the ID becomes part of a file name or object key.
func validAccountID(id string) error {
	if !credreport.IsAccountID(id) {
		return fmt.Errorf("account ID %q is not 12 digits", id)
	}
	return nil
}
