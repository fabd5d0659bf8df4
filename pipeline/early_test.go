package pipeline

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/arrow/util"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/load/loadtest"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

var heldTable = &schemas.Table{Name: "t", Columns: []schemas.Column{{Name: "id", Type: schemas.String}}, Disposition: schemas.ReplaceAll}

// countingSink counts Begins; its writers are loadtest's (not Staged).
type countingSink struct {
	*loadtest.Sink
	begins atomic.Int32
	whole  atomic.Bool
}

func (s *countingSink) Begin(ctx context.Context, t *schemas.Table, w window.Window, stream, runID string) (load.Writer, error) {
	s.begins.Add(1)
	wr, err := s.Sink.Begin(ctx, t, w, stream, runID)
	return &wholeWriter{Writer: wr, sink: s}, err
}

type wholeWriter struct {
	load.Writer
	sink *countingSink
}

func (w *wholeWriter) ReplaceWholeStream() { w.sink.whole.Store(true) }

func idRecord(mem memory.Allocator, ids ...string) arrow.Record {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.AppendValues(ids, nil)
	col := b.NewArray()
	defer col.Release()
	return array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{col}, int64(len(ids)))
}

func writeIDs(t *testing.T, w load.Writer, mem memory.Allocator, ids ...string) error {
	t.Helper()
	rec := idRecord(mem, ids...)
	defer rec.Release()
	return w.Write(context.Background(), rec)
}

// beginHeld begins a held writer of heldTable on sink, behind a new gate.
func beginHeld(t *testing.T, sink load.Sink) (load.Writer, *gate) {
	t.Helper()
	g := newGate()
	w, err := (&heldSink{Sink: sink, gate: g}).Begin(context.Background(), heldTable, window.Window{}, "s.t", "run")
	require.NoError(t, err)
	return w, g
}

func TestHeldWriterBeginsOnlyOnceTheGateOpensAndKeepsTheOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sink := &countingSink{Sink: loadtest.NewSink()}
	w, g := beginHeld(t, sink)
	w.(load.WholeStream).ReplaceWholeStream()

	require.NoError(t, writeIDs(t, w, mem, "a", "b"))
	require.NoError(t, writeIDs(t, w, mem, "c"))
	assert.Zero(t, sink.begins.Load(), "nothing reaches the sink before the lock is won")
	assert.Positive(t, g.held, "the records are kept, counted against the run's budget")

	g.open()
	require.NoError(t, writeIDs(t, w, mem, "d"))
	assert.EqualValues(t, 1, sink.begins.Load())
	assert.True(t, sink.whole.Load(), "ReplaceWholeStream called before Begin reaches the real writer")
	assert.Zero(t, g.held, "the kept records were handed over")
	require.NoError(t, w.(load.Staged).Prepare(context.Background()))
	require.NoError(t, w.(load.Staged).Swap(context.Background()), "a writer that does not stage commits at Swap")
	var ids []string
	for _, row := range sink.Rows("t") {
		ids = append(ids, row["id"].(string))
	}
	assert.Equal(t, []string{"a", "b", "c", "d"}, ids)
}

// stillWaiting runs call in the background and fails the test if it
// returns within 100 ms: it must wait for the lock to be decided. Its error
// comes on the channel once it returns.
func stillWaiting(t *testing.T, what string, call func() error) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		t.Fatalf("%s returned before the lock was decided: %v", what, err)
	case <-time.After(100 * time.Millisecond):
	}
	return done
}

func TestHeldWriterOverTheBudgetWaitsForTheGate(t *testing.T) {
	mem := memory.NewGoAllocator()
	sink := &countingSink{Sink: loadtest.NewSink()}
	w, g := beginHeld(t, sink)
	big := make([]string, 1<<16)
	for i := range big {
		big[i] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	}
	one := idRecord(mem, big...)
	size := util.TotalRecordSize(one)
	one.Release()
	fit := int(earlyHoldBytes / size)
	require.Positive(t, fit)
	for i := 0; i < fit; i++ {
		require.NoError(t, writeIDs(t, w, mem, big...), "record %d of %d fits the budget", i+1, fit)
	}
	wrote := stillWaiting(t, "a write over the budget", func() error { return writeIDs(t, w, mem, big...) })
	assert.Zero(t, sink.begins.Load())
	g.open()
	require.NoError(t, <-wrote)
	require.NoError(t, w.Commit(context.Background()))
	assert.EqualValues(t, (fit+1)<<16, sink.Count("t"))
}

func TestHeldWriterOfARunThatDidNotStartWritesNothing(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sink := &countingSink{Sink: loadtest.NewSink()}
	w, g := beginHeld(t, sink)
	require.NoError(t, writeIDs(t, w, mem, "a"))
	committed := make(chan error, 1)
	go func() { committed <- w.Commit(context.Background()) }()
	g.fail(errNotStarted)
	assert.ErrorIs(t, <-committed, errNotStarted, "a commit waiting for the lock learns it was not won")
	assert.ErrorIs(t, writeIDs(t, w, mem, "b"), errNotStarted)
	require.NoError(t, w.Abort(context.Background()))
	assert.Zero(t, sink.begins.Load(), "no staging was ever begun")
	assert.Empty(t, sink.Tables())
	assert.Zero(t, g.held)
}

// failingSink's Begin fails the way ClickHouse's cluster Begin does: a
// typed nil writer beside the error.
type failingSink struct{ *loadtest.Sink }

type nilWriter struct{ load.Writer }

func (failingSink) Begin(context.Context, *schemas.Table, window.Window, string, string) (load.Writer, error) {
	var w *nilWriter
	return w, errors.New("shard 2 of the cluster is unreachable")
}

func TestHeldWriterWhoseBeginFailsReportsItAndAbortsCleanly(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	w, g := beginHeld(t, failingSink{loadtest.NewSink()})
	require.NoError(t, writeIDs(t, w, mem, "a"))
	g.open()
	err := writeIDs(t, w, mem, "b")
	assert.ErrorContains(t, err, "start loading t: shard 2 of the cluster is unreachable")
	assert.ErrorContains(t, w.(load.Staged).Prepare(context.Background()), "shard 2 of the cluster is unreachable", "every later call says why")
	assert.NotPanics(t, func() { assert.NoError(t, w.Abort(context.Background())) })
	assert.Zero(t, g.held)
}

// sealingSink's writers are load.Sealers that count their seals.
type sealingSink struct {
	countingSink
	seals atomic.Int32
}

type sealWriter struct {
	load.Writer
	sink *sealingSink
}

func (s *sealingSink) Begin(ctx context.Context, t *schemas.Table, w window.Window, stream, runID string) (load.Writer, error) {
	wr, err := s.countingSink.Begin(ctx, t, w, stream, runID)
	return &sealWriter{Writer: wr, sink: s}, err
}

func (w *sealWriter) Seal(context.Context) error { w.sink.seals.Add(1); return nil }

// load.CommitWindow seals the tables of a window together: a held writer's
// Seal waits, like every publishing call, until the run is known to be the
// run, then seals the writer begun on the sink.
func TestHeldWriterSealsOnlyOnceTheGateOpens(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sink := &sealingSink{countingSink: countingSink{Sink: loadtest.NewSink()}}
	w, g := beginHeld(t, sink)
	require.NoError(t, writeIDs(t, w, mem, "a"))
	sealed := stillWaiting(t, "Seal", func() error { return w.(load.Sealer).Seal(context.Background()) })
	assert.Zero(t, sink.begins.Load())
	g.open()
	require.NoError(t, <-sealed)
	assert.EqualValues(t, 1, sink.seals.Load(), "the real writer was sealed")
	require.NoError(t, w.Commit(context.Background()))
	assert.EqualValues(t, 1, sink.Count("t"))
}
