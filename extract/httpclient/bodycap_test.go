package httpclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A body over its cap fails that call at once: it is not read past the cap
// (memory stays bounded), not retried (the server would send it again), and
// the error names the URL, the cap and the setting that raises it.
func TestBodyOverItsCapFailsWithoutRetries(t *testing.T) {
	big := `{"items":[` + strings.Repeat("1,", 6000) + `1]}` // ~12 KB
	cases := []struct {
		name     string
		download bool
		length   bool // announce Content-Length (else chunked)
		setting  string
	}{
		{"JSON with Content-Length", false, true, "max_body"},
		{"JSON chunked", false, false, "max_body"},
		{"download with Content-Length", true, true, "max_download"},
		{"download chunked", true, false, "max_download"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				hits.Add(1)
				if tc.length {
					w.Header().Set("Content-Length", strconv.Itoa(len(big)))
				}
				for i := 0; i < len(big); i += 1000 { // several writes: chunked when no length
					_, _ = w.Write([]byte(big[i:min(i+1000, len(big))]))
					w.(http.Flusher).Flush()
				}
			}))
			defer srv.Close()
			c, _ := newTestClient(t, Config{BaseURL: srv.URL, MaxBody: 4 << 10, MaxDownload: 4 << 10, TempDir: t.TempDir()})
			var err error
			if tc.download {
				var f *Download
				f, err = c.Download(context.Background(), Request{Path: "/reports/usage", Query: map[string][]string{"day": {"2026-11-02"}}})
				if f != nil {
					_ = f.Close()
				}
				left, _ := os.ReadDir(c.cfg.TempDir)
				assert.Empty(t, left, "the partial download is removed")
			} else {
				var p page
				err = c.JSON(context.Background(), Request{Path: "/users", Query: map[string][]string{"page": {"3"}}}, &p)
			}
			require.Error(t, err)
			var tl *BodyTooLargeError
			require.True(t, errors.As(err, &tl), "%v", err)
			assert.Equal(t, tc.setting, tl.Setting)
			assert.EqualValues(t, 1, hits.Load(), "not retried")
			msg := err.Error()
			assert.Contains(t, msg, "4KiB")
			assert.Contains(t, msg, "raise "+tc.setting)
			if tc.download {
				assert.Contains(t, msg, "/reports/usage?day=2026-11-02")
			} else {
				assert.Contains(t, msg, "/users?page=3")
			}
			if tc.length {
				assert.Contains(t, msg, strconv.Itoa(len(big))+" bytes (Content-Length)")
			} else {
				assert.Contains(t, msg, "more than 4KiB")
			}
		})
	}
}

// Under the cap nothing changes, and the defaults are generous.
func TestBodyUnderItsCapLoads(t *testing.T) {
	srv := httptest.NewServer(okJSON(`{"items":[1,2,3]}`))
	defer srv.Close()
	c, _ := newTestClient(t, Config{BaseURL: srv.URL, MaxBody: 17})
	var p page
	require.NoError(t, c.JSON(context.Background(), Request{Path: "/x"}, &p), "a body of exactly the cap loads")
	assert.Equal(t, []int{1, 2, 3}, p.Items)

	d, _ := newTestClient(t, Config{BaseURL: srv.URL})
	assert.Equal(t, DefaultMaxBody, d.cfg.MaxBody)
	assert.Equal(t, ByteSize(256<<20), d.cfg.MaxBody)
	assert.Equal(t, DefaultMaxDownload, d.cfg.MaxDownload)
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"256MiB": 256 << 20, "1 MiB": 1 << 20, "4GiB": 4 << 30, "512KiB": 512 << 10, "1000": 1000, "2MB": 2e6, "10B": 10} {
		got, err := ParseSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "big", "-1MiB", "0", "1.5MiB", "1TiB"} {
		_, err := ParseSize(in)
		assert.Error(t, err, in)
	}
	assert.Equal(t, "256MiB", ByteSize(256<<20).String())
	assert.Equal(t, "12007 bytes", ByteSize(12007).String())
}
