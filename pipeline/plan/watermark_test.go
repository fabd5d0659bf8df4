package plan

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/window"
)

func day(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }

// step is one chunk finishing: its first day, and whether it committed.
type step struct {
	chunk string
	ok    bool
}

func TestWatermarkAdvancesOnlyOverContiguousChunks(t *testing.T) {
	s := &engine.Stream{Source: "userflow", Name: "content_sessions", Windowed: true}
	// Four 1-day chunks, 11-01..11-04.
	tasks := Chunks([]*engine.Stream{s}, window.New(day("2026-11-01"), day("2026-11-05")), window.Day)
	type want struct {
		wm      string // "" = must not move
		advance bool
	}
	cases := []struct {
		name  string
		prev  string
		steps []step
		want  []want
	}{
		{
			name:  "in order, no state",
			steps: []step{{"2026-11-01", true}, {"2026-11-02", true}, {"2026-11-03", true}, {"2026-11-04", true}},
			want:  []want{{"2026-11-02", true}, {"2026-11-03", true}, {"2026-11-04", true}, {"2026-11-05", true}},
		},
		{
			name:  "out of order: later chunks wait for the first",
			steps: []step{{"2026-11-03", true}, {"2026-11-02", true}, {"2026-11-04", true}, {"2026-11-01", true}},
			want:  []want{{"", false}, {"", false}, {"", false}, {"2026-11-05", true}},
		},
		{
			name:  "a failure in the middle stops the watermark before it",
			steps: []step{{"2026-11-01", true}, {"2026-11-03", true}, {"2026-11-02", false}, {"2026-11-04", true}},
			want:  []want{{"2026-11-02", true}, {"2026-11-02", true}, {"", false}, {"2026-11-02", true}},
		},
		{
			name:  "the first chunk fails: nothing moves",
			steps: []step{{"2026-11-02", true}, {"2026-11-01", false}, {"2026-11-03", true}, {"2026-11-04", true}},
			want:  []want{{"", false}, {"", false}, {"", false}, {"", false}},
		},
		{
			name:  "a backfill starting after the watermark leaves the gap owed",
			prev:  "2026-10-20",
			steps: []step{{"2026-11-01", true}, {"2026-11-02", true}, {"2026-11-03", true}, {"2026-11-04", true}},
			want:  []want{{"", false}, {"", false}, {"", false}, {"", false}},
		},
		{
			name:  "a backfill covering the watermark moves it past the end",
			prev:  "2026-11-02",
			steps: []step{{"2026-11-02", true}, {"2026-11-01", true}, {"2026-11-04", true}, {"2026-11-03", true}},
			want:  []want{{"", false}, {"2026-11-03", true}, {"2026-11-03", true}, {"2026-11-05", true}},
		},
		{
			name:  "a backfill starting exactly at the watermark is contiguous",
			prev:  "2026-11-01",
			steps: []step{{"2026-11-01", true}},
			want:  []want{{"2026-11-02", true}},
		},
		{
			name:  "an old backfill ending before the watermark never rewinds it",
			prev:  "2026-12-01",
			steps: []step{{"2026-11-01", true}, {"2026-11-02", true}, {"2026-11-03", true}, {"2026-11-04", true}},
			want:  []want{{"", false}, {"", false}, {"", false}, {"", false}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prev := map[string]time.Time{}
			if tc.prev != "" {
				prev[s.ID()] = day(tc.prev)
			}
			w := NewWatermarks(tasks, prev, day("2027-01-01"))
			_, _, gap := w.Gap(s.ID())
			assert.Equal(t, tc.prev != "" && day(tc.prev).Before(day("2026-11-01")), gap)
			var rows int64
			for i, st := range tc.steps {
				if !st.ok {
					continue // a failed chunk never reports done
				}
				c := window.New(day(st.chunk), day(st.chunk).Add(window.Day))
				wm, adv, total := w.Done(s.ID(), c, 10)
				rows += 10
				assert.Equal(t, rows, total, "step %d", i)
				assert.Equal(t, tc.want[i].advance, adv, "step %d (%s)", i, st.chunk)
				if tc.want[i].advance {
					assert.Equal(t, day(tc.want[i].wm), wm, "step %d (%s)", i, st.chunk)
				}
			}
		})
	}
}

func TestWatermarkCountsChunksOfAnInterruptedRun(t *testing.T) {
	s := &engine.Stream{Source: "userflow", Name: "content_sessions", Windowed: true}
	tasks := Chunks([]*engine.Stream{s}, window.New(day("2026-11-01"), day("2026-11-04")), window.Day)
	w := NewWatermarks(tasks, nil, day("2027-01-01"))
	w.Seed(s.ID(), tasks[0].Window)
	w.Seed(s.ID(), tasks[1].Window)
	wm, adv, _ := w.Done(s.ID(), tasks[2].Window, 0)
	assert.True(t, adv)
	assert.Equal(t, day("2026-11-04"), wm)
}

// However a chunk came to reach past the settled end (today minus the
// settle lag), the watermark stops there: the rest of a partial day is
// pulled again by the next nightly run instead of being skipped.
func TestWatermarkNeverPassesTheLimit(t *testing.T) {
	s := &engine.Stream{Source: "userflow", Name: "content_sessions", Windowed: true}
	limit := day("2026-12-07") // the start of today, settle lag 0
	cases := []struct {
		name   string
		prev   string
		chunks window.Window
		want   string // "" = must not move
	}{
		{name: "a chunk covering today and tomorrow", chunks: window.New(day("2026-12-04"), day("2026-12-09")), want: "2026-12-07"},
		{name: "from a watermark before the limit", prev: "2026-12-05", chunks: window.New(day("2026-12-05"), day("2026-12-08")), want: "2026-12-07"},
		{name: "ending at the limit moves it there", chunks: window.New(day("2026-12-01"), day("2026-12-07")), want: "2026-12-07"},
		{name: "a watermark already at the limit stays", prev: "2026-12-07", chunks: window.New(day("2026-12-06"), day("2026-12-09")), want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tasks := Chunks([]*engine.Stream{s}, tc.chunks, 30*window.Day)
			prev := map[string]time.Time{}
			if tc.prev != "" {
				prev[s.ID()] = day(tc.prev)
			}
			w := NewWatermarks(tasks, prev, limit)
			wm, adv, _ := w.Done(s.ID(), tasks[0].Window, 1)
			if tc.want == "" {
				assert.False(t, adv, "moved to %s", wm)
				return
			}
			assert.True(t, adv)
			assert.Equal(t, day(tc.want), wm)
		})
	}
}
