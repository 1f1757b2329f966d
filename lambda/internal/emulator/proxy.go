package emulator

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
)

// Proxy is a reverse proxy in front of the emulator, for tests that must see
// or change the API calls the code under test makes: moto cannot be told to
// throttle, to refuse a role or to count. It reads each request's body once,
// names its operation, and hands it to Hook.
type Proxy struct {
	// Hook handles every call: it answers it itself by writing to w (an
	// injected fault, a refusal), or passes it on with c.Forward.
	Hook func(w http.ResponseWriter, c *Call)
	// Transport carries the calls passed on; nil is http.DefaultTransport.
	Transport http.RoundTripper
}

// Call is one API call through a Proxy.
type Call struct {
	// Request is the client's request; its body is already read into Body.
	Request *http.Request
	// Op names the operation, the same way for every test (see operation).
	Op string
	// Body is the request's body. Forward sends Body, so a hook may change
	// it first.
	Body []byte
	// Form holds a query-protocol call's parameters (IAM, STS, SNS); it is
	// nil for the other protocols.
	Form url.Values

	target    *url.URL
	transport http.RoundTripper
}

// Start serves p until t ends and returns its URL. It forwards to the
// endpoint the SDK uses now (AWS_ENDPOINT_URL): moto, or another proxy in
// front of it, whose hook then sees the calls too.
func (p *Proxy) Start(t testing.TB) string {
	t.Helper()
	target, err := url.Parse(os.Getenv("AWS_ENDPOINT_URL"))
	if err != nil || target.Host == "" {
		t.Fatalf("AWS_ENDPOINT_URL %q: %v", os.Getenv("AWS_ENDPOINT_URL"), err)
	}
	hook, transport := p.Hook, p.Transport
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		c := newCall(r, body)
		c.target, c.transport = target, transport
		hook(w, c)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// newCall is the call of r, whose body was body.
func newCall(r *http.Request, body []byte) *Call {
	c := &Call{Request: r, Body: body}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		c.Form, _ = url.ParseQuery(string(body))
	}
	c.Op = operation(r, c.Form)
	return c
}

// Forward passes the call on with Body and copies the answer to w. modify,
// unless nil, sees the answer first and may change it, as
// httputil.ReverseProxy's ModifyResponse.
func (c *Call) Forward(w http.ResponseWriter, modify func(*http.Response) error) {
	c.Request.Body = io.NopCloser(bytes.NewReader(c.Body))
	c.Request.ContentLength = int64(len(c.Body))
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(c.target)
			r.Out.Host = r.In.Host
		},
		Transport:      c.transport,
		ModifyResponse: modify,
	}
	proxy.ServeHTTP(w, c.Request)
}

// operation names the call of r, whose query-protocol parameters are form:
// the query protocol's Action (IAM, STS, SNS); for JSON protocols
// (Organizations) the operation in X-Amz-Target; Security Hub's operation
// by its REST path; for S3 "s3:" and the operation, or the method where it
// is not a GET or PUT; otherwise the method and path.
func operation(r *http.Request, form url.Values) string {
	if action := form.Get("Action"); action != "" {
		return action
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return target[strings.LastIndex(target, ".")+1:] // "AWSOrganizationsV20161128.ListAccounts"
	}
	switch {
	case r.URL.Path == "/findings/import":
		return "BatchImportFindings"
	case r.URL.Path == "/findings/batchupdate":
		return "BatchUpdateFindings"
	case r.URL.Path == "/findings":
		return "GetFindings"
	case strings.Contains(r.Header.Get("Authorization"), "/s3/aws4_request"):
		switch r.Method {
		case http.MethodGet:
			return "s3:GetObject"
		case http.MethodPut:
			return "s3:PutObject"
		}
		return "s3:" + r.Method
	}
	return r.Method + " " + r.URL.Path
}
