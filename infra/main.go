// Command infra is credaudit's CDK app: `cdk synth` (cdk.json runs
// `go run ./infra`) writes one CloudFormation stack. By default it is the
// single-account stack (stack.go): the function, its schedule, the digest
// topic, the state bucket, the failure queue, alarms and a dashboard. With
// the context setting org=true it is the organisation stack (org.go)
// instead. Every setting comes from CDK context (settings.go; the README's
// "Deployment" section lists them). The AwsSolutions cdk-nag pack runs on
// every synth: an unsuppressed finding fails it.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	if _, err := NewApp(app); err != nil {
		fmt.Fprintln(os.Stderr, "credaudit infra:", err)
		jsii.Close()
		os.Exit(1)
	}
	app.Synth(nil)
}

// Stacks is what NewApp added: exactly one of the two is set.
type Stacks struct {
	Single *Stack
	Org    *OrgStack
}

// NewApp reads the settings from app's context, checks that the function's
// binary is built, and adds the stack the settings choose, with the
// AwsSolutions checks. The organisation stack replaces the single-account
// one rather than joining it: it audits its own account too (through the
// management account's member role), so a single-account stack beside it
// would audit that account twice and send a second digest.
func NewApp(app awscdk.App) (Stacks, error) {
	context, _ := app.Node().GetAllContext(nil).(map[string]any)
	s, err := LoadContext(context)
	if err != nil {
		return Stacks{}, err
	}
	if fi, err := os.Stat(filepath.Join(s.Asset, "bootstrap")); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return Stacks{}, fmt.Errorf("no executable %s: build the function first (make build)", filepath.Join(s.Asset, "bootstrap"))
	}
	var out Stacks
	if s.Org {
		out.Org = NewOrgStack(app, s)
	} else {
		out.Single = NewStack(app, s)
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return out, nil
}
