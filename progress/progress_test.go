package progress

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
)

// syncBuffer is written by the display goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func running(d *Display) *engine.Live {
	l := &engine.Live{Stream: &engine.Stream{Source: "userflow", Name: "content_sessions"}, Started: time.Now()}
	d.Plan(map[string]int{"userflow": 4})
	d.Started(l)
	l.Rows.Add(1234)
	l.HTTP.Requests.Add(12)
	l.HTTP.Retries.Add(2)
	d.Finished(&engine.Live{Stream: l.Stream}, engine.Result{Source: "userflow", Rows: 10, Pages: 1, Status: engine.StatusOK})
	return l
}

func TestPlainLogsWithoutControlCharacters(t *testing.T) {
	var out, logs syncBuffer
	d := New(&out, false, slog.New(slog.NewTextHandler(&logs, nil)), 20*time.Millisecond)
	running(d)
	d.Run(context.Background())
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "progress") }, 2*time.Second, 10*time.Millisecond)
	d.Stop()
	line := logs.String()
	assert.Contains(t, line, "source=userflow chunks_done=1 chunks_total=4 rows=1244 pages=13 retries=2")
	assert.NotContains(t, line, "\x1b", "no control characters in logs")
	assert.Empty(t, out.String(), "nothing drawn on a non-terminal")
}

func TestTerminalRedrawsInPlace(t *testing.T) {
	var out, logs syncBuffer
	d := New(&out, true, slog.New(slog.NewTextHandler(&logs, nil)), 0)
	running(d)
	d.Run(context.Background())
	require.Eventually(t, func() bool { return strings.Count(out.String(), "userflow") >= 2 }, 3*time.Second, 20*time.Millisecond)
	d.Stop()
	s := out.String()
	assert.Contains(t, s, "chunks 1/4")
	assert.Contains(t, s, "rows 1244")
	assert.Contains(t, s, "eta ")
	assert.Contains(t, s, "\x1b[1A\x1b[2K", "earlier frames are erased")
	assert.True(t, strings.HasSuffix(s, "\x1b[1A\x1b[2K"), "the live view is cleared before the summary")
	assert.Empty(t, logs.String(), "a terminal gets the live view, not log lines")
}
