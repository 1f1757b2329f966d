package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/rules"
	"github.com/credaudit/credaudit/lambda/state"
)

// IAMAPI is what a run calls in IAM: the credential report, the account
// facts root rules need, and the account alias for the digest.
type IAMAPI interface {
	credreport.API
	AccountAPI
	ListAccountAliases(ctx context.Context, in *iam.ListAccountAliasesInput, optFns ...func(*iam.Options)) (*iam.ListAccountAliasesOutput, error)
}

// SNSAPI is what a run calls in SNS.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Auditor runs audits of one account. The zero values of the optional
// fields turn the matching step off, which is how the CLI runs a partial
// audit (no Security Hub, no topic, a local state).
type Auditor struct {
	// IAM reads the report and the account facts; Observe needs it.
	IAM IAMAPI
	// Caller names whom IAM is called as, for the hint of a refused call:
	// "" is the function's role; a member account's run names the member
	// role it assumed.
	Caller string
	// Fetcher tunes report acquisition (backoff, the reuse age); its Client
	// is set to IAM. The zero value is the documented defaults.
	Fetcher credreport.Fetcher

	// Selected are the rules to run (config.Config.Selection) and Profile
	// the profile's name, for the digest.
	Selected []rules.Selected
	Profile  string
	// Suppressions from the configuration.
	Suppressions []rules.Suppression

	// Store keeps the state between runs; nil runs without one (every
	// failing result is new, and nothing is saved).
	Store state.Store
	// RefreshAfter is when a still-failing finding is imported again; zero
	// means finding.DefaultRefreshAfter.
	RefreshAfter time.Duration

	// Hub imports findings into Security Hub in HubRegion; nil turns
	// Security Hub off.
	Hub *publish.Importer
	// HubRegion is the Security Hub home region. Unless it is empty, a
	// finding (open, or archived in the last 90 days) the state says was last
	// imported elsewhere is owed there (finding.InRegion), with Security Hub
	// on or off: a run with it off saves the import as owed, as it does
	// every import it does not send.
	HubRegion string

	// Topic and TopicARN receive the digest and operational alerts; a nil
	// Topic only logs them.
	Topic    SNSAPI
	TopicARN string
	// Notify says when a digest is sent; operational errors always are,
	// unless NoAlerts is set.
	Notify NotifyMode
	// NoAlerts leaves a failure's report to the caller: the run logs it
	// and returns it but sends no operational alert. An organisation run
	// sets it for its per-account audits and reports failures in its one
	// digest.
	NoAlerts bool

	// AccountID, when set, is the account the run must audit: a report of
	// another account is an error (a role assumed in the wrong account).
	AccountID string
	// AsOf overrides the time the report is evaluated at (CLI --as-of);
	// zero means the report's GeneratedTime.
	AsOf time.Time
	// Delivery names the event that started the run: its Scheduler
	// execution ID or EventBridge event ID (handler.Request), saved with
	// the state (state.State.Delivery). Scheduler and Lambda each deliver
	// an event at least once, so a run may be a second delivery of one
	// already run, or being run: when the state it loads names its
	// delivery, or its save ahead finds that another run of it saved first,
	// it publishes and saves nothing, and its Outcome says Duplicate. ""
	// (the command line, an invocation by hand with {}, an organisation's
	// audits) turns the check off.
	Delivery string

	// Log receives one JSON line per phase (counts only, never report
	// contents); nil discards. Metrics receives the run's CloudWatch
	// embedded-metric-format line; nil writes none. MetricsLevel is the
	// line's "level", which Lambda filters it by; "" is INFO.
	// MetricsAcrossAccounts writes the metrics without the AccountId
	// dimension, for an organisation's audits: their points add up in one
	// series per metric, where one per account would cost 15 custom
	// metrics per member account. AccountId stays a field of the line.
	Log                   *slog.Logger
	Metrics               io.Writer
	MetricsLevel          string
	MetricsAcrossAccounts bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Observation is what a run saw of the account: the report and the facts
// beyond it.
type Observation struct {
	Report *credreport.Report
	// AsOf is the instant the report describes (its GeneratedTime, or the
	// override); rules and the state are evaluated at it.
	AsOf time.Time
	// Account holds the root facts beyond the report; nil, with AccountErr
	// saying why, when they could not be read, and nil alone when no
	// selected rule reads them (they are then not read). AccountEffect
	// says what the selected rules do without them (AccountFactsEffect),
	// which AccountErr cost them.
	Account       *rules.Account
	AccountErr    error
	AccountEffect string
	// Alias is the account alias, "" when there is none or it could not be
	// read.
	Alias string
	// Started is when the run began, for its duration; zero means when
	// Audit began.
	Started time.Time
}

// Failure is a run that could not see, or could not start: the report,
// the configuration or the previous state could not be read. Nothing was
// published and the state is as it was.
type Failure struct {
	// Phase is the step that failed.
	Phase Phase
	Err   error
	// Hint says what to check: a permission, a setting.
	Hint string
}

// Phase is the step of a run that failed, as the alert's subject ("audit
// FAILED (acquire)") and the log's "phase" attribute name it.
type Phase string

// The steps a run can fail at: an account's audit (the function, or the
// command line's audit and scan --state), then the organisation run's own.
const (
	PhaseSettings      Phase = "settings"      // the function's environment
	PhaseEvent         Phase = "event"         // the invocation's event
	PhaseConfiguration Phase = "configuration" // the rules' configuration file
	PhaseAcquire       Phase = "acquire"       // generating and fetching the report
	PhaseParse         Phase = "parse"         // reading the report fetched
	PhaseLoadState     Phase = "load state"
	PhaseEvaluate      Phase = "evaluate" // a custom rule failed on a row
	PhaseSaveState     Phase = "save state"
	PhaseRun           Phase = "run" // any other error of a run

	PhaseAssumeRole          Phase = "assume role" // an account's member role
	PhaseListAccounts        Phase = "list accounts"
	PhaseOrganisationResults Phase = "organisation results" // the accounts' results, gathered
	PhaseOrganisationRun     Phase = "organisation run"     // the map over the accounts
)

// Error is the phase and the error, the phase once: a store's own errors
// begin with it ("load state s3://…: …").
func (f *Failure) Error() string {
	msg := f.Err.Error()
	if strings.HasPrefix(msg, string(f.Phase)) {
		return msg
	}
	return string(f.Phase) + ": " + msg
}

func (f *Failure) Unwrap() error { return f.Err }

// Outcome is what a run did.
type Outcome struct {
	AccountID   string
	Alias       string
	Profile     string
	Observation *Observation
	Results     []rules.Result
	Outcomes    []rules.SuppressionOutcome
	Changes     []finding.Change
	Counts      Counts
	Hub         HubReport
	// Digest is the message the run composed, sent or not; Notified says
	// it was published.
	Digest   Message
	Notified bool
	// Saved says the new state was written; Conflict that another run had
	// saved first, so this one wrote nothing.
	Saved, Conflict bool
	// Duplicate says the run was a second delivery of an event another
	// run already ran, or was running (Auditor.Delivery): it has no
	// results, and published and saved nothing.
	Duplicate bool
	Duration  time.Duration
}

func (a *Auditor) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

func (a *Auditor) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Run is one whole audit: Observe, then Audit. A failure to observe sends
// an operational alert and returns a *Failure.
func (a *Auditor) Run(ctx context.Context) (*Outcome, error) {
	obs, err := a.Observe(ctx)
	if err != nil {
		return nil, a.Fail(ctx, err)
	}
	return a.Audit(ctx, obs)
}

// Observe acquires and parses the report and reads the account facts. Its
// error is a *Failure.
func (a *Auditor) Observe(ctx context.Context) (*Observation, error) {
	start := a.now()
	f := a.Fetcher
	f.Client = a.IAM
	if f.Now == nil {
		f.Now = a.Now
	}
	got, err := f.Fetch(ctx)
	if err != nil {
		return nil, &Failure{Phase: PhaseAcquire, Err: err, Hint: acquireHint(err, a.Caller)}
	}
	age := a.now().Sub(got.GeneratedTime).Round(time.Second)
	a.log().LogAttrs(ctx, slog.LevelInfo, "acquire",
		slog.Time("generated_at", got.GeneratedTime), slog.Float64("age_seconds", age.Seconds()),
		slog.Bool("generated", got.Generated), slog.Int("attempts", got.Attempts), slog.Int("bytes", len(got.Content)))
	rep, err := credreport.Parse(got.Content)
	if err != nil {
		return nil, &Failure{Phase: PhaseParse, Err: fmt.Errorf("the credential report IAM returned: %w", err),
			Hint: "the report's format is not what credaudit knows; nothing was changed. Save the report (aws iam get-credential-report) and report the error."}
	}
	rep.GeneratedTime = got.GeneratedTime
	a.log().LogAttrs(ctx, slog.LevelInfo, "parse", slog.Int("users", len(rep.Users)), slog.Bool("root", rep.Root != nil))
	obs := &Observation{Report: rep, AsOf: rep.GeneratedTime, Started: start}
	if !a.AsOf.IsZero() {
		obs.AsOf = a.AsOf
	}
	if obs.AccountEffect = AccountFactsEffect(a.Selected); obs.AccountEffect != "" {
		obs.Account, obs.AccountErr = ReadAccount(ctx, a.IAM, rep)
		if obs.AccountErr != nil {
			a.log().LogAttrs(ctx, slog.LevelWarn, "account facts", slog.String("error", LogSafe(obs.AccountErr)),
				slog.String("effect", obs.AccountEffect))
		}
	}
	obs.Alias = ReadAlias(ctx, a.IAM, a.log())
	return obs, nil
}

// ReadAlias returns the account's alias, or "" (an account has at most one;
// failing to read it only costs the digest a name). log, nil to discard,
// gets a warning when it cannot be read.
func ReadAlias(ctx context.Context, client IAMAPI, log *slog.Logger) string {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out, err := client.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
	if err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "account alias", slog.String("error", LogSafe(err)))
		return ""
	}
	if len(out.AccountAliases) == 0 {
		return ""
	}
	return out.AccountAliases[0]
}

func acquireHint(err error, caller string) string {
	switch {
	case errors.Is(err, credreport.ErrAccessDenied):
		if caller == "" {
			caller = "the function's role"
		}
		return "grant " + caller + " iam:GenerateCredentialReport and iam:GetCredentialReport (the error names the one refused; a service control policy may deny them too)."
	case errors.Is(err, credreport.ErrNotReady):
		switch credreport.HoldupOf(err) {
		case credreport.HoldupThrottled:
			return "IAM throttled the report's calls until the run's deadline: every caller in the account shares IAM's request rate (the console, other tools); the next run tries again. If this repeats, look for what else calls IAM at that time, or run at another."
		case credreport.HoldupNoCapacity:
			return "IAM had no capacity to start generating the report (LimitExceeded) until the run's deadline: that is on AWS's side, and the next run tries again."
		case credreport.HoldupServiceFailure:
			return "IAM failed (ServiceFailure) until the run's deadline: that is on AWS's side, and the next run tries again."
		}
		return "IAM was still generating the report at the run's deadline (a large account's can take minutes); it goes on, and the next run reads it. If this repeats and the function's timeout is below Lambda's 900-second maximum, raise it."
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "the run ran out of time; if the function's timeout is below Lambda's 900-second maximum, raise it."
	}
	return "check the IAM endpoint, throttling and the function's network access; the next run will try again."
}

// ErrOlderReport is the failure of a run whose report is older than the one
// the state last saw.
var ErrOlderReport = errors.New("the report is older than the one the state last saw")

// ErrFutureReport is the failure of a run whose report (or --as-of) is more
// than MaxAhead after now.
var ErrFutureReport = errors.New("the report's time is in the future")

// MaxAhead is how far after now a report's time may be: a clock's skew,
// not a date mistyped.
const MaxAhead = time.Hour

// Audit evaluates obs, diffs it against the stored state, publishes and
// saves. A *Failure (the state could not be loaded or saved ahead, a
// custom rule failed) publishes nothing and sends an operational alert. Any other error is
// returned with the Outcome of what was done: a publishing error is also in
// the digest.
func (a *Auditor) Audit(ctx context.Context, obs *Observation) (*Outcome, error) {
	rep := obs.Report
	acct := rep.AccountID
	switch {
	case acct == "":
		// Parse refuses a report without rows; one made otherwise would
		// have every open finding resolved as gone.
		return nil, a.Fail(ctx, &Failure{Phase: PhaseParse, Err: errors.New("the report has no rows, so it names no account"),
			Hint: "a real report always has the root account's row; check the IAM endpoint."})
	case a.AccountID != "" && acct != a.AccountID:
		return nil, a.Fail(ctx, &Failure{Phase: PhaseAcquire, Err: fmt.Errorf("the report is of account %s, not %s", acct, a.AccountID),
			Hint: "the credentials (or the assumed role) belong to another account."})
	case (a.Store != nil || a.Hub != nil || a.Topic != nil) && obs.AsOf.After(a.now().Add(MaxAhead)):
		// Saved, such a time would make every later report older than
		// the state (ErrOlderReport), and sent, findings observed later;
		// a run that keeps and sends nothing (ASFF on stdout) may look
		// ahead.
		return nil, a.Fail(ctx, &Failure{Phase: PhaseAcquire,
			Err:  fmt.Errorf("%w: the report is as of %s, and it is now %s", ErrFutureReport, obs.AsOf.UTC().Format(time.RFC3339), a.now().UTC().Format(time.RFC3339)),
			Hint: "saved, that time would make every later report look older and be refused; check --as-of, the report's GeneratedTime, or this clock."})
	}
	out := &Outcome{AccountID: acct, Alias: obs.Alias, Profile: a.Profile, Observation: obs}
	start := obs.Started
	if start.IsZero() {
		start = a.now()
	}

	prev, token := state.New(acct), state.NoObject
	if a.Store != nil {
		var err error
		if prev, token, err = a.Store.Load(ctx, acct); err != nil {
			return nil, a.fail(ctx, acct, &Failure{Phase: PhaseLoadState, Err: err, Hint: a.Store.Hint(err)})
		}
	}
	if a.Delivery != "" && prev.Delivery == a.Delivery {
		return a.duplicate(ctx, out, prev, start), nil
	}
	if obs.AsOf.Before(prev.GeneratedAt) {
		// Diffed against a later state, an older report would reopen what
		// was fixed since and report it as news, in Security Hub too.
		return nil, a.fail(ctx, acct, &Failure{Phase: PhaseLoadState,
			Err:  fmt.Errorf("%w, as of %s: the report is as of %s", ErrOlderReport, prev.GeneratedAt.UTC().Format(time.RFC3339), obs.AsOf.UTC().Format(time.RFC3339)),
			Hint: "auditing it would move the state back and reopen what was fixed since; audit a newer report (if two runs overlapped, the newer one has)."})
	}

	// What Security Hub holds in the home region: after a change of home
	// region, every open finding, and every archive, is owed there.
	held, moved := prev.Records, 0
	if a.HubRegion != "" {
		held, moved = finding.InRegion(prev.Records, a.HubRegion)
	}

	results, err := rules.Evaluate(rules.Input{Report: rep, AsOf: obs.AsOf, Account: obs.Account, AccountUnread: obs.AccountErr != nil}, a.Selected)
	if err != nil {
		return nil, a.fail(ctx, acct, &Failure{Phase: PhaseEvaluate, Err: err, Hint: "a custom rule's expression failed on a row; fix it in the configuration (the error names the rule and the row)."})
	}
	out.Results = results
	out.Outcomes = rules.Suppress(results, a.Suppressions, obs.AsOf)
	out.Changes = finding.Diff(held, results, acct, obs.AsOf, a.RefreshAfter)
	out.Counts = count(results, out.Changes)
	a.log().LogAttrs(ctx, slog.LevelInfo, "evaluate", slog.Int("rules", len(a.Selected)), slog.Int("results", len(results)),
		slog.Int("failing", out.Counts.Failing), slog.Int("suppressed", out.Counts.Suppressed), slog.Int("not_available", out.Counts.NotAvailable))
	a.log().LogAttrs(ctx, slog.LevelInfo, "diff", slog.Int("new", out.Counts.New), slog.Int("changed", out.Counts.Changed),
		slog.Int("unmuted", out.Counts.Unmuted), slog.Int("still_failing", out.Counts.StillFailing),
		slog.Int("resolved", out.Counts.Resolved), slog.Int("gone", out.Counts.Gone), slog.Int("previous_records", len(prev.Records)))
	if moved > 0 {
		a.log().LogAttrs(ctx, slog.LevelInfo, "security hub region", slog.String("region", a.HubRegion), slog.Int("moved", moved),
			slog.String("outcome", "findings last imported into another region are imported into this one, open or archived; their copies there are left to expire"))
	}

	if a.Store != nil && (a.sends(out) || a.Delivery != "" && a.shouldNotify(out)) {
		// Written ahead, so that a run that publishes and then fails to
		// save (the store failing, or the function stopped) leaves a state
		// from which the next run sends and reports all this one did
		// again, rather than the previous one, from which it would take a
		// finding this run archived and that fails again for still open.
		// With a delivery, it is saved ahead of a digest too, so that a
		// second delivery of the event finds it before sending one.
		ahead := &state.State{Version: state.Version, AccountID: acct, GeneratedAt: obs.AsOf, SavedAt: a.now(), Delivery: a.Delivery,
			Records: finding.NextUnsettled(held, out.Changes, finding.Publication{At: a.now(), Region: a.HubRegion, Off: a.Hub == nil})}
		switch tok, err := a.Store.Save(ctx, acct, ahead, token); {
		case err == nil:
			token = tok
		case errors.Is(err, state.ErrConflict) && a.Delivery != "":
			// The run that saved first may be another delivery of this
			// event, which sends what this one would; not knowing, this
			// one sends nothing.
			theirs, _, err := a.Store.Load(ctx, acct)
			if err != nil {
				return nil, a.fail(ctx, acct, &Failure{Phase: PhaseLoadState, Err: err, Hint: a.Store.Hint(err)})
			}
			if theirs.Delivery == a.Delivery {
				return a.duplicate(ctx, out, theirs, start), nil
			}
		case errors.Is(err, state.ErrConflict):
			// Another run saved since this one loaded: the save after
			// publishing reconciles with it (saveAfterConflict), as it did
			// before states were saved ahead. Saving ahead over theirs
			// would mark all this run sends due again even when the two
			// sent it alike; so a run that then fails to save at all, after
			// overlapping another, leaves that run's state.
		default:
			return nil, a.fail(ctx, acct, &Failure{Phase: PhaseSaveState, Err: err, Hint: a.Store.Hint(err)})
		}
	}

	pub, hubErr := a.publishHub(ctx, out, rep.Partition)
	out.Hub.Err = hubErr
	ctx, cancel := Overtime(ctx)
	defer cancel()

	var errs []error
	if hubErr != nil {
		errs = append(errs, fmt.Errorf("security hub: %w", hubErr))
	}
	out.Digest = a.digest(out)
	records, unnotified := finding.NextAfter, false
	if a.shouldNotify(out) {
		if err := a.Send(ctx, out.Digest); err != nil {
			// Without the digest nobody heard of these changes: the state
			// moves on only by the findings Security Hub now holds open,
			// so the next run reports the same changes again.
			errs = append(errs, fmt.Errorf("digest not sent; the next run reports the same changes again: %w", err))
			records, unnotified = finding.NextUnnotified, true
		} else {
			out.Notified = a.Topic != nil
		}
	}

	if a.Store != nil {
		next := &state.State{Version: state.Version, AccountID: acct, GeneratedAt: obs.AsOf, SavedAt: a.now(), Delivery: a.Delivery,
			Records: records(held, out.Changes, pub)}
		_, err := a.Store.Save(ctx, acct, next, token)
		out.Saved = err == nil
		if errors.Is(err, state.ErrConflict) {
			out.Conflict = true
			out.Saved, err = a.saveAfterConflict(ctx, acct, next, sentIDs(out.Changes, pub), told(out.Changes, unnotified), out.Results)
		}
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%w (%s)", err, a.Store.Hint(err))) // the store names the save
			a.log().LogAttrs(ctx, slog.LevelError, "save state", slog.String("error", LogSafe(err)))
		case !out.Conflict:
			a.log().LogAttrs(ctx, slog.LevelInfo, "save state", slog.Int("records", len(next.Records)))
		}
	}
	out.Duration = a.now().Sub(start)
	a.metrics(out)
	if len(errs) == 1 && hubErr != nil && out.Notified {
		a.logTold(ctx, KindDigest)
	}
	return out, errors.Join(errs...)
}

// duplicate is the Outcome of a run whose delivery (Auditor.Delivery) the
// stored state names, saved by another run of the same event at
// theirs.SavedAt: the account and what was observed, no results (what it
// evaluated, if it got that far, the other run publishes). It publishes
// and saves nothing, and writes no metrics, whose counts would add that
// run's a second time.
func (a *Auditor) duplicate(ctx context.Context, out *Outcome, theirs *state.State, start time.Time) *Outcome {
	a.log().LogAttrs(ctx, slog.LevelInfo, "duplicate delivery", slog.String("delivery", a.Delivery), slog.Time("state_saved_at", theirs.SavedAt),
		slog.String("outcome", "another run of the same event saved the state (Scheduler and Lambda deliver an event at least once); this run publishes and saves nothing"))
	return &Outcome{AccountID: out.AccountID, Alias: out.Alias, Profile: out.Profile, Observation: out.Observation,
		Duplicate: true, Duration: a.now().Sub(start)}
}

// sends reports whether the run may send anything that its state must
// remember: news for the digest, or, with Security Hub on, an import or a
// workflow update.
func (a *Auditor) sends(out *Outcome) bool {
	if out.Counts.Changes() > 0 {
		return true
	}
	if a.Hub == nil {
		return false
	}
	for i := range out.Changes {
		if out.Changes[i].Sends() {
			return true
		}
	}
	return false
}

// conflictSaves bounds the saves a run makes after another run saved
// first: an account's state (saveAfterConflict), or the organisation
// digests owed (saveOwed).
const conflictSaves = 3

// saveAfterConflict saves, after another run saved the account's state
// first, that run's state with what this run sent to Security Hub (sent)
// made due again (finding.AfterConflict): Security Hub holds whichever
// run's import of a finding is the later, and the two may have seen
// different reports (one generated a newer one) or configurations, so that a
// finding this run resolved could stay archived when the other's state says
// it is open, and never be sent again while it fails. With nothing sent,
// theirs stands: saved reports false. It tries conflictSaves times, and
// returns state.ErrConflict if others keep saving first.
func (a *Auditor) saveAfterConflict(ctx context.Context, acct string, ours *state.State, sent []string, told map[string]bool, results []rules.Result) (saved bool, err error) {
	for range conflictSaves {
		theirs, token, err := a.Store.Load(ctx, acct)
		if err != nil {
			return false, err
		}
		next := *theirs
		oursNewer := !ours.GeneratedAt.Before(theirs.GeneratedAt)
		next.Records = finding.AfterConflict(theirs.Records, ours.Records, sent, told, oursNewer)
		if oursNewer {
			// What their digest left open and this run saw closed.
			finding.SeenClosed(next.Records, results, acct, ours.GeneratedAt)
		}
		if len(sent) == 0 && maps.Equal(next.Records, theirs.Records) {
			a.log().LogAttrs(ctx, slog.LevelInfo, "save state", slog.String("outcome", "another run saved first; this run sent Security Hub nothing and has nothing to add, so that run's state stands"))
			return false, nil
		}
		if oursNewer {
			next.GeneratedAt = ours.GeneratedAt // the later report both states now reflect
		}
		next.SavedAt, next.Delivery = a.now(), ours.Delivery
		if _, err = a.Store.Save(ctx, acct, &next, token); !errors.Is(err, state.ErrConflict) {
			if err == nil {
				a.log().LogAttrs(ctx, slog.LevelInfo, "save state", slog.Int("records", len(next.Records)), slog.Int("sent", len(sent)),
					slog.String("outcome", "another run saved first; its state is saved with the findings this run sent otherwise due to be sent again"))
			}
			return err == nil, err
		}
	}
	return false, fmt.Errorf("%w %d more times: the findings this run sent Security Hub may be out of step with the state until the next run that sends them", state.ErrConflict, conflictSaves)
}

// sentIDs lists the findings the run sent to Security Hub: imported, or
// given a workflow status (whether or not Security Hub took them).
func sentIDs(changes []finding.Change, pub finding.Publication) []string {
	if pub.Off {
		return nil
	}
	var ids []string
	for i := range changes {
		if c := &changes[i]; c.Sends() {
			ids = append(ids, c.ID())
		}
	}
	return ids
}

// told lists the findings whose change the run's digest reported: its
// news, unless the digest was not sent (unnotified), when nobody heard.
// A run that sends no digest (changes mode with no news, notify never, no
// topic) has no news, or saves its news as told, as NextAfter does.
func told(changes []finding.Change, unnotified bool) map[string]bool {
	ids := map[string]bool{}
	if unnotified {
		return ids
	}
	for i := range changes {
		if c := &changes[i]; c.News() {
			ids[c.ID()] = true
		}
	}
	return ids
}

// alertTimeout is how long after its deadline a run may go on sending its
// alert, or its digest and saving its state (Overtime), within the time
// the function keeps after its run's deadline (handler.AlertReserve)
// before Lambda stops it.
const alertTimeout = 5 * time.Second

// Overtime is ctx for what a run does once it has published or failed:
// it ends alertTimeout after ctx's deadline, so that the digest of a run
// that reached its deadline, which says what was not published, is sent
// and what was published saved, as the alert of one that failed by it is
// sent (and the handler keeps the run's summary). Asked again of ctx, it
// ends at the same time. An interrupted run (ctx canceled) gets none: the
// interrupt asked for an end.
func Overtime(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if err := ctx.Err(); !ok || err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return ctx, func() {}
	}
	post, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline.Add(alertTimeout))
	stop := context.AfterFunc(ctx, func() {
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			cancel()
		}
	})
	return post, func() { stop(); cancel() }
}

// Fail reports a run that could not see: it logs err, sends an operational
// alert and returns err. Callers use it for failures before Audit (loading
// the configuration, acquiring the report).
func (a *Auditor) Fail(ctx context.Context, err error) error {
	return a.fail(ctx, a.AccountID, err)
}

func (a *Auditor) fail(ctx context.Context, acct string, err error) error {
	var f *Failure
	if !errors.As(err, &f) {
		f = &Failure{Phase: PhaseRun, Err: err}
	}
	a.log().LogAttrs(ctx, slog.LevelError, "audit failed", slog.String("phase", string(f.Phase)), slog.String("error", LogSafe(f.Err)),
		slog.String("hint", f.Hint), slog.String("effect", "nothing imported or resolved; state unchanged"))
	return a.sendAlert(ctx, func() Message { return alert(acct, f, a.now()) }, err)
}

// sendAlert sends the operational alert msg builds, unless NoAlerts, and
// returns err, joined with the failure to send it. The run may have failed
// by its deadline, and the alert is what says so: it has Overtime.
func (a *Auditor) sendAlert(ctx context.Context, msg func() Message, err error) error {
	if a.NoAlerts {
		return err
	}
	ctx, cancel := Overtime(ctx)
	defer cancel()
	if sendErr := a.Send(ctx, msg()); sendErr != nil {
		return errors.Join(err, fmt.Errorf("operational alert not sent: %w", sendErr))
	}
	a.logTold(ctx, KindError)
	return err
}

// LogFailureTold is the message of the line a run logs when the topic got
// word of why it failed: its operational alert, or its digest naming the
// Security Hub errors that alone failed it. The stack counts these lines
// (infra's FailuresTold) and holds back its alarm that a run failed while
// they come, so a failure the run reported is one e-mail, not three (the
// alert, the function's errors and the failure queue); a failure it could
// not report (a timeout, a crash, a digest or state save that failed) is
// the alarm's.
const LogFailureTold = "failure told"

// logTold logs LogFailureTold for the message of kind sent to the topic;
// with no topic nothing was told. The line is an error's, as the failure
// it goes with is: Lambda drops lines below the function's log level, and
// logLevel goes up to ERROR.
func (a *Auditor) logTold(ctx context.Context, kind string) {
	if a.Topic != nil {
		a.log().LogAttrs(ctx, slog.LevelError, LogFailureTold, slog.String("kind", kind))
	}
}

// Send publishes msg to the topic, or only logs it without one.
func (a *Auditor) Send(ctx context.Context, msg Message) error {
	if a.Topic == nil {
		a.log().LogAttrs(ctx, slog.LevelInfo, "notify", slog.String("kind", msg.Kind), slog.Bool("sent", false),
			slog.String("reason", "no topic configured"))
		return nil
	}
	_, err := a.Topic.Publish(ctx, msg.Input(a.TopicARN))
	if err != nil {
		a.log().LogAttrs(ctx, slog.LevelError, "notify", slog.String("kind", msg.Kind), slog.String("error", LogSafe(err)))
		return fmt.Errorf("sns:Publish to %s: %w", a.TopicARN, err)
	}
	a.log().LogAttrs(ctx, slog.LevelInfo, "notify", slog.String("kind", msg.Kind), slog.Bool("sent", true), slog.Int("bytes", len(msg.Body)))
	return nil
}
