package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	etl "github.com/adoptionlabs/etl"
	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/load/clickhouse"
	pqsink "github.com/adoptionlabs/etl/load/parquet"
	"github.com/adoptionlabs/etl/logging"
	"github.com/adoptionlabs/etl/progress"
	"github.com/adoptionlabs/etl/redact"
)

var (
	redactMu sync.Mutex
	redactor *redact.Redactor
)

// redactAll keeps credentials out of the last line printed on exit too.
func redactAll(s string) string {
	redactMu.Lock()
	defer redactMu.Unlock()
	return redactor.String(s)
}

type app struct {
	cfg    *config.Config
	log    *slog.Logger
	stdout io.Writer
	stderr io.Writer
	// rawStderr is the unwrapped stderr, to ask whether it is a terminal.
	rawStderr io.Writer
	env       extract.Env
}

func usageError(format string, args ...any) error {
	return cli.Exit(fmt.Sprintf(format, args...), exitUsage)
}

// setup loads the config and the logger; every problem is a usage error,
// reported before any request is made.
func setup(c *cli.Context, lookup func(string) (string, bool)) (*app, error) {
	path := c.String("config")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !c.IsSet("config") && os.Getenv("ETL_CONFIG") == "" {
		data, path = etl.DefaultConfig, "pipelines.yaml (built-in)"
	} else if err != nil {
		return nil, usageError("read config: %v", err)
	}
	cfg, err := config.Load(path, data, lookup)
	if err != nil {
		return nil, usageError("%v", err)
	}
	red := redact.New(cfg.Secrets())
	redactMu.Lock()
	redactor = red
	redactMu.Unlock()
	// Warnings and the live view share the terminal through one Screen, so
	// the view is redrawn below each warning instead of over it.
	screen := progress.NewScreen(red.Writer(c.App.ErrWriter))
	log, err := newLogger(c, screen, isTerminal(c.App.ErrWriter), red)
	if err != nil {
		return nil, usageError("%v", err)
	}
	return &app{cfg: cfg, log: log, stdout: red.Writer(c.App.Writer), stderr: screen, rawStderr: c.App.ErrWriter,
		env: extract.Env{Logger: log, UserAgent: "etl/" + version + " (+https://github.com/adoptionlabs/etl)"}}, nil
}

// newLogger sends the log to stderr and --log-file. A terminal shows only
// warnings and errors unless --log-level says otherwise: the live view
// already shows progress, and a line per committed table would bury it. The
// log file and a non-terminal stderr (cron, CI) get info by default.
func newLogger(c *cli.Context, stderr io.Writer, tty bool, red *redact.Redactor) (*slog.Logger, error) {
	console, file := slog.LevelInfo, slog.LevelInfo
	if tty {
		console = slog.LevelWarn
	}
	if c.IsSet("log-level") {
		lv, err := logging.ParseLevel(c.String("log-level"))
		if err != nil {
			return nil, err
		}
		console, file = lv, lv
	}
	outs := []logging.Output{{W: stderr, Level: console, Live: tty}}
	if path := c.String("log-file"); path != "" {
		f, err := logging.OpenFile(path)
		if err != nil {
			return nil, err
		}
		keepLogFile(f)
		outs = append(outs, logging.Output{W: f, Level: file})
	}
	return logging.New(c.String("log-format"), red, outs...)
}

var (
	logFileMu sync.Mutex
	logFile   *os.File
)

// keepLogFile holds the open --log-file until run() returns.
func keepLogFile(f *os.File) {
	logFileMu.Lock()
	defer logFileMu.Unlock()
	if logFile != nil {
		_ = logFile.Close()
	}
	logFile = f
}

func closeLogFile() {
	logFileMu.Lock()
	defer logFileMu.Unlock()
	if logFile != nil {
		_ = logFile.Close()
		logFile = nil
	}
}

// isTerminal reports whether w is an interactive terminal, looking through
// the writers wrapped around it (redaction, the screen).
func isTerminal(w io.Writer) bool {
	for {
		switch v := w.(type) {
		case *os.File:
			return term.IsTerminal(int(v.Fd()))
		case interface{ Unwrap() io.Writer }:
			w = v.Unwrap()
		default:
			return false
		}
	}
}

// selection is what a command runs.
type selection struct {
	streams []*engine.Stream
	skipped []string
}

// selectStreams opens the enabled sources and keeps the requested streams.
// Unknown names are usage errors; sources without credentials are skipped
// with one line each.
func (a *app) selectStreams(sources, streams []string, requireCreds bool) (*selection, error) {
	wantSrc := map[string]bool{}
	for _, s := range sources {
		if a.cfg.Source(s) == nil {
			if _, ok := extract.Lookup(s); ok {
				return nil, usageError("--source %s: not configured in %s (add a sources.%s block)", s, a.cfg.Path, s)
			}
			return nil, usageError("--source %s: unknown source (known: %s)", s, strings.Join(extract.Names(), ", "))
		}
		wantSrc[s] = true
	}
	wantStream := map[string]bool{}
	for _, s := range streams {
		wantStream[s] = false
	}
	sel := &selection{}
	for _, src := range a.cfg.Sources {
		if len(wantSrc) > 0 && !wantSrc[src.Name] {
			continue
		}
		declared, err := src.Config.Open(a.env)
		if err != nil {
			return nil, usageError("sources.%s: %v", src.Name, err)
		}
		var picked []*engine.Stream
		for _, st := range declared {
			if err := st.Validate(); err != nil {
				return nil, fmt.Errorf("source %s declares an invalid stream: %w", src.Name, err)
			}
			if len(wantStream) > 0 {
				_, byName := wantStream[st.Name]
				_, byID := wantStream[st.ID()]
				if !byName && !byID {
					continue
				}
				if byName {
					wantStream[st.Name] = true
				}
				if byID {
					wantStream[st.ID()] = true
				}
			}
			picked = append(picked, st)
		}
		if len(picked) == 0 {
			continue
		}
		if !src.Enabled && len(wantSrc) == 0 {
			sel.skipped = append(sel.skipped, fmt.Sprintf("%s: disabled in %s", src.Name, a.cfg.Path))
			continue
		}
		if missing := src.Config.Missing(); requireCreds && len(missing) > 0 {
			sel.skipped = append(sel.skipped, fmt.Sprintf("%s: skipped, credentials not set (%s)", src.Name, strings.Join(missing, ", ")))
			continue
		}
		sel.streams = append(sel.streams, picked...)
	}
	for name, found := range wantStream {
		if !found {
			return nil, usageError("--stream %s: no such stream in the selected sources (see `etl streams`)", name)
		}
	}
	return sel, nil
}

// applySinkFlags lets --sink and --out override the config, then checks the
// chosen sink has what it needs.
func (a *app) applySinkFlags(c *cli.Context) error {
	if c.IsSet("sink") {
		a.cfg.Sink.Type = c.String("sink")
	}
	if c.IsSet("out") {
		a.cfg.Sink.Parquet.Dir = c.String("out")
	}
	if err := a.cfg.CheckSink(); err != nil {
		return cli.Exit(err.Error(), exitUsage)
	}
	if a.cfg.Sink.Type == "clickhouse" {
		// A DSN that does not parse is bad configuration: exit 2 before
		// any request, not 1 after a failed connection.
		if _, err := clickhouse.Destination(a.cfg.Sink.ClickHouse.DSN); err != nil {
			return cli.Exit(err.Error(), exitUsage)
		}
	}
	return nil
}

// destination names where the sink writes, the part of a backfill plan's
// identity that tells two targets apart: the Parquet directory's absolute
// path, or the ClickHouse server and database.
func (a *app) destination() (string, error) {
	if a.cfg.Sink.Type == "clickhouse" {
		d, err := clickhouse.Destination(a.cfg.Sink.ClickHouse.DSN)
		if err != nil {
			return "", cli.Exit(err.Error(), exitUsage)
		}
		return d, nil
	}
	abs, err := filepath.Abs(a.cfg.Sink.Parquet.Dir)
	if err != nil {
		return "", usageError("parquet directory %s: %v", a.cfg.Sink.Parquet.Dir, err)
	}
	return "parquet:" + filepath.Clean(abs), nil
}

// clickhouseOptions are the ClickHouse sink's options from the config.
func (a *app) clickhouseOptions() clickhouse.Options {
	return clickhouse.Options{Logger: a.log, Cluster: clickhouse.ClusterOptions{
		Name:          a.cfg.Sink.ClickHouse.Cluster,
		ZooKeeperPath: a.cfg.Sink.ClickHouse.ZooKeeperPath,
	}}
}

func (a *app) openSink(ctx context.Context) (load.Sink, error) {
	switch a.cfg.Sink.Type {
	case "clickhouse":
		s, err := clickhouse.Open(ctx, a.cfg.Sink.ClickHouse.DSN, a.clickhouseOptions())
		var dsnErr *clickhouse.DSNError
		if errors.As(err, &dsnErr) {
			return nil, cli.Exit(err.Error(), exitUsage)
		}
		if err != nil {
			return nil, cli.Exit(err.Error(), exitFailed)
		}
		return s, nil
	default:
		s, err := pqsink.New(a.cfg.Sink.Parquet.Dir, pqsink.Options{Logger: a.log})
		if err != nil {
			return nil, cli.Exit(fmt.Sprintf("parquet sink at %s: %v", a.cfg.Sink.Parquet.Dir, err), exitFailed)
		}
		return s, nil
	}
}

func sinkFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "sink", Usage: "parquet or clickhouse (default: sink.type in the config)"},
		&cli.StringFlag{Name: "out", Usage: "Parquet output directory (default: sink.parquet.dir)"},
	}
}

func selectFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "source", Usage: "only this source (repeatable)"},
		&cli.StringSliceFlag{Name: "stream", Usage: "only this stream, as NAME or SOURCE.NAME (repeatable)"},
	}
}
