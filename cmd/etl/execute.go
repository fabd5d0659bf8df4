package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/job"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/load/clickhouse"
	"github.com/adoptionlabs/etl/report"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/window"
)

// exitInterrupted follows the shell's convention for SIGINT.
const exitInterrupted = 130

// lockName is the one run lock: runs and backfills on the same state never
// overlap, so watermarks and day swaps never race.
const lockName = "etl"

// runSpec is what backfill and run hand to execute.
type runSpec struct {
	command string
	tasks   []job.Task
	// planID, when set, makes the run resumable: committed tasks are recorded
	// and skipped by a rerun with the same arguments.
	planID string
	// useState turns on the lock, watermarks and resume (not for the demo).
	useState    bool
	reportPath  string
	metricsPath string
}

func reportFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "report", Usage: "write the machine-readable run report (JSON) here (default: run.report_path)"},
		&cli.StringFlag{Name: "metrics-file", Usage: "write a Prometheus textfile-collector file here, atomically (default: run.metrics_file)"},
		&cli.BoolFlag{Name: "dry-run", Usage: "print the plan (streams x windows, estimated requests) without calling any API"},
		&cli.IntFlag{Name: "parallel", Usage: "chunks run at once across sources and windows (default: run.parallel)"},
	}
}

// applyRunFlags reads the flags every running command shares.
func (a *app) applyRunFlags(c *cli.Context, spec *runSpec) error {
	if c.IsSet("parallel") {
		p := c.Int("parallel")
		if p < 1 || p > 64 {
			return usageError("--parallel %d: want 1..64", p)
		}
		a.cfg.Run.Parallel = p
	}
	spec.reportPath, spec.metricsPath = a.cfg.Run.ReportPath, a.cfg.Run.MetricsFile
	if c.IsSet("report") {
		spec.reportPath = c.String("report")
	}
	if c.IsSet("metrics-file") {
		spec.metricsPath = c.String("metrics-file")
	}
	return nil
}

// openState opens the state store the config asks for.
func (a *app) openState(ctx context.Context, sink load.Sink) (state.Store, error) {
	loc := a.cfg.State.Location
	if loc == "auto" {
		loc = "file"
		if a.cfg.Sink.Type == "clickhouse" {
			loc = "clickhouse"
		}
	}
	if loc == "clickhouse" {
		chs, ok := sink.(*clickhouse.Sink)
		if !ok {
			return nil, usageError("state.location clickhouse needs the clickhouse sink")
		}
		st, err := chs.StateStore(ctx)
		if err != nil {
			return nil, cli.Exit(fmt.Sprintf("open state in ClickHouse: %v", err), exitFailed)
		}
		return st, nil
	}
	st, err := state.OpenFile(a.cfg.State.Dir)
	if err != nil {
		return nil, cli.Exit(fmt.Sprintf("open state in %s: %v", a.cfg.State.Dir, err), exitFailed)
	}
	return st, nil
}

// planID names a backfill by its arguments, so the same command resumes.
func planID(tasks []job.Task) string {
	keys := make([]string, len(tasks))
	for i, t := range tasks {
		keys[i] = t.Key()
	}
	sort.Strings(keys)
	sum := sha256.Sum256([]byte(strings.Join(keys, "\n")))
	return hex.EncodeToString(sum[:8])
}

// printPlan is --dry-run: what would run, with no request made.
func (a *app) printPlan(sel *selection, tasks []job.Task) {
	for _, sk := range sel.skipped {
		fmt.Fprintln(a.stdout, sk)
	}
	type agg struct {
		windows []window.Window
		est     int
	}
	by := map[string]*agg{}
	var order []string
	for _, t := range tasks {
		id := t.Stream.ID()
		g, ok := by[id]
		if !ok {
			g = &agg{}
			by[id] = g
			order = append(order, id)
		}
		g.windows = append(g.windows, t.Window)
		g.est += estimateRequests(t)
	}
	total := 0
	fmt.Fprintf(a.stdout, "%-42s %-8s %-26s %s\n", "STREAM", "WINDOWS", "RANGE", "EST. REQUESTS")
	for _, id := range order {
		g := by[id]
		r := window.Window{Start: g.windows[0].Start, End: g.windows[len(g.windows)-1].End}
		fmt.Fprintf(a.stdout, "%-42s %-8d %-26s ~%d\n", id, len(g.windows), r, g.est)
		total += g.est
	}
	fmt.Fprintf(a.stdout, "%d tasks, ~%d requests (an estimate: pages depend on the data); nothing was requested\n", len(tasks), total)
}

// estimateRequests guesses pages: streams that declare an estimate use it,
// others count one request per day of the window (snapshots: one).
func estimateRequests(t job.Task) int {
	if t.Stream.Estimate != nil {
		return t.Stream.Estimate(t.Window)
	}
	if !t.Stream.Windowed {
		return 1
	}
	return len(t.Window.Days())
}

// execute runs a plan into the sink, with the lock, resume and watermarks
// when spec.useState, then prints the summary and writes the reports.
func (a *app) execute(ctx context.Context, sel *selection, spec runSpec) error {
	for _, s := range sel.skipped {
		a.log.Warn(s)
	}
	if len(spec.tasks) == 0 {
		if len(sel.streams) == 0 {
			return cli.Exit("nothing to run: no enabled source has credentials set (see the lines above, and the README for the environment variables)", exitUsage)
		}
		fmt.Fprintln(a.stdout, "nothing to do: every stream is up to date")
		return nil
	}
	started := time.Now().UTC()
	sink, err := a.openSink(ctx)
	if err != nil {
		return err
	}
	defer sink.Close()

	var (
		store     state.Store
		skip      func(job.Task) bool
		committed func(job.Task, engine.Result) error
	)
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	if spec.useState {
		if store, err = a.openState(ctx, sink); err != nil {
			return err
		}
		defer store.Close()
		host, _ := os.Hostname()
		lock, stale, err := store.Lock(ctx, lockName, a.cfg.State.LockTTL.Duration, state.Holder{Host: host, PID: os.Getpid(), Command: spec.command})
		if err != nil {
			return cli.Exit(err.Error(), exitFailed)
		}
		defer lock.Release(context.Background())
		if stale != nil {
			a.log.Warn("taking over a stale lock: its run stopped without releasing it", "held_by", stale.String())
		}
		if chs, ok := sink.(*clickhouse.Sink); ok {
			if n, err := chs.DropStaleStaging(ctx); err != nil {
				a.log.Warn("could not drop staging tables of an earlier killed run", "err", err)
			} else if n > 0 {
				a.log.Info("dropped staging tables left by a killed run", "tables", n)
			}
		}
		go func() {
			select {
			case <-lock.Lost():
				a.log.Error("the run lock was taken over by another run: stopping without committing more")
				cancelRun()
			case <-runCtx.Done():
			}
		}()
		wm := newWatermarks(store, spec.tasks, spec.planID)
		if spec.planID != "" {
			done, err := store.DoneTasks(ctx, spec.planID)
			if err != nil {
				return cli.Exit(fmt.Sprintf("read backfill progress: %v", err), exitFailed)
			}
			if len(done) > 0 {
				a.log.Info("resuming backfill: skipping chunks already committed", "done", len(done), "of", len(spec.tasks))
			}
			skip = func(t job.Task) bool { return done[t.Key()] }
			wm.seed(done)
		}
		committed = wm.commit
	}

	out := a.runTasks(runCtx, sink, spec.tasks, skip, committed)
	if spec.useState {
		recordFailures(store, out)
	}
	printSummary(a.stdout, out)
	a.printSourceCounters(sel)
	status, code, exitErr := "ok", exitOK, a.exitFor(out)
	if exitErr != nil {
		status, code = "failed", exitFailed
	}
	if ctx.Err() != nil {
		status, code = "interrupted", exitInterrupted
		exitErr = cli.Exit(interruptedLine(spec, out), exitInterrupted)
	}
	a.writeReports(spec, store, report.Run{Command: spec.command, Started: started, Finished: time.Now().UTC(),
		Status: status, ExitCode: code, Sink: sink.Name(), Streams: streamReports(out)})
	return exitErr
}

func interruptedLine(spec runSpec, out []job.Outcome) string {
	ok := 0
	for _, o := range out {
		if o.Result.Status == engine.StatusOK || o.Result.Status == engine.StatusSkipped {
			ok++
		}
	}
	msg := fmt.Sprintf("interrupted: %d of %d chunks committed, in-flight chunks abandoned without partial commits", ok, len(spec.tasks))
	if spec.planID != "" {
		return msg + "; rerun the same command to resume"
	}
	return msg + "; the next `etl run` starts from the saved watermarks"
}

// watermarks advance each stream only over its contiguous run of committed
// windows: a later chunk committing before an earlier one that then fails
// must not move the watermark past the gap.
type watermarks struct {
	store  state.Store
	planID string
	mu     sync.Mutex
	chunks map[string][]window.Window
	done   map[string]map[window.Window]bool
}

func newWatermarks(store state.Store, tasks []job.Task, planID string) *watermarks {
	w := &watermarks{store: store, planID: planID, chunks: map[string][]window.Window{}, done: map[string]map[window.Window]bool{}}
	for _, t := range tasks {
		if t.Stream.Windowed {
			w.chunks[t.Stream.ID()] = append(w.chunks[t.Stream.ID()], t.Window)
		}
	}
	for id := range w.chunks {
		sort.Slice(w.chunks[id], func(i, j int) bool { return w.chunks[id][i].Start.Before(w.chunks[id][j].Start) })
		w.done[id] = map[window.Window]bool{}
	}
	return w
}

// seed counts the chunks a killed run already committed (by task key), so
// the resumed run's watermark advances over them.
func (w *watermarks) seed(done map[string]bool) {
	for id, chunks := range w.chunks {
		for _, c := range chunks {
			if done[job.Key(id, c)] {
				w.done[id][c] = true
			}
		}
	}
}

func (w *watermarks) commit(t job.Task, res engine.Result) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if w.planID != "" {
		if err := w.store.MarkDone(ctx, w.planID, t.Key()); err != nil {
			return err
		}
	}
	e := state.Entry{Source: t.Stream.Source, Stream: t.Stream.Name, LastStatus: "ok"}
	if t.Stream.Windowed {
		w.mu.Lock()
		id := t.Stream.ID()
		w.done[id][t.Window] = true
		var end time.Time
		for _, c := range w.chunks[id] {
			if !w.done[id][c] {
				break
			}
			end = c.End
		}
		w.mu.Unlock()
		e.Watermark = end
	}
	if e.Watermark.IsZero() && t.Stream.Windowed {
		return nil // an earlier chunk is still running: it advances past this one
	}
	return w.store.Advance(ctx, e)
}

func recordFailures(store state.Store, out []job.Outcome) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, o := range out {
		if o.Result.Status == engine.StatusFailed {
			msg := ""
			if o.Result.Err != nil {
				msg = o.Result.Err.Error()
			}
			_ = store.RecordFailure(ctx, state.Entry{Source: o.Result.Source, Stream: o.Result.Stream, LastStatus: "failed", LastError: msg})
		}
	}
}

func streamReports(out []job.Outcome) []report.StreamReport {
	var rs []report.StreamReport
	for _, o := range out {
		r := o.Result
		sr := report.StreamReport{Source: r.Source, Stream: r.Stream, Window: r.Window.String(), Rows: r.Rows, Rejects: r.Rejects,
			Pages: r.Pages, Retries: r.Retries, Bytes: r.Bytes, DurationSeconds: r.Duration.Seconds(), Status: string(r.Status), Notices: r.Notices}
		if o.Task.Stream.Windowed {
			sr.WindowStart, sr.WindowEnd = r.Window.Start, r.Window.End
		}
		if r.Err != nil {
			sr.Error = r.Err.Error()
			if errors.Is(r.Err, context.Canceled) {
				sr.Status = "interrupted"
			}
		}
		for _, t := range r.Tables {
			sr.Tables = append(sr.Tables, report.TableReport{Table: t.Table, Rows: t.Rows, Rejects: t.Rejects, UnknownFields: t.Unknown})
		}
		rs = append(rs, sr)
	}
	return rs
}

func (a *app) writeReports(spec runSpec, store state.Store, r report.Run) {
	if spec.reportPath != "" {
		if err := report.WriteJSON(spec.reportPath, r, report.WithRedactor(redactAll)); err != nil {
			a.log.Error("could not write the run report", "path", spec.reportPath, "err", err)
		}
	}
	if spec.metricsPath != "" {
		last := map[string]time.Time{}
		if store != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			entries, err := store.List(ctx)
			cancel()
			if err == nil {
				for _, e := range entries {
					if !e.LastSuccess.IsZero() {
						last[report.StreamKey(e.Source, e.Stream)] = e.LastSuccess
					}
				}
			}
		}
		if err := report.WriteMetrics(spec.metricsPath, r, last); err != nil {
			a.log.Error("could not write the metrics file", "path", spec.metricsPath, "err", err)
		}
	}
}

// sourceCounters is what a source may count beyond pages and rows (token
// fetches of a token-authenticated API).
type sourceCounters interface{ Counters() map[string]int64 }

func (a *app) printSourceCounters(sel *selection) {
	seen := map[string]bool{}
	for _, st := range sel.streams {
		src := a.cfg.Source(st.Source)
		if src == nil || seen[src.Name] {
			continue
		}
		seen[src.Name] = true
		c, ok := src.Config.(sourceCounters)
		if !ok {
			continue
		}
		counts := c.Counters()
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%d", k, counts[k])
		}
		fmt.Fprintf(a.stdout, "NOTE %s: %s\n", src.Name, strings.Join(parts, " "))
	}
}
