package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/config"
	_ "github.com/adoptionlabs/etl/load/clickhouse"
	"github.com/adoptionlabs/etl/pipeline"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/window"
)

func pipelineWith(t *testing.T, yaml string, log *bytes.Buffer) *pipeline.Pipeline {
	t.Helper()
	cfg, err := config.Load("test.yaml", []byte("version: 1\n"+yaml+"sources: {}\n"), func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	if log == nil {
		log = &bytes.Buffer{}
	}
	return &pipeline.Pipeline{Config: cfg, Log: slog.New(slog.NewTextHandler(log, nil))}
}

// Two destinations never share a state directory, whatever the settings:
// by default it is beside the data, and a state.dir holds one directory
// per destination.
func TestStatePlaceIsPerDestination(t *testing.T) {
	shared := t.TempDir()
	parquet := func(out, stateDir string) string {
		y := fmt.Sprintf("sink:\n  type: parquet\n  parquet:\n    dir: %s\n", out)
		if stateDir != "" {
			y += fmt.Sprintf("state:\n  dir: %s\n", stateDir)
		}
		return y
	}
	clickhouse := func(db, location, stateDir string) string {
		y := fmt.Sprintf("sink:\n  type: clickhouse\n  clickhouse:\n    dsn: clickhouse://u:secret@127.0.0.1:9000/%s\nstate:\n  location: %s\n", db, location)
		if stateDir != "" {
			y += fmt.Sprintf("  dir: %s\n", stateDir)
		}
		return y
	}
	cases := []struct {
		name        string
		yaml        string
		destination string
		dir         string // "" = kept in the sink itself
		where       string
	}{
		{name: "parquet: beside the data", yaml: parquet("/srv/prod", ""), destination: "parquet:/srv/prod", dir: "/srv/prod/_etl"},
		{name: "parquet: another directory", yaml: parquet("/srv/scratch", ""), destination: "parquet:/srv/scratch", dir: "/srv/scratch/_etl"},
		{name: "parquet: state.dir keeps one directory per destination", yaml: parquet("/srv/prod", shared), destination: "parquet:/srv/prod",
			dir: filepath.Join(shared, state.DirName("parquet:/srv/prod"))},
		{name: "parquet: another directory under the same state.dir", yaml: parquet("/srv/scratch", shared), destination: "parquet:/srv/scratch",
			dir: filepath.Join(shared, state.DirName("parquet:/srv/scratch"))},
		{name: "clickhouse: in the database", yaml: clickhouse("analytics", "auto", shared), destination: "clickhouse://127.0.0.1:9000/analytics",
			where: "the destination itself, its tables etl_state, etl_backfill_plans, etl_backfill_progress and etl_locks"},
		{name: "clickhouse with file state: per database", yaml: clickhouse("analytics", "file", shared), destination: "clickhouse://127.0.0.1:9000/analytics",
			dir: filepath.Join(shared, state.DirName("clickhouse://127.0.0.1:9000/analytics"))},
		{name: "clickhouse with file state: another database", yaml: clickhouse("staging", "file", shared), destination: "clickhouse://127.0.0.1:9000/staging",
			dir: filepath.Join(shared, state.DirName("clickhouse://127.0.0.1:9000/staging"))},
		{name: "clickhouse with file state and no state.dir", yaml: clickhouse("analytics", "file", ""), destination: "clickhouse://127.0.0.1:9000/analytics",
			dir: filepath.Join(pipeline.LegacyStateDir, state.DirName("clickhouse://127.0.0.1:9000/analytics"))},
	}
	dirs := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := pipelineWith(t, tc.yaml, nil).StatePlace()
			require.NoError(t, err)
			assert.Equal(t, tc.destination, sp.Destination)
			assert.Equal(t, tc.dir, sp.Dir)
			if tc.dir != "" {
				assert.Equal(t, tc.dir, sp.Where)
				if other, dup := dirs[sp.Dir]; dup && other != sp.Destination {
					t.Errorf("%s and %s share %s", other, sp.Destination, sp.Dir)
				}
				dirs[sp.Dir] = sp.Destination
			} else {
				assert.Equal(t, tc.where, sp.Where)
			}
			assert.NotContains(t, sp.Where+sp.Destination, "secret")
		})
	}
	_, err := pipelineWith(t, parquet("/srv/prod", "")+"state:\n  location: clickhouse\n", nil).StatePlace()
	var ue *pipeline.UsageError
	require.ErrorAs(t, err, &ue)
}

// Through Execute: a backfill into a second directory, with state.dir set
// for both, moves only the second one's watermark.
func TestExecuteIntoAnotherDestinationLeavesTheWatermark(t *testing.T) {
	shared := t.TempDir()
	yaml := func(out string) string {
		return fmt.Sprintf("sink:\n  type: parquet\n  parquet:\n    dir: %s\nstate:\n  dir: %s\n", filepath.Join(shared, out), filepath.Join(shared, "state"))
	}
	prod, scratch := pipelineWith(t, yaml("prod"), nil), pipelineWith(t, yaml("scratch"), nil)
	src := &source{}
	res, _ := backfill(t, prod, src.stream(), "2026-11-26", "2026-11-30")
	require.Equal(t, pipeline.StatusOK, res.Status)
	require.Equal(t, day("2026-11-30"), watermark(t, prod))
	res, _ = backfill(t, scratch, src.stream(), "2026-11-30", "2026-12-06")
	require.Equal(t, pipeline.StatusOK, res.Status)
	assert.Equal(t, day("2026-12-06"), watermark(t, scratch))
	assert.Equal(t, day("2026-11-30"), watermark(t, prod), "prod's nightly run still owes 11-30..12-05")
}

// The flat state directory of earlier releases is carried over by the
// first OpenState, with one line; the next one finds nothing to carry and
// another destination is told where the watermarks went.
func TestOpenStateCarriesTheFlatStateOverOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	flat := filepath.Join(dir, "state")
	old, err := state.OpenFile(flat)
	require.NoError(t, err)
	require.NoError(t, old.Advance(ctx, state.Entry{Source: "src", Stream: "events", Watermark: day("2026-11-20")}))
	require.NoError(t, old.Close())
	yaml := func(out string) string {
		return fmt.Sprintf("sink:\n  type: parquet\n  parquet:\n    dir: %s\nstate:\n  dir: %s\n", filepath.Join(dir, out), flat)
	}
	var log bytes.Buffer
	prod := pipelineWith(t, yaml("prod"), &log)
	assert.Equal(t, day("2026-11-20"), watermark(t, prod))
	sp, err := prod.StatePlace()
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(log.String(), "\n"), log.String())
	assert.Contains(t, log.String(), "carried the state of parquet:"+filepath.Join(dir, "prod")+" over from "+flat+" to "+sp.Dir+" (1 stream watermark(s), 0 backfill plan(s))")

	log.Reset()
	assert.Equal(t, day("2026-11-20"), watermark(t, prod))
	assert.Empty(t, log.String(), "once")

	scratch := pipelineWith(t, yaml("scratch"), &log)
	assert.True(t, watermark(t, scratch).IsZero(), "another destination does not inherit them")
	assert.Contains(t, log.String(), "were carried over to another one (see "+filepath.Join(flat, "MOVED.txt")+")")
}

// A run whose window reaches into today (a planner's mistake the clip
// prevents) moves the watermark no further than the start of today.
func TestExecuteNeverMovesTheWatermarkPastTheSettledEnd(t *testing.T) {
	p := newPipeline(t)
	src := &source{}
	today := window.Floor(time.Now())
	res, _ := backfill(t, p, src.stream(), today.AddDate(0, 0, -2).Format(time.DateOnly), today.AddDate(0, 0, 2).Format(time.DateOnly))
	require.Equal(t, pipeline.StatusOK, res.Status)
	assert.Equal(t, today, watermark(t, p))
}
