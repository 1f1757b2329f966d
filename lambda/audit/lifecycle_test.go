package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/finding"
	"github.com/credaudit/credaudit/lambda/rules"
	"github.com/credaudit/credaudit/lambda/state"
)

// This file is a model-based test of the audit lifecycle over many runs:
// what a user sees of an account across a sequence of scheduled runs (the
// digest's news, Security Hub's findings, the stored state), while users
// come and go, credentials change, cells turn to sentinels, suppressions
// and the profile change, custom rules are added, removed, changed and
// disabled, the Security Hub home region moves (back and forth, to regions
// that still hold older copies, with Security Hub off in between: each
// region has its own simulated Security Hub), and publishing or saving
// sometimes fails.
//
// The model does not re-derive verdicts (the rules have their own
// differential test): it takes each run's results as the truth of that run
// and checks the lifecycle the README and issue 4 promise on top of them.

// lifecycleSeed fixes the sequences; a failure prints its sequence.
const (
	lifecycleSeed      = 20261120
	lifecycleSequences = 200
)

// hubFinding is one finding as the simulated Security Hub holds it.
type hubFinding struct {
	asff     shtypes.AwsSecurityFinding
	workflow shtypes.WorkflowStatus
}

// simHub behaves as Security Hub does for one account and region
// (../shared/reference/aws-facts.md §2.6–§2.8): BatchImportFindings creates
// a finding (workflow NEW), updates one only with a later UpdatedAt
// (silently ignoring the rest) and never touches its workflow status;
// BatchUpdateFindings sets the workflow status of findings it holds (an
// unknown one is unprocessed) and never UpdatedAt; ARCHIVED→ACTIVE or
// PASSED→FAILED resets NOTIFIED/RESOLVED, never SUPPRESSED, to NEW; an
// active finding is deleted 90 days after its last update, an archived
// one 30. Faults are set per run.
type simHub struct {
	mu       sync.Mutex
	region   string // the region this Security Hub is in: imports and updates name it
	findings map[string]*hubFinding
	imports  int // findings received by BatchImportFindings
	updates  int // findings received by BatchUpdateFindings

	// Faults of the current run.
	refuse         map[string]bool // imports refused (FailedFindings)
	importDown     bool            // every BatchImportFindings call fails
	importLost     bool            // imports are applied, then the call fails (a lost response)
	refuseWorkflow map[string]bool // workflow updates left unprocessed
	workflowLost   bool            // workflow updates are applied, then the call fails
}

func (h *simHub) clearFaults() {
	h.refuse, h.importDown, h.importLost, h.refuseWorkflow, h.workflowLost = nil, false, false, nil, false
}

// expire deletes the findings last updated 90 days or more before asOf,
// or 30 for an archived one.
func (h *simHub) expire(asOf time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, f := range h.findings {
		keep := 90 * 24 * time.Hour
		if f.asff.RecordState == shtypes.RecordStateArchived {
			keep = 30 * 24 * time.Hour
		}
		if u, err := time.Parse(time.RFC3339Nano, *f.asff.UpdatedAt); err == nil && !asOf.Before(u.Add(keep)) {
			delete(h.findings, id)
		}
	}
}

func (h *simHub) BatchImportFindings(_ context.Context, in *securityhub.BatchImportFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.importDown {
		return nil, apiError("InternalException", "injected by the test")
	}
	if h.findings == nil {
		h.findings = map[string]*hubFinding{}
	}
	out := &securityhub.BatchImportFindingsOutput{}
	for _, f := range in.Findings {
		if h.region != "" && (f.Region != nil && *f.Region != h.region || !strings.Contains(aws.ToString(f.ProductArn), ":securityhub:"+h.region+":")) {
			// aws-facts: the product ARN (and Region) of an import name
			// the region the call is made in.
			return nil, apiError("AccessDeniedException", fmt.Sprintf("a finding for %s (%s) imported into %s", aws.ToString(f.Region), aws.ToString(f.ProductArn), h.region))
		}
	}
	for _, f := range in.Findings {
		h.imports++
		id := *f.Id
		if h.refuse[id] {
			out.FailedFindings = append(out.FailedFindings, shtypes.ImportFindingsError{Id: f.Id, ErrorCode: aws.String("InvalidInput"), ErrorMessage: aws.String("refused by the test")})
			continue
		}
		held, ok := h.findings[id]
		if !ok && *f.CreatedAt != *f.UpdatedAt {
			out.FailedFindings = append(out.FailedFindings, creationRefused(f))
			continue
		}
		if !ok {
			h.findings[id] = &hubFinding{asff: f, workflow: shtypes.WorkflowStatusNew}
			continue
		}
		if !after(*f.UpdatedAt, *held.asff.UpdatedAt) {
			continue // silently ignored, as Security Hub does
		}
		reopened := held.asff.RecordState == shtypes.RecordStateArchived && f.RecordState != shtypes.RecordStateArchived ||
			compliance(held.asff) == shtypes.ComplianceStatusPassed && compliance(f) == shtypes.ComplianceStatusFailed
		if reopened && (held.workflow == shtypes.WorkflowStatusNotified || held.workflow == shtypes.WorkflowStatusResolved) {
			held.workflow = shtypes.WorkflowStatusNew
		}
		held.asff = f
	}
	out.FailedCount = aws.Int32(int32(len(out.FailedFindings)))
	out.SuccessCount = aws.Int32(int32(len(in.Findings) - len(out.FailedFindings)))
	if h.importLost {
		return nil, apiError("InternalException", "response lost, injected by the test")
	}
	return out, nil
}

func (h *simHub) BatchUpdateFindings(_ context.Context, in *securityhub.BatchUpdateFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchUpdateFindingsOutput, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := &securityhub.BatchUpdateFindingsOutput{}
	for _, fi := range in.FindingIdentifiers {
		if h.region != "" && !strings.Contains(aws.ToString(fi.ProductArn), ":securityhub:"+h.region+":") {
			return nil, apiError("AccessDeniedException", fmt.Sprintf("a workflow update of %s sent to %s", aws.ToString(fi.ProductArn), h.region))
		}
	}
	for _, fi := range in.FindingIdentifiers {
		h.updates++
		held, ok := h.findings[*fi.Id]
		if !ok || h.refuseWorkflow[*fi.Id] {
			out.UnprocessedFindings = append(out.UnprocessedFindings, shtypes.BatchUpdateFindingsUnprocessedFinding{
				FindingIdentifier: &fi, ErrorCode: aws.String("FindingNotFound"), ErrorMessage: aws.String("not found or refused by the test")})
			continue
		}
		held.workflow = in.Workflow.Status
		out.ProcessedFindings = append(out.ProcessedFindings, fi)
	}
	if h.workflowLost {
		return nil, apiError("InternalException", "response lost, injected by the test")
	}
	return out, nil
}

func compliance(f shtypes.AwsSecurityFinding) shtypes.ComplianceStatus {
	if f.Compliance == nil {
		return ""
	}
	return f.Compliance.Status
}

// memStore keeps one account's state encoded in memory, as state.Dir
// keeps it in a file (Encode and Decode, a conditional Save), without the
// file system's cost.
type memStore struct {
	data    []byte
	version int
}

func (m *memStore) Load(_ context.Context, acct string) (*state.State, state.Token, error) {
	if m.data == nil {
		return state.New(acct), state.NoObject, nil
	}
	s, err := state.Decode(m.data)
	return s, state.Token(fmt.Sprint(m.version)), err
}

func (m *memStore) Save(_ context.Context, _ string, s *state.State, token state.Token) (state.Token, error) {
	if (m.data == nil) != (token == state.NoObject) || m.data != nil && string(token) != fmt.Sprint(m.version) {
		return state.NoObject, state.ErrConflict
	}
	data, err := state.Encode(s)
	if err != nil {
		return state.NoObject, err
	}
	m.data = data
	m.version++
	return state.Token(fmt.Sprint(m.version)), nil
}

func (m *memStore) Hint(error) string { return "" }

// simKey is one access key of a simulated user.
type simKey struct {
	exists, active    bool
	rotated, lastUsed time.Time // lastUsed zero: never used
}

// simUser is one IAM user (or root) of the simulated account.
type simUser struct {
	name              string
	exists            bool
	created           time.Time
	password          bool
	pwChanged, pwUsed time.Time // pwUsed zero: never used (no_information)
	mfa               bool
	keys              [2]simKey
	cert              bool
	certRotated       time.Time
	sentinelCol       int // a column holding sentinel instead of its value; 0: none
	sentinel          string
	root              bool
	rootUsed          time.Time
}

// simAccount is the account the sequence mutates.
type simAccount struct {
	users []*simUser
	root  *simUser
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

// report writes the account's credential report.
func (a *simAccount) report() []byte {
	var b bytes.Buffer
	b.WriteString(credreporttest.Header + "\n")
	rows := append([]*simUser{a.root}, a.users...)
	for _, u := range rows {
		if !u.exists {
			continue
		}
		cells := make([]string, 22)
		for i := range cells {
			cells[i] = "N/A"
		}
		cells[0] = u.name
		cells[1] = "arn:aws:iam::" + sampleAccount + ":user/" + u.name
		cells[2] = ts(u.created)
		if u.root {
			cells[0], cells[1] = "<root_account>", "arn:aws:iam::"+sampleAccount+":root"
			cells[3], cells[5], cells[6] = "not_supported", "not_supported", "not_supported"
			cells[4] = ts(u.rootUsed)
		} else {
			cells[3] = fmt.Sprint(u.password)
			if u.password {
				cells[4] = "no_information"
				if !u.pwUsed.IsZero() {
					cells[4] = ts(u.pwUsed)
				}
				cells[5] = ts(u.pwChanged)
			}
		}
		cells[7] = fmt.Sprint(u.mfa)
		for k, key := range u.keys {
			at := 8 + 5*k
			cells[at] = fmt.Sprint(key.exists && key.active)
			if key.exists {
				cells[at+1] = ts(key.rotated)
				if !key.lastUsed.IsZero() {
					cells[at+2], cells[at+3], cells[at+4] = ts(key.lastUsed), "us-east-1", "iam"
				}
			}
		}
		cells[18], cells[20] = fmt.Sprint(u.cert), "false"
		if u.cert {
			cells[19] = ts(u.certRotated)
		}
		if u.sentinelCol > 0 {
			cells[u.sentinelCol] = u.sentinel
		}
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	return b.Bytes()
}

// lifecycle is one sequence: the account, the auditor and fakes, and the
// model of what the user has been told and what Security Hub must hold.
type lifecycle struct {
	t    *testing.T
	rng  *rand.Rand
	acct *simAccount
	iam  *fakeIAM
	hub  *simHub
	sns  *fakeSNS
	a    *Auditor

	// hubs is Security Hub in each region the sequence made home; hub is
	// the home region's, l.a.HubRegion.
	hubs map[string]*simHub
	// custom is each custom rule the configuration declares, by ID;
	// disabled, those it turns off with rules: {ID: {enabled: false}}.
	custom   map[string]customRule
	disabled map[string]bool
	cfg      *config.Config

	asOf         time.Time
	profile      string
	suppressions []rules.Suppression
	nextSupp     int

	// failing is what Security Hub must hold ACTIVE and FAILED: each
	// finding whose last decided result failed. muted: a suppression
	// muted that result. covered: a suppression covers the last run's
	// result, failing or NOT_AVAILABLE (README: a suppression covers a
	// result the run could not decide, and the finding is kept muted in
	// Security Hub), so Security Hub must hold it SUPPRESSED.
	failing, muted, covered map[string]bool
	reasons                 map[string]string // the last failing reason seen
	// failedBy is, for each finding of a user last seen failing, that
	// user's creation time: one deleted and created again under the same
	// name since has another, and its failure is news (README, "State and
	// diff").
	failedBy map[string]time.Time
	// told is what the sent digests (and the quiet runs) have told the
	// user is failing, unmuted; toldReason the reason they said.
	told         map[string]bool
	toldReason   map[string]string
	rootUsedTold time.Time // root's last use when the user was last told
	// openSince: findings open (failing, muted or not) at some run since
	// the last digest the user received, which a digest may resolve.
	openSince map[string]bool
	// createdAt is each finding's CreatedAt while Security Hub holds it,
	// by region and ID (regionKey). A loose one may change once (loosen).
	createdAt map[string]string
	loose     map[string]bool
	// firstObserved is each finding's earliest FirstObservedAt while
	// Security Hub holds it, by region and ID: it may move earlier (two
	// overlapping runs opened it, the later one's import taken first),
	// never later.
	firstObserved map[string]string
	// updatedBefore is the home region's UpdatedAt of each finding before
	// the run.
	updatedBefore map[string]string

	log      []string
	lastSeen time.Time // the as-of of the last run the state saw
	clean    bool      // the last run published, notified and saved everything

	// The report and suppressions before this step's changes, for the
	// first of two overlapping runs.
	prevReport       []byte
	prevSuppressions []rules.Suppression
	prevRootUsed     time.Time
}

func (l *lifecycle) logf(format string, args ...any) {
	l.log = append(l.log, fmt.Sprintf(format, args...))
}

// fail reports a violation with the sequence that led to it.
func (l *lifecycle) fail(format string, args ...any) {
	l.t.Helper()
	l.t.Fatalf("%s\n\nsequence:\n  %s", fmt.Sprintf(format, args...), strings.Join(l.log, "\n  "))
}

func newLifecycle(t *testing.T, rng *rand.Rand) *lifecycle {
	start := time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)
	l := &lifecycle{
		t: t, rng: rng, acct: &simAccount{}, hub: &simHub{region: "eu-west-1"}, sns: &fakeSNS{}, asOf: start,
		custom: map[string]customRule{}, disabled: map[string]bool{},
		failing: map[string]bool{}, muted: map[string]bool{}, covered: map[string]bool{}, reasons: map[string]string{}, failedBy: map[string]time.Time{},
		told: map[string]bool{}, toldReason: map[string]string{}, openSince: map[string]bool{}, createdAt: map[string]string{}, loose: map[string]bool{}, firstObserved: map[string]string{},
	}
	l.acct.root = &simUser{root: true, exists: true, created: start.AddDate(-5, 0, 0), mfa: rng.IntN(2) == 0,
		rootUsed: start.AddDate(0, 0, -rng.IntN(200))}
	if rng.IntN(3) == 0 {
		l.acct.root.keys[0] = simKey{exists: true, active: true, rotated: start.AddDate(-1, 0, 0)}
	}
	for i := range 3 + rng.IntN(4) {
		u := &simUser{name: fmt.Sprintf("u%d", i)}
		l.create(u, start.AddDate(0, 0, -rng.IntN(400)))
		l.acct.users = append(l.acct.users, u)
	}
	l.profile = []string{"recommended", "all"}[rng.IntN(2)]
	l.iam = &fakeIAM{report: l.acct.report(), generated: start}
	l.a = &Auditor{
		IAM: l.iam, Store: &memStore{}, Hub: importer(nil), HubRegion: "eu-west-1",
		Topic: l.sns, TopicARN: "arn:aws:sns:eu-west-1:123456789012:credaudit",
		Notify: []NotifyMode{NotifyChanges, NotifyChanges, NotifyAlways}[rng.IntN(3)],
		Now:    func() time.Time { return l.iam.generated.Add(2 * time.Hour) },
	}
	l.a.Hub.Client = l.hub
	l.hubs = map[string]*simHub{l.hub.region: l.hub}
	if rng.IntN(2) == 0 {
		l.customRules(nil)
	}
	l.selectProfile()
	l.logf("users %d, profile %s, notify %s, root MFA %v", len(l.acct.users), l.profile, l.a.Notify, l.acct.root.mfa)
	return l
}

// create makes u exist as a user created at at, with random credentials.
func (l *lifecycle) create(u *simUser, at time.Time) {
	*u = simUser{name: u.name, exists: true, created: at}
	r := l.rng
	if r.IntN(2) == 0 {
		u.password, u.pwChanged = true, at
		if r.IntN(2) == 0 {
			u.pwUsed = at.Add(time.Hour)
		}
	}
	u.mfa = r.IntN(3) == 0
	if r.IntN(2) == 0 {
		u.keys[0] = simKey{exists: true, active: true, rotated: at}
		if r.IntN(2) == 0 {
			u.keys[0].lastUsed = at.Add(time.Hour)
		}
	}
	if r.IntN(6) == 0 {
		u.keys[1] = simKey{exists: true, active: true, rotated: at}
	}
	if r.IntN(8) == 0 {
		u.cert, u.certRotated = true, at
	}
}

func (l *lifecycle) selectProfile() {
	sel, name, err := l.cfg.Selection(l.profile)
	if err != nil {
		l.t.Fatal(err)
	}
	l.a.Selected, l.a.Profile = sel, name
}

// findingID is a finding's ID as finding/doc.go documents it:
// credaudit/<account>/<rule>/<resource id>.
func findingID(r *rules.Result) string {
	return "credaudit/" + sampleAccount + "/" + r.Rule.ID + "/" + r.ResourceID()
}

// mutate changes the account, the configuration and the clock between runs.
func (l *lifecycle) mutate() {
	r := l.rng
	days := 1 + r.IntN(20)
	if r.IntN(6) == 0 {
		days = 25 + r.IntN(20) // past a refresh, or a threshold
	}
	l.asOf = l.asOf.AddDate(0, 0, days)
	now := l.asOf.Add(-time.Hour)
	var did []string
	for range 1 + r.IntN(3) {
		u := l.acct.users[r.IntN(len(l.acct.users))]
		switch k := r.IntN(17); {
		case !u.exists:
			l.create(u, now)
			did = append(did, u.name+" created")
		case k == 0:
			u.exists = false
			did = append(did, u.name+" deleted")
		case k == 1:
			u.password = !u.password
			u.pwChanged, u.pwUsed = now, time.Time{}
			did = append(did, fmt.Sprintf("%s password %v", u.name, u.password))
		case k == 2 && u.password:
			u.pwUsed = now
			did = append(did, u.name+" signs in")
		case k == 3:
			u.mfa = !u.mfa
			did = append(did, fmt.Sprintf("%s MFA %v", u.name, u.mfa))
		case k == 4:
			i := r.IntN(2)
			u.keys[i] = simKey{exists: true, active: true, rotated: now}
			did = append(did, fmt.Sprintf("%s key %d created", u.name, i+1))
		case k == 5:
			i := r.IntN(2)
			u.keys[i].active = false
			did = append(did, fmt.Sprintf("%s key %d deactivated", u.name, i+1))
		case k == 6:
			i := r.IntN(2)
			if u.keys[i].exists {
				u.keys[i].lastUsed = now
				did = append(did, fmt.Sprintf("%s key %d used", u.name, i+1))
			}
		case k == 7:
			u.cert, u.certRotated = !u.cert, now
			did = append(did, fmt.Sprintf("%s certificate %v", u.name, u.cert))
		case k == 9:
			// A report with one column unreadable for every user, or all
			// cells readable again.
			col, val := []int{4, 7, 8, 10}[r.IntN(4)], []string{"N/A", "no_information", "not_supported"}[r.IntN(3)]
			if slices.ContainsFunc(l.acct.users, func(u *simUser) bool { return u.sentinelCol > 0 }) {
				col = 0
			}
			for _, u := range l.acct.users {
				u.sentinelCol, u.sentinel = col, val
			}
			did = append(did, fmt.Sprintf("every user's column %d %s", col, val))
		case k == 8:
			if u.sentinelCol > 0 {
				u.sentinelCol = 0
				did = append(did, u.name+" sentinel cleared")
				break
			}
			u.sentinelCol = []int{3, 4, 5, 7, 8, 9, 10, 13, 18}[r.IntN(9)]
			u.sentinel = []string{"N/A", "no_information", "not_supported"}[r.IntN(3)]
			did = append(did, fmt.Sprintf("%s column %d %s", u.name, u.sentinelCol, u.sentinel))
		case k == 10:
			l.suppress(u, &did)
		case k == 11 && len(l.suppressions) > 0:
			i := r.IntN(len(l.suppressions))
			did = append(did, "suppression "+l.suppressions[i].Source+" removed")
			l.suppressions = slices.Delete(l.suppressions, i, i+1)
		case k == 12:
			root := l.acct.root
			switch r.IntN(4) {
			case 0:
				root.rootUsed = now
				did = append(did, "root signs in")
			case 1:
				root.mfa = !root.mfa
				did = append(did, fmt.Sprintf("root MFA %v", root.mfa))
			case 2:
				root.keys[0] = simKey{exists: true, active: !root.keys[0].active, rotated: now}
				did = append(did, fmt.Sprintf("root key %v", root.keys[0].active))
			default:
				if l.iam.accountErr == nil {
					l.iam.accountErr = apiError("AccessDenied", "GetAccountSummary denied by the test")
				} else {
					l.iam.accountErr = nil
				}
				did = append(did, fmt.Sprintf("account facts readable %v", l.iam.accountErr == nil))
			}
		case k == 13:
			l.profile = []string{"recommended", "all", "cis-1.2", "fsbp"}[r.IntN(4)]
			l.selectProfile()
			did = append(did, "profile "+l.profile)
		case k == 14 || k == 15:
			l.customRules(&did)
			l.selectProfile()
		case k >= 16:
			l.moveHome(&did)
		}
	}
	l.a.Suppressions = slices.Clone(l.suppressions)
	l.iam.report = l.acct.report()
	l.iam.generated = l.asOf
	l.logf("+%dd (%s): %s", days, l.asOf.Format(time.DateOnly), strings.Join(did, "; "))
}

// suppress adds a suppression of one of u's rules (or all), maybe
// expiring, or changes an existing one's reason.
func (l *lifecycle) suppress(u *simUser, did *[]string) {
	r := l.rng
	if len(l.suppressions) > 0 && r.IntN(3) == 0 {
		i := r.IntN(len(l.suppressions))
		l.suppressions[i].Reason += "+"
		*did = append(*did, "suppression "+l.suppressions[i].Source+" reason changed")
		return
	}
	rule := "*"
	if r.IntN(3) > 0 {
		rule = l.a.Selected[r.IntN(len(l.a.Selected))].Rule.ID
	}
	s := rules.Suppression{RuleID: rule, User: u.name, Reason: "accepted risk", Source: fmt.Sprintf("credaudit.yaml:%d", 10+l.nextSupp)}
	l.nextSupp++
	what := "no expiry"
	if r.IntN(2) == 0 {
		s.Expires = l.asOf.AddDate(0, 0, 1+r.IntN(17))
		what = "expires " + s.Expires.Format(time.DateOnly)
	}
	l.suppressions = append(l.suppressions, s)
	*did = append(*did, fmt.Sprintf("suppression %s: %s %s (%s)", s.Source, rule, u.name, what))
}

// fault is what goes wrong in one run.
type fault int

const (
	noFault      fault = iota
	hubRefuses         // Security Hub refuses some imports
	hubDown            // every import call fails
	hubLost            // imports land, the response is lost
	workflowRef        // Security Hub leaves some workflow updates unprocessed
	workflowLost       // workflow updates land, the response is lost
	hubOff             // Security Hub publishing is turned off for the run
	snsFails           // the digest cannot be sent
	conflict           // another run saves the state first
	cannotSee          // the report cannot be acquired, or is older than the state's
	rerun              // the same input again, at once
	move               // the same input again, at once, with another home region
)

var faultNames = [...]string{"", "Security Hub refuses some imports", "Security Hub import calls fail", "Security Hub imports land but the response is lost",
	"Security Hub refuses some workflow updates", "Security Hub workflow updates land but the response is lost", "Security Hub off",
	"SNS refuses the digest", "another run saves first", "the run cannot see", "the same input again", "the home region changes"}

func (l *lifecycle) pickFault() fault {
	switch n := l.rng.IntN(35); {
	case n < 22:
		return noFault
	case n < 24:
		if l.clean {
			return rerun
		}
		return noFault
	case n < 26:
		if l.clean {
			return move
		}
		return noFault
	default:
		return fault(1 + (n-26)%9)
	}
}

// step runs one audit (or, for a conflict, two overlapping ones) and checks
// the model.
func (l *lifecycle) step(f fault) {
	ctx := context.Background()
	for _, h := range l.hubs {
		h.clearFaults()
	}
	l.sns.err, l.sns.refused = nil, 0
	l.sns.take()
	hub := l.a.Hub
	defer func() { l.a.Hub = hub }()
	switch f {
	case rerun:
		l.logf("run again on the same report and configuration")
	case move:
		var did []string
		l.moveHome(&did)
		l.logf("run again on the same report and configuration, %s", did[0])
	default:
		l.mutate()
		if f != noFault {
			l.logf("  fault: %s", faultNames[f])
		}
	}
	l.a.Hub.Client = l.hub
	for region, h := range l.hubs {
		h.expire(l.asOf)
		for key := range l.createdAt {
			if r, id, _ := strings.Cut(key, " "); r == region {
				if _, ok := h.findings[id]; !ok {
					delete(l.createdAt, key) // expired: a finding created again may have another CreatedAt
					delete(l.firstObserved, key)
				}
			}
		}
	}
	importsBefore, updatesBefore := l.hub.imports, l.hub.updates
	l.updatedBefore = map[string]string{}
	for id, f := range l.hub.findings {
		l.updatedBefore[id] = *f.asff.UpdatedAt
	}
	r := l.rng
	switch f {
	case hubRefuses, workflowRef:
		// In ID order, so that the seed picks the same findings each time.
		ids := map[string]bool{}
		for _, id := range slices.Sorted(maps.Keys(l.failing)) {
			if r.IntN(2) == 0 {
				ids[id] = true
			}
		}
		for _, id := range slices.Sorted(maps.Keys(l.hub.findings)) {
			if r.IntN(2) == 0 {
				ids[id] = true
			}
		}
		if f == hubRefuses {
			l.hub.refuse = ids
		} else {
			l.hub.refuseWorkflow = ids
		}
	case hubDown:
		l.hub.importDown = true
	case hubLost:
		l.hub.importLost = true
	case workflowLost:
		l.hub.workflowLost = true
	case hubOff:
		l.a.Hub = nil
	case snsFails:
		l.sns.err = apiError("KMSAccessDeniedException", "injected by the test")
	case cannotSee:
		l.cannotSee(ctx)
		return
	case conflict:
		l.overlap(ctx)
		return
	}

	out, err := l.a.Run(ctx)
	var failure *Failure
	if errors.As(err, &failure) || out == nil {
		l.fail("run failed to see: %v", err)
	}
	if f == noFault || f == rerun || f == move {
		if err != nil {
			l.fail("a run without faults failed: %v", err)
		}
	}
	if !out.Saved {
		l.fail("the state was not saved: %v", err)
	}
	sent := l.sns.take()
	if f == move {
		// README, CREDAUDIT_SECURITY_HUB_REGION: "Changed, the next run
		// imports every open finding into the new region, with its
		// suppression, and every finding archived in the last 90 days,
		// archived ..., quietly (no news: no digest in changes mode)".
		if n := out.Counts.Changes(); n != 0 {
			l.fail("a change of home region alone reports %d changes: %+v", n, out.Counts)
		}
		if l.a.Notify == NotifyChanges && len(sent) != 0 && l.iam.accountErr == nil {
			l.fail("a change of home region alone sends a digest in changes mode:\n%s", *sent[0].Message)
		}
	}
	if f == rerun {
		// README, SNS digest / CREDAUDIT_NOTIFY and issue 4 §6: a run over an
		// unchanged account reports nothing, sends no digest in changes mode
		// and imports nothing ("0 imports, 0 publishes").
		if n := out.Counts.Changes(); n != 0 {
			l.fail("the same input again reports %d changes: %+v", n, out.Counts)
		}
		if l.hub.imports != importsBefore || l.hub.updates != updatesBefore {
			l.fail("the same input again sends Security Hub %d imports and %d workflow updates", l.hub.imports-importsBefore, l.hub.updates-updatesBefore)
		}
		if l.a.Notify == NotifyChanges && len(sent) != 0 && l.iam.accountErr == nil {
			l.fail("the same input again sends a digest in changes mode:\n%s", *sent[0].Message)
		}
	}
	// Root facts that could not be read are a failure to see: the digest
	// goes out whatever the mode allows but never.
	if l.iam.accountErr != nil && l.a.Notify != NotifyNever && !l.a.NoAlerts && f != snsFails && len(sent) != 1 {
		l.fail("the root facts could not be read, and %d digests were sent, want 1", len(sent))
	}
	// A refusal only counts when the run sent a digest: one with no news
	// in changes mode sends none, and is as quiet as without the fault.
	l.news(out, len(sent) == 1, f == snsFails && l.sns.refused > 0, nil, l.acct.root.rootUsed)
	l.lastSeen = out.Observation.AsOf
	l.clean = err == nil && f != hubOff // a run with Security Hub off owes it its imports
	if f != hubOff && out.Hub.Err == nil {
		l.checkHub(out)
	}
	l.checkStable()
	if f == hubLost || f == hubDown {
		// An import reported failed that created a finding all the same
		// (or created it again, after a move back): the next import taken
		// cannot know that it landed (finding.NextAfter). Nor can it know
		// that a call that failed did not land: an archive it carried,
		// which Security Hub deletes sooner than the open finding before
		// it, is sent again as creating the finding.
		l.loosen(l.a.HubRegion)
	}
}

// cannotSee runs an audit that cannot see: README, "A run that cannot see
// ... sends an operational alert (kind=error ...), imports nothing,
// resolves nothing, keeps the state and fails the invocation" — and the
// report older than the one the state last saw is one such run.
func (l *lifecycle) cannotSee(ctx context.Context) {
	store := l.a.Store.(*memStore)
	before := bytes.Clone(store.data)
	gen := l.iam.generated
	older := l.rng.IntN(2) == 0 && !l.lastSeen.IsZero()
	if older {
		l.iam.generated = l.lastSeen.Add(-time.Hour)
		l.logf("  (the report is an hour older than the state's)")
	} else {
		l.iam.err = apiError("AccessDenied", "User is not authorized to perform: iam:GetCredentialReport")
	}
	importsBefore, updatesBefore := l.hub.imports, l.hub.updates
	_, err := l.a.Run(ctx)
	l.iam.err, l.iam.generated = nil, gen
	var failure *Failure
	if !errors.As(err, &failure) {
		l.fail("a run that cannot see returned %v, want a *Failure", err)
	}
	if !bytes.Equal(before, store.data) {
		l.fail("a run that cannot see changed the state")
	}
	if l.hub.imports != importsBefore || l.hub.updates != updatesBefore {
		l.fail("a run that cannot see sent Security Hub %d imports and %d workflow updates", l.hub.imports-importsBefore, l.hub.updates-updatesBefore)
	}
	sent := l.sns.take()
	if len(sent) != 1 || *sent[0].MessageAttributes["kind"].StringValue != KindError {
		l.fail("a run that cannot see sent %d messages, want one operational alert", len(sent))
	}
	l.clean = false
	// The account changed meanwhile: the model's next run sees it all.
}

// overlap runs two audits that overlap, as overlap in audit_test.go does:
// A observes the account before this step's changes, B after (an hour
// later); B loads the state, A audits and saves, then B saves and finds a
// conflict. README, "State and diff": "of two overlapping runs the first to
// save wins, and the other saves the winner's state again with each
// finding the two sent Security Hub otherwise ... due to be sent again by
// the next run". Both digests are sent: the model takes A's news, then
// B's, allowing B to repeat A's.
func (l *lifecycle) overlap(ctx context.Context) {
	// Undo the report change for A: A saw the account as it was.
	newReport := l.iam.report
	l.iam.report = l.prevReport
	obsA, err := l.a.Observe(ctx)
	if err != nil {
		l.fail("observe A: %v", err)
	}
	l.iam.report = newReport
	l.iam.generated = l.asOf.Add(time.Hour)
	obsB, err := l.a.Observe(ctx)
	if err != nil {
		l.fail("observe B: %v", err)
	}
	var outA *Outcome
	var sentA int
	// Either run, or both, may have Security Hub off: what the loser
	// reported is then reconciled without having been sent.
	offA, offB := false, false
	switch l.rng.IntN(4) {
	case 1:
		offA = true
	case 2:
		offB = true
	case 3:
		offA, offB = true, true
	}
	if offA || offB {
		l.logf("  (Security Hub off for A %v, for B %v)", offA, offB)
	}
	b := *l.a
	if offB {
		b.Hub = nil
	}
	b.Store = &racingStore{Store: l.a.Store, race: func() {
		a := *l.a
		a.Suppressions = l.prevSuppressions
		if offA {
			a.Hub = nil
		}
		var errA error
		if outA, errA = a.Audit(ctx, obsA); errA != nil {
			l.fail("A: %v", errA)
		}
		sentA = len(l.sns.take())
	}}
	outB, err := b.Audit(ctx, obsB)
	if err != nil || !outB.Conflict || outA == nil {
		l.fail("B: conflict %v, err %v", outB != nil && outB.Conflict, err)
	}
	sentB := len(l.sns.take())
	prior := &priorTold{told: cloneSet(l.told), open: cloneSet(l.openSince), rootUsedTold: l.rootUsedTold}
	l.news(outA, sentA == 1, false, nil, l.prevRootUsed)
	l.news(outB, sentB == 1, false, prior, l.acct.root.rootUsed)
	l.lastSeen = obsB.AsOf
	if !outB.Saved {
		// B sent Security Hub nothing, so A's state stands, as of A's report.
		l.lastSeen = obsA.AsOf
	}
	l.clean = false
	l.checkStable()
	// Two overlapping runs that sent a finding otherwise: which import
	// Security Hub holds is not known (finding.AfterConflict).
	l.loosen("")
}

// loosen lets the CreatedAt of each finding Security Hub holds in region
// (every region when "") change once: the run cannot know that Security
// Hub holds it, so the next import taken sends its own UpdatedAt as
// CreatedAt.
func (l *lifecycle) loosen(region string) {
	for key := range l.createdAt {
		if r, _, _ := strings.Cut(key, " "); region == "" || r == region {
			l.loose[key] = true
		}
	}
}

type priorTold struct {
	told, open   map[string]bool
	rootUsedTold time.Time
}

func cloneSet(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// news checks a run's digest against what the user was told, then updates
// the model. README, CREDAUDIT_NOTIFY and "State and diff": a digest when
// something is new, changed, unmuted (a failing finding whose suppression
// expired or was removed), resolved or gone, each reported once; a
// NOT_AVAILABLE result never resolves anything; "A digest that cannot be
// sent fails it too, and the next run reports the same changes". A muted
// finding is not news (it is not in the digest), its unmuting is. prior,
// for the second of two overlapping runs, is what the user had been told
// before the first one's digest, which this one may repeat.
func (l *lifecycle) news(out *Outcome, sent, snsFailed bool, prior *priorTold, rootUsed time.Time) {
	// The truth after this run.
	visibleBefore := map[string]bool{}
	for id := range l.failing {
		visibleBefore[id] = !l.muted[id]
	}
	seen := map[string]bool{}
	for i := range out.Results {
		res := &out.Results[i]
		id := findingID(res)
		seen[id] = true
		switch res.Status {
		case rules.Failed:
			if created, ok := res.Entry.UserCreationTime.Get(); ok && !res.Entry.IsRoot() {
				if was, had := l.failedBy[id]; had && !was.Equal(created) {
					// The user was told of the old user's failure, not of
					// this one's: it is news, until a digest reports it.
					delete(l.told, id)
					if prior != nil {
						delete(prior.told, id)
					}
				}
				l.failedBy[id] = created
			}
			l.failing[id], l.muted[id], l.reasons[id] = true, suppressedIn(out, res), res.Reason
		case rules.Passed:
			delete(l.failing, id)
			delete(l.muted, id)
		} // NOT_AVAILABLE: what was known stands
		l.covered[id] = suppressedIn(out, res)
	}
	for id := range l.failing {
		if !seen[id] { // gone: the user deleted, or the rule no longer run
			delete(l.failing, id)
			delete(l.muted, id)
		}
	}
	maps.DeleteFunc(l.covered, func(id string, _ bool) bool { return !l.failing[id] })
	for id := range l.failing {
		l.openSince[id] = true
	}
	if snsFailed {
		if sent {
			l.fail("the digest was sent though SNS refused it")
		}
		// Nobody heard: the next run must report it all. A failure the user
		// was told of and this run muted stays unmuted as far as the user
		// knows (finding.NextUnnotified keeps its record): a next run that
		// cannot see it carries it unmuted, and has no unmuting to report.
		for id, v := range visibleBefore {
			if v && l.failing[id] && l.muted[id] {
				l.muted[id] = false
			}
		}
		return
	}
	if !sent && (l.a.Notify == NotifyAlways || out.Hub.Err != nil) {
		l.fail("no digest sent (notify %s, Security Hub error %v)", l.a.Notify, out.Hub.Err)
	}
	l.logf("  -> %s", summarizeChanges(out, sent))
	// What the digest said (nothing, when changes mode found no news).
	fresh, resolved := map[string]string{}, map[string]bool{}
	if sent {
		for i := range out.Changes {
			ch := &out.Changes[i]
			switch {
			case ch.Kind == finding.Resolved || ch.Kind == finding.Gone:
				resolved[ch.ID()] = true
			case ch.Record.Suppressed:
			case ch.Kind == finding.New || ch.Kind == finding.Changed || ch.Kind == finding.StillFailing && ch.Unmuted():
				fresh[ch.ID()] = ch.Kind.String() + ": " + ch.Record.Reason
			}
		}
	}
	told, open, rootUsedTold := l.told, l.openSince, l.rootUsedTold
	if prior != nil {
		told, open, rootUsedTold = prior.told, prior.open, prior.rootUsedTold
	}
	ids := map[string]bool{}
	for _, m := range []map[string]bool{l.failing, l.told, resolved} {
		for id := range m {
			ids[id] = true
		}
	}
	for id := range fresh {
		ids[id] = true
	}
	for id := range ids {
		visible := l.failing[id] && !l.muted[id]
		what, isFresh := fresh[id]
		switch {
		case visible && !told[id] && !isFresh && (prior == nil || !l.told[id]):
			l.fail("%s fails (%s) and the user was not told, but the digest (sent %v) does not report it", id, l.reasons[id], sent)
		case isFresh && !visible:
			l.fail("the digest reports %s (%s), which is not failing unmuted", id, what)
		case isFresh && told[id] && !strings.HasPrefix(what, "changed") && !(strings.Contains(id, "/ROOT-04/") && !rootUsedTold.Equal(rootUsed)):
			// finding/doc.go: a new root use (ROOT-04) is New again, on the same finding.
			l.fail("the digest reports %s again (%s); the user was told already (%s)", id, what, l.toldReason[id])
		case !l.failing[id] && told[id] && !resolved[id] && prior == nil:
			l.fail("%s no longer fails and the user was told it did, but the digest (sent %v) does not resolve it", id, sent)
		case resolved[id] && !told[id] && !open[id] && (prior == nil || !l.openSince[id]):
			l.fail("the digest resolves %s, which the user was not told of, and which was not open since the last digest", id)
		case resolved[id] && l.failing[id]:
			l.fail("the digest resolves %s, which still fails", id)
		}
	}
	l.rootUsedTold = rootUsed
	if prior != nil {
		// The second of two overlapping runs: its digest told what it
		// found against the state both loaded, on top of what the first
		// one's told; what it did not mention stands as the first said.
		for id := range fresh {
			l.told[id], l.toldReason[id] = true, l.reasons[id]
		}
		for id := range resolved {
			delete(l.told, id)
		}
		for id := range l.failing {
			l.openSince[id] = true
			if l.muted[id] {
				delete(l.told, id)
			}
		}
		return
	}
	// The user now knows this run's truth.
	l.told, l.toldReason, l.openSince = map[string]bool{}, map[string]string{}, map[string]bool{}
	for id := range l.failing {
		l.openSince[id] = true
		if !l.muted[id] {
			l.told[id], l.toldReason[id] = true, l.reasons[id]
		}
	}
}

// suppressedIn says whether a suppression the run applied (one of its
// outcomes, unexpired) names res, failing or NOT_AVAILABLE (README: a
// suppression mutes a failing result and covers one the run could not
// decide; never a passing one): decided here, not read from res, which
// the code under test marked.
func suppressedIn(out *Outcome, res *rules.Result) bool {
	if res.Status == rules.Passed {
		return false
	}
	for _, o := range out.Outcomes {
		if !o.Expired && o.Suppression.Matches(res) {
			return true
		}
	}
	return false
}

// checkHub checks Security Hub after a run that published everything.
// README, "Security Hub": new and changed failures are imported; resolved →
// PASSED + ARCHIVED; gone → ARCHIVED; a NOT_AVAILABLE result never
// resolves anything; suppressed findings get workflow SUPPRESSED and return
// to NEW when the suppression expires or is removed; a still-failing
// finding is re-imported when its last import is older than
// CREDAUDIT_REFRESH_DAYS (30), so none expires; failures the state leaves
// "for the next run" (a refusal, a digest not sent, Security Hub turned
// back on, overlapping runs) are made good by it.
func (l *lifecycle) checkHub(out *Outcome) {
	l.hub.mu.Lock()
	defer l.hub.mu.Unlock()
	// The rule of each result the run decided: a NOT_AVAILABLE one (a
	// custom rule whose assert hinges on a sentinel) keeps its finding as
	// it was, severity and title included.
	rule := map[string]*rules.Rule{}
	for i := range out.Results {
		if out.Results[i].Status != rules.NotAvailable {
			rule[findingID(&out.Results[i])] = out.Results[i].Rule
		}
	}
	for id := range l.failing {
		f, ok := l.hub.findings[id]
		if ok && rule[id] != nil && rule[id].Custom && out.Results != nil {
			// README, "State and diff": changed (the fact changed, or —
			// finding.Changed — the severity does) is imported; the
			// finding is the custom rule as configured now.
			if sev := f.asff.FindingProviderFields.Severity.Label; string(sev) != rule[id].Severity.String() {
				l.fail("%s fails, its rule's severity is %s, and Security Hub holds it %s", id, rule[id].Severity, sev)
			}
			// The README does not say that a new title alone is a change
			// (finding.Diff imports it with the next change or refresh):
			// an import made by this run has it.
			if title := aws.ToString(f.asff.Title); title != rule[id].Title && *f.asff.UpdatedAt != l.updatedBefore[id] {
				l.fail("%s fails, its rule's title is %q, and Security Hub holds it titled %q", id, rule[id].Title, title)
			}
		}
		switch {
		case !ok:
			l.fail("%s fails, and Security Hub does not hold it", id)
		case f.asff.RecordState != shtypes.RecordStateActive || compliance(f.asff) != shtypes.ComplianceStatusFailed:
			l.fail("%s fails, and Security Hub holds it %s/%s", id, f.asff.RecordState, compliance(f.asff))
		case l.covered[id] != (f.workflow == shtypes.WorkflowStatusSuppressed):
			l.fail("%s fails, suppressed %v this run, and Security Hub holds its workflow status %s", id, l.covered[id], f.workflow)
		}
		if u, err := time.Parse(time.RFC3339Nano, *f.asff.UpdatedAt); err != nil || out.Observation.AsOf.Sub(u) > 31*24*time.Hour {
			l.fail("%s fails, and Security Hub's copy was last updated %s, more than the refresh interval before %s", id, *f.asff.UpdatedAt, out.Observation.AsOf)
		}
	}
	for id, f := range l.hub.findings {
		if !l.failing[id] && f.asff.RecordState != shtypes.RecordStateArchived {
			l.fail("%s does not fail, and Security Hub holds it %s/%s", id, f.asff.RecordState, compliance(f.asff))
		}
	}
}

// checkStable checks, in every region, that each finding Security Hub holds
// kept its CreatedAt and never moved its FirstObservedAt later (finding/doc.go:
// a resolved finding failing again is reopened, the same one), and has the
// documented ID.
func (l *lifecycle) checkStable() {
	for key, first := range l.firstObserved {
		region, id, _ := strings.Cut(key, " ")
		got := *l.hubs[region].findings[id].asff.FirstObservedAt
		g, err1 := time.Parse(time.RFC3339Nano, got)
		f, err2 := time.Parse(time.RFC3339Nano, first)
		switch {
		case err1 != nil || err2 != nil:
			l.fail("%s in %s: FirstObservedAt %q, earlier %q: %v", id, region, got, first, errors.Join(err1, err2))
		case g.After(f):
			l.fail("%s in %s: FirstObservedAt %s, earlier %s", id, region, got, first)
		case g.Before(f):
			l.firstObserved[key] = got
		}
	}
	for key, first := range l.createdAt {
		region, id, _ := strings.Cut(key, " ")
		f := l.hubs[region].findings[id]
		if l.loose[key] && *f.asff.CreatedAt != first {
			l.createdAt[key] = *f.asff.CreatedAt
			delete(l.loose, key)
			continue
		}
		if *f.asff.CreatedAt != first {
			l.fail("%s in %s: CreatedAt %s, first imported with %s", id, region, *f.asff.CreatedAt, first)
		}
	}
	for region, h := range l.hubs {
		l.checkIDs(region, h)
	}
}

func (l *lifecycle) checkIDs(region string, h *simHub) {
	for id, f := range h.findings {
		if _, ok := l.createdAt[regionKey(region, id)]; !ok {
			l.createdAt[regionKey(region, id)] = *f.asff.CreatedAt
		}
		if _, ok := l.firstObserved[regionKey(region, id)]; !ok {
			l.firstObserved[regionKey(region, id)] = *f.asff.FirstObservedAt
		}
		rule := aws.ToString(f.asff.GeneratorId)
		if want := "credaudit/" + sampleAccount + "/" + rule + "/" + aws.ToString(f.asff.Resources[0].Id); id != want && !strings.HasPrefix(*f.asff.Resources[0].Id, "AWS::") {
			l.fail("finding %s has the ID %s, want %s", rule, id, want)
		}
	}
}

// TestLifecycleProperties drives many random sequences of scheduled runs
// over a small account and checks, after each run, what the README and
// issue 4 promise the user (see news, checkHub, checkStable, cannotSee and
// step's rerun).
func TestLifecycleProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(lifecycleSeed, 1))
	for seq := range lifecycleSequences {
		seed := rng.Uint64()
		t.Run(fmt.Sprint(seq), func(t *testing.T) {
			runLifecycle(t, seed)
		})
	}
}

func runLifecycle(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	l := newLifecycle(t, rng)
	l.logf("seed %d", seed)
	runs := 5 + rng.IntN(20)
	l.step(noFault)
	for range runs - 1 {
		l.prevReport, l.prevSuppressions, l.prevRootUsed = l.iam.report, slices.Clone(l.a.Suppressions), l.acct.root.rootUsed
		l.step(l.pickFault())
	}
	// One clean run at the end makes good what the faults left owed.
	l.prevReport, l.prevSuppressions = l.iam.report, slices.Clone(l.a.Suppressions)
	l.step(noFault)
}

// summarizeChanges is a run's changes in short, for the sequence printed
// with a failure.
func summarizeChanges(out *Outcome, sent bool) string {
	var parts []string
	for i := range out.Changes {
		ch := &out.Changes[i]
		what := ch.Kind.String()
		if ch.Unavailable {
			what += " (n/a)"
		}
		if ch.Unmuted() {
			what += " (unmuted)"
		}
		if ch.Record.Suppressed {
			what += " (muted)"
		}
		if ch.NeedsRefresh {
			what += " (refresh)"
		}
		if ch.Workflow != finding.WorkflowKeep {
			what += " (" + ch.Workflow.String() + ")"
		}
		if ch.Kind == finding.StillFailing && what == "still failing" {
			continue
		}
		parts = append(parts, ch.Record.RuleID+" "+ch.Record.User+": "+what)
	}
	s := fmt.Sprintf("digest sent %v, hub err %v: ", sent, out.Hub.Err != nil)
	return s + strings.Join(parts, ", ")
}

// customRule is one custom rule of the configuration, by the variants of
// its where, assert, severity and title.
type customRule struct{ where, assert, severity, title int }

var (
	customIDs     = []string{"ORG-01", "ORG-02"}
	customWhere   = []string{"", "password_enabled", `user.startsWith("u1") || user.startsWith("u2") || user.startsWith("u3")`, "is_root || !mfa_active"}
	customAssert  = []string{"mfa_active", "!access_key_1_active", "password_last_used != null", "!(password_enabled && !mfa_active)"}
	customSev     = []string{"low", "medium", "high", "critical"}
	customTitles  = []string{"Users follow the house rule", "Users follow the house rule (revised)", "House rule"}
	homeRegions   = []string{"eu-west-1", "us-east-1", "eu-central-1"}
	customChanges = []string{"added", "removed", "where changed", "assert changed", "severity changed", "title changed", "disabled or enabled"}
)

// customRules changes the configuration's custom rules (or, with did nil,
// declares some at random), and reads the configuration as the function
// does: README, "custom rules, InSpec-style: where selects rows ... and
// assert must hold for each"; rules: {ID: {enabled: false}} turns one off.
func (l *lifecycle) customRules(did *[]string) {
	r := l.rng
	id := customIDs[r.IntN(len(customIDs))]
	random := func() customRule {
		return customRule{r.IntN(len(customWhere)), r.IntN(len(customAssert)), r.IntN(len(customSev)), r.IntN(len(customTitles))}
	}
	if did == nil {
		l.custom[id] = random()
	} else {
		c, ok := l.custom[id]
		what := r.IntN(len(customChanges))
		switch {
		case !ok:
			c, what = random(), 0
		case what == 0 || what == 1:
			what = 1
			delete(l.custom, id)
			delete(l.disabled, id)
		case what == 2:
			c.where = (c.where + 1 + r.IntN(len(customWhere)-1)) % len(customWhere)
		case what == 3:
			c.assert = (c.assert + 1 + r.IntN(len(customAssert)-1)) % len(customAssert)
		case what == 4:
			c.severity = (c.severity + 1 + r.IntN(len(customSev)-1)) % len(customSev)
		case what == 5:
			c.title = (c.title + 1 + r.IntN(len(customTitles)-1)) % len(customTitles)
		case what == 6:
			l.disabled[id] = !l.disabled[id]
		}
		if what != 1 {
			l.custom[id] = c
		}
		*did = append(*did, fmt.Sprintf("custom rule %s %s: %+v disabled %v", id, customChanges[what], l.custom[id], l.disabled[id]))
	}
	var y strings.Builder
	if len(l.disabled) > 0 {
		y.WriteString("rules:\n")
		for _, id := range slices.Sorted(maps.Keys(l.disabled)) {
			fmt.Fprintf(&y, "  %s:\n    enabled: %v\n", id, !l.disabled[id])
		}
	}
	if len(l.custom) > 0 {
		y.WriteString("custom_rules:\n")
		for _, id := range slices.Sorted(maps.Keys(l.custom)) {
			c := l.custom[id]
			fmt.Fprintf(&y, "  - id: %s\n    title: %q\n    severity: %s\n    remediation: Fix it.\n    assert: %q\n", id, customTitles[c.title], customSev[c.severity], customAssert[c.assert])
			if w := customWhere[c.where]; w != "" {
				fmt.Fprintf(&y, "    where: %q\n", w)
			}
		}
	}
	cfg, err := config.Parse("credaudit.yaml", []byte(y.String()))
	if err != nil {
		l.fail("the configuration:\n%s\n%v", y.String(), err)
	}
	l.cfg = cfg
}

// moveHome changes the Security Hub home region
// (CREDAUDIT_SECURITY_HUB_REGION), mostly back to one home before, whose
// Security Hub may still hold older copies of the findings.
func (l *lifecycle) moveHome(did *[]string) {
	region := homeRegions[l.rng.IntN(len(homeRegions))]
	if region == l.a.HubRegion {
		region = homeRegions[(slices.Index(homeRegions, region)+1)%len(homeRegions)]
	}
	h, ok := l.hubs[region]
	if !ok {
		h = &simHub{region: region}
		l.hubs[region] = h
	}
	l.hub, l.a.HubRegion = h, region
	// A finding the region still holds from before is created again by
	// the import that moves it there, or by a later one (finding.InRegion).
	l.loosen(region)
	*did = append(*did, "home region "+region)
}

func regionKey(region, id string) string { return region + " " + id }
