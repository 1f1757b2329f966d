package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

func nagFindings(st awscdk.Stack) (errs, warnings []*cxapi.SynthesisMessage) {
	a := assertions.Annotations_FromStack(st)
	pattern := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	return *a.FindError(jsii.String("*"), pattern), *a.FindWarning(jsii.String("*"), pattern)
}

func describe(msgs []*cxapi.SynthesisMessage) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "\n  %s: %v", *m.Id, m.Entry.Data)
	}
	return b.String()
}

// The AwsSolutions pack finds nothing that is not suppressed with a reason,
// in every variant of both stacks.
func TestNagAwsSolutions(t *testing.T) {
	for _, variant := range allVariants() {
		t.Run(variant, func(t *testing.T) {
			s := synth(t, variant)
			errs, warnings := nagFindings(s.stack)
			if len(errs) > 0 {
				t.Errorf("%d cdk-nag errors:%s", len(errs), describe(errs))
			}
			if len(warnings) > 0 {
				t.Errorf("%d unsuppressed cdk-nag warnings:%s", len(warnings), describe(warnings))
			}
		})
	}
}

// The pack really runs on the app NewApp builds: the same wiring reports a
// queue without encryption or TLS enforcement.
func TestNagReportsViolations(t *testing.T) {
	requireTools(t)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(tmpRoot, "nag-control"))})
	st := awscdk.NewStack(app, jsii.String("control"), nil)
	awssqs.NewQueue(st, jsii.String("Plain"), &awssqs.QueueProps{Encryption: awssqs.QueueEncryption_UNENCRYPTED})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
	errs, _ := nagFindings(st)
	var ids []string
	for _, e := range errs {
		ids = append(ids, fmt.Sprint(e.Entry.Data))
	}
	for _, rule := range []string{"AwsSolutions-SQS2", "AwsSolutions-SQS4"} {
		if !slices.ContainsFunc(ids, func(s string) bool { return strings.Contains(s, rule) }) {
			t.Errorf("cdk-nag did not report %s on an unencrypted queue; got %v", rule, ids)
		}
	}
}

// Every suppression in the template is one of the reviewed ones, with a
// reason that explains it.
func TestNagSuppressionsAreReviewed(t *testing.T) {
	s := synth(t, "default")
	assertSuppressions(t, s, []string{
		"AwsSolutions-IAM5 Resource::*",
		"AwsSolutions-IAM5 Resource::<" + s.st.logicalID(s.st.Bucket) + ".Arn>/state/*",
		"AwsSolutions-S1",
		"AwsSolutions-SQS3",
	})
}

func TestOrgNagSuppressionsAreReviewed(t *testing.T) {
	s := synth(t, "org")
	bucket := "AwsSolutions-IAM5 Resource::<" + s.org.logicalID(s.org.Bucket) + ".Arn>/"
	executions := "AwsSolutions-IAM5 Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:credaudit-run"
	assertSuppressions(t, s, []string{
		"AwsSolutions-IAM5 Resource::*", // report and Security Hub (member role), Organizations, log delivery and X-Ray
		bucket + "runs/*",
		bucket + "runs/*/accounts.json",
		bucket + "runs/*/summaries/*",
		bucket + "runs/deliveries/*",
		bucket + "runs/results/*",
		bucket + "state/*",
		"AwsSolutions-IAM5 Resource::arn:<AWS::Partition>:iam::*:role/credaudit-member",
		executions + "/*",
		executions + ":*",
		"AwsSolutions-S1",
		"AwsSolutions-SQS3",
	})
}

// assertSuppressions checks that the template's cdk-nag suppressions are
// exactly want, each with a reason of some length.
func assertSuppressions(t *testing.T, s *synthesized, want []string) {
	t.Helper()
	var got []string
	for id, r := range s.doc["Resources"].(map[string]any) {
		meta, _ := r.(map[string]any)["Metadata"].(map[string]any)
		nag, _ := meta["cdk_nag"].(map[string]any)
		rules, _ := nag["rules_to_suppress"].([]any)
		for _, rule := range rules {
			rule := rule.(map[string]any)
			name := rule["id"].(string)
			for _, a := range asAnyList(rule["applies_to"]) {
				if a != nil {
					name += " " + a.(string)
				}
			}
			if reason, _ := rule["reason"].(string); len(reason) < 80 {
				t.Errorf("%s: suppression %s has a thin reason %q", id, name, reason)
			}
			got = append(got, name)
		}
	}
	// A suppression on a construct applies to its children too (a role and
	// its policy, a bucket and its policy): compare the distinct ones.
	slices.Sort(got)
	got = slices.Compact(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("suppressions %q, want %q", got, want)
	}
}
