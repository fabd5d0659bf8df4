package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:  "validate",
		Usage: "check the config and the stream declarations without any request",
		Flags: sinkFlags(),
		Action: func(c *cli.Context) error {
			a, err := setup(c, nil)
			if err != nil {
				return err
			}
			if err := a.applySinkFlags(c); err != nil {
				return err
			}
			sel, err := a.selectStreams(nil, nil, false)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s: ok, sink %s\n", a.cfg.Path, a.cfg.Sink.Type)
			for _, src := range a.cfg.Sources {
				switch missing := src.Config.Missing(); {
				case !src.Enabled:
					fmt.Fprintf(a.stdout, "  %-10s disabled\n", src.Name)
				case len(missing) > 0:
					fmt.Fprintf(a.stdout, "  %-10s will be skipped: set %v\n", src.Name, missing)
				default:
					fmt.Fprintf(a.stdout, "  %-10s ready\n", src.Name)
				}
			}
			fmt.Fprintf(a.stdout, "%d streams declared\n", len(sel.Streams))
			return nil
		},
	}
}
