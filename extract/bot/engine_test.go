package bot

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/bot/botfake"
	"github.com/adoptionlabs/etl/load/loadtest"
	"github.com/adoptionlabs/etl/window"
)

// A backfill reaching past the 3-month limit: the engine clips the window
// to what the stream declares, says so once, and the rest loads.
func TestEngineClipsTranscriptsToTheThreeMonthLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, nil)
	sink := loadtest.NewSink()
	r := engine.NewRunner(engine.Options{Sink: sink, RunID: "r1", Now: h.clock.Now})
	day := window.Floor(fakeNow)
	res := r.Run(context.Background(), h.streams[StreamTranscripts], window.New(day.AddDate(0, -4, 0), day))
	require.NoError(t, res.Err)
	assert.Equal(t, engine.StatusOK, res.Status)
	require.Len(t, res.Notices, 1)
	assert.Contains(t, res.Notices[0], "bot transcripts: the API serves nothing before")
	assert.True(t, res.Window.Start.After(h.fake.Earliest()))
	assert.Positive(t, sink.Count(TableMessages))
	assert.Positive(t, sink.Count(TableCustomFields))
	assert.Zero(t, res.Rejects)
}

func TestEngineWidensUsageToWholeMonths(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, nil)
	sink := loadtest.NewSink()
	r := engine.NewRunner(engine.Options{Sink: sink, RunID: "r1", Now: h.clock.Now})
	res := r.Run(context.Background(), h.streams[StreamUsage],
		window.New(time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, res.Err)
	assert.Equal(t, int64(8), sink.Count(TableUsage))
	assert.Equal(t, []window.Window{window.New(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))}, sink.Windows(TableUsage),
		"the load replaces the months it extracted")
}
