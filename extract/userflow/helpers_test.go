package userflow

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
	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
	"github.com/adoptionlabs/etl/window"
)

var testNow = time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)

// env is a fake served over loopback plus a config pointing at it.
type env struct {
	fake *userflowfake.Fake
	srv  *httptest.Server
	cfg  *Config
}

func newEnv(t *testing.T, scale float64, handler func(*userflowfake.Fake) http.Handler) *env {
	t.Helper()
	return newEnvWith(t, userflowfake.Options{Seed: 11, Now: testNow, Scale: scale}, handler)
}

// newEnvWith is newEnv with the fake's options.
func newEnvWith(t *testing.T, opts userflowfake.Options, handler func(*userflowfake.Fake) http.Handler) *env {
	t.Helper()
	fake := userflowfake.New(opts)
	var h http.Handler = fake
	if handler != nil {
		h = handler(fake)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := NewConfig()
	cfg.BaseURL = srv.URL
	cfg.APIKey = fake.APIKey()
	cfg.RateLimit = "unlimited"
	cfg.Timeout = 5 * time.Second
	cfg.backoffBase, cfg.backoffMax = time.Millisecond, 5*time.Millisecond
	return &env{fake: fake, srv: srv, cfg: cfg}
}

func (e *env) stream(t *testing.T, name string) *engine.Stream {
	t.Helper()
	require.NoError(t, e.cfg.Validate())
	streams, err := e.cfg.Open(extract.Env{})
	require.NoError(t, err)
	for _, s := range streams {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no stream %q", name)
	return nil
}

func (e *env) run(t *testing.T, name string, w window.Window) (*enginetest.Recorder, error) {
	t.Helper()
	rec := enginetest.NewRecorder()
	err := e.stream(t, name).Extract(context.Background(), w, rec)
	return rec, err
}

// apiTime is how the API renders instants.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000") + "+00:00" }

func sessionIDs(ss []userflowfake.Session) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}
