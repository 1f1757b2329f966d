package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/credaudit/credaudit/lambda/audit"
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
	var h *Handler
	if err == nil {
		h, err = New(cfg, os.Getenv, log, os.Stdout)
	}
	if err != nil {
		log.Error("cold start", "error", err.Error())
		lambda.Start(func(ctx context.Context, _ json.RawMessage) (*Response, error) {
			fail := fmt.Errorf("%w: %w", ErrSettings, err)
			if topic := os.Getenv(EnvTopicARN); topicARN().MatchString(topic) {
				aud := &audit.Auditor{Topic: sns.NewFromConfig(cfg), TopicARN: topic, Log: log}
				return nil, aud.Fail(ctx, &audit.Failure{Phase: "settings", Err: fail, Hint: "fix the function's environment variables (see the README's Lambda settings)."})
			}
			return nil, fail
		})
		return
	}
	lambda.Start(h.Invoke)
}
