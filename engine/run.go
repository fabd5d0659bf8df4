package engine

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/adoptionlabs/etl/httpstats"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/window"
)

// Status of one stream run.
type Status string

const (
	StatusOK      Status = "ok"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
)

// Options configure a Runner.
type Options struct {
	Sink      load.Sink
	Allocator memory.Allocator
	// BatchRows bounds the rows held per table before they go to the sink
	// (DefaultBatchRows when 0).
	BatchRows int
	RunID     string
	Logger    *slog.Logger
	Now       func() time.Time
	// OnStart and OnDone let a progress display follow running streams.
	OnStart func(*Live)
	OnDone  func(*Live, Result)
}

// Runner runs streams over windows. Safe for concurrent use.
type Runner struct{ opts Options }

// NewRunner fills defaults.
func NewRunner(opts Options) *Runner {
	if opts.Allocator == nil {
		opts.Allocator = memory.NewGoAllocator()
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Runner{opts: opts}
}

// Live holds the counters of a running stream for progress displays.
type Live struct {
	Stream  *Stream
	Window  window.Window
	Started time.Time
	Rows    atomic.Int64
	Rejects atomic.Int64
	HTTP    httpstats.Stats
	Done    atomic.Int64
	Total   atomic.Int64
}

// TableResult is what one table received.
type TableResult struct {
	Table   string
	Rows    int64
	Rejects int64
	// Unknown lists source fields the table does not declare (kept in
	// _extra where the table has it).
	Unknown []string
}

// Result reports one stream over one window.
type Result struct {
	Source   string
	Stream   string
	Window   window.Window
	Tables   []TableResult
	Rows     int64
	Rejects  int64
	Pages    int64
	Retries  int64
	Bytes    int64
	Duration time.Duration
	Status   Status
	Err      error
	// Fix, on a failure a rerun cannot cure, says what to change (FixOf);
	// a failure without it is transient.
	Fix     string
	Notices []string
}

// Effective returns the window a stream really covers: aligned, then clipped
// to what the API serves. clipped describes the part given up.
func (r *Runner) Effective(s *Stream, w window.Window) (eff window.Window, clipped string) {
	eff = w
	if s.Align != nil {
		eff = s.Align(eff)
	}
	if s.Earliest != nil {
		earliest := window.Floor(s.Earliest(r.opts.Now())).Add(window.Day)
		if eff.Start.Before(earliest) {
			lost := window.Window{Start: eff.Start, End: earliest}
			if lost.End.After(eff.End) {
				lost.End = eff.End
			}
			eff.Start = earliest
			if eff.Empty() {
				eff.End = eff.Start
			}
			clipped = fmt.Sprintf("%s %s: the API serves nothing before %s; %s was not extracted (and its loaded data, if any, was left as it was)",
				s.Source, s.Name, earliest.Format(time.DateOnly), lost)
		}
	}
	return eff, clipped
}

// Run extracts one window of one stream into the sink. It never panics
// across the boundary and always returns a Result; Err is set when it failed.
func (r *Runner) Run(ctx context.Context, s *Stream, requested window.Window) (res Result) {
	eff, clipped := r.Effective(s, requested)
	live := &Live{Stream: s, Window: eff, Started: time.Now()}
	res = Result{Source: s.Source, Stream: s.Name, Window: eff, Status: StatusOK}
	if r.opts.OnStart != nil {
		r.opts.OnStart(live)
	}
	var em *emitter
	defer func() {
		if p := recover(); p != nil {
			if em != nil {
				// A prepared table holds its lock until Swap or Abort.
				em.abort()
			}
			res.Status, res.Err = StatusFailed, fmt.Errorf("%s %s window %s: internal error: %v", s.Source, s.Name, eff, p)
			r.opts.Logger.Error("stream failed", "source", s.Source, "stream", s.Name, "window", eff.String(), "err", res.Err)
		}
		res.Duration = time.Since(live.Started)
		res.Pages, res.Retries, res.Bytes = live.HTTP.Requests.Load(), live.HTTP.Retries.Load(), live.HTTP.Bytes.Load()
		if r.opts.OnDone != nil {
			r.opts.OnDone(live, res)
		}
	}()
	log := r.opts.Logger.With("source", s.Source, "stream", s.Name, "window", eff.String())
	if clipped != "" {
		res.Notices = append(res.Notices, clipped)
		log.Warn(clipped)
	}
	if s.Windowed && eff.Empty() {
		// Nothing of it is served: show the window that was asked for, not
		// the empty remainder (which prints as an end before its start).
		res.Window, res.Status = requested, StatusSkipped
		return res
	}
	var err error
	em, err = r.begin(ctx, s, eff, live, log)
	if err != nil {
		res.Status = StatusFailed
		res.Err, res.Fix = failure(s, where(s, eff), err, eff)
		log.Error("stream failed", "err", res.Err)
		return res
	}
	defer em.release()
	ctx = httpstats.With(ctx, &live.HTTP)
	err = s.Extract(ctx, eff, em)
	res.Pages, res.Retries, res.Bytes = live.HTTP.Requests.Load(), live.HTTP.Retries.Load(), live.HTTP.Bytes.Load()
	_ = endWindow(ctx, s, eff, nil, em, err, &res, log)
	return res
}

// Summary is a one-line description of a result for logs.
func (r Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s.%s %s: %s, %d rows, %d rejects, %d pages, %d retries, %s", r.Source, r.Stream, r.Window, r.Status, r.Rows, r.Rejects, r.Pages, r.Retries, r.Duration.Round(time.Millisecond))
	if r.Err != nil {
		fmt.Fprintf(&b, ": %v", r.Err)
	}
	return b.String()
}
