package httpclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The final error of a request says what to change exactly when the client
// would not retry it: a later run meets a 5xx, a 429 or a dropped
// connection afresh, never a refused key or a wrong path.
func TestFinalErrorsSayWhatToChangeOnlyWhenARerunCannotCure(t *testing.T) {
	cases := []struct {
		name   string
		status int
		fix    string
	}{
		{"refused credentials", http.StatusUnauthorized, "check this source's credentials (the API refused them)"},
		{"forbidden", http.StatusForbidden, "check that this source's credentials may use this endpoint"},
		{"wrong path", http.StatusNotFound, "check base_url and paths in this source's settings"},
		{"bad request", http.StatusBadRequest, "check this source's settings (the API refused the request)"},
		{"server error", http.StatusServiceUnavailable, ""},
		{"bad gateway", http.StatusBadGateway, ""},
		{"rate limited after the retries", http.StatusTooManyRequests, ""},
		{"conflict", http.StatusConflict, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(tc.status) }))
			defer srv.Close()
			c, _ := newTestClient(t, Config{BaseURL: srv.URL, MaxRetries: 1})
			err := c.JSON(context.Background(), Request{Path: "/x"}, &struct{}{})
			require.Error(t, err)
			var fixer interface{ Fix() string }
			require.ErrorAs(t, err, &fixer)
			assert.Equal(t, tc.fix, fixer.Fix())
		})
	}

	t.Run("connection refused after the retries", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c, _ := newTestClient(t, Config{BaseURL: url, MaxRetries: 1})
		err := c.JSON(context.Background(), Request{Path: "/x"}, &struct{}{})
		var re *RequestError
		require.ErrorAs(t, err, &re)
		assert.Empty(t, re.Fix(), "transient: %v", err)
	})
	t.Run("a malformed body, retried as one cut short", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>login</html>")) }))
		defer srv.Close()
		c, _ := newTestClient(t, Config{BaseURL: srv.URL, MaxRetries: 1})
		err := c.JSON(context.Background(), Request{Path: "/x"}, &struct{}{})
		var re *RequestError
		require.ErrorAs(t, err, &re)
		assert.Empty(t, re.Fix(), "the client retries it, so it is transient: %v", err)
	})
	t.Run("a body over its cap", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(make([]byte, 4096)) }))
		defer srv.Close()
		c, _ := newTestClient(t, Config{BaseURL: srv.URL, MaxRetries: 1, MaxBody: 1024})
		err := c.JSON(context.Background(), Request{Path: "/x"}, &struct{}{})
		var re *RequestError
		require.ErrorAs(t, err, &re)
		assert.Contains(t, re.Fix(), "raise max_body", "%v", err)
	})
}
