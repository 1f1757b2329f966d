// Package state persists, per account, what one audit leaves for the next:
// the finding records (package finding) that make publishing change-only and
// keep each finding's first-seen time.
//
// A state is gzipped JSON with a format Version. Reading is strict: a
// missing state is an empty one (the account's first run), but an object
// that is not a state of a version this build reads (1 to Version) is an
// error, ErrCorrupt or ErrVersion, never an empty state. Encode writes the
// oldest version that holds the state, so a build rolled back to reads it
// whenever it can. An empty state would re-import every finding as new
// and lose each FirstObservedAt, so an unreadable state must stop the run.
//
// Saving is compare-and-swap: Load returns a Token for the version it read,
// and Save writes only over that version, else fails with ErrConflict and
// writes nothing. The orchestrator saves only after publishing succeeded;
// after a conflict, the next run diffs against whichever state won.
//
// Two stores: S3 for the Lambda (s3://bucket/state/<account>.json.gz,
// conditional PutObject with If-None-Match / If-Match) and Dir for the CLI
// (<dir>/<account>.json.gz, written with a temporary file and a rename).
package state
