package sandbox

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every request is counted under its key and logged, faulted ones
// included, and an injected failure carries the vendor's error body.
func TestAPICountsLogsAndFaultsEveryRequest(t *testing.T) {
	for _, tt := range []struct {
		name string
		key  func(*http.Request) string
		want map[string]int
	}{
		{"by path", nil, map[string]int{"/users": 2, "/users/7/conversation": 1}},
		{"by the fake's key", func(r *http.Request) string {
			if strings.HasSuffix(r.URL.Path, "/conversation") {
				return "conversation"
			}
			return "users"
		}, map[string]int{"users": 2, "conversation": 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := NewAPI(1, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") },
				func(status int, msg string) []byte { return []byte(`{"vendor_error":"` + msg + `"}`) }, tt.key)
			api.Faults.FailNext(1, http.StatusBadGateway)
			var bodies []string
			for _, target := range []string{"/users?page=1", "/users?page=2", "/users/7/conversation"} {
				rec := httptest.NewRecorder()
				api.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
				bodies = append(bodies, rec.Body.String())
			}
			assert.Equal(t, []string{`{"vendor_error":"Bad Gateway"}`, "ok", "ok"}, bodies)
			for k, n := range tt.want {
				assert.Equal(t, n, api.Requests(k), k)
			}
			assert.Equal(t, []string{"GET /users?page=1", "GET /users?page=2", "GET /users/7/conversation"}, api.RequestLog())
			assert.Equal(t, 3, api.TotalRequests())

			api.ResetRequests()
			assert.Empty(t, api.RequestLog())
			for k := range tt.want {
				assert.Zero(t, api.Requests(k), k)
			}
		})
	}
}

func TestClockIsTheTestsOrTheAnchorMovingOn(t *testing.T) {
	anchor := Anchor(time.Date(2026, 11, 20, 15, 30, 0, 123_456_789, time.FixedZone("CET", 3600)), time.Millisecond)
	require.Equal(t, time.Date(2026, 11, 20, 14, 30, 0, 123_000_000, time.UTC), anchor, "UTC, truncated")

	fixed := time.Date(2027, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	assert.Equal(t, fixed.UTC(), NewClock(anchor, func() time.Time { return fixed }).Now(), "the test's clock, in UTC")

	now := NewClock(anchor, nil).Now()
	assert.False(t, now.Before(anchor), "the anchor plus the time since the fake started")
	assert.Less(t, now.Sub(anchor), time.Minute)
	assert.WithinDuration(t, time.Now().UTC(), Anchor(time.Time{}, time.Second), 2*time.Second, "no anchor: now")
}
