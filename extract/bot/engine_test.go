package bot

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/bot/botfake"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// countingSink counts committed rows per table and remembers the windows.
type countingSink struct {
	mu      sync.Mutex
	rows    map[string]int64
	windows map[string]window.Window
}

func (s *countingSink) Begin(_ context.Context, t *schemas.Table, w window.Window, _, _ string) (load.Writer, error) {
	return &countingWriter{sink: s, table: t.Name, w: w}, nil
}
func (s *countingSink) Name() string { return "counting" }
func (s *countingSink) Close() error { return nil }

type countingWriter struct {
	sink  *countingSink
	table string
	w     window.Window
	n     int64
}

func (w *countingWriter) Write(_ context.Context, rec arrow.Record) error {
	w.n += rec.NumRows()
	return nil
}

func (w *countingWriter) Commit(context.Context) error {
	w.sink.mu.Lock()
	defer w.sink.mu.Unlock()
	w.sink.rows[w.table] += w.n
	w.sink.windows[w.table] = w.w
	return nil
}
func (w *countingWriter) Abort(context.Context) error { return nil }

// A backfill reaching past the 3-month limit: the engine clips the window
// to what the stream declares, says so once, and the rest loads.
func TestEngineClipsTranscriptsToTheThreeMonthLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, nil)
	sink := &countingSink{rows: map[string]int64{}, windows: map[string]window.Window{}}
	r := engine.NewRunner(engine.Options{Sink: sink, RunID: "r1", Now: h.clock.Now})
	day := window.Floor(fakeNow)
	res := r.Run(context.Background(), h.streams[StreamTranscripts], window.New(day.AddDate(0, -4, 0), day))
	require.NoError(t, res.Err)
	assert.Equal(t, engine.StatusOK, res.Status)
	require.Len(t, res.Notices, 1)
	assert.Contains(t, res.Notices[0], "bot transcripts: the API serves nothing before")
	assert.True(t, res.Window.Start.After(h.fake.Earliest()))
	assert.Positive(t, sink.rows[TableMessages])
	assert.Positive(t, sink.rows[TableCustomFields])
	assert.Zero(t, res.Rejects)
}

func TestEngineWidensUsageToWholeMonths(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, nil)
	sink := &countingSink{rows: map[string]int64{}, windows: map[string]window.Window{}}
	r := engine.NewRunner(engine.Options{Sink: sink, RunID: "r1", Now: h.clock.Now})
	res := r.Run(context.Background(), h.streams[StreamUsage],
		window.New(time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, res.Err)
	assert.Equal(t, int64(8), sink.rows[TableUsage])
	assert.Equal(t, window.New(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)), sink.windows[TableUsage],
		"the load replaces the months it extracted")
}
