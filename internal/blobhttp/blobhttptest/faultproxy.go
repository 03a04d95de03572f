package blobhttptest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// Fault is the error answer a FaultProxy gives.
type Fault struct {
	Status      int
	ContentType string
	Body        string
}

// FaultProxy forwards requests to a server, except that it gives its
// Fault to the requests fail picks (before forwarding them); it counts
// the requests by kind.
type FaultProxy struct {
	// URL is the proxy's base URL.
	URL string

	fault Fault
	fail  func(*http.Request) bool
	kind  func(*http.Request) string

	mu    sync.Mutex
	count map[string]int
}

// StartFaultProxy starts a FaultProxy to target, closed when the test
// ends. kind names a request for Requests; nil counts by method.
func StartFaultProxy(tb testing.TB, target string, fault Fault, kind func(*http.Request) string, fail func(*http.Request) bool) *FaultProxy {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	if kind == nil {
		kind = func(r *http.Request) string { return r.Method }
	}
	p := &FaultProxy{fault: fault, fail: fail, kind: kind, count: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	s := httptest.NewServer(http.HandlerFunc(p.serve(rp)))
	tb.Cleanup(s.Close)
	p.URL = s.URL
	return p
}

func (p *FaultProxy) serve(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.count[p.kind(r)]++
		bad := p.fail(r)
		p.mu.Unlock()
		if !bad {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", p.fault.ContentType)
		w.WriteHeader(p.fault.Status)
		_, _ = io.WriteString(w, p.fault.Body)
	}
}

// Requests returns how many requests of kind the proxy received.
func (p *FaultProxy) Requests(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count[kind]
}
