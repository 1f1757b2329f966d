package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/internal/awsname"
)

// Start serves the Lambda runtime API; it does not return. The settings are
// validated once, at cold start: when they are invalid every invocation
// fails with the message naming each bad value, and sends it as an
// operational alert when the topic setting itself is usable.
func Start() {
	log := lambdacontext.NewLogger()
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		err = fmt.Errorf("load the AWS configuration: %w", err)
	}
	lambda.Start(ColdStart(cfg, err, os.Getenv, log, os.Stdout))
}

// HandlerFunc is what the Lambda runtime calls for each invocation.
type HandlerFunc func(ctx context.Context, payload json.RawMessage) (any, error)

// ColdStart validates the settings in getenv and returns the invocation
// handler: the audit's, or — when cfgErr is set or a setting is invalid —
// one that fails every invocation with the error naming each bad value,
// sending it as an operational alert when the topic setting is usable.
func ColdStart(cfg aws.Config, cfgErr error, getenv func(string) string, log *slog.Logger, metrics io.Writer) HandlerFunc {
	err := cfgErr
	var h *Handler
	if err == nil {
		h, err = New(cfg, getenv, log, metrics)
	}
	if err == nil {
		return h.Handle
	}
	log.Error("cold start", "error", err.Error())
	fail := fmt.Errorf("%w: %w", ErrSettings, err)
	topic := getenv(EnvTopicARN)
	if cfgErr != nil || !awsname.IsTopicARN(topic) {
		return func(context.Context, json.RawMessage) (any, error) { return nil, fail }
	}
	client := sns.NewFromConfig(cfg)
	return func(ctx context.Context, _ json.RawMessage) (any, error) {
		aud := &audit.Auditor{Topic: client, TopicARN: topic, Log: log, AccountID: OwnAccount(ctx)}
		return nil, aud.Fail(ctx, &audit.Failure{Phase: audit.PhaseSettings, Err: fail, Hint: "fix the function's environment variables (see the README's Lambda settings)."})
	}
}

// OwnAccount is the account of the function serving ctx's invocation, from
// its ARN, which Lambda passes with every invocation: what an alert names
// before any report or request has said which account the run is about.
// It is "" outside Lambda.
func OwnAccount(ctx context.Context) string {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return ""
	}
	if a, err := arn.Parse(lc.InvokedFunctionArn); err == nil && credreport.IsAccountID(a.AccountID) {
		return a.AccountID
	}
	return ""
}
