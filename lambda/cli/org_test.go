package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/internal/emulator"
	"github.com/credaudit/credaudit/lambda/internal/sandbox"
	"github.com/credaudit/credaudit/lambda/org"
)

const management = "123456789012" // moto's default account: the credentials of make test

// member is an account created in the emulated organisation, with clients
// acting in it.
type member struct {
	id string
	*sandbox.Account
}

// newOrganisation creates an organisation in the emulator's management
// account with the topic and queue of sandbox.New, and members named
// names (sandbox.Organisation: Security Hub, the member role, a user
// signing in without MFA).
func newOrganisation(t testing.TB, names ...string) (*sandbox.Account, []member) {
	t.Helper()
	ctx := context.Background()
	cfg := emulator.Config(t)
	emulator.Reset(t)
	mgmt, err := sandbox.New(ctx, cfg, "credaudit-state-org")
	if err != nil {
		t.Fatal(err)
	}
	created, err := sandbox.Organisation(ctx, cfg, org.DefaultMemberRole, names...)
	if err != nil {
		t.Fatal(err)
	}
	members := make([]member, len(created))
	for i, m := range created {
		members[i] = member{id: m.ID, Account: m.Account}
	}
	return mgmt, members
}

// TestScanOrgAuditsEachMemberInItsOwnAccount runs `scan --org --publish`
// over an organisation of three members, one of which refuses the member
// role: the other two are audited, their findings land in their own
// Security Hub, their states in one file each, one organisation digest
// reaches the topic, and the refused account is reported with exit 3.
func TestScanOrgAuditsEachMemberInItsOwnAccount(t *testing.T) {
	mgmt, members := newOrganisation(t, "alpha", "beta", "gamma")
	refused := members[2]
	emulator.RefuseAssumeRole(t, org.RoleARN("aws", refused.id, org.DefaultMemberRole))
	dir := t.TempDir()
	code, out, stderr := run(t, "", "scan", "--org", "--exclude-accounts", management, "--concurrency", "2", "--profile", "all",
		"--state", dir, "--publish", "--topic", mgmt.TopicARN, "--format", "json")
	if code != ExitAWS {
		t.Fatalf("exit %d, want %d (one account failed); stderr:\n%s", code, ExitAWS, stderr)
	}
	if !strings.Contains(stderr, "1 of 3 accounts failed") {
		t.Errorf("stderr does not say how many accounts failed:\n%s", stderr)
	}
	if strings.Contains(stderr, "\r") {
		t.Errorf("progress written to a stderr that is not a terminal:\n%q", stderr)
	}

	var sum orgSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("output is not the org summary: %v\n%s", err, out)
	}
	if sum.Accounts != 3 || sum.Audited != 2 || sum.Failed != 1 || len(sum.Results) != 3 {
		t.Fatalf("summary %d accounts, %d audited, %d failed, %d results; want 3, 2, 1, 3", sum.Accounts, sum.Audited, sum.Failed, len(sum.Results))
	}
	byID := map[string]int{}
	for i, r := range sum.Results {
		byID[r.AccountID] = i
	}
	if r := sum.Results[byID[refused.id]]; r.Summary != nil || !strings.Contains(r.Error, "AccessDenied") || !strings.Contains(r.Error, "AssumeRole") {
		t.Errorf("refused account: summary %v, error %q; want no summary and the AssumeRole refusal", r.Summary, r.Error)
	}

	ctx := context.Background()
	for _, m := range members[:2] {
		r := sum.Results[byID[m.id]]
		if r.Failed() || r.Summary == nil || r.Summary.Imported == 0 || r.Summary.New == 0 {
			t.Errorf("%s: %+v, want an audit that imported new findings", m.id, r)
			continue
		}
		found, err := m.Findings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != r.Summary.Imported {
			t.Errorf("%s: Security Hub holds %d findings, the run imported %d", m.id, len(found), r.Summary.Imported)
		}
		for id, f := range found {
			if aws.ToString(f.AwsAccountId) != m.id || !strings.Contains(id, "/"+m.id+"/") {
				t.Errorf("%s's Security Hub holds %s of account %s", m.id, id, aws.ToString(f.AwsAccountId))
			}
		}
		if _, err := os.Stat(filepath.Join(dir, m.id+".json.gz")); err != nil {
			t.Errorf("no state for %s: %v", m.id, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, refused.id+".json.gz")); !os.IsNotExist(err) {
		t.Errorf("a state was saved for the refused account: %v", err)
	}
	if found, err := mgmt.Findings(ctx); err != nil || len(found) != 0 {
		t.Errorf("the management account's Security Hub holds %d findings (err %v), want none", len(found), err)
	}

	msgs, err := mgmt.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("%d messages on the topic, want the one organisation digest", len(msgs))
	}
	d := msgs[0]
	for _, want := range []string{"Accounts audited: 2 of 3; 1 failed.", "FAILED ACCOUNTS (1)", refused.id + " (gamma): assume role: " + org.RoleARN("aws", refused.id, org.DefaultMemberRole), "AccessDenied",
		members[0].id + " (alpha): 2 new", members[1].id + " (beta): 2 new", "dev-alpha", "dev-beta"} {
		if !strings.Contains(d.Body, want) {
			t.Errorf("digest lacks %q:\n%s", want, d.Body)
		}
	}
	if !strings.HasPrefix(d.Subject, "credaudit organisation: 3 accounts, 1 FAILED; ") || d.Attributes["kind"] != `["digest","error"]` {
		t.Errorf("digest subject %q, attributes %v", d.Subject, d.Attributes)
	}
	if !strings.Contains(stderr, d.Body) {
		t.Errorf("the digest sent is not the one printed on stderr")
	}

	// A run in which every account fails leaves no state directory behind.
	none := filepath.Join(t.TempDir(), "none")
	if code, out, stderr := run(t, "", "scan", "--org", "--include-accounts", refused.id, "--state", none, "--format", "table"); code != ExitAWS ||
		!strings.Contains(out, "\n1 account: 0 audited, 1 failed\n") || !strings.Contains(stderr, "1 of 1 account failed") {
		t.Errorf("only the refused account: exit %d, want %d, with 1 account, 1 failed; stdout:\n%s\nstderr:\n%s", code, ExitAWS, out, stderr)
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Errorf("a run where every account failed created its state directory (%v)", err)
	}

	// A second run with the refusal lifted sees nothing new in the first two.
	t.Setenv("AWS_ENDPOINT_URL", os.Getenv("CREDAUDIT_MOTO_URL"))
	code, out, stderr = run(t, "", "scan", "--org", "--include-accounts", members[0].id+","+refused.id, "--profile", "all",
		"--state", dir, "--format", "table")
	if code != ExitOK {
		t.Fatalf("second run: exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(out, "2 accounts: 2 audited, 0 failed") || !strings.Contains(stderr, members[0].id+" (alpha): 0 new, 0 resolved, 2 failing") {
		t.Errorf("second run: stdout:\n%s\nstderr:\n%s", out, stderr)
	}
}

// An account whose root account facts could not be read is named on stderr,
// as a single account's scan says it: the table has no column for it.
func TestScanOrgSaysWhoseAccountFactsCouldNotBeRead(t *testing.T) {
	_, members := newOrganisation(t, "alpha", "beta")
	denyAccountSummary(t)
	code, out, stderr := run(t, "", "scan", "--org", "--exclude-accounts", management, "--format", "table")
	if code != ExitOK || out == "" {
		t.Fatalf("exit %d, %d bytes out; stderr:\n%s", code, len(out), stderr)
	}
	for _, m := range members {
		if want := "credaudit scan: account " + m.id + ": Root account facts could not be read, so ROOT-02 goes by the report alone and ROOT-03 is NOT_AVAILABLE: "; !strings.Contains(stderr, want) || !strings.Contains(stderr, "AccessDenied") {
			t.Errorf("stderr lacks %q and the refusal:\n%s", want, stderr)
		}
	}
}

// scan --org interrupted while its accounts read their root account facts
// (their reports already read) ends as a run cut short, exit 3, not as an
// organisation scan whose ROOT-03 is undecided everywhere and exit 0.
func TestScanOrgInterruptedReadingTheAccountFacts(t *testing.T) {
	_, members := newOrganisation(t, "alpha") // one: no other account is still at its report
	createUser(t, members[0].IAM, "interrupted")
	arrived := make(chan struct{}, 1)
	answerAccountSummary(t, func(w http.ResponseWriter, c *emulator.Call) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-c.Request.Context().Done() // held until the run gives up on it
	})
	code, out, stderr := runInterrupted(t, arrived, syscall.SIGINT, "scan", "--org", "--exclude-accounts", management, "--format", "json")
	if code != ExitAWS || !strings.Contains(stderr.String(), "interrupted (interrupt signal received): the organisation scan was cut short") {
		t.Errorf("exit %d, stderr %q; want exit 3, saying it was cut short\nstdout:\n%.1000s", code, stderr.String(), out.String())
	}
}

// answerAccountSummary points AWS_ENDPOINT_URL at a proxy of the emulator
// where answer handles iam:GetAccountSummary, one of the root account
// facts' calls, and every other call goes through.
func answerAccountSummary(t *testing.T, answer func(w http.ResponseWriter, c *emulator.Call)) {
	t.Helper()
	p := &emulator.Proxy{Hook: func(w http.ResponseWriter, c *emulator.Call) {
		if c.Op != "GetAccountSummary" {
			c.Forward(w, nil)
			return
		}
		answer(w, c)
	}}
	t.Setenv("AWS_ENDPOINT_URL", p.Start(t))
}

// denyAccountSummary refuses iam:GetAccountSummary (answerAccountSummary),
// so that the root account facts cannot be read.
func denyAccountSummary(t *testing.T) {
	t.Helper()
	answerAccountSummary(t, func(w http.ResponseWriter, _ *emulator.Call) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>denied by the test</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
	})
}

// An account or OU --include-accounts or --include-ous names that the
// organisation does not have to audit is reported as an account that
// failed, with why: in the summary, the digest and the exit code, instead
// of a run over fewer accounts that exits 0.
func TestScanOrgReportsWhatItIncludesButCannotAudit(t *testing.T) {
	_, members := newOrganisation(t, "alpha")
	alpha := members[0]
	dir := t.TempDir()
	code, out, stderr := run(t, "", "scan", "--org", "--include-accounts", alpha.id+",999999999999", "--include-ous", "ou-zz99-nothere1",
		"--state", dir, "--format", "json")
	if code != ExitAWS || !strings.Contains(stderr, "2 of 3 accounts failed") {
		t.Fatalf("exit %d, want %d saying 2 of 3 failed; stderr:\n%s", code, ExitAWS, stderr)
	}
	var sum orgSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("output is not the org summary: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, r := range sum.Results {
		got[r.AccountID] = r.Error
		if r.AccountID != alpha.id && r.Summary != nil {
			t.Errorf("%s has a summary, though it was not audited", r.AccountID)
		}
	}
	want := map[string]string{alpha.id: "", "999999999999": "not audited: included, but not an account of the organisation",
		"ou-zz99-nothere1": "not audited: an included OU, not found in the organisation"}
	if diff := cmp.Diff(want, got); diff != "" || sum.Accounts != 3 || sum.Audited != 1 || sum.Failed != 2 {
		t.Errorf("summary: %d accounts, %d audited, %d failed; errors (-want +got):\n%s", sum.Accounts, sum.Audited, sum.Failed, diff)
	}
	for _, want := range []string{"Accounts audited: 1 of 3; 2 failed.", "! 999999999999: not audited: included, but not an account of the organisation",
		"! ou-zz99-nothere1: not audited: an included OU, not found in the organisation"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the digest on stderr lacks %q:\n%s", want, stderr)
		}
	}

	// With nothing else to audit, the same: a summary of failed accounts.
	code, out, stderr = run(t, "", "scan", "--org", "--include-accounts", "999999999999", "--include-ous", "ou-zz99-nothere1", "--format", "json")
	sum = orgSummary{}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || code != ExitAWS || sum.Accounts != 2 || sum.Failed != 2 ||
		!strings.Contains(stderr, "2 of 2 accounts failed") {
		t.Errorf("only what cannot be audited: exit %d (want %d), summary %+v (%v); stderr:\n%s", code, ExitAWS, sum, err, stderr)
	}

	// With nothing the filters include, it says so.
	code, _, stderr = run(t, "", "scan", "--org", "--exclude-accounts", alpha.id+","+management, "--format", "json")
	if code != ExitUsage || !strings.Contains(stderr, "no active account of the organisation matches the account and OU filters") {
		t.Errorf("every account excluded: exit %d, want %d; stderr:\n%s", code, ExitUsage, stderr)
	}
}

// The organisation digest goes to --topic when it is news, as the
// function's organisation run sends it in its default notify mode
// (changes) and as a single account's scan sends its digest: a run over
// unchanged accounts stays quiet (and still prints it with --state); one
// where an account failed does not.
func TestScanOrgDigestIsSentWhenItIsNews(t *testing.T) {
	mgmt, members := newOrganisation(t, "alpha", "beta")
	dir := t.TempDir()
	scan := func(accounts ...string) (int, string) {
		t.Helper()
		code, _, stderr := run(t, "", "scan", "--org", "--include-accounts", strings.Join(accounts, ","), "--profile", "all",
			"--state", dir, "--publish", "--topic", mgmt.TopicARN, "--format", "json")
		return code, stderr
	}
	digests := func() []string {
		t.Helper()
		msgs, err := mgmt.Drain(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var subjects []string
		for _, m := range msgs {
			subjects = append(subjects, m.Subject)
		}
		return subjects
	}
	if code, stderr := scan(members[0].id); code != ExitOK {
		t.Fatalf("first run: exit %d; stderr:\n%s", code, stderr)
	}
	if got := digests(); len(got) != 1 {
		t.Fatalf("first run sent %q, want the one organisation digest", got)
	}
	code, stderr := scan(members[0].id)
	if code != ExitOK || !strings.Contains(stderr, members[0].id+" (alpha): 0 new, 0 resolved, 2 failing") {
		t.Fatalf("unchanged run: exit %d, stderr (want the digest printed):\n%s", code, stderr)
	}
	if got := digests(); len(got) != 0 {
		t.Errorf("a run over an unchanged account sent %q, want nothing", got)
	}
	emulator.RefuseAssumeRole(t, org.RoleARN("aws", members[1].id, org.DefaultMemberRole))
	if code, _ := scan(members[0].id, members[1].id); code != ExitAWS {
		t.Fatalf("a run with a refused account: exit %d, want %d", code, ExitAWS)
	}
	if got := digests(); len(got) != 1 || !strings.Contains(got[0], "1 FAILED") {
		t.Errorf("a run where an account failed sent %q, want the digest naming the failure", got)
	}
}

// An organisation digest that cannot be sent (a topic that does not
// exist) fails the run with exit 3, as before, and is kept, marked [late],
// in the --state directory: the accounts' states have moved on, so no
// later run would report its news. The next run that can send sends it,
// even with nothing new, and forgets it; a run with a digest of its own
// sends the owed ones first.
func TestScanOrgDigestThatCannotBeSentIsSentLate(t *testing.T) {
	mgmt, members := newOrganisation(t, "alpha", "beta")
	missing := mgmt.TopicARN + "-missing"
	dir := t.TempDir()
	owedFile := filepath.Join(dir, OwedDigestsFile)
	scan := func(topic string, accounts ...string) (int, string) {
		t.Helper()
		code, _, stderr := run(t, "", "scan", "--org", "--include-accounts", strings.Join(accounts, ","), "--profile", "all",
			"--state", dir, "--publish", "--topic", topic, "--format", "json")
		return code, stderr
	}
	sent := func() []sandbox.Message {
		t.Helper()
		msgs, err := mgmt.Drain(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return msgs
	}
	owed := func() []audit.Message {
		t.Helper()
		data, err := os.ReadFile(owedFile)
		if err != nil {
			t.Fatal(err)
		}
		var owed []audit.Message
		if err := json.Unmarshal(data, &owed); err != nil {
			t.Fatalf("%s: %v", owedFile, err)
		}
		return owed
	}

	code, stderr := scan(missing, members[0].id)
	if code != ExitAWS || !strings.Contains(stderr, "organisation digest not sent: sns:Publish to "+missing+": ") {
		t.Fatalf("a run whose digest is refused: exit %d, want %d and the refusal; stderr:\n%s", code, ExitAWS, stderr)
	}
	if !strings.Contains(stderr, "credaudit organisation: 1 account;") || !strings.Contains(stderr, "kept in "+owedFile) {
		t.Errorf("stderr does not print the digest and say where it is kept:\n%s", stderr)
	}
	first := owed()
	if len(first) != 1 || !strings.HasPrefix(first[0].Subject, "[late] credaudit organisation: 1 account;") ||
		!strings.HasPrefix(first[0].Body, "Sent late: the organisation run at ") || !strings.Contains(first[0].Body, members[0].id) {
		t.Fatalf("owed digests %+v, want the refused digest, marked late", first)
	}

	// Still refused, by a run with no news: the digest stays owed, once.
	if code, stderr := scan(missing, members[0].id); code != ExitAWS || !strings.Contains(stderr, "organisation digest not sent") {
		t.Fatalf("a run with the owed digest refused: exit %d, want %d; stderr:\n%s", code, ExitAWS, stderr)
	}
	if diff := cmp.Diff(first, owed()); diff != "" {
		t.Fatalf("owed after a second refusal (-first +now):\n%s", diff)
	}

	// The topic is back; nothing is new, but the owed digest is sent.
	if code, stderr := scan(mgmt.TopicARN, members[0].id); code != ExitOK {
		t.Fatalf("a run that can send: exit %d; stderr:\n%s", code, stderr)
	}
	if msgs := sent(); len(msgs) != 1 || msgs[0].Subject != first[0].Subject || msgs[0].Body != first[0].Body {
		t.Fatalf("%d messages %+v, want the owed digest", len(msgs), msgs)
	}
	if got := owed(); len(got) != 0 {
		t.Errorf("owed after it was sent: %+v, want none", got)
	}
	if code, _ := scan(mgmt.TopicARN, members[0].id); code != ExitOK {
		t.Fatalf("the run after: exit %d", code)
	}
	if msgs := sent(); len(msgs) != 0 {
		t.Errorf("the run after sent %+v, want nothing", msgs)
	}

	// Refused again, then a run with news of its own (beta, audited for
	// the first time): the owed digest first, then its own.
	if code, _ := scan(missing, members[0].id, members[1].id); code != ExitAWS {
		t.Fatalf("a run whose digest is refused: exit %d, want %d", code, ExitAWS)
	}
	second := owed()
	if len(second) != 1 || !strings.HasPrefix(second[0].Subject, "[late] credaudit organisation: 2 accounts;") {
		t.Fatalf("owed digests %+v, want the refused digest of 2 accounts", second)
	}
	emulator.RefuseAssumeRole(t, org.RoleARN("aws", members[1].id, org.DefaultMemberRole))
	if code, stderr := scan(mgmt.TopicARN, members[0].id, members[1].id); code != ExitAWS || strings.Contains(stderr, "not sent") {
		t.Fatalf("a run with beta refused: exit %d, want %d for the account alone; stderr:\n%s", code, ExitAWS, stderr)
	}
	msgs := sent()
	if len(msgs) != 2 || msgs[0].Subject != second[0].Subject || strings.HasPrefix(msgs[1].Subject, "[late]") || !strings.Contains(msgs[1].Subject, "1 FAILED") {
		t.Fatalf("%d messages %+v; want the owed digest, then this run's", len(msgs), msgs)
	}
	if got := owed(); len(got) != 0 {
		t.Errorf("owed after they were sent: %+v, want none", got)
	}
}

// An owed list that cannot be read fails the run after its own digest is
// sent, and is never overwritten, even when the run's digest cannot be
// sent either: the digests it may hold would be lost.
func TestScanOrgOwedDigestsThatCannotBeReadAreKept(t *testing.T) {
	mgmt, members := newOrganisation(t, "alpha", "beta")
	dir := t.TempDir()
	owedFile := filepath.Join(dir, OwedDigestsFile)
	bad := []byte("[{\"Subject\": \"[late] owed\"")
	if err := os.WriteFile(owedFile, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	scan := func(topic string, accounts ...string) (int, string) {
		t.Helper()
		code, _, stderr := run(t, "", "scan", "--org", "--include-accounts", strings.Join(accounts, ","), "--profile", "all",
			"--state", dir, "--publish", "--topic", topic, "--format", "json")
		return code, stderr
	}
	code, stderr := scan(mgmt.TopicARN, members[0].id)
	if code != ExitAWS || !strings.Contains(stderr, "read the organisation digests owed by earlier runs") || !strings.Contains(stderr, owedFile) {
		t.Fatalf("a run with the owed list unreadable: exit %d, want %d naming it; stderr:\n%s", code, ExitAWS, stderr)
	}
	msgs, err := mgmt.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || strings.HasPrefix(msgs[0].Subject, "[late]") {
		t.Fatalf("%d messages %+v, want this run's digest alone", len(msgs), msgs)
	}
	// beta, audited for the first time, is news.
	code, stderr = scan(mgmt.TopicARN+"-missing", members[0].id, members[1].id)
	if code != ExitAWS || !strings.Contains(stderr, "organisation digest not sent") || !strings.Contains(stderr, "read the organisation digests owed") {
		t.Fatalf("a run that can neither read the list nor send: exit %d, want %d naming both; stderr:\n%s", code, ExitAWS, stderr)
	}
	if got, err := os.ReadFile(owedFile); err != nil || string(got) != string(bad) {
		t.Errorf("owed list after the runs: %q, %v; want it untouched", got, err)
	}
}

// The organisation digest goes to --topic in the topic's region, whatever
// --region says, as an account's digest does
// (TestScanPublishSendsToTheTopicsRegion).
func TestScanOrgPublishSendsToTheTopicsRegion(t *testing.T) {
	mgmt, _ := newOrganisation(t, "alpha")
	if r := mgmt.Config.Region; r != "us-east-1" {
		t.Fatalf("test setup: the topic is in %s", r)
	}
	code, _, stderr := run(t, "", "scan", "--org", "--exclude-accounts", management, "--state", t.TempDir(), "--publish",
		"--topic", mgmt.TopicARN, "--hub-region", "us-east-1", "--region", "eu-west-1", "--format", "json")
	msgs, err := mgmt.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if code != ExitOK || len(msgs) != 1 {
		t.Errorf("exit %d, %d messages sent to %s, want exit 0 and the organisation digest; stderr:\n%s", code, len(msgs), mgmt.TopicARN, stderr)
	}
}

func TestScanOrgFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--concurrency", "3"}, "--concurrency applies with --org"},
		{[]string{"--include-ous", "ou-abcd-12345678"}, "--include-ous applies with --org"},
		{[]string{"--org", "--report", sampleReport}, "--report does not apply with --org"},
		{[]string{"--org", "--fail-on", "high"}, "--fail-on does not apply with --org"},
		{[]string{"--org", "--concurrency", "0"}, "--concurrency 0: want 1 or more"},
		{[]string{"--org", "--member-role", "bad role"}, `--member-role "bad role": not an IAM role name`},
		{[]string{"--org", "--member-role", "team/credaudit-member"}, `--member-role "team/credaudit-member": not an IAM role name`},
		{[]string{"--org", "--exclude-accounts", "12"}, `"12" is not a 12-digit account ID`},
		{[]string{"--org", "--format", "csv"}, `--format "csv" with --org: want table or json`},
		{[]string{"--org", "--include-accounts", ""}, `--include-accounts "" is empty; leave the flag out for its default`},
		{[]string{"--org", "--include-accounts", " ,"}, `--include-accounts " ," names nothing; leave the flag out for no filter`},
		{[]string{"--org", "--include-ous", " , "}, `--include-ous " , " names nothing`},
		{[]string{"--org", "--exclude-accounts", ","}, `--exclude-accounts "," names nothing`},
		{[]string{"--org", "--include-accounts", "111111111111,,222222222222"}, `--include-accounts "111111111111,,222222222222": item 2 of 3 is empty`},
		{[]string{"--org", "--exclude-ous", ",", "--include-accounts", ","}, `--include-accounts "," names nothing`}, // the first in the help's order
	} {
		code, _, stderr := run(t, "", slices.Concat([]string{"scan"}, tc.args)...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("scan %v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// An --org scan is for a Security Hub region only with --publish or
// --hub-region: one with --state alone, under another default region,
// leaves the states' findings where they were published, so the next
// publishing run has nothing to send; one with --hub-region makes every
// open finding owed there.
func TestScanOrgIsForARegionOnlyWhenItSaysSo(t *testing.T) {
	// Moving the home region back sends each moved finding's workflow
	// status: moto does not implement BatchUpdateFindings, so a proxy
	// answers it.
	emulator.Config(t)
	t.Setenv("AWS_ENDPOINT_URL", (&emulator.Proxy{Hook: emulator.AnswerWorkflowUpdates(nil)}).Start(t))
	_, members := newOrganisation(t, "alpha")
	dir := t.TempDir()
	scan := func(args ...string) *audit.Summary {
		t.Helper()
		code, out, stderr := run(t, "", append([]string{"scan", "--org", "--exclude-accounts", management, "--state", dir, "--format", "json"}, args...)...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d; stderr:\n%s", args, code, stderr)
		}
		var sum orgSummary
		if err := json.Unmarshal([]byte(out), &sum); err != nil || len(sum.Results) != 1 || sum.Results[0].Summary == nil {
			t.Fatalf("%v: not a summary of one audited account (%v):\n%s", args, err, out)
		}
		return sum.Results[0].Summary
	}
	first := scan("--publish")
	if first.Imported == 0 || first.Imported != first.Failing {
		t.Fatalf("first run imported %d of %d failing findings into %s, want them all", first.Imported, first.Failing, members[0].id)
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	scan()
	t.Setenv("AWS_REGION", "us-east-1")
	if again := scan("--publish"); again.Imported != 0 || again.New != 0 {
		t.Errorf("after a scan with the default region elsewhere: %d imported, %d new; want nothing sent", again.Imported, again.New)
	}
	scan("--hub-region", "eu-west-1")
	if back := scan("--publish"); back.Imported != first.Failing || back.New != 0 {
		t.Errorf("after a scan for eu-west-1: %d imported, %d new; want the %d open findings sent back, none new", back.Imported, back.New, first.Failing)
	}
}

// A home region outside the organisation's partition is refused before any
// account is audited: its findings would carry another partition's product
// ARN, and no state is touched. Without a home region the same region is
// only where the calls go, and is not checked here.
func TestScanOrgRefusesAHomeRegionOfAnotherPartition(t *testing.T) {
	newOrganisation(t, "alpha")
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--hub-region", "us-gov-west-1"},
		{"--hub-region", "cn-north-1", "--publish"},
	} {
		code, out, stderr := run(t, "", append([]string{"scan", "--org", "--exclude-accounts", management, "--state", dir, "--format", "json"}, args...)...)
		if code != ExitUsage || !strings.Contains(stderr, "--hub-region "+args[1]+" is in partition ") || !strings.Contains(stderr, "is in aws: give --hub-region a region of aws") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming the partitions", args, code, stderr)
		}
		if out != "" {
			t.Errorf("%v: printed a summary:\n%s", args, out)
		}
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("state directory holds %d entries (err %v), want none", len(entries), err)
	}
}

// TestScanOrgListsSuppressionsThatMuteNothing runs `scan --org` with a
// configuration whose suppressions mute nothing in the organisation: an
// expired one is listed once, one matching no failing result in any
// account is listed, and one that mutes a user of one account only is not.
// With an account that could not be audited, the unused one may apply
// there, so it is not claimed unused; the digest on stderr (--state) says
// why.
func TestScanOrgListsSuppressionsThatMuteNothing(t *testing.T) {
	_, members := newOrganisation(t, "alpha", "beta", "gamma")
	cfg := filepath.Join(t.TempDir(), "credaudit.yaml")
	if err := os.WriteFile(cfg, []byte(sandbox.OrgSuppressions), 0o600); err != nil {
		t.Fatal(err)
	}
	const (
		used    = "credaudit.yaml:2 "
		unused  = "credaudit scan: suppression at " + "%s:5 matches no failing result in any of the 2 accounts audited\n"
		expired = "credaudit scan: suppression at %s:8 expired on 2010-01-01 and no longer applies\n"
	)
	ids := members[0].id + "," + members[1].id
	code, _, stderr := run(t, "", "scan", "--org", "--include-accounts", ids, "--profile", "all", "--config", cfg, "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{fmt.Sprintf(unused, cfg), fmt.Sprintf(expired, cfg)} {
		if strings.Count(stderr, want) != 1 {
			t.Errorf("stderr does not say once %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, used) {
		t.Errorf("stderr lists the suppression that mutes dev-alpha in alpha:\n%s", stderr)
	}

	refused := members[2]
	emulator.RefuseAssumeRole(t, org.RoleARN("aws", refused.id, org.DefaultMemberRole))
	code, _, stderr = run(t, "", "scan", "--org", "--include-accounts", ids+","+refused.id, "--profile", "all", "--config", cfg,
		"--state", t.TempDir(), "--format", "json")
	if code != ExitAWS {
		t.Fatalf("with gamma refused: exit %d, want %d; stderr:\n%s", code, ExitAWS, stderr)
	}
	for _, want := range []string{
		"\nSUPPRESSIONS THAT MUTED NOTHING\n  ! The suppression at " + cfg + ":8 expired on 2010-01-01 and no longer applies.\n" +
			"  1 suppression muted nothing in the 2 accounts audited, but is not said to be unused or shadowed: 1 account could not be audited, and it may apply there.\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the digest on stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, cfg+":5") || strings.Contains(stderr, used) {
		t.Errorf("with an account not audited, a suppression is said to be unused:\n%s", stderr)
	}
}

// The table's NEW column counts what the organisation digest lists as new:
// new, changed and unmuted findings.
func TestOrgTableCountsNewsAsTheDigestDoes(t *testing.T) {
	s := &audit.Summary{Users: 3, Failing: 4, New: 1, Changed: 2, Unmuted: 4, Resolved: 1, Gone: 1}
	var b strings.Builder
	if err := writeOrgTable(&b, &orgSummary{Accounts: 1, Audited: 1, Results: []audit.AccountRun{{AccountID: "222222222222", Name: "alpha", Summary: s}}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	head, row := strings.Fields(lines[0]), strings.Fields(lines[1])
	col := slices.Index(head, "NEW")
	if col < 0 || len(row) <= col || row[col] != strconv.Itoa(s.News()) || s.News() != 7 {
		t.Errorf("NEW column of\n%s\nwant %d (new, changed and unmuted)", b.String(), s.News())
	}
}

// The organisation table fits the scan table's 80 columns however long the
// accounts' names, counts and errors: a name is clipped to the room the
// counts leave, and a failed account's error is written whole under FAILED,
// wrapped, a word longer than a line (an ARN) on a line of its own; what a
// terminal would obey shows escaped.
func TestOrgTableFitsEightyColumns(t *testing.T) {
	arn := "arn:aws:iam::333333333333:role/" + strings.Repeat("credaudit-member-role-", 4)
	denied := "acquire: sts:AssumeRole " + arn + ": AccessDenied: User: arn:aws:iam::111111111111:root is not authorized to perform: sts:AssumeRole on resource: the role\x1b[2J, which its trust policy does not name"
	big := &audit.Summary{Users: 5000, Failing: 94999, New: 12345, Resolved: 6789, BySeverity: map[string]int{"CRITICAL": 2, "HIGH": 10000}}
	sum := &orgSummary{Accounts: 3, Audited: 2, Failed: 2, Results: []audit.AccountRun{
		{AccountID: "222222222222", Name: "Production payments platform (EU) 漢字 account", Summary: big},
		{AccountID: "333333333333", Name: "sandbox", Error: denied},
		{AccountID: "444444444444", Name: "logs", Summary: &audit.Summary{Users: 3}, Error: "publish: securityhub:BatchImportFindings: throttled"},
	}}
	var b strings.Builder
	if err := writeOrgTable(&b, sum); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, line := range strings.Split(out, "\n") {
		if columns(line) > tableWidth && len(strings.Fields(line)) != 1 {
			t.Errorf("line of %d columns, past %d:\n%s\nin\n%s", columns(line), tableWidth, line, out)
		}
	}
	if strings.ContainsRune(out, '\x1b') || !strings.Contains(out, `\x1b[2J`) {
		t.Errorf("the error's ESC is not shown escaped:\n%s", out)
	}
	lines := strings.Split(out, "\n")
	row := strings.Fields(lines[1])
	if row[0] != "222222222222" || !strings.HasPrefix(lines[1], "222222222222  Production") || !strings.Contains(lines[1], "…") ||
		!slices.Equal(row[len(row)-6:], []string{"5000", "94999", "2", "10000", "12345", "6789"}) {
		t.Errorf("first row %q: want the name clipped and the counts whole", lines[1])
	}
	var errorText []string
	at := slices.Index(lines, "FAILED (2)")
	if at < 0 {
		t.Fatalf("no FAILED (2) section in\n%s", out)
	}
	for _, line := range lines[at+1:] {
		if line == "" {
			break
		}
		errorText = append(errorText, strings.Fields(line)...)
	}
	want := strings.Fields("333333333333 sandbox " + terminalSafe(denied) + " 444444444444 logs publish: securityhub:BatchImportFindings: throttled")
	if !slices.Equal(errorText, want) {
		t.Errorf("FAILED section's words\n%q\nwant\n%q", errorText, want)
	}
	if !strings.HasSuffix(out, "\n3 accounts: 2 audited, 2 failed\n") {
		t.Errorf("no totals line at the end of\n%s", out)
	}
}
