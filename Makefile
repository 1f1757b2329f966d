# Targets are documented by their "##" comments; `make help` lists them.
# Logic longer than two lines lives in scripts/, not here.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

.PHONY: help test bench demo demo-scan build fmt lint clean fuzz

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-9s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

test: ## go vet, then all tests against a throwaway moto server (-p 1: tests share its state)
	go vet ./...
	scripts/with-moto.sh go test -count=1 -p 1 ./...

bench: ## Benchmarks (with a moto server)
	scripts/with-moto.sh go test -run '^$$' -bench . -benchmem ./...

demo: ## The scheduled audit end to end on a local emulator: an example account, the real handler, its digests and Security Hub findings, before and after fixes
	scripts/with-moto.sh go run ./lambda/internal/demo

demo-scan: ## Query the sample report, then scan it with the example configuration (no emulator)
	go run ./lambda query --report events/sample-report.csv --where 'password_enabled && !mfa_active' --columns user,arn,password_last_used,mfa_active --format table
	go run ./lambda scan --report events/sample-report.csv --config events/credaudit.example.yaml --as-of 2026-11-20T06:00:00Z --format table

build: ## Static, stripped binary in bin/credaudit
	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o bin/credaudit ./lambda

fmt: ## gofmt every package
	go fmt ./...

lint: ## go vet, and fail if any file needs gofmt
	go vet ./...
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed on:" >&2; echo "$$out" >&2; exit 1; fi

clean: ## Remove build output, cdk.out, .venv and coverage files
	rm -rf bin cdk.out .venv coverage.out coverage.html

fuzz: ## Fuzz the credential report parser for 30s
	go test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./lambda/credreport
