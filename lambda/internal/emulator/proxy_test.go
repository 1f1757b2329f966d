package emulator

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestOperation(t *testing.T) {
	const (
		form  = "application/x-www-form-urlencoded; charset=utf-8"
		s3Key = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
	)
	for _, tc := range []struct {
		name, method, path, body string
		header                   map[string]string
		want                     string
	}{
		{"query protocol: the Action", "POST", "/", "Action=GetCredentialReport&Version=2010-05-08",
			map[string]string{"Content-Type": form}, "GetCredentialReport"},
		{"query protocol without an Action: method and path", "POST", "/", "Version=2010-05-08",
			map[string]string{"Content-Type": form}, "POST /"},
		{"an Action in a body that is not a form is not the operation", "POST", "/", "Action=GetCredentialReport", nil, "POST /"},
		{"JSON protocol: the last part of X-Amz-Target", "POST", "/", "{}",
			map[string]string{"X-Amz-Target": "AWSOrganizationsV20161128.ListAccounts"}, "ListAccounts"},
		{"Security Hub import", "POST", "/findings/import", "{}", nil, "BatchImportFindings"},
		{"Security Hub update", "PATCH", "/findings/batchupdate", "{}", nil, "BatchUpdateFindings"},
		{"Security Hub query", "POST", "/findings", "{}", nil, "GetFindings"},
		{"S3 GET", "GET", "/bucket/state/1.json.gz", "", map[string]string{"Authorization": s3Key}, "s3:GetObject"},
		{"S3 PUT", "PUT", "/bucket/state/1.json.gz", "{}", map[string]string{"Authorization": s3Key}, "s3:PutObject"},
		{"S3 other method", "HEAD", "/bucket", "", map[string]string{"Authorization": s3Key}, "s3:HEAD"},
		{"anything else: method and path", "GET", "/moto-api/", "", nil, "GET /moto-api/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, nil)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			if got := newCall(r, []byte(tc.body)).Op; got != tc.want {
				t.Errorf("operation = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestProxy sends calls through a proxy in front of a stand-in for moto,
// whose hook answers one call itself and passes the others on, one with
// another body, each answer marked with the call's operation.
func TestProxy(t *testing.T) {
	moto := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		io.WriteString(w, "moto: "+r.PostForm.Get("Action")+" "+r.PostForm.Get("RoleArn"))
	}))
	t.Cleanup(moto.Close)
	t.Setenv("AWS_ENDPOINT_URL", moto.URL)
	p := &Proxy{Hook: func(w http.ResponseWriter, c *Call) {
		switch c.Form.Get("RoleArn") {
		case "refused":
			http.Error(w, "AccessDenied", http.StatusForbidden)
			return
		case "renamed":
			c.Body = []byte("Action=AssumeRole&RoleArn=other")
		}
		c.Forward(w, func(resp *http.Response) error {
			resp.Header.Set("X-Op", c.Op)
			return nil
		})
	}}
	addr := p.Start(t)
	for _, tc := range []struct{ role, want, op string }{
		{"passed", "moto: AssumeRole passed", "AssumeRole"},
		{"renamed", "moto: AssumeRole other", "AssumeRole"},
		{"refused", "AccessDenied\n", ""},
	} {
		resp, err := http.Post(addr, "application/x-www-form-urlencoded", strings.NewReader("Action=AssumeRole&RoleArn="+tc.role))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(got) != tc.want || resp.Header.Get("X-Op") != tc.op {
			t.Errorf("role %s: %q, X-Op %q (err %v); want %q, X-Op %q", tc.role, got, resp.Header.Get("X-Op"), err, tc.want, tc.op)
		}
	}
}
