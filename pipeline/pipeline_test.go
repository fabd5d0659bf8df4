package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/load/clickhouse"
	"github.com/adoptionlabs/etl/load/parquet"
	"github.com/adoptionlabs/etl/pipeline"
	"github.com/adoptionlabs/etl/pipeline/plan"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/window"
)

var events = &schemas.Table{
	Name: "events",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String},
		schemas.Column{Name: "at", Type: schemas.Timestamp},
	),
	Disposition: schemas.Merge, Key: []string{"id"}, Version: "at", Day: "at", Partition: "at",
}

func day(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }

// source is a fake stream: one row per day; the days in fail fail, and a
// chunk waits until release says it may finish, so a test orders commits.
type source struct {
	mu      sync.Mutex
	fail    map[string]bool
	pulled  []string
	release func(w window.Window)
}

func (s *source) stream() *engine.Stream {
	return &engine.Stream{Source: "src", Name: "events", Tables: []*schemas.Table{events}, Windowed: true, WindowField: "at",
		Extract: func(ctx context.Context, w window.Window, out engine.Emitter) error {
			if s.release != nil {
				s.release(w)
			}
			s.mu.Lock()
			s.pulled = append(s.pulled, w.Start.Format(time.DateOnly))
			failed := s.fail[w.Start.Format(time.DateOnly)]
			s.mu.Unlock()
			if failed {
				return errors.New("the API failed this window")
			}
			for _, d := range w.Days() {
				if err := out.Emit(ctx, "events", engine.Row{Values: map[string]any{"id": d.Format(time.DateOnly), "at": d.Add(time.Hour)}, Where: "page 1"}); err != nil {
					return err
				}
			}
			return nil
		}}
}

func newPipeline(t *testing.T) *pipeline.Pipeline {
	t.Helper()
	dir := t.TempDir()
	yaml := fmt.Sprintf("version: 1\nsink:\n  type: parquet\n  parquet:\n    dir: %s/data\nstate:\n  dir: %s/state\n  location: auto\nrun:\n  parallel: 4\nsources: {}\n", dir, dir)
	cfg, err := config.Load("test.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	return &pipeline.Pipeline{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// parquetSettings are the Parquet sink's settings of p's config.
func parquetSettings(p *pipeline.Pipeline) *parquet.Config {
	return p.Config.Sink.Settings(parquet.Kind).(*parquet.Config)
}

func watermark(t *testing.T, p *pipeline.Pipeline) time.Time {
	t.Helper()
	st, err := p.OpenState(context.Background())
	require.NoError(t, err)
	defer st.Close()
	e, _, err := st.Get(context.Background(), "src", "events")
	require.NoError(t, err)
	return e.Watermark
}

func backfill(t *testing.T, p *pipeline.Pipeline, s *engine.Stream, from, to string) (*pipeline.Result, pipeline.Spec) {
	t.Helper()
	dest, err := p.Destination()
	require.NoError(t, err)
	spec := pipeline.Spec{Command: "backfill", UseState: true, Destination: dest,
		Tasks: plan.Chunks([]*engine.Stream{s}, window.New(day(from), day(to)), window.Day)}
	spec.PlanID = plan.ID(spec.Tasks, dest)
	res, err := p.Execute(context.Background(), &pipeline.Selection{Streams: []*engine.Stream{s}}, spec)
	require.NoError(t, err)
	return res, spec
}

func TestExecuteMovesTheWatermarkOnlyOverContiguousCommitsWhenChunksFinishOutOfOrder(t *testing.T) {
	p := newPipeline(t)
	// Chunks finish last day first: each waits for the one after it.
	var mu sync.Mutex
	finished := map[string]chan struct{}{}
	ch := func(d string) chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		if finished[d] == nil {
			finished[d] = make(chan struct{})
		}
		return finished[d]
	}
	src := &source{fail: map[string]bool{"2026-11-02": true}}
	src.release = func(w window.Window) {
		next := w.End.Format(time.DateOnly)
		if next != "2026-11-05" {
			<-ch(next)
		}
		// Closed once this chunk is past its extract; the commit follows.
		defer close(ch(w.Start.Format(time.DateOnly)))
	}
	res, spec := backfill(t, p, src.stream(), "2026-11-01", "2026-11-05")
	require.Equal(t, pipeline.StatusFailed, res.Status)
	require.Equal(t, 1, res.Failed)
	assert.Equal(t, day("2026-11-02"), watermark(t, p), "the failed 11-02 holds the watermark at its start, whatever committed after it")

	// The rerun resumes: only the failed chunk is pulled, and the
	// watermark then covers the whole range; the plan is retired.
	src.fail, src.release, src.pulled = nil, nil, nil
	res, _ = backfill(t, p, src.stream(), "2026-11-01", "2026-11-05")
	require.Equal(t, pipeline.StatusOK, res.Status)
	assert.Equal(t, []string{"2026-11-02"}, src.pulled)
	assert.Equal(t, day("2026-11-05"), watermark(t, p))
	st, err := p.OpenState(context.Background())
	require.NoError(t, err)
	plans, err := st.Plans(context.Background())
	require.NoError(t, err)
	require.NoError(t, st.Close())
	require.Len(t, plans, 1)
	assert.Equal(t, spec.PlanID, plans[0].ID)
	assert.False(t, plans[0].Unfinished(), "a plan whose every chunk committed is retired")

	// Retired: the same command pulls the whole range again.
	src.pulled = nil
	res, _ = backfill(t, p, src.stream(), "2026-11-01", "2026-11-05")
	require.Equal(t, pipeline.StatusOK, res.Status)
	assert.Len(t, src.pulled, 4)
}

func TestExecuteSaysNothingIsLeftWhenAnInterruptedPlanHadCommittedEverything(t *testing.T) {
	p := newPipeline(t)
	src := &source{}
	s := src.stream()
	dest, err := p.Destination()
	require.NoError(t, err)
	tasks := plan.Chunks([]*engine.Stream{s}, window.New(day("2026-11-01"), day("2026-11-03")), window.Day)
	id := plan.ID(tasks, dest)
	st, err := p.OpenState(context.Background())
	require.NoError(t, err)
	for _, tk := range tasks {
		require.NoError(t, st.MarkDone(context.Background(), id, tk.Key()))
	}
	require.NoError(t, st.Close())

	res, _ := backfill(t, p, s, "2026-11-01", "2026-11-03")
	assert.Contains(t, res.Notice, "nothing to do: every one of the 2 chunks")
	assert.Empty(t, src.pulled)
}

func TestExecuteRefusesWhileAnotherRunHoldsTheLock(t *testing.T) {
	p := newPipeline(t)
	st, err := p.OpenState(context.Background())
	require.NoError(t, err)
	defer st.Close()
	lock, _, err := st.Lock(context.Background(), pipeline.LockName, time.Hour, state.Holder{Command: "etl run", PID: 1, Host: "elsewhere"})
	require.NoError(t, err)
	defer lock.Release(context.Background())

	src := &source{}
	dest, err := p.Destination()
	require.NoError(t, err)
	spec := pipeline.Spec{Command: "run", UseState: true, Destination: dest, Tasks: plan.Chunks([]*engine.Stream{src.stream()}, window.New(day("2026-11-01"), day("2026-11-02")), window.Day)}
	_, err = p.Execute(context.Background(), &pipeline.Selection{Streams: []*engine.Stream{src.stream()}}, spec)
	var locked *state.LockedError
	require.ErrorAs(t, err, &locked)
	assert.Empty(t, src.pulled)
}

func TestOpenStateWithAParquetSinkLeavesTheDataDirectoryUnlocked(t *testing.T) {
	p := newPipeline(t)
	sink, err := p.OpenSink(context.Background()) // holds the directory lock, as a run does
	require.NoError(t, err)
	defer sink.Close()
	st, err := p.OpenState(context.Background())
	require.NoError(t, err, "etl state must not need the sink's directory")
	require.NoError(t, st.Close())
}

func TestStateLocationNamingAnotherSinkIsAUsageError(t *testing.T) {
	p := newPipeline(t)
	p.Config.State.Location = clickhouse.Kind
	_, err := p.OpenState(context.Background())
	var ue *pipeline.UsageError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, err.Error(), "state.location clickhouse needs the clickhouse sink")
}

// The Parquet codec is a sink setting: a name the sink does not know is a
// usage error before anything opens, a known one reaches the files.
func TestParquetCompressionIsCheckedAndUsed(t *testing.T) {
	p := newPipeline(t)
	parquetSettings(p).Compression = "lz5"
	_, err := p.OpenSink(context.Background())
	var ue *pipeline.UsageError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, err.Error(), `sink.parquet.compression: "lz5" is not a codec (want one of zstd-fast, zstd, snappy, none)`)

	parquetSettings(p).Compression = "snappy"
	src := &source{}
	res, _ := backfill(t, p, src.stream(), "2026-11-01", "2026-11-02")
	require.Equal(t, pipeline.StatusOK, res.Status)
	files, err := parquet.ListFiles(context.Background(), parquetSettings(p).Dir, events.Name)
	require.NoError(t, err)
	require.NotEmpty(t, files)
	f, err := os.Open(files[0])
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	pf, err := parquetgo.OpenFile(f, st.Size())
	require.NoError(t, err)
	for _, rg := range pf.Metadata().RowGroups {
		for _, c := range rg.Columns {
			assert.Equal(t, "SNAPPY", c.MetaData.Codec.String(), c.MetaData.PathInSchema)
		}
	}
}

func TestRestartDropsAnUnfinishedPlansProgress(t *testing.T) {
	p := newPipeline(t)
	src := &source{fail: map[string]bool{"2026-11-03": true}}
	res, spec := backfill(t, p, src.stream(), "2026-11-01", "2026-11-04")
	require.Equal(t, pipeline.StatusFailed, res.Status)

	src.fail, src.pulled = nil, nil
	spec.Restart = true
	res, err := p.Execute(context.Background(), &pipeline.Selection{Streams: []*engine.Stream{src.stream()}}, spec)
	require.NoError(t, err)
	require.Equal(t, pipeline.StatusOK, res.Status)
	assert.ElementsMatch(t, []string{"2026-11-01", "2026-11-02", "2026-11-03"}, src.pulled, "--restart pulls the committed chunks again")
	assert.Equal(t, day("2026-11-04"), watermark(t, p))
}
