package httpclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    Rate
		wantErr bool
	}{
		{in: "10/s", want: Rate{10, time.Second}},
		{in: "600/min", want: Rate{600, time.Minute}},
		{in: "5/m", want: Rate{5, time.Minute}},
		{in: "1000/h", want: Rate{1000, time.Hour}},
		{in: " 3 / 10s ", want: Rate{3, 10 * time.Second}},
		{in: "100/MINUTE", want: Rate{100, time.Minute}},
		{in: "unlimited", want: Rate{}},
		{in: "", want: Rate{}},
		{in: "10", wantErr: true},
		{in: "0/s", wantErr: true},
		{in: "-1/s", wantErr: true},
		{in: "x/s", wantErr: true},
		{in: "10/fortnight", wantErr: true},
		{in: "10/-1s", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRate(tt.in)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			back, err := ParseRate(got.String())
			require.NoError(t, err)
			assert.Equal(t, got, back, "String round-trips")
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"-5", 0},
		{"1.5", 0},
		{"NaN", 0},
		{"soon", 0},
		{"99999999999999", 365 * 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, parseRetryAfter(tt.in, now), "%q", tt.in)
	}
}

func TestBackoff(t *testing.T) {
	c, err := New(Config{BaseURL: "https://x.test", BackoffBase: 500 * time.Millisecond, BackoffMax: 30 * time.Second})
	require.NoError(t, err)
	c.jitter = func(max time.Duration) time.Duration { return max }
	tests := []struct {
		retry int
		want  time.Duration
	}{
		{0, 500 * time.Millisecond},
		{1, time.Second},
		{2, 2 * time.Second},
		{5, 16 * time.Second},
		{6, 30 * time.Second},
		{40, 30 * time.Second},
		{200, 30 * time.Second},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, c.backoff(tt.retry), "retry %d", tt.retry)
	}
	for range 1000 {
		d := fullJitter(time.Second)
		require.True(t, d >= 0 && d <= time.Second, "jitter out of range: %s", d)
	}
}

func TestDefaults(t *testing.T) {
	c, err := New(Config{BaseURL: "https://x.test"})
	require.NoError(t, err)
	assert.Equal(t, DefaultTimeout, c.cfg.Timeout)
	assert.Equal(t, DefaultMaxRetries, c.cfg.MaxRetries)
	assert.Equal(t, DefaultBackoffBase, c.cfg.BackoffBase)
	assert.Equal(t, DefaultBackoffMax, c.cfg.BackoffMax)
	assert.Equal(t, DefaultMaxRetryAfter, c.cfg.MaxRetryAfter)
	assert.Equal(t, "etl/dev (+https://github.com/adoptionlabs/etl)", c.cfg.UserAgent)
	assert.Nil(t, c.limiter)
	assert.Equal(t, "etl/1.2.3 (+https://github.com/adoptionlabs/etl)", DefaultUserAgent("1.2.3"))
}

func TestAuthErrorIsFinal(t *testing.T) {
	srv := newServer(t, map[string]*route{}) // any request would fail the test
	c, _ := newTestClient(t, Config{BaseURL: srv.URL, Auth: AuthFunc(func(context.Context, *http.Request) error {
		return errors.New("token endpoint said no")
	})})
	err := c.JSON(context.Background(), Request{Path: "/x"}, nil)
	require.Error(t, err)
	assert.Equal(t, "GET /x: authenticate: token endpoint said no", err.Error())
}

func TestFormBody(t *testing.T) {
	srv := newServer(t, map[string]*route{"POST /oauth/token": steps(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		b, _ := io.ReadAll(r.Body)
		assert.Equal(t, "grant_type=client_credentials", string(b))
		_, _ = io.WriteString(w, `{"access_token":"t","expires_in":3600}`)
	})})
	c, _ := newTestClient(t, Config{BaseURL: srv.URL})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, c.JSON(context.Background(), Request{Path: "/oauth/token", Form: map[string][]string{"grant_type": {"client_credentials"}}}, &tok))
	assert.Equal(t, "t", tok.AccessToken)
}

func TestSleepEndsWithItsContext(t *testing.T) {
	require.NoError(t, Sleep(context.Background(), time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	assert.ErrorIs(t, Sleep(ctx, time.Hour), context.Canceled)
	assert.ErrorIs(t, Sleep(ctx, 0), context.Canceled, "no wait still reports the ended context")
	assert.Less(t, time.Since(start), time.Second)
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, Sleep(ctx, time.Hour), context.DeadlineExceeded)
}
