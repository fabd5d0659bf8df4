package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"syscall"
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
		Usage: "serve the built-in fake APIs on loopback and print the environment that points etl at them; Ctrl-C stops (--background: eval \"$(etl sandbox --background)\")",
		Flags: []cli.Flag{
			&cli.Int64Flag{Name: "seed", Value: 42},
			&cli.Float64Flag{Name: "faults", Value: 0, Usage: "share of requests that fail"},
			&cli.Float64Flag{Name: "scale", Value: 1, Usage: "data volume multiplier"},
			&cli.DurationFlag{Name: "latency", Usage: "delay every answer by this much (e.g. 50ms), as a distant API would: shows whether etl overlaps its requests up to the rate limit"},
			&cli.BoolFlag{Name: "prerender", Usage: "serve list pages from memory once rendered, with no request budget (throughput benchmarks; Userflow)"},
			&cli.StringSliceFlag{Name: "variant", Usage: "source:variant, a fake serving another reading of an undocumented detail (e.g. whatfix:cursor-key; see docs/guesses.md), to watch etl check name it"},
			&cli.BoolFlag{Name: "background", Usage: "serve from a process of its own and return once the fakes listen, printing the export lines and ETL_SANDBOX_PID: eval \"$(etl sandbox --background)\", then kill $ETL_SANDBOX_PID"},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("background") {
				return sandboxInBackground(c)
			}
			// The fakes hold the whole generated account in memory (a
			// pointer-rich heap that grows with --scale): under etl's soft
			// heap limit the collector ran without pause and took most of
			// the sandbox's CPU, starving the run being measured. The
			// sandbox is not what is measured, so it gets the Go default.
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
			// Last, so whoever reads the lines knows they are all there
			// (and --background, that the fakes listen).
			fmt.Fprintf(c.App.Writer, "%s%d: Ctrl-C or kill %d stops it\n", sandboxReady, os.Getpid(), os.Getpid())
			if f, ok := c.App.Writer.(*os.File); ok {
				_ = f.Sync()
			}
			<-c.Context.Done()
			return nil
		},
	}
}

// sandboxReady starts the sandbox's last line, a shell comment.
const sandboxReady = "# etl sandbox serving, pid "

// sandboxInBackground serves the sandbox from a child process and returns
// once it listens, printing its export lines: a command substitution
// (eval "$(etl sandbox --background)") returns only when every process
// holding its output has closed it, so the child's output is a pipe that
// only this process reads, and the child's last line says it is done.
func sandboxInBackground(c *cli.Context) error {
	exe, err := os.Executable()
	if err != nil {
		return cli.Exit(fmt.Sprintf("sandbox --background: find this program: %v", err), exitFailed)
	}
	args := []string{"sandbox", "--seed", fmt.Sprint(c.Int64("seed")), "--faults", fmt.Sprint(c.Float64("faults")),
		"--scale", fmt.Sprint(c.Float64("scale")), "--latency", c.Duration("latency").String()}
	if c.Bool("prerender") {
		args = append(args, "--prerender")
	}
	for _, v := range c.StringSlice("variant") {
		args = append(args, "--variant", v)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return cli.Exit(fmt.Sprintf("sandbox --background: %v", err), exitFailed)
	}
	defer r.Close()
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = w, w
	// Its own session: a Ctrl-C meant for the shell's next command, or the
	// shell's exit, does not stop it; kill $ETL_SANDBOX_PID does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return cli.Exit(fmt.Sprintf("sandbox --background: start %s: %v", exe, err), exitFailed)
	}
	var lines []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, sandboxReady) {
			for _, l := range lines {
				fmt.Fprintln(c.App.Writer, l)
			}
			fmt.Fprintf(c.App.Writer, "export ETL_SANDBOX_PID=%d\n# etl sandbox serving in the background: kill $ETL_SANDBOX_PID stops it\n", cmd.Process.Pid)
			// Not waited for: it outlives this process.
			return cmd.Process.Release()
		}
		lines = append(lines, line)
	}
	_ = cmd.Wait()
	return cli.Exit("sandbox --background: the sandbox stopped before it served: "+strings.Join(lines, "; "), exitFailed)
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
