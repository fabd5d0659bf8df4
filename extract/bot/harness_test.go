package bot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/engine/enginetest"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/bot/botfake"
	"github.com/adoptionlabs/etl/window"
)

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
	return newWrappedHarness(t, opts, tweak, nil)
}

// newWrappedHarness puts wrap (when set) in front of the fake.
func newWrappedHarness(t *testing.T, opts botfake.Options, tweak func(*Config), wrap func(http.Handler) http.Handler) *harness {
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
	var handler http.Handler = fake
	if wrap != nil {
		handler = wrap(handler)
	}
	srv := httptest.NewServer(handler)
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

func (h *harness) run(t *testing.T, stream string, w window.Window) (*enginetest.Recorder, error) {
	t.Helper()
	s, ok := h.streams[stream]
	require.True(t, ok, "stream %s not opened", stream)
	rec := enginetest.NewRecorder()
	err := s.Extract(context.Background(), w, rec)
	return rec, err
}

// lastDays is the window of the n whole days before fakeNow's day.
func lastDays(n int) window.Window {
	end := window.Floor(fakeNow)
	return window.New(end.AddDate(0, 0, -n), end)
}
