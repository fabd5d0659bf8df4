package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/pipeline"
	"github.com/adoptionlabs/etl/pipeline/plan"
	"github.com/adoptionlabs/etl/progress"
	"github.com/adoptionlabs/etl/window"
)

// exitInterrupted follows the shell's convention for SIGINT.
const exitInterrupted = 130

func reportFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "report", Usage: "write the machine-readable run report (JSON) here (default: run.report_path)"},
		&cli.StringFlag{Name: "metrics-file", Usage: "write a Prometheus textfile-collector file here, atomically (default: run.metrics_file)"},
		&cli.BoolFlag{Name: "dry-run", Usage: "print the plan (streams x windows, estimated requests) without calling any API"},
		&cli.IntFlag{Name: "parallel", Usage: "chunks run at once across sources and windows (default: run.parallel)"},
	}
}

// applyRunFlags reads the flags every running command shares.
func (a *app) applyRunFlags(c *cli.Context, spec *pipeline.Spec) error {
	if c.IsSet("parallel") {
		p := c.Int("parallel")
		if p < 1 || p > 64 {
			return usageError("--parallel %d: want 1..64", p)
		}
		a.cfg.Run.Parallel = p
	}
	spec.ReportPath, spec.MetricsPath = a.cfg.Run.ReportPath, a.cfg.Run.MetricsFile
	if c.IsSet("report") {
		spec.ReportPath = c.String("report")
	}
	if c.IsSet("metrics-file") {
		spec.MetricsPath = c.String("metrics-file")
	}
	return nil
}

// printPlan is --dry-run: what would run, with no request made.
func (a *app) printPlan(sel *pipeline.Selection, tasks []plan.Task) {
	for _, sk := range sel.Skipped {
		fmt.Fprintln(a.stdout, sk.Line())
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
	// Columns as wide as their longest value: Whatfix report names run past 42.
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "STREAM\tWINDOWS\tRANGE\tEST. REQUESTS")
	for _, id := range order {
		g := by[id]
		r := window.Window{Start: g.windows[0].Start, End: g.windows[len(g.windows)-1].End}
		fmt.Fprintf(tw, "%s\t%d\t%s\t~%d\n", id, len(g.windows), r, g.est)
		total += g.est
	}
	_ = tw.Flush()
	fmt.Fprintf(a.stdout, "%d tasks, ~%d requests (an estimate: pages depend on the data); nothing was requested\n", len(tasks), total)
}

// estimateRequests guesses pages: streams that declare an estimate use it,
// others count one request per day of the window (snapshots: one).
func estimateRequests(t plan.Task) int {
	if t.Stream.Estimate != nil {
		return t.Stream.Estimate(t.Window)
	}
	if !t.Stream.Windowed {
		return 1
	}
	return len(t.Window.Days())
}

// execute runs spec through the pipeline with the live view, then prints
// the summary and maps the outcome to the exit code.
func (a *app) execute(ctx context.Context, sel *pipeline.Selection, spec pipeline.Spec) error {
	a.p.Progress = progress.New(a.stderr, isTerminal(a.rawStderr), a.log, 15*time.Second)
	res, err := a.p.Execute(ctx, sel, spec)
	if err != nil {
		return exitFor(err)
	}
	if res.Notice != "" {
		fmt.Fprintln(a.stdout, res.Notice)
	}
	if res.Notice != "" || len(res.Outcomes) == 0 {
		if res.Status == pipeline.StatusFailed {
			return cli.Exit(failedLine(res), exitFailed)
		}
		return nil
	}
	printSummary(a.stdout, res.Outcomes)
	for _, w := range res.Warnings {
		a.log.Warn(w.Message)
		fmt.Fprintf(a.stdout, "WARN %s\n", w.Message)
	}
	a.printSourceCounters(sel)
	switch res.Status {
	case pipeline.StatusInterrupted:
		return cli.Exit(interruptedLine(spec, res.Outcomes), exitInterrupted)
	case pipeline.StatusFailed:
		return cli.Exit(failedLine(res), exitFailed)
	}
	return nil
}

// failedLine is the last line of a failed run: which sources could not run,
// and how many windows failed of each kind. Only transient failures are
// worth a rerun as they are; the others say what to change in their
// FAILED line.
func failedLine(res *pipeline.Result) string {
	var parts []string
	for _, s := range res.CannotRun {
		it := "it"
		if len(s.Missing) > 1 {
			it = "them"
		}
		parts = append(parts, fmt.Sprintf("%s could not run (%s unset: set %s, or leave the source out with --source or `enabled: false`)", s.Source, strings.Join(s.Missing, ", "), it))
	}
	change, transient := 0, 0
	for _, o := range res.Outcomes {
		if o.Result.Status != engine.StatusFailed {
			continue
		}
		if o.Result.Fix != "" {
			change++
		} else {
			transient++
		}
	}
	const (
		needChange = "each FAILED line above starts with what to change; a rerun alone will not fix it"
		rerun      = "rerun the same command to retry them"
	)
	switch n := len(res.Outcomes); {
	case change > 0 && transient > 0:
		parts = append(parts, fmt.Sprintf("%d of %d stream windows failed: %d on something to change (%s), %d on transient errors (%s)", change+transient, n, change, needChange, transient, rerun))
	case change > 0:
		parts = append(parts, fmt.Sprintf("%d of %d stream windows failed on something to change: %s", change, n, needChange))
	case transient > 0:
		parts = append(parts, fmt.Sprintf("%d of %d stream windows failed on transient errors (timeouts, 5xx, rate limits): %s", transient, n, rerun))
	}
	return strings.Join(parts, "; ")
}

func interruptedLine(spec pipeline.Spec, out []pipeline.Outcome) string {
	ok := 0
	for _, o := range out {
		if o.Result.Status == engine.StatusOK || o.Result.Status == engine.StatusSkipped {
			ok++
		}
	}
	msg := fmt.Sprintf("interrupted: %d of %d chunks committed, in-flight chunks abandoned without partial commits", ok, len(spec.Tasks))
	if spec.PlanID != "" {
		return msg + "; rerun the same command to resume"
	}
	return msg + "; the next `etl run` starts from the saved watermarks"
}

func (a *app) printSourceCounters(sel *pipeline.Selection) {
	seen := map[string]bool{}
	for _, st := range sel.Streams {
		src := a.cfg.Source(st.Source)
		if src == nil || seen[src.Name] {
			continue
		}
		seen[src.Name] = true
		c, ok := src.Config.(extract.Counters)
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
