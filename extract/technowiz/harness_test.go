package technowiz

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/engine/enginetest"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/technowiz/technowizfake"
	"github.com/adoptionlabs/etl/window"
)

var fakeNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func demoFilters() []UserFilter {
	var out []UserFilter
	for _, f := range technowizfake.DemoFilters {
		out = append(out, UserFilter{f.Name, f.Value})
	}
	return out
}

type harness struct {
	fake    *technowizfake.Fake
	cfg     *Config
	streams map[string]*engine.Stream
}

// newHarness serves the fake (through wrap, if given) and opens the source.
func newHarness(t *testing.T, opts technowizfake.Options, wrap func(http.Handler) http.Handler, tweak func(*Config)) *harness {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = fakeNow
	}
	if opts.Clock == nil {
		opts.Clock = func() time.Time { return fakeNow }
	}
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	fake := technowizfake.New(opts)
	var h http.Handler = fake
	if wrap != nil {
		h = wrap(fake)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := NewConfig()
	cfg.BaseURL = srv.URL
	cfg.AuthKey = technowizfake.DemoAuthKey
	cfg.UserFilters = demoFilters()
	cfg.RateLimit = "unlimited"
	cfg.MaxRetries = 3
	cfg.Timeout = 10 * time.Second
	cfg.backoffBase = time.Millisecond
	if tweak != nil {
		tweak(cfg)
	}
	require.NoError(t, cfg.Validate())
	streams, err := cfg.Open(extract.Env{Now: func() time.Time { return fakeNow }})
	require.NoError(t, err)
	hs := &harness{fake: fake, cfg: cfg, streams: map[string]*engine.Stream{}}
	for _, s := range streams {
		require.NoError(t, s.Validate())
		hs.streams[s.Name] = s
	}
	return hs
}

func (h *harness) run(t *testing.T, stream string, w window.Window) (*enginetest.Recorder, error) {
	t.Helper()
	rec := enginetest.NewRecorder()
	err := h.streams[stream].Extract(context.Background(), w, rec)
	return rec, err
}

func lastDays(n int) window.Window {
	end := window.Floor(fakeNow)
	return window.New(end.AddDate(0, 0, -n), end)
}
