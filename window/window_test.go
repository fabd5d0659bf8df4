package window

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func day(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }

func TestParseDays(t *testing.T) {
	cases := []struct {
		from, to string
		want     Window
		err      string
	}{
		{"2026-11-01", "2026-11-01", Window{day("2026-11-01"), day("2026-11-02")}, ""},
		{"2026-02-27", "2026-03-01", Window{day("2026-02-27"), day("2026-03-02")}, ""},
		{"2026-02-30", "2026-03-01", Window{}, "not a valid date"},
		{"2026-11-05", "2026-11-01", Window{}, "is after --to"},
		{"11/01/2026", "2026-11-01", Window{}, "--from"},
	}
	for _, tc := range cases {
		t.Run(tc.from+"_"+tc.to, func(t *testing.T) {
			w, err := ParseDays(tc.from, tc.to)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, w)
		})
	}
}

func TestSplitCoversWindowExactly(t *testing.T) {
	w := Window{day("2026-01-01"), day("2026-04-01")} // 90 days
	for _, size := range []time.Duration{Day, 7 * Day, 30 * Day, 365 * Day} {
		chunks := w.Split(size)
		require.NotEmpty(t, chunks)
		assert.Equal(t, w.Start, chunks[0].Start)
		assert.Equal(t, w.End, chunks[len(chunks)-1].End)
		for i := 1; i < len(chunks); i++ {
			assert.Equal(t, chunks[i-1].End, chunks[i].Start, "chunks are contiguous")
			assert.LessOrEqual(t, chunks[i-1].Duration(), size)
		}
	}
	assert.Len(t, w.Split(7*Day), 13)
}

func TestDaysMonthsAndAlign(t *testing.T) {
	w := Window{day("2026-01-30"), day("2026-02-02")}
	assert.Equal(t, []time.Time{day("2026-01-30"), day("2026-01-31"), day("2026-02-01")}, w.Days())
	assert.Equal(t, []time.Time{day("2026-01-01"), day("2026-02-01")}, w.Months())
	assert.Equal(t, Window{day("2026-01-01"), day("2026-03-01")}, MonthAligned(w))
	assert.Equal(t, "2026-01-30..2026-02-01", w.String())
	assert.True(t, w.Contains(day("2026-01-30")))
	assert.False(t, w.Contains(day("2026-02-02")), "end is exclusive")
}

func TestParseChunk(t *testing.T) {
	for in, want := range map[string]time.Duration{"1d": Day, "7d": 7 * Day, "30d": 30 * Day} {
		got, err := ParseChunk(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	for _, bad := range []string{"0d", "-1d", "week", "", "12h"} {
		_, err := ParseChunk(bad)
		assert.Error(t, err, bad)
	}
}
