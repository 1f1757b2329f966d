package finding

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/credaudit/credaudit/lambda/rules"
)

// DefaultRefreshAfter is how long a still-failing finding may go without an
// import before it is sent again. Security Hub deletes a finding 90 days
// after its last update; 30 days leaves two missed refreshes of margin.
const DefaultRefreshAfter = 30 * 24 * time.Hour

// Retention is how long Security Hub keeps an active finding after its
// last update, and so how long an archived record is kept as a tombstone;
// ArchivedRetention how long it keeps an archived one (RecordState
// ARCHIVED) ("Creating and updating findings in Security Hub CSPM").
const (
	Retention         = 90 * 24 * time.Hour
	ArchivedRetention = 30 * 24 * time.Hour
)

// heldFor is how long after the last import of r it took Security Hub
// keeps the finding: ArchivedRetention when that import was an archive
// (tookArchive), else Retention. An archive not sent leaves Security Hub holding the
// active finding it was sent before, if any.
func (r *Record) heldFor() time.Duration {
	if r.tookArchive() {
		return ArchivedRetention
	}
	return Retention
}

// tookArchive reports whether the last import of r Security Hub took was
// an archive: TakenArchived, or a tombstone whose archive was sent (a
// record saved before credaudit kept TakenArchived).
func (r *Record) tookArchive() bool {
	return r.TakenArchived || r.Archived && !r.LastImportedAt.IsZero()
}

// forgetHeld says Security Hub is not known to hold r's finding: the next
// import sends its own UpdatedAt as CreatedAt.
func (r *Record) forgetHeld() {
	r.CreatedAt, r.TakenUpdatedAt, r.TakenArchived = time.Time{}, time.Time{}, false
}

// Kind is where a finding stands in its lifecycle after a run.
type Kind uint8

const (
	// New: failing now, and not an open finding before (never seen, or
	// resolved or gone earlier); or open, opened by a run whose digest was
	// not sent (Record.Unnotified), and failing or not visible now. Import
	// it.
	New Kind = iota + 1
	// Changed: failing before and now, but the fact differs (root used
	// again, a key rotated, another credential listed) or the severity does.
	// Import it.
	Changed
	// StillFailing: failing before and now with the same fact, or not
	// visible this run (Change.Unavailable). Import only when
	// Change.NeedsRefresh.
	StillFailing
	// Resolved: failing before, PASSED now. Import it with
	// Compliance.Status PASSED and RecordState ARCHIVED.
	Resolved
	// Gone: failing before, and the run has no result for it at all: the
	// user was deleted, the rule is no longer run, or a custom rule's where
	// no longer selects the row. Import it with
	// RecordState ARCHIVED; the compliance status stays FAILED.
	Gone
	// StillArchived: archived before (a tombstone) and not failing now
	// (PASSED, NOT_AVAILABLE or no result). Import only when
	// Change.NeedsRefresh, as the record's archive (RecordState ARCHIVED,
	// the compliance status it was archived with); Diff yields no change
	// otherwise. Not news: the resolution or removal was news when the
	// record was archived.
	StillArchived
)

var kindNames = [...]string{"", "new", "changed", "still failing", "resolved", "gone", "still archived"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Workflow is the change a run makes to a finding's workflow status, which
// only BatchUpdateFindings can set.
type Workflow uint8

const (
	// WorkflowKeep leaves the workflow status alone.
	WorkflowKeep Workflow = iota
	// WorkflowSuppress sets SUPPRESSED, with Record.SuppressionReason as the
	// note: a suppression newly applies, or now applies for another reason.
	WorkflowSuppress
	// WorkflowUnsuppress sets NEW: the suppression expired or was removed,
	// or a suppressed finding was archived (Security Hub keeps SUPPRESSED
	// when an archived finding becomes active again, so a recurrence would
	// otherwise come back muted).
	WorkflowUnsuppress
)

var workflowNames = [...]string{"keep", "suppress", "unsuppress"}

func (w Workflow) String() string {
	if int(w) < len(workflowNames) {
		return workflowNames[w]
	}
	return "Workflow(" + strconv.Itoa(int(w)) + ")"
}

// Change is what a run means for one finding.
type Change struct {
	Kind     Kind
	Workflow Workflow
	// NeedsRefresh marks an import with no news: a StillFailing finding
	// whose last import is RefreshAfter old or older, to import again
	// before Security Hub expires it; or a StillArchived one whose archive
	// Security Hub was never sent (archived while publishing was off, see
	// Publication.Off, or its import failed), to send with the UpdatedAt it
	// was archived with, later than any import Security Hub may hold (but
	// the failed one, which may have landed and so is ignored).
	NeedsRefresh bool
	// Unavailable marks a finding whose result this run was NOT_AVAILABLE:
	// a failure to see is not an all-clear, so the previous record stands.
	// It is StillFailing, or New when the record is Unnotified (opened by a
	// run whose digest was not sent), and is sent as the record says, with
	// the suppression that covers the result (Workflow).
	Unavailable bool

	// Result is this run's result; nil for Gone and StillArchived, and for
	// a resolution reported from Record.Unreported, which are sent from the
	// record.
	Result *rules.Result
	// Prev is the state's record before the run; nil for a finding never
	// seen (or whose tombstone expired).
	Prev *Record
	// Record is the finding as the next state keeps it, and as it is to be
	// sent: when Import is true, UpdatedAt is Record.UpdatedAt, and
	// CreatedAt is Record.CreatedAt, or UpdatedAt when that is zero (the
	// import creates the finding). NextAfter fills in LastImportedAt, and
	// CreatedAt once the import that creates the finding is taken.
	Record Record
}

// ID is the finding's ID.
func (c *Change) ID() string { return c.Record.ID }

// Recreated reports whether the finding was another user's: one deleted
// and created again under the same name (so the same ARN, and the same
// finding) since the previous record was kept.
func (c *Change) Recreated() bool { return c.Prev != nil && recreatedUser(c.Prev, &c.Record) }

// recreatedUser reports whether p and rec, records of one user finding, are
// of users created at different times. A record kept before creation times
// were has none, and is taken to be the same user's.
func recreatedUser(p, rec *Record) bool {
	return !p.UserCreatedAt.IsZero() && !rec.UserCreatedAt.IsZero() && !p.UserCreatedAt.Equal(rec.UserCreatedAt)
}

// Unmuted reports whether the run unmutes a failing finding that a
// suppression muted until now (it expired, or was removed or changed): news,
// since the muted failure was never reported, or not since it was muted. It
// keys on the previous record's Muted (its result was suppressed when last
// seen failing), not on Suppressed or the workflow update, which follow
// what Security Hub holds: Security Hub off, a workflow update refused or a
// home region moved leave the finding's workflow status behind, never the
// digest. Reported once: the record saved after the run is not Muted,
// whether or not the unsuppress went through.
func (c *Change) Unmuted() bool {
	return c.Result != nil && c.Result.Status == rules.Failed && !c.Result.Suppressed() &&
		c.Prev != nil && !c.Prev.Archived && c.Prev.Muted
}

// lookup finds r's record in records. Most results pass and have no
// record, so the ID is built in buf, returned for reuse, and looked up
// without making a string; id is the ID as a string when there is a
// record, or records keep it shortened (else string(buf) is the ID).
func lookup(records map[string]Record, buf []byte, accountID string, r *rules.Result) (_ []byte, id string, rec Record, had bool) {
	buf = appendID(buf[:0], accountID, r.Rule.ID, r.ResourceID())
	if len(buf) > MaxIDLength {
		// Records are kept under the shortened ID, so it is the one to
		// look up: looked up by the full ID, a passing or unavailable
		// result would find no record and the finding would be gone.
		id = ID(accountID, r.Rule.ID, r.ResourceID())
		rec, had = records[id]
		return buf, id, rec, had
	}
	if rec, had = records[string(buf)]; had {
		id = string(buf)
	}
	return buf, id, rec, had
}

// News reports whether the change is news for the digest: resolved, gone,
// or, unless its result is suppressed, new, changed or unmuted.
func (c *Change) News() bool {
	switch c.Kind {
	case Resolved, Gone:
		return true
	case New, Changed:
		return !c.Record.Suppressed
	}
	return c.Kind == StillFailing && c.Unmuted() && !c.Record.Suppressed
}

// Import reports whether the finding must be sent with BatchImportFindings.
func (c *Change) Import() bool {
	switch c.Kind {
	case New, Changed, Resolved, Gone:
		return true
	}
	return c.NeedsRefresh
}

// Sends reports whether publishing the change sends Security Hub anything:
// an import, or a workflow status.
func (c *Change) Sends() bool { return c.Import() || c.Workflow != WorkflowKeep }

// Diff classifies, against the previous state's records, every finding this
// run touches: each failing result, each open record whatever became of it,
// and each archive Security Hub was not sent. A result that is not failing,
// for a resource with no open record and no unsent archive (one that never
// failed, or whose archive Security Hub has), yields no change.
//
// observedAt is the as-of time of the report the results were evaluated at
// (rules.Input.AsOf): it becomes LastObservedAt, and reasons' day counts are
// read relative to it. refreshAfter ≤ 0 means DefaultRefreshAfter.
//
// Changes come in result order, then gone findings and unsent archives
// with no result, in ID order. The first result for an ID wins
// (rules.Evaluate yields one per rule and resource). Diff is pure: prev is
// not modified.
func Diff(prev map[string]Record, results []rules.Result, accountID string, observedAt time.Time, refreshAfter time.Duration) []Change {
	if refreshAfter <= 0 {
		refreshAfter = DefaultRefreshAfter
	}
	d := differ{obs: observedAt.UTC().Truncate(time.Second), refreshAfter: refreshAfter}
	seen := make(map[string]struct{}, len(prev))
	changes := make([]Change, 0, len(prev))
	var buf []byte // most results pass and have no record: look them up without building the ID string
	for i := range results {
		r := &results[i]
		var (
			id  string
			p   Record
			had bool
		)
		buf, id, p, had = lookup(prev, buf, accountID, r)
		if r.Status != rules.Failed && !had {
			continue // a resource that never failed: nothing to say
		}
		if id == "" {
			id = string(buf)
		}
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		var pp *Record
		if had && !p.expiredAt(d.obs) {
			pp = new(Record) // a copy, so p itself stays on the stack for the many results without one
			*pp = p
			pp.setHeld(d.obs)
		}
		if c, ok := d.classify(id, r, pp); ok {
			changes = append(changes, c)
		}
	}
	var gone []string
	for id, p := range prev {
		if _, ok := seen[id]; !ok && (!p.Archived || p.unsent() && !p.expiredAt(d.obs)) {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	for _, id := range gone {
		p := prev[id]
		p.setHeld(d.obs)
		if p.Archived {
			changes = append(changes, resend(&p))
		} else {
			changes = append(changes, d.archive(Gone, nil, &p))
		}
	}
	return changes
}

// expiredAt reports whether r is a tombstone whose Retention has passed at
// t: Security Hub has deleted the finding in every region, and the record
// no longer counts. The home region deletes its archive sooner
// (ArchivedRetention), but a region that was home before may hold the
// finding open until then, and a move back there must archive it.
func (r *Record) expiredAt(t time.Time) bool {
	return r.Archived && !t.Before(r.UpdatedAt.Add(Retention))
}

// setHeld sets r's CreatedAt and TakenUpdatedAt to what Security Hub holds at
// t: a record saved before credaudit kept them, and imported, was created
// with FirstObservedAt and last taken with its UpdatedAt; and Security Hub
// deleted a finding whose last import taken is as old as its retention
// (heldFor): 30 days for an archive, so a failure that recurs later is
// created afresh, not sent as an update of what is gone (Security Hub
// refuses a creation whose CreatedAt is not its UpdatedAt).
func (r *Record) setHeld(t time.Time) {
	if r.CreatedAt.IsZero() && !r.LastImportedAt.IsZero() {
		r.CreatedAt, r.TakenUpdatedAt, r.TakenArchived = r.FirstObservedAt, r.UpdatedAt, r.Archived
	}
	if !t.Before(r.TakenUpdatedAt.Add(r.heldFor())) {
		r.forgetHeld()
	}
}

// unsent reports whether r is an archive Security Hub was not sent: a
// tombstone with no LastImportedAt. A run with Security Hub off makes one,
// as does one whose archive Security Hub did not take (every import that
// succeeds sets LastImportedAt), or a change of home region (InRegion: the
// new one was not sent it); it stays unsent until a run sends it.
func (r *Record) unsent() bool { return r.Archived && r.LastImportedAt.IsZero() }

// maybeSuppressed reports whether Security Hub may hold the finding
// SUPPRESSED: the record says so, or a workflow update failed and Security
// Hub's status is unknown.
func (r *Record) maybeSuppressed() bool { return r.Suppressed || r.WorkflowUnknown }

// resend is the change that sends the unsent archive p, as it is: its
// UpdatedAt was moved on when it was archived and nothing was sent since,
// so it is later than what Security Hub holds; kept as it is, the
// tombstone expires as any other.
func resend(p *Record) Change {
	c := Change{Kind: StillArchived, NeedsRefresh: true, Prev: p, Record: *p}
	unsuppress(&c)
	return c
}

// archive is the change that archives the open record p, resolved by r or
// gone (r nil): UpdatedAt moved on, and unsuppressed, so that a recurrence
// reopens the finding unmuted.
func (d *differ) archive(kind Kind, r *rules.Result, p *Record) Change {
	rec := *p
	rec.Archived, rec.Unnotified, rec.Muted = true, false, false
	rec.Unreported, rec.UnreportedReason, rec.UnreportedAt = "", "", time.Time{}
	rec.UpdatedAt = d.after(p.UpdatedAt)
	c := Change{Kind: kind, Result: r, Prev: p, Record: rec}
	unsuppress(&c)
	return c
}

// unreported is the change that reports the archive a run whose digest was
// not sent made of the open record p (Record.Unreported), as that run saw
// it, for a run that cannot see the finding: resolved (PASSED, its
// reason) or gone, archived again later than that archive. Its Result is
// nil: the record says what to send.
func (d *differ) unreported(p *Record) Change {
	kind := Gone
	if p.Unreported == Resolved.String() {
		kind = Resolved
	}
	c := d.archive(kind, nil, p)
	if kind == Resolved {
		c.Record.Status, c.Record.Reason = rules.Passed, p.UnreportedReason
		c.Record.LastObservedAt, c.Record.UnavailableSince = p.UnreportedAt, time.Time{}
	}
	c.Unavailable = true
	return c
}

// unsuppress sets an archive's finding back to NEW if it was (or may have
// been) suppressed:
// Security Hub keeps SUPPRESSED when an archived finding becomes active
// again, so a recurrence would otherwise come back muted.
func unsuppress(c *Change) {
	if c.Prev.maybeSuppressed() {
		c.Workflow = WorkflowUnsuppress
		c.Record.Suppressed, c.Record.SuppressionReason = false, ""
	}
}

type differ struct {
	obs          time.Time
	refreshAfter time.Duration
}

// after is the UpdatedAt of an import that follows one sent at last: the
// observation time, or one second after last if the clock has not moved on
// (a reused report, a clock set back). Whole seconds survive any timestamp
// format.
func (d *differ) after(last time.Time) time.Time {
	next := nextSecond(last)
	if d.obs.After(next) {
		return d.obs
	}
	return next
}

// nextSecond is the first whole second after t, in UTC: the earliest
// UpdatedAt Security Hub takes after an import sent at t.
func nextSecond(t time.Time) time.Time { return t.Truncate(time.Second).Add(time.Second).UTC() }

// classify decides one result against its record p (nil: none, or an
// expired tombstone).
func (d *differ) classify(id string, r *rules.Result, p *Record) (Change, bool) {
	if r.Status != rules.Failed && p != nil && p.unsent() {
		return resend(p), true
	}
	open := p != nil && !p.Archived
	switch r.Status {
	case rules.Failed:
		return d.failing(id, r, p), true
	case rules.Passed:
		if !open {
			return Change{}, false
		}
		c := d.archive(Resolved, r, p)
		c.Record.Status, c.Record.Reason = rules.Passed, r.Reason
		c.Record.LastObservedAt, c.Record.UnavailableSince = d.obs, time.Time{}
		return c, true
	default: // NOT_AVAILABLE: keep what was known
		if !open {
			return Change{}, false
		}
		if p.Unreported != "" {
			return d.unreported(p), true
		}
		rec := *p
		if rec.UnavailableSince.IsZero() {
			rec.UnavailableSince = d.obs
		}
		// The workflow status follows the configuration, which a failure
		// to see does not change: a suppression covers the unseen result
		// (rules.Suppressor), or no longer applies. Muted stays: the digest
		// is told of an unmuting once the failure is seen again.
		rec.Suppressed, rec.SuppressionReason = r.Suppressed(), r.SuppressionReason()
		c := Change{Kind: StillFailing, Unavailable: true, Result: r, Prev: p, Record: rec, Workflow: d.workflowOf(&rec, p)}
		if p.Unnotified {
			// Opened by a run whose digest was not sent: still news,
			// reported (and sent again) as that run saw it.
			c.Kind = New
			c.Record.Unnotified = false
			c.Record.UpdatedAt = d.after(p.UpdatedAt)
			return c, true
		}
		d.refresh(&c, restated(p, &rec))
		return c, true
	}
}

func (d *differ) failing(id string, r *rules.Result, p *Record) Change {
	rec := Record{
		ID:                id,
		RuleID:            r.Rule.ID,
		Title:             r.Rule.Title,
		ResourceID:        r.ResourceID(),
		ResourceType:      r.ResourceType(),
		User:              r.User(),
		Severity:          r.Rule.Severity.String(),
		Status:            rules.Failed,
		Reason:            r.Reason,
		FirstObservedAt:   d.obs,
		LastObservedAt:    d.obs,
		UpdatedAt:         d.obs,
		Suppressed:        r.Suppressed(),
		SuppressionReason: r.SuppressionReason(),
		Muted:             r.Suppressed(),
	}
	if r.Rule.Event != nil {
		rec.EventAt = r.Rule.Event(r.Entry)
	}
	if t, ok := r.Entry.UserCreationTime.Get(); ok && !r.Entry.IsRoot() {
		rec.UserCreatedAt = t
	}
	c := Change{Kind: New, Result: r, Prev: p}
	if p != nil {
		// The Security Hub finding exists (open, or archived as a
		// tombstone): keep its first observation, and the CreatedAt and
		// last UpdatedAt Security Hub holds; UpdatedAt moves on below when
		// the change is imported.
		rec.FirstObservedAt, rec.CreatedAt, rec.TakenUpdatedAt, rec.TakenArchived = p.FirstObservedAt, p.CreatedAt, p.TakenUpdatedAt, p.tookArchive()
		rec.LastImportedAt, rec.Region = p.LastImportedAt, p.Region
		rec.UpdatedAt = p.UpdatedAt
	}
	// The user was deleted and created again under the same name since the
	// record was kept: the failure is the new user's, news, as it would be
	// had a run between seen the old one gone.
	recreated := p != nil && recreatedUser(p, &rec)
	switch {
	case p == nil || p.Archived || recreated:
		switch {
		case rec.Suppressed:
			c.Workflow = WorkflowSuppress
		case p != nil && (p.maybeSuppressed() || recreated):
			// A tombstone still marked suppressed (or unknown): its
			// unsuppress failed when it was archived, and Security Hub
			// would reopen it muted; or the finding was the old user's,
			// whose workflow status (ours, or one a person set in the
			// console: Security Hub keeps SUPPRESSED, and NOTIFIED or
			// RESOLVED on a finding that stayed open) is not the new
			// user's.
			c.Workflow = WorkflowUnsuppress
		}
	default:
		newEvent := r.Rule.Event != nil && !p.EventAt.IsZero() && rec.EventAt.After(p.EventAt)
		if p.Unnotified {
			// Opened by a run whose digest was not sent: still news.
			c.Kind = New
		} else if newEvent {
			c.Kind = New // root was used again: a new event, on the same finding
		} else if rec.Severity != p.Severity || !sameFact(p.Reason, p.LastObservedAt, r.Reason, d.obs) {
			c.Kind = Changed
			if r.Rule.Event != nil && p.EventAt.IsZero() {
				c.Kind = New // a record kept before events were: its reason says root was used again
			}
		} else {
			c.Kind = StillFailing
		}
		c.Workflow = d.workflowOf(&rec, p)
	}
	if p != nil && c.Kind != StillFailing {
		rec.UpdatedAt = d.after(p.UpdatedAt)
	}
	c.Record = rec
	if c.Kind == StillFailing { // p is open
		d.refresh(&c, restated(p, &rec))
	}
	return c
}

// restated reports whether an open finding that is still failing, its
// fact the same, now reads otherwise in Security Hub: its title (a rule's
// threshold, a custom rule's title) or its suppression reason (the
// product field; the workflow update alone leaves it as it was imported).
// A record kept before titles were has none to compare.
func restated(p, rec *Record) bool {
	return p.Title != "" && p.Title != rec.Title || p.SuppressionReason != rec.SuppressionReason
}

// workflowOf is the workflow update that takes the open finding p to rec's
// suppression: sent when it differs from what Security Hub was sent, or
// when that is unknown, or, for a suppressed one, when Security Hub may
// have deleted the finding, which this run's import then creates NEW:
// Retention has passed since its last update, less a day (the import comes
// some hours after the report), or its last import was not taken or not
// sent (no LastImportedAt), when Security Hub's last update is not known.
// A change that reaches that age imports (a refresh is due by then), or
// finds the finding still there; so does one due for import.
func (d *differ) workflowOf(rec, p *Record) Workflow {
	deleted := p.LastImportedAt.IsZero() || !d.obs.Before(p.UpdatedAt.Add(p.heldFor()-24*time.Hour))
	switch {
	case rec.Suppressed && (!p.Suppressed || p.SuppressionReason != rec.SuppressionReason || p.WorkflowUnknown || deleted):
		return WorkflowSuppress
	case !rec.Suppressed && p.maybeSuppressed():
		return WorkflowUnsuppress
	}
	return WorkflowKeep
}

// refresh marks a still-failing finding due for re-import and gives it the
// UpdatedAt to send: at once when it is restated, else refreshAfter after
// its last import, counted from the UpdatedAt Security Hub took
// (TakenUpdatedAt), from which Security Hub counts its Retention, and not
// only from when the import was made, hours after the report: else a daily
// run with refreshAfter 89 days would refresh on day 90, as Security Hub
// deletes the finding.
func (d *differ) refresh(c *Change, restated bool) {
	r := &c.Record
	if !restated && d.obs.Sub(r.LastImportedAt) < d.refreshAfter && d.obs.Sub(r.TakenUpdatedAt) < d.refreshAfter {
		return
	}
	c.NeedsRefresh = true
	c.Record.UpdatedAt = d.after(c.Record.UpdatedAt)
}

// InRegion is prev as Security Hub in region holds it, for a run that
// publishes there, and how many findings it moved. A finding last imported
// into another region (the home region was changed) is not in region, nor
// is one whose last import there failed or was not sent (Security Hub
// off), whose record still names that region and the workflow status last
// sent there:
//   - an open one's record is made due for import (no LastImportedAt, so
//     Diff refreshes it if nothing else imports it), unsuppressed and
//     WorkflowUnknown, so that Diff also sends its workflow status,
//     SUPPRESSED or NEW: the finding that import creates is NEW, but region
//     may still hold it from before the move (the home region moved away
//     and back), SUPPRESSED by a suppression removed meanwhile (Muted
//     stays: the digest's news does not move with the region);
//   - a tombstone's is made an unsent archive (no LastImportedAt), which Diff
//     sends as StillArchived unless the finding fails again first: region
//     may hold the finding open from before the move (the home region moved
//     away and back, and the finding was resolved meanwhile), and the
//     archive's UpdatedAt is later than anything imported there before;
//     and WorkflowUnknown, so that the archive also sets it back to NEW,
//     as region may hold it SUPPRESSED.
//
// Like a refresh, neither is news. A record imported before credaudit kept
// the region (no Region) is taken to be in region, and says so from now on.
// InRegion is pure: prev is not modified.
func InRegion(prev map[string]Record, region string) (map[string]Record, int) {
	var next map[string]Record // a copy of prev, made at the first record to change
	moved := 0
	for id, r := range prev {
		if r.Region == region || r.Region == "" && r.LastImportedAt.IsZero() {
			continue
		}
		switch {
		case r.Region == "":
			r.Region = region
		case r.Archived:
			r.LastImportedAt, r.Region, r.WorkflowUnknown = time.Time{}, "", true
			r.forgetHeld()
			moved++
		default:
			r.LastImportedAt, r.Region = time.Time{}, ""
			r.forgetHeld()
			r.Suppressed, r.SuppressionReason, r.WorkflowUnknown = false, "", true
			moved++
		}
		if next == nil {
			next = maps.Clone(prev)
		}
		next[id] = r
	}
	if next == nil {
		return prev, 0
	}
	return next, moved
}

// Publication is what became of a run's Security Hub updates.
type Publication struct {
	// At is when the findings were imported.
	At time.Time
	// Region is the Security Hub region they were imported into; each
	// record imported is saved with it (Record.Region).
	Region string
	// Off says nothing was sent because Security Hub publishing is turned
	// off: records move on, and each one a run would have imported loses
	// its LastImportedAt, so turning Security Hub on later imports every open
	// finding it lacks or holds an older version of, and every archive made
	// meanwhile (a tombstone with no LastImportedAt, which Diff sends as
	// StillArchived) whose finding is not failing again by then;
	// suppressions keep their previous value, so the first run back sends
	// the ones that changed, except that a finding a run would have
	// imported is saved unsuppressed (that import may create it afresh, as
	// NEW) and, if Security Hub may hold it SUPPRESSED, WorkflowUnknown, so
	// the first run back sends the status it should have, whichever it is.
	Off bool
	// FailedImports holds the IDs of the findings Security Hub did not
	// take (refused, or the whole call failed). Unsettled holds those of
	// them it may have taken all the same: sent in a call that failed,
	// whose response was lost, not refused by name.
	FailedImports, Unsettled map[string]bool
	// FailedWorkflow holds the IDs whose workflow status update failed. A
	// finding in FailedImports gets no workflow update at all, and NextAfter
	// treats it as failed too.
	FailedWorkflow map[string]bool
}

// NextAfter is the state's records after the changes were published as pub
// says: prev updated by each change's Record, with LastImportedAt set to
// pub.At for the findings that were imported, and tombstones whose
// Retention has passed dropped. Records no change mentions are kept as they
// were. NextAfter is pure: prev is not modified.
//
// A failed update is left for the next run to redo, never lost:
//   - a resolved or gone finding whose import failed is saved as an unsent
//     archive (a tombstone with no LastImportedAt), as with Security Hub
//     off: the next run sends the archive (StillArchived, no news: the
//     digest reported the resolution) with the UpdatedAt just sent, which
//     Security Hub ignores should the failed import have landed after all
//     (a request that fails part-way counts all its findings failed); a
//     finding failing again by then is New, as from any tombstone (the
//     digest said it was resolved), imported later than the archive;
//   - any other finding whose import failed keeps its new record with no
//     LastImportedAt, so the next run re-imports it (NeedsRefresh) with the
//     same FirstObservedAt and a later UpdatedAt; an unsent archive
//     (StillArchived) stays unsent, and the next run sends it again with
//     the same UpdatedAt (should the failed import have landed after all,
//     Security Hub ignores the repeat);
//   - a finding whose workflow update failed, or was not sent because its
//     import failed (Security Hub may not hold the finding yet) or Security
//     Hub is off, keeps its previous suppression, so the next run that
//     publishes sees the difference again and sends the workflow update
//     (with the import it then also owes); one whose update was sent and
//     failed is also marked WorkflowUnknown, as the update may have been
//     applied, so the next run sends the status the finding should then
//     have even if that is the previous one.
//
// Muted is saved as the run's result left it, whatever became of the
// updates: the digest reported what the run found.
func NextAfter(prev map[string]Record, changes []Change, pub Publication) map[string]Record {
	at := pub.At.UTC().Truncate(time.Second)
	next := maps.Clone(prev)
	if next == nil {
		next = make(map[string]Record, len(changes))
	}
	for i := range changes {
		c := &changes[i]
		rec := c.Record
		if c.Import() {
			switch {
			case pub.Off:
				// Not sent: Security Hub holds an older version, or none.
				// The first run with it on re-imports the finding.
				rec.LastImportedAt = time.Time{}
			case pub.FailedImports[rec.ID]:
				rec.LastImportedAt = time.Time{}
				if rec.Archived && pub.Unsettled[rec.ID] {
					// Security Hub holds this archive, which it deletes
					// ArchivedRetention after its UpdatedAt, or the import
					// taken before it, which it deletes later: the archive
					// sent again creates the finding, or is ignored as not
					// later than itself.
					rec.forgetHeld()
				}
			default:
				rec.LastImportedAt, rec.Region = at, pub.Region
				if rec.CreatedAt.IsZero() {
					rec.CreatedAt = rec.UpdatedAt // the import created it
				}
				rec.TakenUpdatedAt, rec.TakenArchived = rec.UpdatedAt, rec.Archived
			}
		}
		offImport := pub.Off && c.Import() && !rec.Archived
		switch {
		case offImport:
			// The import owed when Security Hub is back may create the
			// finding afresh (it deletes one 90 days after its last
			// update), as NEW: the first run back then sends its
			// suppression too.
			rec.Suppressed, rec.SuppressionReason = false, ""
		case c.Workflow != WorkflowKeep && (pub.Off || pub.FailedWorkflow[rec.ID] || pub.FailedImports[rec.ID]):
			// Not sent: the suppression Security Hub was last sent.
			rec.Suppressed, rec.SuppressionReason = false, ""
			if c.Prev != nil {
				rec.Suppressed, rec.SuppressionReason = c.Prev.Suppressed, c.Prev.SuppressionReason
			}
		}
		switch {
		case offImport && c.Prev != nil && c.Prev.maybeSuppressed():
			// Saved unsuppressed, as above, though Security Hub may still
			// hold the finding SUPPRESSED (it has not deleted it): the
			// first run back must send the status the finding then
			// should have, NEW included.
			rec.WorkflowUnknown = true
		case c.Workflow == WorkflowKeep || pub.Off || pub.FailedImports[rec.ID]:
			// No workflow update sent: Security Hub's status is as known
			// (or unknown) as it was.
			rec.WorkflowUnknown = c.Prev != nil && c.Prev.WorkflowUnknown
		default:
			// Sent: one that failed may have been applied all the same.
			rec.WorkflowUnknown = pub.FailedWorkflow[rec.ID]
		}
		next[rec.ID] = rec
	}
	maps.DeleteFunc(next, func(_ string, r Record) bool {
		return r.expiredAt(at)
	})
	return next
}

// NextUnnotified is the state to save after a run whose digest could not be
// sent: prev as it was, so that the next run finds the same changes and
// reports (and sends) them again, except where Security Hub may now hold
// something prev does not say (an import that failed may have landed):
//   - a finding the run opened there is saved as NextAfter would, marked
//     Unnotified: fixed before the next run, it is resolved there rather
//     than left open; failing again, it is reported as new;
//   - any other finding the run imported (changed, resolved, gone,
//     refreshed) keeps its previous record without its LastImportedAt and
//     with the UpdatedAt just sent, so the next run imports whatever it then
//     is, later than what Security Hub holds, even when that is the
//     previous record's own facts again;
//   - every finding keeps the suppression Security Hub was sent, and the
//     region it was sent to, as NextAfter saves them;
//   - a still-failing finding the run unmuted (Change.Unmuted) is saved as
//     NextAfter would, marked Unnotified: the next run, which no longer
//     finds it Muted, reports it as new;
//   - an unsent archive the run sent (StillArchived) is no news to report
//     again: it is saved as NextAfter would.
//
// With Security Hub off nothing was sent: the state is prev.
func NextUnnotified(prev map[string]Record, changes []Change, pub Publication) map[string]Record {
	if pub.Off {
		return NextAfter(prev, nil, pub) // prev, less its expired tombstones
	}
	next := NextAfter(prev, changes, pub) // what Security Hub may now hold
	for i := range changes {
		c := &changes[i]
		held, ok := next[c.ID()]
		switch {
		case !ok: // an expired tombstone, dropped
		case c.Kind == StillArchived: // no news: saved as NextAfter would
		case c.Kind == New && (c.Prev == nil || c.Prev.Archived), c.Kind == StillFailing && c.Unmuted():
			held.Unnotified = true
			next[c.ID()] = held
		default:
			rec := *c.Prev
			if c.Import() {
				rec = dueAgain(c)
			}
			if (c.Kind == Resolved || c.Kind == Gone) && rec.Unreported == "" {
				// Security Hub holds the archive; the state keeps the
				// finding open to report the change again, and what the
				// run saw, for a next run that cannot see it.
				rec.Unreported, rec.UnreportedReason, rec.UnreportedAt = c.Kind.String(), "", c.Record.UpdatedAt
				if c.Kind == Resolved {
					rec.UnreportedReason, rec.UnreportedAt = c.Record.Reason, c.Record.LastObservedAt
				}
			}
			// The workflow status is the one sent to the region that holds
			// the finding now: after a home region move, InRegion must find
			// the finding there, not in no region at all.
			rec.Suppressed, rec.SuppressionReason, rec.WorkflowUnknown = held.Suppressed, held.SuppressionReason, held.WorkflowUnknown
			rec.Region, rec.CreatedAt, rec.TakenUpdatedAt, rec.TakenArchived = held.Region, held.CreatedAt, held.TakenUpdatedAt, held.tookArchive()
			next[c.ID()] = rec
		}
	}
	return next
}

// NextUnsettled is the state to save before the changes are published, so
// that a run that then fails to save its own (NextAfter or NextUnnotified)
// leaves the next run a state that hides nothing: each import and each
// workflow update may or may not have landed, and the digest may or may
// not have been sent. It is NextUnnotified with every import and every
// workflow update failed, and each finding sent a workflow status marked
// WorkflowUnknown (Security Hub may hold either status), except that a
// finding the run resolved, or found gone, is saved as NextAfter saves one
// whose import failed: an unsent archive. The next run from it imports
// again whatever this run imported and sends again the workflow status
// each finding should then have. It reports again what this run opened,
// changed or unmuted (told twice rather than never), but not a resolution:
// that it is failing again, reported as new, must not be lost to a
// resolution told once already, and a resolution told never is the safer
// loss. pub says where the changes are to be published (At, Region, Off);
// its failures are not read.
func NextUnsettled(prev map[string]Record, changes []Change, pub Publication) map[string]Record {
	failed := Publication{At: pub.At, Region: pub.Region, Off: pub.Off, FailedImports: map[string]bool{}, Unsettled: map[string]bool{}, FailedWorkflow: map[string]bool{}}
	var closed []Change
	for i := range changes {
		c := &changes[i]
		if c.Import() {
			failed.FailedImports[c.ID()], failed.Unsettled[c.ID()] = true, true
		}
		if c.Workflow != WorkflowKeep {
			failed.FailedWorkflow[c.ID()] = true
		}
		if c.Kind == Resolved || c.Kind == Gone {
			closed = append(closed, *c)
		}
	}
	next := NextUnnotified(prev, changes, failed)
	maps.Copy(next, NextAfter(nil, closed, failed))
	if pub.Off {
		return next
	}
	for id := range failed.FailedWorkflow {
		if rec, ok := next[id]; ok {
			rec.WorkflowUnknown = true
			next[id] = rec
		}
	}
	return next
}

// dueAgain is c's previous record, due for import (no LastImportedAt) with
// the UpdatedAt c's import sent: Security Hub may hold that import, and the
// next must be later or it is ignored.
func dueAgain(c *Change) Record {
	rec := *c.Prev
	rec.LastImportedAt, rec.UpdatedAt = time.Time{}, c.Record.UpdatedAt
	return rec
}

// AfterConflict is the state's records to save when another run saved
// first: theirs, the records that run saved, reconciled with each finding
// this run sent to Security Hub (sent: imported, or given a workflow
// status), since Security Hub now holds whichever of the two runs' imports
// has the later UpdatedAt (the first of two equal ones).
//
// A finding both runs sent alike (the same status, reason, severity,
// archive and suppression: they saw the same report and configuration, as
// two overlapping runs mostly do) keeps theirs, with the later of the two
// UpdatedAt, after which the next import must be.
//
// One they sent otherwise, or did not send, keeps the record of the run
// that saw the newer report (oursNewer says whether this run did, or saw
// the same one), whose digest reported it so, or ours when theirs has none
// (so that a finding only this run opened is resolved when it passes); and
// it is made due to be sent again: no LastImportedAt, so the next run
// imports it, or sends its archive, as it then finds it (an archive after
// both runs' UpdatedAt), and WorkflowUnknown, so it sends its workflow
// status. Else a finding this run resolved could stay archived while their
// state holds it open, and never be sent again while it fails.
//
// told holds the findings whose change this run's digest reported
// (Change.News; none when its digest was not sent): where one run's record
// is open and the other's archived, the record kept is the one the user
// was last told of (lastTold); one both hold open that this run reported
// is not Unnotified, whether or not the other run's digest was sent; and an unmuting this run reported of a
// finding it did not send (the suppression never reached Security Hub)
// leaves their record not Muted, or the next run reports it again.
//
// AfterConflict is pure: theirs and ours are not modified.
func AfterConflict(theirs, ours map[string]Record, sent []string, told map[string]bool, oursNewer bool) map[string]Record {
	next := maps.Clone(theirs)
	if next == nil {
		next = make(map[string]Record, len(sent))
	}
	isSent := make(map[string]bool, len(sent))
	for _, id := range sent {
		isSent[id] = true
	}
	// A finding this run did not send (Security Hub publishing off) is
	// reconciled as a sent one when its digest reported its change, when
	// one run muted it and the other not, or when only this run, on the
	// newer report, holds it (opened muted, so no news): else the user, told
	// by this run, would be told again, or never told it was fixed (or
	// unmuted), by the next run from theirs.
	reconcile := slices.Clone(sent)
	for id, mine := range ours {
		r, ok := theirs[id]
		if !isSent[id] && (told[id] || !ok && oursNewer || ok && r.Muted != mine.Muted) {
			reconcile = append(reconcile, id)
		}
	}
	for _, id := range reconcile {
		r, ok := theirs[id]
		mine, mineOK := ours[id]
		if !mineOK {
			continue
		}
		updated := later(mine.UpdatedAt, r.UpdatedAt) // r is zero when only ours holds it
		if ok && sentAlike(r, mine) {
			r.UpdatedAt, r.CreatedAt = updated, heldCreatedAt(r, mine)
			if mine.TakenUpdatedAt.After(r.TakenUpdatedAt) {
				r.TakenUpdatedAt, r.TakenArchived = mine.TakenUpdatedAt, mine.tookArchive()
			}
			r.EventAt = later(r.EventAt, mine.EventAt) // the event one run's digest may have reported
			r.Unnotified = r.Unnotified && !toldOpen(told[id], mine, r)
			next[id] = r
			continue
		}
		if ok {
			first := r.FirstObservedAt
			r = lastTold(r, mine, told[id], oursNewer)
			r.Unnotified = r.Unnotified && !toldOpen(told[id], mine, r)
			// Both runs opened it, each as of its own report: Security
			// Hub holds the earlier one's CreatedAt when only it sent the
			// finding, and takes it back from the next import otherwise.
			if first.Before(r.FirstObservedAt) {
				r.FirstObservedAt = first
			}
		} else {
			r = mine
		}
		// Which run's import Security Hub holds, and so its CreatedAt, is
		// not known: the next import sends its own UpdatedAt as CreatedAt.
		r.LastImportedAt, r.Region, r.WorkflowUnknown, r.UpdatedAt = time.Time{}, "", true, updated
		r.forgetHeld()
		if r.Archived {
			// An unsent archive is sent with its own UpdatedAt, which
			// must be later than either run's import.
			r.UpdatedAt = nextSecond(updated)
		}
		next[id] = r
	}
	// An unmuting this run reported without sending Security Hub anything
	// (the suppression was never sent there): theirs, which may still say
	// Muted, would report it again.
	for id := range told {
		r, ok := next[id]
		if mine, mineOK := ours[id]; ok && mineOK && r.Muted && !mine.Muted && !r.Archived && !isSent[id] {
			r.Muted = false
			next[id] = r
		}
	}
	return next
}

// toldOpen reports whether this run's digest reported the finding failing
// (new, changed or unmuted) and the record kept is open too: the other
// run's Unnotified mark (its digest was not sent) no longer holds, or the
// next run reports the same news again.
func toldOpen(toldOurs bool, ours, kept Record) bool {
	return toldOurs && !ours.Archived && !kept.Archived
}

// heldCreatedAt is the CreatedAt Security Hub holds of a finding two
// overlapping runs' records describe: that of the import with the later
// UpdatedAt, which Security Hub kept, else the one known.
func heldCreatedAt(theirs, ours Record) time.Time {
	if ours.UpdatedAt.After(theirs.UpdatedAt) && !ours.CreatedAt.IsZero() || theirs.CreatedAt.IsZero() {
		return ours.CreatedAt
	}
	return theirs.CreatedAt
}

// later is the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// lastTold is the record to keep of a finding two overlapping runs sent
// otherwise: ours when this run saw the newer report (oursNewer), else
// theirs; but the digests, which the two sent in no known order, may leave
// the user last told otherwise. toldOurs says whether this run's digest
// reported the finding's change (Change.News).
//
// The record kept open, when the other run archived it: one digest said it
// was resolved or gone, so it is marked Unnotified and the next run that
// finds it failing reports it as new; unless the other digest was this
// run's, and reported nothing, or this run's, kept, reported it failing.
//
// The record kept archived, when the other run holds it open: that run
// reopened it, and its digest said so, unless muted or not sent
// (Unnotified), when this run's archive was no news (it reported neither
// a resolution nor a removal); or this run's digest said so, when theirs
// is kept. The other run's open record is kept then, as the user was last
// told, and the next run resolves it, or finds it gone, when it is.
func lastTold(theirs, ours Record, toldOurs, oursNewer bool) Record {
	kept, other := theirs, ours
	if oursNewer {
		kept, other = ours, theirs
	}
	switch otherTold := toldOurs != oursNewer; {
	case !kept.Archived && other.Archived && otherTold:
		kept.Unnotified = true
	case kept.Archived && !other.Archived && otherTold && !other.Unnotified && !other.Muted:
		return other
	}
	return kept
}

// SeenClosed marks, after AfterConflict, each open record that this run,
// on the newer report, saw closed: its result passes (resolved), or there
// is none (gone: the user deleted, or the rule not run). The record is
// open as the other run's digest last told it (or as Security Hub holds
// it), and this run's digest did not report it closed, as its own state
// had it closed already: it is marked Unreported as this run saw it
// (observedAt), so a next run that cannot see the finding reports that,
// and one that sees it decides afresh. A record this run could not see is
// left as it is; one it saw failing is no longer Unreported (the other
// run's digest was not sent, and it saw an older report).
func SeenClosed(records map[string]Record, results []rules.Result, accountID string, observedAt time.Time) {
	obs := observedAt.UTC().Truncate(time.Second)
	seen := make(map[string]bool)
	var buf []byte
	for i := range results {
		var (
			id  string
			rec Record
			had bool
		)
		r := &results[i]
		buf, id, rec, had = lookup(records, buf, accountID, r)
		if !had || rec.Archived {
			continue
		}
		seen[id] = true
		switch r.Status {
		case rules.Passed:
			rec.Unreported, rec.UnreportedReason, rec.UnreportedAt = Resolved.String(), r.Reason, obs
		case rules.Failed:
			// The other run's unsent close, if any: this run saw it fail since.
			rec.Unreported, rec.UnreportedReason, rec.UnreportedAt = "", "", time.Time{}
		}
		records[id] = rec
	}
	for id, rec := range records {
		if !rec.Archived && !seen[id] {
			rec.Unreported, rec.UnreportedReason, rec.UnreportedAt = Gone.String(), "", obs
			records[id] = rec
		}
	}
}

// sentAlike reports whether two runs' records of a finding, both sent to
// Security Hub, sent it the same content, and muted it alike (a run with
// Security Hub off mutes a finding without sending it).
func sentAlike(a, b Record) bool {
	return !a.LastImportedAt.IsZero() && !b.LastImportedAt.IsZero() && a.Region == b.Region &&
		a.Status == b.Status && a.Reason == b.Reason && a.Severity == b.Severity && a.Title == b.Title &&
		a.Archived == b.Archived && a.Suppressed == b.Suppressed && a.SuppressionReason == b.SuppressionReason &&
		a.Muted == b.Muted && !a.WorkflowUnknown && !b.WorkflowUnknown
}
