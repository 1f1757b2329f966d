package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/handler"
	"github.com/credaudit/credaudit/lambda/internal/emulator"
	"github.com/credaudit/credaudit/lambda/internal/sandbox"
	"github.com/credaudit/credaudit/lambda/org"
)

// execution is a child execution as a Distributed Map's ResultWriter
// records it.
type execution struct {
	ExecutionArn string  `json:"ExecutionArn"`
	Name         string  `json:"Name"`
	Input        string  `json:"Input"`
	Output       *string `json:"Output,omitempty"`
	Error        string  `json:"Error,omitempty"`
	Cause        string  `json:"Cause,omitempty"`
	Status       string  `json:"Status"`
	RedriveCount int     `json:"RedriveCount"`
}

// orgEnv is the management account of an emulated organisation with the
// function's resources, and its members.
type orgEnv struct {
	*env
	members []sandbox.Member
	s3      *s3.Client
}

func newOrgEnv(t *testing.T, names ...string) *orgEnv {
	t.Helper()
	e := newEnv(t)
	members, err := sandbox.Organisation(context.Background(), e.cfg, org.DefaultMemberRole, names...)
	if err != nil {
		t.Fatal(err)
	}
	return &orgEnv{env: e, members: members, s3: s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true })}
}

// step runs an organisation step and decodes its result as Lambda would
// return it to the state machine.
func step[T any](t *testing.T, h *handler.Handler, payload string) T {
	t.Helper()
	v, err := tryStep[T](h, payload)
	if err != nil {
		t.Fatalf("step %s: %v", payload, err)
	}
	return v
}

// tryStep is step for a step that may fail.
func tryStep[T any](h *handler.Handler, payload string) (T, error) {
	var v T
	out, err := h.Handle(context.Background(), json.RawMessage(payload))
	if err != nil {
		return v, err
	}
	data, _ := json.Marshal(out)
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("result %s: %w", data, err)
	}
	return v, nil
}

func (o *orgEnv) put(key string, v any) {
	o.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		o.t.Fatal(err)
	}
	if _, err := o.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
		o.t.Fatalf("put %s: %v", key, err)
	}
}

func (o *orgEnv) get(key string, v any) {
	o.t.Helper()
	out, err := o.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		o.t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	data, _ := io.ReadAll(out.Body)
	if err := json.Unmarshal(data, v); err != nil {
		o.t.Fatalf("%s: %v", key, err)
	}
}

// mapRun does what the Distributed Map does: invoke the function once per
// listed account with the item the state machine selects, and write each
// execution's input and output, or error and cause, in ResultWriter's
// layout. It returns the manifest's location. id names the map run, and
// stands for the run's ID in the items.
func (o *orgEnv) mapRun(h *handler.Handler, items []handler.Item, id string) handler.Location {
	o.t.Helper()
	byStatus := map[string][]execution{}
	for i, it := range items {
		input, _ := json.Marshal(map[string]string{"account_id": it.AccountID, "role_arn": it.RoleARN, "notify": "never", "run_id": id})
		ex := execution{ExecutionArn: fmt.Sprintf("arn:aws:states:us-east-1:%s:execution:credaudit-org/AuditAccounts:%d", account, i),
			Name: fmt.Sprint(i), Input: string(input), Status: "SUCCEEDED"}
		out, err := h.Handle(context.Background(), input)
		if err != nil {
			// A function error as the Lambda task reports it: the runtime's
			// error payload is the cause.
			cause, _ := json.Marshal(map[string]any{"errorMessage": err.Error(), "errorType": "described", "stackTrace": []string{}})
			ex.Status, ex.Error, ex.Cause = "FAILED", "described", string(cause)
		} else {
			data, _ := json.Marshal(out)
			ex.Output = aws.String(string(data))
		}
		byStatus[ex.Status] = append(byStatus[ex.Status], ex)
	}
	prefix := "runs/results/" + id + "/"
	files := map[string][]map[string]any{"SUCCEEDED": {}, "FAILED": {}, "PENDING": {}}
	for status, exs := range byStatus {
		key := prefix + status + "_0.json"
		o.put(key, exs)
		files[status] = append(files[status], map[string]any{"Key": key, "Size": 1})
	}
	manifest := handler.Location{Bucket: bucket, Key: prefix + "manifest.json"}
	o.put(manifest.Key, map[string]any{"DestinationBucket": bucket, "MapRunArn": "arn:aws:states:us-east-1:" + account + ":mapRun:credaudit-org/AuditAccounts:" + id, "ResultFiles": files})
	return manifest
}

// listAccounts runs the list_accounts step of run, as the state machine
// sends it for the schedule's firing that started run, and reads the list
// it wrote.
func (o *orgEnv) listAccounts(h *handler.Handler, run string) (handler.Listed, []handler.Item) {
	o.t.Helper()
	listed := step[handler.Listed](o.t, h, `{"action":"list_accounts","run_id":"`+run+`","event":{"source":"credaudit.schedule","executionId":"firing-`+run+`"}}`)
	var items []handler.Item
	o.get(listed.Key, &items)
	return listed, items
}

// throughFaultProxy sends the handlers o makes from now on through a new
// fault-injecting proxy in front of the emulator.
func (o *orgEnv) throughFaultProxy() *faultProxy {
	o.t.Helper()
	p := newFaultProxy(o.t)
	o.t.Setenv("AWS_ENDPOINT_URL", p.URL())
	o.cfg = emulator.Config(o.t) // through the proxy
	return p
}

func aggregateStep(run string, accounts, results handler.Location) string {
	data, _ := json.Marshal(map[string]any{"action": "aggregate", "run_id": run, "accounts": accounts, "results": results})
	return string(data)
}

// aggregateListed is aggregate's step after list_accounts returned listed,
// with what it could not list, as the state machine hands it on.
func aggregateListed(run string, listed handler.Listed, results handler.Location) string {
	data, _ := json.Marshal(map[string]any{"action": "aggregate", "run_id": run, "accounts": listed.Location, "missing": listed.Missing, "results": results})
	return string(data)
}

// TestOrganisationRunThroughTheFunction runs an organisation run's steps
// as the org stack's state machine does, against an emulated organisation
// of three members, one of which refuses the member role: list_accounts
// writes the list, each member is audited through its role by its own
// invocation, and aggregate sends one digest that names the refused
// account and why. Each member's findings are in its own Security Hub and
// its state in the central bucket; no per-account message is sent.
func TestOrganisationRunThroughTheFunction(t *testing.T) {
	o := newOrgEnv(t, "alpha", "beta", "gamma")
	refused := o.members[2]
	emulator.RefuseAssumeRole(t, org.RoleARN("aws", refused.ID, org.DefaultMemberRole))
	o.cfg = emulator.Config(t) // through the proxy
	h := o.handler(map[string]string{handler.EnvExcludeAccounts: account})

	listed, items := o.listAccounts(h, "exec-1")
	// missing is [] when nothing is: the state machine reads $.missing.
	if listed.Bucket != bucket || listed.Key != "runs/exec-1/accounts.json" || listed.Accounts != 3 || listed.Missing == nil || len(listed.Missing) != 0 {
		t.Fatalf("list_accounts returned %+v", listed)
	}
	if len(items) != 3 {
		t.Fatalf("the list holds %d accounts, want the 3 members (the management account excluded): %+v", len(items), items)
	}
	for i, m := range o.members {
		want := handler.Item{AccountID: m.ID, RoleARN: org.RoleARN("aws", m.ID, org.DefaultMemberRole), Name: []string{"alpha", "beta", "gamma"}[i]}
		if items[i] != want {
			t.Errorf("item %d = %+v, want %+v", i, items[i], want)
		}
	}

	manifest := o.mapRun(h, items, "map-1")
	if msgs := o.drain(); len(msgs) != 0 {
		t.Fatalf("the per-account invocations sent %d messages; an organisation run sends only its digest: %+v", len(msgs), msgs)
	}
	// The audits' metrics have no dimension: one series per metric for the
	// organisation, not 15 per member account; AccountId is a field.
	var audited []string
	for _, l := range strings.Split(strings.TrimSpace(o.metrics.String()), "\n") {
		if !strings.Contains(l, `"Dimensions":[[]]`) {
			t.Errorf("an audit's metrics line has a dimension: %s", l)
		}
		var doc struct{ AccountId string }
		if err := json.Unmarshal([]byte(l), &doc); err != nil {
			t.Fatalf("metric line is not JSON: %v\n%s", err, l)
		}
		audited = append(audited, doc.AccountId)
	}
	if want := []string{o.members[0].ID, o.members[1].ID}; !slices.Equal(audited, want) {
		t.Errorf("metric lines of accounts %v, want %v", audited, want)
	}
	agg := step[handler.Aggregated](t, h, aggregateStep("exec-1", listed.Location, manifest))
	if agg != (handler.Aggregated{RunID: "exec-1", Accounts: 3, Audited: 2, Failed: 1, Notified: true}) {
		t.Errorf("aggregate returned %+v", agg)
	}

	msgs := o.drain()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want the one organisation digest", len(msgs))
	}
	d := msgs[0]
	for _, want := range []string{
		"Accounts audited: 2 of 3; 1 failed.", "Profile all;",
		refused.ID + " (gamma): assume role: " + org.RoleARN("aws", refused.ID, org.DefaultMemberRole), "AccessDenied",
		"check that the member role exists", // the failure's hint survives the Lambda error payload
		o.members[0].ID + " (alpha): 2 new", o.members[1].ID + " (beta): 2 new", "dev-alpha", "dev-beta",
	} {
		if !strings.Contains(d.Body, want) {
			t.Errorf("digest lacks %q:\n%s", want, d.Body)
		}
	}
	if d.Attributes["kind"] != `["digest","error"]` || !strings.HasPrefix(d.Subject, "credaudit organisation: 3 accounts, 1 FAILED; 4 new") {
		t.Errorf("digest subject %q, attributes %v", d.Subject, d.Attributes)
	}

	ctx := context.Background()
	for _, m := range o.members[:2] {
		found, err := m.Findings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) == 0 {
			t.Errorf("%s: no findings in its Security Hub", m.ID)
		}
		for id, f := range found {
			if aws.ToString(f.AwsAccountId) != m.ID || !strings.Contains(id, "/"+m.ID+"/") {
				t.Errorf("%s's Security Hub holds %s of account %s", m.ID, id, aws.ToString(f.AwsAccountId))
			}
		}
		if _, err := o.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("state/" + m.ID + ".json.gz")}); err != nil {
			t.Errorf("no state for %s in the central bucket: %v", m.ID, err)
		}
	}
	if _, err := o.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("state/" + refused.ID + ".json.gz")}); err == nil {
		t.Errorf("a state was saved for the refused account")
	}
	if found, err := o.Findings(ctx); err != nil || len(found) != 0 {
		t.Errorf("the management account's Security Hub holds %d findings (err %v), want none", len(found), err)
	}

	// The next run, with nothing changed and only alpha's result (the map
	// was stopped before the others): alpha is quiet, the rest not audited.
	manifest = o.mapRun(h, items[:1], "map-2")
	agg = step[handler.Aggregated](t, h, aggregateStep("exec-1", listed.Location, manifest))
	if agg.Audited != 1 || agg.Failed != 2 {
		t.Errorf("second aggregate %+v, want 1 audited and 2 failed", agg)
	}
	msgs = o.drain()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Body, o.members[0].ID+" (alpha): 0 new, 0 resolved, 2 failing") ||
		strings.Count(msgs[0].Body, "! 2 accounts: not audited: the map run has no result for this account") != 1 {
		t.Errorf("second digest:\n%+v", msgs)
	}
}

// An account that was audited but whose Security Hub refused one of its
// findings is in the organisation digest twice: under FAILED ACCOUNTS with
// the refusal, and under ACCOUNTS with its counts, which the totals
// include. Its invocation succeeds, so that the map records its summary
// (Lambda drops the result of a failed invocation); the failure is logged
// as handler.LogIncomplete, which the organisation stack alarms on, and no
// per-account message is sent. The next run sends the refused finding
// again and reports the account as audited and quiet.
func TestOrganisationDigestKeepsAnAccountWhosePublishingPartlyFailed(t *testing.T) {
	o := newOrgEnv(t, "alpha", "beta")
	alpha, beta := o.members[0], o.members[1]
	p := o.throughFaultProxy()
	h := o.handler(map[string]string{handler.EnvExcludeAccounts: account})
	listed, items := o.listAccounts(h, "exec-p")

	// Alpha is audited first: its one import call loses one finding.
	p.inject(fault{Op: "BatchImportFindings", Kind: partial, Times: 1, Count: 1, Code: "InvalidInput"})
	manifest := o.mapRun(h, items, "map-p1")
	if len(p.refused) != 1 || !strings.Contains(p.refused[0], "/"+alpha.ID+"/") {
		t.Fatalf("the proxy refused %v, want one of alpha's findings", p.refused)
	}
	if msgs := o.drain(); len(msgs) != 0 {
		t.Fatalf("the per-account invocations sent %d messages; an organisation run sends only its digest: %+v", len(msgs), msgs)
	}
	var incomplete []string
	for _, l := range logged[struct {
		Level     string `json:"level"`
		Msg       string `json:"msg"`
		AccountID string `json:"account_id"`
		Error     string `json:"error"`
	}](o.env) {
		if l.Msg == handler.LogIncomplete {
			if l.Level != "ERROR" || !strings.Contains(l.Error, "1 findings failed") || !strings.Contains(l.Error, "InvalidInput") || strings.Contains(l.Error, p.refused[0]) {
				t.Errorf("%s line at level %s, error %q; want ERROR with the count and code of the refused finding, not its ID (which names a user)", l.Msg, l.Level, l.Error)
			}
			incomplete = append(incomplete, l.AccountID)
		}
	}
	if !slices.Equal(incomplete, []string{alpha.ID}) {
		t.Errorf("%q lines for accounts %v, want one for alpha %s", handler.LogIncomplete, incomplete, alpha.ID)
	}

	agg := step[handler.Aggregated](t, h, aggregateStep("exec-p", listed.Location, manifest))
	if agg != (handler.Aggregated{RunID: "exec-p", Accounts: 2, Audited: 2, Failed: 1, Notified: true}) {
		t.Errorf("aggregate returned %+v, want both accounts audited and alpha failed", agg)
	}
	msgs := o.drain()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want the one organisation digest", len(msgs))
	}
	for _, want := range []string{
		"Accounts audited: 2 of 2; 1 failed.", "Failing now: 4 (",
		"! " + alpha.ID + " (alpha): security hub: ", p.refused[0],
		alpha.ID + " (alpha): 2 new, 0 resolved, 2 failing", beta.ID + " (beta): 2 new, 0 resolved, 2 failing",
	} {
		if !strings.Contains(msgs[0].Body, want) {
			t.Errorf("digest lacks %q:\n%s", want, msgs[0].Body)
		}
	}

	p.clear()
	manifest = o.mapRun(h, items, "map-p2")
	agg = step[handler.Aggregated](t, h, aggregateStep("exec-p", listed.Location, manifest))
	if agg.Audited != 2 || agg.Failed != 0 || agg.Notified {
		t.Errorf("second aggregate %+v, want 2 audited, none failed and no digest", agg)
	}
	// Nothing new, changed, resolved or gone, and no account failed: the
	// organisation run is quiet (CREDAUDIT_NOTIFY=changes).
	if msgs = o.drain(); len(msgs) != 0 {
		t.Errorf("second run sent %d messages, want none:\n%+v", len(msgs), msgs)
	}
	found, err := alpha.Findings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := found[p.refused[0]]; !ok {
		t.Errorf("the refused finding %s is not in alpha's Security Hub after the next run", p.refused[0])
	}
}

// An organisation digest that cannot be sent fails the aggregate step (the
// orchestrator's error alarm) and is kept, marked late, in the state
// bucket; the accounts' states were saved before it, so later runs have no
// news, but the first that can send sends it, before its own digest.
func TestOrganisationDigestThatCannotBeSentIsSentLate(t *testing.T) {
	o := newOrgEnv(t, "alpha")
	p := o.throughFaultProxy()
	h := o.handler(map[string]string{handler.EnvExcludeAccounts: account})
	listed, items := o.listAccounts(h, "exec-u")
	aggregate := func(h *handler.Handler, mapRun string) (handler.Aggregated, error) {
		return tryStep[handler.Aggregated](h, aggregateStep("exec-u", listed.Location, o.mapRun(h, items, mapRun)))
	}
	p.inject(fault{Op: "Publish", Kind: serverError, Times: 1000})
	if _, err := aggregate(h, "map-u1"); err == nil {
		t.Fatal("aggregate succeeded with the digest refused")
	}
	if n := p.count("Publish"); n == 0 {
		t.Fatal("aggregate never tried to send the digest")
	}
	var owed []audit.Message
	o.get(handler.OwedDigestsKey, &owed)
	if len(owed) != 1 || !strings.HasPrefix(owed[0].Subject, "[late] credaudit organisation: 1 account;") ||
		!strings.HasPrefix(owed[0].Body, "Sent late: the organisation run at ") || !strings.Contains(owed[0].Body, "Accounts audited: 1 of 1") {
		t.Fatalf("owed digests %+v, want the refused digest, marked late", owed)
	}

	// Still refused, by a run with no news: the digest stays owed, once.
	if _, err := aggregate(h, "map-u2"); err == nil {
		t.Fatal("aggregate succeeded with the owed digest refused")
	}
	var still []audit.Message
	o.get(handler.OwedDigestsKey, &still)
	if !reflect.DeepEqual(still, owed) {
		t.Fatalf("owed after a second refusal: %+v, want %+v", still, owed)
	}

	// SNS is back; in always mode the run has a digest of its own, sent
	// after the late one.
	p.clear()
	o.drain()
	always := o.handler(map[string]string{handler.EnvExcludeAccounts: account, handler.EnvNotify: "always"})
	agg, err := aggregate(always, "map-u3")
	if err != nil || !agg.Notified || agg.Late != 1 {
		t.Fatalf("aggregate with SNS back: %+v, %v; want the late digest and its own sent", agg, err)
	}
	msgs := o.drain()
	if len(msgs) != 2 || msgs[0].Subject != owed[0].Subject || msgs[0].Body != owed[0].Body || strings.HasPrefix(msgs[1].Subject, "[late]") {
		t.Fatalf("%d messages %+v; want the late digest, then this run's", len(msgs), msgs)
	}
	o.get(handler.OwedDigestsKey, &still)
	if len(still) != 0 {
		t.Errorf("owed after they were sent: %+v, want none", still)
	}

	// Nothing owed and nothing new: quiet.
	if agg, err := aggregate(h, "map-u4"); err != nil || agg.Notified || agg.Late != 0 {
		t.Errorf("the run after: %+v, %v; want no digest", agg, err)
	}
	if msgs := o.drain(); len(msgs) != 0 {
		t.Errorf("the run after sent %d messages, want none", len(msgs))
	}
}

// The owed list keeps the latest digests: a refused digest added to a full
// list drops the oldest.
func TestOwedOrganisationDigestsKeepTheLatest(t *testing.T) {
	o := newOrgEnv(t, "alpha")
	p := o.throughFaultProxy()
	h := o.handler(map[string]string{handler.EnvExcludeAccounts: account, handler.EnvNotify: "always"})
	listed, items := o.listAccounts(h, "exec-c")
	var full []audit.Message
	for i := range 10 {
		full = append(full, audit.Message{Kind: audit.KindDigest, Subject: fmt.Sprintf("[late] owed %d", i), Body: "b", Severity: "NONE"})
	}
	o.put(handler.OwedDigestsKey, full)
	p.inject(fault{Op: "Publish", Kind: serverError, Times: 1000})
	if _, err := tryStep[handler.Aggregated](h, aggregateStep("exec-c", listed.Location, o.mapRun(h, items, "map-c"))); err == nil {
		t.Fatal("aggregate succeeded with SNS refusing")
	}
	var owed []audit.Message
	o.get(handler.OwedDigestsKey, &owed)
	if len(owed) != 10 || !reflect.DeepEqual(owed[:9], full[1:]) || !strings.HasPrefix(owed[9].Subject, "[late] credaudit organisation:") {
		subjects := make([]string, len(owed))
		for i, m := range owed {
			subjects[i] = m.Subject
		}
		t.Errorf("owed after a refusal with 10 owed: %q; want owed 1 to 9, then this run's digest, late", subjects)
	}
}

// Two aggregate runs that overlap, SNS refusing both, keep both their
// digests owed: the run that writes the owed list second finds it changed
// since it read it (its conditional write is refused), reads it again and
// writes it with the other run's digest and its own; the next run that
// can send sends all of them, once each.
func TestOverlappingOrganisationRunsKeepBothOwedDigests(t *testing.T) {
	o := newOrgEnv(t, "alpha")
	p := o.throughFaultProxy()
	vars := map[string]string{handler.EnvExcludeAccounts: account, handler.EnvNotify: "always"}
	h := o.handler(vars)
	listed, items := o.listAccounts(h, "exec-o")
	manifest := o.mapRun(h, items, "map-o")
	at := func(hour int) func() time.Time {
		return func() time.Time { return time.Date(2026, 11, 20, hour, 0, 0, 0, time.UTC) }
	}
	first, second := withoutWaits(o.handler(vars), o.cfg), withoutWaits(o.handler(vars), o.cfg)
	first.Now, second.Now = at(6), at(7)
	earlier := []audit.Message{{Kind: audit.KindDigest, Subject: "[late] owed", Body: "Sent late: an earlier run", Severity: "NONE"}}
	o.put(handler.OwedDigestsKey, earlier)
	o.drain()

	// The first run has read the owed list and been refused; before its
	// write of the list, the second runs from start to end.
	var secondErr error
	p.inject(fault{Op: "Publish", Kind: serverError, Times: 1000},
		fault{Op: "s3:PutObject", Path: "/" + handler.OwedDigestsKey, Times: 1, Meanwhile: func() {
			_, secondErr = tryStep[handler.Aggregated](second, aggregateStep("exec-o2", listed.Location, manifest))
		}})
	o.logs.Reset()
	_, firstErr := tryStep[handler.Aggregated](first, aggregateStep("exec-o1", listed.Location, manifest))
	if firstErr == nil || secondErr == nil {
		t.Fatalf("aggregate with SNS refusing: first %v, second %v; want both to fail", firstErr, secondErr)
	}
	var owed []audit.Message
	o.get(handler.OwedDigestsKey, &owed)
	madeBy := func(m audit.Message) string {
		when, _, _ := strings.Cut(strings.TrimPrefix(m.Body, "Sent late: the organisation run at "), " made this digest")
		return when
	}
	if len(owed) != 3 || !reflect.DeepEqual(owed[0], earlier[0]) || madeBy(owed[1]) != "2026-11-20 07:00 UTC" || madeBy(owed[2]) != "2026-11-20 06:00 UTC" {
		t.Fatalf("owed %d digests %+v; want the earlier one, then the second run's (07:00), kept first, then the first run's (06:00)", len(owed), owed)
	}
	var conflicts []int
	for _, l := range logged[struct {
		Msg       string
		Conflicts int
	}](o.env) {
		if l.Msg == "organisation digest" && l.Conflicts > 0 {
			conflicts = append(conflicts, l.Conflicts)
		}
	}
	if !slices.Equal(conflicts, []int{1}) {
		t.Errorf("conflicts logged: %v, want the first run's one", conflicts)
	}

	// SNS is back: the three are sent, in the list's order, once each.
	p.clear()
	agg, err := tryStep[handler.Aggregated](h, aggregateStep("exec-o3", listed.Location, manifest))
	if err != nil || agg.Late != 3 {
		t.Fatalf("aggregate with SNS back: %+v, %v; want the 3 owed digests sent", agg, err)
	}
	msgs := o.drain()
	if len(msgs) != 4 {
		t.Fatalf("%d messages, want the 3 owed digests and this run's", len(msgs))
	}
	for i, m := range owed {
		if msgs[i].Subject != m.Subject || msgs[i].Body != m.Body {
			t.Errorf("message %d: %q, want owed digest %d: %q", i, msgs[i].Subject, i, m.Subject)
		}
	}
}

// An owed list that cannot be read fails the aggregate step after the
// run's own digest is sent, and is never overwritten: the digests it holds
// are sent by the first run that can read it.
func TestOwedOrganisationDigestsThatCannotBeReadAreKept(t *testing.T) {
	o := newOrgEnv(t, "alpha")
	p := o.throughFaultProxy()
	always := o.handler(map[string]string{handler.EnvExcludeAccounts: account, handler.EnvNotify: "always"})
	listed, items := o.listAccounts(always, "exec-r")
	aggregate := func(h *handler.Handler, mapRun string) (handler.Aggregated, error) {
		return tryStep[handler.Aggregated](h, aggregateStep("exec-r", listed.Location, o.mapRun(h, items, mapRun)))
	}
	owed := []audit.Message{{Kind: audit.KindDigest, Subject: "[late] owed", Body: "Sent late: an earlier run", Severity: "NONE"}}
	o.put(handler.OwedDigestsKey, owed)
	o.drain()

	p.inject(fault{Op: "s3:GetObject", Path: "/" + handler.OwedDigestsKey, Kind: unavailable, Times: 1000})
	_, err := aggregate(always, "map-r1")
	if err == nil || !strings.Contains(err.Error(), "read the organisation digests owed by earlier runs") {
		t.Fatalf("aggregate with the owed list unreadable: %v, want its read named", err)
	}
	if msgs := o.drain(); len(msgs) != 1 || strings.HasPrefix(msgs[0].Subject, "[late]") {
		t.Fatalf("%d messages %+v, want this run's digest alone", len(msgs), msgs)
	}
	var kept []audit.Message
	o.get(handler.OwedDigestsKey, &kept)
	if !reflect.DeepEqual(kept, owed) {
		t.Fatalf("owed list after a run that could not read it: %+v, want it untouched: %+v", kept, owed)
	}
	// SNS refuses too: this run's digest would be owed, but writing the
	// list would lose the ones it holds. The log names it by its subject.
	p.inject(fault{Op: "Publish", Kind: serverError, Times: 1000})
	o.logs.Reset()
	if _, err := aggregate(always, "map-r2"); err == nil {
		t.Fatal("aggregate succeeded with the owed list unreadable and SNS refusing")
	}
	o.get(handler.OwedDigestsKey, &kept)
	if !reflect.DeepEqual(kept, owed) {
		t.Fatalf("owed list after a run that could neither read it nor send: %+v, want it untouched: %+v", kept, owed)
	}
	var lost []string
	for _, l := range logged[struct{ Level, Msg, Subject string }](o.env) {
		if l.Level == "ERROR" && l.Msg == "organisation digest" {
			lost = append(lost, l.Subject)
		}
	}
	if len(lost) != 1 || !strings.HasPrefix(lost[0], "[late] credaudit organisation: 1 account;") {
		t.Errorf("error lines for the digest neither sent nor kept: %q, want its subject once", lost)
	}

	p.clear()
	o.drain()
	h := o.handler(map[string]string{handler.EnvExcludeAccounts: account})
	agg, err := aggregate(h, "map-r3")
	if err != nil || agg.Late != 1 {
		t.Fatalf("aggregate with the list readable again: %+v, %v; want the owed digest sent", agg, err)
	}
	if msgs := o.drain(); len(msgs) != 1 || msgs[0].Subject != owed[0].Subject {
		t.Fatalf("%d messages %+v, want the owed digest", len(msgs), msgs)
	}
	o.get(handler.OwedDigestsKey, &kept)
	if len(kept) != 0 {
		t.Errorf("owed after it was sent: %+v, want none", kept)
	}
}

// The digest names the profile the accounts were audited with, as their
// summaries say, not the one configured when aggregate runs; when every
// account failed it names the configured one: the function's setting, else
// the configuration file's.
func TestOrganisationDigestNamesTheProfile(t *testing.T) {
	o := newOrgEnv(t, "alpha")
	ctx := context.Background()
	param := ssm.NewFromConfig(o.cfg)
	setProfile := func(profile string) {
		t.Helper()
		must(t, "put parameter", func() error {
			_, err := param.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/credaudit/config"), Overwrite: aws.Bool(true),
				Type: ssmtypes.ParameterTypeString, Value: aws.String("profile: " + profile + "\n")})
			return err
		})
	}
	digestProfile := func(h *handler.Handler, listed handler.Listed, manifest handler.Location) string {
		t.Helper()
		step[handler.Aggregated](t, h, aggregateStep("exec-p", listed.Location, manifest))
		msgs := o.drain()
		if len(msgs) != 1 {
			t.Fatalf("%d messages, want the organisation digest", len(msgs))
		}
		_, rest, _ := strings.Cut(msgs[0].Body, "\nProfile ")
		profile, _, _ := strings.Cut(rest, ";")
		return profile
	}
	withSettings := func(config, profile string) *handler.Handler {
		return o.handler(map[string]string{handler.EnvExcludeAccounts: account, handler.EnvConfig: config, handler.EnvProfile: profile})
	}
	setProfile("cis-1.4")
	h := withSettings("ssm:/credaudit/config", "")
	listed, items := o.listAccounts(h, "exec-p")
	audited := o.mapRun(h, items, "map-p1")

	setProfile("fsbp") // changed after the accounts were audited
	if got := digestProfile(h, listed, audited); got != "cis-1.4" {
		t.Errorf("digest of audited accounts names profile %q, want cis-1.4, which they were audited with", got)
	}

	emulator.RefuseAssumeRole(t, items[0].RoleARN)
	o.cfg = emulator.Config(t) // through the proxy
	h = withSettings("ssm:/credaudit/config", "")
	failed := o.mapRun(h, items, "map-p2")
	if got := digestProfile(h, listed, failed); got != "fsbp" {
		t.Errorf("digest of failed accounts names profile %q, want fsbp, the configuration's", got)
	}
	if got := digestProfile(withSettings("ssm:/credaudit/config", "cis-3.0"), listed, failed); got != "cis-3.0" {
		t.Errorf("digest of failed accounts names profile %q, want cis-3.0, the function's setting", got)
	}
	// The setting decides without the configuration, so one that cannot be
	// read does not matter.
	if got := digestProfile(withSettings("ssm:/credaudit/missing", "cis-3.0"), listed, failed); got != "cis-3.0" {
		t.Errorf("digest of failed accounts with an unreadable configuration names profile %q, want cis-3.0, the function's setting", got)
	}
	if got := digestProfile(withSettings("ssm:/credaudit/missing", ""), listed, failed); !strings.HasPrefix(got, "unknown") {
		t.Errorf("digest with an unreadable configuration names profile %q, want unknown", got)
	}
}

// When the map itself fails (more accounts failed than tolerated), the
// state machine hands aggregate the error: it alerts and fails, saying
// where the changes of the accounts audited meanwhile went: with no
// summary kept, none was audited; with summaries it cannot read, they are
// in no digest, but in Security Hub, or only in the logs.
func TestOrganisationRunMapFailureAlerts(t *testing.T) {
	for _, tc := range []struct{ hub, corrupt, want string }{
		{"on", "", "No account kept a summary: none was audited"},
		{"on", "{", "published its findings to its Security Hub, and its changes are in no digest: look for them in the accounts' Security Hub."},
		{"off", "{", "saved its state (Security Hub publishing is off), and its changes are in no digest: they are only in the auditor function's logs."},
		// A summary under one account's key that is another's is not
		// reported as the account's (a key built wrongly, an object copied).
		{"on", `{"account_id": "999999999999"}`, `the summary of account "999999999999", not `},
	} {
		t.Run("Security Hub "+tc.hub+", summary "+tc.corrupt, func(t *testing.T) {
			o := newOrgEnv(t, "alpha")
			h := o.handler(map[string]string{handler.EnvSecurityHub: tc.hub})
			listed, items := o.listAccounts(h, "exec-2")
			if len(items) != 2 {
				t.Fatalf("listed %d accounts, want the management account and alpha", len(items))
			}
			if tc.corrupt != "" {
				if _, err := o.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket),
					Key: aws.String(handler.SummaryKey("exec-2", items[1].AccountID)), Body: strings.NewReader(tc.corrupt)}); err != nil {
					t.Fatal(err)
				}
			}
			payload, _ := json.Marshal(map[string]any{"action": "aggregate", "run_id": "exec-2", "accounts": listed.Location,
				"error": map[string]string{"Error": "States.ExceedToleratedFailureThreshold", "Cause": "The specified tolerated failure threshold was exceeded"}})
			_, err := h.Handle(context.Background(), payload)
			var f *audit.Failure
			if !errors.As(err, &f) || f.Phase != "organisation run" || !strings.Contains(err.Error(), "the map over 2 accounts failed: States.ExceedToleratedFailureThreshold: The specified tolerated failure threshold was exceeded") {
				t.Fatalf("err = %v", err)
			}
			msgs := o.drain()
			if len(msgs) != 1 || msgs[0].Attributes["kind"] != "error" || !strings.Contains(msgs[0].Body, "tolerated failure") ||
				!strings.Contains(msgs[0].Body, tc.want) {
				t.Errorf("want one operational alert saying %q, got %+v", tc.want, msgs)
			}
		})
	}
}

// The accounts audited before a map failed have saved their states, so
// their changes would be reported by no later run: each audit keeps its
// summary under the run's prefix (the map writes no results when it
// fails), and the failure's aggregate sends the organisation digest of
// those accounts, the others named not audited, before its alert.
func TestOrganisationMapFailureStillReportsTheAudited(t *testing.T) {
	o := newOrgEnv(t, "alpha", "beta")
	h := o.handler(nil)
	listed, items := o.listAccounts(h, "exec-m")
	i := slices.IndexFunc(items, func(it handler.Item) bool { return it.Name == "alpha" })
	if i < 0 || len(items) < 2 {
		t.Fatalf("the list %+v, want alpha and beta at least", items)
	}
	items[0], items[i] = items[i], items[0]
	// Only alpha is audited before the map stops.
	input, _ := json.Marshal(map[string]string{"account_id": items[0].AccountID, "role_arn": items[0].RoleARN, "notify": "never", "run_id": "exec-m"})
	if _, err := h.Handle(context.Background(), input); err != nil {
		t.Fatal(err)
	}
	var kept handler.Response
	o.get("runs/exec-m/summaries/"+items[0].AccountID+".json", &kept)
	if kept.AccountID != items[0].AccountID || kept.New == 0 {
		t.Fatalf("alpha's kept summary %+v, want its account and its new findings", kept)
	}
	if msgs := o.drain(); len(msgs) != 0 {
		t.Fatalf("the per-account invocation sent %d messages", len(msgs))
	}

	payload, _ := json.Marshal(map[string]any{"action": "aggregate", "run_id": "exec-m", "accounts": listed.Location,
		"error": map[string]string{"Error": "States.ExceedToleratedFailureThreshold", "Cause": "The specified tolerated failure threshold was exceeded"}})
	_, err := h.Handle(context.Background(), payload)
	var f *audit.Failure
	if !errors.As(err, &f) || f.Phase != "organisation run" {
		t.Fatalf("err = %v, want the map's failure", err)
	}
	msgs := o.drain()
	if len(msgs) != 2 || msgs[0].Attributes["kind"] != orgDigestKind(msgs[0].Subject) || msgs[1].Attributes["kind"] != "error" {
		t.Fatalf("want the organisation digest, then the alert; got %+v", msgs)
	}
	wants := []string{
		fmt.Sprintf("Accounts audited: 1 of %d; %d failed.", len(items), len(items)-1),
		items[0].AccountID + " (" + items[0].Name + "): " + fmt.Sprint(kept.New) + " new",
	}
	for _, want := range wants {
		if !strings.Contains(msgs[0].Body, want) {
			t.Errorf("digest lacks %q:\n%s", want, msgs[0].Body)
		}
	}
	failed := failedAccounts(msgs[0].Body)
	for _, it := range items[1:] {
		if !strings.HasPrefix(failed[it.AccountID], "not audited: the map failed before it finished") {
			t.Errorf("digest says %s failed %q, want not audited:\n%s", it.AccountID, failed[it.AccountID], msgs[0].Body)
		}
	}
	// The alert says what the run did, not what an account's alert says.
	for _, want := range []string{
		fmt.Sprintf("1 of %d accounts was audited: %s (%s).", len(items), items[0].AccountID, items[0].Name),
		"It saved its state and published its findings to its Security Hub.",
		"Its changes are in the organisation digest sent before this alert.",
		fmt.Sprintf("%d other accounts kept no summary", len(items)-1),
	} {
		if !strings.Contains(msgs[1].Body, want) {
			t.Errorf("alert lacks %q:\n%s", want, msgs[1].Body)
		}
	}
	if strings.Contains(msgs[1].Body, "the previous state is kept") || strings.Contains(msgs[1].Body, "could not audit") {
		t.Errorf("the alert says the state was kept, though alpha's state was saved:\n%s", msgs[1].Body)
	}

	// A failed map whose account list cannot be read either: the error says both.
	if _, err := o.s3.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(listed.Location.Bucket), Key: aws.String(listed.Location.Key)}); err != nil {
		t.Fatal(err)
	}
	_, err = h.Handle(context.Background(), payload)
	if want := "the map failed (States.ExceedToleratedFailureThreshold"; err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "and the account list could not be read") {
		t.Errorf("err = %v, want it to say %q and that the list could not be read", err, want)
	}
	o.drain()
}

// An account audited before the map stopped whose audit could not publish
// everything keeps its error with its summary, and the digest of the failed
// map names it among the failed accounts.
func TestOrganisationMapFailureReportsAnAuditedAccountsError(t *testing.T) {
	o := newOrgEnv(t, "alpha", "beta")
	p := o.throughFaultProxy()
	h := withoutWaits(o.handler(nil), o.cfg)
	listed, items := o.listAccounts(h, "exec-e")
	i := slices.IndexFunc(items, func(it handler.Item) bool { return it.Name == "alpha" })
	if i < 0 {
		t.Fatalf("the list %+v, want alpha", items)
	}
	alpha := items[i]
	p.inject(fault{Op: "BatchImportFindings", Kind: serverError, Times: 1000})
	input, _ := json.Marshal(map[string]string{"account_id": alpha.AccountID, "role_arn": alpha.RoleARN, "notify": "never", "run_id": "exec-e"})
	out, err := h.Handle(context.Background(), input)
	if err != nil {
		t.Fatal(err)
	}
	var resp handler.Response
	if data, _ := json.Marshal(out); json.Unmarshal(data, &resp) != nil || resp.Error == "" {
		t.Fatalf("alpha's audit with Security Hub refusing answered %+v, want its summary with an error", out)
	}
	p.clear()
	o.drain()

	payload, _ := json.Marshal(map[string]any{"action": "aggregate", "run_id": "exec-e", "accounts": listed.Location,
		"error": map[string]string{"Error": "States.ExceedToleratedFailureThreshold", "Cause": "The specified tolerated failure threshold was exceeded"}})
	if _, err := h.Handle(context.Background(), payload); err == nil {
		t.Fatal("the aggregate of a failed map succeeded")
	}
	msgs := o.drain()
	if len(msgs) == 0 || msgs[0].Attributes["kind"] != orgDigestKind(msgs[0].Subject) {
		t.Fatalf("want the organisation digest first; got %+v", msgs)
	}
	head, _, _ := strings.Cut(resp.Error, ":")
	if got := failedAccounts(msgs[0].Body)[alpha.AccountID]; !strings.Contains(got, head) {
		t.Errorf("digest says alpha failed %q, want its audit's error %q:\n%s", got, resp.Error, msgs[0].Body)
	}
}

// After a map failed in a large organisation, the summaries are read many
// at a time, not one GET after another: each read of the first 16 is held
// in the proxy until 16 are in flight together (reads one at a time would
// hold the first until the deadline, and fail). Each account is reported
// from its own summary.
func TestOrganisationMapFailureReadsSummariesConcurrently(t *testing.T) {
	const accounts, together = 40, 16
	o := newOrgEnv(t)
	p := o.throughFaultProxy()
	h := o.handler(nil)
	items := make([]handler.Item, accounts)
	gate := &gathering{want: together, open: make(chan struct{})}
	for i := range items {
		id := fmt.Sprintf("2000000000%02d", i)
		items[i] = handler.Item{AccountID: id, RoleARN: "arn:aws:iam::" + id + ":role/" + org.DefaultMemberRole, Name: fmt.Sprintf("acct-%02d", i)}
		key := handler.SummaryKey("exec-c", id)
		o.put(key, handler.Response{Summary: audit.Summary{AccountID: id, Profile: "recommended", Users: 3, New: i + 1}})
		p.inject(fault{Op: "s3:GetObject", Path: "/" + key, Times: 1, Meanwhile: func() { gate.arrive(t) }})
	}
	list := handler.Location{Bucket: bucket, Key: "runs/exec-c/accounts.json"}
	o.put(list.Key, items)

	payload, _ := json.Marshal(map[string]any{"action": "aggregate", "run_id": "exec-c", "accounts": list,
		"error": map[string]string{"Error": "States.ExceedToleratedFailureThreshold", "Cause": "The specified tolerated failure threshold was exceeded"}})
	if _, err := h.Handle(context.Background(), payload); err == nil {
		t.Fatal("the failed map's aggregate succeeded")
	}
	if got := p.count("s3:GetObject"); got < accounts {
		t.Errorf("%d GETs, want one per summary (%d) at least", got, accounts)
	}
	msgs := o.drain()
	if len(msgs) != 2 || msgs[0].Attributes["kind"] != orgDigestKind(msgs[0].Subject) {
		t.Fatalf("want the organisation digest, then the alert; got %+v", msgs)
	}
	for i, it := range items {
		if want := fmt.Sprintf("%s (%s): %d new", it.AccountID, it.Name, i+1); !strings.Contains(msgs[0].Body, want) {
			t.Errorf("digest lacks %q", want)
		}
	}
}

// gathering holds each arrival until want have arrived, then lets every
// one through; an arrival still held after a minute fails the test and
// opens it, so that a caller arriving one at a time ends.
type gathering struct {
	mu      sync.Mutex
	arrived int
	want    int
	open    chan struct{}
	once    sync.Once
}

func (g *gathering) arrive(t *testing.T) {
	g.mu.Lock()
	g.arrived++
	if g.arrived == g.want {
		g.once.Do(func() { close(g.open) })
	}
	g.mu.Unlock()
	select {
	case <-g.open:
	case <-time.After(time.Minute):
		g.mu.Lock()
		t.Errorf("after a minute %d requests were in flight together, want %d", g.arrived, g.want)
		g.mu.Unlock()
		g.once.Do(func() { close(g.open) })
	}
}

// A summary that cannot be kept does not fail the audit: the map's result
// carries it all the same. The error line says what is at stake.
func TestOrganisationSummaryNotKeptIsLogged(t *testing.T) {
	o := newOrgEnv(t, "alpha")
	p := o.throughFaultProxy()
	h := o.handler(nil)
	_, items := o.listAccounts(h, "exec-k")
	i := slices.IndexFunc(items, func(it handler.Item) bool { return it.Name == "alpha" })
	if i < 0 {
		t.Fatalf("the list %+v, want alpha", items)
	}
	key := handler.SummaryKey("exec-k", items[i].AccountID)
	p.inject(fault{Op: "s3:PutObject", Path: "/" + key, Kind: unavailable, Times: 1000})
	o.logs.Reset()
	input, _ := json.Marshal(map[string]string{"account_id": items[i].AccountID, "role_arn": items[i].RoleARN, "notify": "never", "run_id": "exec-k"})
	out, err := h.Handle(context.Background(), input)
	if resp, ok := out.(*handler.Response); err != nil || !ok || resp.AccountID != items[i].AccountID || resp.Error != "" {
		t.Fatalf("audit with its summary not kept: %+v, %v; want its summary, and no error", out, err)
	}
	if _, err := o.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err == nil {
		t.Fatalf("%s was written through the fault", key)
	}
	var lines []string
	for _, l := range logged[struct {
		Level, Msg, Effect string
		AccountID          string `json:"account_id"`
	}](o.env) {
		if l.Level == "ERROR" && l.Msg == "keep summary" && l.AccountID == items[i].AccountID && strings.Contains(l.Effect, "in no digest") {
			lines = append(lines, l.Msg)
		}
	}
	if len(lines) != 1 {
		t.Errorf("%d error lines for the summary not kept, want 1:\n%s", len(lines), o.logs.String())
	}
}

// Aggregate reads only an organisation run's files in the state bucket,
// and a list that is not there is a failure to see, alerted.
func TestOrganisationAggregateRefusesOtherObjects(t *testing.T) {
	o := newOrgEnv(t)
	h := o.handler(nil)
	for _, tc := range []struct {
		accounts, results handler.Location
		want              string
	}{
		{handler.Location{Bucket: "other-bucket", Key: "runs/x/accounts.json"}, handler.Location{Bucket: bucket, Key: "runs/m.json"}, "is not an organisation run's file"},
		{handler.Location{Bucket: bucket, Key: "state/123456789012.json.gz"}, handler.Location{Bucket: bucket, Key: "runs/m.json"}, "is not an organisation run's file"},
		{handler.Location{Bucket: bucket, Key: "runs/../state/x"}, handler.Location{Bucket: bucket, Key: "runs/m.json"}, "is not an organisation run's file"},
		{handler.Location{Bucket: bucket, Key: "runs/none/accounts.json"}, handler.Location{Bucket: bucket, Key: "runs/m.json"}, "NoSuchKey"},
	} {
		_, err := h.Handle(context.Background(), json.RawMessage(aggregateStep("exec-3", tc.accounts, tc.results)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("accounts %s: err %v, want %q", tc.accounts, err, tc.want)
		}
		if msgs := o.drain(); len(msgs) != 1 || msgs[0].Attributes["kind"] != "error" {
			t.Errorf("accounts %s: want one alert, got %+v", tc.accounts, msgs)
		}
	}
}

// A listing Organizations keeps throttling past the SDK's retries fails
// the run with an alert that says so and what to do, not that the function
// lacks the permission or runs in the wrong account: its role and account
// are right, and the next run tries again.
func TestOrganisationListingThrottledAlertsWithTheRightHint(t *testing.T) {
	o := newOrgEnv(t, "alpha")
	p := newFaultProxy(t)
	p.inject(fault{Op: "ListAccounts", Kind: throttle, Times: 100})
	h := o.viaProxy(p)
	_, err := h.Handle(context.Background(), json.RawMessage(`{"action":"list_accounts","run_id":"exec-3"}`))
	var f *audit.Failure
	if !errors.As(err, &f) || f.Phase != "list accounts" {
		t.Fatalf("err = %v, want a list accounts failure", err)
	}
	if !strings.Contains(f.Hint, "throttled") || strings.Contains(f.Hint, "must run in the management account") {
		t.Errorf("hint %q, want one about throttling, not about the account or its permissions", f.Hint)
	}
	if msgs := o.drain(); len(msgs) != 1 || msgs[0].Attributes["kind"] != "error" || !strings.Contains(msgs[0].Body, f.Hint) {
		t.Errorf("want one operational alert with the hint, got %+v", msgs)
	}
}

// Every per-account audit saves its state with its news marked reported,
// and the organisation digest is the only place that news is told; Step
// Functions does not run a failed aggregate again. So when aggregate
// cannot collect the map's results (a result file deleted or unreadable,
// the manifest corrupt, a result of an account not in the list, the list
// itself unreadable), it sends the organisation digest of the summaries
// the audits kept, as for a failed map, then the alert saying what could
// not be read, and fails; the next run has no news to tell again. A
// digest SNS refuses is owed, and the next run sends it late.
func TestOrganisationResultsNotCollectedStillReportTheAudited(t *testing.T) {
	for _, tc := range []struct {
		name string
		// breakIt breaks the run's files after the map ran; through the
		// proxy, when it needs a fault.
		breakIt func(o *orgEnv, p *faultProxy, list, manifest handler.Location)
		unread  string // what the alert says could not be read
		partial bool   // the list could not be read
		refuse  bool   // SNS refuses the digest too
	}{
		{name: "a result file deleted", unread: "SUCCEEDED_0.json", breakIt: func(o *orgEnv, _ *faultProxy, _, m handler.Location) {
			if _, err := o.s3.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket),
				Key: aws.String(strings.TrimSuffix(m.Key, "manifest.json") + "SUCCEEDED_0.json")}); err != nil {
				o.t.Fatal(err)
			}
		}},
		{name: "a result file unavailable", unread: "SUCCEEDED_0.json", breakIt: func(_ *orgEnv, p *faultProxy, _, m handler.Location) {
			p.inject(fault{Op: "s3:GetObject", Path: "/" + strings.TrimSuffix(m.Key, "manifest.json") + "SUCCEEDED_0.json", Kind: unavailable, Times: 1000})
		}},
		{name: "the manifest corrupt", unread: "manifest.json", breakIt: func(o *orgEnv, _ *faultProxy, _, m handler.Location) {
			if _, err := o.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(m.Key), Body: strings.NewReader("{")}); err != nil {
				o.t.Fatal(err)
			}
		}},
		{name: "a result of an account not in the list", unread: "account 999999999999 is not in the account list", breakIt: func(o *orgEnv, _ *faultProxy, _, m handler.Location) {
			key := strings.TrimSuffix(m.Key, "manifest.json") + "SUCCEEDED_0.json"
			var exs []execution
			o.get(key, &exs)
			exs = append(exs, execution{Input: `{"account_id":"999999999999","role_arn":"arn:aws:iam::999999999999:role/credaudit-member","notify":"never"}`, Status: "FAILED", Error: "described"})
			o.put(key, exs)
		}},
		{name: "the account list unavailable", unread: "accounts.json", partial: true, breakIt: func(_ *orgEnv, p *faultProxy, l, _ handler.Location) {
			p.inject(fault{Op: "s3:GetObject", Path: "/" + l.Key, Kind: unavailable, Times: 1000})
		}},
		{name: "a result file deleted, SNS refusing", unread: "SUCCEEDED_0.json", refuse: true, breakIt: func(o *orgEnv, p *faultProxy, _, m handler.Location) {
			if _, err := o.s3.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket),
				Key: aws.String(strings.TrimSuffix(m.Key, "manifest.json") + "SUCCEEDED_0.json")}); err != nil {
				o.t.Fatal(err)
			}
			p.inject(fault{Op: "Publish", Kind: serverError, Times: 1000})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrgEnv(t, "alpha", "beta")
			p := o.throughFaultProxy()
			h := withoutWaits(o.handler(map[string]string{handler.EnvExcludeAccounts: account}), o.cfg)
			listed, items := o.listAccounts(h, "exec-r1")
			manifest := o.mapRun(h, items, "exec-r1") // the items name the run, as the state machine's do
			if msgs := o.drain(); len(msgs) != 0 {
				t.Fatalf("the per-account invocations sent %d messages", len(msgs))
			}
			tc.breakIt(o, p, listed.Location, manifest)

			_, err := tryStep[handler.Aggregated](h, aggregateStep("exec-r1", listed.Location, manifest))
			var f *audit.Failure
			if !errors.As(err, &f) || !strings.Contains(err.Error(), tc.unread) {
				t.Fatalf("aggregate: %v; want it to fail saying %q could not be read", err, tc.unread)
			}
			p.clear()
			msgs := o.drain()
			var digest, alert sandbox.Message
			switch {
			case tc.refuse:
				// Neither the digest nor the alert got through: the digest
				// is owed, and the next run sends it first, late.
				if len(msgs) != 0 {
					t.Fatalf("SNS refusing, %d messages got through", len(msgs))
				}
				var owed []audit.Message
				o.get(handler.OwedDigestsKey, &owed)
				if len(owed) != 1 || !strings.HasPrefix(owed[0].Subject, "[late] credaudit organisation: 2 accounts;") {
					t.Fatalf("owed %+v, want the run's digest, late", owed)
				}
				listed, items = o.listAccounts(h, "exec-r2")
				agg := step[handler.Aggregated](t, h, aggregateStep("exec-r2", listed.Location, o.mapRun(h, items, "exec-r2")))
				if agg.Late != 1 || agg.Notified {
					t.Errorf("the next run %+v, want the owed digest sent and none of its own", agg)
				}
				if msgs = o.drain(); len(msgs) != 1 || msgs[0].Subject != owed[0].Subject {
					t.Fatalf("the next run sent %+v, want the owed digest only", msgs)
				}
				digest = msgs[0]
			case len(msgs) != 2 || msgs[0].Attributes["kind"] != orgDigestKind(msgs[0].Subject) && !tc.partial || msgs[1].Attributes["kind"] != "error":
				t.Fatalf("want the organisation digest, then the alert; got %+v", msgs)
			default:
				digest, alert = msgs[0], msgs[1]
				for _, want := range []string{tc.unread, "Each saved its state and published its findings to its Security Hub.", "Their changes are in the organisation digest sent before this alert."} {
					if !strings.Contains(alert.Body, want) {
						t.Errorf("alert lacks %q:\n%s", want, alert.Body)
					}
				}
			}
			for i, m := range o.members {
				want := m.ID + " (" + []string{"alpha", "beta"}[i] + "): 2 new"
				if tc.partial {
					want = m.ID + ": 2 new" // the names are the list's
				}
				if !strings.Contains(digest.Body, want) {
					t.Errorf("digest lacks %q:\n%s", want, digest.Body)
				}
			}
			if tc.partial != strings.Contains(digest.Subject, "[partial] ") || tc.partial != strings.Contains(digest.Body, "Partial: the run's account list could not be read") ||
				tc.partial && digest.Attributes["kind"] != `["digest","error"]` {
				t.Errorf("digest %q (kind %s) partial %v:\n%s", digest.Subject, digest.Attributes["kind"], tc.partial, digest.Body)
			}

			// The news was told: a run after it, on unchanged accounts,
			// is quiet.
			listed, items = o.listAccounts(h, "exec-r3")
			if agg := step[handler.Aggregated](t, h, aggregateStep("exec-r3", listed.Location, o.mapRun(h, items, "exec-r3"))); agg.Audited != 2 || agg.Notified || agg.Late != 0 {
				t.Errorf("the run after: %+v, want both audited, with nothing to tell", agg)
			}
			if msgs := o.drain(); len(msgs) != 0 {
				t.Errorf("the run after sent %+v, want nothing", msgs)
			}
		})
	}
}

// The alert of a run whose results aggregate could not read says where
// the audited accounts' news went when it is not in a digest sent before
// it: owed (SNS refused the digest, the alert got through), or in none
// because none was due (the accounts unchanged since the last run).
func TestOrganisationResultsNotCollectedSayWhereTheNewsIs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		runs  int // runs before the one whose results are unread
		fault *fault
		want  string
		owed  int
	}{
		{name: "the digest refused", fault: &fault{Op: "Publish", Kind: serverError, Times: 3}, owed: 1, // the SDK's three attempts
			want: "Their changes are in the organisation digest, which could not be sent"},
		{name: "no digest due", runs: 1,
			want: "No organisation digest was due (notify mode changes: " + audit.NothingDue + "), so none was sent."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrgEnv(t, "alpha", "beta")
			p := o.throughFaultProxy()
			h := withoutWaits(o.handler(map[string]string{handler.EnvExcludeAccounts: account}), o.cfg)
			for i := range tc.runs {
				run := fmt.Sprintf("exec-before%d", i)
				listed, items := o.listAccounts(h, run)
				step[handler.Aggregated](t, h, aggregateStep(run, listed.Location, o.mapRun(h, items, run)))
			}
			o.drain()
			listed, items := o.listAccounts(h, "exec-r1")
			manifest := o.mapRun(h, items, "exec-r1")
			if _, err := o.s3.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket),
				Key: aws.String(strings.TrimSuffix(manifest.Key, "manifest.json") + "SUCCEEDED_0.json")}); err != nil {
				t.Fatal(err)
			}
			if tc.fault != nil {
				p.inject(*tc.fault)
			}
			if _, err := tryStep[handler.Aggregated](h, aggregateStep("exec-r1", listed.Location, manifest)); err == nil {
				t.Fatal("aggregate succeeded without its results")
			}
			p.clear()
			msgs := o.drain()
			if len(msgs) != 1 || msgs[0].Attributes["kind"] != "error" || !strings.Contains(msgs[0].Body, tc.want) {
				t.Fatalf("want the alert alone, saying %q; got %+v", tc.want, msgs)
			}
			var owed []audit.Message
			if tc.owed > 0 {
				o.get(handler.OwedDigestsKey, &owed)
			}
			if len(owed) != tc.owed {
				t.Errorf("%d digests owed, want %d", len(owed), tc.owed)
			}
		})
	}
}

// An account or OU the filters include by ID that the organisation does
// not have to audit (not in it, not ACTIVE, an OU not found) is not
// dropped without a word: list_accounts keeps it beside the list (never
// in it: the map audits every item), and the organisation digest names it
// under FAILED ACCOUNTS with why, counted as an account that failed, so
// that the run is not an all-clear, whether the map succeeded or failed.
func TestOrganisationRunReportsWhatItIncludesButCannotAudit(t *testing.T) {
	o := newOrgEnv(t, "alpha", "beta")
	alpha, beta := o.members[0], o.members[1]
	ctx := context.Background()
	if _, err := organizations.NewFromConfig(o.cfg).CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(beta.ID)}); err != nil {
		t.Fatal(err)
	}
	h := o.handler(map[string]string{handler.EnvIncludeAccounts: alpha.ID + ",999999999999," + beta.ID, handler.EnvIncludeOUs: "ou-zz99-nothere1"})
	o.logs.Reset()
	listed, items := o.listAccounts(h, "exec-i")
	if len(items) != 1 || items[0].AccountID != alpha.ID || len(listed.Missing) != 3 {
		t.Fatalf("list_accounts returned %+v, listing %+v; want alpha alone, 3 missing", listed, items)
	}
	// No audit runs for them, so no function error tells the alarms: the
	// error line the organisation stack counts does.
	var lines int
	for _, l := range logged[struct{ Level, Msg string }](o.env) {
		if l.Msg == handler.LogIncludedNotListed && l.Level == "ERROR" {
			lines++
		}
	}
	if lines != 1 {
		t.Errorf("%d %q error lines, want 1:\n%s", lines, handler.LogIncludedNotListed, o.logs.String())
	}
	want := map[string]string{
		"999999999999":     "not audited: included, but not an account of the organisation",
		beta.ID:            "not audited: included, but its state is SUSPENDED, not ACTIVE",
		"ou-zz99-nothere1": "not audited: an included OU, not found in the organisation",
	}
	check := func(body string) {
		t.Helper()
		failed := failedAccounts(body)
		for id, why := range want {
			if failed[id] != why {
				t.Errorf("digest says %s failed %q, want %q:\n%s", id, failed[id], why, body)
			}
		}
		if _, ok := failed[alpha.ID]; ok || !strings.Contains(body, alpha.ID+" (alpha): 2 new") {
			t.Errorf("digest does not report alpha as audited:\n%s", body)
		}
	}

	manifest := o.mapRun(h, items, "exec-i")
	agg := step[handler.Aggregated](t, h, aggregateListed("exec-i", listed, manifest))
	if agg != (handler.Aggregated{RunID: "exec-i", Accounts: 4, Audited: 1, Failed: 3, Notified: true}) {
		t.Errorf("aggregate returned %+v, want the 3 counted failed", agg)
	}
	msgs := o.drain()
	if len(msgs) != 1 || msgs[0].Attributes["kind"] != `["digest","error"]` || !strings.Contains(msgs[0].Subject, "4 accounts, 3 FAILED") {
		t.Fatalf("want one organisation digest reporting errors; got %+v", msgs)
	}
	check(msgs[0].Body)

	// Nothing new since, but what it cannot audit is still reported: the
	// run is never quiet about it.
	listed, items = o.listAccounts(h, "exec-j")
	step[handler.Aggregated](t, h, aggregateListed("exec-j", listed, o.mapRun(h, items, "exec-j")))
	if msgs = o.drain(); len(msgs) != 1 || failedAccounts(msgs[0].Body)["999999999999"] == "" {
		t.Errorf("the next run, with no news, sent %+v; want the digest naming what it cannot audit", msgs)
	}

	// A map that failed reports them too.
	payload, _ := json.Marshal(map[string]any{"action": "aggregate", "run_id": "exec-j", "accounts": listed.Location, "missing": listed.Missing,
		"error": map[string]string{"Error": "States.ExceedToleratedFailureThreshold", "Cause": "too many failed"}})
	if _, err := h.Handle(ctx, payload); err == nil {
		t.Fatal("the aggregate of a failed map succeeded")
	}
	if msgs = o.drain(); len(msgs) != 2 {
		t.Fatalf("want the digest and the alert; got %+v", msgs)
	}
	failed := failedAccounts(msgs[0].Body)
	for id, why := range want {
		if failed[id] != why {
			t.Errorf("failed map's digest says %s failed %q, want %q:\n%s", id, failed[id], why, msgs[0].Body)
		}
	}
}

// The organisation digest lists the suppressions that muted nothing in
// the run's accounts, as an account's digest does, from the summaries the
// per-account invocations return: an expired one once, one matching no
// failing result in any account, and not one that mutes a user of one
// account only. A digest of only the summaries kept (the account list
// unreadable) cannot say what the others' results were, so it does not
// claim one unused.
func TestOrganisationDigestListsSuppressionsThatMuteNothing(t *testing.T) {
	o := newOrgEnv(t, "alpha", "beta")
	p := o.throughFaultProxy()
	ctx := context.Background()
	must(t, "put parameter", func() error {
		_, err := ssm.NewFromConfig(o.cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/credaudit/config"),
			Type: ssmtypes.ParameterTypeString, Value: aws.String(sandbox.OrgSuppressions)})
		return err
	})
	h := withoutWaits(o.handler(map[string]string{handler.EnvExcludeAccounts: account, handler.EnvConfig: "ssm:/credaudit/config",
		handler.EnvNotify: "always", handler.EnvSecurityHub: "off"}), o.cfg) // off: moto has no BatchUpdateFindings to mute dev-alpha's
	listed, items := o.listAccounts(h, "exec-s1")
	step[handler.Aggregated](t, h, aggregateStep("exec-s1", listed.Location, o.mapRun(h, items, "exec-s1")))
	msgs := o.drain()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "Accounts audited: 2 of 2; 0 failed.") {
		t.Fatalf("%+v, want the organisation digest of both accounts audited", msgs)
	}
	_, section, _ := strings.Cut(msgs[0].Body, "\nSUPPRESSIONS THAT MUTED NOTHING\n")
	section, _, _ = strings.Cut(section, "\n\n")
	lines := strings.Split(section, "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], ":5 matches no failing result in any of the 2 accounts audited.") ||
		!strings.HasSuffix(lines[1], ":8 expired on 2010-01-01 and no longer applies.") {
		t.Errorf("suppressions that muted nothing:\n%s\nwant the unused one and the expired one, once each; digest:\n%s", section, msgs[0].Body)
	}

	listed, items = o.listAccounts(h, "exec-s2")
	manifest := o.mapRun(h, items, "exec-s2")
	p.inject(fault{Op: "s3:GetObject", Path: "/" + listed.Location.Key, Kind: unavailable, Times: 1000})
	if _, err := tryStep[handler.Aggregated](h, aggregateStep("exec-s2", listed.Location, manifest)); err == nil {
		t.Fatal("aggregate with the account list unreadable succeeded")
	}
	p.clear()
	msgs = o.drain()
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0].Subject, "[partial] ") {
		t.Fatalf("want the partial organisation digest, then the alert; got %+v", msgs)
	}
	for _, want := range []string{":8 expired on 2010-01-01 and no longer applies.\n",
		"  1 suppression muted nothing in the 2 accounts audited, but is not said to be unused or shadowed: " +
			"this digest does not cover every account of the run, and it may apply in the others.\n"} {
		if !strings.Contains(msgs[0].Body, want) {
			t.Errorf("partial digest lacks %q:\n%s", want, msgs[0].Body)
		}
	}
	if strings.Contains(msgs[0].Body, "matches no failing result") {
		t.Errorf("partial digest says a suppression is unused:\n%s", msgs[0].Body)
	}
}

// The schedule's firing that starts two executions of the organisation run
// (Scheduler delivers at least once) audits once: the list_accounts of the
// execution that claims the firing first lists the accounts, and the
// other's reports a duplicate (its state machine then ends) and writes no
// list. The first's list_accounts retried (Lambda's service errors) is
// still its own; a run started by hand claims nothing; a new firing is a
// new claim.
func TestAnOrganisationRunOfAFiringAlreadyClaimedAuditsNothing(t *testing.T) {
	o := newOrgEnv(t, "alpha")
	h := o.handler(nil)
	list := func(run, event string) handler.Listed {
		t.Helper()
		return step[handler.Listed](t, h, `{"action":"list_accounts","run_id":"`+run+`","event":`+event+`}`)
	}
	const firing = `{"source":"credaudit.schedule","executionId":"4a1c3b2e-59b8-4d1f-9a55-0c5a8b0f6e21","attemptNumber":"1"}`
	for _, tc := range []struct {
		run, event string
		duplicate  bool
	}{
		{"exec-1", firing, false},
		{"exec-1", firing, false}, // its list_accounts retried
		{"exec-2", firing, true},
		{"exec-3", `{}`, false},
		{"exec-4", `{"comment":"started by hand"}`, false},
		{"exec-5", `{"executionId":"0e8f7a6b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}`, false},
	} {
		got := list(tc.run, tc.event)
		if got.Duplicate != tc.duplicate {
			t.Fatalf("%s with %s: duplicate %v, want %v", tc.run, tc.event, got.Duplicate, tc.duplicate)
		}
		_, err := o.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(handler.AccountsKey(tc.run))})
		if tc.duplicate && (err == nil || got.Accounts != 0 || got.Key != "" || got.Missing == nil) {
			t.Errorf("%s: the duplicate listed %d accounts at %q, missing %v (list written: %v); want no list, and missing [] for the state machine",
				tc.run, got.Accounts, got.Key, got.Missing, err == nil)
		}
		if !tc.duplicate && (err != nil || got.Accounts == 0) {
			t.Errorf("%s: listed %d accounts, list %v; want the accounts listed", tc.run, got.Accounts, err)
		}
	}
	var claim struct {
		RunID string `json:"run_id"`
	}
	o.get(handler.DeliveryKey("4a1c3b2e-59b8-4d1f-9a55-0c5a8b0f6e21"), &claim)
	if claim.RunID != "exec-1" {
		t.Errorf("the firing is claimed by %q, want exec-1", claim.RunID)
	}
	dup := 0
	for _, l := range logged[struct {
		Msg       string
		RunID     string `json:"run_id"`
		ClaimedBy string `json:"claimed_by"`
	}](o.env) {
		if l.Msg == "duplicate delivery" {
			dup++
			if l.RunID != "exec-2" || l.ClaimedBy != "exec-1" {
				t.Errorf("duplicate line %+v, want exec-2's, claimed by exec-1", l)
			}
		}
	}
	if dup != 1 {
		t.Errorf("%d duplicate delivery lines, want 1", dup)
	}
	if mail := o.drain(); len(mail) != 0 {
		t.Errorf("listing sent %d messages, want none", len(mail))
	}
}
