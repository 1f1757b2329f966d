package handler_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/credaudit/credaudit/lambda/internal/emulator"
)

// faultKind is what the proxy does to a matching request.
type faultKind int

const (
	throttle    faultKind = iota // answer 400 Throttling (query protocol) / 429 ThrottlingException (JSON)
	serverError                  // answer 500
	unavailable                  // answer 503 (S3 SlowDown)
	partial                      // BatchImportFindings: hold back Count findings and list them as FailedFindings with Code
)

var kindName = map[faultKind]string{throttle: "throttle", serverError: "500", unavailable: "503", partial: "partial failure"}

// fault is injected on the next Times requests for operation Op (and,
// unless Path is empty, to a URL path that ends with Path: an S3 key).
type fault struct {
	Op    string
	Path  string
	Kind  faultKind
	Times int
	// Count and Code shape a partial failure.
	Count int
	Code  string
	// Meanwhile, when set, runs before the request is forwarded, in place
	// of a fault (Kind is not used): what another caller does between
	// this caller's earlier requests and this one.
	Meanwhile func()
}

// faultProxy sits between the SDK and the emulator: it forwards every
// request and injects the scheduled faults, counting requests per
// operation (emulator.Call's Op).
type faultProxy struct {
	t   *testing.T
	url string

	mu      sync.Mutex
	faults  []*fault
	calls   map[string]int
	refused []string // finding IDs a partial fault held back
}

func newFaultProxy(t *testing.T) *faultProxy {
	t.Helper()
	p := &faultProxy{t: t, calls: map[string]int{}}
	p.url = (&emulator.Proxy{Hook: p.serve}).Start(t)
	return p
}

func (p *faultProxy) URL() string { return p.url }

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

func (p *faultProxy) take(c *emulator.Call) *fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[c.Op]++
	for _, f := range p.faults {
		if f.Op == c.Op && strings.HasSuffix(c.Request.URL.Path, f.Path) && f.Times > 0 {
			f.Times--
			return f
		}
	}
	return nil
}

// serve answers c with the first pending fault for its operation, or
// forwards it.
func (p *faultProxy) serve(w http.ResponseWriter, c *emulator.Call) {
	f := p.take(c)
	if f != nil && f.Meanwhile != nil {
		f.Meanwhile()
		f = nil
	}
	if f == nil {
		c.Forward(w, nil)
		return
	}
	switch f.Kind {
	case throttle:
		if c.Form != nil {
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
		p.partial(w, c, f)
	}
}

// partial forwards a BatchImportFindings call without its first f.Count
// findings and reports those as failed.
func (p *faultProxy) partial(w http.ResponseWriter, c *emulator.Call, f *fault) {
	var req map[string][]json.RawMessage
	if err := json.Unmarshal(c.Body, &req); err != nil {
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
	c.Body, _ = json.Marshal(req)
	c.Forward(w, func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var out struct {
			FailedCount    int
			SuccessCount   int
			FailedFindings []map[string]string
		}
		if err := json.Unmarshal(body, &out); err != nil {
			p.t.Errorf("fault proxy: BatchImportFindings response: %v", err)
		} else {
			out.FailedFindings = append(out.FailedFindings, failed...)
			out.FailedCount += len(failed)
			body, _ = json.Marshal(out)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	})
}
