// Command etl pulls product-adoption and chatbot data out of SaaS APIs and
// loads it into ClickHouse or Parquet.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/urfave/cli/v2"

	_ "github.com/adoptionlabs/etl/extract/all"
	_ "github.com/adoptionlabs/etl/load/all"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "0.1.0-dev"

// Exit codes: the contract with schedulers.
const (
	exitOK     = 0
	exitFailed = 1 // a stream failed; the others finished
	exitUsage  = 2 // bad arguments or config, nothing was requested
)

// softMemoryLimit is the Go heap size the garbage collector keeps under
// unless GOMEMLIMIT says otherwise. Without it the heap grows to twice what
// is live, and a long backfill's peak RSS with it; with it the collector
// runs more often as the heap nears the limit instead, so memory stays
// bounded however long the window (BENCHMARKS.md, "Defaults these figures
// chose").
const softMemoryLimit = 200 << 20

// gcPercent is GOGC unless the environment sets it. Under the soft limit
// the heap cannot outgrow softMemoryLimit whatever it is; below it, it
// sets how far the heap grows past what is live before a collection. What
// is live is mostly byte buffers (pages, Arrow columns, Parquet pages),
// which the collector does not scan, so a collection is cheap, while every
// byte the heap grows into is first touched page by page, and page faults
// cost more than the collections they save: a lower GOGC is faster and
// smaller (BENCHMARKS.md, "Defaults these figures chose").
const gcPercent = 50

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
		if os.Getenv("GOGC") == "" {
			debug.SetGCPercent(gcPercent)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer closeLogFile()
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := ec.Error(); msg != "" {
			fmt.Fprintln(stderr, "etl: "+redactAll(msg))
		}
		return ec.ExitCode()
	}
	// urfave/cli's own parse errors (unknown flag, missing value) are usage.
	fmt.Fprintln(stderr, "etl: "+redactAll(err.Error()))
	return exitUsage
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:      "etl",
		Usage:     "load Userflow, Whatfix, bot platform and Technowiz data into ClickHouse or Parquet",
		Version:   version,
		Writer:    stdout,
		ErrWriter: stderr,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Value: "pipelines.yaml", Usage: "pipelines file (the built-in default is used when the default path does not exist)", EnvVars: []string{"ETL_CONFIG"}},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json"},
			&cli.StringFlag{Name: "log-level", Usage: "debug, info, warn or error (default: warn on a terminal, where the live view shows progress; info otherwise and in --log-file)"},
			&cli.StringFlag{Name: "log-file", Usage: "append the log here too, at info unless --log-level says otherwise (created 0600; secrets redacted)"},
			// Profiles of a whole run, for BENCHMARKS.md's measurements.
			&cli.StringFlag{Name: "cpuprofile", Hidden: true},
			&cli.StringFlag{Name: "memprofile", Hidden: true},
			&cli.StringFlag{Name: "trace", Hidden: true},
		},
		Before:         startProfiles,
		After:          stopProfiles,
		ExitErrHandler: func(*cli.Context, error) {}, // run() prints and exits
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return cli.Exit(err.Error(), exitUsage)
		},
		Commands: []*cli.Command{
			backfillCommand(),
			runCommand(),
			stateCommand(),
			migrateCommand(),
			validateCommand(),
			checkCommand(),
			streamsCommand(),
			demoCommand(),
			ddlCommand(),
			viewsCommand(),
			sandboxCommand(),
		},
	}
}
