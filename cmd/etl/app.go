package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	etl "github.com/adoptionlabs/etl"
	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/logging"
	"github.com/adoptionlabs/etl/pipeline"
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
	p         *pipeline.Pipeline
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
	a := &app{cfg: cfg, log: log, stdout: red.Writer(c.App.Writer), stderr: screen, rawStderr: c.App.ErrWriter,
		env: extract.Env{Logger: log, UserAgent: "etl/" + version + " (+https://github.com/adoptionlabs/etl)"}}
	a.p = &pipeline.Pipeline{Config: cfg, Log: log, Redact: redactAll}
	return a, nil
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

// exitFor maps an error of the pipeline to the exit contract: bad
// configuration (sink settings that cannot work included, however late
// they show) is 2, anything else that stopped the command is 1.
func exitFor(err error) error {
	if err == nil {
		return nil
	}
	var ue *pipeline.UsageError
	var ce *config.Error
	var bad load.BadSettings
	if errors.As(err, &ue) || errors.As(err, &ce) || errors.As(err, &bad) {
		return cli.Exit(err.Error(), exitUsage)
	}
	return cli.Exit(err.Error(), exitFailed)
}

// selectStreams is config.Select with its errors mapped to exit codes.
func (a *app) selectStreams(sources, streams []string, requireCreds bool) (*pipeline.Selection, error) {
	sel, err := a.cfg.Select(a.env, sources, streams, requireCreds)
	return sel, exitFor(err)
}

// applySinkFlags lets --sink and --out override the config, then checks the
// chosen sink has what it needs.
func (a *app) applySinkFlags(c *cli.Context) error {
	if err := a.setSinkFlags(c); err != nil {
		return err
	}
	_, sc, err := a.p.ConfiguredSink()
	if err != nil {
		return exitFor(err)
	}
	leaveACoreToALocalServer(sc, a.log)
	return nil
}

// setSinkFlags applies --sink and --out, checking no setting: --out names
// the destination of the chosen kind (load.OutSetter). An --out the kind
// has no use for is refused: ignored, it would send the load somewhere the
// user did not ask for.
func (a *app) setSinkFlags(c *cli.Context) error {
	if c.IsSet("sink") {
		a.cfg.Sink.Type = c.String("sink")
	}
	if !c.IsSet("out") {
		return nil
	}
	if _, err := load.Lookup(a.cfg.Sink.Type); err != nil {
		return nil // not a sink: resolving it says so
	}
	o, ok := a.cfg.Sink.Settings(a.cfg.Sink.Type).(load.OutSetter)
	if !ok {
		var takers []string
		for _, name := range kindsTakingOut() {
			takers = append(takers, "--sink "+name)
		}
		return usageError("--out %s: the %s sink has no output directory (its destination is sink.%s in the config): drop --out, or pass %s",
			c.String("out"), a.cfg.Sink.Type, a.cfg.Sink.Type, strings.Join(takers, " or "))
	}
	o.SetOut(c.String("out"))
	return nil
}

// kindsTakingOut names the registered kinds whose destination --out sets.
func kindsTakingOut() []string {
	var names []string
	for _, name := range load.Names() {
		k, _ := load.Lookup(name)
		if _, ok := k.NewConfig().(load.OutSetter); ok {
			names = append(names, name)
		}
	}
	return names
}

// sinkFlags are --sink and --out, their help saying what each registered
// kind makes of them.
func sinkFlags() []cli.Flag {
	var outs []string
	for _, name := range kindsTakingOut() {
		k, _ := load.Lookup(name)
		outs = append(outs, k.NewConfig().(load.OutSetter).OutUsage())
	}
	return []cli.Flag{
		&cli.StringFlag{Name: "sink", Usage: strings.Join(load.Names(), " or ") + " (default: sink.type in the config)"},
		&cli.StringFlag{Name: "out", Usage: strings.Join(outs, "; ")},
	}
}

func selectFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "source", Usage: "only this source (repeatable)"},
		&cli.StringSliceFlag{Name: "stream", Usage: "only this stream, as NAME or SOURCE.NAME (repeatable)"},
	}
}
