package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/load/loadtest"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// gatedSink's first Write of events waits until the extractor has emitted
// rows of the next batch (gate closed), or gives up after a while.
type gatedSink struct {
	*loadtest.Sink
	gate    chan struct{}
	failAll error
}

type gatedWriter struct {
	load.Writer
	s     *gatedSink
	table string
}

func (s *gatedSink) Begin(ctx context.Context, t *schemas.Table, w window.Window, stream, run string) (load.Writer, error) {
	wr, err := s.Sink.Begin(ctx, t, w, stream, run)
	return &gatedWriter{Writer: wr, s: s, table: t.Name}, err
}

func (w *gatedWriter) Write(ctx context.Context, rec arrow.Record) error {
	if w.table == events.Name {
		if w.s.failAll != nil {
			return w.s.failAll
		}
		select {
		case <-w.s.gate:
		case <-time.After(3 * time.Second):
			return errors.New("the extractor did not go on while a batch was written")
		}
	}
	return w.Writer.Write(ctx, rec)
}

func TestBatchesAreWrittenWhileTheExtractorGoesOn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sink := &gatedSink{Sink: loadtest.NewSink(), gate: make(chan struct{})}
	r := NewRunner(Options{Sink: sink, Allocator: mem, BatchRows: 2, RunID: "run-1"})
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	s := stream(func(ctx context.Context, w window.Window, out Emitter) error {
		for i := 0; i < 5; i++ {
			if err := out.Emit(ctx, "events", Row{Values: map[string]any{"id": fmt.Sprint(i), "value": i, "at": w.Start.Add(time.Duration(i) * time.Hour)}}); err != nil {
				return err
			}
			if i == 2 {
				// A row of the second batch is in: the first may finish.
				close(sink.gate)
			}
		}
		return nil
	})
	res := r.Run(context.Background(), s, w)
	require.NoError(t, res.Err)
	assert.Len(t, sink.Rows("events"), 5)
	assert.Equal(t, 3, sink.Writes("events"), "5 rows in batches of 2, in order")
	ids := []string{}
	for _, row := range sink.Rows("events") {
		ids = append(ids, row["id"].(string))
	}
	assert.Equal(t, []string{"0", "1", "2", "3", "4"}, ids, "batches reach the sink in the order they were cut")
}

func TestAFailedBackgroundWriteFailsTheWindowAndCommitsNothing(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sink := &gatedSink{Sink: loadtest.NewSink(), gate: make(chan struct{}), failAll: errors.New("disk full")}
	r := NewRunner(Options{Sink: sink, Allocator: mem, BatchRows: 2, RunID: "run-1"})
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	s := stream(func(ctx context.Context, w window.Window, out Emitter) error {
		for i := 0; i < 9; i++ {
			if err := out.Emit(ctx, "events", Row{Values: map[string]any{"id": fmt.Sprint(i), "value": i, "at": w.Start}}); err != nil {
				return err
			}
		}
		return nil
	})
	res := r.Run(context.Background(), s, w)
	require.Error(t, res.Err)
	assert.Contains(t, res.Err.Error(), "disk full")
	assert.Contains(t, res.Err.Error(), "write 2 rows to events")
	assert.Equal(t, StatusFailed, res.Status)
	assert.Empty(t, sink.Rows("events"), "nothing of the window is committed")
	assert.Contains(t, sink.Aborted(), "events")
}

// A row emitted with its source text as bytes keeps that text in its reject
// (the text is made only for rejected rows).
func TestARejectedRowCarriesItsRawJSON(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sink := loadtest.NewSink()
	r := NewRunner(Options{Sink: sink, Allocator: mem, BatchRows: 10, RunID: "run-1"})
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	raw := []byte(`{"id":"x","value":"lots"}`)
	s := stream(func(ctx context.Context, w window.Window, out Emitter) error {
		return out.Emit(ctx, "events", Row{RawJSON: raw, Where: "page 4", Values: map[string]any{"id": "x", "value": "lots", "at": w.Start}})
	})
	res := r.Run(context.Background(), s, w)
	require.NoError(t, res.Err)
	rejects := sink.Rows("etl_rejects")
	require.Len(t, rejects, 1)
	assert.Equal(t, `{"id":"x","value":"lots"}`, rejects[0]["raw"])
	assert.Equal(t, "page 4", rejects[0]["location"])
}
