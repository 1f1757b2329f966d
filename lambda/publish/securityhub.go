package publish

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"
)

// SecurityHubAPI is the part of the Security Hub client Importer uses.
type SecurityHubAPI interface {
	BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
	BatchUpdateFindings(ctx context.Context, in *securityhub.BatchUpdateFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchUpdateFindingsOutput, error)
}

// Security Hub's request limits for BatchImportFindings and
// BatchUpdateFindings.
const (
	// MaxBatchFindings is the most findings one request may carry.
	MaxBatchFindings = 100
	// MaxBatchBytes is the request size limit, 6 MB, taken as 6,000,000
	// bytes of JSON so that it holds whichever megabyte AWS means.
	MaxBatchBytes = 6_000_000
	// MaxFindingBytes is the size limit of one finding, 240 KB, taken as
	// 240,000 bytes of JSON.
	MaxFindingBytes = 240_000
	// DefaultRatePerSecond is the documented steady rate of both operations
	// (10 requests per second per account and region; burst 30).
	DefaultRatePerSecond = 10
	// MaxNoteLength is the limit of a workflow note's text.
	MaxNoteLength = 512
	// NoteUpdatedBy names us as the author of workflow notes.
	NoteUpdatedBy = "credaudit"
)

// Defaults for retrying findings Security Hub reports as failed.
const (
	DefaultMaxAttempts = 4
	DefaultBaseDelay   = 500 * time.Millisecond
	DefaultMaxDelay    = 8 * time.Second
)

// Errors that need a person to change the account, not a retry.
var (
	// ErrNotEnabled: Security Hub CSPM is not enabled in the account and
	// region, or imports for the product are disabled.
	ErrNotEnabled = errors.New("security hub is not enabled")
	// ErrAccessDenied: the caller lacks a permission, or imports findings for
	// an account other than its own.
	ErrAccessDenied = errors.New("security hub access denied")
)

// Importer sends findings to Security Hub within its limits: at most 100
// findings and 6 MB per request, a steady request rate, findings that failed
// for a transient reason re-sent with capped exponential backoff and jitter.
// Throttled and failed requests are retried by the SDK client's own retryer.
// An Importer paces every request it makes, so use one per account and
// region, from one goroutine.
type Importer struct {
	Client SecurityHubAPI
	// RatePerSecond caps requests per second; zero means DefaultRatePerSecond.
	RatePerSecond float64
	// MaxAttempts is how often one finding is sent at most; zero means
	// DefaultMaxAttempts.
	MaxAttempts int
	// BaseDelay and MaxDelay bound the backoff before re-sending failed
	// findings: BaseDelay·2ⁿ⁻¹ before the n-th re-send, at most MaxDelay,
	// then jittered. Zero means the defaults.
	BaseDelay, MaxDelay time.Duration
	// Now and Sleep are the clock; nil means time.Now and a context-aware
	// timer. Tests inject a fake clock whose Sleep advances Now.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter picks the actual wait for a backoff of d; nil means a uniform
	// pick in [d/2, d].
	Jitter func(d time.Duration) time.Duration

	next time.Time // earliest start of the next request
}

// Stats counts what one Import or UpdateWorkflow call did.
type Stats struct {
	Requests  int // API calls made
	Succeeded int // findings imported or updated
	Failed    int // findings not imported or updated after every attempt
	Retried   int // findings re-sent after Security Hub reported them failed
}

// FailedFinding is a finding Security Hub (or the pre-send check) refused.
type FailedFinding struct {
	ID, ProductARN string
	Code, Message  string
}

// Codes for findings refused before sending.
const (
	CodeInvalidFinding = "credaudit.InvalidFinding"    // Validate failed
	CodeTooLarge       = "FindingSizeExceeded"         // over MaxFindingBytes
	CodeDuplicate      = "DuplicatedFindingIdentifier" // same Id and ProductArn twice in one call
	codeUnidentified   = "credaudit.Unidentified"      // counted failed, but not listed
)

// FailedFindingsError lists findings that were still failing after every
// attempt. It wraps ErrNotEnabled or ErrAccessDenied when a finding failed
// for that reason.
type FailedFindingsError struct {
	Op       string // BatchImportFindings or BatchUpdateFindings
	Findings []FailedFinding
}

const maxListed = 10

// Malformed reports whether every finding failed as malformed: refused by
// Security Hub with a code that does not clear on its own and that no
// setting of the account's causes (InvalidInput, FindingSizeExceeded,
// DuplicatedFindingIdentifier), or by the check before sending. Sent
// again, they are refused again: the fault is credaudit's.
func (e *FailedFindingsError) Malformed() bool {
	for _, f := range e.Findings {
		switch f.Code {
		case "InvalidInput", "InvalidInputException", CodeTooLarge, "DuplicatedFindingIdentifier", CodeInvalidFinding:
		default:
			return false
		}
	}
	return len(e.Findings) > 0
}

// Error names the operation and how many findings failed, then what a
// person has to fix, if anything, and only then the findings: a message cut
// short (the digest clips it) keeps the fix.
func (e *FailedFindingsError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op + ": ")
	b.WriteString(strconv.Itoa(len(e.Findings)))
	b.WriteString(" findings failed")
	if hint := e.hint(); hint != "" {
		b.WriteString("; " + hint)
	}
	b.WriteString(": ")
	for i, f := range e.Findings {
		if i == maxListed {
			b.WriteString(", and " + strconv.Itoa(len(e.Findings)-maxListed) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(f.ID) + " (" + f.Code)
		if f.Message != "" {
			b.WriteString(": " + f.Message)
		}
		b.WriteString(")")
	}
	return b.String()
}

// hint says what to fix for the first finding that failed because Security
// Hub is not enabled or access was denied, "" when none did.
func (e *FailedFindingsError) hint() string {
	for _, f := range e.Findings {
		switch {
		case notEnabledCode(f.Code):
			return enableHint(f.ProductARN)
		case accessDeniedCode(f.Code):
			return permissionHint(e.Op, f.ProductARN)
		}
	}
	return ""
}

// Unwrap lets errors.Is find ErrNotEnabled and ErrAccessDenied.
func (e *FailedFindingsError) Unwrap() []error {
	var errs []error
	for _, f := range e.Findings {
		switch {
		case notEnabledCode(f.Code) && !slices.Contains(errs, ErrNotEnabled):
			errs = append(errs, ErrNotEnabled)
		case accessDeniedCode(f.Code) && !slices.Contains(errs, ErrAccessDenied):
			errs = append(errs, ErrAccessDenied)
		}
	}
	return errs
}

// StoppedError is the error of an Import or UpdateWorkflow that a request
// error (or the context ending) stopped part-way. What the requests before
// it did stands: Unsent names the findings of the request that failed,
// which Security Hub may or may not have taken, and of those never sent;
// Failed, if any, those Security Hub (or the check before sending) refused
// before it stopped.
type StoppedError struct {
	Op     string // BatchImportFindings or BatchUpdateFindings
	Err    error  // what stopped it
	Unsent []string
	Of     int // findings there were to send
	Failed *FailedFindingsError
}

func (e *StoppedError) finish(st *Stats, failed []FailedFinding) error {
	st.Failed = len(failed)
	if len(failed) > 0 {
		e.Failed = &FailedFindingsError{Op: e.Op, Findings: failed}
	}
	return e
}

func (e *StoppedError) Error() string {
	what := "import"
	if e.Op == "BatchUpdateFindings" {
		what = "update"
	}
	msg := fmt.Sprintf("%v (%s stopped; %d of %d findings not sent)", e.Err, what, len(e.Unsent), e.Of)
	if e.Failed != nil {
		msg += "\n" + e.Failed.Error()
	}
	return msg
}

// Unwrap gives what stopped it and the findings refused before.
func (e *StoppedError) Unwrap() []error {
	if e.Failed == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Failed}
}

// IDs returns the IDs of the failed findings.
func (e *FailedFindingsError) IDs() []string {
	ids := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		ids[i] = f.ID
	}
	return ids
}

func notEnabledCode(code string) bool {
	return code == "InvalidAccess" || code == "InvalidAccessException"
}

func accessDeniedCode(code string) bool {
	return code == "AccessDenied" || code == "AccessDeniedException"
}

// retryable reports whether a per-finding error code may clear on its own.
// The codes are not fully documented, so unknown codes are retried.
// FindingNotFound (a workflow update's) may too: the run's import may have
// just created the finding, and Security Hub's reads are eventually
// consistent (GetFindings: peers.md, prowler PR #684). Sent again after the
// backoff, one that is not there costs 3.5 s at most; given up on, it would
// fail the run and e-mail an error the next run clears.
func retryable(code string) bool {
	switch code {
	case "InvalidInput", "InvalidInputException", "InvalidAccess", "InvalidAccessException",
		"AccessDenied", "AccessDeniedException", "FindingSizeExceeded", "DuplicatedFindingIdentifier",
		CodeInvalidFinding, codeUnidentified:
		return false
	}
	return true
}

type pendingFinding struct {
	f    *types.AwsSecurityFinding
	size int
}

// Import sends findings with BatchImportFindings. It checks every finding
// with Validate and measures it first; a finding that fails the check is not
// sent. Findings Security Hub lists as failed are re-sent, alone, while the
// failure may be transient and attempts remain. The error is a
// *FailedFindingsError naming what never got in, or — on a request error,
// which stops the import — a *StoppedError, which says what to enable or
// which permission is missing and names what may not have got in.
func (im *Importer) Import(ctx context.Context, findings []types.AwsSecurityFinding) (Stats, error) {
	var st Stats
	var failed []FailedFinding
	type key struct{ id, arn string }
	seen := make(map[key]bool, len(findings))
	pending := make([]pendingFinding, 0, len(findings))
	for i := range findings {
		f := &findings[i]
		id, arn := aws.ToString(f.Id), aws.ToString(f.ProductArn)
		if err := Validate(*f); err != nil {
			failed = append(failed, FailedFinding{ID: id, ProductARN: arn, Code: CodeInvalidFinding, Message: err.Error()})
			continue
		}
		if seen[key{id, arn}] {
			failed = append(failed, FailedFinding{ID: id, ProductARN: arn, Code: CodeDuplicate, Message: "the same finding appears twice in one import"})
			continue
		}
		seen[key{id, arn}] = true
		b, err := Marshal(*f)
		if err != nil {
			failed = append(failed, FailedFinding{ID: id, ProductARN: arn, Code: CodeInvalidFinding, Message: err.Error()})
			continue
		}
		if len(b) > MaxFindingBytes {
			failed = append(failed, FailedFinding{ID: id, ProductARN: arn, Code: CodeTooLarge,
				Message: fmt.Sprintf("%d bytes of JSON, over the %d limit", len(b), MaxFindingBytes)})
			continue
		}
		pending = append(pending, pendingFinding{f, len(b)})
	}

	sent := 0
	for _, batch := range batches(pending, func(p pendingFinding) int { return p.size }) {
		fails, unsent, err := im.importBatch(ctx, batch, &st)
		failed = append(failed, fails...)
		if err != nil {
			stop := &StoppedError{Op: "BatchImportFindings", Err: err, Of: len(pending)}
			for _, p := range slices.Concat(unsent, pending[sent+len(batch):]) {
				stop.Unsent = append(stop.Unsent, aws.ToString(p.f.Id))
			}
			return st, stop.finish(&st, failed)
		}
		sent += len(batch)
	}
	st.Failed = len(failed)
	if len(failed) > 0 {
		return st, &FailedFindingsError{Op: "BatchImportFindings", Findings: failed}
	}
	return st, nil
}

// batches splits items, in order, into batches of at most MaxBatchFindings
// whose JSON request body ({"Findings":[…]}) is at most MaxBatchBytes, given
// each item's size in bytes. An item larger than a whole batch gets a batch
// of its own (Import never passes one: MaxFindingBytes is far smaller).
func batches[T any](items []T, size func(T) int) [][]T {
	const envelope = len(`{"Findings":[]}`)
	var out [][]T
	start, bytes := 0, envelope
	for i, it := range items {
		n := size(it)
		if i > start {
			n++ // the comma
		}
		if i > start && (i-start == MaxBatchFindings || bytes+n > MaxBatchBytes) {
			out = append(out, items[start:i:i])
			start, bytes = i, envelope
			n = size(it)
		}
		bytes += n
	}
	if start < len(items) {
		out = append(out, items[start:len(items):len(items)])
	}
	return out
}

// sendRetrying sends batch with send, one paced request per attempt, and
// re-sends what send hands back for retry after a backoff, until nothing is
// left to retry. send is told whether this is the last attempt (nothing may
// be retried then) and returns what to re-send, what failed for good, and
// an error that stops the batch. On such an error, or the context ending,
// unsent is what was being sent (or about to be): Security Hub may or may
// not have it.
func sendRetrying[T any](ctx context.Context, im *Importer, batch []T, st *Stats,
	send func(batch []T, last bool) (retry []T, failed []FailedFinding, err error)) (failed []FailedFinding, unsent []T, _ error) {
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			if err := im.backoff(ctx, attempt-1); err != nil {
				return failed, batch, err
			}
		}
		if err := im.pace(ctx); err != nil {
			return failed, batch, err
		}
		st.Requests++
		retry, fails, err := send(batch, attempt >= im.maxAttempts())
		failed = append(failed, fails...)
		if err != nil {
			return failed, batch, err
		}
		if len(retry) == 0 {
			return failed, nil, nil
		}
		st.Retried += len(retry)
		batch = retry
	}
}

func (im *Importer) importBatch(ctx context.Context, batch []pendingFinding, st *Stats) ([]FailedFinding, []pendingFinding, error) {
	productARN := aws.ToString(batch[0].f.ProductArn)
	return sendRetrying(ctx, im, batch, st, func(batch []pendingFinding, last bool) (retry []pendingFinding, failed []FailedFinding, err error) {
		in := &securityhub.BatchImportFindingsInput{Findings: make([]types.AwsSecurityFinding, len(batch))}
		for i, p := range batch {
			in.Findings[i] = *p.f
		}
		out, err := im.Client.BatchImportFindings(ctx, in)
		if err != nil {
			return nil, nil, requestError("BatchImportFindings", productARN, len(batch), err)
		}
		st.Succeeded += int(aws.ToInt32(out.SuccessCount))
		byID := make(map[string]pendingFinding, len(batch))
		for _, p := range batch {
			byID[aws.ToString(p.f.Id)] = p
		}
		for _, ff := range out.FailedFindings {
			id, code := aws.ToString(ff.Id), aws.ToString(ff.ErrorCode)
			if p, ok := byID[id]; ok && retryable(code) && !last {
				retry = append(retry, p)
				delete(byID, id)
				continue
			}
			failed = append(failed, FailedFinding{ID: id, ProductARN: productARN, Code: code, Message: aws.ToString(ff.ErrorMessage)})
		}
		if n := int(aws.ToInt32(out.FailedCount)) - len(out.FailedFindings); n > 0 {
			failed = append(failed, FailedFinding{ProductARN: productARN, Code: codeUnidentified,
				Message: strconv.Itoa(n) + " findings counted as failed but not listed"})
		}
		return retry, failed, nil
	})
}

// FindingIdentifier names a finding for BatchUpdateFindings.
type FindingIdentifier struct {
	ID, ProductARN string
}

// UpdateWorkflow sets the workflow status of the identified findings —
// SUPPRESSED with the suppression's reason as note, or NEW when a
// suppression has expired — with BatchUpdateFindings, 100 findings a
// request. The note (truncated to 512 characters) is shared by every finding
// in the call, so call once per reason. Findings Security Hub leaves
// unprocessed are retried while the failure may be transient (a finding not
// found too: the run may have just imported it); the rest are
// reported in a *FailedFindingsError, and a request error that stops the
// updates in a *StoppedError. BatchUpdateFindings never changes
// UpdatedAt, so it does not interfere with imports.
func (im *Importer) UpdateWorkflow(ctx context.Context, ids []FindingIdentifier, status types.WorkflowStatus, note string) (Stats, error) {
	var st Stats
	if !slices.Contains(status.Values(), status) {
		return st, fmt.Errorf("update workflow: status %q is not one of %v", status, status.Values())
	}
	var noteUpdate *types.NoteUpdate
	if !isBlank(note) {
		text, _ := Truncate(strings.TrimSpace(note), MaxNoteLength)
		noteUpdate = &types.NoteUpdate{Text: aws.String(text), UpdatedBy: aws.String(NoteUpdatedBy)}
	}
	var failed []FailedFinding
	pending := make([]FindingIdentifier, 0, len(ids))
	seen := make(map[FindingIdentifier]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue // Security Hub refuses a request naming a finding twice
		}
		seen[id] = true
		err := checkIdentifier("Id", id.ID, 1, MaxIDLength)
		if err == nil {
			err = checkIdentifier("ProductArn", id.ProductARN, MinProductARNLength, MaxProductARNLength)
		}
		if err != nil {
			failed = append(failed, FailedFinding{ID: id.ID, ProductARN: id.ProductARN, Code: CodeInvalidFinding, Message: err.Error()})
			continue
		}
		pending = append(pending, id)
	}
	for sent := 0; sent < len(pending); sent += MaxBatchFindings {
		batch := pending[sent:min(sent+MaxBatchFindings, len(pending))]
		fails, unsent, err := im.updateBatch(ctx, batch, status, noteUpdate, &st)
		failed = append(failed, fails...)
		if err != nil {
			stop := &StoppedError{Op: "BatchUpdateFindings", Err: err, Of: len(pending)}
			for _, id := range slices.Concat(unsent, pending[sent+len(batch):]) {
				stop.Unsent = append(stop.Unsent, id.ID)
			}
			return st, stop.finish(&st, failed)
		}
	}
	st.Failed = len(failed)
	if len(failed) > 0 {
		return st, &FailedFindingsError{Op: "BatchUpdateFindings", Findings: failed}
	}
	return st, nil
}

func (im *Importer) updateBatch(ctx context.Context, batch []FindingIdentifier, status types.WorkflowStatus, note *types.NoteUpdate, st *Stats) ([]FailedFinding, []FindingIdentifier, error) {
	productARN := batch[0].ProductARN
	return sendRetrying(ctx, im, batch, st, func(batch []FindingIdentifier, last bool) (retry []FindingIdentifier, failed []FailedFinding, err error) {
		in := &securityhub.BatchUpdateFindingsInput{
			FindingIdentifiers: make([]types.AwsSecurityFindingIdentifier, len(batch)),
			Workflow:           &types.WorkflowUpdate{Status: status},
			Note:               note,
		}
		for i, id := range batch {
			in.FindingIdentifiers[i] = types.AwsSecurityFindingIdentifier{Id: aws.String(id.ID), ProductArn: aws.String(id.ProductARN)}
		}
		out, err := im.Client.BatchUpdateFindings(ctx, in)
		if err != nil {
			return nil, nil, requestError("BatchUpdateFindings", productARN, len(batch), err)
		}
		st.Succeeded += len(out.ProcessedFindings)
		for _, u := range out.UnprocessedFindings {
			var id FindingIdentifier
			if u.FindingIdentifier != nil {
				id = FindingIdentifier{ID: aws.ToString(u.FindingIdentifier.Id), ProductARN: aws.ToString(u.FindingIdentifier.ProductArn)}
			}
			code := aws.ToString(u.ErrorCode)
			if id.ID != "" && retryable(code) && !last && slices.Contains(batch, id) {
				retry = append(retry, id)
				continue
			}
			failed = append(failed, FailedFinding{ID: id.ID, ProductARN: id.ProductARN, Code: code, Message: aws.ToString(u.ErrorMessage)})
		}
		return retry, failed, nil
	})
}

// requestError explains a failed request: what to enable or which
// permission is missing, for the errors a person has to fix.
func requestError(op, productARN string, n int, err error) error {
	var (
		invalidAccess *types.InvalidAccessException
		accessDenied  *types.AccessDeniedException
		notFound      *types.ResourceNotFoundException
		apiErr        smithy.APIError
	)
	// An operation's modelled errors arrive typed; others (ResourceNotFound
	// is not modelled for BatchImportFindings) as a generic smithy.APIError
	// carrying the same code.
	code := ""
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	switch {
	case errors.As(err, &invalidAccess) || notEnabledCode(code):
		return fmt.Errorf("%s (%d findings): %w: %s: %w", op, n, ErrNotEnabled, enableHint(productARN), err)
	case errors.As(err, &accessDenied) || accessDeniedCode(code):
		return fmt.Errorf("%s (%d findings): %w: %s: %w", op, n, ErrAccessDenied, permissionHint(op, productARN), err)
	case errors.As(err, &notFound) || code == "ResourceNotFoundException":
		return fmt.Errorf("%s (%d findings): %w: %s not found; %s: %w", op, n, ErrNotEnabled, productARN, enableHint(productARN), err)
	}
	return fmt.Errorf("%s (%d findings): %w", op, n, err)
}

// enableHint says where to enable Security Hub, from the product ARN
// arn:<partition>:securityhub:<region>:<account>:product/<account>/default.
func enableHint(productARN string) string {
	region, account := "the home region", "the audited account"
	if parts := strings.SplitN(productARN, ":", 6); len(parts) == 6 {
		if parts[3] != "" {
			region = "region " + parts[3]
		}
		if parts[4] != "" {
			account = "account " + parts[4]
		}
	}
	return "enable Security Hub CSPM in " + account + ", " + region +
		" (console, or `aws securityhub enable-security-hub`), or check that the configured home region is the one where it is enabled"
}

func permissionHint(op, productARN string) string {
	action := "securityhub:" + op
	hint := "grant " + action + " on " + productARN
	if op == "BatchImportFindings" {
		if parts := strings.SplitN(productARN, ":", 6); len(parts) == 6 && parts[4] != "" {
			hint += ", and import from account " + parts[4] + " itself (an account can import custom findings only for itself)"
		}
	}
	return hint
}

func (im *Importer) maxAttempts() int {
	if im.MaxAttempts > 0 {
		return im.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (im *Importer) now() time.Time {
	if im.Now != nil {
		return im.Now()
	}
	return time.Now()
}

func (im *Importer) sleep(ctx context.Context, d time.Duration) error {
	if im.Sleep != nil {
		return im.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pace waits until the next request may start, so requests are at least
// 1/RatePerSecond apart.
func (im *Importer) pace(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rate := im.RatePerSecond
	if rate <= 0 {
		rate = DefaultRatePerSecond
	}
	interval := time.Duration(float64(time.Second) / rate)
	now := im.now()
	if wait := im.next.Sub(now); wait > 0 {
		if err := im.sleep(ctx, wait); err != nil {
			return err
		}
		now = im.next
	}
	im.next = now.Add(interval)
	return nil
}

// backoff waits before the n-th re-send (n ≥ 1).
func (im *Importer) backoff(ctx context.Context, n int) error {
	base, ceiling := im.BaseDelay, im.MaxDelay
	if base <= 0 {
		base = DefaultBaseDelay
	}
	if ceiling <= 0 {
		ceiling = DefaultMaxDelay
	}
	d := ceiling
	if n < 30 && base<<(n-1) < ceiling {
		d = base << (n - 1)
	}
	if im.Jitter != nil {
		d = im.Jitter(d)
	} else {
		d = d/2 + rand.N(d/2+1)
	}
	return im.sleep(ctx, d)
}
