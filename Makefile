# Targets are documented by their "##" comments; `make help` lists them.
# Logic longer than two lines lives in scripts/, not here.

SHELL := bash
# The version bin/credaudit prints (make build VERSION=v1.2.3); empty: the
# one Go records, the checkout's tag or a pseudo-version of its commit.
VERSION ?=
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

.PHONY: help vet test bench demo demo-scan build synth deploy diff fmt lint clean fuzz

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-9s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

vet: ## go vet every package, and the command-line build (-tags nolambda)
	go vet ./...
	go vet -tags nolambda ./lambda

test: vet ## go vet, then all tests against a throwaway moto server (-p 1: tests share its state); infra tests get Node 22 and cfn-lint
	scripts/with-tools.sh scripts/with-moto.sh go test -count=1 -p 1 ./...

bench: ## Benchmarks (with a moto server)
	scripts/with-moto.sh go test -p 1 -timeout 30m -run '^$$' -bench . -benchmem ./...

demo: ## The scheduled audit end to end on a local emulator: an example account, the real handler, its digests and Security Hub findings, before and after fixes
	scripts/with-moto.sh go run ./lambda/internal/demo

demo-scan: ## Query the sample report, then scan it with the example configuration (no emulator)
	go run ./lambda query --report events/sample-report.csv --where 'password_enabled && !mfa_active' --columns user,arn,password_last_used,mfa_active --format table
	go run ./lambda scan --report events/sample-report.csv --config events/credaudit.example.yaml --as-of 2026-11-20T06:00:00Z --format table

build: ## Static, stripped binaries: the CLI in bin/credaudit (-tags nolambda: command line only; its version the checkout's tag or commit, or VERSION=…), the function (linux/arm64, no commit stamped: the same code is the same asset) in bin/lambda/bootstrap
	CGO_ENABLED=0 go build -tags nolambda -trimpath -buildvcs=auto -ldflags='-s -w -X github.com/credaudit/credaudit/lambda/cli.Version=$(VERSION)' -o bin/credaudit ./lambda
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -trimpath -buildvcs=false -ldflags='-s -w' -o bin/lambda/bootstrap ./lambda

synth: ## Build (cdk.json's build step), then synthesize the stack into cdk.out/ with the pinned Node 22 and CDK CLI; no AWS account needed
	CDK_DISABLE_CLI_TELEMETRY=true scripts/with-tools.sh cdk synth --quiet --no-notices $(CDK_ARGS)

deploy: ## Build, then cdk deploy into the account of your AWS credentials (README "Deployment"; CDK_ARGS='-c key=value')
	scripts/with-tools.sh cdk deploy $(CDK_ARGS)

diff: ## Build, then cdk diff against the deployed stack (needs AWS credentials)
	scripts/with-tools.sh cdk diff $(CDK_ARGS)

fmt: ## gofmt every package
	go fmt ./...

lint: vet ## go vet, and fail if any file needs gofmt
	@out="$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed on:" >&2; echo "$$out" >&2; exit 1; fi

clean: ## Remove build output, cdk.out, .venv, tools/node_modules and coverage files
	rm -rf bin cdk.out .venv tools/node_modules coverage.out coverage.html

fuzz: ## Fuzz each reader of untrusted input (report, configuration, CEL expression, state) in turn, each target for FUZZTIME (default 30s)
	scripts/fuzz.sh
