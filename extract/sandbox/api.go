package sandbox

import (
	"net/http"
	"sync"
	"time"
)

// API is what every fake puts around its own handler, embedded in its
// Fake: Faults in front of it, and a count and a log of the requests
// received, faulted ones included, for tests to assert how many calls an
// extractor made.
type API struct {
	// Faults sits in front of the API; switch it on to test retries.
	Faults *Faults

	handler  http.Handler
	key      func(*http.Request) string
	requests Counter
	mu       sync.Mutex
	log      []string
}

// NewAPI puts Faults seeded with seed in front of serve. errorBody renders
// the vendor's own error shape for an injected failure, so clients see
// what the real API would send; key names the endpoint a request counts
// under (nil: its path).
func NewAPI(seed int64, serve http.HandlerFunc, errorBody func(status int, msg string) []byte, key func(*http.Request) string) *API {
	if key == nil {
		key = func(r *http.Request) string { return r.URL.Path }
	}
	a := &API{Faults: NewFaults(seed), key: key}
	a.handler = a.Faults.Wrap(serve, errorBody)
	return a
}

// ServeHTTP counts the request, lets Faults misbehave, then answers.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.requests.Inc(a.key(r))
	a.mu.Lock()
	a.log = append(a.log, r.Method+" "+r.URL.RequestURI())
	a.mu.Unlock()
	a.handler.ServeHTTP(w, r)
}

// Requests returns how many requests counted under key (the fake's doc
// says what its keys are), faulted ones included.
func (a *API) Requests(key string) int { return a.requests.Get(key) }

// TotalRequests counts every request received.
func (a *API) TotalRequests() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.log)
}

// RequestLog lists "METHOD /path?query" for every request received.
func (a *API) RequestLog() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.log...)
}

// ResetRequests clears the counts and the log.
func (a *API) ResetRequests() {
	a.requests.Reset()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log = nil
}

// Anchor is the instant a fake generates its data up to: now in UTC,
// truncated to precision (what the API's timestamps carry), or the wall
// clock's when now is zero.
func Anchor(now time.Time, precision time.Duration) time.Time {
	if now.IsZero() {
		now = time.Now()
	}
	return now.UTC().Truncate(precision)
}

// Clock is a fake API's current time, for rules that depend on when a
// request arrives (token expiry, how far back the API serves): the test's
// clock when it sets one, else the data's anchor plus the wall time since
// the fake was built.
type Clock struct {
	anchor, started time.Time
	now             func() time.Time
}

// NewClock starts a Clock at anchor; now, when not nil, replaces it.
func NewClock(anchor time.Time, now func() time.Time) Clock {
	return Clock{anchor: anchor, started: time.Now(), now: now}
}

// Now is the API's current time.
func (c Clock) Now() time.Time {
	if c.now != nil {
		return c.now().UTC()
	}
	return c.anchor.Add(time.Since(c.started))
}
