package main

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/extract"
)

// sandboxCommand serves the fake APIs in their own process, so other runs
// (or other tools) can be pointed at them and measured without the fakes'
// memory and CPU mixed in.
func sandboxCommand() *cli.Command {
	return &cli.Command{
		Name:  "sandbox",
		Usage: "serve the built-in fake APIs on loopback and print the environment that points etl at them; Ctrl-C stops",
		Flags: []cli.Flag{
			&cli.Int64Flag{Name: "seed", Value: 42},
			&cli.Float64Flag{Name: "faults", Value: 0, Usage: "share of requests that fail"},
			&cli.Float64Flag{Name: "scale", Value: 1, Usage: "data volume multiplier"},
			&cli.DurationFlag{Name: "latency", Usage: "delay every answer by this much (e.g. 50ms), as a distant API would: shows whether etl overlaps its requests up to the rate limit"},
			&cli.BoolFlag{Name: "prerender", Usage: "serve list pages from memory once rendered, with no request budget (throughput benchmarks; Userflow)"},
			&cli.StringSliceFlag{Name: "variant", Usage: "source:variant, a fake serving another reading of an undocumented detail (e.g. whatfix:cursor-key; see docs/guesses.md), to watch etl check name it"},
		},
		Action: func(c *cli.Context) error {
			// The fakes hold the whole generated account in memory (a
			// pointer-rich heap of ~1 GiB at --scale 60): under etl's
			// 200 MiB soft limit the collector ran without pause and took
			// 28 of the sandbox's 37 CPU seconds, starving the run being
			// measured on a 2-core machine. The sandbox is not what is
			// measured, so it gets the Go default.
			if os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(math.MaxInt64)
				if os.Getenv("GOGC") == "" {
					// Go's default, not etl's 50: the fakes' heap is large
					// and full of pointers, so each collection is costly.
					debug.SetGCPercent(100)
				}
			}
			variants, err := parseVariants(c.StringSlice("variant"))
			if err != nil {
				return err
			}
			if c.Duration("latency") < 0 {
				return usageError("--latency %s: must not be negative", c.Duration("latency"))
			}
			env, stop, err := startSandboxesWith(extract.SandboxOptions{Seed: c.Int64("seed"), Now: time.Now().UTC(), Faults: c.Float64("faults"), Scale: c.Float64("scale"), Prerender: c.Bool("prerender")}, variants, c.Duration("latency"))
			if err != nil {
				return cli.Exit(err.Error(), exitFailed)
			}
			defer stop()
			keys := make([]string, 0, len(env))
			for k := range env {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(c.App.Writer, "export %s=%s\n", k, env[k])
			}
			if f, ok := c.App.Writer.(*os.File); ok {
				_ = f.Sync()
			}
			<-c.Context.Done()
			return nil
		},
	}
}

// parseVariants reads --variant source:name flags against each source's
// SandboxVariants.
func parseVariants(flags []string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range flags {
		src, name, _ := strings.Cut(f, ":")
		p, ok := extract.Lookup(src)
		if !ok {
			return nil, usageError("--variant %s: unknown source %q (known: %s)", f, src, strings.Join(extract.Names(), ", "))
		}
		if !slices.Contains(p.SandboxVariants, name) {
			return nil, usageError("--variant %s: %s's sandbox has no variant %q (known: %s)", f, src, name, strings.Join(p.SandboxVariants, ", "))
		}
		if prev, dup := out[src]; dup {
			return nil, usageError("--variant %s: %s already serves %s (one variant per source)", f, src, prev)
		}
		out[src] = name
	}
	return out, nil
}
