package whatfix

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inFlight answers after a delay, as a distant API does, and records the
// most requests it had open at once.
type inFlight struct {
	open, peak atomic.Int64
	mu         sync.Mutex
}

func (f *inFlight) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.open.Add(1)
		defer f.open.Add(-1)
		f.mu.Lock()
		if n > f.peak.Load() {
			f.peak.Store(n)
		}
		f.mu.Unlock()
		time.Sleep(40 * time.Millisecond)
		next.ServeHTTP(w, r)
	})
}

// Each day of a daily analytics stream or of a report without flows is a
// request of its own: they overlap (within flow_concurrency), so a rate
// limit is not left idle while each answer travels.
func TestDaysAreRequestedAtOnce(t *testing.T) {
	for _, name := range []string{"flow_analytics", "report_most_popular_flows"} {
		t.Run(name, func(t *testing.T) {
			var f inFlight
			fx := newFixture(t, f.wrap)
			fx.cfg.Reports = []ReportConfig{{Name: "summary/mostPopularFlows", Format: "csv"}}
			fx.cfg.FlowConcurrency = 3
			rec, err := run(t, fx.stream(t, name), days("2026-03-01", "2026-03-06"))
			require.NoError(t, err)
			assert.NotEmpty(t, rec.Rows("whatfix_"+name))
			assert.Equal(t, int64(3), f.peak.Load(), "six days, three at a time")
		})
	}
}
