package pipeline_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/load/parquet"
	"github.com/adoptionlabs/etl/pipeline"
	"github.com/adoptionlabs/etl/pipeline/plan"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/window"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// settlingStore is the file store deciding its lock the way ClickHouse's
// does: a lock visibly held is refused at once; otherwise the claim waits
// before it is decided, settling is called when the wait starts, and
// beforeDecide runs during it. loseRace makes the claim lose to one made at
// the same moment elsewhere, which shows only after the wait.
type settlingStore struct {
	state.Store
	settle       time.Duration
	beforeDecide func()
	loseRace     bool

	mu      sync.Mutex
	decided time.Time
}

func (s *settlingStore) LockSettling(ctx context.Context, name string, ttl time.Duration, me state.Holder, settling func()) (state.Lock, *state.Holder, error) {
	l, h, err := s.Store.Lock(ctx, name, ttl, me)
	if err != nil {
		return nil, nil, err
	}
	settling()
	time.Sleep(s.settle)
	if s.beforeDecide != nil {
		s.beforeDecide()
	}
	s.mu.Lock()
	s.decided = time.Now()
	s.mu.Unlock()
	if s.loseRace {
		_ = l.Release(ctx)
		return nil, nil, &state.LockedError{Name: name, Holder: state.Holder{Host: "elsewhere", PID: 2, Command: "etl run"}, TTL: ttl}
	}
	return l, h, nil
}

func openSettling(t *testing.T, p *pipeline.Pipeline) *settlingStore {
	t.Helper()
	st, err := p.OpenState(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return &settlingStore{Store: st, settle: 300 * time.Millisecond}
}

// loadedDays lists the days with a committed row of events (a row's id is
// its day), and whether anything is left in the sink's staging.
func loadedDays(t *testing.T, p *pipeline.Pipeline) (days []string, staged []string) {
	t.Helper()
	files, err := parquet.ListFiles(context.Background(), parquetSettings(p).Dir, "events")
	require.NoError(t, err)
	for _, f := range files {
		rows, err := parquetgo.ReadFile[struct {
			ID string `parquet:"id"`
		}](f)
		require.NoError(t, err)
		for _, r := range rows {
			days = append(days, r.ID)
		}
	}
	sort.Strings(days)
	_ = filepath.Walk(filepath.Join(parquetSettings(p).Dir, ".staging"), func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			staged = append(staged, path)
		}
		return nil
	})
	return days, staged
}

func earlyBackfill(t *testing.T, p *pipeline.Pipeline, st state.Store, s *engine.Stream, from, to string) (*pipeline.Result, error) {
	t.Helper()
	dest, err := p.Destination()
	require.NoError(t, err)
	spec := pipeline.Spec{Command: "backfill", UseState: true, Destination: dest, Store: st,
		Tasks: plan.Chunks([]*engine.Stream{s}, window.New(day(from), day(to)), window.Day)}
	spec.PlanID = plan.ID(spec.Tasks, dest)
	return p.Execute(context.Background(), &pipeline.Selection{Streams: []*engine.Stream{s}}, spec)
}

func TestEarlyStartExtractsWhileTheLockSettles(t *testing.T) {
	p := newPipeline(t)
	var logs syncBuffer
	p.Log = slog.New(slog.NewTextHandler(&logs, nil))
	st := openSettling(t, p)
	var (
		mu    sync.Mutex
		first time.Time
	)
	src := &source{release: func(window.Window) {
		mu.Lock()
		defer mu.Unlock()
		if first.IsZero() {
			first = time.Now()
		}
	}}
	res, err := earlyBackfill(t, p, st, src.stream(), "2026-11-01", "2026-11-04")
	require.NoError(t, err)
	require.Equal(t, pipeline.StatusOK, res.Status)
	assert.True(t, first.Before(st.decided), "extraction starts while the lock settles (first pull %s, lock decided %s)", first, st.decided)

	days, staged := loadedDays(t, p)
	assert.Equal(t, []string{"2026-11-01", "2026-11-02", "2026-11-03"}, days)
	assert.Empty(t, staged)
	assert.Equal(t, day("2026-11-04"), watermark(t, p))
	assert.Equal(t, 1, strings.Count(logs.String(), "run started"), "what the early run logged is printed once it is the run")
	for _, o := range res.Outcomes {
		assert.Equal(t, engine.StatusOK, o.Result.Status, o.Task.Key())
		assert.EqualValues(t, 1, o.Result.Rows, o.Task.Key())
	}
}

// A lock another run visibly holds is refused before the settle: the run
// starts nothing, so it sends the vendors no request (they count against
// the rate limits the holder is using).
func TestRunRefusedAHeldLockExtractsNothing(t *testing.T) {
	p := newPipeline(t)
	var logs syncBuffer
	p.Log = slog.New(slog.NewTextHandler(&logs, nil))
	st := openSettling(t, p)
	held, _, err := st.Store.Lock(context.Background(), pipeline.LockName, time.Hour, state.Holder{Command: "etl run", PID: 1, Host: "elsewhere"})
	require.NoError(t, err)
	defer held.Release(context.Background())

	var pulls atomic.Int32
	src := &source{release: func(window.Window) { pulls.Add(1) }}
	_, err = earlyBackfill(t, p, st, src.stream(), "2026-11-01", "2026-11-04")
	var locked *state.LockedError
	require.ErrorAs(t, err, &locked)
	assert.Zero(t, pulls.Load(), "no request was made")
	assertNothingWritten(t, p, st, &logs)
}

// A run whose claim loses the race to one made at the same moment
// elsewhere learns it only after the settle, during which it extracted: it
// is discarded having written nothing.
func TestEarlyStartOfARunThatLostTheLockWritesNothing(t *testing.T) {
	p := newPipeline(t)
	var logs syncBuffer
	p.Log = slog.New(slog.NewTextHandler(&logs, nil))
	st := openSettling(t, p)
	st.loseRace = true
	var pulls atomic.Int32
	src := &source{release: func(window.Window) { pulls.Add(1) }}
	_, err := earlyBackfill(t, p, st, src.stream(), "2026-11-01", "2026-11-04")
	var locked *state.LockedError
	require.ErrorAs(t, err, &locked)
	assert.Positive(t, pulls.Load(), "the run extracted while the lock settled")
	assertNothingWritten(t, p, st, &logs)
}

func assertNothingWritten(t *testing.T, p *pipeline.Pipeline, st *settlingStore, logs *syncBuffer) {
	t.Helper()
	days, staged := loadedDays(t, p)
	assert.Empty(t, days, "no file was committed")
	assert.Empty(t, staged, "nor staged")
	plans, err := st.Plans(context.Background())
	require.NoError(t, err)
	assert.Empty(t, plans, "no plan was recorded")
	assert.True(t, watermark(t, p).IsZero())
	assert.NotContains(t, logs.String(), "run started", "a run that never held the lock does not say it started")
	assert.NotContains(t, logs.String(), "stream failed")
}

func TestEarlyStartStartsAgainWhenThePlanChangedBeforeTheLock(t *testing.T) {
	p := newPipeline(t)
	st := openSettling(t, p)
	dest, err := p.Destination()
	require.NoError(t, err)
	src := &source{}
	tasks := plan.Chunks([]*engine.Stream{src.stream()}, window.New(day("2026-11-01"), day("2026-11-04")), window.Day)
	id := plan.ID(tasks, dest)
	// Another run commits the first chunk while this one waits for the lock.
	st.beforeDecide = func() {
		require.NoError(t, st.MarkDone(context.Background(), id, tasks[0].Key()))
	}
	res, err := earlyBackfill(t, p, st, src.stream(), "2026-11-01", "2026-11-04")
	require.NoError(t, err)
	require.Equal(t, pipeline.StatusOK, res.Status)
	var ran []string
	for _, o := range res.Outcomes {
		ran = append(ran, o.Task.Window.Start.Format(time.DateOnly))
	}
	assert.Equal(t, []string{"2026-11-02", "2026-11-03"}, ran, "the run starts from the plan it finds under the lock")
	days, staged := loadedDays(t, p)
	assert.Equal(t, []string{"2026-11-02", "2026-11-03"}, days, "the discarded early start wrote nothing")
	assert.Empty(t, staged)
}
