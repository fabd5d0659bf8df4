package plan

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/window"
)

func TestIDNamesStreamsChunksAndDestination(t *testing.T) {
	a := &engine.Stream{Source: "userflow", Name: "content_sessions", Windowed: true}
	b := &engine.Stream{Source: "userflow", Name: "users"}
	w := window.New(day("2026-11-01"), day("2026-11-08"))
	tasks := Chunks([]*engine.Stream{a, b}, w, window.Day)
	id := ID(tasks, "parquet:/data")

	reversed := make([]Task, len(tasks))
	for i, tk := range tasks {
		reversed[len(tasks)-1-i] = tk
	}
	assert.Equal(t, id, ID(reversed, "parquet:/data"), "the order tasks are listed in is not part of the plan")
	assert.NotEqual(t, id, ID(tasks, "parquet:/other"), "another destination is another plan")
	assert.NotEqual(t, id, ID(Chunks([]*engine.Stream{a, b}, w, 7*window.Day), "parquet:/data"), "other chunks are another plan")
	assert.NotEqual(t, id, ID(Chunks([]*engine.Stream{a}, w, window.Day), "parquet:/data"), "other streams are another plan")
	assert.Len(t, id, 16)
}

func TestChunksGiveAlignedStreamsOneTaskPerAlignedWindow(t *testing.T) {
	monthly := &engine.Stream{Source: "technowiz", Name: "usage", Windowed: true, Chunk: window.Day,
		Align: func(w window.Window) window.Window {
			s := time.Date(w.Start.Year(), w.Start.Month(), 1, 0, 0, 0, 0, time.UTC)
			return window.New(s, s.AddDate(0, 1, 0))
		}}
	tasks := Chunks([]*engine.Stream{monthly}, window.New(day("2026-10-30"), day("2026-11-03")), 0)
	require.Len(t, tasks, 2, "October and November, not one task per day")
	assert.Equal(t, day("2026-10-30"), tasks[0].Window.Start)
	assert.Equal(t, day("2026-11-01"), tasks[1].Window.Start)
}

func TestNightlyPullsFromTheWatermarkMinusLookbackToTheSettledEnd(t *testing.T) {
	ctx := context.Background()
	st, err := state.OpenFile(t.TempDir())
	require.NoError(t, err)
	defer st.Close()
	seen := &engine.Stream{Source: "userflow", Name: "sessions", Windowed: true, Chunk: 7 * window.Day}
	fresh := &engine.Stream{Source: "userflow", Name: "answers", Windowed: true, Chunk: 7 * window.Day}
	current := &engine.Stream{Source: "bot", Name: "messages", Windowed: true}
	snapshot := &engine.Stream{Source: "userflow", Name: "users"}
	require.NoError(t, st.Advance(ctx, state.Entry{Source: "userflow", Stream: "sessions", Watermark: day("2026-11-05"), LastStatus: state.StatusOK}))
	require.NoError(t, st.Advance(ctx, state.Entry{Source: "bot", Stream: "messages", Watermark: day("2026-11-12"), LastStatus: state.StatusOK}))

	now := day("2026-11-11").Add(3 * time.Hour)
	tasks, err := Nightly(ctx, st, []*engine.Stream{seen, fresh, current, snapshot}, 2*window.Day, window.Day, 3*window.Day, now)
	require.NoError(t, err)
	got := map[string][]string{}
	for _, tk := range tasks {
		got[tk.Stream.ID()] = append(got[tk.Stream.ID()], tk.Window.String())
	}
	end := day("2026-11-10") // today minus the settle lag
	assert.Equal(t, map[string][]string{
		"userflow.sessions": {window.New(day("2026-11-03"), end).String()},
		"userflow.answers":  {window.New(end.Add(-3*window.Day), end).String()},
		"userflow.users":    {window.New(end.Add(-window.Day), end).String()},
	}, got, "a stream whose watermark is at or past the end has nothing to pull")
}

// A backfill ends where the nightly run ends: the start of today minus the
// settle lag, so with a lag of 0 today (still filling) is not loaded.
func TestClipToSettled(t *testing.T) {
	now := day("2026-11-11").Add(5 * time.Hour)
	cases := []struct {
		name    string
		from    string
		to      string // exclusive end
		settle  time.Duration
		want    string // the window's exclusive end
		clipped string
		err     string
	}{
		{name: "lag 1d: ends at the start of yesterday", from: "2026-11-01", to: "2026-11-20", settle: window.Day, want: "2026-11-10",
			clipped: "--to 2026-11-19 is after the last day that can be pulled, 2026-11-09: loading 2026-11-01..2026-11-09 instead"},
		{name: "lag 0: today is not loaded", from: "2026-11-04", to: "2027-01-07", want: "2026-11-11",
			clipped: "--to 2027-01-06 is after the last day that can be pulled, 2026-11-10: loading 2026-11-04..2026-11-10 instead"},
		{name: "lag 0: up to yesterday is kept", from: "2026-11-01", to: "2026-11-11", want: "2026-11-11"},
		{name: "lag 1d: a range in the past is kept", from: "2026-11-01", to: "2026-11-05", settle: window.Day, want: "2026-11-05"},
		{name: "lag 0: today alone is refused", from: "2026-11-11", to: "2026-11-12",
			err: "--from 2026-11-11 is after the last day that can be pulled, 2026-11-10"},
		{name: "lag 1d: yesterday is refused", from: "2026-11-10", to: "2026-11-12", settle: window.Day,
			err: "--from 2026-11-10 is after the last day that can be pulled, 2026-11-09"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, clipped, err := ClipToSettled(window.New(day(tc.from), day(tc.to)), tc.settle, now)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, window.New(day(tc.from), day(tc.want)), w)
			if tc.clipped == "" {
				assert.Empty(t, clipped)
			} else {
				assert.Contains(t, clipped, tc.clipped)
			}
			assert.False(t, w.End.After(SettledEnd(tc.settle, now)), "never past where the nightly run ends")
		})
	}
}
