// Package pipeline owns a run: it selects the streams, opens the sink and
// the state store, takes the run lock, resumes or retires a backfill plan,
// runs the tasks through the engine with bounded concurrency, moves the
// watermarks, and writes the report and the metrics. The CLI parses flags,
// calls it and prints what it returns.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/state"
)

// LockName is the one run lock: runs, backfills and state resets on the
// same state never overlap, so watermarks and day swaps never race.
const LockName = "etl"

// UsageError is bad arguments or configuration, found before any request.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

func usage(format string, args ...any) error { return &UsageError{fmt.Sprintf(format, args...)} }

// Pipeline runs what the config describes.
type Pipeline struct {
	Config *config.Config
	Log    *slog.Logger
	// Progress, when set, is told about the run as it goes (the live view).
	Progress Progress
	// Redact keeps secrets out of the JSON report.
	Redact func(string) string
}

// Progress follows a run: the tasks per source once they are known, then
// each task as it starts and ends.
type Progress interface {
	Run(ctx context.Context)
	Stop()
	Plan(tasksPerSource map[string]int)
	Started(*engine.Live)
	Finished(*engine.Live, engine.Result)
}

// Selection is what a command runs (see config.Select).
type Selection = config.Selection

// ConfiguredSink resolves the sink the config (with --sink and --out
// applied) names, and checks its settings without opening anything: a
// problem is a usage error, before any connection.
func (p *Pipeline) ConfiguredSink() (load.Kind, load.Config, error) {
	k, err := load.Lookup(p.Config.Sink.Type)
	if err != nil {
		return load.Kind{}, nil, usage("%v", err)
	}
	sc := p.Config.Sink.Settings(k.Name)
	if err := sc.Check(); err != nil {
		return load.Kind{}, nil, usage("%s: %v", p.Config.Path, err)
	}
	return k, sc, nil
}

// Destination names where the sink writes (see load.Config.Destination).
func (p *Pipeline) Destination() (string, error) {
	_, sc, err := p.ConfiguredSink()
	if err != nil {
		return "", err
	}
	d, err := sc.Destination()
	if err != nil {
		return "", usage("%v", err)
	}
	return d, nil
}

// OpenSink opens the configured sink.
func (p *Pipeline) OpenSink(ctx context.Context) (load.Sink, error) {
	_, sc, err := p.ConfiguredSink()
	if err != nil {
		return nil, err
	}
	return sc.Open(ctx, p.env())
}

// env is what the pipeline hands the sink it opens.
func (p *Pipeline) env() load.Env { return load.Env{Logger: p.Log} }

// Lock takes the run lock for command, saying so when it takes over a lock
// a stopped run left.
func (p *Pipeline) Lock(ctx context.Context, store state.Store, command string) (state.Lock, error) {
	return p.lock(ctx, store, command, nil)
}

// lock is Lock; a store that decides after a wait (ClaimSettler) calls
// settling when the wait starts.
func (p *Pipeline) lock(ctx context.Context, store state.Store, command string, settling func()) (state.Lock, error) {
	host, err := os.Hostname()
	if err != nil {
		p.Log.Warn("could not read the host name for the lock holder", "err", err)
	}
	me := state.Holder{Host: host, PID: os.Getpid(), Command: command}
	ttl := p.Config.State.LockTTL.Duration
	var (
		lock  state.Lock
		stale *state.Holder
	)
	if cs, ok := store.(ClaimSettler); ok && settling != nil {
		lock, stale, err = cs.LockSettling(ctx, LockName, ttl, me, settling)
	} else {
		lock, stale, err = store.Lock(ctx, LockName, ttl, me)
	}
	if err != nil {
		return nil, err
	}
	if stale != nil {
		p.Log.Warn("taking over a stale lock: its run stopped without releasing it", "held_by", stale.String())
	}
	return lock, nil
}

// Reset forgets a source's (or one stream's) watermark and backfill
// progress, under the run lock: a run in flight would write its watermark
// back over the reset.
func (p *Pipeline) Reset(ctx context.Context, source, stream string) (int, error) {
	store, err := p.OpenState(ctx)
	if err != nil {
		return 0, err
	}
	defer p.CloseState(store)
	lock, err := p.Lock(ctx, store, "etl state reset --source "+source)
	if err != nil {
		return 0, err
	}
	defer p.release(lock)
	n, err := store.Reset(ctx, source, stream)
	if err != nil {
		return 0, fmt.Errorf("reset state: %w", err)
	}
	return n, nil
}

// CloseState closes a store, logging a failure: the run's outcome stands.
func (p *Pipeline) CloseState(store state.Store) {
	if err := store.Close(); err != nil {
		p.Log.Warn("could not close the state store", "err", err)
	}
}

func (p *Pipeline) release(lock state.Lock) {
	if err := lock.Release(context.Background()); err != nil && !errors.Is(err, state.ErrClosed) {
		p.Log.Warn("could not release the run lock: the next run takes it over once it is stale", "err", err)
	}
}
