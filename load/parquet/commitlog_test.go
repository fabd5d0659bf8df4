package parquet

import (
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

// TestEmptyCommitsAreNotLogged: a window with no rejects commits an empty
// rejects load on every chunk; a line for each buried the log.
// A load that wrote rows or replaced days is still logged.
func TestEmptyCommitsAreNotLogged(t *testing.T) {
	var logs logBuffer
	s := newSink(t, t.TempDir(), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	steps := []struct {
		name   string
		rows   [][]row
		logged string // "" when no commit line is wanted
	}{
		{"rows written", [][]row{dailyRows("g1", "2026-01-01", "2026-01-02")}, "rows=2 files=2 days_replaced=2 days_emptied=0"},
		{"a rerun that empties the days is news", [][]row{nil}, "rows=0 files=0 days_replaced=2 days_emptied=2"},
		{"nothing written over nothing", [][]row{nil}, ""},
		{"no batch at all", nil, ""},
	}
	for _, st := range steps {
		loadRows(t, s, daily, days("2026-01-01", "2026-01-02"), "bot.daily", st.rows...)
		got := logs.take()
		if st.logged == "" {
			assert.NotContains(t, got, "parquet: committed", st.name)
		} else {
			assert.Contains(t, got, st.logged, st.name)
		}
	}
}
