package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/org"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/rules"
	"github.com/credaudit/credaudit/lambda/state"
)

// orgFlags run scan over every account of the organisation.
type orgFlags struct {
	on                               bool
	concurrency                      int
	memberRole                       string
	includeAccounts, excludeAccounts string
	includeOUs, excludeOUs           string
}

func (f *orgFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "org", false, "audit every active account of the AWS Organization (credentials of the management account or a delegated administrator), each through --member-role; prints the organisation summary")
	fs.IntVar(&f.concurrency, "concurrency", 10, "with --org: how many accounts are audited at once (`N`)")
	fs.StringVar(&f.memberRole, "member-role", org.DefaultMemberRole, "with --org: `name` of the role assumed in each member account")
	fs.StringVar(&f.includeAccounts, "include-accounts", "", "with --org: audit only these account `IDs` (comma list; adds to --include-ous)")
	fs.StringVar(&f.excludeAccounts, "exclude-accounts", "", "with --org: skip these account `IDs` (comma list)")
	fs.StringVar(&f.includeOUs, "include-ous", "", "with --org: audit only accounts below these organisational unit or root `IDs` (comma list)")
	fs.StringVar(&f.excludeOUs, "exclude-ous", "", "with --org: skip accounts below these organisational unit `IDs` (comma list)")
}

// filter is the flags' account filter; check has refused lists that do not
// split.
func (f *orgFlags) filter() org.Filter {
	list := func(s string) []string {
		l, _ := org.SplitList(s)
		return l
	}
	return org.Filter{IncludeAccounts: list(f.includeAccounts), ExcludeAccounts: list(f.excludeAccounts),
		IncludeOUs: list(f.includeOUs), ExcludeOUs: list(f.excludeOUs)}
}

// check refuses the org flags without --org, and the flags --org cannot
// honour.
func (f *orgFlags) check(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if !f.on {
		for _, name := range []string{"concurrency", "member-role", "include-accounts", "exclude-accounts", "include-ous", "exclude-ous"} {
			if set[name] {
				return usageErr("--%s applies with --org", name)
			}
		}
		return nil
	}
	for _, name := range []string{"report", "as-of", "fail-on"} {
		if set[name] {
			return usageErr("--%s does not apply with --org", name)
		}
	}
	if f.concurrency < 1 {
		return usageErr("--concurrency %d: want 1 or more", f.concurrency)
	}
	if f.memberRole == "" {
		return usageErr("--member-role is empty")
	}
	if !org.IsRoleName(f.memberRole) {
		return usageErr("--member-role %q: %s", f.memberRole, org.RoleNameRule)
	}
	for _, l := range []struct{ name, list string }{
		{"include-accounts", f.includeAccounts}, {"exclude-accounts", f.excludeAccounts}, {"include-ous", f.includeOUs}, {"exclude-ous", f.excludeOUs},
	} {
		if !set[l.name] {
			continue
		}
		items, err := org.SplitList(l.list)
		if err != nil {
			return usageErr("--%s %q: %v", l.name, l.list, err)
		}
		if len(items) == 0 {
			// An empty include list would audit every account.
			return usageErr("--%s %q names nothing; leave the flag out for no filter", l.name, l.list)
		}
	}
	if err := f.filter().Check(); err != nil {
		return usageErr("%v", err)
	}
	return nil
}

// orgSummary is the --org output in JSON: stable keys, documented in the
// README.
type orgSummary struct {
	Accounts int                `json:"accounts"`
	Audited  int                `json:"audited"`
	Failed   int                `json:"failed"`
	Results  []audit.AccountRun `json:"results"`
}

// runOrg audits the organisation's accounts and prints the summary; the
// organisation digest goes to stderr with --state and, when it is news, to
// --topic with --publish (kept in the directory when it cannot be sent,
// for the next run to send late). Any account that failed exits 3, after everything is printed.
func runOrg(ctx context.Context, f *orgFlags, af *auditFlags, src *source, format string, selected []rules.Selected, profile string, sups []rules.Suppression, io IO) error {
	if format != "table" && format != "json" {
		return usageErr("--format %q with --org: want table or json", format)
	}
	cfg, err := awsConfig(ctx, src)
	if err != nil {
		return err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	region := af.hubRegion
	if region == "" {
		region = cfg.Region
	}
	accounts, missing, err := org.List(ctx, organizations.NewFromConfig(cfg), f.filter())
	if err != nil {
		return &exitError{ExitAWS, fmt.Errorf("list the organisation's accounts (needs the management account or a delegated administrator): %w", err)}
	}
	if len(accounts) == 0 && len(missing) == 0 {
		// With only what the filters include by ID and cannot audit, the
		// run reports those as failed accounts, as beside others.
		return usageErr("no active account of the organisation matches the account and OU filters")
	}
	if af.forRegion(format) {
		if err := regionFits(region, af.hubRegion != "", accounts); err != nil {
			return err
		}
	}
	var store state.Store
	var stateDir *state.Dir
	if af.stateDir != "" {
		dir, undo, err := openStateDir(af.stateDir)
		if err != nil {
			return err
		}
		defer undo()
		store, stateDir = dir, dir
	}
	var hub *publish.Importer
	if af.publish {
		hub = &publish.Importer{}
	}
	stsClient := sts.NewFromConfig(cfg)
	auditAccount := func(ctx context.Context, acct org.Account) (*audit.Outcome, error) {
		role := org.RoleARN(acct.Partition, acct.ID, f.memberRole)
		// Per-account digests are not sent: the organisation digest says it all.
		aud := &audit.Auditor{Selected: selected, Profile: profile, Suppressions: sups, Store: store,
			Notify: audit.NotifyNever, AccountID: acct.ID}
		if af.forRegion(format) {
			aud.HubRegion = region
		}
		member := org.MemberConfig(cfg, stsClient, role, acct.ID)
		org.UseMember(aud, member, role, hub)
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		if err := org.Assume(ctx, member, role); err != nil {
			return nil, err
		}
		return aud.Run(ctx)
	}
	var progress func(org.Progress)
	if isTerminal(io.Stderr) {
		progress = func(p org.Progress) {
			fmt.Fprintf(io.Stderr, "\raudited %d/%d accounts, %d failed", p.Done, p.Total, p.Failed)
		}
	}
	runs := org.Run(ctx, accounts, f.concurrency, auditAccount, progress)
	if progress != nil {
		fmt.Fprintln(io.Stderr)
	}
	// What the filters include by ID that is not there to audit fails as
	// an account whose audit failed does: in the summary, the digest and
	// the exit code.
	runs = append(runs, org.Runs(missing)...)

	sum := orgSummary{Accounts: len(runs), Results: runs}
	sum.Audited, sum.Failed = audit.CountRuns(runs)
	made := time.Now()
	digest := audit.OrgDigest(runs, profile, made)
	if af.stateDir != "" {
		writeDigest(io.Stderr, digest.Subject+"\n\n"+digest.Body)
	}
	var notifyErr error
	if af.topic != "" { // with --publish, which needs --state
		// Sent when it is news, as the function's organisation run sends it
		// in its default notify mode: an account failed, or one has
		// something new, changed, unmuted, resolved or gone. The accounts'
		// states have moved on, so a digest not sent is kept in the
		// directory, and sent late by the next run, before its own.
		var due *audit.Message
		if audit.OrgDigestDue(runs, audit.NotifyChanges) {
			due = &digest
		}
		topic := topicClient(cfg, af.topic)
		send := func(ctx context.Context, m audit.Message) error {
			if _, err := topic.Publish(ctx, m.Input(af.topic)); err != nil {
				return fmt.Errorf("organisation digest not sent: sns:Publish to %s: %w", af.topic, err)
			}
			return nil
		}
		owed := owedDigests{stateDir}
		out := audit.SendOrgDigest(ctx, owed, send, due, made)
		if out.Saved && out.Owed > 0 {
			what, them := fmt.Sprintf("%d organisation digests not sent are", out.Owed), "them"
			if out.Owed == 1 {
				what, them = "the organisation digest not sent is", "it"
			}
			fmt.Fprintf(io.Stderr, "%s kept in %s: the next scan --org --publish --topic with this --state sends %s first, marked [late]\n", what, owed.path(), them)
		}
		notifyErr = out.Err()
	}
	if format == "json" {
		err = writeOrgJSON(io.Stdout, &sum)
	} else {
		err = writeOrgTable(io.Stdout, &sum)
	}
	if err != nil {
		return err
	}
	if af.stateDir == "" {
		// With --state the digest on stderr has said it already.
		for _, note := range audit.OrgStaleNotes(runs) {
			fmt.Fprintf(io.Stderr, "credaudit scan: %s\n", note)
		}
		// As a single account's scan says it: its table has no column
		// for it.
		for _, r := range runs {
			if r.Summary != nil && r.Summary.AccountFactsError != "" {
				fmt.Fprintf(io.Stderr, "credaudit scan: account %s: %s\n", r.AccountID, terminalSafe(r.Summary.AccountFactsWarning()))
			}
		}
	}
	switch {
	case notifyErr != nil:
		return &exitError{ExitAWS, notifyErr}
	case ctx.Err() != nil:
		// An account whose root facts read was cut off counts as audited,
		// its ROOT-03 undecided: the run as a whole did not finish.
		return &exitError{ExitAWS, fmt.Errorf("the organisation scan was cut short (see the summary): %w", ctx.Err())}
	case sum.Failed > 0:
		return &exitError{ExitAWS, fmt.Errorf("%d of %s failed (see the summary)", sum.Failed, audit.Nouns(sum.Accounts, "account"))}
	}
	return nil
}

func writeOrgJSON(w io.Writer, sum *orgSummary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sum)
}

// writeOrgTable writes the organisation table, within tableWidth columns:
// a line per account with its counts (an account's name clipped to the
// room the counts leave), then, under FAILED, each failed account's error
// in full, wrapped, and the totals.
func writeOrgTable(w io.Writer, sum *orgSummary) error {
	head := []string{"ACCOUNT", "NAME", "USERS", "FAILING", "CRITICAL", "HIGH", "NEW", "RESOLVED"}
	const name = 1 // the column clipped to fit
	rows := [][]string{head}
	for _, r := range sum.Results {
		row := []string{terminalSafe(r.AccountID), terminalSafe(r.Name), "-", "-", "-", "-", "-", "-"}
		if s := r.Summary; s != nil {
			for i, n := range []int{s.Users, s.Failing, s.BySeverity[rules.Critical.String()], s.BySeverity[rules.High.String()], s.News(), s.Resolved + s.Gone} {
				row[2+i] = strconv.Itoa(n)
			}
		}
		rows = append(rows, row)
	}
	widths := make([]int, len(head))
	room := tableWidth - orgTableGap*(len(head)-1)
	for i := range head {
		for _, row := range rows {
			widths[i] = max(widths[i], columns(row[i]))
		}
		if i != name {
			room -= widths[i]
		}
	}
	room = max(room, len(head[name]))
	for _, row := range rows {
		row[name] = clipColumns(row[name], room)
	}
	widths[name] = min(widths[name], room)
	b := bufio.NewWriter(w)
	for _, row := range rows {
		for i, cell := range row {
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-columns(cell)+orgTableGap))
			}
		}
		b.WriteByte('\n')
	}
	if sum.Failed > 0 {
		fmt.Fprintf(b, "\nFAILED (%d)\n", sum.Failed)
		for _, r := range sum.Results {
			if !r.Failed() {
				continue
			}
			writeWrapped(b, r.AccountID+" "+r.Name, tableWidth, "  ")
			writeWrapped(b, r.Error, tableWidth, "      ")
		}
	}
	fmt.Fprintf(b, "\n%s: %d audited, %d failed\n", audit.Nouns(sum.Accounts, "account"), sum.Audited, sum.Failed)
	return b.Flush()
}

// orgTableGap is the spaces between the organisation table's columns.
const orgTableGap = 2

// clipColumns cuts s to at most n terminal columns, ending it with "…"
// when it is cut.
func clipColumns(s string, n int) string {
	if columns(s) <= n {
		return s
	}
	used := columns("…")
	for i, r := range s {
		if used += columns(string(r)); used > n {
			return s[:i] + "…"
		}
	}
	return s
}

// regionFits refuses a Security Hub home region outside an account's
// partition, before any account is audited (see partitionFits).
func regionFits(region string, given bool, accounts []org.Account) error {
	for _, a := range accounts {
		if err := partitionFits(region, given, a.Partition, "account "+a.ID); err != nil {
			return err
		}
	}
	return nil
}

// OwedDigestsFile keeps, in the --state directory, the organisation digests
// scan --org could not send (see audit.OwedDigests): a JSON array, oldest
// first.
const OwedDigestsFile = "owed-digests.json"

// owedDigests keeps the organisation digests owed in a state directory's
// OwedDigestsFile, written as the accounts' states are: only over the
// version read.
type owedDigests struct{ dir *state.Dir }

func (o owedDigests) path() string { return o.dir.Path(OwedDigestsFile) }

// LoadOwed reads the digests earlier runs could not send; none without the
// file.
func (o owedDigests) LoadOwed(context.Context) ([]audit.Message, state.Token, error) {
	data, token, err := o.dir.ReadFile(OwedDigestsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, state.NoObject, nil
	}
	var owed []audit.Message
	if err == nil {
		if err = json.Unmarshal(data, &owed); err != nil {
			err = fmt.Errorf("%s: %w", o.path(), err)
		}
	}
	if err != nil {
		return nil, state.NoObject, fmt.Errorf("read the organisation digests owed by earlier runs (left as it is): %w", err)
	}
	return owed, token, nil
}

// SaveOwed writes the digests still owed, if the file is still the one
// LoadOwed read.
func (o owedDigests) SaveOwed(_ context.Context, owed []audit.Message, token state.Token) error {
	data, err := json.Marshal(owed)
	if err == nil {
		err = o.dir.WriteFile(OwedDigestsFile, data, token)
	}
	if err != nil {
		return fmt.Errorf("keep the organisation digests still owed in %s: %w", o.path(), err)
	}
	return nil
}
