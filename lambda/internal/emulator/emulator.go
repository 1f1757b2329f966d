// Package emulator connects tests to the moto server that `make test` starts
// (scripts/with-moto.sh exports AWS_ENDPOINT_URL and dummy credentials), in one
// place: the SDK reads AWS_ENDPOINT_URL itself, so production code needs no
// test hook.
package emulator

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Config returns an AWS configuration pointed at the emulator. Without one the
// test fails when CI is set (a suite must not pass by skipping) and is skipped
// elsewhere.
func Config(t testing.TB) aws.Config {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("AWS_ENDPOINT_URL is not set: the moto server is required in CI (run make test)")
		}
		t.Skip("moto not running; run make test")
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatalf("load AWS config: %v", err)
	}
	return cfg
}

// Reset wipes the emulator's state. Every package's tests share one server
// (make test runs packages one at a time), so only tests that need an empty
// account — the credential report covers every user — may call it.
func Reset(t testing.TB) {
	t.Helper()
	url := os.Getenv("CREDAUDIT_MOTO_URL")
	if url == "" {
		url = os.Getenv("AWS_ENDPOINT_URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(url, "/")+"/moto-api/reset", nil)
	if err != nil {
		t.Fatalf("moto reset request: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("reset moto at %s: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reset moto at %s: HTTP %s", url, resp.Status)
	}
}
