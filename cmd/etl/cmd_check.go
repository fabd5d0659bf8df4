package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/httpclient"
)

// checker is a source config that can test its undocumented guesses
// against the live API, like a connector's connection check.
type checker interface {
	Check(ctx context.Context, env extract.Env) ([]httpclient.Finding, error)
}

// checkTimeout bounds the whole check: a few small requests per endpoint.
const checkTimeout = 2 * time.Minute

func checkCommand() *cli.Command {
	return &cli.Command{
		Name: "check",
		Usage: "with live credentials, test each source's guesses (paths, auth, response keys, paging marker, endDate inclusive) " +
			"in at most two small requests per endpoint; exit 0 when all hold, 1 naming the setting to change",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "source", Usage: "only this source (repeatable)"},
		},
		Action: func(c *cli.Context) error {
			a, err := setup(c, nil)
			if err != nil {
				return err
			}
			want := map[string]bool{}
			for _, s := range c.StringSlice("source") {
				if a.cfg.Source(s) == nil {
					return usageError("--source %s: not configured in %s (known: %s)", s, a.cfg.Path, strings.Join(extract.Names(), ", "))
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
				ch, ok := src.Config.(checker)
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
			if failed > 0 {
				return cli.Exit(fmt.Sprintf("check: %d endpoint(s) contradict a guess: change the settings named above", failed), exitFailed)
			}
			if checked == 0 {
				return cli.Exit("check: no source was checked (set the credentials of one that has a check)", exitFailed)
			}
			fmt.Fprintf(a.stdout, "check: every tested guess holds\n")
			return nil
		},
	}
}
