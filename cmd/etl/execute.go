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
	// destination names where the plan writes (sink kind and place): part
	// of the plan's identity, so another destination is another plan.
	destination string
	// restart drops an unfinished plan's progress instead of resuming it.
	restart bool
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

// stateLocation is where state lives: "file" or "clickhouse".
func (a *app) stateLocation() string {
	loc := a.cfg.State.Location
	if loc == "auto" {
		loc = "file"
		if a.cfg.Sink.Type == "clickhouse" {
			loc = "clickhouse"
		}
	}
	return loc
}

// openStateOnly opens the state store for the state commands: file state
// needs no sink (a Parquet directory a run is writing stays untouched), the
// ClickHouse store needs the connection. done closes what was opened.
func (a *app) openStateOnly(ctx context.Context) (state.Store, func(), error) {
	if a.stateLocation() != "clickhouse" {
		st, err := a.openState(ctx, nil)
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	}
	sink, err := a.openSink(ctx)
	if err != nil {
		return nil, nil, err
	}
	st, err := a.openState(ctx, sink)
	if err != nil {
		sink.Close()
		return nil, nil, err
	}
	return st, func() { st.Close(); sink.Close() }, nil
}

// openState opens the state store the config asks for.
func (a *app) openState(ctx context.Context, sink load.Sink) (state.Store, error) {
	if a.stateLocation() == "clickhouse" {
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

// planID names a backfill by its streams, chunks and destination: the same
// command resumes, the same range into another destination is another plan.
func planID(tasks []job.Task, destination string) string {
	keys := make([]string, len(tasks))
	for i, t := range tasks {
		keys[i] = t.Key()
	}
	sort.Strings(keys)
	keys = append(keys, "destination "+destination)
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
		prevRows  = map[string]int64{}
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
		prev, err := previousEntries(ctx, store, spec.tasks)
		if err != nil {
			return cli.Exit(fmt.Sprintf("read watermarks: %v", err), exitFailed)
		}
		wms := map[string]time.Time{}
		for id, e := range prev {
			wms[id] = e.Watermark
			prevRows[id] = e.LastRows
		}
		wm := job.NewWatermarks(spec.tasks, wms)
		a.warnGaps(wm, spec.tasks)
		if spec.planID != "" {
			done, finished, err := a.preparePlan(ctx, store, spec)
			if err != nil {
				return err
			}
			if finished {
				// Schedulers still get their report: an ok run that loaded nothing new.
				a.writeReports(spec, store, report.Run{Command: spec.command, Started: started, Finished: time.Now().UTC(),
					Status: "ok", ExitCode: exitOK, Sink: sink.Name()})
				return nil
			}
			skip = func(t job.Task) bool { return done[t.Key()] }
			for _, t := range spec.tasks {
				if done[t.Key()] {
					wm.Seed(t.Stream.ID(), t.Window)
				}
			}
		}
		c := &committer{store: store, planID: spec.planID, wm: wm}
		committed = c.commit
	}

	out := a.runTasks(runCtx, sink, spec.tasks, skip, committed)
	if spec.useState {
		recordFailures(store, out)
	}
	warnings := zeroRowWarnings(out, prevRows)
	printSummary(a.stdout, out)
	for _, w := range warnings {
		a.log.Warn(w.Message)
		fmt.Fprintf(a.stdout, "WARN %s\n", w.Message)
	}
	a.printSourceCounters(sel)
	status, code, exitErr := "ok", exitOK, a.exitFor(out)
	if exitErr != nil {
		status, code = "failed", exitFailed
	}
	if ctx.Err() != nil {
		status, code = "interrupted", exitInterrupted
		exitErr = cli.Exit(interruptedLine(spec, out), exitInterrupted)
	}
	if spec.planID != "" && status == "ok" && allSaved(out) {
		a.retirePlan(store, spec)
	}
	a.writeReports(spec, store, report.Run{Command: spec.command, Started: started, Finished: time.Now().UTC(),
		Status: status, ExitCode: code, Sink: sink.Name(), Streams: streamReports(out), Warnings: warnings})
	return exitErr
}

// previousEntries reads the state of the plan's streams before it runs.
func previousEntries(ctx context.Context, store state.Store, tasks []job.Task) (map[string]state.Entry, error) {
	out := map[string]state.Entry{}
	for _, t := range tasks {
		id := t.Stream.ID()
		if _, seen := out[id]; seen {
			continue
		}
		e, _, err := store.Get(ctx, t.Stream.Source, t.Stream.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		out[id] = e
	}
	return out, nil
}

// warnGaps says, once per stream, when a backfill starts after the stream's
// watermark: it loads its range but cannot move the watermark over days it
// did not pull.
func (a *app) warnGaps(wm *job.Watermarks, tasks []job.Task) {
	seen := map[string]bool{}
	for _, t := range tasks {
		id := t.Stream.ID()
		if seen[id] {
			continue
		}
		seen[id] = true
		if prev, start, gap := wm.Gap(id); gap {
			a.log.Warn(fmt.Sprintf("%s: this range starts at %s, after the watermark %s: it is loaded, but the watermark stays (nightly runs still pull from %s; or backfill from %s)",
				id, start.Format(time.DateOnly), prev.Format(time.DateOnly), prev.Format(time.DateOnly), prev.Format(time.DateOnly)))
		}
	}
}

// preparePlan decides what a backfill does with progress an earlier run of
// the same plan left: a completed plan is retired and starts over, an
// unfinished one resumes (or starts over with --restart). finished is true
// when there is nothing left to do.
func (a *app) preparePlan(ctx context.Context, store state.Store, spec runSpec) (done map[string]bool, finished bool, err error) {
	plans, err := store.Plans(ctx)
	if err != nil {
		return nil, false, cli.Exit(fmt.Sprintf("read backfill plans: %v", err), exitFailed)
	}
	var rec *state.Plan
	for i := range plans {
		if plans[i].ID == spec.planID {
			rec = &plans[i]
		}
	}
	if done, err = store.DoneTasks(ctx, spec.planID); err != nil {
		return nil, false, cli.Exit(fmt.Sprintf("read backfill progress: %v", err), exitFailed)
	}
	n := len(spec.tasks)
	committed := 0
	for _, t := range spec.tasks {
		if done[t.Key()] {
			committed++
		}
	}
	clear := func() error {
		if err := store.ClearProgress(ctx, spec.planID); err != nil {
			return cli.Exit(fmt.Sprintf("drop backfill progress: %v", err), exitFailed)
		}
		done = map[string]bool{}
		return nil
	}
	switch {
	case rec != nil && !rec.Unfinished():
		if err := clear(); err != nil {
			return nil, false, err
		}
		a.log.Info(fmt.Sprintf("this backfill completed on %s: pulling the whole range again (%d chunks)", rec.Completed.UTC().Format(time.RFC3339), n), "plan", spec.planID)
	case spec.restart && len(done) > 0:
		if err := clear(); err != nil {
			return nil, false, err
		}
		a.log.Info(fmt.Sprintf("--restart: dropped the progress of the unfinished backfill (%d of %d chunks had committed); pulling all %d again", committed, n, n), "plan", spec.planID)
	case committed == n && n > 0:
		fmt.Fprintf(a.stdout, "nothing to do: every one of the %d chunks of this backfill was committed by an earlier run; it is now complete (the same command afterwards pulls the range again)\n", n)
		a.retirePlan(store, spec)
		return done, true, nil
	case committed > 0:
		a.log.Info(fmt.Sprintf("resuming backfill: %d of %d chunks left (%d committed by an earlier run; --restart pulls them all again)", n-committed, n, committed), "plan", spec.planID)
	}
	if err := store.SavePlan(ctx, state.Plan{ID: spec.planID, Command: spec.command, Destination: spec.destination, Tasks: n, Started: time.Now().UTC()}); err != nil {
		return nil, false, cli.Exit(fmt.Sprintf("record the backfill plan: %v", err), exitFailed)
	}
	return done, false, nil
}

// retirePlan marks a plan whose every chunk committed as complete and
// forgets its progress: the same command afterwards is a new pull.
func (a *app) retirePlan(store state.Store, spec runSpec) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := state.Plan{ID: spec.planID, Command: spec.command, Destination: spec.destination, Tasks: len(spec.tasks), Completed: time.Now().UTC()}
	if plans, err := store.Plans(ctx); err == nil {
		for _, q := range plans {
			if q.ID == spec.planID {
				p.Started = q.Started
			}
		}
	}
	if err := store.SavePlan(ctx, p); err != nil {
		a.log.Warn("backfill complete, but it could not be marked so: the same command will resume it and find nothing left", "err", err)
		return
	}
	if err := store.ClearProgress(ctx, spec.planID); err != nil {
		a.log.Warn("backfill complete, but its progress could not be dropped", "err", err)
		return
	}
	a.log.Info("backfill complete: the same command afterwards pulls the whole range again", "plan", spec.planID)
}

// allSaved says every task's progress was recorded.
func allSaved(out []job.Outcome) bool {
	for _, o := range out {
		if o.SaveErr != nil {
			return false
		}
	}
	return true
}

// zeroRowWarnings flags each windowed stream that loaded 0 rows in this run,
// every window done, where its previous run loaded rows: not a failure, but
// an empty pull is how data goes missing unnoticed.
func zeroRowWarnings(out []job.Outcome, prevRows map[string]int64) []report.Warning {
	type agg struct {
		source, stream string
		first, last    window.Window
		rows           int64
		ok, bad        int
	}
	by := map[string]*agg{}
	var order []string
	for _, o := range out {
		if !o.Task.Stream.Windowed {
			continue
		}
		id := o.Task.Stream.ID()
		g, found := by[id]
		if !found {
			g = &agg{source: o.Task.Stream.Source, stream: o.Task.Stream.Name, first: o.Task.Window}
			by[id] = g
			order = append(order, id)
		}
		g.last = o.Task.Window
		g.rows += o.Result.Rows
		switch o.Result.Status {
		case engine.StatusOK:
			g.ok++
		case engine.StatusSkipped:
		default:
			g.bad++
		}
	}
	var ws []report.Warning
	for _, id := range order {
		g := by[id]
		if g.ok == 0 || g.bad > 0 || g.rows != 0 || prevRows[id] <= 0 {
			continue
		}
		span := window.Window{Start: g.first.Start, End: g.last.End}
		ws = append(ws, report.Warning{Source: g.source, Stream: g.stream, Kind: report.WarningZeroRows, PreviousRows: prevRows[id],
			Message: fmt.Sprintf("%s: 0 rows for %s, where the previous run of this stream loaded %d: check the source (not a failure)", id, span, prevRows[id])})
	}
	return ws
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

// committer saves a committed task: its plan progress, then the stream's
// state (the watermark only where job.Watermarks allows it, and the rows
// the stream loaded so far in this run).
type committer struct {
	store  state.Store
	planID string
	wm     *job.Watermarks
	// mu keeps a stream's row total and its Advance in the same order.
	mu sync.Mutex
}

func (c *committer) commit(t job.Task, res engine.Result) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if c.planID != "" {
		if err := c.store.MarkDone(ctx, c.planID, t.Key()); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := state.Entry{Source: t.Stream.Source, Stream: t.Stream.Name, LastStatus: state.StatusOK, LastRows: res.Rows}
	if t.Stream.Windowed {
		end, advance, total := c.wm.Done(t.Stream.ID(), t.Window, res.Rows)
		if advance {
			e.Watermark = end
		}
		e.LastRows = total
	}
	return c.store.Advance(ctx, e)
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
