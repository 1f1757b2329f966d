package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"strings"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/rules"
)

func runScan(ctx context.Context, args []string, io IO) (err error) {
	fs := newFlags("scan", "[--report FILE|-] [--aws-profile PROFILE] [--region REGION] [--as-of TIME] [--profile NAME] [--config FILE] [--format table|json|csv|sarif|asff] [--fail-on SEVERITY] [--hub-region REGION] [--state DIR [--publish [--topic ARN]]] [--org [--concurrency N] [--member-role NAME] [--include-accounts IDS] [--exclude-accounts IDS] [--include-ous IDS] [--exclude-ous IDS]]")
	var src source
	// In scan, --profile names the rule profile; the AWS profile is --aws-profile.
	src.register(fs, "aws-profile")
	profile := fs.String("profile", "", "rule `profile`: "+strings.Join(rules.ProfileNames(), ", ")+" (default: the configuration's, else "+rules.DefaultProfile+")")
	configFile := fs.String("config", "", "configuration `FILE` (YAML: profile, rules, thresholds, suppressions, custom rules)")
	format := fs.String("format", "", "output `format`: table, json, csv, sarif, or asff (the Security Hub findings a run would import) (default: table on a terminal, json otherwise)")
	failOn := fs.String("fail-on", "", "exit 1 when a failing, unsuppressed result has this `severity` or higher (informational, low, medium, high, critical)")
	var af auditFlags
	af.register(fs)
	var of orgFlags
	of.register(fs)
	if err := parseFlags(fs, args, io); err != nil {
		return err
	}
	if err := af.check(*format); err != nil {
		return err
	}
	if err := of.check(fs); err != nil {
		return err
	}
	if *format == "" {
		*format = "json"
		if isTerminal(io.Stdout) {
			*format = "table"
		}
	}
	if streamWriters[*format] == nil && *format != "table" && *format != "asff" {
		return usageErr("--format %q: want table, json, csv, sarif or asff", *format)
	}
	threshold := rules.Severity(-1)
	if *failOn != "" {
		sev, err := rules.ParseSeverity(*failOn)
		if err != nil {
			return usageErr("--fail-on: %v", err)
		}
		threshold = sev
	}
	var cfg *config.Config
	if *configFile != "" {
		var err error
		if cfg, err = config.ReadFile(*configFile); err != nil {
			if pe := (*iofs.PathError)(nil); errors.As(err, &pe) { // not found, a directory: the flag's file
				return usageErr("--config: %v", err)
			}
			return usageErr("%v", err)
		}
	}
	selected, profileName, err := cfg.Selection(*profile)
	switch {
	case errors.Is(err, config.ErrNoRules):
		return usageErr("%v", err)
	case err != nil:
		return usageErr("--profile: %v", err)
	}
	for _, note := range cfg.Notes(profileName) {
		fmt.Fprintf(io.Stderr, "credaudit scan: %s\n", note)
	}
	var sups []rules.Suppression
	if cfg != nil {
		sups = cfg.Suppressions
	}
	// A live account (--org's too: it takes no --report) or --publish.
	ctx, stop := interruptible(ctx, src.live() || af.publish)
	defer func() { err = interrupted(ctx, stop, err) }()
	if of.on {
		return runOrg(ctx, &of, &af, &src, *format, selected, profileName, sups, io)
	}

	src.publishes, src.canPublish, src.alias = af.publish, true, af.stateDir != ""
	src.accountEffect = audit.AccountFactsEffect(selected)
	in, err := src.load(ctx, io.Stdin)
	if err != nil {
		return err
	}
	if in.note != "" {
		fmt.Fprintf(io.Stderr, "credaudit scan: %s\n", in.note)
	}
	out := scanOutput{
		report:   in,
		profile:  profileName,
		selected: selected,
		source:   src.report,
		color:    colorOn(isTerminal(io.Stdout), os.Getenv),
	}
	var (
		runErr error // a publishing error, reported after the output
		saved  bool  // the run saved its state
		stdout = &outWriter{w: io.Stdout}
	)
	switch {
	case af.needed(*format):
		var (
			run    *audit.Outcome
			region string
		)
		if run, region, runErr = runAudit(ctx, &af, *format, &src, in, selected, profileName, sups, io.Stderr); run == nil {
			return in.named(runErr)
		}
		out.results, out.outcomes, saved = run.Results, run.Outcomes, run.Saved
		if *format == "asff" {
			err = writeASFF(stdout, run, region, selected)
		} else {
			err = writeScan(stdout, &out, *format)
		}
	case streamWriters[*format] != nil:
		err = streamScan(stdout, *format, &out, sups)
	default: // the table, which needs every result before its first line
		if out.results, err = rules.Evaluate(out.input(), selected); err != nil {
			return usageErr("%v", in.named(err))
		}
		out.outcomes = rules.Suppress(out.results, sups, in.asOf)
		err = writeScan(stdout, &out, *format)
	}
	switch {
	case err != nil && stdout.err != nil && saved:
		// Its news is in the digest above; the next run starts from it.
		return fmt.Errorf("writing the output: %w (the state was saved: the digest above is this run's news, and a run again writes the same results)", err)
	case err != nil && stdout.err != nil:
		return fmt.Errorf("writing the output: %w", err)
	case err != nil:
		return err
	}
	for _, o := range out.outcomes {
		// With --state the digest on stderr has said it already.
		if note := o.StaleNote(); note != "" && af.stateDir == "" {
			fmt.Fprintf(io.Stderr, "credaudit scan: %s\n", note)
		}
	}
	if in.accountErr != nil {
		fmt.Fprintf(io.Stderr, "credaudit scan: %s\n", terminalSafe(audit.AccountFactsWarning(in.accountErr.Error(), src.accountEffect)))
	}
	if *format == "sarif" {
		if note := sarifLimitNote(out.counts()); note != "" {
			fmt.Fprintf(io.Stderr, "credaudit scan: %s\n", note)
		}
	}
	if runErr != nil {
		return runErr
	}
	if worst := out.counts().worst(); threshold >= 0 && worst >= threshold {
		return &exitError{ExitFindings, fmt.Errorf("failing results at or above %s", threshold)}
	}
	return nil
}

// streamScan evaluates the scan's rules and writes them in format (one of
// streamWriters) a batch at a time (rules.EvaluateEach), so that a large account's
// results are never all held: o.tally gets their counts, o.outcomes the
// suppressions' outcomes. A custom rule's error comes before anything is
// written.
func streamScan(w io.Writer, format string, o *scanOutput, sups []rules.Suppression) error {
	rw, err := streamWriters[format](w, o)
	if err != nil {
		return err
	}
	o.tally = new(tally)
	sup := rules.NewSuppressor(sups, o.report.asOf)
	var writeErr error
	err = rules.EvaluateEach(o.input(), o.selected, func(batch []rules.Result) error {
		sup.Apply(batch)
		o.tally.add(batch)
		writeErr = rw.add(batch)
		return writeErr
	})
	switch {
	case writeErr != nil:
		return writeErr
	case err != nil:
		return usageErr("%v", o.report.named(err))
	}
	o.outcomes = sup.Outcomes()
	return rw.end()
}

// input is what the scan evaluates.
func (o *scanOutput) input() rules.Input {
	return rules.Input{Report: o.report.report, AsOf: o.report.asOf, Account: o.report.account, AccountUnread: o.report.accountErr != nil}
}

// outWriter is the scan's standard output, keeping the first error a write
// to it met: the output could not be written (a full disk, a closed pipe),
// which the scan says as such.
type outWriter struct {
	w   io.Writer
	err error
}

func (o *outWriter) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil && o.err == nil {
		o.err = err
	}
	return n, err
}
