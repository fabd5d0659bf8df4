package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/sandbox"
	"github.com/adoptionlabs/etl/job"
	"github.com/adoptionlabs/etl/load/clickhouse"
	pqsink "github.com/adoptionlabs/etl/load/parquet"
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
			if err := a.execute(c.Context, sel, runSpec{command: "etl demo", tasks: job.Plan(sel.streams, w, 0)}); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "\nTables (%s, %.1fs):\n", a.sinkPlace(), time.Since(start).Seconds())
			return a.printTableCounts(c.Context, sel)
		},
	}
}

// startSandboxes serves every source's fake API on loopback and returns the
// environment that points the sources at them.
// variants maps a source to the SandboxVariants entry its fake serves.
func startSandboxes(seed int64, now time.Time, faults, scale float64, variants map[string]string) (map[string]string, func(), error) {
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
		sb := p.Sandbox(extract.SandboxOptions{Seed: seed, Now: now, Scale: scale, Faults: faults, Variant: variants[name]})
		srv, err := sandbox.Start(sb.Handler)
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
	if a.cfg.Sink.Type == "clickhouse" {
		return "ClickHouse"
	}
	return "Parquet under " + a.cfg.Sink.Parquet.Dir
}

// printTableCounts reads back what landed, by the names dashboards use.
func (a *app) printTableCounts(ctx context.Context, sel *selection) error {
	seen := map[string]bool{}
	var tables []*schemas.Table
	for _, st := range sel.streams {
		for _, t := range st.Tables {
			if !seen[t.Name] {
				seen[t.Name] = true
				tables = append(tables, t)
			}
		}
	}
	tables = append(tables, schemas.Rejects)
	sort.Slice(tables, func(i, j int) bool { return tables[i].Name < tables[j].Name })
	var count func(t *schemas.Table) (int64, error)
	if a.cfg.Sink.Type == "clickhouse" {
		sink, err := clickhouse.Open(ctx, a.cfg.Sink.ClickHouse.DSN, clickhouse.Options{Logger: a.log})
		if err != nil {
			return cli.Exit(err.Error(), exitFailed)
		}
		defer sink.Close()
		count = func(t *schemas.Table) (int64, error) { return sink.CountRows(ctx, t.Name) }
	} else {
		count = func(t *schemas.Table) (int64, error) { return pqsink.CountRows(a.cfg.Sink.Parquet.Dir, t.Name) }
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS")
	for _, t := range tables {
		n, err := count(t)
		if err != nil {
			fmt.Fprintf(tw, "%s\terror: %v\n", t.Name, err)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\n", t.Name, n)
	}
	return tw.Flush()
}
