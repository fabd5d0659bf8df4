package engine

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/adoptionlabs/etl/load/loadtest"
	"github.com/adoptionlabs/etl/window"
)

// windowEnd is what a person reads of a window's end: its result and the
// lines logged for it.
type windowEnd struct {
	Status          Status
	Err, Fix        string
	Notices         []string
	Rows, Rejects   int64
	Committed, Logs string
}

// A window reads the same whether Run extracted it alone or a walk did
// (RunWalk, here over that one window): the same status, error, fix,
// notices, counts and log lines, however it ended.
func TestRunAndWalkEndAWindowAlike(t *testing.T) {
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	for _, tc := range []struct {
		name string
		// end is how the extraction ends, after one row per table and a
		// reject; cancel cancels the run.
		end func(ctx context.Context, cancel context.CancelFunc) error
		// failPrepare and failSwap name a table whose commit fails;
		// cancelAtSwap cancels the run once the swaps started.
		failPrepare, failSwap string
		cancelAtSwap          bool
		want                  Status
		wantErr, wantLog      string
	}{
		{name: "committed", end: func(context.Context, context.CancelFunc) error { return nil },
			want: StatusOK, wantLog: `level=INFO msg="stream done" source=src stream=events window=2026-11-01 rows=2 rejects=1 pages=0 retries=0`},
		{name: "skipped", end: func(context.Context, context.CancelFunc) error { return Skip("not available on this plan (HTTP 403)") },
			want: StatusSkipped, wantLog: `level=WARN msg="stream skipped" source=src stream=events window=2026-11-01 reason="not available on this plan (HTTP 403)"`},
		{name: "extraction failed", end: func(context.Context, context.CancelFunc) error {
			return errors.New("page 3: GET /events: 500 after 6 attempts")
		}, want: StatusFailed, wantErr: "src events window 2026-11-01: page 3: GET /events: 500 after 6 attempts", wantLog: `msg="stream failed"`},
		{name: "interrupted while extracting", end: func(ctx context.Context, cancel context.CancelFunc) error {
			cancel()
			return ctx.Err()
		}, want: StatusFailed, wantErr: "src events window 2026-11-01: interrupted, nothing of this window was committed: context canceled"},
		{name: "not staged", end: func(context.Context, context.CancelFunc) error { return nil }, failPrepare: "events2",
			want: StatusFailed, wantErr: "nothing of it is visible"},
		{name: "interrupted mid-swap", end: func(context.Context, context.CancelFunc) error { return nil }, failSwap: "etl_rejects", cancelAtSwap: true,
			want: StatusFailed, wantErr: "src events window 2026-11-01: interrupted, tables events, events2 of this window were committed, the others were not (src events window 2026-11-01: memory: commit (only events, events2 swapped in: rerun the window): swap in etl_rejects: connection reset): rerun the window: context canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ends := map[string]windowEnd{}
			for _, path := range []string{"Run", "RunWalk"} {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				sink := &stagedSink{Sink: loadtest.NewSink(), failPrepare: tc.failPrepare, failSwap: tc.failSwap}
				if tc.cancelAtSwap {
					sink.onSwap = func(table string) {
						if table == "events" {
							cancel()
						}
					}
				}
				var logs bytes.Buffer
				r := NewRunner(Options{Sink: sink, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: dropTime}))})
				s := twoTableStream()
				inner := s.Extract
				s.Extract = func(ctx context.Context, w window.Window, out Emitter) error {
					if err := At(ctx, out, w.Start); err != nil {
						return err
					}
					if err := inner(ctx, w, out); err != nil {
						return err
					}
					return tc.end(ctx, cancel)
				}
				s.DescendingWalk = path == "RunWalk"
				var res Result
				if path == "Run" {
					res = r.Run(ctx, s, w)
				} else {
					r.RunWalk(ctx, s, []window.Window{w}, func(_ window.Window, got Result) { res = got })
				}
				ends[path] = endOf(res, sink, logs.String())
			}
			run := ends["Run"]
			assert.Equal(t, tc.want, run.Status)
			if tc.wantErr != "" {
				assert.Contains(t, run.Err, tc.wantErr)
			}
			if tc.wantLog != "" {
				assert.Contains(t, run.Logs, tc.wantLog)
			}
			assert.Equal(t, run, ends["RunWalk"], "Run and the walk end the window alike")
		})
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func endOf(res Result, sink *stagedSink, logs string) windowEnd {
	e := windowEnd{Status: res.Status, Fix: res.Fix, Notices: res.Notices, Rows: res.Rows, Rejects: res.Rejects, Logs: logs}
	if res.Err != nil {
		e.Err = res.Err.Error()
	}
	var committed []string
	for _, table := range []string{"events", "events2", "etl_rejects"} {
		if len(sink.Rows(table)) > 0 {
			committed = append(committed, table)
		}
	}
	e.Committed = strings.Join(committed, ", ")
	return e
}
