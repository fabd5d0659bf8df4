package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/util"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/window"
)

// Early start.
//
// A state store without compare-and-set decides the run lock by claiming
// and then waiting for other claims to show (ClickHouse: 300 ms). A run
// spends that wait extracting: its streams start at once on a held sink,
// which keeps their first batches in memory and writes nothing, not even a
// staging table. Once the lock is won, the stale staging dropped and the
// backfill plan resumed for real, the held writers begin on the sink, hand
// over what they kept and pass the rest through. What the run may publish
// is unchanged: nothing reaches the sink or the state before the lock is
// held.
//
// The streams start from what the state said before the lock (Peek). If,
// under the lock, the plan says otherwise (another run committed chunks
// meanwhile), or the lock is not won, the early run is cancelled and
// discarded: it wrote nothing.

// earlyHoldBytes bounds the Arrow memory the held writers of a run keep
// before the lock is decided; a writer over it waits for the lock. It is
// about what a fast stream extracts during the lock's settle, so the wait
// is hidden without raising the run's peak memory (BENCHMARKS.md,
// "Defaults these figures chose").
const earlyHoldBytes = 48 << 20

// ClaimSettler is a state store whose Lock decides only after a wait
// (ClickHouse has no compare-and-set: claims made at about the same moment
// must show before one wins). LockSettling is its Lock, calling settling in
// the caller's goroutine when that wait starts, after the store saw no live
// holder; a run extracts during the wait (early start). A lock visibly held
// is refused before settling, so a refused run sends the vendors nothing: a
// nightly run over every stream would otherwise spend a request of each
// stream's rate limit, which the run holding the lock is using.
type ClaimSettler interface {
	LockSettling(ctx context.Context, name string, ttl time.Duration, me state.Holder, settling func()) (state.Lock, *state.Holder, error)
}

// errNotStarted ends an early run that is discarded (the lock was not won,
// or the plan changed before it was).
var errNotStarted = errors.New("the run did not start: its early extraction was discarded")

// gate opens once the run may write; it fails when it never will.
type gate struct {
	once sync.Once
	ch   chan struct{}
	err  error

	mu   sync.Mutex
	held int64 // bytes of records the held writers keep
	// logs are the early run's log records, printed once it is the run
	// (dropped if it is discarded).
	logs []heldLog
}

type heldLog struct {
	h slog.Handler
	r slog.Record
}

func newGate() *gate { return &gate{ch: make(chan struct{})} }

func (g *gate) open()          { g.settle(nil) }
func (g *gate) fail(err error) { g.settle(err) }

func (g *gate) settled() bool {
	select {
	case <-g.ch:
		return true
	default:
		return false
	}
}

func (g *gate) settle(err error) {
	g.once.Do(func() {
		g.mu.Lock()
		g.err = err
		close(g.ch)
		logs := g.logs
		g.logs = nil
		g.mu.Unlock()
		if err == nil {
			for _, l := range logs {
				_ = l.h.Handle(context.Background(), l.r)
			}
		}
	})
}

// wait blocks until the gate opens (nil) or fails (its error), or ctx ends.
func (g *gate) wait(ctx context.Context) error {
	select {
	case <-g.ch:
		return g.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hold takes n bytes of the run's budget; false once the gate settled or
// the budget is spent (the first record always fits, so a huge batch waits
// for the lock rather than for ever).
func (g *gate) hold(n int64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.settled() || (g.held > 0 && g.held+n > earlyHoldBytes) {
		return false
	}
	g.held += n
	return true
}

func (g *gate) unhold(n int64) {
	g.mu.Lock()
	g.held -= n
	g.mu.Unlock()
}

// heldSink begins nothing on the sink before the gate opens.
type heldSink struct {
	load.Sink
	gate *gate
}

func (s *heldSink) Begin(_ context.Context, t *schemas.Table, w window.Window, stream, runID string) (load.Writer, error) {
	return &heldWriter{sink: s.Sink, gate: s.gate, table: t, window: w, stream: stream, runID: runID}, nil
}

// heldWriter keeps records until the gate opens, then begins on the sink,
// writes them in order and passes everything through.
type heldWriter struct {
	sink          load.Sink
	gate          *gate
	table         *schemas.Table
	window        window.Window
	stream, runID string
	mu            sync.Mutex
	real          load.Writer
	err           error // of the real Begin, or of a failed gate
	held          []arrow.Record
	heldBytes     int64
	whole, began  bool
}

// heldWriter forwards every optional writer interface of package load: an
// ability it did not forward would silently stop working in early runs.
// A test reads load's declarations and fails on one that is not forwarded.
var (
	_ load.Staged      = (*heldWriter)(nil)
	_ load.Sealer      = (*heldWriter)(nil)
	_ load.WholeStream = (*heldWriter)(nil)
)

func (h *heldWriter) Write(ctx context.Context, rec arrow.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.began {
		if n := util.TotalRecordSize(rec); h.gate.hold(n) {
			rec.Retain()
			h.held, h.heldBytes = append(h.held, rec), h.heldBytes+n
			return nil
		}
	}
	w, err := h.begin(ctx)
	if err != nil {
		return err
	}
	return w.Write(ctx, rec)
}

// begin waits for the gate, then begins the real writer once and writes
// what was held; called with mu held.
func (h *heldWriter) begin(ctx context.Context) (load.Writer, error) {
	if h.began {
		return h.real, h.err
	}
	if err := h.gate.wait(ctx); err != nil {
		// Not final when ctx ended: a later call may still find it open.
		if h.gate.settled() {
			h.began, h.err = true, err
			h.drop()
		}
		return nil, err
	}
	h.began = true
	w, err := h.sink.Begin(ctx, h.table, h.window, h.stream, h.runID)
	if err != nil {
		// w may be a typed nil inside a non-nil interface: never keep it.
		h.err = fmt.Errorf("start loading %s: %w", h.table.Name, err)
		h.drop()
		return nil, h.err
	}
	h.real = w
	if ws, ok := h.real.(load.WholeStream); ok && h.whole {
		ws.ReplaceWholeStream()
	}
	for i, rec := range h.held {
		if err := h.real.Write(ctx, rec); err != nil {
			h.held = h.held[i:]
			h.drop()
			return nil, err
		}
		rec.Release()
		h.held[i] = nil
	}
	h.held = nil
	h.gate.unhold(h.heldBytes)
	h.heldBytes = 0
	return h.real, nil
}

func (h *heldWriter) drop() {
	for _, rec := range h.held {
		if rec != nil {
			rec.Release()
		}
	}
	h.held = nil
	h.gate.unhold(h.heldBytes)
	h.heldBytes = 0
}

// started waits for the gate and returns the writer begun on the sink:
// what publishes (Prepare, Swap, Commit) goes to it.
func (h *heldWriter) started(ctx context.Context) (load.Writer, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.begin(ctx)
}

func (h *heldWriter) Prepare(ctx context.Context) error {
	w, err := h.started(ctx)
	if st, ok := w.(load.Staged); ok && err == nil {
		return st.Prepare(ctx)
	}
	return err
}

func (h *heldWriter) Seal(ctx context.Context) error {
	w, err := h.started(ctx)
	if s, ok := w.(load.Sealer); ok && err == nil {
		return s.Seal(ctx)
	}
	return err
}

// Swap commits a writer that does not stage, as load.CommitWindow does.
func (h *heldWriter) Swap(ctx context.Context) error {
	w, err := h.started(ctx)
	if err != nil {
		return err
	}
	if st, ok := w.(load.Staged); ok {
		return st.Swap(ctx)
	}
	return w.Commit(ctx)
}

func (h *heldWriter) Commit(ctx context.Context) error {
	w, err := h.started(ctx)
	if err != nil {
		return err
	}
	return w.Commit(ctx)
}

func (h *heldWriter) Abort(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop()
	if h.real == nil {
		return nil
	}
	return h.real.Abort(ctx)
}

func (h *heldWriter) ReplaceWholeStream() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.whole = true
	if ws, ok := h.real.(load.WholeStream); ok {
		ws.ReplaceWholeStream()
	}
}

// earlyRun is a run started before its lock was decided.
type earlyRun struct {
	gate   *gate
	cancel context.CancelFunc
	done   map[string]bool // the tasks it skips
	out    chan []Outcome
}

// startEarly starts the run's tasks on a held sink, from what the state
// says before the lock; nil when there is nothing to start from (prepare
// then says why, under the lock).
func (ex *execution) startEarly(ctx context.Context, sink load.Sink) *earlyRun {
	done, ok, err := ex.peek(ctx)
	if err != nil || !ok {
		return nil
	}
	g := newGate()
	ctx, cancel := context.WithCancel(ctx)
	e := &earlyRun{gate: g, cancel: cancel, done: done, out: make(chan []Outcome, 1)}
	log := slog.New(&gatedHandler{Handler: ex.p.Log.Handler(), gate: g})
	go func() {
		e.out <- ex.run(ctx, runOn{sink: &heldSink{Sink: sink, gate: g}, done: done, gate: g, log: log, progress: true})
	}()
	return e
}

// matches says whether the plan under the lock skips the same tasks.
func (e *earlyRun) matches(done map[string]bool) bool {
	return maps.Equal(e.done, done)
}

// proceed lets the early run write and waits for it.
func (e *earlyRun) proceed() []Outcome {
	e.gate.open()
	return <-e.out
}

// discard cancels the early run and waits until it has stopped; it wrote
// nothing. Safe on nil.
func (e *earlyRun) discard() {
	if e == nil {
		return
	}
	e.gate.fail(errNotStarted)
	e.cancel()
	<-e.out
}

// gatedHandler keeps the records of an early run until it is the run:
// one that is discarded (it lost the lock) never said it started.
type gatedHandler struct {
	slog.Handler
	gate *gate
}

func (h *gatedHandler) Handle(ctx context.Context, r slog.Record) error {
	g := h.gate
	g.mu.Lock()
	if !g.settled() {
		g.logs = append(g.logs, heldLog{h: h.Handler, r: r.Clone()})
		g.mu.Unlock()
		return nil
	}
	failed := g.err != nil
	g.mu.Unlock()
	if failed {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h *gatedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &gatedHandler{Handler: h.Handler.WithAttrs(as), gate: h.gate}
}

func (h *gatedHandler) WithGroup(name string) slog.Handler {
	return &gatedHandler{Handler: h.Handler.WithGroup(name), gate: h.gate}
}
