package httpclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/redact"
)

// The configured secret has characters that change under URL and JSON
// escaping, so each encoding the server might echo is exercised.
const (
	apiKey    = "sk_live/S3cr3t+K&y<42>"
	liveToken = "tok_dynamic_9f8e7d" // set by an Authenticator, never listed in Secrets
	queryTok  = "qtok_5a4b3c2d"      // a credential-named query parameter, never listed either
	leakyPath = "/accounts/sk_live%2FS3cr3t+K&y%3C42%3E/users"
)

// echo puts everything it received, raw and JSON-escaped, in its body.
func echo(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		fmt.Fprintf(&b, "url=%s rawpath=%s auth=%s key=%s tok=%s ", r.URL.String(), r.URL.EscapedPath(),
			r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"), r.URL.Query().Get("access_token"))
		j, _ := json.Marshal(map[string]string{"echo_key": r.URL.Query().Get("api_key"), "echo_auth": r.Header.Get("Authorization")})
		b.Write(j)
		w.WriteHeader(code)
		_, _ = io.WriteString(w, b.String())
	}
}

func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		steps []http.HandlerFunc
	}{
		{name: "401 echoing credentials", steps: []http.HandlerFunc{echo(http.StatusUnauthorized)}},
		{name: "retries exhausted on 500 echoing credentials", steps: []http.HandlerFunc{echo(http.StatusInternalServerError)}},
		{name: "retries exhausted on malformed JSON echoing credentials", steps: []http.HandlerFunc{echo(http.StatusOK)}},
		{name: "retries exhausted on connection resets", steps: []http.HandlerFunc{reset}},
		{name: "retries exhausted on timeouts", cfg: Config{Timeout: 30 * time.Millisecond}, steps: []http.HandlerFunc{stall}},
		{name: "truncated bodies", steps: []http.HandlerFunc{truncated(1000, `{"key":"`+apiKey+`","tok":"`+liveToken)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, map[string]*route{
				"GET /accounts/" + apiKey + "/users": steps(tt.steps...),
			})
			var logs bytes.Buffer
			cfg := tt.cfg
			cfg.BaseURL = srv.URL
			cfg.MaxRetries = 2
			cfg.Secrets = []string{apiKey}
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			cfg.Header = http.Header{"X-Api-Key": {apiKey}}
			cfg.Auth = AuthFunc(func(_ context.Context, req *http.Request) error {
				req.Header.Set("Authorization", "Bearer "+liveToken)
				return nil
			})
			c, _ := newTestClient(t, cfg)

			err := c.JSON(context.Background(), Request{
				Path:  leakyPath,
				Query: url.Values{"api_key": {apiKey}, "access_token": {queryTok}, "q": {"ok"}},
			}, &struct{}{})
			require.Error(t, err)

			texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), logs.String()}
			for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
				texts = append(texts, e.Error())
			}
			for _, text := range texts {
				for _, leak := range []string{apiKey, url.QueryEscape(apiKey), url.PathEscape(apiKey), `sk_live\/S3cr3t`, "S3cr3t", liveToken, queryTok} {
					assert.NotContains(t, text, leak)
				}
			}
			assert.Contains(t, err.Error(), Redacted)
			if strings.Contains(tt.name, "exhausted") {
				assert.Contains(t, logs.String(), "http: retrying", "retries are logged")
				assert.Contains(t, logs.String(), "attempt=2")
			}
		})
	}
}

func TestDisplayURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://x.test/users?limit=100", "/users?limit=100"},
		{"https://x.test/users?api_key=s&limit=1&access_token=t&Signature=z", "/users?Signature=[REDACTED]&access_token=[REDACTED]&api_key=[REDACTED]&limit=1"},
		{"https://x.test", "/"},
		{"https://x.test/a%2Fb", "/a%2Fb"},
		{"https://x.test/x?bad=%zz", "/x?[REDACTED]"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.want, displayURL(u), tt.in)
	}
}

func TestSnippetRedactsBeforeTruncating(t *testing.T) {
	secret := "SECRETSECRETSECRET"
	body := strings.Repeat("x", maxBodySnippet-5) + secret + strings.Repeat("y", 100)
	got := snippet(redact.New([]string{secret}), []byte(body), nil)
	assert.NotContains(t, got, "SECR")
	assert.LessOrEqual(t, len(got), maxBodySnippet+len("…"))
}

func TestBuiltinAuthSecretsAreRedacted(t *testing.T) {
	srv := newServer(t, map[string]*route{"GET /x": steps(echo(http.StatusForbidden))})
	for _, auth := range []Authenticator{BearerAuth("bearer-secret-1"), HeaderAuth("X-Api-Key", "bearer-secret-1"), BasicAuth("u", "bearer-secret-1")} {
		c, _ := newTestClient(t, Config{BaseURL: srv.URL, Auth: auth})
		err := c.JSON(context.Background(), Request{Path: "/x"}, nil)
		require.True(t, IsStatus(err, 403))
		assert.NotContains(t, err.Error(), "bearer-secret-1")
	}
}
