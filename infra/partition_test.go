package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/credaudit/credaudit/lambda/handler"
)

// A Security Hub home region outside the stack's partition fails synth when
// the stack's region is known then (an explicit environment, here a
// Stage's): the function would refuse it at every start. An
// environment-agnostic stack (every variant) is left to the function.
func TestHubRegionInStackPartition(t *testing.T) {
	requireTools(t)
	for _, tc := range []struct {
		region, hub string
		refused     bool
	}{
		{"eu-west-1", "cn-north-1", true},
		{"us-gov-west-1", "us-east-1", true},
		{"cn-northwest-1", "cn-north-1", false},
		{"eu-west-1", "us-east-1", false},
	} {
		t.Run(tc.region+" "+tc.hub, func(t *testing.T) {
			s, err := LoadSettings(lookupIn(map[string]any{KeySecurityHubRegion: tc.hub, KeyAsset: fakeAsset}))
			if err != nil {
				t.Fatal(err)
			}
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
			stage := awscdk.NewStage(app, jsii.String("Deploy"), &awscdk.StageProps{Env: &awscdk.Environment{Region: jsii.String(tc.region)}})
			st := NewStack(stage, s)
			errs := *assertions.Annotations_FromStack(st.Stack).FindError(jsii.String("*"),
				assertions.Match_StringLikeRegexp(jsii.String("context "+KeySecurityHubRegion+"=")))
			if refused := len(errs) > 0; refused != tc.refused {
				t.Errorf("stack in %s, home region %s: synth errors %v, want refused %v", tc.region, tc.hub, describe(errs), tc.refused)
			}
		})
	}
}

// infra places regions in partitions as the function does (its table is
// lambda/internal/awsname's, which infra cannot import): the function
// refuses exactly the home regions infra finds outside the stack's
// partition.
func TestPartitionsAreTheFunctions(t *testing.T) {
	regions := []string{"eu-west-1", "us-east-1", "us-gov-west-1", "us-gov-east-1", "cn-north-1", "cn-northwest-1",
		"us-iso-east-1", "us-isob-east-1", "us-isof-south-1", "eu-isoe-west-1", "eusc-de-east-1"}
	for _, region := range regions {
		for _, hub := range regions {
			env := map[string]string{
				handler.EnvRegion: region, handler.EnvHubRegion: hub,
				handler.EnvStateBucket: "credaudit-state", handler.EnvTopicARN: "arn:aws:sns:eu-west-1:123456789012:credaudit",
			}
			_, err := handler.LoadSettings(func(k string) string { return env[k] })
			refused := err != nil && strings.Contains(err.Error(), handler.EnvHubRegion+"=")
			if outside := partition(hub) != partition(region); outside != refused {
				t.Errorf("function in %s, home region %s: infra finds it outside the partition %v, the function refuses it %v (%v)",
					region, hub, outside, refused, err)
			}
		}
	}
}

// infra takes as a home region what the function takes: a setting the
// stack accepts does not fail every cold start, and one the function would
// take is not refused at synth.
func TestRegionNamesAreTheFunctions(t *testing.T) {
	for _, hub := range []string{"eu-west-1", "us-gov-west-1", "eusc-de-east-1", "ap-southeast-12", "europe", "eu-west", "us-east-1:x", "EU-WEST-1", "a-b-1"} {
		region := "eu-west-1" // the function's, in hub's partition: only the name is in question
		for _, p := range [...]string{"us-gov-", "eusc-"} {
			if strings.HasPrefix(hub, p) {
				region = hub
			}
		}
		env := map[string]string{
			handler.EnvRegion: region, handler.EnvHubRegion: hub,
			handler.EnvStateBucket: "credaudit-state", handler.EnvTopicARN: "arn:aws:sns:eu-west-1:123456789012:credaudit",
		}
		_, err := handler.LoadSettings(func(k string) string { return env[k] })
		funcTakes := err == nil || !strings.Contains(err.Error(), handler.EnvHubRegion+"=")
		_, infraErr := LoadSettings(lookupIn(map[string]any{KeySecurityHubRegion: hub, KeyAsset: fakeAsset}))
		if infraTakes := infraErr == nil; infraTakes != funcTakes {
			t.Errorf("home region %q: infra takes it %v (%v), the function %v (%v)", hub, infraTakes, infraErr, funcTakes, err)
		}
	}
}
