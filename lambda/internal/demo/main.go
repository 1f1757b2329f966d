// Command demo runs the scheduled audit end to end against the AWS emulator
// that scripts/with-moto.sh starts (make demo): it builds an example
// account, invokes the real Lambda handler, prints the digest the topic
// received and what Security Hub holds, fixes a few users, runs again and
// prints what was resolved.
package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/credaudit/credaudit/lambda/handler"
	"github.com/credaudit/credaudit/lambda/internal/sandbox"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		return fmt.Errorf("AWS_ENDPOINT_URL is not set: run it with make demo, which starts the emulator")
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	acct, err := sandbox.New(ctx, cfg, "credaudit-demo-state")
	if err != nil {
		return err
	}
	if err := acct.SeedExample(ctx); err != nil {
		return err
	}
	vars := map[string]string{
		handler.EnvRegion:      cfg.Region,
		handler.EnvStateBucket: acct.Bucket,
		handler.EnvTopicARN:    acct.TopicARN,
		handler.EnvProfile:     "all",
	}
	var logs, metrics strings.Builder
	h, err := handler.New(cfg, func(k string) string { return vars[k] }, slog.New(slog.NewJSONHandler(&logs, nil)), &metrics)
	if err != nil {
		return err
	}
	h.Fetcher.Sleep = func(ctx context.Context, d time.Duration) error { return nil } // the emulator's report is ready at once

	fmt.Println("An example account in the moto emulator (which dates every credential report 2015-02-02, so ages read as of then).")
	banner("Run 1: alice (password, no MFA), bob (access key, no MFA), carol (password, two keys), dave (password and MFA)")
	if err := invoke(ctx, h, acct, "demo-run-1"); err != nil {
		return err
	}
	banner("Fixing: alice enables MFA, carol deactivates her second key, bob is deleted")
	if err := acct.FixExample(ctx); err != nil {
		return err
	}
	banner("Run 2")
	if err := invoke(ctx, h, acct, "demo-run-2"); err != nil {
		return err
	}
	banner("Run 3: nothing changed")
	if err := invoke(ctx, h, acct, "demo-run-3"); err != nil {
		return err
	}
	banner("Run 3's event delivered a second time (Scheduler and Lambda deliver at least once)")
	if err := invoke(ctx, h, acct, "demo-run-3"); err != nil {
		return err
	}
	fmt.Printf("\nThe function wrote %d JSON log lines (one per phase, counts only, no user names) and %d CloudWatch EMF metric lines.\n",
		strings.Count(logs.String(), "\n"), strings.Count(metrics.String(), "\n"))
	return nil
}

func banner(s string) { fmt.Printf("\n==== %s\n", s) }

// invoke runs the handler on the Scheduler sample event, as the firing of
// the schedule named delivery sends it, and prints what it left behind: the
// response, the digest (if any) and Security Hub.
func invoke(ctx context.Context, h *handler.Handler, acct *sandbox.Account, delivery string) error {
	payload, err := sandbox.Event("events/scheduler.json", delivery)
	if err != nil {
		return err
	}
	resp, err := h.Invoke(ctx, payload)
	if err != nil {
		return err
	}
	if resp.Duplicate {
		msgs, err := acct.Drain(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("handler: a second delivery of %s, whose run saved the state: nothing evaluated, %d messages sent, nothing imported or saved\n", delivery, len(msgs))
		return nil
	}
	fmt.Printf("handler: %d users, %d new, %d changed, %d resolved, %d gone, %d still failing; %d imported into Security Hub\n",
		resp.Users, resp.New, resp.Changed, resp.Resolved, resp.Gone, resp.StillFailing, resp.Imported)
	msgs, err := acct.Drain(ctx)
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		fmt.Println("digest: none sent (nothing changed; notify mode \"changes\")")
	}
	for _, m := range msgs {
		fmt.Printf("\n--- SNS message (kind=%s, severity=%s)\nSubject: %s\n\n%s", m.Attributes["kind"], m.Attributes["severity"], m.Subject, m.Body)
	}
	findings, err := acct.Findings(ctx)
	if err != nil {
		return err
	}
	type row struct{ state, rule, user string }
	var rows []row
	for _, f := range findings {
		user := (*f.Resources[0].Id)[strings.LastIndexByte(*f.Resources[0].Id, '/')+1:]
		rows = append(rows, row{string(f.Compliance.Status) + "/" + string(f.RecordState), *f.GeneratorId, user})
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(strings.Compare(a.state, b.state), strings.Compare(a.rule, b.rule), strings.Compare(a.user, b.user))
	})
	byState := map[string][]string{}
	for _, r := range rows {
		byState[r.state] = append(byState[r.state], r.rule+" "+r.user)
	}
	fmt.Printf("\nSecurity Hub holds %d credaudit findings:\n", len(findings))
	for _, st := range slices.Sorted(maps.Keys(byState)) {
		fmt.Printf("  %-18s %s\n", st, strings.Join(byState[st], ", "))
	}
	return nil
}
