package httpclient

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type page struct {
	Items []int `json:"items"`
}

func TestJSONRetries(t *testing.T) {
	const good = `{"items":[1,2,3]}`
	tests := []struct {
		name      string
		cfg       Config
		steps     []http.HandlerFunc
		wantHits  int64
		wantErr   string // substring; "" = success
		wantCode  int    // StatusError code, if the error must be one
		wantSleep []time.Duration
		minSleep  time.Duration // lower bound on the first sleep, when exact is unknowable
	}{
		{
			name:      "429 with Retry-After seconds waits at least that long",
			steps:     []http.HandlerFunc{status(429, "slow down", "Retry-After", "7"), okJSON(good)},
			wantHits:  2,
			wantSleep: []time.Duration{7 * time.Second},
		},
		{
			name:     "503 with Retry-After HTTP-date",
			steps:    []http.HandlerFunc{retryAfterDate(20 * time.Second), okJSON(good)},
			wantHits: 2,
			minSleep: 15 * time.Second,
		},
		{
			name:      "429 without Retry-After backs off",
			cfg:       Config{BackoffBase: 100 * time.Millisecond},
			steps:     []http.HandlerFunc{status(429, ""), status(429, ""), okJSON(good)},
			wantHits:  3,
			wantSleep: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond},
		},
		{
			name:      "Retry-After shorter than backoff does not shorten it",
			cfg:       Config{BackoffBase: 3 * time.Second},
			steps:     []http.HandlerFunc{status(503, "", "Retry-After", "1"), okJSON(good)},
			wantHits:  2,
			wantSleep: []time.Duration{3 * time.Second},
		},
		{name: "500", steps: []http.HandlerFunc{status(500, "boom"), okJSON(good)}, wantHits: 2},
		{name: "502", steps: []http.HandlerFunc{status(502, "bad gateway"), okJSON(good)}, wantHits: 2},
		{name: "503", steps: []http.HandlerFunc{status(503, "unavailable"), okJSON(good)}, wantHits: 2},
		{name: "504", steps: []http.HandlerFunc{status(504, "timeout"), okJSON(good)}, wantHits: 2},
		{
			name:     "attempt timeout",
			cfg:      Config{Timeout: 250 * time.Millisecond},
			steps:    []http.HandlerFunc{stall, okJSON(good)},
			wantHits: 2,
		},
		{name: "truncated body", steps: []http.HandlerFunc{truncated(100, `{"items":[1,`), okJSON(good)}, wantHits: 2},
		{name: "malformed JSON", steps: []http.HandlerFunc{okJSON(`{"items":[1,2`), okJSON(good)}, wantHits: 2},
		{name: "HTML instead of JSON", steps: []http.HandlerFunc{okJSON(`<html>maintenance</html>`), okJSON(good)}, wantHits: 2},
		{name: "connection reset", steps: []http.HandlerFunc{reset, okJSON(good)}, wantHits: 2},
		{
			name:     "400 is final",
			steps:    []http.HandlerFunc{status(400, `{"error":"bad filter"}`)},
			wantHits: 1, wantCode: 400,
			wantErr: `GET /items?limit=100: 400 Bad Request after 1 attempt: {"error":"bad filter"}`,
		},
		{
			name:     "401 without Refresher is final",
			steps:    []http.HandlerFunc{status(401, `{"error":{"code":"invalid_api_key"}}`)},
			wantHits: 1, wantCode: 401,
			wantErr: `GET /items?limit=100: 401 Unauthorized after 1 attempt: {"error":{"code":"invalid_api_key"}}`,
		},
		{name: "404 is final", steps: []http.HandlerFunc{status(404, "")}, wantHits: 1, wantCode: 404,
			wantErr: "GET /items?limit=100: 404 Not Found after 1 attempt"},
		{
			name:     "valid JSON of the wrong shape is final",
			steps:    []http.HandlerFunc{okJSON(`{"items":"nope"}`)},
			wantHits: 1,
			wantErr:  "GET /items?limit=100: decode JSON body: json: cannot unmarshal string",
		},
		{
			name:     "retries exhausted on status",
			cfg:      Config{MaxRetries: 2},
			steps:    []http.HandlerFunc{status(503, "down for maintenance")},
			wantHits: 3, wantCode: 503,
			wantErr: "GET /items?limit=100: 503 Service Unavailable after 3 attempts: down for maintenance",
		},
		{
			name:     "retries exhausted on connection errors",
			cfg:      Config{MaxRetries: 2},
			steps:    []http.HandlerFunc{reset},
			wantHits: 3,
			wantErr:  "GET /items?limit=100: failed after 3 attempts, last error: ",
		},
		{
			name:     "retries exhausted on timeouts",
			cfg:      Config{MaxRetries: 1, Timeout: 50 * time.Millisecond},
			steps:    []http.HandlerFunc{stall},
			wantHits: 2,
			wantErr:  "GET /items?limit=100: failed after 2 attempts, last error: request attempt timed out after 50ms",
		},
		{
			name:     "Retry-After beyond MaxRetryAfter fails at once",
			steps:    []http.HandlerFunc{status(429, "", "Retry-After", "3600")},
			wantHits: 1, wantCode: 429,
			wantErr: "429 Too Many Requests after 1 attempt (server asked to retry after 1h0m0s, more than MaxRetryAfter 2m0s)",
		},
		{
			name:     "no retries when disabled",
			cfg:      Config{MaxRetries: -1},
			steps:    []http.HandlerFunc{status(500, "")},
			wantHits: 1, wantCode: 500,
			wantErr: "GET /items?limit=100: 500 Internal Server Error after 1 attempt",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := steps(tt.steps...)
			srv := newServer(t, map[string]*route{"GET /items": rt})
			tt.cfg.BaseURL = srv.URL
			c, clk := newTestClient(t, tt.cfg)

			var got page
			err := c.JSON(context.Background(), Request{Path: "/items", Query: url.Values{"limit": {"100"}}}, &got)

			assert.Equal(t, tt.wantHits, rt.hits.Load(), "requests served")
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, []int{1, 2, 3}, got.Items)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			}
			if tt.wantCode != 0 {
				assert.True(t, IsStatus(err, tt.wantCode), "IsStatus(%d): %v", tt.wantCode, err)
				var se *StatusError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, int(tt.wantHits), se.Attempts)
			} else if err != nil {
				var re *RequestError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, int(tt.wantHits), re.Attempts)
			}
			if tt.wantSleep != nil {
				assert.Equal(t, tt.wantSleep, clk.slept())
			}
			if tt.minSleep > 0 {
				require.NotEmpty(t, clk.slept())
				assert.GreaterOrEqual(t, clk.slept()[0], tt.minSleep)
			}
		})
	}
}

func retryAfterDate(in time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", time.Now().Add(in).UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusServiceUnavailable)
	}
}

func TestTimeoutIsNotContextDeadline(t *testing.T) {
	srv := newServer(t, map[string]*route{"GET /slow": steps(stall)})
	c, _ := newTestClient(t, Config{BaseURL: srv.URL, Timeout: 30 * time.Millisecond, MaxRetries: -1})
	err := c.JSON(context.Background(), Request{Path: "/slow"}, nil)
	require.ErrorIs(t, err, ErrTimeout)
	// Callers read DeadlineExceeded as "my own deadline passed".
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
}

func TestContextCancellation(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		route *route
		// calls is how many sequential calls to make; the last one is the one
		// that gets cancelled.
		calls int
	}{
		{
			name:  "during Retry-After backoff",
			route: steps(status(503, "", "Retry-After", "30")),
			calls: 1,
		},
		{
			name:  "during exponential backoff",
			cfg:   Config{BackoffBase: 20 * time.Second, BackoffMax: 20 * time.Second},
			route: steps(status(500, "")),
			calls: 1,
		},
		{
			name:  "during the rate limiter wait",
			cfg:   Config{RateLimit: Rate{Requests: 1, Per: time.Hour}},
			route: steps(okJSON(`{}`)),
			calls: 2,
		},
		{
			name:  "during a stalled response",
			route: steps(stall),
			calls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, map[string]*route{"GET /x": tt.route})
			tt.cfg.BaseURL = srv.URL
			c, err := New(tt.cfg) // real clock: this is about real waits ending early
			require.NoError(t, err)
			c.jitter = func(max time.Duration) time.Duration { return max }

			for range tt.calls - 1 {
				require.NoError(t, c.JSON(context.Background(), Request{Path: "/x"}, nil))
			}
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			start := time.Now()
			err = c.JSON(ctx, Request{Path: "/x"}, nil)
			elapsed := time.Since(start)

			require.ErrorIs(t, err, context.Canceled)
			var re *RequestError
			require.ErrorAs(t, err, &re)
			assert.Less(t, elapsed, 5*time.Second, "cancellation must interrupt the wait")
		})
	}
}

func TestDeadlineShorterThanRetryAfterFailsEarly(t *testing.T) {
	srv := newServer(t, map[string]*route{"GET /x": steps(status(429, "", "Retry-After", "60"))})
	c, err := New(Config{BaseURL: srv.URL})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err = c.JSON(ctx, Request{Path: "/x"}, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, err.Error(), "after 1 attempt (last error: 429 Too Many Requests)")
}

func TestRateLimiterSpacing(t *testing.T) {
	srv := newServer(t, map[string]*route{"GET /x": steps(okJSON(`{}`))})
	c, clk := newTestClient(t, Config{BaseURL: srv.URL, RateLimit: Rate{Requests: 10, Per: time.Second}})
	for range 5 {
		require.NoError(t, c.JSON(context.Background(), Request{Path: "/x"}, nil))
	}
	// The first request is free, each later one waits one 100ms slot.
	sl := clk.slept()
	require.Len(t, sl, 4)
	for _, d := range sl {
		assert.InDelta(t, float64(100*time.Millisecond), float64(d), float64(time.Millisecond))
	}
}

func TestRateLimiterSharedAcrossGoroutines(t *testing.T) {
	rt := steps(okJSON(`{}`))
	srv := newServer(t, map[string]*route{"GET /x": rt})
	// 50/s = one request per 20ms, whatever the number of goroutines.
	c, err := New(Config{BaseURL: srv.URL, RateLimit: Rate{Requests: 50, Per: time.Second}})
	require.NoError(t, err)

	const window = 400 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for c.JSON(ctx, Request{Path: "/x"}, nil) == nil {
			}
		})
	}
	wg.Wait()
	// Only an upper bound: a slow CI machine can make fewer requests, never
	// more. 1 free + 20 slots in 400ms, plus slack for timer granularity.
	n := rt.hits.Load()
	assert.LessOrEqual(t, n, int64(24), "limiter let too many requests through")
	assert.GreaterOrEqual(t, n, int64(2))
}

func TestThrottlePausesWholeClient(t *testing.T) {
	srv := newServer(t, map[string]*route{"GET /x": steps(okJSON(`{}`))})
	c, clk := newTestClient(t, Config{BaseURL: srv.URL})
	// As if another goroutine had just been told to wait 5s.
	c.pause(5 * time.Second)
	require.NoError(t, c.JSON(context.Background(), Request{Path: "/x"}, nil))
	assert.Equal(t, []time.Duration{5 * time.Second}, clk.slept())
}

func TestRequestHeadersAndBody(t *testing.T) {
	var attempts atomic.Int64
	check := func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "etl/dev (+https://github.com/adoptionlabs/etl)", r.Header.Get("User-Agent"))
		assert.Equal(t, "2020-01-03", r.Header.Get("Userflow-Version"))
		assert.Equal(t, "per-request", r.Header.Get("X-Override"))
		assert.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, "/api/v1/users", r.URL.Path)
		assert.Equal(t, url.Values{"starting_after": {"10"}, "limit": {"100"}}, r.URL.Query())
		body, err := io.ReadAll(r.Body)
		assert.NoError(t, err)
		assert.JSONEq(t, `{"filter":"x"}`, string(body), "body must be resent on every attempt")
		if attempts.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = io.WriteString(w, `{"items":[7]}`)
	}
	srv := newServer(t, map[string]*route{"POST /api/v1/users": steps(check)})
	c, _ := newTestClient(t, Config{
		BaseURL: srv.URL + "/api/v1/",
		Header:  http.Header{"Userflow-Version": {"2020-01-03"}, "X-Override": {"static"}},
		Auth:    BearerAuth("tok"),
	})
	var got page
	err := c.JSON(context.Background(), Request{
		Path:   "/users?starting_after=10",
		Query:  url.Values{"limit": {"100"}},
		JSON:   map[string]string{"filter": "x"},
		Header: http.Header{"x-override": {"per-request"}},
	}, &got)
	require.NoError(t, err)
	assert.Equal(t, []int{7}, got.Items)
	assert.Equal(t, int64(2), attempts.Load())
}

func TestResolve(t *testing.T) {
	tests := []struct {
		base, path string
		query      url.Values
		want       string
		wantErr    string
	}{
		{base: "https://api.userflow.com", path: "/users", want: "https://api.userflow.com/users"},
		{base: "https://api.userflow.com/", path: "users", want: "https://api.userflow.com/users"},
		{base: "https://whatfix.com/api/v1", path: "/users", want: "https://whatfix.com/api/v1/users"},
		{base: "https://whatfix.com/api/v1/", path: "/users/", want: "https://whatfix.com/api/v1/users/"},
		{base: "https://whatfix.com/api/v1", path: "", want: "https://whatfix.com/api/v1"},
		{base: "https://api.userflow.com", path: "/users?starting_after=u_1&limit=10",
			want: "https://api.userflow.com/users?starting_after=u_1&limit=10"},
		{base: "https://api.userflow.com", path: "/users?starting_after=u_1", query: url.Values{"limit": {"10"}},
			want: "https://api.userflow.com/users?limit=10&starting_after=u_1"},
		{base: "https://x.test/base?account=7", path: "/items?page=2", want: "https://x.test/base/items?account=7&page=2"},
		{base: "https://x.test", path: "/files/a%2Fb.csv", want: "https://x.test/files/a%2Fb.csv"},
		{base: "https://api.userflow.com", path: "https://api.userflow.com/users?starting_after=9",
			want: "https://api.userflow.com/users?starting_after=9"},
		{base: "https://api.userflow.com", path: "https://evil.test/users", wantErr: "refusing absolute URL on https://evil.test"},
		{base: "https://api.userflow.com", path: "http://api.userflow.com/users", wantErr: "refusing absolute URL"},
		{base: "https://api.userflow.com", path: "/users#frag", want: "https://api.userflow.com/users"},
	}
	for _, tt := range tests {
		t.Run(tt.base+" "+tt.path, func(t *testing.T) {
			c, err := New(Config{BaseURL: tt.base})
			require.NoError(t, err)
			u, err := c.resolve(tt.path, tt.query)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, u.String())
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{BaseURL: ""},
		{BaseURL: "api.userflow.com"},
		{BaseURL: "ftp://x.test"},
		{BaseURL: "https://x.test", RateLimit: Rate{Requests: -1, Per: time.Second}},
	} {
		_, err := New(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}

// tokenAuth hands out a new token after every Invalidate, like an OAuth
// client-credentials source.
type tokenAuth struct {
	gen         atomic.Int64
	invalidated atomic.Int64
}

func (a *tokenAuth) Apply(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", "Bearer tok-"+string(rune('0'+a.gen.Load())))
	return nil
}

func (a *tokenAuth) Invalidate(context.Context) {
	a.invalidated.Add(1)
	a.gen.Add(1)
}

func TestRefresherOn401(t *testing.T) {
	tests := []struct {
		name     string
		validTok string
		wantHits int64
		wantCode int
	}{
		{name: "stale token is refreshed once", validTok: "Bearer tok-1", wantHits: 2},
		{name: "credentials still rejected after refresh", validTok: "never", wantHits: 2, wantCode: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := steps(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != tt.validTok {
					http.Error(w, `{"error":"token expired"}`, http.StatusUnauthorized)
					return
				}
				_, _ = io.WriteString(w, `{}`)
			})
			srv := newServer(t, map[string]*route{"GET /me": rt})
			auth := &tokenAuth{}
			c, clk := newTestClient(t, Config{BaseURL: srv.URL, Auth: auth})
			err := c.JSON(context.Background(), Request{Path: "/me"}, nil)
			assert.Equal(t, int64(1), auth.invalidated.Load())
			assert.Equal(t, tt.wantHits, rt.hits.Load())
			assert.Empty(t, clk.slept(), "a refresh retry needs no backoff")
			if tt.wantCode == 0 {
				require.NoError(t, err)
				return
			}
			assert.True(t, IsStatus(err, tt.wantCode))
		})
	}
}

func TestRedirectDropsAuthHeadersOffHost(t *testing.T) {
	other := newServer(t, map[string]*route{"GET /bucket/report.csv": steps(func(w http.ResponseWriter, r *http.Request) {
		assert.Empty(t, r.Header.Get("X-Api-Key"), "credential followed a redirect to another host")
		assert.Equal(t, "2", r.Header.Get("Api-Version"), "non-credential headers still follow")
		_, _ = io.WriteString(w, "a,b\n")
	})})
	srv := newServer(t, map[string]*route{"GET /export": steps(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "k", r.Header.Get("X-Api-Key"))
		http.Redirect(w, r, other.URL+"/bucket/report.csv", http.StatusFound)
	})})
	c, _ := newTestClient(t, Config{BaseURL: srv.URL, Auth: HeaderAuth("X-Api-Key", "k"), Header: http.Header{"Api-Version": {"2"}}})
	f, err := c.Download(context.Background(), Request{Path: "/export"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	assert.Equal(t, int64(4), f.Size)
}

func TestStats(t *testing.T) {
	rt := steps(status(429, "wait", "Retry-After", "1"), status(500, "oops"), okJSON(`{"items":[1]}`))
	srv := newServer(t, map[string]*route{"GET /x": rt})
	c, _ := newTestClient(t, Config{BaseURL: srv.URL})
	run, stream := &Stats{}, &Stats{}
	ctx := WithStats(WithStats(context.Background(), run), stream)
	require.NoError(t, c.JSON(ctx, Request{Path: "/x"}, nil))
	require.NoError(t, c.JSON(WithStats(context.Background(), run), Request{Path: "/x"}, nil))

	assert.Same(t, stream, StatsFrom(ctx))
	assert.Equal(t, int64(1), stream.Requests.Load())
	assert.Equal(t, int64(2), stream.Retries.Load())
	assert.Equal(t, int64(1), stream.Throttled.Load())
	assert.Equal(t, int64(len("wait")+len("oops")+len(`{"items":[1]}`)), stream.Bytes.Load())
	assert.Equal(t, int64(2), run.Requests.Load(), "outer Stats sees both calls")
	assert.Equal(t, int64(2), run.Retries.Load())
}

func TestStatusErrorFormat(t *testing.T) {
	tests := []struct {
		err  *StatusError
		want string
	}{
		{
			err: &StatusError{Method: "GET", URL: "/content_sessions?limit=100", Status: 401, Attempts: 1,
				Body: `{"error":{"code":"invalid_api_key","message":"Invalid API key"}}`},
			want: `GET /content_sessions?limit=100: 401 Unauthorized after 1 attempt: {"error":{"code":"invalid_api_key","message":"Invalid API key"}}`,
		},
		{
			err:  &StatusError{Method: "POST", URL: "/x", Status: 503, Attempts: 6},
			want: `POST /x: 503 Service Unavailable after 6 attempts`,
		},
		{
			err:  &StatusError{Method: "GET", URL: "/x", Status: 599, Attempts: 2, Body: "?"},
			want: `GET /x: 599 after 2 attempts: ?`,
		},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.err.Error())
	}
}

func TestIsStatus(t *testing.T) {
	se := &StatusError{Status: 404}
	wrapped := errors.Join(errors.New("stream users"), se)
	tests := []struct {
		name  string
		err   error
		codes []int
		want  bool
	}{
		{"match", se, []int{404}, true},
		{"one of several", se, []int{401, 403, 404}, true},
		{"other code", se, []int{401}, false},
		{"any code", se, nil, true},
		{"wrapped", wrapped, []int{404}, true},
		{"not a status", errors.New("x"), nil, false},
		{"nil", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, IsStatus(tt.err, tt.codes...))
		})
	}
}

func BenchmarkJSON(b *testing.B) {
	body := `{"data":[{"id":"1","name":"a"},{"id":"2","name":"b"}],"has_more":true,"next_page_url":"/users?starting_after=2"}`
	srv := newServer(b, map[string]*route{"GET /users": steps(okJSON(body))})
	c, err := New(Config{BaseURL: srv.URL, Auth: BearerAuth("k"), Secrets: []string{"k"}})
	require.NoError(b, err)
	ctx := WithStats(context.Background(), &Stats{})
	b.ReportAllocs()
	for b.Loop() {
		var out struct {
			Data []json.RawMessage `json:"data"`
		}
		if err := c.JSON(ctx, Request{Path: "/users", Query: url.Values{"limit": {"100"}}}, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func TestErrorTextHasNoHost(t *testing.T) {
	srv := newServer(t, map[string]*route{"GET /x": steps(status(404, ""))})
	c, _ := newTestClient(t, Config{BaseURL: srv.URL})
	err := c.JSON(context.Background(), Request{Path: "/x"}, nil)
	require.Error(t, err)
	assert.False(t, strings.Contains(err.Error(), "127.0.0.1"), err.Error())
}
