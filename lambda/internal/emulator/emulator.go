// Package emulator connects tests to the moto server that `make test` starts
// (scripts/with-moto.sh exports AWS_ENDPOINT_URL and dummy credentials), in one
// place: the SDK reads AWS_ENDPOINT_URL itself, so production code needs no
// test hook. Tests that must see or change the calls put a Proxy in front of
// it.
package emulator

import (
	"context"
	"io"
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

// RefuseAssumeRole points the SDK (AWS_ENDPOINT_URL, for the rest of t) at
// a proxy to the emulator that answers STS AssumeRole of roleARN as AWS
// does when the role's trust policy refuses the caller; moto itself lets
// any role be assumed.
func RefuseAssumeRole(t testing.TB, roleARN string) {
	t.Helper()
	p := &Proxy{Hook: func(w http.ResponseWriter, c *Call) {
		if c.Op != "AssumeRole" || c.Form.Get("RoleArn") != roleARN {
			c.Forward(w, nil)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>`+
			`<Message>User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: sts:AssumeRole on resource: `+roleARN+`</Message></Error>`+
			`<RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>`)
	}}
	t.Setenv("AWS_ENDPOINT_URL", p.Start(t))
}
