package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load/loadtest"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

// descending emits one row every 6 hours from the span's end down to its
// start, newest first, saying where the walk is before each; failAt, when
// set, fails the walk on reaching it.
func descending(calls *int, failAt time.Time) *Stream { return descendingRows(calls, failAt, false) }

// descendingRows is descending with its rows given by layout or as maps.
func descendingRows(calls *int, failAt time.Time, byLayout bool) *Stream {
	layout := transform.MustLayout(events, "id", "value", "at")
	s := stream(func(ctx context.Context, w window.Window, out Emitter) error {
		*calls++
		for at := w.End.Add(-6 * time.Hour); !at.Before(w.Start); at = at.Add(-6 * time.Hour) {
			if !failAt.IsZero() && !at.After(failAt) {
				return errors.New("page 7: GET /events: 500 after 6 attempts")
			}
			if err := At(ctx, out, at); err != nil {
				return err
			}
			row := Row{Values: map[string]any{"id": at.Format(time.RFC3339), "value": 1, "at": at}}
			if byLayout {
				row = Row{Layout: layout, Fields: []transform.Value{transform.Str(at.Format(time.RFC3339)), transform.Num(1), transform.Str(at.Format(time.RFC3339))}}
			}
			if err := out.Emit(ctx, "events", row); err != nil {
				return err
			}
		}
		return nil
	})
	s.DescendingWalk = true
	return s
}

func TestRunWalkCommitsEachChunkFromOneWalkAndSkipsCommittedOnes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sink := loadtest.NewSink()
	r := NewRunner(Options{Sink: sink, Allocator: mem})
	var calls int
	// 2026-11-03..04 was committed by an earlier run: it is not asked for.
	chunks := []window.Window{
		window.New(day("2026-11-01"), day("2026-11-03")),
		window.New(day("2026-11-04"), day("2026-11-06")),
	}
	var order []window.Window
	var rows []int
	r.RunWalk(context.Background(), descending(&calls, time.Time{}), chunks, func(w window.Window, res Result) {
		require.NoError(t, res.Err)
		assert.Equal(t, StatusOK, res.Status)
		order = append(order, w)
		rows = append(rows, int(res.Rows))
		// A chunk is committed before done hears of it, and the older one
		// is not yet.
		assert.Contains(t, sink.Windows("events"), w)
	})
	assert.Equal(t, 1, calls, "one walk for every chunk")
	assert.Equal(t, []window.Window{chunks[1], chunks[0]}, order, "newest chunk first, each once")
	assert.Equal(t, []int{8, 8}, rows, "each chunk gets its own rows")
	assert.Len(t, sink.Rows("events"), 16, "the committed day between them is read but not loaded again")
	for _, row := range sink.Rows("events") {
		at := row["at"].(time.Time)
		assert.False(t, window.New(day("2026-11-03"), day("2026-11-04")).Contains(at), "row %v of the committed chunk reloaded", at)
	}
}

func TestRunWalkFailureKeepsPassedChunksAndFailsTheRest(t *testing.T) {
	sink := loadtest.NewSink()
	r := NewRunner(Options{Sink: sink})
	var calls int
	chunks := []window.Window{
		window.New(day("2026-11-01"), day("2026-11-02")),
		window.New(day("2026-11-02"), day("2026-11-03")),
		window.New(day("2026-11-03"), day("2026-11-04")),
	}
	got := map[window.Window]Result{}
	r.RunWalk(context.Background(), descending(&calls, day("2026-11-02").Add(12*time.Hour)), chunks, func(w window.Window, res Result) {
		got[w] = res
	})
	require.Len(t, got, 3)
	assert.Equal(t, StatusOK, got[chunks[2]].Status, "passed before the failure: committed")
	for _, c := range chunks[:2] {
		assert.Equal(t, StatusFailed, got[c].Status, c.String())
		require.Error(t, got[c].Err)
		assert.Contains(t, got[c].Err.Error(), fmt.Sprintf("src events window %s", c))
		assert.Contains(t, got[c].Err.Error(), "page 7")
	}
	assert.Equal(t, []window.Window{chunks[2]}, sink.Windows("events"), "the chunk the walk was in commits nothing")
	assert.Len(t, sink.Rows("events"), 4)
}

func TestRunWalkSkipLeavesEveryChunkAsItWas(t *testing.T) {
	sink := loadtest.NewSink()
	r := NewRunner(Options{Sink: sink})
	s := stream(func(ctx context.Context, w window.Window, out Emitter) error {
		return Skip("the plan does not include it")
	})
	s.DescendingWalk = true
	chunks := []window.Window{window.New(day("2026-11-01"), day("2026-11-02")), window.New(day("2026-11-02"), day("2026-11-03"))}
	var got []Status
	r.RunWalk(context.Background(), s, chunks, func(w window.Window, res Result) { got = append(got, res.Status) })
	assert.Equal(t, []Status{StatusSkipped, StatusSkipped}, got)
	assert.Empty(t, sink.Windows("events"), "nothing replaced")
}

// Layout rows are built on the table's own goroutine: each chunk must still
// commit exactly its rows, as the walk leaves it, with nothing left over.
func TestRunWalkCommitsLayoutRowsChunkByChunk(t *testing.T) {
	chunks := []window.Window{
		window.New(day("2026-11-01"), day("2026-11-03")),
		window.New(day("2026-11-03"), day("2026-11-05")),
		window.New(day("2026-11-05"), day("2026-11-06")),
	}
	run := func(byLayout bool) ([]int, map[string][]map[string]any) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		sink := loadtest.NewSink()
		r := NewRunner(Options{Sink: sink, Allocator: mem, BatchRows: 3, Now: func() time.Time { return day("2026-11-07") }})
		var calls int
		var rows []int
		r.RunWalk(context.Background(), descendingRows(&calls, time.Time{}, byLayout), chunks, func(w window.Window, res Result) {
			require.NoError(t, res.Err)
			rows = append(rows, int(res.Rows))
			// Committed before done hears of it: the sink holds this chunk.
			assert.Contains(t, sink.Windows("events"), w)
		})
		return rows, sink.Committed()
	}
	mapRows, mapSink := run(false)
	layoutRows, layoutSink := run(true)
	assert.Equal(t, []int{4, 8, 8}, mapRows)
	assert.Equal(t, mapRows, layoutRows)
	assert.Equal(t, mapSink, layoutSink)
}
