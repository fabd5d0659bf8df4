package bot

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/bot/botfake"
)

// inFlight answers after a delay, as a distant API does, and records the
// most requests to each path it had open at once.
type inFlight struct {
	mu   sync.Mutex
	open map[string]int
	peak map[string]int
}

func (f *inFlight) wrap(next http.Handler) http.Handler {
	f.open, f.peak = map[string]int{}, map[string]int{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.open[r.URL.Path]++
		f.peak[r.URL.Path] = max(f.peak[r.URL.Path], f.open[r.URL.Path])
		f.mu.Unlock()
		defer func() {
			f.mu.Lock()
			f.open[r.URL.Path]--
			f.mu.Unlock()
		}()
		time.Sleep(40 * time.Millisecond)
		next.ServeHTTP(w, r)
	})
}

func (f *inFlight) peakOf(suffix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for p, n := range f.peak {
		if strings.HasSuffix(p, suffix) {
			return n
		}
	}
	return 0
}

// The channels' user lists and the usage of each month and channel are
// requests of their own: they overlap, and the rows still come out in
// month and channel order.
func TestChannelsAreRequestedAtOnceAndEmittedInOrder(t *testing.T) {
	var f inFlight
	h := newWrappedHarness(t, botfake.Options{}, func(c *Config) { c.UserConcurrency = 4 }, f.wrap)
	rec, err := h.run(t, StreamUsage, lastDays(40))
	require.NoError(t, err)
	assert.Equal(t, 4, f.peakOf(strings.TrimPrefix(h.cfg.Paths.Usage, "/")), "usage: four channels at once")
	rows := rec.Values(TableUsage)
	require.Len(t, rows, len(lastDays(40).Months())*len(h.cfg.Channels))
	for i, r := range rows {
		assert.Equal(t, h.cfg.Channels[i%len(h.cfg.Channels)], r["channel_id"], "row %d in month and channel order", i)
	}

	_, err = h.run(t, StreamTranscripts, lastDays(3))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, f.peakOf(strings.TrimPrefix(h.cfg.Paths.Users, "/")), 2, "user lists: channels at once")
}
