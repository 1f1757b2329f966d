package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/internal/lazyre"
	"github.com/credaudit/credaudit/lambda/org"
	"github.com/credaudit/credaudit/lambda/state"
)

// An organisation run is a state machine (infra's org stack) of three
// steps, two of which are this function's: list_accounts writes the
// accounts to audit into the state bucket; a Distributed Map reads that
// list and invokes the function once per account with a per-account
// request; aggregate reads the map's results and sends the one
// organisation digest. The files live under RunsPrefix, next to (and
// never inside) the accounts' states.

// RunsPrefix is where organisation runs keep their files in the state
// bucket: runs/<run id>/accounts.json and the map's results.
const RunsPrefix = "runs/"

// The actions of an organisation run's steps.
const (
	ActionListAccounts = "list_accounts"
	ActionAggregate    = "aggregate"
)

// OrgStep is an organisation run's step request:
//
//	{"action":"list_accounts","run_id":ID[,"event":INPUT]}
//	{"action":"aggregate","run_id":ID,"accounts":LOC,"results":LOC}
//	{"action":"aggregate","run_id":ID,"accounts":LOC,"error":{"Error","Cause"}}
//
// where LOC is {"bucket","key"}: the list list_accounts wrote, and the
// manifest the map's ResultWriter wrote; error is the map's own failure.
type OrgStep struct {
	Action   string    `json:"action"`
	RunID    string    `json:"run_id"`
	Accounts *Location `json:"accounts,omitempty"`
	// Missing is what list_accounts could not list (Listed.Missing), for
	// aggregate to report.
	Missing []org.Missing `json:"missing,omitempty"`
	Results *Location     `json:"results,omitempty"`
	Error   *StepError    `json:"error,omitempty"`
	// Event is list_accounts' execution input ($$.Execution.Input): the
	// schedule's payload, whose executionId names the delivery (Delivery),
	// or whatever a run started by hand was given.
	Event json.RawMessage `json:"event,omitempty"`
	// Delivery is Event's executionId, "" when it has none.
	Delivery string `json:"-"`
}

// Location is an S3 object.
type Location struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

func (l Location) String() string { return "s3://" + l.Bucket + "/" + l.Key }

// StepError is a failed state's error as Step Functions catches it.
type StepError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// Item is one account of the list: what the map hands each invocation
// (account_id and role_arn, with "notify":"never").
type Item struct {
	AccountID string `json:"account_id"`
	RoleARN   string `json:"role_arn"`
	Name      string `json:"name,omitempty"`
}

// Listed is list_accounts' result: where the list is and its length, and
// the accounts and OUs the filter includes by ID that the run cannot audit
// (org.Missing), which the state machine hands aggregate: not in the list,
// as the map audits each of its items. Missing is never null, so that the
// state machine's $.missing always resolves.
type Listed struct {
	Location
	Accounts int           `json:"accounts"`
	Missing  []org.Missing `json:"missing"`
	// Duplicate says the run's delivery (OrgStep.Delivery) was claimed by
	// another run: the state machine then ends, auditing nothing. Always
	// written, so that its Choice reads it.
	Duplicate bool `json:"duplicate"`
}

// Aggregated is aggregate's result.
type Aggregated struct {
	RunID    string `json:"run_id"`
	Accounts int    `json:"accounts"`
	Audited  int    `json:"audited"`
	Failed   int    `json:"failed"`
	Notified bool   `json:"notified"`
	// Late counts the digests earlier runs owed that this one sent.
	Late int `json:"late,omitempty"`
}

// runID is a Step Functions execution name, which becomes part of a key.
var runID = lazyre.New(`^[A-Za-z0-9_-]{1,80}$`)

// parseOrgStep reads an organisation step request; every unknown key and
// bad value is named.
func parseOrgStep(payload []byte) (*OrgStep, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var st OrgStep
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("organisation step: %w", err)
	}
	var errs []error
	switch st.Action {
	case ActionListAccounts:
		if st.Accounts != nil || st.Missing != nil || st.Results != nil || st.Error != nil {
			errs = append(errs, errors.New("list_accounts takes only run_id and event"))
		}
		if st.Event != nil {
			var err error
			if st.Delivery, err = executionOf(st.Event); err != nil {
				errs = append(errs, err)
			}
		}
	case ActionAggregate:
		if st.Accounts == nil {
			errs = append(errs, errors.New("aggregate needs accounts (the list list_accounts wrote)"))
		}
		if (st.Results == nil) == (st.Error == nil) {
			errs = append(errs, errors.New("aggregate needs either results (the map's ResultWriter manifest) or error (the map's failure)"))
		}
		if st.Event != nil {
			errs = append(errs, errors.New("event is list_accounts' only"))
		}
	default:
		errs = append(errs, fmt.Errorf("action %q: want %s or %s", st.Action, ActionListAccounts, ActionAggregate))
	}
	if !runID().MatchString(st.RunID) {
		errs = append(errs, fmt.Errorf("run_id %q: want the execution name (1 to 80 letters, digits, - and _)", st.RunID))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("organisation step: %w", errors.Join(errs...))
	}
	return &st, nil
}

// orchestrate runs an organisation step. Its failures alert: a run that
// cannot list the accounts or collect their results cannot see.
func (h *Handler) orchestrate(ctx context.Context, aud *audit.Auditor, st *OrgStep) (any, error) {
	h.Log.LogAttrs(ctx, slog.LevelInfo, "organisation step", slog.String("action", st.Action), slog.String("run_id", st.RunID))
	if st.Action == ActionListAccounts {
		claimed, err := h.claimDelivery(ctx, aud, st)
		if err != nil {
			return nil, err
		}
		if !claimed {
			return &Listed{Missing: []org.Missing{}, Duplicate: true}, nil
		}
		return h.listAccounts(ctx, aud, st.RunID)
	}
	return h.aggregate(ctx, aud, st)
}

func (h *Handler) listAccounts(ctx context.Context, aud *audit.Auditor, id string) (*Listed, error) {
	accounts, missing, err := org.List(ctx, h.clients().org, h.Settings.Accounts)
	if err != nil {
		return nil, aud.FailOrg(ctx, &audit.OrgFailure{RunID: id, Failure: &audit.Failure{Phase: audit.PhaseListAccounts, Err: err, Hint: listHint(err)}})
	}
	if len(accounts) == 0 {
		err := errors.New("no active account of the organisation matches the account and OU filters")
		if len(missing) > 0 {
			err = fmt.Errorf("%w; of those it includes by ID: %s", err, org.MissingText(missing))
		}
		return nil, aud.FailOrg(ctx, &audit.OrgFailure{RunID: id, Failure: &audit.Failure{Phase: audit.PhaseListAccounts, Err: err,
			Hint: "check " + EnvIncludeAccounts + ", " + EnvExcludeAccounts + ", " + EnvIncludeOUs + " and " + EnvExcludeOUs + "."}})
	}
	items := make([]Item, len(accounts))
	for i, a := range accounts {
		items[i] = Item{AccountID: a.ID, RoleARN: org.RoleARN(a.Partition, a.ID, h.Settings.MemberRole), Name: a.Name}
	}
	loc := Location{Bucket: h.Settings.StateBucket, Key: AccountsKey(id)}
	if err := h.writeRunFile(ctx, loc, items); err != nil {
		return nil, aud.FailOrg(ctx, &audit.OrgFailure{RunID: id, Failure: &audit.Failure{Phase: audit.PhaseListAccounts, Err: err,
			Hint: "the function needs s3:PutObject on " + RunsPrefix + "*/accounts.json in the state bucket."}})
	}
	if len(missing) > 0 {
		// Reported with the run's accounts by aggregate, as accounts that
		// failed; said here too, for the filter's sake.
		h.Log.LogAttrs(ctx, slog.LevelError, LogIncludedNotListed, slog.Int("missing", len(missing)), slog.String("error", org.MissingText(missing)),
			slog.String("effect", "the organisation digest names each as not audited, a failed account; fix "+EnvIncludeAccounts+" or "+EnvIncludeOUs))
	}
	h.Log.LogAttrs(ctx, slog.LevelInfo, "accounts listed", slog.Int("accounts", len(items)), slog.String("list", loc.String()))
	if missing == nil {
		missing = []org.Missing{}
	}
	return &Listed{Location: loc, Accounts: len(items), Missing: missing}, nil
}

// executionOf is the executionId of an organisation run's execution
// input, "" when it has none. The input is the run's to choose (a run
// started by hand may be given any JSON, an array or a string as well):
// only an executionId is read, and must be an ID.
func executionOf(event json.RawMessage) (string, error) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(event, &fields) != nil {
		return "", nil
	}
	return deliveryOf(fields, "executionId")
}

// DeliveryKey is where an organisation run claims its delivery: the
// execution ID of the schedule's firing that started it.
func DeliveryKey(delivery string) string { return RunsPrefix + "deliveries/" + delivery + ".json" }

// deliveryClaim is the object at DeliveryKey: the run that claimed it.
type deliveryClaim struct {
	RunID string `json:"run_id"`
}

// claimDelivery claims st's delivery for its run, before anything else of
// the run: the schedule's firing may start two executions (Scheduler
// delivers at least once), and only the one that writes the claim first
// (a conditional write) audits; the other's list_accounts reports
// claimed false, and its state machine ends. A delivery claimed by the
// same run is its own list_accounts retried. A run without a delivery
// (started by hand) claims nothing.
func (h *Handler) claimDelivery(ctx context.Context, aud *audit.Auditor, st *OrgStep) (claimed bool, err error) {
	if st.Delivery == "" {
		return true, nil
	}
	loc := Location{Bucket: h.Settings.StateBucket, Key: DeliveryKey(st.Delivery)}
	in, err := runFile(loc, deliveryClaim{RunID: st.RunID})
	if err == nil {
		_, err = state.PutIf(ctx, h.clients().s3, in, state.NoObject)
	}
	if errors.Is(err, state.ErrConflict) {
		var claim deliveryClaim
		if err = h.readRunFile(ctx, loc, &claim); err == nil && claim.RunID != st.RunID {
			h.Log.LogAttrs(ctx, slog.LevelInfo, "duplicate delivery", slog.String("delivery", st.Delivery), slog.String("run_id", st.RunID),
				slog.String("claimed_by", claim.RunID),
				slog.String("outcome", "another run of the same firing of the schedule claimed it (Scheduler delivers at least once); this run audits nothing and sends no digest"))
			return false, nil
		}
	}
	if err != nil {
		return false, aud.FailOrg(ctx, &audit.OrgFailure{RunID: st.RunID, Failure: &audit.Failure{Phase: audit.PhaseListAccounts,
			Err:  fmt.Errorf("claim the delivery %s: %w", loc, err),
			Hint: "the function needs s3:PutObject and s3:GetObject on " + RunsPrefix + "deliveries/* in the state bucket."}})
	}
	return true, nil
}

// listHint is what to check after listing the accounts failed with err:
// time or throttling, which the next run may not meet, or else where the
// function runs and what it may call.
func listHint(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "the run ran out of time listing the accounts (with OU filters, one organizations:ListParents call per account and OU); raise the function's timeout; the next run tries again."
	case retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary:
		return "Organizations throttled the listing past the SDK's retries (its request rates cannot be raised; with OU filters each account costs an organizations:ListParents call); the next run tries again. If it repeats, look for other callers of Organizations in the account."
	}
	return "the function must run in the management account or a delegated administrator, with organizations:ListAccounts (and organizations:ListParents for OU filters)."
}

// maxRunFile bounds what aggregate reads from one object: a result file
// holds each execution's input and output (a summary of at most a few KB),
// so even 10,000 accounts stay far below it.
const maxRunFile = 256 << 20

func (h *Handler) aggregate(ctx context.Context, aud *audit.Auditor, st *OrgStep) (*Aggregated, error) {
	missing := org.Runs(st.Missing)
	var items []Item
	if err := h.readRunFile(ctx, *st.Accounts, &items); err != nil {
		if st.Error != nil {
			err = fmt.Errorf("the map failed (%s), and the account list could not be read: %w", stepErrorText(st.Error.Error, st.Error.Cause), err)
		}
		return nil, h.collectFailed(ctx, aud, st, nil, missing, err)
	}
	if st.Error != nil {
		return nil, h.mapFailed(ctx, aud, st, items, missing)
	}
	runs, err := h.collect(ctx, *st.Results, items)
	if err != nil {
		return nil, h.collectFailed(ctx, aud, st, items, missing, err)
	}
	runs = append(runs, missing...)

	res := &Aggregated{RunID: st.RunID, Accounts: len(runs)}
	res.Audited, res.Failed = audit.CountRuns(runs)
	h.Log.LogAttrs(ctx, slog.LevelInfo, "organisation results", slog.Int("accounts", res.Accounts), slog.Int("audited", res.Audited), slog.Int("failed", res.Failed))
	due, out := h.orgDigest(ctx, aud, runs, "")
	if err := out.Err(); err != nil {
		return nil, err
	}
	res.Notified, res.Late = due && aud.Topic != nil, out.Late
	return res, nil
}

// collect reads the map's ResultWriter manifest at results and the result
// files it names, and joins them with the list (accountRuns).
func (h *Handler) collect(ctx context.Context, results Location, items []Item) ([]audit.AccountRun, error) {
	var manifest struct {
		ResultFiles map[string][]struct {
			Key string `json:"Key"`
		} `json:"ResultFiles"`
	}
	if err := h.readRunFile(ctx, results, &manifest); err != nil {
		return nil, err
	}
	if manifest.ResultFiles == nil {
		return nil, fmt.Errorf("%s: not a map run manifest (no ResultFiles)", results)
	}
	var executions []mapExecution
	for _, status := range []string{"SUCCEEDED", "FAILED", "PENDING"} {
		for _, f := range manifest.ResultFiles[status] {
			var page []mapExecution
			if err := h.readRunFile(ctx, Location{Bucket: results.Bucket, Key: f.Key}, &page); err != nil {
				return nil, err
			}
			executions = append(executions, page...)
		}
	}
	return accountRuns(items, executions)
}

// collectFailed reports a run whose map ran but whose results aggregate
// could not collect (err): the manifest or a result file unreadable, a
// result of an account not in the list, or the list itself unreadable
// (items nil); missing is what list_accounts could not list. The accounts audited saved their states with their
// news marked reported, and Step Functions does not retry the step, so it
// reports them from the summaries they kept, as mapFailed does, then
// alerts; the run fails.
func (h *Handler) collectFailed(ctx context.Context, aud *audit.Auditor, st *OrgStep, items []Item, missing []audit.AccountRun, err error) error {
	f := h.reportKept(ctx, aud, st.RunID, items, missing,
		"not audited, or its audit failed: it kept no summary, and the map's results could not be read (the map run says which)")
	f.Failure = &audit.Failure{Phase: audit.PhaseOrganisationResults, Err: err,
		Hint: "the state machine hands aggregate the account list and the map's ResultWriter manifest in the state bucket; the function needs s3:GetObject on its " + RunsPrefix +
			" prefix, and Step Functions does not run the step again, so a file deleted or changed, or an S3 error past the SDK's retries, fails it."}
	return aud.FailOrg(ctx, f)
}

// orgDigest sends the organisation digest of runs when it is due, after
// the digests earlier runs owe (oldest first); one that cannot be sent is
// kept for the next run. partial, when not "", says the runs are only some
// of the run's accounts, and why (audit.PartialOrgDigest). It returns whether this
// run's was due, and what the sending did.
func (h *Handler) orgDigest(ctx context.Context, aud *audit.Auditor, runs []audit.AccountRun, partial string) (due bool, out audit.OrgSending) {
	due = audit.OrgDigestDue(runs, aud.Notify)
	var digest *audit.Message
	if due {
		var m audit.Message
		if profile := h.orgProfile(ctx, runs); partial == "" {
			m = audit.OrgDigest(runs, profile, h.now())
		} else {
			// Not every account of the run: no suppression is said to
			// be unused or shadowed, as it may apply in the others.
			m = audit.PartialOrgDigest(runs, profile, h.now(), partial)
		}
		digest = &m
	}
	out = audit.SendOrgDigest(ctx, owedDigests{h}, aud.Send, digest, h.now())
	if !due && out.Late == 0 && out.SendErr == nil {
		h.Log.LogAttrs(ctx, slog.LevelInfo, "organisation digest", slog.String("notify", aud.Notify.String()),
			slog.String("outcome", "not sent: "+audit.NothingDue))
	}
	if out.Dropped > 0 {
		h.Log.LogAttrs(ctx, slog.LevelWarn, "organisation digest", slog.Int("dropped", out.Dropped),
			slog.String("outcome", "more digests owed than are kept; the oldest are dropped"))
	}
	if out.Saved {
		attrs := []slog.Attr{slog.Int("owed", out.Owed)}
		if out.Conflicts > 0 {
			attrs = append(attrs, slog.Int("conflicts", out.Conflicts),
				slog.String("outcome", "other runs wrote the owed list first; it is saved with their digests and this run's"))
		}
		h.Log.LogAttrs(ctx, slog.LevelInfo, "organisation digest", attrs...)
	}
	if out.Lost != nil {
		// Neither sent nor kept: the log says what was lost, by its subject
		// (counts; the body names users, which logs never do). The findings
		// it reports are in the accounts' Security Hub and states.
		h.Log.LogAttrs(ctx, slog.LevelError, "organisation digest", slog.String("subject", out.Lost.Subject),
			slog.String("outcome", "neither sent nor kept: its findings are in the accounts' states (and Security Hub, when on)"))
	}
	return due, out
}

// mapFailed reports a run whose map failed: the accounts audited before it
// stopped have saved their states, so their changes are reported now or
// never (reportKept); then the alert, which says where those changes are;
// the run fails. missing is what list_accounts could not list.
func (h *Handler) mapFailed(ctx context.Context, aud *audit.Auditor, st *OrgStep, items []Item, missing []audit.AccountRun) error {
	f := h.reportKept(ctx, aud, st.RunID, items, missing, "not audited: the map failed before it finished, or its audit failed (the map run says which)")
	err := fmt.Errorf("the map over %d accounts failed: %s", len(items), stepErrorText(st.Error.Error, st.Error.Cause))
	f.Failure = &audit.Failure{Phase: audit.PhaseOrganisationRun, Err: err,
		Hint: "more accounts failed than the tolerated failure percentage allows, or Step Functions could not read the account list or write the results; the execution's map run and the auditor function's logs say which accounts failed and why."}
	return aud.FailOrg(ctx, f)
}

// reportKept reports the accounts of a run whose results aggregate does
// not have (the map failed, or they could not be read) from the summaries
// their audits kept (SummaryKey): they saved their states with their news
// marked reported, so it is reported now or never. The organisation digest
// of those summaries is sent when due, as any run's, each account of the
// list without one reported as notAudited says, and missing (what
// list_accounts could not list) as not audited; without the list (items
// nil), the digest is of the kept summaries and missing alone, and says so
// (audit.PartialOrgDigest). It returns the alert's account of what the run did,
// for the caller to say what failed.
func (h *Handler) reportKept(ctx context.Context, aud *audit.Auditor, runID string, items []Item, missing []audit.AccountRun, notAudited string) *audit.OrgFailure {
	f := &audit.OrgFailure{RunID: runID, Partial: items == nil, Hub: h.Settings.SecurityHub}
	runs, err := h.keptRuns(ctx, runID, items, notAudited)
	audited, _ := audit.CountRuns(runs)
	runs = append(runs, missing...)
	switch {
	case err != nil:
		f.News, f.NewsErr = audit.NewsUnread, err
		return f
	case audited == 0:
		f.News = audit.NoneKept
		return f
	}
	f.Runs = runs
	h.Log.LogAttrs(ctx, slog.LevelInfo, "organisation results", slog.Int("accounts", len(runs)), slog.Int("audited", audited),
		slog.String("outcome", "the accounts audited are reported from the summaries they kept"))
	partial := ""
	if f.Partial {
		partial = "the run's account list could not be read, so this digest reports only the " + audit.Nouns(audited, "account") +
			" whose audits kept a summary; the accounts not audited are not named (the map run says which)."
	}
	due, out := h.orgDigest(ctx, aud, runs, partial)
	f.NewsErr = out.Err()
	switch {
	case !due:
		f.News = audit.NewsNotDue
	case out.Lost != nil:
		f.News = audit.NewsLost
	case out.SendErr != nil:
		f.News = audit.NewsOwed
	default:
		f.News = audit.NewsSent
	}
	return f
}

// orgProfile names the profile of an organisation digest: the one the
// accounts were audited with, as their summaries say, else the configured
// one.
func (h *Handler) orgProfile(ctx context.Context, runs []audit.AccountRun) string {
	for _, r := range runs {
		if r.Summary != nil && r.Summary.Profile != "" {
			return r.Summary.Profile
		}
	}
	return h.configuredProfile(ctx)
}

// OwedDigestsKey holds the organisation digests that could not be sent,
// oldest first (a JSON array of audit.Message, each marked audit.Late): the
// next aggregate sends them before its own. Under RunsPrefix, it expires
// with the runs' files if no run rewrites it.
const OwedDigestsKey = RunsPrefix + "owed-digests.json"

// owedDigests keeps the organisation digests owed at OwedDigestsKey,
// written as the accounts' states are (state.PutIf): only over the
// version read, its ETag.
type owedDigests struct{ h *Handler }

func (o owedDigests) loc() Location {
	return Location{Bucket: o.h.Settings.StateBucket, Key: OwedDigestsKey}
}

// LoadOwed reads the digests earlier runs could not send; none when the
// object does not exist.
func (o owedDigests) LoadOwed(ctx context.Context) ([]audit.Message, state.Token, error) {
	var owed []audit.Message
	data, etag, err := o.h.readObject(ctx, o.loc(), maxRunFile)
	if _, missing := errors.AsType[*s3types.NoSuchKey](err); missing {
		return nil, state.NoObject, nil
	}
	if err != nil {
		return nil, state.NoObject, fmt.Errorf("read the organisation digests owed by earlier runs: %w (the function needs s3:GetObject on %s and s3:ListBucket for it in the state bucket)", err, OwedDigestsKey)
	}
	if err := json.Unmarshal(data, &owed); err != nil {
		return nil, state.NoObject, fmt.Errorf("read the organisation digests owed by earlier runs: %s: %w", o.loc(), err)
	}
	token, err := state.ETagToken(etag)
	if err != nil {
		return nil, state.NoObject, fmt.Errorf("read the organisation digests owed by earlier runs: %s: %w", o.loc(), err)
	}
	return owed, token, nil
}

// SaveOwed writes the digests still owed, if the object is still the one
// LoadOwed read.
func (o owedDigests) SaveOwed(ctx context.Context, owed []audit.Message, token state.Token) error {
	in, err := runFile(o.loc(), owed)
	if err == nil {
		_, err = state.PutIf(ctx, o.h.clients().s3, in, token)
	}
	if err != nil {
		return fmt.Errorf("the organisation digests still owed: write %s: %w", o.loc(), err)
	}
	return nil
}

// configuredProfile names the profile the accounts were to be audited
// with, for a digest without a summary to say which (every account
// failed), as auditAccount chooses it; the configuration is read only when
// the function's setting does not decide. A configuration that cannot be
// read leaves it unknown; the failed accounts' errors say why.
func (h *Handler) configuredProfile(ctx context.Context) string {
	var cfg *config.Config
	if h.Settings.Profile == "" {
		var err error
		if cfg, err = h.loadConfig(ctx); err != nil {
			return "unknown (the configuration could not be read)"
		}
	}
	return cfg.ProfileName(h.Settings.Profile)
}

// writeRunFile writes v as the JSON object at loc, an organisation run's
// file.
func (h *Handler) writeRunFile(ctx context.Context, loc Location, v any) error {
	in, err := runFile(loc, v)
	if err != nil {
		return err
	}
	if _, err := h.clients().s3.PutObject(ctx, in); err != nil {
		return fmt.Errorf("write %s: %w", loc, err)
	}
	return nil
}

// runFile is the request that writes v as the JSON object at loc.
func runFile(loc Location, v any) (*s3.PutObjectInput, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &s3.PutObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key),
		Body: bytes.NewReader(body), ContentType: aws.String("application/json")}, nil
}

// readRunFile decodes the JSON object at loc, which must be an organisation
// run's file in the state bucket: aggregate reads nothing else.
func (h *Handler) readRunFile(ctx context.Context, loc Location, v any) error {
	if loc.Bucket != h.Settings.StateBucket || !strings.HasPrefix(loc.Key, RunsPrefix) || strings.Contains(loc.Key, "..") {
		return fmt.Errorf("%s is not an organisation run's file (s3://%s/%s…)", loc, h.Settings.StateBucket, RunsPrefix)
	}
	data, _, err := h.readObject(ctx, loc, maxRunFile)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", loc, err)
	}
	return nil
}

// AccountsKey is where the orchestrator writes the accounts of run runID,
// which the map reads.
func AccountsKey(runID string) string { return RunsPrefix + runID + "/accounts.json" }

// SummaryKey is where an organisation run's per-account audit keeps its
// Response (summary, and error if any) besides returning it: under the
// run's prefix, read by the run's aggregate when the map fails, which then
// writes no results, or when its results cannot be read. Else the changes
// of the accounts audited, whose states are saved, would be in no digest.
func SummaryKey(runID, accountID string) string {
	return summariesPrefix(runID) + accountID + ".json"
}

// summariesPrefix is where the run keeps its accounts' summaries.
func summariesPrefix(runID string) string { return RunsPrefix + runID + "/summaries/" }

// keepSummary writes resp at SummaryKey. A failure is logged, not the
// audit's: its result carries the summary to the map all the same.
func (h *Handler) keepSummary(ctx context.Context, runID string, resp *Response) {
	loc := Location{Bucket: h.Settings.StateBucket, Key: SummaryKey(runID, resp.AccountID)}
	if err := h.writeRunFile(ctx, loc, resp); err != nil {
		h.Log.LogAttrs(ctx, slog.LevelError, "keep summary", slog.String("account_id", resp.AccountID), slog.String("error", audit.LogSafe(err)),
			slog.String("effect", "if the organisation run's map fails or its results cannot be read, this account's changes are in no digest (the function needs s3:PutObject on the "+RunsPrefix+" prefix of the state bucket)"))
	}
}

// summaryReaders is how many kept summaries keptRuns reads at once. One
// at a time, thousands of accounts audited before the map stopped would
// cost as many sequential GETs (20–50 ms each) of the aggregate's
// 900 seconds; S3 serves thousands a second per prefix, and the SDK's
// HTTP client keeps 10 idle connections per host, so 16 are about as
// many as reuse helps.
const summaryReaders = 16

// keptRuns is the accounts of a run whose results aggregate does not
// have: one AccountRun per account of the list, from the summary its audit
// kept (SummaryKey), or failed as notAudited says; without the list (items
// nil), one per summary kept. It lists the run's summaries first and reads
// only those, summaryReaders at a time: a map that stops early leaves most
// accounts without one. The first summary that cannot be read is the
// error.
func (h *Handler) keptRuns(ctx context.Context, runID string, items []Item, notAudited string) ([]audit.AccountRun, error) {
	kept := map[string]bool{}
	var keys []string // in the order S3 lists them: by account ID
	pages := s3.NewListObjectsV2Paginator(h.clients().s3, &s3.ListObjectsV2Input{
		Bucket: aws.String(h.Settings.StateBucket), Prefix: aws.String(summariesPrefix(runID))})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", h.Settings.StateBucket, summariesPrefix(runID), err)
		}
		for _, o := range page.Contents {
			kept[aws.ToString(o.Key)] = true
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	if items == nil {
		for _, key := range keys {
			items = append(items, Item{AccountID: strings.TrimSuffix(strings.TrimPrefix(key, summariesPrefix(runID)), ".json")})
		}
	}
	runs := make([]audit.AccountRun, len(items))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(summaryReaders)
	for i, it := range items {
		runs[i] = audit.AccountRun{AccountID: it.AccountID, Name: it.Name, Error: notAudited}
		key := SummaryKey(runID, it.AccountID)
		if !kept[key] {
			continue
		}
		g.Go(func() error {
			var resp Response
			if err := h.readRunFile(gctx, Location{Bucket: h.Settings.StateBucket, Key: key}, &resp); err != nil {
				return err
			}
			if resp.AccountID != it.AccountID {
				return fmt.Errorf("%s: the summary of account %q, not %s", key, resp.AccountID, it.AccountID)
			}
			runs[i].Summary, runs[i].Error = &resp.Summary, resp.Error
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return runs, nil
}

// mapExecution is one child execution in a ResultWriter file: its input
// and, when it succeeded, its output, as JSON text; when it failed, the
// error and cause.
type mapExecution struct {
	Status string  `json:"Status"`
	Input  string  `json:"Input"`
	Output *string `json:"Output"`
	Error  string  `json:"Error"`
	Cause  string  `json:"Cause"`
}

// accountRuns joins the list with the map's executions: one AccountRun per
// account, in the list's order; an account the map has no result for is
// reported as not audited.
func accountRuns(items []Item, executions []mapExecution) ([]audit.AccountRun, error) {
	runs := make([]audit.AccountRun, len(items))
	index := make(map[string]int, len(items))
	for i, it := range items {
		runs[i] = audit.AccountRun{AccountID: it.AccountID, Name: it.Name,
			Error: "not audited: the map run has no result for this account (it was aborted or stopped before it)"}
		index[it.AccountID] = i
	}
	for n, e := range executions {
		var in Item
		if err := json.Unmarshal([]byte(e.Input), &in); err != nil || in.AccountID == "" {
			return nil, fmt.Errorf("map result %d: its input %.80q is not a per-account request", n, e.Input)
		}
		i, ok := index[in.AccountID]
		if !ok {
			return nil, fmt.Errorf("map result %d: account %s is not in the account list", n, in.AccountID)
		}
		r := &runs[i]
		switch {
		case e.Status == "SUCCEEDED" && e.Output != nil:
			// An audit that saw the account but could not publish or
			// save everything succeeds with both its summary and error.
			var resp Response
			if err := json.Unmarshal([]byte(*e.Output), &resp); err != nil || resp.AccountID != in.AccountID { // an error alone has no account
				r.Error = fmt.Sprintf("the audit's output is not its summary: %.120q", *e.Output)
				continue
			}
			r.Summary, r.Error = &resp.Summary, resp.Error
		case e.Status == "SUCCEEDED":
			r.Error = "the audit succeeded but its output was not recorded"
		default:
			r.Error = stepErrorText(e.Error, e.Cause)
			if e.Status != "FAILED" {
				r.Error = strings.ToLower(e.Status) + ": " + r.Error
			}
		}
	}
	return runs, nil
}

// stepErrorText is a caught error as the digest says it: the function's
// own message when the cause is a Lambda error payload, else the error
// name and its cause.
func stepErrorText(name, cause string) string {
	var lambdaErr struct {
		Message string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(cause), &lambdaErr) == nil && lambdaErr.Message != "" {
		return lambdaErr.Message
	}
	switch {
	case cause == "":
		return name
	case name == "":
		return cause
	}
	return name + ": " + cause
}
