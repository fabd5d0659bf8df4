package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/sandbox"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/pipeline"
	"github.com/adoptionlabs/etl/pipeline/plan"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "backfill the last N days from the built-in sandbox APIs (no credentials), then summarise each table",
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "days", Value: 30, Usage: "days to backfill, today included"},
			&cli.Int64Flag{Name: "seed", Value: 42, Usage: "sandbox data seed"},
			&cli.Float64Flag{Name: "faults", Value: 0, Usage: "share of sandbox requests that fail (5xx, 429, truncated bodies) to watch retries work"},
			&cli.Float64Flag{Name: "scale", Value: 1, Usage: "sandbox data volume multiplier (measuring memory on large windows)", Hidden: true},
		}, append(selectFlags(), sinkFlags()...)...),
		Action: func(c *cli.Context) error {
			days := c.Int("days")
			if days < 1 || days > 365 {
				return usageError("--days %d: want 1..365", days)
			}
			now := time.Now().UTC()
			env, stop, err := startSandboxes(c.Int64("seed"), now, c.Float64("faults"), c.Float64("scale"), nil)
			if err != nil {
				return cli.Exit(err.Error(), exitFailed)
			}
			defer stop()
			lookup := func(k string) (string, bool) {
				if v, ok := env[k]; ok {
					return v, true
				}
				return os.LookupEnv(k)
			}
			a, err := setup(c, lookup)
			if err != nil {
				return err
			}
			if err := a.applySinkFlags(c); err != nil {
				return err
			}
			today := window.Floor(now)
			w := window.New(today.AddDate(0, 0, -(days-1)), today.Add(window.Day))
			sel, err := a.selectStreams(c.StringSlice("source"), c.StringSlice("stream"), true)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "etl demo: backfilling %s from the sandbox APIs into %s\n", w, a.sinkPlace())
			start := time.Now()
			if err := a.execute(c.Context, sel, pipeline.Spec{Command: "etl demo", Tasks: plan.Chunks(sel.Streams, w, 0)}); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "\nTables (%s, %.1fs):\n", a.sinkPlace(), time.Since(start).Seconds())
			counts, err := a.printTableCounts(c.Context, sel)
			if err != nil {
				return err
			}
			a.printNextSteps(os.Args[0], w, counts)
			return nil
		},
	}
}

// startSandboxes serves every source's fake API on loopback and returns the
// environment that points the sources at them.
// variants maps a source to the SandboxVariants entry its fake serves.
func startSandboxes(seed int64, now time.Time, faults, scale float64, variants map[string]string) (map[string]string, func(), error) {
	return startSandboxesWith(extract.SandboxOptions{Seed: seed, Now: now, Scale: scale, Faults: faults}, variants, 0)
}

// startSandboxesWith starts every source's fake with base's options (its
// Variant taken from variants per source), every answer delayed by latency
// as a distant API's would be.
func startSandboxesWith(base extract.SandboxOptions, variants map[string]string, latency time.Duration) (map[string]string, func(), error) {
	env := map[string]string{}
	var servers []*sandbox.Server
	stop := func() {
		for _, s := range servers {
			_ = s.Close()
		}
	}
	for _, name := range extract.Names() {
		p, _ := extract.Lookup(name)
		if p.Sandbox == nil {
			continue
		}
		opts := base
		opts.Variant = variants[name]
		sb := p.Sandbox(opts)
		srv, err := sandbox.Start(sandbox.Latency(sb.Handler, latency))
		if err != nil {
			stop()
			return nil, nil, err
		}
		servers = append(servers, srv)
		for k, v := range sb.Env(srv.URL) {
			env[k] = v
		}
	}
	return env, stop, nil
}

func (a *app) sinkPlace() string {
	_, sc, err := a.p.ConfiguredSink()
	if err != nil {
		return a.cfg.Sink.Type
	}
	return sc.Place()
}

// printTableCounts reads back what landed, by the names dashboards use, and
// returns the counts it could read.
func (a *app) printTableCounts(ctx context.Context, sel *pipeline.Selection) (map[string]int64, error) {
	seen := map[string]bool{}
	var tables []*schemas.Table
	for _, st := range sel.Streams {
		for _, t := range st.Tables {
			if !seen[t.Name] {
				seen[t.Name] = true
				tables = append(tables, t)
			}
		}
	}
	tables = append(tables, schemas.Rejects)
	sort.Slice(tables, func(i, j int) bool { return tables[i].Name < tables[j].Name })
	k, sc, err := a.p.ConfiguredSink()
	if err != nil {
		return nil, exitFor(err)
	}
	counter, ok := sc.(load.RowCounter)
	if !ok {
		fmt.Fprintf(a.stdout, "(the %s sink cannot count rows)\n", k.Name)
		return nil, nil
	}
	count := func(t *schemas.Table) (int64, error) { return counter.CountRows(ctx, load.Env{Logger: a.log}, t.Name) }
	counts := map[string]int64{}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS")
	for _, t := range tables {
		n, err := count(t)
		if err != nil {
			fmt.Fprintf(tw, "%s\terror: %v\n", t.Name, err)
			continue
		}
		counts[t.Name] = n
		fmt.Fprintf(tw, "%s\t%d\n", t.Name, n)
	}
	return counts, tw.Flush()
}

// printNextSteps ends the demo with what a newcomer does next: query what
// was written, then point etl at real accounts and at ClickHouse. bin is how
// etl was invoked, so the commands can be pasted as they are.
func (a *app) printNextSteps(bin string, w window.Window, counts map[string]int64) {
	out := a.stdout
	fmt.Fprintln(out, "\nWhat next")
	// The biggest table, so the example query shows something.
	var table string
	for name, n := range counts {
		if n > counts[table] || (n == counts[table] && n > 0 && name < table) {
			table = name
		}
	}
	k, err := load.Lookup(a.cfg.Sink.Type)
	if err != nil {
		return // the demo ran, so the kind resolves
	}
	sc := a.cfg.Sink.Settings(k.Name)
	if q, ok := sc.(load.QueryHinter); ok && table != "" {
		printHint(out, q.QueryHint(table))
	}
	fmt.Fprintln(out, "  Your own accounts: export the variables of the sources you use (README, \"Point it at your accounts\"):")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, src := range a.cfg.Sources {
		// A source's defaults, before the environment fills them, miss
		// exactly the variables a real account has to set.
		if src.Plugin.NewConfig != nil {
			if vars := src.Plugin.NewConfig().Missing(); len(vars) > 0 {
				fmt.Fprintf(tw, "    %s\t%s\n", src.Name, strings.Join(vars, " "))
			}
		}
	}
	_ = tw.Flush()
	// A backfill ends where the nightly run does (today is still
	// filling): suggest the demo's days up to there, so the command runs
	// without a line about clipping.
	end := plan.SettledEnd(a.cfg.Run.SettleLag.Duration, time.Now())
	if w.End.After(end) {
		start := w.Start
		if !start.Before(end) {
			start = end.Add(-window.Day)
		}
		w = window.New(start, end)
	}
	days := w.Days()
	rng := fmt.Sprintf("--from %s --to %s", days[0].Format(time.DateOnly), days[len(days)-1].Format(time.DateOnly))
	fmt.Fprintln(out, "  then check the config (no request), test the API guesses (two small requests per endpoint), load the same days:")
	backfill := bin + " backfill " + rng
	if !k.Default {
		backfill += " --sink " + k.Name
	}
	fmt.Fprintf(out, "    %s validate\n    %s check\n    %s\n", bin, bin, backfill)
	for _, name := range load.Names() {
		if sw, ok := a.cfg.Sink.Settings(name).(load.SwitchHinter); ok && name != k.Name {
			printHint(out, sw.SwitchHint(bin, rng, k.Title))
		}
	}
}

// printHint prints a step of "What next": what, then the commands.
func printHint(out io.Writer, h load.Hint) {
	fmt.Fprintf(out, "  %s\n", h.Say)
	for _, c := range h.Commands {
		fmt.Fprintf(out, "    %s\n", c)
	}
}
