// Command startfloor links the libraries the credaudit command line is
// built on and does nothing else: the AWS SDK's configuration (the default
// credential chain) and the clients the commands call (IAM for the live
// report, STS and Organizations for --org, Security Hub and SNS for
// --publish), cel-go for custom rules and query --where, and yaml.v3 for
// the configuration file.
//
// Go initialises every linked package before main runs, whatever the
// command, so this program's run time is a floor under any credaudit
// command's. BenchmarkProcessFloor (package cli) runs it beside the
// credaudit binary and the encoding/csv baseline; a main test checks that
// credaudit links every package this program does.
package main

import (
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/service/iam"
	_ "github.com/aws/aws-sdk-go-v2/service/organizations"
	_ "github.com/aws/aws-sdk-go-v2/service/securityhub"
	_ "github.com/aws/aws-sdk-go-v2/service/sns"
	_ "github.com/aws/aws-sdk-go-v2/service/sts"
	_ "github.com/google/cel-go/cel"
	_ "gopkg.in/yaml.v3"
)

func main() {}
