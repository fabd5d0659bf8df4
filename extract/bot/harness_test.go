package bot

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/bot/botfake"
	"github.com/adoptionlabs/etl/window"
)

// recorder is an engine.Emitter that keeps everything it is given.
type recorder struct {
	mu       sync.Mutex
	rows     map[string][]engine.Row
	rejects  []rejected
	notices  []string
	progress [][2]int
}

type rejected struct {
	table, reason string
	row           engine.Row
}

func newRecorder() *recorder { return &recorder{rows: map[string][]engine.Row{}} }

func (r *recorder) Emit(_ context.Context, table string, row engine.Row) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows[table] = append(r.rows[table], row)
	return nil
}

func (r *recorder) Reject(_ context.Context, table, reason string, row engine.Row) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejects = append(r.rejects, rejected{table, reason, row})
	return nil
}

func (r *recorder) Notice(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = append(r.notices, msg)
}

func (r *recorder) Progress(done, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress = append(r.progress, [2]int{done, total})
}

func (r *recorder) values(table string) []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]map[string]any, len(r.rows[table]))
	for i, row := range r.rows[table] {
		out[i] = row.Values
	}
	return out
}

// testClock is the shared "now" of the fake and the extractor.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeNow anchors every test's data.
var fakeNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

type harness struct {
	fake    *botfake.Fake
	cfg     *Config
	clock   *testClock
	streams map[string]*engine.Stream
}

// newHarness serves a fake on loopback and opens the source against it.
func newHarness(t *testing.T, opts botfake.Options, tweak func(*Config)) *harness {
	t.Helper()
	clock := &testClock{t: fakeNow}
	if opts.Now.IsZero() {
		opts.Now = fakeNow
	}
	opts.Clock = clock.Now
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	fake := botfake.New(opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	cfg := NewConfig()
	cfg.BaseURL = srv.URL
	cfg.AppID, cfg.AppSecret = botfake.DemoAppID, botfake.DemoAppSecret
	cfg.RateLimit = "unlimited"
	cfg.MaxRetries = 3
	cfg.Timeout = 10 * time.Second
	cfg.TokenConflictWait = time.Millisecond
	cfg.backoffBase = time.Millisecond
	if tweak != nil {
		tweak(cfg)
	}
	require.NoError(t, cfg.Validate())
	streams, err := cfg.Open(extract.Env{Now: clock.Now})
	require.NoError(t, err)
	h := &harness{fake: fake, cfg: cfg, clock: clock, streams: map[string]*engine.Stream{}}
	for _, s := range streams {
		require.NoError(t, s.Validate())
		h.streams[s.Name] = s
	}
	return h
}

func (h *harness) run(t *testing.T, stream string, w window.Window) (*recorder, error) {
	t.Helper()
	s, ok := h.streams[stream]
	require.True(t, ok, "stream %s not opened", stream)
	rec := newRecorder()
	err := s.Extract(context.Background(), w, rec)
	return rec, err
}

// lastDays is the window of the n whole days before fakeNow's day.
func lastDays(n int) window.Window {
	end := window.Floor(fakeNow)
	return window.New(end.AddDate(0, 0, -n), end)
}
