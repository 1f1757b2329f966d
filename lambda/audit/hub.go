package audit

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/rules"
)

// HubReport is what the run did in Security Hub.
type HubReport struct {
	// Off: Security Hub publishing is turned off.
	Off bool
	// Region is the home region findings went to.
	Region string
	// Imported counts findings Security Hub took; Failed those it did not.
	Imported, Failed int
	// Workflow counts findings whose workflow status was set;
	// WorkflowFailed those whose update failed (their import went in).
	Workflow, WorkflowFailed int
	// Requests counts API calls.
	Requests int
	Err      error
}

// unsuppressNote is the workflow note of a finding whose suppression no
// longer applies; resendNote that of one sent NEW though none was lifted,
// because Security Hub may hold another status (an update that may have
// landed, a home region moved away and back); recreatedNote that of a
// finding whose user was deleted and created again, whatever status the
// old user's finding had.
const (
	unsuppressNote = "credaudit: the suppression expired or was removed"
	resendNote     = "credaudit: not suppressed (sent again: Security Hub may hold an older status)"
	recreatedNote  = "credaudit: the user was deleted and created again; the old user's status does not carry over"
)

// publishHub imports the changes that need it and sets workflow statuses,
// and says what became of each for the next state.
func (a *Auditor) publishHub(ctx context.Context, out *Outcome, partition string) (finding.Publication, error) {
	pub := finding.Publication{At: a.now(), FailedImports: map[string]bool{}, Unsettled: map[string]bool{}, FailedWorkflow: map[string]bool{}}
	if a.Hub == nil {
		pub.Off = true
		out.Hub.Off = true
		a.log().LogAttrs(ctx, slog.LevelInfo, "publish", slog.Bool("security_hub", false))
		return pub, nil
	}
	out.Hub.Region, pub.Region = a.HubRegion, a.HubRegion
	findings := mapChanges(out, partition, a.HubRegion, a.Selected)
	var errs []error
	sent := make([]types.AwsSecurityFinding, 0, len(findings))
	for _, f := range findings {
		if f.err != nil {
			pub.FailedImports[f.id] = true
			errs = append(errs, f.err)
			continue
		}
		sent = append(sent, f.asff)
	}
	if len(sent) > 0 {
		st, err := a.Hub.Import(ctx, sent)
		out.Hub.Requests += st.Requests
		out.Hub.Imported += st.Succeeded
		if err != nil {
			errs = append(errs, err)
			ids := make([]string, len(sent))
			for i := range sent {
				ids[i] = *sent[i].Id
			}
			markFailed(pub.FailedImports, pub.Unsettled, err, ids)
		}
	}
	out.Hub.Failed = len(pub.FailedImports)

	productARN := publish.DefaultProductARN(partition, a.HubRegion, out.AccountID)
	for _, wf := range workflowUpdates(out.Changes, pub.FailedImports) {
		ids := make([]publish.FindingIdentifier, len(wf.ids))
		for i, id := range wf.ids {
			ids[i] = publish.FindingIdentifier{ID: id, ProductARN: productARN}
		}
		st, err := a.Hub.UpdateWorkflow(ctx, ids, wf.status, wf.note)
		out.Hub.Requests += st.Requests
		out.Hub.Workflow += st.Succeeded
		if err != nil {
			errs = append(errs, err)
			markFailed(pub.FailedWorkflow, nil, err, wf.ids)
		}
	}
	out.Hub.WorkflowFailed = len(pub.FailedWorkflow)
	err := errors.Join(errs...)
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.String("region", a.HubRegion), slog.Int("to_import", len(findings)), slog.Int("imported", out.Hub.Imported),
		slog.Int("failed", out.Hub.Failed), slog.Int("workflow_updates", out.Hub.Workflow), slog.Int("workflow_failed", out.Hub.WorkflowFailed),
		slog.Int("requests", out.Hub.Requests)}
	if err != nil {
		attrs = append(attrs, slog.String("error", LogSafe(err)))
	}
	a.log().LogAttrs(ctx, level, "publish", attrs...)
	return pub, err
}

// markFailed records which of ids an error covers: exactly the findings a
// *FailedFindingsError names; for a *publish.StoppedError, those and the
// ones it did not send, as the requests before it stand; all of them for
// any other error, or failures Security Hub counted but did not name.
// Sending one again that got through is harmless (an import's UpdatedAt
// moves on, a workflow status is set to the same value) but for the import
// that created it: the next import would send its own CreatedAt.
// unsettled, nil for workflow updates, gets the ones that may have landed
// all the same: all but those a *FailedFindingsError names as refused.
func markFailed(failed, unsettled map[string]bool, err error, ids []string) {
	var named, maybe []string // maybe: sent in a call that failed, or not known to be refused
	switch e := err.(type) {
	case *publish.FailedFindingsError:
		named = e.IDs()
	case *publish.StoppedError:
		named, maybe = e.Unsent, e.Unsent
		if e.Failed != nil {
			named = slices.Concat(named, e.Failed.IDs())
		}
	default:
		named, maybe = ids, ids
	}
	if slices.Contains(named, "") {
		named, maybe = ids, ids
	}
	for _, id := range named {
		failed[id] = true
	}
	if unsettled != nil {
		for _, id := range maybe {
			unsettled[id] = true
		}
	}
}

type workflowUpdate struct {
	status types.WorkflowStatus
	note   string
	ids    []string
}

// workflowUpdates groups the changes' workflow updates by status and note
// (BatchUpdateFindings takes one note per call), skipping findings whose
// import failed: Security Hub may not have them yet. finding.NextAfter
// keeps such a finding's previous suppression, so the next run sends both
// again.
func workflowUpdates(changes []finding.Change, failedImports map[string]bool) []workflowUpdate {
	var out []workflowUpdate
	index := map[[2]string]int{}
	for i := range changes {
		c := &changes[i]
		if c.Workflow == finding.WorkflowKeep || failedImports[c.ID()] {
			continue
		}
		status, note := types.WorkflowStatusNew, unsuppressNote
		switch {
		case c.Recreated():
			note = recreatedNote
		case c.Prev == nil || !c.Prev.Muted:
			note = resendNote
		}
		if c.Workflow == finding.WorkflowSuppress {
			status, note = types.WorkflowStatusSuppressed, "credaudit suppression: "+c.Record.SuppressionReason
		}
		k := [2]string{string(status), note}
		j, ok := index[k]
		if !ok {
			j = len(out)
			index[k] = j
			out = append(out, workflowUpdate{status: status, note: note})
		}
		out[j].ids = append(out[j].ids, c.ID())
	}
	return out
}

// mapped is one change mapped to ASFF, or the error that prevented it.
type mapped struct {
	id   string
	asff types.AwsSecurityFinding
	err  error
}

// Findings maps the changes of out that must be imported to ASFF, in
// change order: exactly what the run sends to Security Hub in region (and
// what `credaudit scan --format asff` prints). Changes that cannot be mapped
// are left out and named in the error.
func Findings(out *Outcome, partition, region string, selected []rules.Selected) ([]types.AwsSecurityFinding, error) {
	var (
		res  []types.AwsSecurityFinding
		errs []error
	)
	for _, m := range mapChanges(out, partition, region, selected) {
		if m.err != nil {
			errs = append(errs, m.err)
			continue
		}
		res = append(res, m.asff)
	}
	return res, errors.Join(errs...)
}

// mapChanges maps the changes that must be imported, each to its ASFF
// finding or the error that prevented it.
func mapChanges(out *Outcome, partition, region string, selected []rules.Selected) []mapped {
	var res []mapped
	gen := out.Observation.Report.GeneratedTime
	for i := range out.Changes {
		c := &out.Changes[i]
		if !c.Import() {
			continue
		}
		rec := &c.Record
		f := publish.Finding{
			ID: rec.ID, AccountID: out.AccountID, Partition: partition, Region: region, ReportGeneratedAt: gen,
			FirstObservedAt: rec.FirstObservedAt, CreatedAt: rec.CreatedAt, LastObservedAt: rec.LastObservedAt, UpdatedAt: rec.UpdatedAt,
		}
		switch {
		case c.Result == nil:
			// Gone, StillArchived, or a resolution a run whose digest was
			// not sent saw, reported by one that cannot see the finding:
			// sent from the record (an archive sent late is the one the
			// record was archived with, whatever this run's result).
			f.Result = resultOf(rec, partition, out.AccountID, selected)
			f.RecordState = types.RecordStateArchived
		case c.Kind == finding.Resolved:
			f.Result = c.Result
			f.RecordState = types.RecordStateArchived
		case c.Unavailable:
			// Not seen this run: re-send what was last known, so the
			// finding neither expires nor reads as an all-clear.
			r := *c.Result
			r.Status, r.Reason = rules.Failed, rec.Reason
			f.Result = &r
			f.LastObservedAt = rec.LastObservedAt
		default:
			f.Result = c.Result
		}
		asff, err := publish.ASFF(f)
		res = append(res, mapped{id: rec.ID, asff: asff, err: err})
	}
	return res
}

// resultOf rebuilds the result a gone or archived finding last had from its
// record: the rule as it runs now, or as the catalog has it with the title
// the record kept, or — a custom rule since removed — from what the record
// kept.
func resultOf(rec *finding.Record, partition, acct string, selected []rules.Selected) *rules.Result {
	var rule *rules.Rule
	if i := slices.IndexFunc(selected, func(s rules.Selected) bool { return s.Rule.ID == rec.RuleID }); i >= 0 {
		rule = selected[i].Rule
	} else if r, ok := rules.Lookup(rec.RuleID); ok {
		rule = r
		if rec.Title != "" && rec.Title != r.Title {
			// Its title as it last ran (a threshold the configuration
			// set, which the record's reason speaks of), not the catalog's.
			kept := *r
			kept.Title = rec.Title
			rule = &kept
		}
	} else {
		sev, _ := rules.ParseSeverity(rec.Severity) // a label: the diff writes one, and State.check refuses a state without
		title := rec.Title
		if title == "" { // a record kept before titles were: Security Hub takes no finding without one
			title = "credaudit rule " + rec.RuleID + ", no longer configured"
		}
		rule = &rules.Rule{ID: rec.RuleID, Title: title, Description: title, Severity: sev}
	}
	arn := rec.ResourceID
	if rec.ResourceType == rules.ResourceAccount {
		arn = credreport.RootARN(partition, acct)
	}
	return &rules.Result{Rule: rule, Entry: &credreport.Entry{User: rec.User, ARN: arn}, Status: rec.Status, Reason: rec.Reason}
}
