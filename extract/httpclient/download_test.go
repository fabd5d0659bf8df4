package httpclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func report(size int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%d,user-%d,%d\n", i, i*7, i%13)
	}
	return b.Bytes()[:size]
}

func serveBytes(data []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data)
	}
}

// trickle sends data in chunks with a pause between them.
func trickle(data []byte, chunks int, gap time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		step := (len(data) + chunks - 1) / chunks
		for off := 0; off < len(data); off += step {
			if off > 0 {
				select {
				case <-time.After(gap):
				case <-r.Context().Done():
					return
				}
			}
			_, _ = w.Write(data[off:min(off+step, len(data))])
			w.(http.Flusher).Flush()
		}
	}
}

// stallAfter sends part of the body and then hangs.
func stallAfter(data []byte, sent int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data[:sent])
		w.(http.Flusher).Flush()
		stall(w, r)
	}
}

// A body too large for memory goes through a temporary file: retried from
// scratch, resumed never, removed on failure.
func TestDownloadToAFile(t *testing.T) {
	data := report(smallDownload + 300<<10)
	tests := []struct {
		name     string
		cfg      Config
		steps    []http.HandlerFunc
		wantHits int64
		wantCode int
	}{
		{name: "plain", steps: []http.HandlerFunc{serveBytes(data)}, wantHits: 1},
		{
			name:     "truncated body is rewritten from scratch",
			steps:    []http.HandlerFunc{truncated(len(data), string(data[:len(data)/2])), serveBytes(data)},
			wantHits: 2,
		},
		{
			name:     "two truncations, then whole",
			steps:    []http.HandlerFunc{truncated(len(data), string(data[:1000])), truncated(len(data), string(data[:200<<10])), serveBytes(data)},
			wantHits: 3,
		},
		{name: "reset", steps: []http.HandlerFunc{reset, serveBytes(data)}, wantHits: 2},
		{name: "503", steps: []http.HandlerFunc{status(503, ""), serveBytes(data)}, wantHits: 2},
		{
			name: "slow but steady download outlives Timeout",
			// 15 chunks 30ms apart take ~450ms, longer than the 300ms Timeout,
			// but the connection is never idle that long.
			cfg:      Config{Timeout: 300 * time.Millisecond},
			steps:    []http.HandlerFunc{trickle(data, 15, 30*time.Millisecond)},
			wantHits: 1,
		},
		{
			name:     "stalled body is abandoned and retried",
			cfg:      Config{Timeout: 250 * time.Millisecond},
			steps:    []http.HandlerFunc{stallAfter(data, 4096), serveBytes(data)},
			wantHits: 2,
		},
		{name: "404 leaves no file behind", steps: []http.HandlerFunc{status(404, "no such report")}, wantHits: 1, wantCode: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := steps(tt.steps...)
			srv := newServer(t, map[string]*route{"GET /exports/1.csv": rt})
			dir := t.TempDir()
			tt.cfg.BaseURL, tt.cfg.TempDir = srv.URL, dir
			c, _ := newTestClient(t, tt.cfg)
			stats := &Stats{}

			f, err := c.Download(WithStats(context.Background(), stats), Request{Path: "/exports/1.csv"})
			assert.Equal(t, tt.wantHits, rt.hits.Load())
			if tt.wantCode != 0 {
				assert.True(t, IsStatus(err, tt.wantCode), "%v", err)
				assert.Nil(t, f)
				entries, rerr := os.ReadDir(dir)
				require.NoError(t, rerr)
				assert.Empty(t, entries, "temp file must be removed on failure")
				return
			}
			require.NoError(t, err)
			t.Cleanup(func() { _ = f.Close() })
			assert.Equal(t, int64(len(data)), f.Size)
			got, err := io.ReadAll(f) // must start at offset 0
			require.NoError(t, err)
			assert.True(t, bytes.Equal(data, got), "content differs: got %d bytes, want %d", len(got), len(data))
			assert.GreaterOrEqual(t, stats.Bytes.Load(), int64(len(data)))
			assert.Equal(t, tt.wantHits-1, stats.Retries.Load())
		})
	}
}

// Download keeps a small body in memory (no temporary file at all) and a
// large one in a temporary file that Close removes; both retry a body cut
// short from scratch.
func TestDownloadInMemoryOrInAFile(t *testing.T) {
	for _, tt := range []struct {
		name   string
		size   int
		inFile bool
	}{
		{"small body in memory", 300 << 10, false},
		{"large body in a file", smallDownload + 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := report(tt.size)
			rt := steps(truncated(len(data), string(data[:len(data)/2])), serveBytes(data))
			srv := newServer(t, map[string]*route{"GET /exports/1.csv": rt})
			dir := t.TempDir()
			c, _ := newTestClient(t, Config{BaseURL: srv.URL, TempDir: dir})

			d, err := c.Download(context.Background(), Request{Path: "/exports/1.csv"})
			require.NoError(t, err)
			assert.EqualValues(t, 2, rt.hits.Load(), "the truncated body was fetched again")
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			if tt.inFile {
				assert.Len(t, entries, 1, "the body is in a temporary file")
			} else {
				assert.Empty(t, entries, "no temporary file for a small body")
			}
			assert.EqualValues(t, len(data), d.Size)
			got, err := io.ReadAll(d)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(data, got), "content differs: got %d bytes, want %d", len(got), len(data))
			require.NoError(t, d.Close())
			entries, err = os.ReadDir(dir)
			require.NoError(t, err)
			assert.Empty(t, entries, "Close leaves no file behind")
		})
	}
}
