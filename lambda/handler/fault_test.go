package handler_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/credaudit/credaudit/lambda/handler"
	"github.com/credaudit/credaudit/lambda/internal/emulator"
	"github.com/credaudit/credaudit/lambda/internal/sandbox"
)

// viaProxy is the function with every AWS call going through p, and no
// waiting between retries (the SDK's or the importer's).
func (e *env) viaProxy(p *faultProxy) *handler.Handler {
	e.t.Helper()
	cfg := e.cfg.Copy()
	cfg.BaseEndpoint = aws.String(p.URL())
	return withoutWaits(e.handler(nil), cfg)
}

// withoutWaits is h calling AWS with cfg, without waiting between retries
// (the SDK's or the importer's).
func withoutWaits(h *handler.Handler, cfg aws.Config) *handler.Handler {
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	h.AWS = cfg
	h.Importer.Sleep = func(context.Context, time.Duration) error { return nil }
	return h
}

func (e *env) seedUsers() {
	e.t.Helper()
	if err := e.SeedExample(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) stateObject() []byte {
	e.t.Helper()
	out, err := s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true }).GetObject(context.Background(),
		&s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("state/" + account + ".json.gz")})
	if err != nil {
		if strings.Contains(err.Error(), "NoSuchKey") {
			return nil
		}
		e.t.Fatalf("get state object: %v", err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// Throttling, 5xx and findings Security Hub fails for a transient reason
// are retried within the run, which then ends as if nothing happened.
func TestTransientFaultsAreRetried(t *testing.T) {
	e := newEnv(t)
	e.seedUsers()
	p := newFaultProxy(t)
	p.inject(
		fault{Op: "GetCredentialReport", Kind: throttle, Times: 2},
		fault{Op: "BatchImportFindings", Kind: serverError, Times: 1},
		fault{Op: "BatchImportFindings", Kind: partial, Times: 1, Count: 3, Code: "InternalFailure"},
		fault{Op: "Publish", Kind: throttle, Times: 1},
		fault{Op: "s3:PutObject", Kind: unavailable, Times: 1},
	)
	resp, err := e.viaProxy(p).Invoke(context.Background(), []byte(`{}`))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	for _, f := range p.faults {
		if f.Times != 0 {
			t.Errorf("the %s fault on %s was not used up: the run did not make the calls it should", kindName[f.Kind], f.Op)
		}
	}
	if got := p.count("BatchImportFindings"); got < 3 {
		t.Errorf("%d BatchImportFindings calls, want the 500 retried and the 3 failed findings re-sent", got)
	}
	hub := e.findings()
	if len(hub) != resp.New || resp.Imported != resp.New {
		t.Errorf("Security Hub holds %d findings; the run found %d new and imported %d", len(hub), resp.New, resp.Imported)
	}
	for _, id := range p.refused {
		if _, ok := hub[id]; !ok {
			t.Errorf("transiently failed finding %s never landed", id)
		}
	}
	if len(e.drain()) != 1 {
		t.Error("want exactly one digest despite the throttled Publish")
	}
	if st := e.state(); len(st.Records) != resp.New {
		t.Errorf("state holds %d records, want %d", len(st.Records), resp.New)
	}
}

// Faults that outlast the retries fail the run without losing anything:
// a state that cannot be saved ahead stops the run before it sends
// anything; one saved ahead whose final save fails leaves the next run to
// converge; and a third has nothing to do.
func TestPersistentFaultsConvergeOnTheNextRun(t *testing.T) {
	e := newEnv(t)
	e.seedUsers()
	p := newFaultProxy(t)
	h := e.viaProxy(p)
	p.inject(fault{Op: "s3:PutObject", Kind: unavailable, Times: 100})
	_, err := h.Invoke(context.Background(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "save state") || p.count("BatchImportFindings") != 0 || len(e.findings()) != 0 || e.stateObject() != nil {
		t.Fatalf("run 0: %v, %d imports; want the failed save named, nothing imported and no state", err, p.count("BatchImportFindings"))
	}
	if mail := e.drain(); len(mail) != 1 || mail[0].Attributes["kind"] != "error" || !strings.Contains(mail[0].Subject, "(save state)") {
		t.Fatalf("run 0: %+v; want the operational alert alone", mail)
	}

	p.clear()
	p.inject(
		fault{Op: "BatchImportFindings", Kind: partial, Times: 1, Count: 2, Code: "InvalidInput"},
		fault{Op: "s3:PutObject", Meanwhile: func() {}, Times: 1}, // the state saved ahead
		fault{Op: "s3:PutObject", Kind: unavailable, Times: 100},
	)
	_, err = h.Invoke(context.Background(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "save state") || !strings.Contains(err.Error(), p.refused[0]) {
		t.Fatalf("run 1: %v; want the refused findings and the failed save named", err)
	}
	for id, rec := range e.state().Records {
		if !rec.Unnotified || !rec.LastImportedAt.IsZero() {
			t.Fatalf("run 1 left %s as %+v; want the state saved ahead: new, to report and import again", id, rec)
		}
	}
	if mail := e.drain(); len(mail) != 1 || !strings.Contains(mail[0].Subject, "Security Hub errors") {
		t.Fatalf("run 1 digest: %+v", mail)
	}

	p.clear()
	second, err := h.Invoke(context.Background(), []byte(`{}`))
	if err != nil {
		t.Fatalf("run 2: %v", err)
	}
	hub := e.findings()
	if len(hub) != second.New {
		t.Errorf("after run 2 Security Hub holds %d findings, want the %d failing once each", len(hub), second.New)
	}
	for _, id := range p.refused {
		if _, ok := hub[id]; !ok {
			t.Errorf("refused finding %s still missing after run 2", id)
		}
	}
	if st := e.state(); len(st.Records) != second.New {
		t.Errorf("state holds %d records after run 2, want %d", len(st.Records), second.New)
	}
	e.drain()

	before := p.count("BatchImportFindings")
	third, err := h.Invoke(context.Background(), []byte(`{}`))
	if err != nil {
		t.Fatalf("run 3: %v", err)
	}
	if third.Imported != 0 || p.count("BatchImportFindings") != before || len(e.drain()) != 0 {
		t.Errorf("run 3 over an unchanged account imported %d (%d calls) or mailed", third.Imported, p.count("BatchImportFindings")-before)
	}
}

// A state that cannot be read is not an empty one: the run alerts and
// publishes nothing, and the stored state survives.
func TestUnreadableStateIsNeverLost(t *testing.T) {
	e := newEnv(t)
	e.seedUsers()
	p := newFaultProxy(t)
	h := e.viaProxy(p)
	if _, err := h.Invoke(context.Background(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	e.drain()
	saved := e.stateObject()
	e.do(sandbox.MFA, "alice") // a change the blind run must not publish
	imports := p.count("BatchImportFindings")

	p.inject(fault{Op: "s3:GetObject", Kind: serverError, Times: 100})
	if _, err := h.Invoke(context.Background(), []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "load state") {
		t.Fatalf("Invoke with an unreadable state: %v, want a load-state failure", err)
	}
	if p.count("BatchImportFindings") != imports {
		t.Error("a run that could not read its state imported findings")
	}
	if mail := e.drain(); len(mail) != 1 || mail[0].Attributes["kind"] != "error" {
		t.Errorf("want one operational alert, got %+v", mail)
	}
	if !bytes.Equal(saved, e.stateObject()) {
		t.Error("the stored state changed")
	}
}

// A per-account request whose member role cannot be assumed fails as such,
// with an alert naming the role, and touches nothing in that account.
func TestMemberRoleRefusedFailsLoudly(t *testing.T) {
	e := newEnv(t)
	e.seedUsers()
	emulator.RefuseAssumeRole(t, "arn:aws:iam::123456789012:role/credaudit-member")
	p := newFaultProxy(t) // in front of the refusal: it counts the calls
	_, err := e.viaProxy(p).Invoke(context.Background(), []byte(`{"account_id":"123456789012","role_arn":"arn:aws:iam::123456789012:role/credaudit-member"}`))
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("Invoke: %v, want the refused AssumeRole", err)
	}
	if n := p.count("GetCredentialReport") + p.count("GenerateCredentialReport") + p.count("BatchImportFindings"); n != 0 {
		t.Errorf("%d report or import calls without the member's credentials", n)
	}
	mail := e.drain()
	if len(mail) != 1 || mail[0].Attributes["kind"] != "error" || !strings.Contains(mail[0].Subject, "assume role") ||
		!strings.Contains(mail[0].Body, "credaudit-member") {
		t.Fatalf("alert: %+v", mail)
	}
	if e.stateObject() != nil {
		t.Error("a state was written for an account that could not be audited")
	}
}

// The function's logs name no user (README) on the failure paths either,
// whose errors do: Security Hub's refused findings are listed by ID, which
// ends in the user's ARN, and a custom rule that fails names the row's user.
// The alert and the digest, which go to the topic, keep the whole text.
func TestFailureLogsNameNoUser(t *testing.T) {
	users := []string{"alice", "bob", "carol", "dave"}
	check := func(t *testing.T, e *env) {
		t.Helper()
		logs := e.logs.String()
		if !strings.Contains(logs, `"level":"ERROR"`) {
			t.Fatalf("no error logged:\n%s", logs)
		}
		for line := range strings.Lines(logs) {
			for _, u := range users {
				if strings.Contains(line, u) {
					t.Errorf("log line names user %s:\n%s", u, line)
				}
			}
		}
	}
	t.Run("refused findings", func(t *testing.T) {
		e := newEnv(t)
		e.seedUsers()
		p := newFaultProxy(t)
		p.inject(fault{Op: "BatchImportFindings", Kind: partial, Times: 1, Count: 2, Code: "InvalidInput"})
		if _, err := e.viaProxy(p).Invoke(context.Background(), []byte(`{}`)); err == nil || !strings.Contains(err.Error(), p.refused[0]) {
			t.Fatalf("Invoke error %v, want the refused findings named", err)
		}
		check(t, e)
	})
	// CEL's own message names a map key unquoted: "no such key: alice", or
	// one made from the name, "no such key: svc-alice".
	for _, assert := range []string{"int(user) > 0", `'{"dave": true}[user]'`, `'{"svc-dave": true}["svc-" + user]'`} {
		t.Run("a custom rule that fails on a row: "+assert, func(t *testing.T) {
			e := newEnv(t)
			e.consoleUser("alice")
			h := e.withConfig("custom_rules:\n  - id: ORG-09\n    title: t\n    severity: low\n    remediation: r\n    assert: " + assert + "\n")
			if _, err := h.Invoke(context.Background(), []byte(`{}`)); err == nil || !strings.Contains(err.Error(), `user "alice"`) {
				t.Fatalf("Invoke error %v, want the row's user named", err)
			}
			if mail := e.drain(); len(mail) != 1 || !strings.Contains(mail[0].Body, `user "alice"`) {
				t.Errorf("the alert does not name the row: %+v", mail)
			}
			check(t, e)
		})
	}
}

// readmeAlertPolicy is the subscription filter policy the README gives for
// alerts and severe news.
func readmeAlertPolicy(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("`(\\{\"\\$or\": [^`]*\\})`").FindSubmatch(readme)
	if m == nil {
		t.Fatal("the README gives no filter policy")
	}
	return string(m[1])
}

// A digest that reports Security Hub errors is sent whatever the notify
// mode, as an operational error; it was a kind=digest message with its
// news' severity, and the README's filter policy for alerts and severe news
// never took it. Its kind is now both, and the policy takes it in the
// emulator's SNS, while a digest of medium news without errors stays out.
func TestTheREADMEAlertPolicyTakesADigestWithSecurityHubErrors(t *testing.T) {
	e := newEnv(t)
	e.seedUsers()
	alerts, err := e.Subscribe(context.Background(), "credaudit-alerts", readmeAlertPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newFaultProxy(t)
	h := e.viaProxy(p)
	if _, err := h.Invoke(context.Background(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	mail := e.drain()
	if len(mail) != 1 || mail[0].Attributes["severity"] == "CRITICAL" || mail[0].Attributes["severity"] == "HIGH" {
		t.Fatalf("run 1: %d digests (%+v); want one of news below HIGH", len(mail), mail)
	}
	if got, err := e.DrainQueue(context.Background(), alerts); err != nil || len(got) != 0 {
		t.Fatalf("run 1: the alert subscription took %d messages (%v); want none", len(got), err)
	}

	e.consoleUser("newcomer")
	p.inject(fault{Op: "BatchImportFindings", Kind: partial, Times: 1, Count: 1, Code: "InvalidInput"})
	if _, err := h.Invoke(context.Background(), []byte(`{}`)); err == nil {
		t.Fatal("run 2 succeeded though Security Hub refused a finding")
	}
	mail = e.drain()
	if len(mail) != 1 || !strings.Contains(mail[0].Subject, "Security Hub errors") || mail[0].Attributes["severity"] == "CRITICAL" || mail[0].Attributes["severity"] == "HIGH" {
		t.Fatalf("run 2: %+v; want one digest saying Security Hub errors, of news below HIGH", mail)
	}
	got, err := e.DrainQueue(context.Background(), alerts)
	if err != nil || len(got) != 1 || got[0].Subject != mail[0].Subject || got[0].Attributes["kind"] != `["digest","error"]` {
		t.Errorf("run 2: the alert subscription took %+v (%v); want the digest, of kind digest and error", got, err)
	}
}
