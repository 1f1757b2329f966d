package handler_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// faultKind is what the proxy does to a matching request.
type faultKind int

const (
	throttle    faultKind = iota // answer 400 Throttling (query protocol) / 429 ThrottlingException (JSON)
	serverError                  // answer 500
	unavailable                  // answer 503 (S3 SlowDown)
	partial                      // BatchImportFindings: hold back Count findings and list them as FailedFindings with Code
	denied                       // answer 403 AccessDenied (query protocol)
)

var kindName = map[faultKind]string{throttle: "throttle", serverError: "500", unavailable: "503", partial: "partial failure", denied: "access denied"}

// fault is injected on the next Times requests for operation Op.
type fault struct {
	Op    string
	Kind  faultKind
	Times int
	// Count and Code shape a partial failure.
	Count int
	Code  string
}

// faultProxy sits between the SDK and the emulator: it forwards every
// request and injects the scheduled faults, counting requests per
// operation.
type faultProxy struct {
	t      *testing.T
	target *url.URL
	srv    *httptest.Server

	mu       sync.Mutex
	faults   []*fault
	calls    map[string]int
	injected map[string]int
	refused  []string // finding IDs a partial fault held back
}

func newFaultProxy(t *testing.T) *faultProxy {
	t.Helper()
	target, err := url.Parse(os.Getenv("AWS_ENDPOINT_URL"))
	if err != nil || target.Host == "" {
		t.Fatalf("AWS_ENDPOINT_URL %q: %v", os.Getenv("AWS_ENDPOINT_URL"), err)
	}
	p := &faultProxy{t: t, target: target, calls: map[string]int{}, injected: map[string]int{}}
	p.srv = httptest.NewServer(p)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *faultProxy) URL() string { return p.srv.URL }

// inject schedules faults; they apply in order, each for its Times.
func (p *faultProxy) inject(fs ...fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range fs {
		p.faults = append(p.faults, &fs[i])
	}
}

// clear drops every pending fault.
func (p *faultProxy) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
}

func (p *faultProxy) count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

// operation names a request the way the faults do: the query-protocol
// Action (IAM, SNS, STS), or the REST operation for Security Hub and S3.
func operation(r *http.Request, body []byte) string {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			return v.Get("Action")
		}
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

func (p *faultProxy) take(op string) *fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[op]++
	for _, f := range p.faults {
		if f.Op == op && f.Times > 0 {
			f.Times--
			p.injected[op]++
			return f
		}
	}
	return nil
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	op := operation(r, body)
	f := p.take(op)
	if f == nil {
		p.forward(w, r, body, nil)
		return
	}
	switch f.Kind {
	case throttle:
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault</RequestId></ErrorResponse>`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", "ThrottlingException")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"message":"Rate exceeded"}`)
	case serverError:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", "InternalException")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"message":"injected internal error"}`)
	case unavailable:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
	case partial:
		p.partial(w, r, body, f)
	case denied:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole</Message></Error><RequestId>fault</RequestId></ErrorResponse>`)
	}
}

// partial forwards a BatchImportFindings request without its first
// f.Count findings and reports those as failed.
func (p *faultProxy) partial(w http.ResponseWriter, r *http.Request, body []byte, f *fault) {
	var req map[string][]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		p.t.Errorf("fault proxy: BatchImportFindings body: %v", err)
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	n := min(f.Count, len(req["Findings"]))
	held := req["Findings"][:n]
	req["Findings"] = req["Findings"][n:]
	var failed []map[string]string
	for _, raw := range held {
		var id struct{ Id string }
		json.Unmarshal(raw, &id)
		failed = append(failed, map[string]string{"Id": id.Id, "ErrorCode": f.Code, "ErrorMessage": "injected by the fault proxy"})
		p.mu.Lock()
		p.refused = append(p.refused, id.Id)
		p.mu.Unlock()
	}
	forwarded, _ := json.Marshal(req)
	p.forward(w, r, forwarded, func(resp []byte) []byte {
		var out struct {
			FailedCount    int
			SuccessCount   int
			FailedFindings []map[string]string
		}
		if err := json.Unmarshal(resp, &out); err != nil {
			p.t.Errorf("fault proxy: BatchImportFindings response: %v", err)
			return resp
		}
		out.FailedFindings = append(out.FailedFindings, failed...)
		out.FailedCount += len(failed)
		b, _ := json.Marshal(out)
		return b
	})
}

// forward sends the request to the emulator, rewriting the response body
// with edit when it is set.
func (p *faultProxy) forward(w http.ResponseWriter, r *http.Request, body []byte, edit func([]byte) []byte) {
	u := *p.target
	u.Path = r.URL.Path
	u.RawPath = r.URL.RawPath
	u.RawQuery = r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	req.ContentLength = int64(len(body))
	req.Host = r.Host
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if edit != nil {
		out = edit(out)
	}
	for k, vs := range resp.Header {
		if k == "Content-Length" {
			continue
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(resp.StatusCode)
	w.Write(out)
}
