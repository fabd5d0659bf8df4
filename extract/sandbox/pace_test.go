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

// The fake's own work is part of the latency, not added to it: a fake that
// takes 40 ms behind a 60 ms latency answers in 60 ms, not 100.
func TestLatencyCountsTheFakesOwnWork(t *testing.T) {
	srv := httptest.NewServer(Latency(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(40 * time.Millisecond)
		_, _ = w.Write([]byte("ok"))
	}), 60*time.Millisecond))
	defer srv.Close()
	var best time.Duration
	for i := range 5 {
		start := time.Now()
		resp, err := http.Get(srv.URL)
		require.NoError(t, err)
		_ = resp.Body.Close()
		if took := time.Since(start); i == 0 || took < best {
			best = took
		}
	}
	assert.GreaterOrEqual(t, best, 60*time.Millisecond)
	assert.Less(t, best, 95*time.Millisecond, "the fake's 40 ms are within the 60 ms latency")
}
