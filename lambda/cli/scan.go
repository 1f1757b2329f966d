package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/config"
	"github.com/credaudit/credaudit/lambda/rules"
)

func runScan(ctx context.Context, args []string, io IO) error {
	fs := newFlags("scan", "[--report FILE|-] [--profile NAME] [--config FILE] [--format table|json|csv|sarif|asff] [--fail-on SEVERITY] [--state DIR [--publish [--topic ARN]]] [--org [--concurrency N] [--member-role NAME] [--include-accounts IDS] [--exclude-accounts IDS] [--include-ous IDS] [--exclude-ous IDS]]", io)
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
	if err := af.check(); err != nil {
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
	write, ok := scanWriters[*format]
	if !ok && *format != "asff" {
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
		data, err := os.ReadFile(*configFile)
		if err != nil {
			return usageErr("%v", err)
		}
		if cfg, err = config.Parse(*configFile, data); err != nil {
			return usageErr("%v", err)
		}
	}
	selected, profileName, err := cfg.Selection(*profile)
	if err != nil {
		return usageErr("--profile: %v", err)
	}
	var sups []rules.Suppression
	if cfg != nil {
		sups = cfg.Suppressions
	}
	if of.on {
		return runOrg(ctx, &of, &af, &src, *format, selected, profileName, sups, io)
	}

	in, err := src.load(ctx, io.Stdin)
	if err != nil {
		return err
	}
	var (
		results  []rules.Result
		outcomes []rules.SuppressionOutcome
		run      *audit.Outcome
		region   string
		runErr   error // a publishing error, reported after the output
	)
	if af.needed(*format) {
		if run, region, runErr = runAudit(ctx, &af, &src, in, selected, profileName, sups, io.Stderr); run == nil {
			return runErr
		}
		results, outcomes = run.Results, run.Outcomes
	} else {
		if results, err = rules.Evaluate(rules.Input{Report: in.report, AsOf: in.asOf, Account: in.account}, selected); err != nil {
			return usageErr("%v", err)
		}
		outcomes = rules.Suppress(results, sups, in.asOf)
	}
	for _, o := range outcomes {
		switch {
		case o.Expired:
			fmt.Fprintf(io.Stderr, "credaudit scan: suppression at %s expired on %s and no longer applies\n", o.Suppression.Source, o.Suppression.Expires.Format(time.DateOnly))
		case o.Matched == 0:
			fmt.Fprintf(io.Stderr, "credaudit scan: suppression at %s matches no failing result\n", o.Suppression.Source)
		}
	}
	if in.live && in.account == nil {
		fmt.Fprintf(io.Stderr, "credaudit scan: %v; rules that need it are NOT_AVAILABLE\n", in.accountErr)
	}
	out := scanOutput{
		report:   in,
		profile:  profileName,
		selected: selected,
		results:  results,
		outcomes: outcomes,
		source:   src.report,
		color:    isTerminal(io.Stdout) && os.Getenv("NO_COLOR") == "",
	}
	if *format == "asff" {
		err = writeASFF(io.Stdout, run, region, selected)
	} else {
		err = write(io.Stdout, &out)
	}
	if err != nil {
		return err
	}
	if runErr != nil {
		return runErr
	}
	for _, r := range results {
		if r.Status == rules.Failed && !r.Suppressed() && threshold >= 0 && r.Rule.Severity >= threshold {
			return &exitError{ExitFindings, fmt.Errorf("failing results at or above %s", threshold)}
		}
	}
	return nil
}
