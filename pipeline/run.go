package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/pipeline/outcome"
	"github.com/adoptionlabs/etl/pipeline/plan"
	"github.com/adoptionlabs/etl/report"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/window"
)

// Spec is one run: what backfill, run and demo hand to Execute.
type Spec struct {
	Command string
	Tasks   []plan.Task
	// PlanID, when set, makes the run resumable: committed tasks are
	// recorded and skipped by a rerun with the same arguments.
	PlanID string
	// Destination names where the plan writes: part of the plan's
	// identity, so another destination is another plan.
	Destination string
	// Restart drops an unfinished plan's progress instead of resuming it.
	Restart bool
	// UseState turns on the lock, watermarks and resume (not for the demo).
	UseState bool
	// Store, when set, is the open state store to use (the caller closes
	// it); otherwise Execute opens one when UseState.
	Store       state.Store
	ReportPath  string
	MetricsPath string
	// Strict makes a selected source that cannot run (its credentials
	// unset) fail the run, as a scheduler must see it: run and backfill.
	// The demo is lenient.
	Strict bool

	// runID names this run in the log, the loaded rows and the report.
	runID string
}

// Status is how a run ended.
type Status string

const (
	StatusOK          Status = "ok"
	StatusFailed      Status = "failed"
	StatusInterrupted Status = "interrupted"
)

// Result is what Execute reports for the CLI to print.
type Result struct {
	Status   Status
	Outcomes []Outcome
	Warnings []report.Warning
	// Notice, when set, is the one line to print instead of a summary:
	// there was nothing to do.
	Notice string
	// Failed counts the failed stream windows.
	Failed int
	// CannotRun are the selected sources that could not run; under
	// Spec.Strict they failed the run.
	CannotRun []config.Skipped
}

// Outcome pairs a task and its result.
type Outcome = outcome.Outcome

// Execute runs spec into the sink, with the lock, resume and watermarks
// when spec.UseState, and writes the report and the metrics. An error is a
// run that could not start (usage errors are *UsageError); a run whose
// streams failed or that was interrupted says so in Result.Status.
func (p *Pipeline) Execute(ctx context.Context, sel *Selection, spec Spec) (*Result, error) {
	spec.runID = newRunID()
	cannotRun := sel.CannotRun()
	for _, s := range sel.Skipped {
		switch {
		case s.Disabled:
			p.Log.Info(s.Line())
		case spec.Strict:
			p.Log.Error(s.Line())
		default:
			p.Log.Warn(s.Line())
		}
	}
	failSkipped := spec.Strict && len(cannotRun) > 0
	if len(spec.Tasks) == 0 {
		switch {
		case failSkipped:
			// Nothing else to run: the report and the metrics still say
			// which sources could not.
			now := time.Now().UTC()
			run := report.Run{RunID: spec.runID, Command: spec.Command, Started: now, Finished: now, Sink: p.Config.Sink.Type, Sources: sourceReports(sel)}
			run.Status, run.ExitCode = string(StatusFailed), 1
			store := spec.Store
			if store == nil && spec.UseState && spec.MetricsPath != "" {
				// Only for the last-success times the metrics keep.
				var err error
				if store, err = p.OpenState(ctx); err != nil {
					p.Log.Warn("could not open the state store: the metrics file has no last-success times", "err", err)
					store = nil
				} else {
					defer p.CloseState(store)
				}
			}
			p.writeReports(spec, store, run)
			return &Result{Status: StatusFailed, CannotRun: cannotRun}, nil
		case len(sel.Streams) == 0:
			return nil, usage("nothing to run: no enabled source has credentials set (see the lines above, and the README for the environment variables)")
		}
		return &Result{Status: StatusOK, Notice: "nothing to do: every stream is up to date", CannotRun: cannotRun}, nil
	}
	started := time.Now().UTC()
	sink, err := p.OpenSink(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := sink.Close(); err != nil {
			p.Log.Error("could not close the sink", "sink", sink.Name(), "err", err)
		}
	}()
	run := report.Run{RunID: spec.runID, Command: spec.Command, Started: started, Sink: sink.Name(), Sources: sourceReports(sel)}
	store := spec.Store
	if spec.UseState && store == nil {
		if store, err = p.OpenState(ctx); err != nil {
			return nil, err
		}
		defer p.CloseState(store)
	}
	ex := &execution{p: p, spec: spec, store: store, prevRows: map[string]int64{}}
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	var (
		outcomes  []Outcome
		restarted bool // an early run was discarded: its progress display is spent
	)
	if spec.UseState {
		var early *earlyRun
		lock, err := p.lock(ctx, store, spec.Command, func() { early = ex.startEarly(runCtx, sink) })
		if err != nil {
			early.discard()
			return nil, err
		}
		defer p.release(lock)
		go func() {
			select {
			case <-lock.Lost():
				p.Log.Error("the run lock was taken over by another run: stopping without committing more")
				cancelRun()
			case <-runCtx.Done():
			}
		}()
		p.dropStaleStaging(ctx, sink)
		notice, err := ex.prepare(ctx)
		if err != nil {
			early.discard()
			return nil, err
		}
		switch {
		case early == nil:
		case notice != "":
			early.discard()
		case early.matches(ex.done):
			outcomes = early.proceed()
		default:
			// Another run committed chunks before the lock was won.
			early.discard()
			restarted = true
			p.Log.Info("the backfill's progress changed while the run lock was being decided: starting again from it")
		}
		if notice != "" {
			// Schedulers still get their report: an ok run that loaded
			// nothing new (failed if a source could not run).
			res := &Result{Status: StatusOK, Notice: notice, CannotRun: cannotRun}
			if failSkipped {
				res.Status, run.ExitCode = StatusFailed, 1
			}
			run.Finished, run.Status = time.Now().UTC(), string(res.Status)
			p.writeReports(spec, store, run)
			return res, nil
		}
	}

	if outcomes == nil {
		outcomes = ex.run(runCtx, runOn{sink: sink, done: ex.done, log: p.Log, progress: !restarted})
	}
	res := &Result{Outcomes: outcomes, CannotRun: cannotRun}
	if spec.UseState {
		p.recordFailures(store, res.Outcomes)
	}
	res.Warnings = outcome.ZeroRowWarnings(res.Outcomes, ex.prevRows)
	for _, o := range res.Outcomes {
		if o.Result.Status == engine.StatusFailed {
			res.Failed++
		}
	}
	res.Status, run.ExitCode = StatusOK, 0
	if res.Failed > 0 || failSkipped {
		res.Status, run.ExitCode = StatusFailed, 1
	}
	if ctx.Err() != nil {
		res.Status, run.ExitCode = StatusInterrupted, 130
	}
	if spec.PlanID != "" && res.Status == StatusOK && outcome.AllSaved(res.Outcomes) {
		ex.backfill().Retire()
	}
	run.Finished, run.Status, run.Streams, run.Warnings = time.Now().UTC(), string(res.Status), outcome.StreamReports(res.Outcomes), res.Warnings
	p.writeReports(spec, store, run)
	return res, nil
}

// newRunID is a run's id: its UTC start to the second and 16 random bits.
func newRunID() string {
	now := time.Now().UTC()
	return now.Format("20060102T150405Z") + fmt.Sprintf("-%04x", now.UnixNano()&0xffff)
}

// sourceReports lists the selected sources for the run report: those that
// run (their status comes from their windows) and those skipped, with why.
func sourceReports(sel *Selection) []report.SourceReport {
	var out []report.SourceReport
	at := map[string]int{}
	for _, st := range sel.Streams {
		i, ok := at[st.Source]
		if !ok {
			i = len(out)
			at[st.Source] = i
			out = append(out, report.SourceReport{Source: st.Source})
		}
		out[i].Streams = append(out[i].Streams, st.Name)
	}
	for _, s := range sel.Skipped {
		out = append(out, report.SourceReport{Source: s.Source, Status: s.Status(), Streams: s.Streams})
	}
	return out
}

// dropStaleStaging drops what a killed run left staged; the run lock is
// held, so no staging of a live run is touched.
func (p *Pipeline) dropStaleStaging(ctx context.Context, sink load.Sink) {
	c, ok := sink.(load.StagingCleaner)
	if !ok {
		return
	}
	if n, err := c.DropStaleStaging(ctx); err != nil {
		p.Log.Warn("could not drop staging tables of an earlier killed run", "err", err)
	} else if n > 0 {
		p.Log.Info("dropped staging tables left by a killed run", "tables", n)
	}
}

// runOn is what one run of the tasks writes to and how.
type runOn struct {
	sink load.Sink
	done map[string]bool // tasks to skip
	// gate, for an early run, holds back its state commits as its held
	// sink holds back its writes.
	gate     *gate
	log      *slog.Logger
	progress bool // drive p.Progress
}

// run executes every task not yet done with at most run.parallel at once.
// A failed task never stops the others. When ctx is cancelled, tasks not
// started are dropped and running ones abandon their window without
// committing.
func (ex *execution) run(ctx context.Context, on runOn) []Outcome {
	p, sink := ex.p, on.sink
	runID := ex.spec.runID
	opts := engine.Options{Sink: sink, Allocator: memory.NewGoAllocator(), BatchRows: p.Config.Run.BatchRows, RunID: runID, Logger: on.log}
	progress := p.Progress
	if !on.progress {
		progress = nil
	}
	if progress != nil {
		opts.OnStart, opts.OnDone = progress.Started, progress.Finished
	}
	eng := engine.NewRunner(opts)
	var todo []plan.Task
	counts := map[string]int{}
	for _, t := range ex.spec.Tasks {
		if !on.done[t.Key()] {
			todo = append(todo, t)
			counts[t.Stream.Source]++
		}
	}
	if progress != nil {
		progress.Plan(counts)
		progress.Run(ctx)
		defer progress.Stop()
	}
	on.log.Info("run started", "run_id", runID, "tasks", len(todo), "sink", sink.Name(), "parallel", p.Config.Run.Parallel)
	par := max(p.Config.Run.Parallel, 1)
	var (
		mu  sync.Mutex
		out []Outcome
		wg  sync.WaitGroup
	)
	finished := func(t plan.Task, res engine.Result) {
		o := Outcome{Task: t, Result: res}
		// A window the API cannot serve at all (clipped to nothing
		// by how far back it goes) will never load: it counts as done.
		unservable := res.Status == engine.StatusSkipped && t.Stream.Windowed && effectiveEmpty(eng, t)
		if ex.spec.UseState && res.Err == nil && (res.Status == engine.StatusOK || unservable) {
			// A window clipped to nothing commits no rows, so nothing
			// held it back: an early run's state waits for the lock too.
			if on.gate == nil || on.gate.wait(ctx) == nil {
				o.SaveErr = ex.commit(t, res)
			}
		}
		mu.Lock()
		out = append(out, o)
		mu.Unlock()
	}
	queue := make(chan []plan.Task)
	for i := 0; i < par; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for group := range queue {
				if len(group) == 1 {
					finished(group[0], eng.Run(ctx, group[0].Stream, group[0].Window))
					continue
				}
				runWalk(ctx, eng, group, finished)
			}
		}()
	}
feed:
	for _, group := range groupWalks(todo) {
		select {
		case queue <- group:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	sort.SliceStable(out, func(a, b int) bool {
		ta, tb := out[a].Task, out[b].Task
		if ta.Stream.ID() != tb.Stream.ID() {
			return ta.Stream.ID() < tb.Stream.ID()
		}
		return ta.Window.Start.Before(tb.Window.Start)
	})
	return out
}

func effectiveEmpty(eng *engine.Runner, t plan.Task) bool {
	eff, _ := eng.Effective(t.Stream, t.Window)
	return eff.Empty()
}

// groupWalks groups tasks into what one worker runs: a task alone, or every
// chunk of a DescendingWalk stream together, so they share one walk
// (re-walking from the top per chunk costs about N²/2C days of pages for N
// days in chunks of C). Order is kept by each group's first task.
func groupWalks(tasks []plan.Task) [][]plan.Task {
	var out [][]plan.Task
	walks := map[*engine.Stream]int{}
	for _, t := range tasks {
		if t.Stream.DescendingWalk && t.Stream.Windowed {
			if i, ok := walks[t.Stream]; ok {
				out[i] = append(out[i], t)
				continue
			}
			walks[t.Stream] = len(out)
		}
		out = append(out, []plan.Task{t})
	}
	return out
}

// runWalk runs a walk group's chunks from one walk; each chunk is finished
// (its progress and watermark saved) as the walk commits it.
func runWalk(ctx context.Context, eng *engine.Runner, group []plan.Task, finished func(plan.Task, engine.Result)) {
	byWindow := map[window.Window]plan.Task{}
	chunks := make([]window.Window, len(group))
	for i, t := range group {
		byWindow[t.Window], chunks[i] = t, t.Window
	}
	eng.RunWalk(ctx, group[0].Stream, chunks, func(w window.Window, res engine.Result) {
		finished(byWindow[w], res)
	})
}
