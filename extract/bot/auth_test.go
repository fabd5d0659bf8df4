package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine/enginetest"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/bot/botfake"
	"github.com/adoptionlabs/etl/extract/httpclient"
)

func TestTokenIsFetchedOnceForConcurrentWorkers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, func(c *Config) { c.UserConcurrency = 16 })
	rec, err := h.run(t, StreamTranscripts, lastDays(30))
	require.NoError(t, err)
	require.NotEmpty(t, rec.Values(TableMessages))
	assert.Equal(t, 1, h.fake.TokensIssued(), "16 workers must share one token call")
	assert.Equal(t, 1, h.fake.Requests("/auth/token"))
	assert.Equal(t, int64(1), h.cfg.Counters()["token_fetches"])
	assert.Zero(t, h.fake.Unauthorized())
}

func TestTokenIsRenewedBeforeItExpires(t *testing.T) {
	t.Parallel()
	for _, format := range []string{botfake.ExpireISO, botfake.ExpireEpochS, botfake.ExpireEpochMS} {
		t.Run(format, func(t *testing.T) {
			h := newHarness(t, botfake.Options{TokenTTL: 10 * time.Minute, ExpireFormat: format},
				func(c *Config) { c.RefreshBefore = time.Minute })
			w := lastDays(1)
			_, err := h.run(t, StreamUsage, w)
			require.NoError(t, err)
			require.Equal(t, 1, h.fake.TokensIssued())

			h.clock.Advance(8 * time.Minute) // before expireAt - refresh_before
			_, err = h.run(t, StreamUsage, w)
			require.NoError(t, err)
			assert.Equal(t, 1, h.fake.TokensIssued(), "token still fresh: no new token call")

			h.clock.Advance(90 * time.Second) // 9m30s: inside the refresh margin, before expiry
			_, err = h.run(t, StreamUsage, w)
			require.NoError(t, err)
			assert.Equal(t, 2, h.fake.TokensIssued(), "token renewed ahead of expireAt")
			assert.Zero(t, h.fake.Unauthorized(), "renewal must happen before the API refuses the token")
		})
	}
}

func TestExpiredTokenIsReplacedOnceAndTheCallRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, nil)
	w := lastDays(1)
	_, err := h.run(t, StreamUsage, w)
	require.NoError(t, err)

	h.fake.ExpireTokens() // the server forgets the token; the client still trusts it
	rec, err := h.run(t, StreamUsage, w)
	require.NoError(t, err)
	assert.Len(t, rec.Values(TableUsage), 4)
	assert.Equal(t, 2, h.fake.TokensIssued())
	// The month x channel requests go at once: each may meet the old token
	// once before the one refresh, none twice.
	assert.GreaterOrEqual(t, h.fake.Unauthorized(), 1)
	assert.LessOrEqual(t, h.fake.Unauthorized(), 4, "at most one 401 per call, then the fresh token is used for every call")
}

func TestConcurrentWorkersRefreshAnExpiredTokenOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, func(c *Config) { c.UserConcurrency = 16 })
	w := lastDays(20)
	_, err := h.run(t, StreamUsers, w)
	require.NoError(t, err)
	require.Equal(t, 1, h.fake.TokensIssued())

	// Expire the token before the stream lists its users, and again when the
	// fan-out starts: then every worker's first transcripts call is refused
	// at about the same time.
	h.fake.ExpireTokens()
	s := h.streams[StreamTranscripts]
	var once sync.Once
	rec := enginetest.NewRecorder()
	err = s.Extract(context.Background(), w, &hookEmitter{Recorder: rec, onProgress: func() { once.Do(h.fake.ExpireTokens) }})
	require.NoError(t, err)
	require.NotEmpty(t, rec.Values(TableMessages))
	// The users list refreshed the expired token once; expiring it again at
	// the start of the fan-out costs exactly one more token, not one per worker.
	assert.Equal(t, 3, h.fake.TokensIssued())
	assert.Equal(t, int64(3), h.cfg.Counters()["token_fetches"])
}

// hookEmitter runs onProgress when the fan-out starts.
type hookEmitter struct {
	*enginetest.Recorder
	onProgress func()
}

func (e *hookEmitter) Progress(done, total int) {
	if done == 0 {
		e.onProgress()
	}
	e.Recorder.Progress(done, total)
}

func TestTokenCallAnswering409IsRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, nil)
	h.fake.ConflictNext(2)
	rec, err := h.run(t, StreamUsage, lastDays(1))
	require.NoError(t, err)
	assert.Len(t, rec.Values(TableUsage), 4)
	assert.Equal(t, 2, h.fake.Conflicts())
	assert.Equal(t, 1, h.fake.TokensIssued())
	assert.Equal(t, int64(2), h.cfg.Counters()["token_conflicts"])
}

func TestTokenCallAnswering409TooOftenFailsClearly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{EchoRequest: true}, func(c *Config) { c.TokenConflictRetries = 2 })
	h.fake.ConflictNext(10)
	_, err := h.run(t, StreamUsage, lastDays(1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "409 Conflict (3 tries)")
	assert.Contains(t, err.Error(), "token_conflict_retries")
	assert.NotContains(t, err.Error(), botfake.DemoAppSecret)
	assert.Equal(t, 3, h.fake.Requests("/auth/token"))
}

func TestWrongSecretFailsWithoutLeakingIt(t *testing.T) {
	t.Parallel()
	// The fake repeats the request body in its errors, secret included: the
	// client must redact it.
	h := newHarness(t, botfake.Options{EchoRequest: true, AppSecret: "the-real-secret"}, nil)
	for _, stream := range []string{StreamUsers, StreamTranscripts, StreamUsage} {
		_, err := h.run(t, stream, lastDays(3))
		require.Error(t, err, stream)
		msg := err.Error()
		assert.Contains(t, msg, "check BOT_APP_ID and BOT_APP_SECRET", stream)
		assert.Contains(t, msg, "400", stream)
		assert.NotContains(t, msg, botfake.DemoAppSecret, stream)
		assert.Contains(t, msg, "[REDACTED]", "the echoed secret was there and was redacted")
	}
	assert.Zero(t, h.fake.TokensIssued())
}

func TestTokenRefusedTwiceFailsWithoutLeakingIt(t *testing.T) {
	t.Parallel()
	// The fake repeats the Authorization header in its 401 bodies.
	h := newHarness(t, botfake.Options{EchoRequest: true}, nil)
	h.fake.SetRefuseTokens(true)
	_, err := h.run(t, StreamUsage, lastDays(1))
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "refused a freshly issued token (401 twice)")
	assert.Contains(t, msg, "[REDACTED]", "the echoed token was there and was redacted")
	assert.NotContains(t, msg, "bt_")
	assert.NotContains(t, msg, botfake.DemoAppSecret)
	assert.Equal(t, 2, h.fake.TokensIssued(), "one re-authentication, not a loop")
	// Each of the requests that go at once is refused at most twice (the
	// old token, then the fresh one).
	assert.GreaterOrEqual(t, h.fake.Unauthorized(), 2)
	assert.LessOrEqual(t, h.fake.Unauthorized(), 2*len(lastDays(1).Months())*len(NewConfig().Channels))
}

func TestParseExpireAt(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	want := time.Date(2026, 3, 15, 12, 10, 0, 0, time.UTC)
	tests := []struct {
		raw string
		ok  bool
		exp time.Time
	}{
		{`"2026-03-15T12:10:00.000Z"`, true, want},
		{`"2026-03-15T12:10:00Z"`, true, want},
		{`"2026-03-15T17:40:00+05:30"`, true, want},
		{`"2026-03-15 12:10:00"`, true, want},
		{`1773576600`, true, want},
		{`"1773576600"`, true, want},
		{`1773576600000`, true, want},
		{`"1773576600000"`, true, want},
		{`600`, true, want}, // an expires-in
		{`null`, false, time.Time{}},
		{`""`, false, time.Time{}},
		{`"soon"`, false, time.Time{}},
		{`-5`, false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, ok := parseExpireAt(json.RawMessage(tt.raw), now)
			require.Equal(t, tt.ok, ok)
			assert.True(t, tt.exp.Equal(got), "got %s", got)
		})
	}
}

// A token whose expireAt cannot be read is kept until the API refuses it,
// instead of being fetched again before every call.
func TestUnreadableExpiryKeepsTokenUntil401(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth/token" {
			calls.Add(1)
			_, _ = w.Write([]byte(`{"authToken":"tok","expireAt":"whenever"}`))
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"totalMessages":1,"totalUsers":1}`))
	}))
	defer srv.Close()
	cfg := NewConfig()
	cfg.BaseURL, cfg.AppID, cfg.AppSecret, cfg.RateLimit = srv.URL, "id", "secret", "unlimited"
	streams, err := cfg.Open(extract.Env{})
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		require.NoError(t, streams[2].Extract(context.Background(), lastDays(1), enginetest.NewRecorder()))
	}
	assert.Equal(t, int64(1), calls.Load())
}

func TestRenewTimeIsHalfwayWhenTheTokenIsShortLived(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &tokenAuth{refreshBefore: time.Minute, now: func() time.Time { return now }, log: slog.New(slog.DiscardHandler)}
	got := a.renewTime(json.RawMessage(`"2026-01-01T00:00:40Z"`))
	assert.Equal(t, now.Add(20*time.Second), got, "a 40s token with a 60s margin is renewed after 20s, not on every call")
	assert.True(t, a.renewTime(json.RawMessage(`"2025-12-31T00:00:00Z"`)).IsZero(), "expiry in the past: keep until 401")
	assert.Equal(t, now.Add(9*time.Minute), a.renewTime(json.RawMessage(`"2026-01-01T00:10:00Z"`)))
}

// newTokenAuth returns a tokenAuth against a token endpoint that hands out
// tok-1, tok-2, ... and waits for release (if non-nil) before answering.
func newTokenAuth(t *testing.T, release <-chan struct{}) (*tokenAuth, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if release != nil {
			<-release
		}
		_, _ = fmt.Fprintf(w, `{"authToken":"tok-%d","expireAt":"2099-01-01T00:00:00Z"}`, n)
	}))
	t.Cleanup(srv.Close)
	client, err := httpclient.New(httpclient.Config{BaseURL: srv.URL})
	require.NoError(t, err)
	return &tokenAuth{tokenClient: client, path: "/auth/token", appID: "id", appSecret: "s",
		now: time.Now, sleep: httpclient.Sleep, log: slog.New(slog.DiscardHandler)}, &calls
}

func TestConcurrentCallersShareOneTokenCall(t *testing.T) {
	release := make(chan struct{})
	var releaseOnce sync.Once
	open := func() { releaseOnce.Do(func() { close(release) }) }
	a, calls := newTokenAuth(t, release)
	t.Cleanup(open) // runs before the server's Cleanup, so a failing test does not hang
	var wg sync.WaitGroup
	got := make([]string, 10)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := a.Token(context.Background())
			assert.NoError(t, err)
			got[i] = tok
		}()
	}
	// Let every caller reach the in-flight call before it completes.
	require.Eventually(t, func() bool { return calls.Load() >= 1 }, time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	open()
	wg.Wait()
	assert.Equal(t, int64(1), calls.Load())
	for _, tok := range got {
		assert.Equal(t, "tok-1", tok)
	}
}

func TestInvalidateIgnoresAnAlreadyReplacedToken(t *testing.T) {
	a, calls := newTokenAuth(t, nil)
	apply := func(ctx context.Context) string {
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		require.NoError(t, a.Apply(ctx, req))
		return req.Header.Get("Authorization")
	}
	w1, w2 := withUsedToken(context.Background()), withUsedToken(context.Background())
	assert.Equal(t, "Bearer tok-1", apply(w1))
	assert.Equal(t, "Bearer tok-1", apply(w2))
	// Both requests are refused. Worker 1 invalidates and gets tok-2 first.
	a.Invalidate(w1)
	assert.Equal(t, "Bearer tok-2", apply(w1))
	// Worker 2's refusal was about tok-1: it must not throw tok-2 away.
	a.Invalidate(w2)
	assert.Equal(t, "Bearer tok-2", apply(w2))
	assert.Equal(t, int64(2), calls.Load())
	assert.Equal(t, int64(2), a.Fetches())
}
