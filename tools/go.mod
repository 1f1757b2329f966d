// This module holds no Go code. It fences off tools/node_modules (the
// npm-installed CDK CLI ships Go template files) from the main module, so
// that `go vet ./...` and `go test ./...` do not descend into it.
module github.com/credaudit/credaudit/tools

go 1.26.0
