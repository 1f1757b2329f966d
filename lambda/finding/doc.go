// Package finding gives each rule verdict a stable identity and decides,
// against the previous run's records, what changed: the "diff" step between
// evaluation and publishing. It is pure: no SDK, no I/O, no clock; times
// arrive as arguments.
//
// # Finding IDs
//
// A finding is one rule on one resource in one account, and its ID names
// exactly those three:
//
//	credaudit/<account>/<rule>/<resource id>
//	credaudit/123456789012/KEY-01/arn:aws:iam::123456789012:user/ops/alice
//	credaudit/123456789012/ROOT-04/AWS::::Account:123456789012
//
// The same finding has the same ID on every run, so Security Hub updates it
// rather than piling up copies. Facts that change (which key, how many days)
// live in the reason, never in the ID. IDs longer than Security Hub's 512
// characters are cut and end in "#" and a hash of the whole ID (see ID).
//
// # Lifecycle
//
// Diff returns one Change per finding the run touches. Its Kind is the
// compliance lifecycle; its Workflow is the separate workflow-status step.
//
//	previous record     this run's result        Kind           Security Hub
//	none                FAILED                   New            import, FAILED, ACTIVE
//	none                PASSED / NOT_AVAILABLE   (no change)    nothing: never failed, never imported
//	open                FAILED, same fact        StillFailing   nothing, or re-import if NeedsRefresh
//	open                FAILED, other fact       Changed        import, new UpdatedAt
//	                                             (New for an event rule: root used again)
//	open                PASSED                   Resolved       import, PASSED, ARCHIVED
//	open                NOT_AVAILABLE            StillFailing   Unavailable: the record stands (refreshed if due)
//	open                no result at all         Gone           import, ARCHIVED (compliance stays FAILED)
//	archived tombstone  FAILED                   New            import: reopens the same finding
//	archived tombstone  not FAILED, or none      (no change)    nothing: Security Hub has the archive
//	unsent tombstone    not FAILED, or none      StillArchived  import, ARCHIVED (NeedsRefresh): see below
//
// "Same fact" compares reasons modulo the passage of time: "access key 2 is
// 131 days old" a day later reads "132 days old" and is StillFailing, while
// "root was last used 3 days ago" a week later is another fact, because
// root was used again (see sameFact). Another fact is Changed, except for a
// rule whose failures are events (rules.Rule.Event: ROOT-04, root use),
// where it is New: a new root use counts as new whether ROOT-04 was still
// failing (the same Security Hub finding, its CreatedAt kept) or had passed
// (Resolved) before. For such a rule the record keeps the event's time
// (Record.EventAt), and a later one is New even when the reason reads the
// same: two root uses a few hours apart are both "less than a day ago". A severity
// change (a reconfigured rule) is Changed too. A credential ageing past
// another rule's threshold (CRED-01 at 45 days, then CRED-02 at 90) is New
// for that other rule, as it is a different finding.
//
// Gone covers both a deleted user and a rule that no longer runs (disabled,
// or left out of the profile). Both archive the finding: nobody evaluates it
// any more, and leaving it ACTIVE would show a stale failure until Security
// Hub drops it. A rule enabled again reopens its findings as New. Running a
// narrower profile against the same state therefore archives the rest.
//
// NOT_AVAILABLE never resolves a finding: a failure to see is not an
// all-clear. The previous record is kept, marked UnavailableSince, and
// refreshed like any still-failing finding so it does not expire unseen.
// A record a run opened without its digest being sent (Unnotified) is New
// instead, as that run saw it: the news is not lost for want of a sight.
//
// An archive made while Security Hub publishing is off is not sent
// (Publication.Off), and its tombstone has no LastImportedAt: an unsent
// tombstone; so is one whose import Security Hub did not take
// (Publication.FailedImports). Every run yields StillArchived for it, with
// NeedsRefresh, until a run with Security Hub on sends it: the tombstone's
// own record, whose UpdatedAt was moved on when it was archived and so is
// later than anything Security Hub holds (or, for a refused import, the
// one that may have landed all the same, which Security Hub ignores). Like
// a refresh it is no news (the resolution was news when it happened). A
// finding failing again first is New, as from any tombstone, and its
// archive is never sent.
//
// Each record keeps the Security Hub region it was last imported into
// (Record.Region). After the home region changes, InRegion makes every open
// finding due for import there, and every tombstone an unsent archive, so
// the first run in the new region imports them all, as refreshes and late
// archives (no news): should the home region move back, a finding resolved
// meanwhile is archived in the region that still holds it open. The old
// region's copies are left to expire there.
//
// Suppressions drive Workflow: a failing finding that a suppression newly
// mutes (including a New one: it is imported, then set SUPPRESSED, so the
// muted failure stays on record) gets WorkflowSuppress with the suppression
// reason as the note; one whose suppression expired or was removed gets
// WorkflowUnsuppress (back to NEW), and is Unmuted (Change.Unmuted): news
// for the digest, which never reported the muted failure. Unmuted keys on
// Record.Muted, what the last run's result said, and not on the workflow
// status Security Hub was sent (Record.Suppressed), which Security Hub
// off, a refused update or a home region moved leave behind: the digest
// reports an unmuting once, whatever became of its workflow update. A
// suppressed finding that is resolved or gone is also set back to NEW
// (with its archive, when that is sent late), since Security Hub would
// keep it SUPPRESSED if it came back. A workflow update that was sent and
// failed may have been applied all the same, so its record is marked
// WorkflowUnknown, and the next run that can sends the status the finding
// should have then, suppressed or NEW, even when the suppression was
// changed back meanwhile. A finding the run cannot see (NOT_AVAILABLE) gets
// the same workflow updates, from the suppression that covers its result
// (rules.Suppressor marks it), since the configuration, not the sight,
// decides its workflow status: otherwise a muted finding a home region
// move imports unseen would arrive NEW. Its unmuting is news only once it
// is seen failing (Muted stays until then).
//
// # Timestamps
//
// Every Change carries the Record to send and to keep:
//
//   - FirstObservedAt is the as-of time of the report that first showed
//     the failure, and is never rewritten while its record lasts: a
//     recurrence within Retention keeps it, even one Security Hub creates
//     afresh after deleting the archive (ArchivedRetention).
//   - CreatedAt is the UpdatedAt of the import that created the finding in
//     Security Hub, which requires the two equal on creation: the first
//     import taken, which may come runs after the first observation (a
//     refused import, Security Hub off, a new home region, or Retention
//     passed since the last import taken, TakenUpdatedAt, ArchivedRetention
//     when that was an archive, TakenArchived). It is kept from
//     then on; an import reported failed that Security Hub applied all the
//     same, two overlapping runs that sent the finding otherwise, or a home
//     region moved back to one that still holds it leave it to be set
//     again by the next import taken.
//   - LastObservedAt is the as-of time of the last report that saw the
//     finding; a NOT_AVAILABLE run leaves it alone.
//   - UpdatedAt is the observation time for a new finding and, for every later
//     import, the later of the observation time and one second after the
//     last UpdatedAt sent: strictly increasing even when the clock or the
//     report goes backwards. Security Hub silently ignores an import whose
//     UpdatedAt is not later than the stored one.
//   - LastImportedAt is set by NextAfter, after a successful publish, for the
//     findings that were imported; NeedsRefresh compares it with
//     refreshAfter (default 30 days; findings expire 90 days after their
//     last update). A tombstone without it is an archive never sent.
//
// Resolved and gone findings stay in the state as archived tombstones for
// Retention (90 days) after their last UpdatedAt, then NextAfter drops them.
package finding
