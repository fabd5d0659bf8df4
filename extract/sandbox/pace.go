package sandbox

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Latency makes every answer take d from the request's arrival, as a
// distant API's would: with it a client that sends one request after another
// cannot reach its rate limit, so the fakes show whether requests overlap.
// The fake's own work counts within d (it runs on the same machine as the
// client, which a real API does not): the answer is held until d has
// passed, then streamed as the fake writes it. Zero d returns next itself.
func Latency(next http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dw := &delayedWriter{ResponseWriter: w, until: time.Now().Add(d), done: r.Context().Done()}
		next.ServeHTTP(dw, r)
		dw.wait()
	})
}

// delayedWriter holds the first byte of an answer until its time.
type delayedWriter struct {
	http.ResponseWriter
	until  time.Time
	done   <-chan struct{}
	waited bool
}

func (d *delayedWriter) wait() {
	if d.waited {
		return
	}
	d.waited = true
	t := time.NewTimer(time.Until(d.until))
	defer t.Stop()
	select {
	case <-t.C:
	case <-d.done:
	}
}

func (d *delayedWriter) WriteHeader(code int) {
	d.wait()
	d.ResponseWriter.WriteHeader(code)
}

func (d *delayedWriter) Write(p []byte) (int, error) {
	d.wait()
	return d.ResponseWriter.Write(p)
}

// Flush and Hijack reach the real writer (the truncation fault hijacks).
func (d *delayedWriter) Flush() {
	d.wait()
	if f, ok := d.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (d *delayedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	d.wait()
	h, ok := d.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("sandbox: the response writer cannot be hijacked")
	}
	return h.Hijack()
}

// Meter records when each request arrived and how it was answered, to
// measure the rate a client achieved and whether it came in bursts.
type Meter struct {
	mu       sync.Mutex
	arrivals []time.Time
	statuses []int
}

// Wrap puts the meter in front of next.
func (m *Meter) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.mu.Lock()
		m.arrivals = append(m.arrivals, at)
		m.statuses = append(m.statuses, sw.status)
		m.mu.Unlock()
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(p)
}

// Flush and Hijack reach the real writer (the truncation fault hijacks).
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("sandbox: the response writer cannot be hijacked")
	}
	return h.Hijack()
}

// Unwrap lets http.ResponseController find the real writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Reading is what a Meter saw between two instants.
type Reading struct {
	Requests int
	Seconds  float64
	// PerSecond is Requests / Seconds.
	PerSecond float64
	// MaxInSecond is the most requests that arrived within any one second.
	MaxInSecond int
	// Throttled counts 429 answers.
	Throttled int
}

// Read measures the requests that arrived in [from, to).
func (m *Meter) Read(from, to time.Time) Reading {
	m.mu.Lock()
	var at []time.Time
	var r Reading
	for i, a := range m.arrivals {
		if !a.Before(from) && a.Before(to) {
			at = append(at, a)
			if m.statuses[i] == http.StatusTooManyRequests {
				r.Throttled++
			}
		}
	}
	m.mu.Unlock()
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	r.Requests, r.Seconds = len(at), to.Sub(from).Seconds()
	if r.Seconds > 0 {
		r.PerSecond = float64(r.Requests) / r.Seconds
	}
	j := 0
	for i := range at {
		for at[i].Sub(at[j]) >= time.Second {
			j++
		}
		r.MaxInSecond = max(r.MaxInSecond, i-j+1)
	}
	return r
}

// First is when the first request arrived (zero before any).
func (m *Meter) First() time.Time {
	first, _ := m.Span()
	return first
}

// Span is when the first and the last request arrived (zero before any).
func (m *Meter) Span() (first, last time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, a := range m.arrivals {
		if i == 0 || a.Before(first) {
			first = a
		}
		if a.After(last) {
			last = a
		}
	}
	return first, last
}
