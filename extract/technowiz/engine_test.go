package technowiz

import (
	"context"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/technowiz/technowizfake"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

type countingSink struct {
	mu   sync.Mutex
	rows map[string]int64
}

func (s *countingSink) Begin(_ context.Context, t *schemas.Table, _ window.Window, _, _ string) (load.Writer, error) {
	return &countingWriter{sink: s, table: t.Name}, nil
}
func (s *countingSink) Name() string { return "counting" }
func (s *countingSink) Close() error { return nil }

type countingWriter struct {
	sink  *countingSink
	table string
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
	return nil
}
func (w *countingWriter) Abort(context.Context) error { return nil }

// Through the engine: an unknown user becomes one row of the rejects table,
// the stream still succeeds and every other message is loaded.
func TestEngineLoadsTheOthersWhenOneUserIsUnknown(t *testing.T) {
	h := newHarness(t, technowizfake.Options{}, nil, nil)
	users := h.fake.UsersMatching(technowizfake.DemoFilters...)
	h.fake.MarkUnknown(users[0].ID)
	w := lastDays(30)
	want := int64(0)
	for _, u := range users[1:] {
		for _, m := range u.Messages {
			if w.Contains(m.Timestamp) {
				want++
			}
		}
	}
	sink := &countingSink{rows: map[string]int64{}}
	res := engine.NewRunner(engine.Options{Sink: sink, RunID: "r1"}).Run(context.Background(), h.streams[StreamMessages], w)
	require.NoError(t, res.Err)
	assert.Equal(t, engine.StatusOK, res.Status)
	assert.Equal(t, int64(1), res.Rejects)
	assert.Equal(t, int64(1), sink.rows[schemas.Rejects.Name])
	assert.Equal(t, want, sink.rows[TableMessages])
	require.Len(t, res.Notices, 1)
	assert.Contains(t, res.Notices[0], "unknown to the conversation API (1002)")
}
