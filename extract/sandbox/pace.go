package sandbox

import (
	"net/http"
	"sort"
	"sync"
	"time"
)

// Latency delays every answer by d, as a distant API would: with it a
// client that sends one request after another cannot reach its rate limit,
// so the fakes show whether requests overlap. Zero d returns next itself.
func Latency(next http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		next.ServeHTTP(w, r)
	})
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
