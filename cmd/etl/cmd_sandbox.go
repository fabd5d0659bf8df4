package main

import (
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/urfave/cli/v2"
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
		},
		Action: func(c *cli.Context) error {
			env, stop, err := startSandboxes(c.Int64("seed"), time.Now().UTC(), c.Float64("faults"), c.Float64("scale"))
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
