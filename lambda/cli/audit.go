package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/internal/awsname"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/rules"
	"github.com/credaudit/credaudit/lambda/state"
)

// auditFlags drive the scheduled run's steps from the command line: diff
// against a local state, publish like the Lambda does.
type auditFlags struct {
	stateDir  string
	publish   bool
	topic     string
	hubRegion string
}

func (f *auditFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.stateDir, "state", "", "state `DIR`: diff against the previous run's state kept there (one file per account), print the digest on stderr, and save the new state")
	fs.BoolVar(&f.publish, "publish", false, "publish like the Lambda: import what changed into Security Hub and send the digest to --topic, with the current AWS credentials (needs --state)")
	fs.StringVar(&f.topic, "topic", "", "SNS topic `ARN` for the digest with --publish (default: none; the digest is printed only)")
	fs.StringVar(&f.hubRegion, "hub-region", "", "Security Hub home `region` for --publish, --state and --format asff (default: the AWS configuration's region, else the report's partition's first: us-east-1, us-gov-west-1, cn-north-1)")
}

// check refuses the flags that contradict each other, or apply to
// nothing given format ("" for the default, never asff).
func (f *auditFlags) check(format string) error {
	switch {
	case f.publish && f.stateDir == "":
		return usageErr("--publish needs --state DIR: without the previous state every failing result would be imported as new")
	case f.topic != "" && !f.publish:
		return usageErr("--topic applies with --publish")
	case f.topic != "" && !awsname.IsTopicARN(f.topic):
		return usageErr("--topic %q is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)", f.topic)
	case f.hubRegion != "" && !f.needed(format):
		return usageErr("--hub-region applies with --publish, --state or --format asff")
	case f.hubRegion != "" && !awsname.IsRegion(f.hubRegion):
		return usageErr("--hub-region %q is not an AWS region (e.g. eu-west-1)", f.hubRegion)
	}
	return nil
}

// needed reports whether the scan goes through the audit: a state, a
// publication, or the ASFF a publication would send.
func (f *auditFlags) needed(format string) bool {
	return f.stateDir != "" || f.publish || format == "asff"
}

// forRegion reports whether the run's findings are for a Security Hub
// home region: published there, printed as the ASFF a run publishing there
// would import, or --hub-region given. The state's findings last imported
// elsewhere are then owed there (finding.InRegion), and saved so.
func (f *auditFlags) forRegion(format string) bool {
	return f.publish || f.hubRegion != "" || format == "asff"
}

// now is the clock of scan's audit (when a state is saved, a finding imported, a
// digest's report age); nil is the wall clock. Tests fix it, as they fix
// the function's (handler.Handler.Now).
var now func() time.Time

// runAudit diffs the evaluation of in against the state and, with
// --publish, publishes it. Without --state the state is empty, so the
// findings are those a first run would import.
func runAudit(ctx context.Context, f *auditFlags, format string, src *source, in *loaded, selected []rules.Selected, profile string, sups []rules.Suppression, stderr io.Writer) (*audit.Outcome, string, error) {
	aud := &audit.Auditor{Selected: selected, Profile: profile, Suppressions: sups, Now: now}
	region := f.hubRegion // stays empty when the run is not for a region
	if f.publish || region == "" && f.forRegion(format) {
		cfg, err := awsConfig(ctx, src)
		switch {
		case err != nil && f.publish:
			return nil, "", err
		case err == nil && region == "":
			region = cfg.Region
		}
		if region == "" {
			region = awsname.DefaultRegion(in.report.Partition)
		}
		if region == "" {
			return nil, "", usageErr("no region is configured and partition %s has no default known here: give --hub-region", in.report.Partition)
		}
		if f.publish && !src.live() {
			if err := sameAccount(ctx, cfg, in.report.AccountID); err != nil {
				return nil, "", err
			}
		}
		if f.publish {
			aud.Hub = &publish.Importer{Client: securityhub.NewFromConfig(cfg, func(o *securityhub.Options) { o.Region = region })}
			if f.topic != "" {
				aud.Topic, aud.TopicARN = topicClient(cfg, f.topic), f.topic
			}
		}
	}
	// Findings and their product ARN are in the account's partition (when
	// it is one whose regions are known).
	if region != "" {
		if err := partitionFits(region, f.hubRegion != "", in.report.Partition, "the report's account"); err != nil {
			return nil, "", err
		}
	}
	aud.HubRegion = region
	if f.stateDir != "" {
		store, undo, err := openStateDir(f.stateDir)
		if err != nil {
			return nil, "", err
		}
		defer undo()
		aud.Store = store
	}
	obs := &audit.Observation{Report: in.report, AsOf: in.asOf, Account: in.account, AccountErr: in.accountErr, AccountEffect: src.accountEffect, Alias: in.alias}
	out, err := aud.Audit(ctx, obs)
	if out != nil && f.stateDir != "" {
		writeDigest(stderr, out.Digest.Subject+"\n\n"+out.Digest.Body)
	}
	var failure *audit.Failure
	switch {
	case errors.As(err, &failure) && failure.Phase == audit.PhaseEvaluate:
		return nil, "", usageErr("%w", failure.Err)
	case errors.As(err, &failure):
		hint := failure.Hint
		if errors.Is(failure.Err, audit.ErrOlderReport) {
			// A report file without its time (a bare CSV) is dated when it
			// is scanned: the same report scanned later as JSON, or live,
			// is older.
			hint += " A CSV without its time was dated when it was scanned: give --as-of the report's time."
		}
		return nil, "", usageErr("%v (%s)", failure, hint)
	case err != nil && out == nil:
		return nil, "", err
	case err != nil:
		return out, region, &exitError{ExitAWS, err}
	}
	return out, region, nil
}

// sameAccount refuses to publish a report file of another account than the
// credentials': Security Hub would refuse its findings, after the digest was
// sent and the state saved; and that account's findings belong with that
// account's state. (A live report is the credentials' account's.)
func sameAccount(ctx context.Context, cfg aws.Config, reportAccount string) error {
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return &exitError{ExitAWS, fmt.Errorf("--publish: which account the AWS credentials are of (sts:GetCallerIdentity): %w", err)}
	}
	if caller := aws.ToString(who.Account); caller != reportAccount {
		return usageErr("--publish: the report is of account %s, and the AWS credentials of account %s: publish a report with its own account's credentials", reportAccount, caller)
	}
	return nil
}

// topicClient is an SNS client for topic, in its region whatever the AWS
// configuration's: SNS refuses a topic of another region.
func topicClient(cfg aws.Config, topic string) *sns.Client {
	return sns.NewFromConfig(cfg, func(o *sns.Options) { o.Region = awsname.TopicRegion(topic) })
}

// writeDigest writes a digest to the terminal a line at a time, each as a
// terminal shows it harmlessly (terminalSafe): its lines name the report's
// users, and a malformed report's can hold an escape sequence.
func writeDigest(w io.Writer, text string) {
	bw := bufio.NewWriter(w)
	for line := range strings.Lines(text) {
		body, nl := strings.CutSuffix(line, "\n")
		bw.WriteString(digestSafe(body))
		if nl {
			bw.WriteByte('\n')
		}
	}
	bw.Flush()
}

// awsConfig is the AWS configuration of the live flags (--aws-profile,
// --region), for publishing. Its error is an exit error: a profile that
// is not in the shared configuration is a usage error (the flag's value),
// anything else ExitAWS.
func awsConfig(ctx context.Context, src *source) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if src.awsProfile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(src.awsProfile))
	}
	if src.region != "" {
		opts = append(opts, awsconfig.WithRegion(src.region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if _, missing := errors.AsType[awsconfig.SharedConfigProfileNotExistError](err); missing {
		return cfg, usageErr("load AWS configuration: %w", err)
	}
	if err != nil {
		return cfg, &exitError{ExitAWS, fmt.Errorf("load AWS configuration: %w", err)}
	}
	return cfg, nil
}

// writeASFF prints the findings the run would import, as a JSON array of
// ASFF objects (what BatchImportFindings receives).
func writeASFF(w io.Writer, out *audit.Outcome, region string, selected []rules.Selected) error {
	fs, err := audit.Findings(out, out.Observation.Report.Partition, region, selected)
	if err != nil {
		return fmt.Errorf("map findings to ASFF: %w", err)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("[")
	for i, f := range fs {
		b, err := publish.Marshal(f)
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n  ")
		bw.Write(b)
	}
	if len(fs) > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// openStateDir is the store of --state DIR. It makes the directory before
// anything is published, so that one that cannot be made is a usage error
// (made only when the state is saved, it would fail after the findings were
// imported). undo removes the levels it made that are still empty: a run
// that saved no state leaves none behind.
func openStateDir(dir string) (store *state.Dir, undo func(), err error) {
	store = state.NewDir(dir)
	dir = filepath.Clean(dir)
	first := "" // the outermost level missing
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil || filepath.Dir(p) == p {
			break
		}
		first = p
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, usageErr("--state: %v", err)
	}
	return store, func() {
		if first == "" {
			return
		}
		for p := dir; os.Remove(p) == nil && p != first; p = filepath.Dir(p) {
		}
	}, nil
}

// partitionFits refuses a Security Hub home region outside the partition
// of the account whose findings go there (when it is one whose regions are
// known): the findings would carry a product ARN of the wrong partition, and
// every import would fail. given says whether --hub-region named the region
// (else it is the AWS configuration's); whose names the account.
func partitionFits(region string, given bool, partition, whose string) error {
	p := awsname.Partition(region)
	if !awsname.Known(partition) || p == partition {
		return nil
	}
	what := "--hub-region " + region
	if !given {
		what = "the AWS configuration's region " + region
	}
	return usageErr("%s is in partition %s, but %s is in %s: give --hub-region a region of %s", what, p, whose, partition, partition)
}
