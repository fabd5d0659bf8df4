// Package sandbox holds what every fake vendor API shares: the scaffold
// around its handler (API: fault injection of 5xx, 429, stalls and
// truncated bodies, and the count and log of requests), its data's anchor
// and clock, and starting a fake on loopback for tests and `etl demo`. A
// fake keeps only what its vendor does its own way: auth, routes, errors.
package sandbox

import (
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Faults decides, request by request, whether to misbehave. Rates are
// probabilities in [0, 1]; the zero value never fails. Safe for concurrent use
// and changeable while the server runs.
type Faults struct {
	mu sync.Mutex
	// Status5xx answers 500/502/503/504 at random.
	Status5xx float64
	// Status429 answers 429, half the time with Retry-After: 1.
	Status429 float64
	// Truncate sends a Content-Length longer than the body and cuts the
	// connection after half of it.
	Truncate float64
	// Stall waits StallFor before answering (beyond a client's timeout).
	Stall    float64
	StallFor time.Duration
	// FailNext forces the next n requests to fail with this status (tests).
	failNext   int
	failStatus int
	rng        *rand.Rand

	Injected atomic.Int64
}

// NewFaults returns a deterministic injector.
func NewFaults(seed int64) *Faults {
	return &Faults{rng: rand.New(rand.NewSource(seed)), StallFor: 3 * time.Second}
}

// SetRates switches faults on or off while the server runs.
func (f *Faults) SetRates(status5xx, status429, truncate, stall float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Status5xx, f.Status429, f.Truncate, f.Stall = status5xx, status429, truncate, stall
}

// FailNext makes the next n requests answer status.
func (f *Faults) FailNext(n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext, f.failStatus = n, status
}

type fault int

const (
	none fault = iota
	fail5xx
	fail429
	truncate
	stall
	forced
)

func (f *Faults) pick() (fault, int) {
	if f == nil {
		return none, 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext > 0 {
		f.failNext--
		return forced, f.failStatus
	}
	if f.rng == nil {
		f.rng = rand.New(rand.NewSource(1))
	}
	r := f.rng.Float64()
	for _, c := range []struct {
		p float64
		k fault
	}{{f.Status5xx, fail5xx}, {f.Status429, fail429}, {f.Truncate, truncate}, {f.Stall, stall}} {
		if r < c.p {
			return c.k, f.rng.Intn(4)
		}
		r -= c.p
	}
	return none, 0
}

// Wrap puts the injector in front of a fake's handler. errorBody renders the
// vendor's own error shape so clients see what the real API would send.
func (f *Faults) Wrap(next http.Handler, errorBody func(status int, msg string) []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind, n := f.pick()
		if kind != none {
			f.Injected.Add(1)
		}
		switch kind {
		case forced:
			writeError(w, n, errorBody)
			return
		case fail5xx:
			writeError(w, []int{500, 502, 503, 504}[n], errorBody)
			return
		case fail429:
			if n%2 == 0 {
				w.Header().Set("Retry-After", "1")
			}
			writeError(w, http.StatusTooManyRequests, errorBody)
			return
		case stall:
			select {
			case <-time.After(f.StallFor):
			case <-r.Context().Done():
				return
			}
		case truncate:
			rec := &recorder{header: http.Header{}, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			cut(w, rec)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeError(w http.ResponseWriter, status int, errorBody func(int, string) []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if errorBody != nil {
		_, _ = w.Write(errorBody(status, http.StatusText(status)))
	}
}

// recorder buffers a response so the truncation fault can cut it.
type recorder struct {
	header http.Header
	status int
	body   []byte
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(s int)           { r.status = s }
func (r *recorder) Write(p []byte) (int, error) { r.body = append(r.body, p...); return len(p), nil }

func cut(w http.ResponseWriter, rec *recorder) {
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(rec.body)))
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body[:len(rec.body)/2])
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
		}
	}
}

// Server is a fake API listening on loopback.
type Server struct {
	URL string
	srv *http.Server
	ln  net.Listener
}

// Start serves h on 127.0.0.1 on a free port.
func Start(h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen on loopback: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server at once.
func (s *Server) Close() error { return s.srv.Close() }

// Spread fails the given share of requests, evenly over the kinds a client
// retries: 5xx, 429 (with and without Retry-After) and truncated bodies.
// Stalls stay off: they only fail a client whose timeout is shorter.
func (f *Faults) Spread(share float64) {
	if share <= 0 {
		return
	}
	f.SetRates(share/3, share/3, share/3, 0)
}
