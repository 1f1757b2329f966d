package finding

import (
	"time"

	"github.com/credaudit/credaudit/lambda/rules"
)

// Record is what the state keeps about one finding between runs: enough to
// classify the next run's result, to send the full finding again without that
// result (a gone user, a removed rule), and to keep Security Hub's timestamps
// right. Times are UTC and whole seconds.
type Record struct {
	ID           string `json:"id"`
	RuleID       string `json:"rule_id"`
	Title        string `json:"title"` // the rule's title, for findings whose rule is gone
	ResourceID   string `json:"resource_id"`
	ResourceType string `json:"resource_type"` // rules.ResourceAccount or rules.ResourceIAMUser
	User         string `json:"user"`
	Severity     string `json:"severity"` // the ASFF label ("HIGH"), as last observed

	// Status is the Compliance.Status last sent: FAILED, or PASSED once
	// resolved.
	Status rules.Status `json:"status"`
	// Reason is the reason last observed: the failing reason, or the passing
	// one once resolved.
	Reason string `json:"reason"`
	// EventAt is, for a rule whose failures are events (rules.Rule.Event:
	// root use), the time of the latest event last seen failing; zero for
	// other rules, and in a record saved before credaudit kept it.
	EventAt time.Time `json:"event_at,omitzero"`
	// UserCreatedAt is, for a user's finding, the user_creation_time of the
	// user last seen failing it: a user deleted and created again under the
	// same name between two runs has the same ARN, and so the same finding,
	// but another creation time, and its failure is news (Diff), as if a
	// run between had seen the old user gone. Zero for the account's
	// findings, and in a record saved before credaudit kept it.
	UserCreatedAt time.Time `json:"user_created_at,omitzero"`

	// FirstObservedAt is the as-of time of the report in which the failure
	// was first seen, sent as the finding's FirstObservedAt, and is never
	// rewritten.
	FirstObservedAt time.Time `json:"first_observed_at"`
	// CreatedAt is the ASFF CreatedAt of the finding Security Hub holds:
	// the UpdatedAt of the import that created it there, as Security Hub
	// requires the two equal on creation. TakenUpdatedAt is the UpdatedAt
	// of the last import Security Hub took, Retention after which it
	// deletes the finding. Both are zero while Security Hub is not known to
	// hold the finding: no import of it was taken (the import that creates
	// it sends its own UpdatedAt as CreatedAt), the home region moved, two
	// overlapping runs sent it otherwise, or Retention has passed since
	// (Diff clears them). A record saved before credaudit kept them, and
	// imported, was created with FirstObservedAt, and last taken with its
	// UpdatedAt: Diff reads it so.
	CreatedAt      time.Time `json:"created_at,omitzero"`
	TakenUpdatedAt time.Time `json:"taken_updated_at,omitzero"`
	// TakenArchived says that last import taken was an archive (RecordState
	// ARCHIVED), which Security Hub deletes ArchivedRetention after it, not
	// Retention: a tombstone whose archive was sent, or an open record
	// whose archive a run without its digest sent (Unreported). A record
	// saved before credaudit kept it reads it from a tombstone with a
	// LastImportedAt (heldFor).
	TakenArchived bool `json:"taken_archived,omitempty"`
	// LastObservedAt is the as-of time of the last report that showed the
	// failure (or its resolution). A run that could not see the resource
	// leaves it alone.
	LastObservedAt time.Time `json:"last_observed_at"`
	// LastImportedAt is when the finding was last sent with
	// BatchImportFindings; zero until the first import.
	LastImportedAt time.Time `json:"last_imported_at,omitzero"`
	// Region is the Security Hub region of that import; empty in a record
	// saved before credaudit kept it (InRegion takes such a record to be in
	// the region of the run that reads it).
	Region string `json:"region,omitempty"`
	// UpdatedAt is the UpdatedAt last sent to Security Hub (or, in a Change
	// that imports, the one to send): each import must be strictly later or
	// Security Hub silently ignores it.
	UpdatedAt time.Time `json:"updated_at"`

	// Suppressed says a suppression mutes the finding (workflow SUPPRESSED),
	// for SuppressionReason. In a saved record it is the workflow status
	// Security Hub is known to hold (see NextAfter), which may lag the
	// run's result; Muted follows the result.
	Suppressed        bool   `json:"suppressed,omitempty"`
	SuppressionReason string `json:"suppression_reason,omitempty"`
	// WorkflowUnknown says Security Hub may hold another workflow status
	// than Suppressed: an update for this finding was sent and reported
	// failed, and may have been applied all the same (a request that fails
	// part-way counts all its findings failed), or an import owed since
	// Security Hub was off may find the finding still SUPPRESSED. The next
	// run that sends the finding's workflow status sends the one it should
	// have, even when that equals Suppressed; a run that does not keeps the
	// mark.
	WorkflowUnknown bool `json:"workflow_unknown,omitempty"`
	// Muted says the finding's result was suppressed when it was last seen
	// failing: what the digest was told, whatever became of the workflow
	// status in Security Hub (off, refused, or a home region moved), which
	// Suppressed follows. A suppression that ends unmutes a Muted finding
	// (Change.Unmuted), once: the next record is not Muted.
	Muted bool `json:"muted,omitempty"`

	// UnavailableSince is the as-of time of the first of the runs in a row
	// whose result for this finding was NOT_AVAILABLE; zero when the last run
	// saw it.
	UnavailableSince time.Time `json:"unavailable_since,omitzero"`

	// Archived says the finding was resolved or is gone and was sent with
	// RecordState ARCHIVED. The record stays as a tombstone for Retention
	// after its UpdatedAt, so a recurrence reopens the same Security Hub
	// finding with a later UpdatedAt and the first FirstObservedAt.
	Archived bool `json:"archived,omitempty"`

	// Unnotified says a run opened this finding in Security Hub, or unmuted
	// it, but its digest could not be sent, or that of two overlapping runs
	// one's digest reported it closed and the other, whose open record was
	// kept, said nothing of it (AfterConflict): the next run that sees it
	// failing, or cannot see it (NOT_AVAILABLE), reports it as new again
	// (and one that sees it pass resolves it, so Security Hub never keeps a
	// fixed finding open).
	Unnotified bool `json:"unnotified,omitempty"`

	// Unreported says a run archived this finding in Security Hub,
	// "resolved" or "gone", but its digest could not be sent: the record
	// was kept open so that the next run reports the change again (see
	// NextUnnotified). UnreportedReason is the passing reason that run saw
	// (resolved); UnreportedAt its as-of time (resolved) or when it archived
	// the finding (gone: that time, or a second past the finding's last
	// update when the clock had not moved on). A next run that cannot see
	// the finding (NOT_AVAILABLE) reports the change as that run saw it,
	// rather than re-open from the record a finding last seen fixed or
	// gone; one that sees it decides afresh.
	Unreported       string    `json:"unreported,omitempty"`
	UnreportedReason string    `json:"unreported_reason,omitempty"`
	UnreportedAt     time.Time `json:"unreported_at,omitzero"`
}

// Active reports whether the record is an open finding (failing, suppressed
// or unseen), as opposed to an archived tombstone.
func (r *Record) Active() bool { return !r.Archived }
