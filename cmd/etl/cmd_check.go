package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/load"
)

// checkTimeout bounds the whole check: a few small requests per endpoint.
const checkTimeout = 2 * time.Minute

func checkCommand() *cli.Command {
	return &cli.Command{
		Name: "check",
		Usage: "with live credentials, test each source's guesses (paths, auth, response keys, paging marker, endDate inclusive, expand form) " +
			"in at most two small requests per endpoint; exit 0 when all hold (or no source has credentials), 1 naming the setting to change, " +
			"2 for bad config or a --source that cannot be checked",
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "source", Usage: "only this source (repeatable)"},
		}, sinkFlags()...),
		Action: func(c *cli.Context) error {
			a, err := setup(c, nil)
			if err != nil {
				return err
			}
			want := map[string]bool{}
			for _, s := range c.StringSlice("source") {
				src := a.cfg.Source(s)
				if src == nil {
					return usageError("--source %s: not configured in %s (known: %s)", s, a.cfg.Path, strings.Join(extract.Names(), ", "))
				}
				// Asked for by name, a source that cannot be checked is an
				// argument to fix, said before any request: its silence
				// must not pass for a guess that holds.
				if _, ok := src.Config.(extract.Checker); !ok {
					return usageError("--source %s: no check yet (its guesses are listed in docs/guesses.md)", s)
				}
				switch missing := src.Config.Missing(); {
				case !src.Enabled:
					return usageError("--source %s: disabled in %s (enabled: false)", s, a.cfg.Path)
				case len(missing) > 0:
					return usageError("--source %s: credentials not set: set %s", s, strings.Join(missing, ", "))
				}
				want[s] = true
			}
			ctx, cancel := context.WithTimeout(c.Context, checkTimeout)
			defer cancel()
			failed, checked := 0, 0
			for _, src := range a.cfg.Sources {
				if len(want) > 0 && !want[src.Name] {
					continue
				}
				ch, ok := src.Config.(extract.Checker)
				switch missing := src.Config.Missing(); {
				case !src.Enabled:
					fmt.Fprintf(a.stdout, "%s: disabled\n", src.Name)
					continue
				case len(missing) > 0:
					fmt.Fprintf(a.stdout, "%s: skipped, credentials not set (%s)\n", src.Name, strings.Join(missing, ", "))
					continue
				case !ok:
					fmt.Fprintf(a.stdout, "%s: no check yet (its guesses are listed in docs/guesses.md)\n", src.Name)
					continue
				}
				findings, err := ch.Check(ctx, a.env)
				if err != nil {
					return usageError("sources.%s: %v", src.Name, err)
				}
				checked++
				for _, f := range findings {
					status := "ok"
					if !f.OK() {
						status = "WRONG"
						failed++
					}
					fmt.Fprintf(a.stdout, "%s %s: %s (%s)\n", src.Name, f.Endpoint, status, f.URL)
					for _, l := range f.Held {
						fmt.Fprintf(a.stdout, "  holds:   %s\n", l)
					}
					for _, l := range f.Wrong {
						fmt.Fprintf(a.stdout, "  WRONG:   %s\n", l)
					}
					for _, l := range f.Unknown {
						fmt.Fprintf(a.stdout, "  unknown: %s\n", l)
					}
				}
			}
			sinkFailed, probed := 0, false
			if len(want) == 0 {
				if sinkFailed, probed, err = a.probeSink(ctx, c); err != nil {
					return err
				}
			}
			if failed > 0 || sinkFailed > 0 {
				var what []string
				if failed > 0 {
					what = append(what, fmt.Sprintf("%d endpoint(s) contradict a guess", failed))
				}
				if sinkFailed > 0 {
					what = append(what, fmt.Sprintf("%d probe(s) of the sink failed", sinkFailed))
				}
				return cli.Exit(fmt.Sprintf("check: %s: change the settings named above", strings.Join(what, ", ")), exitFailed)
			}
			// No source checked is not a failure (1 is kept for a
			// contradicted guess), and not an argument to fix (no --source
			// was given); a line says so, so that a green check is not
			// mistaken for a tested account.
			switch {
			case checked == 0 && !probed:
				fmt.Fprintf(a.stdout, "check: nothing to check: no enabled source has its credentials set\n")
			case checked == 0:
				fmt.Fprintf(a.stdout, "check: the sink passed its probes; no source was checked: no enabled source has its credentials set\n")
			case probed:
				fmt.Fprintf(a.stdout, "check: every tested guess holds, and the sink passed its probes\n")
			default:
				fmt.Fprintf(a.stdout, "check: every tested guess holds\n")
			}
			return nil
		},
	}
}

// probeSink tests the configured sink (sink.type, --sink, --out) when its
// kind can be probed (load.Prober), a line per probe; it says how many
// failed. A sink that cannot be probed is neither resolved nor checked, so
// checking the sources never needs the sink's settings.
func (a *app) probeSink(ctx context.Context, c *cli.Context) (failed int, probed bool, err error) {
	if err := a.setSinkFlags(c); err != nil {
		return 0, false, err
	}
	prober, ok := a.cfg.Sink.Settings(a.cfg.Sink.Type).(load.Prober)
	if !ok {
		return 0, false, nil
	}
	k, _, err := a.p.ConfiguredSink()
	if err != nil {
		return 0, false, exitFor(err)
	}
	probes, err := prober.Probe(ctx, load.Env{Logger: a.log})
	if err != nil {
		return 0, false, exitFor(fmt.Errorf("check: sink %s: %w", k.Name, err))
	}
	for _, pr := range probes {
		if pr.Err != nil {
			failed++
			fmt.Fprintf(a.stdout, "sink %s %s: WRONG: %v\n", k.Name, pr.What, pr.Err)
			continue
		}
		fmt.Fprintf(a.stdout, "sink %s %s: ok\n", k.Name, pr.What)
	}
	return failed, true, nil
}
