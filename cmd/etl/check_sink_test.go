package main

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/load/loadtest"
)

// probedKind is a sink registered by these tests only (not by the binary):
// a kind with a check of its own, as an object store's would be, and no
// migrate step.
const probedKind = "probed"

func init() {
	load.Register(load.Kind{Name: probedKind, Title: "Probed", Doc: "a test sink with a check.",
		NewConfig: func() load.Config { return &probedConfig{} }})
}

type probedConfig struct {
	Out string `yaml:"out" doc:"where it writes"`
}

var (
	_ load.OutSetter = (*probedConfig)(nil)
	_ load.Prober    = (*probedConfig)(nil)
)

func (c *probedConfig) Check() error {
	if c.Out == "" {
		return errors.New("sink probed needs --out")
	}
	return nil
}
func (c *probedConfig) Destination() (string, error) { return "probed:" + c.Out, nil }
func (c *probedConfig) Place() string                { return "the probed sink at " + c.Out }
func (c *probedConfig) Open(context.Context, load.Env) (load.Sink, error) {
	return loadtest.NewSink(), nil
}
func (c *probedConfig) SetOut(out string) { c.Out = out }
func (c *probedConfig) OutUsage() string  { return "where the probed test sink writes" }

// Probe holds under ok:// and is refused a put anywhere else.
func (c *probedConfig) Probe(context.Context, load.Env) ([]load.Probe, error) {
	probes := []load.Probe{{What: "list " + c.Out}, {What: "put under " + c.Out}}
	if filepath.Dir(c.Out) != "ok:" {
		probes[1].Err = errors.New("access denied: grant PutObject under " + c.Out)
	}
	return probes, nil
}

// `etl check` tests the sink when its kind can be probed (--out reaching
// it), a line per probe; a failed probe fails the check, naming what to
// change. A sink without a check is neither probed nor checked, so the
// sources' check never needs the sink's settings.
func TestCheckProbesTheSinkWhenItsKindCanBe(t *testing.T) {
	code, stdout, stderr := runCLI(t, nil, "check", "--sink", probedKind, "--out", "s3:/lake/etl")
	assert.Equal(t, exitFailed, code, stdout+stderr)
	assert.Contains(t, stdout, "sink probed list s3:/lake/etl: ok\n")
	assert.Contains(t, stdout, "sink probed put under s3:/lake/etl: WRONG: access denied: grant PutObject under s3:/lake/etl\n")
	assert.Contains(t, stderr, "1 probe(s) of the sink failed: change the settings named above")

	code, stdout, stderr = runCLI(t, nil, "check", "--sink", probedKind, "--out", "ok:/lake")
	assert.Equal(t, exitOK, code, stdout+stderr)
	assert.Contains(t, stdout, "sink probed put under ok:/lake: ok\n")
	assert.Contains(t, stdout, "check: the sink passed its probes; no source was checked")

	code, _, stderr = runCLI(t, nil, "check", "--sink", probedKind)
	assert.Equal(t, exitUsage, code, "its settings are checked before the probe")
	assert.Contains(t, stderr, "sink probed needs --out")

	code, stdout, stderr = runCLI(t, nil, "check", "--sink", chSink)
	assert.Equal(t, exitOK, code, "ClickHouse has no probe: its missing DSN is not the check's business\n"+stdout+stderr)
	assert.NotContains(t, stdout, "sink ")
	assert.Contains(t, stdout, "check: nothing to check")
}

// A kind without a migrate step says so.
func TestMigrateOfASinkWithoutAStepIsAUsageError(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "migrate", "--sink", probedKind, "--out", "ok:/lake")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--sink probed: the probed sink has nothing to migrate")
}

// An --out the chosen sink has no use for is refused before any request:
// ignored, a `--sink clickhouse --out scratch` meant for a scratch copy
// would load the production database. Every command that takes --sink
// and --out says so alike.
func TestOutThatTheSinkCannotTakeIsAUsageError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var dialled atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			dialled.Add(1)
			c.Close()
		}
	}()
	env := map[string]string{"CLICKHOUSE_DSN": "clickhouse://" + ln.Addr().String() + "/analytics"}
	for _, args := range [][]string{
		{"backfill", "--from", "2026-12-01", "--to", "2026-12-02"},
		{"run"},
		{"migrate"},
		{"validate"},
		{"state", "show"},
		{"check"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, env, append(args, "--sink", chSink, "--out", "scratch")...)
			assert.Equal(t, exitUsage, code, stdout+stderr)
			assert.Contains(t, stderr, "--out scratch: the clickhouse sink has no output directory (its destination is sink.clickhouse in the config): drop --out, or pass --sink "+pqSink)
		})
	}
	code, stdout, stderr := runCLI(t, env, "migrate", "--out", "scratch")
	assert.Equal(t, exitUsage, code, "migrate's default sink is the one with a schema: %s%s", stdout, stderr)
	assert.Zero(t, dialled.Load(), "no connection before the arguments are right")
}
