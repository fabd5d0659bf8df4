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

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/load/loadtest"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

var events = &schemas.Table{
	Name: "events",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String},
		schemas.Column{Name: "value", Type: schemas.Float64},
		schemas.Column{Name: "at", Type: schemas.Timestamp},
	),
	Disposition: schemas.Merge, Key: []string{"id"}, Version: "at", Day: "at", Partition: "at",
}

func day(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }

func stream(extract func(ctx context.Context, w window.Window, out Emitter) error) *Stream {
	return &Stream{Source: "src", Name: "events", Tables: []*schemas.Table{events}, Windowed: true, WindowField: "at", Extract: extract}
}

func TestRunLoadsGoodRowsRejectsBadOnesAndDropsOutOfWindow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sink := loadtest.NewSink()
	r := NewRunner(Options{Sink: sink, Allocator: mem, BatchRows: 2, RunID: "run-1"})
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	s := stream(func(ctx context.Context, w window.Window, out Emitter) error {
		for i := 0; i < 5; i++ {
			require.NoError(t, out.Emit(ctx, "events", Row{Values: map[string]any{"id": fmt.Sprint(i), "value": i, "at": w.Start.Add(time.Duration(i) * time.Hour)}, Where: "page 1"}))
		}
		require.NoError(t, out.Emit(ctx, "events", Row{Values: map[string]any{"id": "bad", "value": "NaN-ish", "at": w.Start}, Where: "page 2"}))
		require.NoError(t, out.Emit(ctx, "events", Row{Values: map[string]any{"id": "late", "value": 1, "at": w.End}}))
		require.NoError(t, out.Reject(ctx, "events", "line 9: expected 3 fields, got 2", Row{Raw: "a,b", Where: "line 9"}))
		out.Notice("said once")
		out.Notice("said once")
		return nil
	})
	res := r.Run(context.Background(), s, w)
	require.NoError(t, res.Err)
	assert.Equal(t, StatusOK, res.Status)
	assert.EqualValues(t, 5, res.Rows)
	assert.EqualValues(t, 2, res.Rejects)
	assert.Equal(t, []string{"said once"}, res.Notices)
	assert.Len(t, sink.Rows("events"), 5, "the row at the window end belongs to the next window")
	assert.Equal(t, 3, sink.Writes("events"), "5 rows in batches of 2")
	rejects := sink.Rows("etl_rejects")
	require.Len(t, rejects, 2)
	assert.Equal(t, "page 2", rejects[0]["location"])
	assert.Contains(t, rejects[0]["reason"], "column value")
	assert.Contains(t, rejects[0]["raw"], `"id":"bad"`)
	assert.Equal(t, "a,b", rejects[1]["raw"])
	assert.Equal(t, "run-1", sink.Rows("events")[0]["_run_id"])
}

func TestRunAbortsEverythingWhenExtractionFails(t *testing.T) {
	sink := loadtest.NewSink()
	r := NewRunner(Options{Sink: sink})
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	res := r.Run(context.Background(), stream(func(ctx context.Context, w window.Window, out Emitter) error {
		_ = out.Emit(ctx, "events", Row{Values: map[string]any{"id": "1", "value": 1, "at": w.Start}})
		return errors.New("page 3: GET /events: 500 after 6 attempts")
	}), w)
	require.Error(t, res.Err)
	assert.Equal(t, StatusFailed, res.Status)
	assert.Contains(t, res.Err.Error(), "src events window 2026-11-01: page 3")
	assert.Empty(t, sink.Committed(), "nothing of a failed window is committed")
	assert.ElementsMatch(t, []string{"events", "etl_rejects"}, sink.Aborted())
}

func TestRunReportsInterruption(t *testing.T) {
	sink := loadtest.NewSink()
	r := NewRunner(Options{Sink: sink})
	ctx, cancel := context.WithCancel(context.Background())
	res := r.Run(ctx, stream(func(ctx context.Context, w window.Window, out Emitter) error {
		cancel()
		return ctx.Err()
	}), window.New(day("2026-11-01"), day("2026-11-02")))
	require.Error(t, res.Err)
	assert.Contains(t, res.Err.Error(), "interrupted, nothing of this window was committed")
	assert.Empty(t, sink.Committed())
}

func TestRunRecoversFromExtractorPanic(t *testing.T) {
	r := NewRunner(Options{Sink: loadtest.NewSink()})
	res := r.Run(context.Background(), stream(func(context.Context, window.Window, Emitter) error { panic("boom") }), window.New(day("2026-11-01"), day("2026-11-02")))
	assert.Equal(t, StatusFailed, res.Status)
	assert.Contains(t, res.Err.Error(), "internal error: boom")
}

func TestEffectiveWindowClipsAndAligns(t *testing.T) {
	now := day("2026-11-24").Add(15 * time.Hour)
	r := NewRunner(Options{Sink: loadtest.NewSink(), Now: func() time.Time { return now }})
	s := stream(nil)
	s.Earliest = func(now time.Time) time.Time { return now.AddDate(0, -3, 0) }
	eff, clipped := r.Effective(s, window.New(day("2026-06-01"), day("2026-11-01")))
	assert.Equal(t, day("2026-08-25"), eff.Start, "clipped to the first whole day the API serves")
	assert.Equal(t, day("2026-11-01"), eff.End)
	assert.Contains(t, clipped, "2026-06-01..2026-08-24 was not extracted")

	eff, clipped = r.Effective(s, window.New(day("2026-10-01"), day("2026-10-02")))
	assert.Empty(t, clipped)
	assert.Equal(t, window.New(day("2026-10-01"), day("2026-10-02")), eff)

	s.Earliest = nil
	s.Align = window.MonthAligned
	eff, _ = r.Effective(s, window.New(day("2026-10-15"), day("2026-11-03")))
	assert.Equal(t, window.New(day("2026-10-01"), day("2026-12-01")), eff)
}

func TestRunSkipsAWindowEntirelyBeyondTheAPI(t *testing.T) {
	now := day("2026-11-24")
	sink := loadtest.NewSink()
	r := NewRunner(Options{Sink: sink, Now: func() time.Time { return now }})
	called := false
	s := stream(func(context.Context, window.Window, Emitter) error { called = true; return nil })
	s.Earliest = func(now time.Time) time.Time { return now.AddDate(0, -3, 0) }
	res := r.Run(context.Background(), s, window.New(day("2026-01-01"), day("2026-02-01")))
	assert.Equal(t, StatusSkipped, res.Status)
	assert.NoError(t, res.Err)
	assert.False(t, called)
	assert.Len(t, res.Notices, 1)
	assert.Empty(t, sink.Committed(), "nothing replaced for days the API cannot serve")
	assert.Equal(t, "2026-01-01..2026-01-31", res.Window.String(), "the window asked for, not an end before its start")
}

func TestSkipKeepsWhatWasLoaded(t *testing.T) {
	sink := loadtest.NewSink()
	r := NewRunner(Options{Sink: sink})
	res := r.Run(context.Background(), stream(func(ctx context.Context, w window.Window, out Emitter) error {
		return Skip("not available on this plan (HTTP 403)")
	}), window.New(day("2026-11-01"), day("2026-11-02")))
	assert.NoError(t, res.Err)
	assert.Equal(t, StatusSkipped, res.Status)
	assert.Empty(t, sink.Committed(), "a skipped stream replaces nothing")
	assert.Contains(t, res.Notices[0], "not available on this plan (HTTP 403); what was loaded before is kept")
}

// stagedSink's writers commit in two phases like the real sinks; prepare
// and swap fail for the tables named.
type stagedSink struct {
	*loadtest.Sink
	failPrepare, failSwap string
	onSwap                func(table string)
}

func (s *stagedSink) Begin(ctx context.Context, t *schemas.Table, w window.Window, stream, runID string) (load.Writer, error) {
	wr, _ := s.Sink.Begin(ctx, t, w, stream, runID)
	return &stagedWriter{Writer: wr.(*loadtest.Writer), sink: s}, nil
}

type stagedWriter struct {
	*loadtest.Writer
	sink *stagedSink
}

func (w *stagedWriter) Prepare(context.Context) error {
	if w.Table().Name == w.sink.failPrepare {
		return errors.New("no space left on device")
	}
	return nil
}

func (w *stagedWriter) Swap(ctx context.Context) error {
	if w.sink.onSwap != nil {
		w.sink.onSwap(w.Table().Name)
	}
	if w.Table().Name == w.sink.failSwap {
		return errors.New("connection reset")
	}
	return w.Writer.Commit(ctx)
}

func (w *stagedWriter) Commit(ctx context.Context) error {
	if err := w.Prepare(ctx); err != nil {
		return err
	}
	return w.Swap(ctx)
}

var events2 = &schemas.Table{Name: "events2", Columns: events.Columns, Disposition: schemas.Merge, Key: []string{"id"}, Version: "at", Day: "at"}

func twoTableStream() *Stream {
	s := stream(func(ctx context.Context, w window.Window, out Emitter) error {
		for _, tb := range []string{"events", "events2"} {
			if err := out.Emit(ctx, tb, Row{Values: map[string]any{"id": "1", "value": 1, "at": w.Start}}); err != nil {
				return err
			}
		}
		return out.Reject(ctx, "events", "bad", Row{Raw: "x"})
	})
	s.Tables = []*schemas.Table{events, events2}
	return s
}

func TestRunMakesAWindowVisibleOnlyWhenEveryTableIsStaged(t *testing.T) {
	sink := &stagedSink{Sink: loadtest.NewSink(), failPrepare: "events2"}
	res := NewRunner(Options{Sink: sink}).Run(context.Background(), twoTableStream(), window.New(day("2026-11-01"), day("2026-11-02")))
	require.Error(t, res.Err)
	assert.Contains(t, res.Err.Error(), "nothing of it is visible")
	assert.Contains(t, res.Err.Error(), "no space left on device")
	assert.Empty(t, sink.Committed(), "the first table is not swapped in when the second cannot be staged")
	assert.ElementsMatch(t, []string{"events", "events2", "etl_rejects"}, sink.Aborted())
}

func TestRunInterruptedMidSwapSaysWhatWasCommitted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := &stagedSink{Sink: loadtest.NewSink(), failSwap: "etl_rejects", onSwap: func(table string) {
		if table == "events" {
			cancel() // Ctrl-C once the swaps started: they go on
		}
	}}
	res := NewRunner(Options{Sink: sink}).Run(ctx, twoTableStream(), window.New(day("2026-11-01"), day("2026-11-02")))
	require.Error(t, res.Err)
	assert.Contains(t, res.Err.Error(), "interrupted, tables events, events2 of this window were committed, the others were not")
	assert.Len(t, sink.Rows("events2"), 1, "a swap goes on after the interrupt")
}

// A row given by layout (the form the busiest streams use) loads, rejects
// and drops exactly as the same row given as a map.
func TestRunLoadsLayoutRowsAsMapRows(t *testing.T) {
	layout := transform.MustLayout(events, "id", "value", "at")
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	rows := [][]transform.Value{
		{transform.Str("a"), transform.Num(1.5), transform.Str("2026-11-01T03:00:00Z")},
		{transform.Str("b"), transform.Str("2.5"), transform.Str("2026-11-01T04:00:00.000+00:00")},
		{transform.Str("bad"), transform.Str("NaN-ish"), transform.Str("2026-11-01T05:00:00Z")},
		{transform.Str("late"), transform.Num(1), transform.Str("2026-11-02T00:00:00Z")},
		{transform.Null(), transform.Num(1), transform.Str("2026-11-01T06:00:00Z")},
	}
	run := func(byLayout bool) *loadtest.Sink {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		sink := loadtest.NewSink()
		r := NewRunner(Options{Sink: sink, Allocator: mem, BatchRows: 2, RunID: "run-1", Now: func() time.Time { return day("2026-11-03") }})
		res := r.Run(context.Background(), stream(func(ctx context.Context, w window.Window, out Emitter) error {
			buf := make([]transform.Value, layout.Len())
			for _, vals := range rows {
				row := Row{Values: layout.Map(vals), Where: "page 1"}
				if byLayout {
					copy(buf, vals)
					row = Row{Layout: layout, Fields: buf, Where: "page 1"}
				}
				if err := out.Emit(ctx, "events", row); err != nil {
					return err
				}
			}
			return nil
		}), w)
		require.NoError(t, res.Err)
		assert.EqualValues(t, 2, res.Rows)
		assert.EqualValues(t, 2, res.Rejects)
		return sink
	}
	byMap, byLayout := run(false), run(true)
	assert.Equal(t, byMap.Rows("events"), byLayout.Rows("events"))
	assert.Equal(t, byMap.Rows("etl_rejects"), byLayout.Rows("etl_rejects"))
	require.Len(t, byLayout.Rows("etl_rejects"), 2)
	assert.Contains(t, byLayout.Rows("etl_rejects")[0]["raw"], `"value":"NaN-ish"`, "a layout row's reject shows its fields by name")
}

// Blocks of layout rows are reused once built; thousands of rows (many
// blocks, some with raw text, some rejected) must load exactly as the
// same rows given as maps.
func TestRunReusesBlocksWithoutMixingRows(t *testing.T) {
	layout := transform.MustLayout(events, "id", "value", "at")
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	const n = 5000
	row := func(i int) ([]transform.Value, []byte) {
		value := transform.Num(float64(i))
		var raw []byte
		if i%97 == 0 {
			value = transform.Str(fmt.Sprintf("bad-%d", i))
			raw = []byte(fmt.Sprintf(`{"id":"r%d"}`, i))
		}
		at := day("2026-11-01").Add(time.Duration(i) * time.Second).Format(time.RFC3339)
		return []transform.Value{transform.Str(fmt.Sprintf("r%d", i)), value, transform.Str(at)}, raw
	}
	run := func(byLayout bool) *loadtest.Sink {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		sink := loadtest.NewSink()
		r := NewRunner(Options{Sink: sink, Allocator: mem, BatchRows: 300, RunID: "run-1", Now: func() time.Time { return day("2026-11-03") }})
		res := r.Run(context.Background(), stream(func(ctx context.Context, w window.Window, out Emitter) error {
			buf := make([]transform.Value, layout.Len())
			for i := range n {
				vals, raw := row(i)
				r := Row{Values: layout.Map(vals), RawJSON: raw, Where: fmt.Sprintf("page %d", i/100)}
				if byLayout {
					copy(buf, vals)
					r = Row{Layout: layout, Fields: buf, RawJSON: raw, Where: r.Where}
				}
				if err := out.Emit(ctx, "events", r); err != nil {
					return err
				}
			}
			return nil
		}), w)
		require.NoError(t, res.Err)
		rejects := int64(n/97 + 1)
		assert.EqualValues(t, n-rejects, res.Rows)
		assert.EqualValues(t, rejects, res.Rejects)
		return sink
	}
	byMap, byLayout := run(false), run(true)
	require.Len(t, byLayout.Rows("events"), n-(n/97+1))
	assert.Equal(t, byMap.Rows("events"), byLayout.Rows("events"))
	assert.Equal(t, byMap.Rows("etl_rejects"), byLayout.Rows("etl_rejects"))
}

// A reject lives on its row's day when the row has one that reads, so that
// only a load covering that day replaces it; without one it lives on the
// window's first day. A bad row whose day lies outside the window is left
// to the window that holds it, as a good row is.
func TestRejectsCarryTheirRowsDay(t *testing.T) {
	layout := transform.MustLayout(events, "id", "value", "at")
	tests := []struct {
		name     string
		w        window.Window
		emit     func(ctx context.Context, out Emitter) error
		rejects  int64
		day      string
		from     string
		windowed bool
	}{
		{"a bad value, the day reads", window.New(day("2026-11-01"), day("2026-11-04")), func(ctx context.Context, out Emitter) error {
			return out.Emit(ctx, "events", Row{Values: map[string]any{"id": "a", "value": "x", "at": "2026-11-02T10:00:00Z"}})
		}, 1, "2026-11-02", "row", true},
		{"a layout row, the day reads", window.New(day("2026-11-01"), day("2026-11-04")), func(ctx context.Context, out Emitter) error {
			return out.Emit(ctx, "events", Row{Layout: layout, Fields: []transform.Value{transform.Str("a"), transform.Str("x"), transform.Str("2026-11-03T23:59:59Z")}})
		}, 1, "2026-11-03", "row", true},
		{"the day does not read", window.New(day("2026-11-01"), day("2026-11-04")), func(ctx context.Context, out Emitter) error {
			return out.Emit(ctx, "events", Row{Values: map[string]any{"id": "a", "value": 1, "at": "yesterday"}})
		}, 1, "2026-11-01", "window", true},
		{"a line that does not parse", window.New(day("2026-11-01"), day("2026-11-04")), func(ctx context.Context, out Emitter) error {
			return out.Reject(ctx, "events", "expected 3 fields, got 2", Row{Raw: "a,b"})
		}, 1, "2026-11-01", "window", true},
		{"a line that does not parse, its day known", window.New(day("2026-11-01"), day("2026-11-04")), func(ctx context.Context, out Emitter) error {
			return out.Reject(ctx, "events", "expected 3 fields, got 2", Row{Raw: "a,b", Values: map[string]any{"at": day("2026-11-03")}})
		}, 1, "2026-11-03", "row", true},
		{"the day lies after the window", window.New(day("2026-11-01"), day("2026-11-04")), func(ctx context.Context, out Emitter) error {
			return out.Emit(ctx, "events", Row{Values: map[string]any{"id": "a", "value": "x", "at": "2026-11-04T00:00:00Z"}})
		}, 0, "", "", true},
		{"a window not starting at midnight", window.New(day("2026-11-01").Add(6*time.Hour), day("2026-11-02").Add(6*time.Hour)), func(ctx context.Context, out Emitter) error {
			return out.Emit(ctx, "events", Row{Values: map[string]any{"id": "a", "value": "x", "at": "2026-11-01T07:00:00Z"}})
		}, 1, "2026-11-01", "row", true},
		{"a snapshot stream", window.New(day("2026-11-01"), day("2026-11-02")), func(ctx context.Context, out Emitter) error {
			return out.Reject(ctx, "snap", "bad", Row{Values: map[string]any{"at": day("2026-10-03")}})
		}, 1, "2026-11-01", "window", false},
	}
	snap := &schemas.Table{Name: "snap", Columns: []schemas.Column{{Name: "id", Type: schemas.String}}, Disposition: schemas.ReplaceAll}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := loadtest.NewSink()
			s := stream(func(ctx context.Context, _ window.Window, out Emitter) error { return tt.emit(ctx, out) })
			if !tt.windowed {
				s.Windowed, s.Tables = false, []*schemas.Table{snap}
			}
			res := NewRunner(Options{Sink: sink}).Run(context.Background(), s, tt.w)
			require.NoError(t, res.Err)
			assert.Equal(t, tt.rejects, res.Rejects)
			rejects := sink.Rows(schemas.Rejects.Name)
			require.Len(t, rejects, int(tt.rejects))
			if tt.rejects == 0 {
				return
			}
			assert.Equal(t, tt.day, rejects[0][schemas.RowDay])
			assert.Equal(t, tt.from, rejects[0][schemas.RowDayFrom])
			assert.Equal(t, tt.w.Start, rejects[0]["window_start"])
		})
	}
}
