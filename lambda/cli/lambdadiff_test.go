package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/handler"
	"github.com/credaudit/credaudit/lambda/internal/emulator"
	"github.com/credaudit/credaudit/lambda/internal/sandbox"
	"github.com/credaudit/credaudit/lambda/state"
)

// The README presents `credaudit scan --state DIR --publish --topic ARN` on
// the live account as the scheduled run "from a laptop": the same audit as
// the function's. This differential test drives both over the same account
// in moto, run after run, and checks that they publish and save the same
// things. They differ only where the README says they do, which the test
// normalises away:
//
//   - where the state lives (state/<account>.json.gz in the bucket, or
//     <account>.json.gz in --state DIR): both are decoded with package state;
//   - where the configuration is read from (CREDAUDIT_CONFIG, or --config
//     FILE), which a suppression's source and a configuration error name.
//
// Both run on one fixed clock, an hour later each run.
//
// They run in one moto account, whose IAM (global) both read, so they see
// the very same credential report, and with it the same as-of time (moto
// dates every report 2015-02-02T20:02:02Z), each with its own state, topic
// and Security Hub home region: the function in us-east-1, the command line
// with --region eu-west-1. Its region is then replaced by us-east-1 in what
// it published. moto does not implement BatchUpdateFindings, so a proxy in
// front of it answers those calls as Security Hub does and keeps each
// finding's workflow status and note, which are compared with the findings.
//
// Each sequence (fixed PCG seed) is 3–6 runs over users created and
// deleted, given passwords, access keys and MFA or losing them, under a
// configuration with suppressions (by glob, by ARN, one matching nothing,
// one expired, one that comes, goes and expires between runs) and custom
// rules, one of which comes and goes.
func TestScanPublishIsTheScheduledRun(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			runDifferential(t, seed)
		})
	}
}

const (
	diffAccount   = "123456789012" // moto's default account
	lambdaRegion  = "us-east-1"
	cliRegion     = "eu-west-1"
	lambdaBucket  = "credaudit-state-lambda"
	lambdaConfKey = "config/credaudit.yaml"
	diffAlias     = "acme-prod"
)

// workflows remembers each finding's last workflow status and note, by
// product ARN and ID, as emulator.AnswerWorkflowUpdates hands them on.
type workflows struct {
	mu  sync.Mutex
	set map[string]workflowSet
}

type workflowSet struct{ Status, Note string }

// seen remembers each finding's status and note from u.
func (w *workflows) seen(u emulator.WorkflowUpdate) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range u.FindingIdentifiers {
		w.set[id.ProductArn+" "+id.Id] = workflowSet{u.Workflow.Status, u.Note.Text}
	}
}

func (w *workflows) of(productARN, id string) (workflowSet, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.set[productARN+" "+id]
	return s, ok
}

// diffUser is a user of the sequence's model of the account.
type diffUser struct {
	path     string
	password bool
	keys     []string // access key IDs, oldest first
	active   map[string]bool
	mfa      []string // serial numbers
}

// diffWorld is the account the sequence changes, and the configuration.
type diffWorld struct {
	t     *testing.T
	iam   *iam.Client
	rng   *rand.Rand
	users map[string]*diffUser
	mfaN  int
	// sup01 is the suppression of USER-01 for [a-c]*: 0 none, 1 in force,
	// 2 expired.
	sup01 int
	org02 bool // custom rule ORG-02
	log   []string
}

// diffNames are the users a sequence may create; svc-deploy lives under
// /service/, which custom rule ORG-01 selects, and legacy is suppressed by
// its ARN.
var diffNames = map[string]string{"alice": "/", "bob": "/", "carol": "/", "svc-build": "/", "svc-deploy": "/service/", "legacy": "/"}

func (w *diffWorld) config() string {
	var b strings.Builder
	b.WriteString("profile: all\nrules:\n  CRED-01: {days: 60}\nsuppressions:\n")
	b.WriteString("  - rule: USER-02\n    user: \"svc-*\"\n    reason: service users sign in through roles\n")
	b.WriteString("  - rule: \"*\"\n    user: arn:aws:iam::" + diffAccount + ":user/legacy\n    reason: SOAP integration retired in Q1 (CHG-4211)\n")
	b.WriteString("  - rule: KEY-01\n    user: \"nobody-*\"\n    reason: matches no user\n")
	b.WriteString("  - rule: USER-05\n    user: \"*\"\n    reason: long expired\n    expires: 2010-01-01\n")
	switch w.sup01 {
	case 1:
		b.WriteString("  - rule: USER-01\n    user: \"[A-C]*\"\n    reason: break-glass users, MFA in the safe\n")
	case 2:
		b.WriteString("  - rule: USER-01\n    user: \"[A-C]*\"\n    reason: break-glass users, MFA in the safe\n    expires: 2015-02-01\n")
	}
	b.WriteString("custom_rules:\n")
	b.WriteString("  - id: ORG-01\n    title: Service users have no console password\n    severity: high\n" +
		"    remediation: Delete the login profile of service users.\n    where: arn.contains(\":user/service/\")\n    assert: \"!password_enabled\"\n")
	if w.org02 {
		b.WriteString("  - id: ORG-02\n    title: Service users rotate one key at a time\n    severity: medium\n" +
			"    remediation: Deactivate the older key.\n    where: user.startsWith(\"svc-\")\n    assert: \"!(access_key_1_active && access_key_2_active)\"\n")
	}
	return b.String()
}

func (w *diffWorld) must(what string, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("%s: %v\nsequence so far:\n%s", what, err, strings.Join(w.log, "\n"))
	}
}

func (w *diffWorld) names(pred func(*diffUser) bool) []string {
	var out []string
	for _, n := range []string{"alice", "bob", "carol", "svc-build", "svc-deploy", "legacy"} {
		if u, ok := w.users[n]; ok && pred(u) {
			out = append(out, n)
		}
	}
	return out
}

func (w *diffWorld) pick(names []string) string { return names[w.rng.IntN(len(names))] }

func (w *diffWorld) create(ctx context.Context, name string) {
	u := &diffUser{path: diffNames[name], active: map[string]bool{}}
	_, err := w.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String(u.path)})
	w.must("create "+name, err)
	w.users[name] = u
	w.log = append(w.log, "create "+name)
	if w.rng.IntN(2) == 0 {
		w.setPassword(ctx, name)
	}
	for range w.rng.IntN(3) {
		w.addKey(ctx, name)
	}
	if w.rng.IntN(3) == 0 {
		w.addMFA(ctx, name)
	}
}

func (w *diffWorld) setPassword(ctx context.Context, name string) {
	_, err := w.iam.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String("Correct-Horse-9")})
	w.must("password for "+name, err)
	w.users[name].password = true
	w.log = append(w.log, "  password for "+name)
}

func (w *diffWorld) dropPassword(ctx context.Context, name string) {
	_, err := w.iam.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String(name)})
	w.must("delete the password of "+name, err)
	w.users[name].password = false
	w.log = append(w.log, "delete the password of "+name)
}

func (w *diffWorld) addKey(ctx context.Context, name string) {
	out, err := w.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	w.must("access key for "+name, err)
	u := w.users[name]
	u.keys = append(u.keys, *out.AccessKey.AccessKeyId)
	u.active[*out.AccessKey.AccessKeyId] = true
	w.log = append(w.log, "  access key for "+name)
}

func (w *diffWorld) addMFA(ctx context.Context, name string) {
	w.mfaN++
	dev, err := w.iam.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(fmt.Sprintf("mfa-%d", w.mfaN))})
	w.must("MFA device for "+name, err)
	_, err = w.iam.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(name), SerialNumber: dev.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	w.must("enable MFA for "+name, err)
	w.users[name].mfa = append(w.users[name].mfa, *dev.VirtualMFADevice.SerialNumber)
	w.log = append(w.log, "  MFA for "+name)
}

func (w *diffWorld) delete(ctx context.Context, name string) {
	u := w.users[name]
	if u.password {
		_, err := w.iam.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String(name)})
		w.must("delete the password of "+name, err)
	}
	for _, k := range u.keys {
		_, err := w.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: aws.String(k)})
		w.must("delete a key of "+name, err)
	}
	for _, s := range u.mfa {
		_, err := w.iam.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String(name), SerialNumber: aws.String(s)})
		w.must("deactivate the MFA of "+name, err)
	}
	_, err := w.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)})
	w.must("delete "+name, err)
	delete(w.users, name)
	w.log = append(w.log, "delete "+name)
}

// change makes one random change to the account or the configuration.
func (w *diffWorld) change(ctx context.Context) {
	any := func(*diffUser) bool { return true }
	missing := []string{}
	for _, n := range []string{"alice", "bob", "carol", "svc-build", "svc-deploy", "legacy"} {
		if _, ok := w.users[n]; !ok {
			missing = append(missing, n)
		}
	}
	for {
		switch w.rng.IntN(9) {
		case 0:
			if len(missing) > 0 {
				w.create(ctx, w.pick(missing))
				return
			}
		case 1:
			// moto's report has no root row: the last user kept keeps
			// it a report (IAM's always has root's).
			if ns := w.names(any); len(ns) > 1 {
				w.delete(ctx, w.pick(ns))
				return
			}
		case 2:
			if ns := w.names(func(u *diffUser) bool { return len(u.mfa) == 0 }); len(ns) > 0 {
				w.log = append(w.log, "change:")
				w.addMFA(ctx, w.pick(ns))
				return
			}
		case 3:
			if ns := w.names(func(u *diffUser) bool { return len(u.keys) < 2 }); len(ns) > 0 {
				w.log = append(w.log, "change:")
				w.addKey(ctx, w.pick(ns))
				return
			}
		case 4:
			if ns := w.names(func(u *diffUser) bool { return len(u.keys) > 0 && u.active[u.keys[len(u.keys)-1]] }); len(ns) > 0 {
				n := w.pick(ns)
				u := w.users[n]
				k := u.keys[len(u.keys)-1]
				_, err := w.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(n), AccessKeyId: aws.String(k), Status: iamtypes.StatusTypeInactive})
				w.must("deactivate a key of "+n, err)
				u.active[k] = false
				w.log = append(w.log, "deactivate the last key of "+n)
				return
			}
		case 5:
			if ns := w.names(func(u *diffUser) bool { return len(u.keys) > 0 }); len(ns) > 0 {
				n := w.pick(ns)
				u := w.users[n]
				_, err := w.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(n), AccessKeyId: aws.String(u.keys[0])})
				w.must("delete a key of "+n, err)
				u.keys = u.keys[1:]
				w.log = append(w.log, "delete the first key of "+n)
				return
			}
		case 6:
			if ns := w.names(any); len(ns) > 0 {
				n := w.pick(ns)
				if w.users[n].password {
					w.dropPassword(ctx, n)
				} else {
					w.log = append(w.log, "change:")
					w.setPassword(ctx, n)
				}
				return
			}
		case 7:
			w.sup01 = (w.sup01 + 1 + w.rng.IntN(2)) % 3
			w.log = append(w.log, "configuration: USER-01 of [a-c]* "+[]string{"not suppressed", "suppressed", "suppressed until it expired"}[w.sup01])
			return
		case 8:
			w.org02 = !w.org02
			w.log = append(w.log, fmt.Sprintf("configuration: custom rule ORG-02 %v", w.org02))
			return
		}
	}
}

// diffSide is one of the two ways of running the audit, and where it
// publishes and saves.
type diffSide struct {
	name  string
	acct  *sandbox.Account
	state func() *state.State
}

func runDifferential(t *testing.T, seed uint64) {
	ctx := context.Background()
	emulator.Config(t)
	emulator.Reset(t)
	wf := &workflows{set: map[string]workflowSet{}}
	t.Setenv("AWS_ENDPOINT_URL", (&emulator.Proxy{Hook: emulator.AnswerWorkflowUpdates(wf.seen)}).Start(t))
	cfg := emulator.Config(t)
	cfg.Region = lambdaRegion
	lacct, err := sandbox.New(ctx, cfg, lambdaBucket)
	if err != nil {
		t.Fatal(err)
	}
	ccfg := cfg.Copy()
	ccfg.Region = cliRegion
	cacct, err := sandbox.New(ctx, ccfg, "credaudit-state-cli-unused")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lacct.IAM.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String(diffAlias)}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stateDir, confFile := filepath.Join(dir, "state"), filepath.Join(dir, "credaudit.yaml")
	lconf := "s3://" + lambdaBucket + "/" + lambdaConfKey
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })

	lambda := &diffSide{name: "the function", acct: lacct, state: func() *state.State {
		st, _, err := state.NewS3(cfg, lambdaBucket, state.S3Options{UsePathStyle: true}).Load(ctx, diffAccount)
		if err != nil {
			t.Fatalf("the function's state: %v", err)
		}
		st.Delivery = "" // the event's; the command line has none
		return st
	}}
	cli := &diffSide{name: "scan --publish", acct: cacct, state: func() *state.State {
		st, _, err := state.NewDir(stateDir).Load(ctx, diffAccount)
		if err != nil {
			t.Fatalf("the command line's state: %v", err)
		}
		return st
	}}

	clock := time.Date(2015, 2, 3, 0, 0, 0, 0, time.UTC)
	now = func() time.Time { return clock }
	t.Cleanup(func() { now = nil })

	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	w := &diffWorld{t: t, iam: lacct.IAM, rng: rng, users: map[string]*diffUser{}, sup01: rng.IntN(3), org02: rng.IntN(2) == 0}
	names := slices.Sorted(maps.Keys(diffNames))
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	w.create(ctx, names[0])
	w.create(ctx, names[1])
	for range 1 + rng.IntN(3) {
		w.change(ctx)
	}
	runs, sent := 3+rng.IntN(4), 0
	for i := range runs {
		if i > 0 {
			for range 1 + rng.IntN(3) {
				w.change(ctx)
			}
		}
		w.log = append(w.log, fmt.Sprintf("--- run %d", i+1))
		clock = clock.Add(time.Hour)
		conf := w.config()
		_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(lambdaBucket), Key: aws.String(lambdaConfKey), Body: strings.NewReader(conf)})
		w.must("put the configuration", err)
		w.must("write the configuration", os.WriteFile(confFile, []byte(conf), 0o600))

		// The function, as the schedule invokes it.
		h, err := handler.New(cfg, func(k string) string {
			return map[string]string{
				"AWS_REGION": lambdaRegion, handler.EnvStateBucket: lambdaBucket, handler.EnvTopicARN: lacct.TopicARN,
				handler.EnvConfig: lconf,
			}[k]
		}, nil, nil)
		w.must("handler.New", err)
		h.Fetcher.Sleep = func(context.Context, time.Duration) error { return nil }
		h.Importer.RatePerSecond = 1000
		h.Now = now
		payload, err := sandbox.Event("../../events/eventbridge-scheduled.json", fmt.Sprintf("diff-run-%d", i+1))
		w.must("read the event", err)
		resp, lerr := h.Invoke(ctx, payload)

		// The command line, on the same live account.
		code, stdout, stderr := run(t, "", "scan", "--region", cliRegion, "--config", confFile, "--format", "json",
			"--state", stateDir, "--publish", "--topic", cacct.TopicARN)

		sequence := strings.Join(w.log, "\n")
		if (lerr == nil) != (code == ExitOK) {
			t.Fatalf("run %d: the function's error %v, scan's exit %d:\n%s\nsequence:\n%s", i+1, lerr, code, stderr, sequence)
		}
		if lerr != nil {
			t.Fatalf("run %d failed: %v\nsequence:\n%s", i+1, lerr, sequence)
		}
		// The results' counts: the function's summary, and scan's JSON.
		var scanned struct {
			Summary struct {
				Failed           int            `json:"failed"`
				NotAvailable     int            `json:"not_available"`
				Suppressed       int            `json:"suppressed"`
				FailedBySeverity map[string]int `json:"failed_by_severity"`
			}
		}
		w.must("scan's JSON", json.Unmarshal([]byte(stdout), &scanned))
		type counts struct {
			Failing, NotAvailable, Suppressed int
			BySeverity                        map[string]int
		}
		sum := scanned.Summary
		if diff := cmp.Diff(counts{resp.Failing, resp.NotAvailable, resp.Suppressed, resp.BySeverity},
			counts{sum.Failed, sum.NotAvailable, sum.Suppressed, sum.FailedBySeverity}); diff != "" {
			t.Errorf("run %d: counts differ (-function +scan):\n%s\nsequence:\n%s", i+1, diff, sequence)
		}
		norm := strings.NewReplacer(cliRegion, lambdaRegion, confFile, lconf)
		msgs := lambda.messages(t, nil)
		sent += len(msgs)
		if diff := cmp.Diff(msgs, cli.messages(t, norm)); diff != "" {
			t.Errorf("run %d: SNS messages differ (-function +scan):\n%s\nsequence:\n%s", i+1, diff, sequence)
		}
		if diff := cmp.Diff(lambda.findings(t, wf, nil), cli.findings(t, wf, norm)); diff != "" {
			t.Errorf("run %d: Security Hub findings differ (-function +scan):\n%s\nsequence:\n%s", i+1, diff, sequence)
		}
		if diff := cmp.Diff(lambda.state(), cli.saved(norm)); diff != "" {
			t.Errorf("run %d: saved states differ (-function +scan):\n%s\nsequence:\n%s", i+1, diff, sequence)
		}
		if t.Failed() {
			return
		}
	}
	// Equal, but not for want of anything published.
	if sent == 0 || len(lambda.findings(t, wf, nil)) == 0 {
		t.Errorf("%d runs sent %d digests and left %d findings in Security Hub: the sequence published nothing to compare",
			runs, sent, len(lambda.findings(t, wf, nil)))
	}
}

// messages drains the side's queue: the SNS messages of the run,
// normalised by norm (nil: none).
func (s *diffSide) messages(t *testing.T, norm *strings.Replacer) []sandbox.Message {
	t.Helper()
	msgs, err := s.acct.Drain(context.Background())
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	for i := range msgs {
		m := &msgs[i]
		if norm != nil {
			m.Subject, m.Body = norm.Replace(m.Subject), norm.Replace(m.Body)
		}
	}
	return msgs
}

// findings reads the side's Security Hub findings as moto holds them (the
// last import, whole) with the workflow status and note last set, as JSON
// values normalised by norm, by ID.
func (s *diffSide) findings(t *testing.T, wf *workflows, norm *strings.Replacer) map[string]any {
	t.Helper()
	fs, err := s.acct.Findings(context.Background())
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	out := map[string]any{}
	for id, f := range fs {
		set, _ := wf.of(*f.ProductArn, id)
		b, err := json.Marshal(struct {
			Finding  any
			Workflow workflowSet
		}{f, set})
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		if norm != nil {
			text = norm.Replace(text)
		}
		var v any
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			t.Fatal(err)
		}
		out[id] = v
	}
	return out
}

// saved is the side's state, its records' region normalised by norm.
func (s *diffSide) saved(norm *strings.Replacer) *state.State {
	st := s.state()
	for id, r := range st.Records {
		r.Region = norm.Replace(r.Region)
		st.Records[id] = r
	}
	return st
}
