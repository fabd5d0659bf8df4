package sandbox

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLatencyDelaysAndMeterCountsRateBurstsAnd429s(t *testing.T) {
	var m Meter
	n := 0
	srv := httptest.NewServer(m.Wrap(Latency(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		if n%3 == 0 {
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}), 30*time.Millisecond)))
	defer srv.Close()
	start := time.Now()
	for range 6 {
		resp, err := http.Get(srv.URL)
		require.NoError(t, err)
		_ = resp.Body.Close()
	}
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, 6*30*time.Millisecond, "every answer waits the latency")
	r := m.Read(start, start.Add(2*time.Second))
	assert.Equal(t, 6, r.Requests)
	assert.Equal(t, 6, r.MaxInSecond)
	assert.Equal(t, 2, r.Throttled)
	assert.InDelta(t, 3.0, r.PerSecond, 0.01)
	assert.Equal(t, 0, m.Read(start.Add(time.Hour), start.Add(2*time.Hour)).Requests)
}
