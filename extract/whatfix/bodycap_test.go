package whatfix

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	pqsink "github.com/adoptionlabs/etl/load/parquet"
)

// runEngine runs s over the window through the engine into a Parquet dir,
// so the error reads as the run summary shows it.
func runEngine(t *testing.T, s *engine.Stream, from, to string) engine.Result {
	t.Helper()
	sink, err := pqsink.New(t.TempDir(), pqsink.Options{Now: func() time.Time { return testNow }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sink.Close() })
	return engine.NewRunner(engine.Options{Sink: sink, RunID: "r1", Now: func() time.Time { return testNow }}).Run(context.Background(), s, days(from, to))
}

// A CSV field over max_field fails the download with the source, stream,
// window, report day, line and column, the cap and the setting to raise,
// and nothing of the window is committed.
func TestCSVFieldOverMaxFieldFailsTheDownload(t *testing.T) {
	huge := strings.Repeat("x", 2<<10)
	var downloads atomic.Int64
	serveCSV := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/reports/summary/mostPopularFlows") {
				downloads.Add(1)
				w.Header().Set("Content-Type", "text/csv")
				_, _ = w.Write([]byte("Flow Name,Views\r\nok,1\r\n\"" + huge + "\",2\r\n"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	fx := newFixture(t, serveCSV)
	fx.cfg.Reports = []ReportConfig{{Name: "summary/mostPopularFlows", Format: "csv"}}
	fx.cfg.MaxField = 1 << 10
	res := runEngine(t, fx.stream(t, "report_most_popular_flows"), "2026-03-01", "2026-03-01")
	require.Error(t, res.Err)
	assert.Equal(t, engine.StatusFailed, res.Status)
	for _, want := range []string{"whatfix report_most_popular_flows window 2026-03-01", "report summary/mostPopularFlows day 2026-03-01",
		"line 3 column 1", "longer than 1KiB", "raise max_field"} {
		assert.Contains(t, res.Err.Error(), want)
	}
	assert.EqualValues(t, 1, downloads.Load(), "not retried")

	fx.cfg.MaxField = 4 << 10
	res = runEngine(t, fx.stream(t, "report_most_popular_flows"), "2026-03-01", "2026-03-01")
	require.NoError(t, res.Err, "raising the cap is the fix the message gives")
	assert.EqualValues(t, 2, res.Rows)
}

// A JSON page over max_body fails that page, naming it and the setting.
func TestJSONPageOverMaxBodyFailsThePage(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.MaxBody = 1 << 10
	res := runEngine(t, fx.stream(t, "end_users"), "2026-03-01", "2026-03-01")
	require.Error(t, res.Err)
	for _, want := range []string{"whatfix end_users window 2026-03-01", "page 1", "GET /api/v1/", "over the max_body cap of 1KiB", "raise max_body"} {
		assert.Contains(t, res.Err.Error(), want)
	}
	assert.Equal(t, 1, fx.fake.TotalRequests(), "not retried")
}
