package httpclient

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock records sleeps instead of sleeping, so tests can assert a
// 30-second Retry-After was honoured in microseconds.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	return nil
}

func (f *fakeClock) slept() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

func (f *fakeClock) total() time.Duration {
	var t time.Duration
	for _, d := range f.slept() {
		t += d
	}
	return t
}

// newTestClient builds a client with a fake clock and worst-case (maximum)
// jitter so backoff waits are deterministic.
func newTestClient(t testing.TB, cfg Config) (*Client, *fakeClock) {
	t.Helper()
	c, err := New(cfg)
	require.NoError(t, err)
	clk := newFakeClock()
	c.clock = clk
	c.jitter = func(max time.Duration) time.Duration { return max }
	return c, clk
}

// route is one endpoint of a test server; it answers hit n (0-based) with
// steps[n], repeating the last step once they run out.
type route struct {
	steps []http.HandlerFunc
	hits  atomic.Int64
}

func (r *route) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	n := int(r.hits.Add(1)) - 1
	r.steps[min(n, len(r.steps)-1)](w, req)
}

// newServer serves routes keyed "METHOD /path". Any other request fails the
// test loudly and gets a non-retryable status, so a wrong URL cannot hide
// behind retries.
func newServer(t testing.TB, routes map[string]*route) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := routes[r.Method+" "+r.URL.Path]
		if !ok {
			t.Errorf("test server: unexpected request %s %s", r.Method, r.URL)
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		rt.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func steps(s ...http.HandlerFunc) *route { return &route{steps: s} }

func okJSON(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, body)
	}
}

func status(code int, body string, kv ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(kv); i += 2 {
			w.Header().Set(kv[i], kv[i+1])
		}
		w.WriteHeader(code)
		_, _ = fmt.Fprint(w, body)
	}
}

// stall holds the response until the client gives up on it.
func stall(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

// truncated promises a body of declared bytes, sends partial, and drops the
// connection.
func truncated(declared int, partial string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			// Non-retryable, so the test fails instead of retrying past it.
			http.Error(w, "hijack: "+err.Error(), http.StatusTeapot)
			return
		}
		defer conn.Close()
		_, _ = fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", declared, partial)
		_ = buf.Flush()
	}
}

// reset aborts the connection with a TCP RST instead of answering.
func reset(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		http.Error(w, "hijack: "+err.Error(), http.StatusTeapot)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
