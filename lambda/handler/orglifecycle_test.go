package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
	"github.com/credaudit/credaudit/lambda/handler"
	"github.com/credaudit/credaudit/lambda/rules"
)

// This file is a model-based test of the organisation run over many runs,
// through the function's own steps (list_accounts, one per-account request
// per account as the Distributed Map sends it, aggregate) on an in-memory
// AWS (fakeAWS): between runs member accounts' reports change, accounts
// join and leave the organisation or the filters, an account's audit
// fails, SNS refuses the digest, the owed-digest list cannot be read or
// written, and the notify mode changes. After each run it checks what the
// README ("Organisation run steps", "State and diff", CREDAUDIT_NOTIFY,
// "Organisation deployment") and issue 6 §1 promise:
//
//   - one organisation digest per run, when it is due: with changes, when
//     an account failed or has something new, changed, unmuted, resolved
//     or gone; always; never (but a failed account is always reported: an
//     operational error is always sent). A run with no news, no failure
//     and nothing owed sends nothing in changes mode;
//   - every account's news (its summary's counts, which the model derives
//     from the report: new failures, resolutions, NOT_AVAILABLE resolving
//     nothing) is in that run's digest, and each digest is sent once: when
//     SNS refuses it, it is kept, marked [late], and "the next run that
//     can send sends it before its own" (oldest first); "the latest 10 are
//     kept"; "A list that cannot be read fails the run too, and is never
//     overwritten"; a digest neither sent nor kept is named by an error
//     line;
//   - a failed account (issue 6: "accounts that failed (and why)") is in
//     that run's digest with its reason, and the run is never quiet;
//   - the subject's counts agree with the body's;
//   - the per-account requests send nothing themselves ("notify":"never").
//
// A failure prints the sequence of runs that led to it.

const (
	orgLifecycleSeed      = 20261121
	orgLifecycleSequences = 60
	orgStateBucket        = "credaudit-state-111111111111"
	orgTopic              = "arn:aws:sns:eu-west-1:111111111111:credaudit"
)

// orgUser is one IAM user of a simulated member account.
type orgUser struct {
	name                string
	exists              bool
	created             time.Time
	password, mfa       bool
	key                 bool
	keyRotated, keyUsed time.Time // keyUsed zero: never used
	sentinelCol         int
	sentinel            string
}

// orgMember is one member account: its users, its place in the
// organisation, this run's fault, and the model of what its state holds.
type orgMember struct {
	id, name  string
	users     []*orgUser
	inOrg     bool // listed by ListAccounts
	suspended bool // listed, not ACTIVE
	excluded  bool // CREDAUDIT_ORG_EXCLUDE_ACCOUNTS names it
	fault     string
	// open is the findings the account's state holds open: what the
	// digests have reported failing (failing decided results, and those a
	// NOT_AVAILABLE result kept).
	open map[string]bool
}

// orgRun is what the model knows of one run's digest.
type orgRun struct {
	stamp    string // "run at …" as the digest says it
	due      bool
	subject  string // the digest's subject, not late, when due
	sent     int    // times delivered
	lost     bool   // neither sent nor kept, named by an error line
	dropped  bool   // dropped from a full owed list
	mayAgain bool   // sent by a run that could not then write the owed list
}

type orgLifecycle struct {
	t       *testing.T
	rng     *rand.Rand
	aws     *fakeAWS
	members []*orgMember
	now     time.Time
	runs    []*orgRun
	log     []string
	// corrupt holds the owed list's bytes before the test corrupted it
	// (nil: it did not exist), while it is corrupt.
	corrupt     []byte
	corruptRuns int
	isCorrupt   bool
}

func (o *orgLifecycle) logf(format string, args ...any) {
	o.log = append(o.log, fmt.Sprintf(format, args...))
}

func (o *orgLifecycle) fail(format string, args ...any) {
	o.t.Helper()
	o.t.Fatalf("%s\n\nsequence:\n  %s", fmt.Sprintf(format, args...), strings.Join(o.log, "\n  "))
}

func ts8601(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

// report is the member's credential report.
func (m *orgMember) report() []byte {
	var b bytes.Buffer
	b.WriteString(credreporttest.Header + "\n")
	root := []string{"<root_account>", "arn:aws:iam::" + m.id + ":root", "2020-01-01T00:00:00+00:00", "not_supported", "2021-01-01T00:00:00+00:00",
		"not_supported", "not_supported", "true", "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A"}
	b.WriteString(strings.Join(root, ",") + "\n")
	for _, u := range m.users {
		if !u.exists {
			continue
		}
		c := make([]string, 22)
		for i := range c {
			c[i] = "N/A"
		}
		c[0], c[1], c[2] = u.name, "arn:aws:iam::"+m.id+":user/"+u.name, ts8601(u.created)
		c[3] = fmt.Sprint(u.password)
		if u.password {
			c[4], c[5] = "no_information", ts8601(u.created)
		}
		c[7] = fmt.Sprint(u.mfa)
		c[8], c[13], c[18], c[20] = fmt.Sprint(u.key), "false", "false", "false"
		if u.key {
			c[9] = ts8601(u.keyRotated)
			if !u.keyUsed.IsZero() {
				c[10], c[11], c[12] = ts8601(u.keyUsed), "us-east-1", "iam"
			}
		}
		if u.sentinelCol > 0 {
			c[u.sentinelCol] = u.sentinel
		}
		b.WriteString(strings.Join(c, ",") + "\n")
	}
	return b.Bytes()
}

func (o *orgLifecycle) createUser(u *orgUser, at time.Time) {
	r := o.rng
	*u = orgUser{name: u.name, exists: true, created: at, password: r.IntN(2) == 0, mfa: r.IntN(3) == 0}
	if r.IntN(2) == 0 {
		u.key, u.keyRotated = true, at.AddDate(0, 0, -r.IntN(200))
	}
}

func newOrgLifecycle(t *testing.T, rng *rand.Rand) *orgLifecycle {
	o := &orgLifecycle{t: t, rng: rng, aws: newFakeAWS(), now: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	for i := range 2 + rng.IntN(5) {
		m := &orgMember{id: fmt.Sprintf("2000000000%02d", i), name: fmt.Sprintf("member-%d", i), inOrg: true, open: map[string]bool{}}
		for j := range 2 + rng.IntN(3) {
			u := &orgUser{name: fmt.Sprintf("u%d", j)}
			o.createUser(u, o.now.AddDate(0, 0, -rng.IntN(300)))
			m.users = append(m.users, u)
		}
		o.aws.iam[m.id] = &fakeIAMAccount{alias: "alias-" + m.id[10:]}
		o.members = append(o.members, m)
	}
	o.logf("%d members", len(o.members))
	return o
}

// mutate changes the members between runs: their users, their place in
// the organisation, and the fault each meets this run.
func (o *orgLifecycle) mutate(first, last bool) {
	r := o.rng
	o.now = o.now.AddDate(0, 0, 1+r.IntN(20))
	var did []string
	for _, m := range o.members {
		m.fault = ""
		if !first {
			for range r.IntN(3) {
				u := m.users[r.IntN(len(m.users))]
				switch k := r.IntN(8); {
				case !u.exists:
					o.createUser(u, o.now.Add(-3*time.Hour))
					did = append(did, m.id[10:]+" "+u.name+" created")
				case k == 0:
					u.exists = false
					did = append(did, m.id[10:]+" "+u.name+" deleted")
				case k == 1:
					u.mfa = !u.mfa
					did = append(did, fmt.Sprintf("%s %s MFA %v", m.id[10:], u.name, u.mfa))
				case k == 2:
					u.password = !u.password
					did = append(did, fmt.Sprintf("%s %s password %v", m.id[10:], u.name, u.password))
				case k == 3:
					u.key, u.keyRotated, u.keyUsed = true, o.now.Add(-3*time.Hour), time.Time{}
					did = append(did, m.id[10:]+" "+u.name+" key rotated")
				case k == 4:
					u.key = false
					did = append(did, m.id[10:]+" "+u.name+" key off")
				case k == 5:
					if u.sentinelCol > 0 {
						u.sentinelCol = 0
						did = append(did, m.id[10:]+" "+u.name+" sentinel cleared")
						break
					}
					u.sentinelCol = []int{3, 4, 5, 7, 8, 9, 10}[r.IntN(7)]
					u.sentinel = []string{"N/A", "no_information", "not_supported"}[r.IntN(3)]
					did = append(did, fmt.Sprintf("%s %s column %d %s", m.id[10:], u.name, u.sentinelCol, u.sentinel))
				case k == 6:
					o.aws.iam[m.id].factsDenied = !o.aws.iam[m.id].factsDenied
					did = append(did, fmt.Sprintf("%s account facts denied %v", m.id[10:], o.aws.iam[m.id].factsDenied))
				}
			}
			switch r.IntN(12) {
			case 0:
				m.inOrg = !m.inOrg
				did = append(did, fmt.Sprintf("%s in the organisation %v", m.id[10:], m.inOrg))
			case 1:
				m.excluded = !m.excluded
				did = append(did, fmt.Sprintf("%s excluded %v", m.id[10:], m.excluded))
			case 2:
				m.suspended = !m.suspended
				did = append(did, fmt.Sprintf("%s suspended %v", m.id[10:], m.suspended))
			}
		}
		if last {
			m.inOrg, m.excluded, m.suspended = true, false, false
		} else if r.IntN(7) == 0 {
			m.fault = []string{"assume role denied", "report denied", "throttled", "no result", "state not saved"}[r.IntN(5)]
		}
		a := o.aws.iam[m.id]
		a.report, a.generated, a.reportDenied = m.report(), o.now.Add(-2*time.Hour), m.fault == "report denied"
		o.aws.denyRole["arn:aws:iam::"+m.id+":role/credaudit-member"] = m.fault == "assume role denied"
		o.aws.putFail["state/"+m.id+".json.gz"] = m.fault == "state not saved"
	}
	o.aws.orgAccounts = nil
	var listed []string
	for _, m := range o.members {
		if !m.inOrg {
			continue
		}
		status := "ACTIVE"
		if m.suspended {
			status = "SUSPENDED"
		}
		o.aws.orgAccounts = append(o.aws.orgAccounts, fakeOrgAccount{ID: m.id, Name: m.name, Status: status})
		if m.fault != "" && m.audited() {
			listed = append(listed, m.id[10:]+": "+m.fault)
		}
	}
	o.logf("run %d at %s: %s", len(o.runs), o.now.Format(time.DateOnly), strings.Join(did, "; "))
	if len(listed) > 0 {
		o.logf("  account faults: %s", strings.Join(listed, "; "))
	}
}

// audited says the run lists m: in the organisation, active, not excluded.
func (m *orgMember) audited() bool { return m.inOrg && !m.suspended && !m.excluded }

// truth is what the member's report says this run, as the model reads it
// (rules.Evaluate, as issue 3 defines the rules): the findings failing, and
// those NOT_AVAILABLE.
func (o *orgLifecycle) truth(m *orgMember) (failing, na map[string]bool) {
	a := o.aws.iam[m.id]
	rep, err := credreport.Parse(a.report)
	if err != nil {
		o.fail("the model's report of %s does not parse: %v", m.id, err)
	}
	rep.GeneratedTime = a.generated
	var acct *rules.Account
	if !a.factsDenied {
		acct = &rules.Account{RootMFAEnabled: true, RootPasswordPresent: true}
	}
	sel, _, err := (*config.Config)(nil).Selection("")
	if err != nil {
		o.fail("selection: %v", err)
	}
	results, err := rules.Evaluate(rules.Input{Report: rep, AsOf: a.generated, Account: acct}, sel)
	if err != nil {
		o.fail("evaluate %s: %v", m.id, err)
	}
	failing, na = map[string]bool{}, map[string]bool{}
	for i := range results {
		res := &results[i]
		id := res.Rule.ID + "/" + res.ResourceID()
		switch res.Status {
		case rules.Failed:
			failing[id] = true
		case rules.NotAvailable:
			na[id] = true
		}
	}
	return failing, na
}

// handler is the function as the run's cold start builds it.
func (o *orgLifecycle) handler(mode string, logs *bytes.Buffer) *handler.Handler {
	var excluded []string
	for _, m := range o.members {
		if m.excluded {
			excluded = append(excluded, m.id)
		}
	}
	env := map[string]string{
		handler.EnvRegion: "eu-west-1", handler.EnvStateBucket: orgStateBucket, handler.EnvTopicARN: orgTopic,
		handler.EnvSecurityHub: "off", handler.EnvNotify: mode, handler.EnvExcludeAccounts: strings.Join(excluded, ","),
	}
	h, err := handler.New(o.aws.config(), func(k string) string { return env[k] }, slog.New(slog.NewJSONHandler(logs, nil)), nil)
	if err != nil {
		o.fail("handler: %v", err)
	}
	now := o.now
	h.Now = func() time.Time { return now }
	return h
}

// orgFault is what goes wrong with the run's digest and the owed list.
type orgFault struct {
	publishFail        int // SNS refuses this many Publish calls (-1: all)
	owedGet, owedPut   bool
	corrupt, uncorrupt bool
}

func (o *orgLifecycle) pickFault(last bool) orgFault {
	var f orgFault
	if last {
		f.uncorrupt = o.isCorrupt
		return f
	}
	r := o.rng
	switch r.IntN(10) {
	case 0, 1:
		f.publishFail = -1
	case 2:
		f.publishFail = 1
	}
	switch r.IntN(10) {
	case 0:
		f.owedGet = true
	case 1:
		f.owedPut = true
	}
	if o.isCorrupt {
		f.uncorrupt = o.corruptRuns >= 1+r.IntN(3)
	} else if r.IntN(14) == 0 {
		f.corrupt = true
	}
	return f
}

func (f orgFault) String() string {
	var s []string
	switch f.publishFail {
	case -1:
		s = append(s, "SNS refuses every digest")
	case 1:
		s = append(s, "SNS refuses the first digest")
	}
	if f.owedGet {
		s = append(s, "the owed list cannot be read")
	}
	if f.owedPut {
		s = append(s, "the owed list cannot be written")
	}
	if f.corrupt {
		s = append(s, "the owed list is corrupted")
	}
	if f.uncorrupt {
		s = append(s, "the owed list is restored")
	}
	return strings.Join(s, "; ")
}

// mapExecution is one child execution as ResultWriter records it.
type mapExecution struct {
	Input  string  `json:"Input"`
	Output *string `json:"Output,omitempty"`
	Error  string  `json:"Error,omitempty"`
	Cause  string  `json:"Cause,omitempty"`
	Status string  `json:"Status"`
}

// The subject's and an account line's counts, as README words them: "N
// new", with " (M not visible this run)" when the run cannot see M of them
// (opened by a run whose digest could not be sent, which this model never
// makes: its accounts' runs send none), changed and unmuted when there are
// some (newsRE), then resolved and failing.
var (
	runAtRE     = regexp.MustCompile(`(?m)^Profile [^;]*; run at (\d{4}-\d\d-\d\d \d\d:\d\d UTC)\.$`)
	subjectRE   = regexp.MustCompile(`^credaudit organisation: (\d+) accounts?(?:, (\d+) FAILED)?; ` + newsRE + `(\d+) resolved, (\d+) failing(?: \((\d+) critical\))?(?:, (\d+) not decided)?(\.\.\.)?$`)
	undecidedRE = regexp.MustCompile(`(?m)^(\d+) results? in \d+ accounts? could not be decided`)
	auditedRE   = regexp.MustCompile(`(?m)^Accounts audited: (\d+) of (\d+); (\d+) failed\.$`)
	failingRE   = regexp.MustCompile(`(?m)^Failing now: (\d+) \((\d+) critical,`)
	accountRE   = regexp.MustCompile(`(?m)^  (\d{12})(?: \([^)]*\))?: ` + newsRE + `(\d+) resolved, (\d+) failing \(`)
	failedAccRE = regexp.MustCompile(`^  ! (\d{12}|ou-[0-9a-z-]+|r-[0-9a-z]+)(?: \([^)]*\))?: (.*)$`) // an included OU or root not found too
	failedAllRE = regexp.MustCompile(`^  ! \d+ accounts: (.*)$`)
	namedRE     = regexp.MustCompile(`(\d{12})(?: \([^)]*\))?`)
)

// orgDigestKind is the kind attribute of the organisation digest with
// subject: both kinds when it says accounts failed (README), else digest.
func orgDigestKind(subject string) string {
	if strings.Contains(subject, " FAILED; ") {
		return `["digest","error"]`
	}
	return audit.KindDigest
}

// newsRE is the news an organisation digest counts, in its subject or on
// an account's line, as one group: "N new[ (M not visible this run)], [N
// changed, ][N unmuted, ]"; newsCount sums it.
const newsRE = `(\d+ new(?: \(\d+ not visible this run\))?, (?:\d+ changed, )?(?:\d+ unmuted, )?)`

var newsCountRE = regexp.MustCompile(`(\d+) (?:new|changed|unmuted)`)

func newsCount(s string) int {
	n := 0
	for _, m := range newsCountRE.FindAllStringSubmatch(s, -1) {
		k, _ := strconv.Atoi(m[1])
		n += k
	}
	return n
}

// failedAccounts reads a digest's FAILED ACCOUNTS: each account it names
// with why it failed, whether on its own line or on the lines after one
// that several accounts share ("! 3 accounts: why").
func failedAccounts(body string) map[string]string {
	reasons := map[string]string{}
	shared := ""
	for l := range strings.Lines(body) {
		l = strings.TrimSuffix(l, "\n")
		if m := failedAccRE.FindStringSubmatch(l); m != nil {
			reasons[m[1]], shared = m[2], ""
			continue
		}
		if m := failedAllRE.FindStringSubmatch(l); m != nil {
			shared = m[1]
			continue
		}
		if shared == "" || !strings.HasPrefix(l, "      ") {
			shared = ""
			continue
		}
		for _, m := range namedRE.FindAllStringSubmatch(l, -1) {
			reasons[m[1]] = shared
		}
	}
	return reasons
}

// step runs one organisation run and checks it.
func (o *orgLifecycle) step(last bool) {
	ctx := context.Background()
	idx := len(o.runs)
	o.mutate(idx == 0, last)
	mode := []string{"changes", "changes", "changes", "always", "never"}[o.rng.IntN(5)]
	f := o.pickFault(last)
	o.logf("  notify %s; %s", mode, f)
	run := &orgRun{stamp: o.now.UTC().Format("2006-01-02 15:04 MST")}
	o.runs = append(o.runs, run)
	var logs bytes.Buffer
	h := o.handler(mode, &logs)
	runID := fmt.Sprintf("exec-%d", idx)

	// list_accounts
	var listed handler.Listed
	var items []handler.Item
	anyListed := slices.ContainsFunc(o.members, (*orgMember).audited)
	out, err := h.Handle(ctx, json.RawMessage(`{"action":"list_accounts","run_id":"`+runID+`"}`))
	if !anyListed {
		// README: "no matching account is an error", alerted.
		if err == nil {
			o.fail("list_accounts with no matching account succeeded: %+v", out)
		}
		if msgs := o.aws.take(); len(msgs) != 1 || msgs[0].Kind != audit.KindError {
			o.fail("list_accounts with no matching account sent %+v, want one operational alert", msgs)
		}
		o.logf("  -> no account listed: alerted")
		run.due = false
		return
	}
	if err != nil {
		o.fail("list_accounts: %v", err)
	}
	remarshal(o, out, &listed)
	if err := json.Unmarshal(o.aws.object(listed.Key), &items); err != nil {
		o.fail("the account list: %v", err)
	}
	var want []string
	for _, m := range o.members {
		if m.audited() {
			want = append(want, m.id)
		}
	}
	var got []string
	for _, it := range items {
		got = append(got, it.AccountID)
	}
	if !slices.Equal(got, want) {
		o.fail("list_accounts listed %v, want the active, unfiltered members %v", got, want)
	}

	// The map: one per-account request per item, as the ItemSelector
	// builds it.
	byID := map[string]*orgMember{}
	for _, m := range o.members {
		byID[m.id] = m
	}
	results := map[string][]mapExecution{}
	type expected struct {
		failed         bool
		reason         string // in the digest's FAILED line
		audited        bool
		news, resolved int
		kept           int  // open before and still failing: maybe changed
		unseen         bool // audited, its root facts not read: due (OrgDigestDue)
	}
	expect := map[string]*expected{}
	for _, it := range items {
		m := byID[it.AccountID]
		in, _ := json.Marshal(map[string]string{"account_id": it.AccountID, "role_arn": it.RoleARN, "notify": "never"})
		e := &expected{}
		expect[m.id] = e
		switch m.fault {
		case "throttled":
			results["FAILED"] = append(results["FAILED"], mapExecution{Input: string(in), Status: "FAILED",
				Error: "Lambda.TooManyRequestsException", Cause: "Rate Exceeded. (Service: Lambda, Status Code: 429)"})
			e.failed, e.reason = true, "Lambda.TooManyRequestsException"
			continue
		case "no result":
			e.failed, e.reason = true, "not audited"
			continue
		}
		failing, na := o.truth(m)
		resp, err := h.Handle(ctx, in)
		if msgs := o.aws.take(); len(msgs) != 0 {
			o.fail("the per-account request of %s (notify never) sent %d messages: %+v", m.id, len(msgs), msgs)
		}
		// A state that cannot be saved fails the request before anything
		// is sent when the run has anything to send (the state saved
		// ahead), and after the run otherwise.
		if denied := m.fault == "assume role denied" || m.fault == "report denied"; denied || m.fault == "state not saved" && err != nil {
			if err == nil {
				o.fail("%s: %s, and its request succeeded", m.id, m.fault)
			}
			cause, _ := json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": "described"})
			results["FAILED"] = append(results["FAILED"], mapExecution{Input: string(in), Status: "FAILED", Error: "described", Cause: string(cause)})
			e.failed, e.reason = true, map[string]string{"assume role denied": "assume role: ", "report denied": "acquire: ", "state not saved": "save state s3://"}[m.fault]
			continue
		}
		if err != nil {
			o.fail("%s: the per-account request failed: %v", m.id, err)
		}
		data, _ := json.Marshal(resp)
		output := string(data)
		results["SUCCEEDED"] = append(results["SUCCEEDED"], mapExecution{Input: string(in), Output: &output, Status: "SUCCEEDED"})
		// The model: what the state held open, against this report.
		now := map[string]bool{}
		for id := range failing {
			now[id] = true
		}
		for id := range m.open {
			if na[id] {
				now[id] = true // README: a NOT_AVAILABLE result never resolves anything
			}
		}
		e.audited = true
		e.unseen = o.aws.iam[m.id].factsDenied
		for id := range now {
			if !m.open[id] {
				e.news++
			} else if failing[id] {
				e.kept++
			}
		}
		for id := range m.open {
			if !now[id] {
				e.resolved++
			}
		}
		if m.fault == "state not saved" {
			e.failed, e.reason = true, "save state"
		} else {
			m.open = now
		}
	}
	manifest := map[string][]map[string]string{"SUCCEEDED": {}, "FAILED": {}, "PENDING": {}}
	for status, execs := range results {
		key := fmt.Sprintf("runs/results/%s/%s_0.json", runID, status)
		data, _ := json.Marshal(execs)
		o.aws.put(key, data)
		manifest[status] = append(manifest[status], map[string]string{"Key": key})
	}
	manifestKey := "runs/results/" + runID + "/manifest.json"
	data, _ := json.Marshal(map[string]any{"ResultFiles": manifest})
	o.aws.put(manifestKey, data)

	// The model: is the run's digest due? With changes, a finding still
	// failing may have changed (another key, more credentials), which the
	// model does not tell: such a run may or may not send.
	anyFailed, news, kept := false, 0, 0
	for _, e := range expect {
		anyFailed = anyFailed || e.failed || e.unseen
		news += e.news + e.resolved
		kept += e.kept
	}
	run.due = anyFailed || mode == "always" || mode == "changes" && news > 0
	maybeDue := !run.due && mode == "changes" && kept > 0

	// Faults of the digest and the owed list.
	owedBefore := o.aws.object(handler.OwedDigestsKey)
	_, owedExisted := o.aws.objects[handler.OwedDigestsKey]
	if f.corrupt {
		o.corrupt, o.isCorrupt, o.corruptRuns = owedBefore, true, 0
		if !owedExisted {
			o.corrupt = nil
		}
		o.aws.put(handler.OwedDigestsKey, []byte(`[{"Kind":"digest","Subject":"[late] tru`))
		owedBefore, owedExisted = o.aws.object(handler.OwedDigestsKey), true
	}
	if f.uncorrupt && o.isCorrupt {
		if o.corrupt == nil {
			delete(o.aws.objects, handler.OwedDigestsKey)
			delete(o.aws.etags, handler.OwedDigestsKey)
		} else {
			o.aws.put(handler.OwedDigestsKey, o.corrupt)
		}
		o.isCorrupt, o.corrupt = false, nil
		owedBefore = o.aws.object(handler.OwedDigestsKey)
		_, owedExisted = o.aws.objects[handler.OwedDigestsKey]
	}
	if o.isCorrupt {
		o.corruptRuns++
	}
	o.aws.publishFail = f.publishFail
	o.aws.getFail[handler.OwedDigestsKey] = f.owedGet
	o.aws.putFail[handler.OwedDigestsKey] = f.owedPut
	publishesBefore := o.aws.publishes
	defer func() {
		o.aws.publishFail = 0
		o.aws.getFail[handler.OwedDigestsKey] = false
		o.aws.putFail[handler.OwedDigestsKey] = false
	}()
	var owedList []int // the runs whose digests the list held, if readable
	readable := !f.owedGet && !o.isCorrupt
	if readable {
		owedList = o.owedRuns(owedBefore, "before the run")
	}

	// aggregate
	step := fmt.Sprintf(`{"action":"aggregate","run_id":%q,"accounts":{"bucket":%q,"key":%q},"results":{"bucket":%q,"key":%q}}`,
		runID, listed.Bucket, listed.Key, orgStateBucket, manifestKey)
	aggOut, aggErr := h.Handle(ctx, json.RawMessage(step))
	sent := o.aws.take()
	refused := o.aws.publishes - publishesBefore - len(sent)
	owedAfter := o.aws.object(handler.OwedDigestsKey)

	if maybeDue {
		own := strings.Contains(logs.String(), `"outcome":"neither sent nor kept`)
		for _, msg := range sent {
			own = own || o.runOf(msg.Body) == idx
		}
		var owed []audit.Message
		if json.Unmarshal(owedAfter, &owed) == nil {
			for _, m := range owed {
				own = own || o.runOf(m.Body) == idx
			}
		}
		run.due = own
	}

	// What was sent: late digests of earlier runs, oldest first, then this
	// run's, each matched to its run by the time it says it was made.
	var sentRuns []int
	for _, msg := range sent {
		if msg.Kind != orgDigestKind(msg.Subject) {
			o.fail("aggregate sent a %s message: %s", msg.Kind, msg.Subject)
		}
		i := o.runOf(msg.Body)
		late := strings.HasPrefix(msg.Subject, "[late] ")
		switch {
		case i < idx && !late:
			o.fail("run %d's digest sent by run %d without [late]: %s", i, idx, msg.Subject)
		case i < idx && !strings.HasPrefix(msg.Body, "Sent late: the organisation run at "+o.runs[i].stamp+" made this digest"):
			o.fail("run %d's late digest does not begin by saying when it was made:\n%s", i, msg.Body)
		case i == idx && late:
			o.fail("run %d's own digest sent marked late: %s", i, msg.Subject)
		case !o.runs[i].due:
			o.fail("run %d's digest sent though it was not due: %s", i, msg.Subject)
		case o.runs[i].sent > 0 && !o.runs[i].mayAgain:
			o.fail("run %d's digest sent again by run %d: %s", i, idx, msg.Subject)
		}
		if len(sentRuns) > 0 && i <= sentRuns[len(sentRuns)-1] {
			o.fail("run %d sent the digests of runs %v then %d: want oldest first, its own last", idx, sentRuns, i)
		}
		if late && strings.TrimPrefix(msg.Subject, "[late] ") != o.runs[i].subject {
			o.fail("run %d's late digest's subject %q, it was %q", i, msg.Subject, o.runs[i].subject)
		}
		sentRuns = append(sentRuns, i)
		o.runs[i].sent++
		if i == idx {
			o.checkDigest(msg, len(items), func(id string) (bool, string, bool, int, int, int) {
				e := expect[id]
				return e.failed, e.reason, e.audited, e.news, e.resolved, e.kept
			})
		}
	}
	if run.due && !slices.Contains(sentRuns, idx) {
		// Composed but not sent: its subject is known from the owed list
		// or the error line.
		run.subject = ""
	}
	o.logf("  -> sent %v, %d refused, due %v, aggregate error %v", sentRuns, refused, run.due, aggErr != nil)

	// Quiet runs: README, CREDAUDIT_NOTIFY: "with changes, it is sent when
	// an account failed or has something new, changed, unmuted, resolved
	// or gone".
	if mode == "changes" && !anyFailed && news == 0 && kept == 0 && len(owedList) == 0 && readable && len(sent)+refused > 0 {
		o.fail("a run with no news, no failed account and nothing owed sent %d digests (%d refused) in changes mode", len(sent), refused)
	}
	// A failed account is never reported as all-clear: the run's digest is
	// due, and sent, kept or the run fails.
	if anyFailed && !run.due {
		o.fail("an account failed and the digest was not due")
	}

	// The owed list after the run.
	var owedNow []int
	switch {
	case !readable:
		// README: "A list that cannot be read fails the run too, and is
		// never overwritten."
		if !bytes.Equal(owedAfter, owedBefore) {
			o.fail("the owed list could not be read and was overwritten:\nbefore %s\nafter  %s", owedBefore, owedAfter)
		}
		if aggErr == nil {
			o.fail("aggregate succeeded though the owed list could not be read")
		}
	case f.owedPut && !bytes.Equal(owedAfter, owedBefore):
		o.fail("the owed list changed though writing it failed")
	default:
		if owedAfter != nil || owedExisted {
			owedNow = o.owedRuns(owedAfter, "after the run")
		}
	}
	if readable && !f.owedPut {
		// The list holds exactly what is owed: what it held, and this
		// run's digest when due, less what was sent, the latest 10.
		var wantOwed []int
		for _, i := range append(slices.Clone(owedList), idx) {
			if (i != idx || run.due) && !slices.Contains(sentRuns, i) {
				wantOwed = append(wantOwed, i)
			}
		}
		if n := len(wantOwed) - 10; n > 0 {
			for _, i := range wantOwed[:n] {
				o.runs[i].dropped = true
			}
			wantOwed = wantOwed[n:]
		}
		if !slices.Equal(owedNow, wantOwed) {
			o.fail("the owed list holds runs %v after run %d, want %v (held %v, sent %v)", owedNow, idx, wantOwed, owedList, sentRuns)
		}
	}
	if f.owedPut && readable {
		// The list is as it was: what it held that this run sent is sent
		// again by the next run that can send.
		for _, i := range sentRuns {
			if i < idx {
				o.runs[i].mayAgain = true
			}
		}
	}
	if run.due && !slices.Contains(sentRuns, idx) && !slices.Contains(owedNow, idx) {
		// Neither sent nor kept: only when SNS refused it and the list
		// could not be read or written, and an error line names it.
		if readable && !f.owedPut {
			o.fail("run %d's due digest was neither sent nor kept", idx)
		}
		if !strings.Contains(logs.String(), `"outcome":"neither sent nor kept`) {
			o.fail("run %d's digest was neither sent nor kept, and no error line says so:\n%s", idx, logs.String())
		}
		run.lost = true
		o.logf("  -> run %d's digest lost (logged)", idx)
	}
	for _, i := range owedNow {
		if i == idx && run.subject == "" {
			run.subject = o.owedSubject(owedAfter, i)
		}
	}

	// The step's result: it fails when anything was not sent or the list
	// could not be kept (the orchestrator's error alarm).
	trouble := refused > 0 || !readable || f.owedPut && (len(owedList) > 0 || refused > 0)
	switch {
	case trouble && aggErr == nil:
		o.fail("aggregate succeeded though %d digests were refused (the owed list readable %v, written %v)", refused, readable, !f.owedPut)
	case !trouble && aggErr != nil:
		o.fail("aggregate failed: %v", aggErr)
	case aggErr == nil:
		var agg handler.Aggregated
		remarshal(o, aggOut, &agg)
		late := len(sentRuns)
		if slices.Contains(sentRuns, idx) {
			late--
		}
		if agg.Late != late || agg.Notified != slices.Contains(sentRuns, idx) || agg.Accounts != len(items) {
			o.fail("aggregate returned %+v; sent %v of %d accounts", agg, sentRuns, len(items))
		}
	}
}

// checkDigest checks the run's own digest against the model's accounts.
func (o *orgLifecycle) checkDigest(msg fakeMessage, accounts int, expect func(id string) (failed bool, reason string, audited bool, news, resolved, kept int)) {
	o.runs[len(o.runs)-1].subject = msg.Subject
	sub := subjectRE.FindStringSubmatch(msg.Subject)
	if sub == nil {
		o.fail("the digest's subject %q is not an organisation digest's", msg.Subject)
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	var totalNew, totalResolved, failedLines int
	for _, l := range accountRE.FindAllStringSubmatch(msg.Body, -1) {
		_, _, audited, news, resolved, kept := expect(l[1])
		if !audited {
			o.fail("the digest lists %s as audited; it was not:\n%s", l[1], msg.Body)
		}
		// New: what the state did not hold open, and those it held whose
		// fact changed (README, "State and diff": changed).
		if n := newsCount(l[2]); n < news || n > news+kept || atoi(l[3]) != resolved {
			o.fail("the digest says %s: %s%s resolved; its report has %d new (%d more may have changed) and %d resolved since the state's last save:\n%s",
				l[1], l[2], l[3], news, kept, resolved, msg.Body)
		}
		totalNew += newsCount(l[2])
		totalResolved += atoi(l[3])
	}
	reasons := failedAccounts(msg.Body)
	failedLines += len(reasons)
	audited := 0
	for _, m := range o.members {
		if !m.audited() {
			if _, ok := reasons[m.id]; ok || strings.Contains(msg.Body, "  "+m.id) {
				o.fail("the digest names %s, which the run did not list:\n%s", m.id, msg.Body)
			}
			continue
		}
		failed, reason, aud, _, _, _ := expect(m.id)
		if aud {
			audited++
			if !accountLine(msg.Body, m.id) {
				o.fail("the digest has no line for audited account %s:\n%s", m.id, msg.Body)
			}
		}
		got, ok := reasons[m.id]
		switch {
		case failed && !ok:
			o.fail("account %s failed (%s) and the digest does not say so:\n%s", m.id, m.fault, msg.Body)
		case failed && !strings.Contains(got, reason):
			o.fail("account %s failed (%s); the digest says %q, want it to say %q", m.id, m.fault, got, reason)
		case !failed && ok:
			o.fail("the digest says account %s failed (%s); it did not", m.id, got)
		}
	}
	// The subject's counts are the body's.
	a := auditedRE.FindStringSubmatch(msg.Body)
	fl := failingRE.FindStringSubmatch(msg.Body)
	if a == nil || fl == nil {
		o.fail("the digest lacks its totals:\n%s", msg.Body)
	}
	critical := 0
	if sub[6] != "" {
		critical = atoi(sub[6])
	}
	cut := sub[8] != ""
	undecided := "0"
	if u := undecidedRE.FindStringSubmatch(msg.Body); u != nil {
		undecided = u[1]
	}
	switch {
	case atoi(sub[1]) != accounts || atoi(a[2]) != accounts:
		o.fail("the digest counts %s / %s accounts; the run listed %d", sub[1], a[2], accounts)
	case atoi(a[1]) != audited:
		o.fail("the digest says %s audited; %d were", a[1], audited)
	case atoi(sub[2]) != failedLines || atoi(a[3]) != failedLines:
		o.fail("the subject says %q FAILED, the body %s failed, and lists %d:\n%s", sub[2], a[3], failedLines, msg.Body)
	case newsCount(sub[3]) != totalNew || atoi(sub[4]) != totalResolved:
		o.fail("the subject says %s%s resolved; the accounts' lines %d and %d:\n%s", sub[3], sub[4], totalNew, totalResolved, msg.Body)
	case atoi(sub[5]) != atoi(fl[1]):
		o.fail("the subject says %s failing; the body %s", sub[5], fl[1])
	// A subject cut between clauses to fit ("...") shows no count after the
	// cut: one left out is not there to check.
	case (sub[6] != "" || !cut) && critical != atoi(fl[2]):
		o.fail("the subject says %d critical; the body %s", critical, fl[2])
	case (sub[7] != "" || !cut) && atoi(sub[7]) != atoi(undecided):
		o.fail("the subject says %q not decided; the body %s:\n%s", sub[7], undecided, msg.Body)
	}
}

func accountLine(body, id string) bool {
	for _, l := range accountRE.FindAllStringSubmatch(body, -1) {
		if l[1] == id {
			return true
		}
	}
	return false
}

// runOf is the run that made the digest body, by the time it says.
func (o *orgLifecycle) runOf(body string) int {
	m := runAtRE.FindStringSubmatch(body)
	if m == nil {
		o.fail("a digest without its run's time:\n%s", body)
	}
	for i, r := range o.runs {
		if r.stamp == m[1] {
			return i
		}
	}
	o.fail("a digest of no run (%s):\n%s", m[1], body)
	return -1
}

// owedRuns decodes the owed list: the runs whose digests it holds, each
// marked late.
func (o *orgLifecycle) owedRuns(data []byte, when string) []int {
	if data == nil {
		return nil
	}
	var msgs []audit.Message
	if err := json.Unmarshal(data, &msgs); err != nil {
		o.fail("the owed list %s does not decode: %v\n%s", when, err, data)
	}
	var runs []int
	for _, m := range msgs {
		if !strings.HasPrefix(m.Subject, "[late] ") || !strings.HasPrefix(m.Body, "Sent late: ") {
			o.fail("the owed list %s holds a digest not marked late: %q", when, m.Subject)
		}
		runs = append(runs, o.runOf(m.Body))
	}
	return runs
}

func (o *orgLifecycle) owedSubject(data []byte, run int) string {
	var msgs []audit.Message
	if err := json.Unmarshal(data, &msgs); err != nil {
		o.fail("the owed list does not decode: %v", err)
	}
	for _, m := range msgs {
		if o.runOf(m.Body) == run {
			return strings.TrimPrefix(m.Subject, "[late] ")
		}
	}
	return ""
}

func remarshal(o *orgLifecycle, v, into any) {
	data, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(data, into)
	}
	if err != nil {
		o.fail("step result %s: %v", data, err)
	}
}

// TestOrganisationLifecycle drives random sequences of 4–10 organisation
// runs over 2–6 member accounts through the function's steps, then one
// clean run, and checks each run (see step) and, at the end, that every
// due digest was sent exactly once unless it was lost with an error line
// or dropped from a full owed list.
func TestOrganisationLifecycle(t *testing.T) {
	rng := rand.New(rand.NewPCG(orgLifecycleSeed, 1))
	for seq := range orgLifecycleSequences {
		seed := rng.Uint64()
		t.Run(fmt.Sprint(seq), func(t *testing.T) {
			runOrgLifecycle(t, seed)
		})
	}
}

func runOrgLifecycle(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	o := newOrgLifecycle(t, rng)
	o.logf("seed %d", seed)
	runs := 4 + rng.IntN(7)
	for range runs {
		o.step(false)
	}
	// A clean run at the end, over every member, sends what is owed.
	o.step(true)
	for i, r := range o.runs {
		switch {
		case !r.due && r.sent > 0:
			o.fail("run %d's digest was not due and was sent", i)
		case r.due && r.sent == 0 && !r.lost && !r.dropped:
			o.fail("run %d's digest was due and never sent, though the last run could send", i)
		case r.sent > 1 && !r.mayAgain:
			o.fail("run %d's digest was sent %d times", i, r.sent)
		}
	}
}
