//go:build linux

package parquet

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// On Linux a day directory is exchanged in one renameat2 call: a reader
// never finds the day missing while another stream's rerun replaces it.
func TestReadersAlwaysFindTheDayDuringReplaces(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, Options{})
	w := days("2026-01-01", "2026-01-01")
	loadRows(t, s, daily, w, "other.stream", dailyRows("other", "2026-01-01"))
	loadRows(t, s, daily, w, "s.x", dailyRows("g0", "2026-01-01"))

	live := filepath.Join(dir, daily.Name, "dt=2026-01-01")
	var missing, polls atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := os.Stat(live); err != nil {
				missing.Add(1)
			}
			polls.Add(1)
		}
	}()
	for i := 0; i < 30; i++ {
		loadRows(t, s, daily, w, "s.x", dailyRows("g", "2026-01-01"))
	}
	close(stop)
	wg.Wait()
	require.Positive(t, polls.Load())
	assert.Zero(t, missing.Load(), "the day directory vanished during %d of %d polls", missing.Load(), polls.Load())
	assert.Equal(t, map[string][]string{"2026-01-01": {"g", "other"}}, gens(t, dir))
}
