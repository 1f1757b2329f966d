package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/credaudit/credaudit/lambda/internal/emulator"
	"github.com/credaudit/credaudit/lambda/internal/sandbox"
)

// The organisation benchmark: orgBenchAccounts member accounts of
// orgBenchUsers IAM users each, audited by `scan --org --concurrency 10
// --state DIR --publish --topic ARN` against moto, through a proxy that
// counts every API call by account and operation.
const (
	orgBenchAccounts    = 200
	orgBenchUsers       = 200
	orgBenchConcurrency = 10
	// orgBenchSetupWorkers create member accounts' users at once. moto
	// answers about 300 calls a second with 200 accounts whatever the
	// number in flight (one Python process, under its GIL); a few workers
	// keep it busy while the Go side signs and parses (one worker: 210 a
	// second).
	orgBenchSetupWorkers = 6
)

// orgBenchKinds are the kinds of IAM user, and how many of every 20
// users are of each kind: 40 % sign in with MFA (half a virtual device,
// half a hardware one), 15 % without, 25 % are service users with one
// access key, and the rest have two active keys, a password and a key, no
// credential at all, or a second key turned off. Each kind costs the
// setup its calls to moto (1 to 4), which bound how fast 40,000 users can
// be made.
var orgBenchKinds = []struct {
	per20 int
	steps []sandbox.Step
}{
	{4, []sandbox.Step{sandbox.Password, sandbox.MFA}},
	{4, []sandbox.Step{sandbox.Password, hardwareMFA}},
	{3, []sandbox.Step{sandbox.Password}},
	{5, []sandbox.Step{sandbox.AccessKey}},
	{1, []sandbox.Step{sandbox.AccessKey, sandbox.AccessKey}},
	{1, []sandbox.Step{sandbox.Password, sandbox.AccessKey}},
	{1, nil},
	{1, []sandbox.Step{sandbox.AccessKey, inactiveKey}},
}

// hardwareMFA enables a hardware MFA device (one call: no virtual device
// to create first).
func hardwareMFA(ctx context.Context, a *sandbox.Account, user string) error {
	_, err := a.IAM.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(user),
		SerialNumber: aws.String("GAKT" + strings.TrimPrefix(user, "user-")), AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	if err != nil {
		return fmt.Errorf("hardware MFA for %s: %w", user, err)
	}
	return nil
}

// inactiveKey gives the user an access key that is turned off.
func inactiveKey(ctx context.Context, a *sandbox.Account, user string) error {
	key, err := a.IAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err == nil {
		_, err = a.IAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(user),
			AccessKeyId: key.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeInactive})
	}
	if err != nil {
		return fmt.Errorf("inactive key for %s: %w", user, err)
	}
	return nil
}

// orgBenchSteps is user i of member k's steps: the kinds in the same
// proportions in every account, dealt to different users.
func orgBenchSteps(k, i int) []sandbox.Step {
	total := 0
	for _, kind := range orgBenchKinds {
		total += kind.per20
	}
	slot := (i + 7*k) % total
	for _, kind := range orgBenchKinds {
		if slot < kind.per20 {
			return kind.steps
		}
		slot -= kind.per20
	}
	return nil // not reached: slot < total
}

// newBenchOrganisation creates the organisation (newOrganisation, which
// gives each member a user signing in without MFA), then each member's
// other users, orgBenchSetupWorkers members at a time.
func newBenchOrganisation(b *testing.B) (*sandbox.Account, []member) {
	b.Helper()
	names := make([]string, orgBenchAccounts)
	for k := range names {
		names[k] = fmt.Sprintf("member-%03d", k)
	}
	mgmt, members := newOrganisation(b, names...)
	errs := make([]error, len(members))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range orgBenchSetupWorkers {
		wg.Go(func() {
			for k := range jobs {
				errs[k] = addBenchUsers(context.Background(), members[k], k)
			}
		})
	}
	for k := range members {
		jobs <- k
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return mgmt, members
}

// addBenchUsers gives member k its users beyond the one newOrganisation
// made.
func addBenchUsers(ctx context.Context, m member, k int) error {
	for i := range orgBenchUsers - 1 {
		if err := m.CreateUser(ctx, fmt.Sprintf("user-%03d", i), orgBenchSteps(k, i)...); err != nil {
			return fmt.Errorf("account %s: %w", m.id, err)
		}
	}
	return nil
}

// callCounter counts the API calls through its emulator.Proxy by account
// and operation ("iam:GetCredentialReport"). A call belongs to the account
// of the access key that signed it (moto's routing), except AssumeRole,
// which belongs to the account of the role assumed; the keys AssumeRole
// hands out are learnt from its responses.
type callCounter struct {
	mu   sync.Mutex
	keys map[string]string // access key ID → account
	run  *runCalls
}

// runCalls are the calls of one run.
type runCalls struct {
	calls    map[string]map[string]int // account → operation → calls
	first    map[string]time.Time      // account → start of its first call
	last     map[string]time.Time      // account → end of its last call
	imported map[string]int            // account → findings sent to BatchImportFindings
}

var (
	credentialScope = regexp.MustCompile(`Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/`)
	assumedKey      = regexp.MustCompile(`(?s)<AccessKeyId>([^<]+)</AccessKeyId>.*<Arn>arn:[^:]+:sts::(\d{12}):assumed-role/`)
)

// newCallCounter starts the proxy and points the AWS configurations loaded
// from now on (the CLI's) at it.
func newCallCounter(b *testing.B) *callCounter {
	b.Helper()
	c := &callCounter{}
	c.take()
	transport := &http.Transport{MaxIdleConnsPerHost: 4 * orgBenchConcurrency}
	b.Cleanup(transport.CloseIdleConnections)
	proxy := &emulator.Proxy{Transport: transport, Hook: func(w http.ResponseWriter, call *emulator.Call) {
		start := time.Now()
		acct, op, n := c.classify(call)
		call.Forward(w, c.learnKey)
		c.count(acct, op, n, start, time.Now())
	}}
	b.Setenv("AWS_ENDPOINT_URL", proxy.Start(b))
	return c
}

// take returns the calls counted since the last take and starts afresh.
func (c *callCounter) take() *runCalls {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.run
	c.keys = map[string]string{"testing": management}
	c.run = &runCalls{calls: map[string]map[string]int{}, first: map[string]time.Time{}, last: map[string]time.Time{}, imported: map[string]int{}}
	return r
}

// classify names call's account and operation, the latter prefixed with
// the service that signed it, and for BatchImportFindings the number of
// findings it carries.
func (c *callCounter) classify(call *emulator.Call) (acct, op string, findings int) {
	key, service := "", "unsigned"
	if m := credentialScope.FindStringSubmatch(call.Request.Header.Get("Authorization")); m != nil {
		key, service = m[1], m[2]
	}
	c.mu.Lock()
	acct, ok := c.keys[key]
	c.mu.Unlock()
	if !ok {
		acct = "unknown key " + key
	}
	switch call.Op {
	case "AssumeRole":
		if parts := strings.Split(call.Form.Get("RoleArn"), ":"); len(parts) > 4 {
			acct = parts[4]
		}
	case "BatchImportFindings":
		var in struct{ Findings []json.RawMessage }
		if json.Unmarshal(call.Body, &in) == nil {
			findings = len(in.Findings)
		}
	}
	return acct, service + ":" + strings.TrimPrefix(call.Op, service+":"), findings // S3's names carry "s3:" already
}

// learnKey records the account of the credentials an AssumeRole response
// carries.
func (c *callCounter) learnKey(resp *http.Response) error {
	if !strings.Contains(resp.Header.Get("Content-Type"), "xml") || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if m := assumedKey.FindSubmatch(body); m != nil {
		c.mu.Lock()
		c.keys[string(m[1])] = string(m[2])
		c.mu.Unlock()
	}
	return nil
}

func (c *callCounter) count(acct, op string, findings int, start, end time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.run
	if r.calls[acct] == nil {
		r.calls[acct] = map[string]int{}
	}
	r.calls[acct][op]++
	r.imported[acct] += findings
	if f, ok := r.first[acct]; !ok || start.Before(f) {
		r.first[acct] = start
	}
	if end.After(r.last[acct]) {
		r.last[acct] = end
	}
}

// memPeak samples the heap while a run goes on; the kernel keeps the
// resident set's high-water mark (VmHWM), which clear_refs resets.
type memPeak struct {
	stop, done chan struct{}
	// startHeap and startRSS are what the process held before the run:
	// the benchmark's own clients and proxy, the test binary.
	startHeap, startRSS uint64
	// heap and rss are the peaks, once ended; rss is 0 where the
	// high-water mark could not be reset.
	heap, rss uint64
	rssReset  bool
}

// startMemPeak collects garbage, returns what it can to the OS and resets
// the high-water mark, so that the peak is the run's.
func startMemPeak() *memPeak {
	runtime.GC()
	debug.FreeOSMemory()
	p := &memPeak{stop: make(chan struct{}), done: make(chan struct{})}
	p.rssReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	p.startRSS = procStatus("VmRSS:")
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	p.startHeap = sample[0].Value.Uint64()
	go func() {
		defer close(p.done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			p.heap = max(p.heap, sample[0].Value.Uint64())
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// end stops sampling and reads the high-water mark.
func (p *memPeak) end() {
	close(p.stop)
	<-p.done
	if p.rssReset {
		p.rss = procStatus("VmHWM:")
	}
}

// procStatus is the size on the line of /proc/self/status that starts
// with field, in bytes; 0 if there is none.
func procStatus(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// orgBench is the organisation under benchmark and what its runs saw.
type orgBench struct {
	mgmt    *sandbox.Account
	members []member
	calls   *callCounter
	args    []string
	// failing is each member's failing count in the first run, which the
	// steady state must see again.
	failing map[string]int
}

// run runs the CLI once and returns its summary; any account failing, or
// any exit but 0, fails the benchmark.
func (o *orgBench) run(b *testing.B) *orgSummary {
	b.Helper()
	var out, stderr bytes.Buffer
	code := Run(context.Background(), o.args, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &stderr})
	if code != ExitOK {
		b.Fatalf("scan --org: exit %d; stderr (end):\n%s", code, tail(stderr.String(), 4000))
	}
	var sum orgSummary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		b.Fatalf("scan --org output is not the org summary: %v", err)
	}
	if sum.Accounts != orgBenchAccounts || sum.Audited != orgBenchAccounts || sum.Failed != 0 || len(sum.Results) != orgBenchAccounts {
		b.Fatalf("summary: %d accounts, %d audited, %d failed; want %d, %d, 0", sum.Accounts, sum.Audited, sum.Failed, orgBenchAccounts, orgBenchAccounts)
	}
	want := map[string]bool{}
	for _, m := range o.members {
		want[m.id] = true
	}
	for _, r := range sum.Results {
		if !want[r.AccountID] {
			b.Fatalf("summary has account %s, not a member (or twice)", r.AccountID)
		}
		delete(want, r.AccountID)
		if r.Failed() || r.Summary == nil || r.Summary.Users != orgBenchUsers {
			b.Fatalf("%s: %+v; want an audit of %d users", r.AccountID, r, orgBenchUsers)
		}
	}
	return &sum
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// checkCalls fails unless every call of the run rc was made with known
// credentials, and every member assumed its role once and sent with its
// own credentials exactly the findings its summary says it imported.
func checkCalls(b *testing.B, sum *orgSummary, rc *runCalls) {
	b.Helper()
	for acct := range rc.calls {
		if strings.HasPrefix(acct, "unknown") {
			b.Fatalf("calls signed by an %s: %v", acct, rc.calls[acct])
		}
	}
	for _, r := range sum.Results {
		if n := rc.calls[r.AccountID]["sts:AssumeRole"]; n != 1 {
			b.Fatalf("%s: %d AssumeRole calls, want 1", r.AccountID, n)
		}
		if rc.imported[r.AccountID] != r.Summary.Imported {
			b.Fatalf("%s: %d findings sent with its own credentials, summary says %d imported", r.AccountID, rc.imported[r.AccountID], r.Summary.Imported)
		}
	}
	if n := rc.imported[management]; n != 0 {
		b.Fatalf("%d findings imported with the management account's credentials", n)
	}
}

// checkHubs reads every member's Security Hub: it must hold want[id]
// findings, all of that account; and the topic, which must hold digests
// organisation digests (one per run with news).
func (o *orgBench) checkHubs(b *testing.B, want map[string]int, digests int) {
	b.Helper()
	ctx := context.Background()
	for _, m := range o.members {
		found, err := m.Findings(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(found) != want[m.id] {
			b.Fatalf("%s's Security Hub holds %d findings, want %d", m.id, len(found), want[m.id])
		}
		for id, f := range found {
			if aws.ToString(f.AwsAccountId) != m.id || !strings.Contains(id, "/"+m.id+"/") {
				b.Fatalf("%s's Security Hub holds %s of account %s", m.id, id, aws.ToString(f.AwsAccountId))
			}
		}
	}
	if found, err := o.mgmt.Findings(ctx); err != nil || len(found) != 0 {
		b.Fatalf("the management account's Security Hub holds %d findings (err %v), want none", len(found), err)
	}
	msgs, err := o.mgmt.Drain(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if len(msgs) != digests {
		b.Fatalf("%d messages on the topic, want %d organisation digests", len(msgs), digests)
	}
	for _, m := range msgs {
		if !strings.HasPrefix(m.Subject, fmt.Sprintf("credaudit organisation: %d accounts", orgBenchAccounts)) {
			b.Fatalf("a message on the topic is not the organisation digest: %q", m.Subject)
		}
	}
}

// report reports the runs' wall time, CPU, memory peaks and calls.
func (o *orgBench) report(b *testing.B, runs []*runCalls, cpu time.Duration, mem *memPeak) {
	n := float64(len(runs))
	b.ReportMetric(b.Elapsed().Seconds()/n, "s/org-run")
	b.ReportMetric(cpu.Seconds()*1000/n/orgBenchAccounts, "cpu-ms/account")
	b.ReportMetric(float64(mem.heap)/(1<<20), "MiB-peak-heap")
	if mem.rss > 0 {
		b.ReportMetric(float64(mem.rss)/(1<<20), "MiB-peak-RSS")
	}
	b.Logf("before the run the process held %.1f MiB of heap and %.1f MiB resident", float64(mem.startHeap)/(1<<20), float64(mem.startRSS)/(1<<20))
	ops := map[string]int{}
	mgmt := map[string]int{}
	var spans []time.Duration
	total, imported := 0, 0
	for _, rc := range runs {
		for _, m := range o.members {
			for op, k := range rc.calls[m.id] {
				ops[op] += k
				total += k
			}
			imported += rc.imported[m.id]
			spans = append(spans, rc.last[m.id].Sub(rc.first[m.id]))
		}
		for op, k := range rc.calls[management] {
			mgmt[op] += k
		}
	}
	per := n * orgBenchAccounts
	b.ReportMetric(float64(total)/per, "calls/account")
	for op, k := range ops {
		b.ReportMetric(float64(k)/per, op+"/account")
	}
	b.ReportMetric(float64(imported)/per, "findings/account")
	for op, k := range mgmt {
		b.ReportMetric(float64(k)/n, "management-"+op+"/org-run")
	}
	slices.Sort(spans)
	var sum time.Duration
	for _, s := range spans {
		sum += s
	}
	b.ReportMetric(sum.Seconds()/float64(len(spans)), "s/account")
	b.Logf("an account's calls span (first call's start to last call's end): median %v, p95 %v, max %v",
		spans[len(spans)/2].Round(time.Millisecond), spans[len(spans)*95/100].Round(time.Millisecond), spans[len(spans)-1].Round(time.Millisecond))
}

// BenchmarkOrgScan200x200 audits an organisation of 200 member accounts
// of 200 users each with `scan --org --concurrency 10 --state DIR
// --publish --topic ARN` against moto: the first run (empty state: IAM
// generates each report, every failing result is imported into its
// account's Security Hub) and the steady state (runs over unchanged
// accounts: nothing imported). It reports the wall time of a run, the
// process's CPU time per account, the peak heap (sampled every 5 ms) and
// resident set (VmHWM), and the API calls per account by operation.
// Setting the organisation up is not timed: about 110,000 calls, which
// moto answers at 200–300 a second: 7–10.5 minutes on the 2-core machine
// (go test's default -timeout of 10m is too short for the package). The
// benchmark fails if any account fails, if a count is off, or if an
// account's findings are not all, and only, in its own Security Hub.
func BenchmarkOrgScan200x200(b *testing.B) {
	start := time.Now()
	mgmt, members := newBenchOrganisation(b)
	setup := time.Since(start)
	o := &orgBench{mgmt: mgmt, members: members, calls: newCallCounter(b), failing: map[string]int{},
		args: []string{"scan", "--org", "--exclude-accounts", management, "--concurrency", strconv.Itoa(orgBenchConcurrency),
			"--state", filepath.Join(b.TempDir(), "state"), "--publish", "--topic", mgmt.TopicARN, "--format", "json"}}
	hub := map[string]int{} // findings in each member's Security Hub

	ran := false
	ok := b.Run("first", func(b *testing.B) {
		if ran || b.N != 1 {
			b.Fatalf("the first run is one run per organisation (b.N = %d): use the default -benchtime or 1x", b.N)
		}
		ran = true
		b.Logf("setup (not timed): %d accounts × %d users in %v", orgBenchAccounts, orgBenchUsers, setup.Round(time.Second))
		o.calls.take()
		mem := startMemPeak()
		cpu0 := cpuTime()
		b.ResetTimer()
		sum := o.run(b)
		b.StopTimer()
		cpu := cpuTime() - cpu0
		mem.end()
		rc := o.calls.take()
		for _, r := range sum.Results {
			s := r.Summary
			if s.Failing == 0 || s.New != s.Failing || s.Imported != s.New || s.Resolved+s.Gone+s.Changed+s.StillFailing != 0 {
				b.Fatalf("%s: first run %+v; want every failing result new and imported", r.AccountID, s)
			}
			o.failing[r.AccountID] = s.Failing
			hub[r.AccountID] = s.Imported
		}
		checkCalls(b, sum, rc)
		o.checkHubs(b, hub, 1)
		o.report(b, []*runCalls{rc}, cpu, mem)
	})
	if !ok {
		return // the steady state needs a first run that passed
	}
	b.Run("steady", func(b *testing.B) {
		if !ran {
			b.Fatal("the steady state follows the first run: select both (-bench 'OrgScan200x200/(first|steady)')")
		}
		o.calls.take()
		var runs []*runCalls
		mem := startMemPeak()
		cpu0 := cpuTime()
		b.ResetTimer()
		for range b.N {
			sum := o.run(b)
			b.StopTimer()
			rc := o.calls.take()
			for _, r := range sum.Results {
				s := r.Summary
				if s.StillFailing != o.failing[r.AccountID] || s.Failing != s.StillFailing || s.New+s.Changed+s.Resolved+s.Gone+s.Imported != 0 {
					b.Fatalf("%s: steady run %+v; want the first run's %d failing results, nothing new", r.AccountID, s, o.failing[r.AccountID])
				}
			}
			checkCalls(b, sum, rc)
			runs = append(runs, rc)
			b.StartTimer()
		}
		b.StopTimer()
		cpu := cpuTime() - cpu0
		mem.end()
		o.checkHubs(b, hub, 0) // nothing changed: no digest
		o.report(b, runs, cpu, mem)
	})
}
