package main

import (
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/sandbox"
	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
	"github.com/adoptionlabs/etl/window"
)

// A Userflow sessions backfill pages through the session list once, whatever
// its chunks and parallelism (the list has no date filter: one re-walk per
// chunk cost 14,983 pages for 120 days in 7-day chunks). The pages are
// counted by the fake, through the built binary.
func TestUserflowBackfillWalksTheSessionListOnce(t *testing.T) {
	bin := buildBinary(t)
	now := time.Now().UTC()
	fake := userflowfake.New(userflowfake.Options{Seed: 3, Now: now, Scale: 0.5})
	srv, err := sandbox.Start(fake)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	from, to := window.Floor(now).AddDate(0, 0, -120).Format(time.DateOnly), window.Floor(now).AddDate(0, 0, -1).Format(time.DateOnly)
	pages := func(args ...string) int {
		before := fake.Requests("/content_sessions")
		cmd := exec.Command(bin, append([]string{"backfill", "--stream", "content_sessions", "--from", from, "--to", to, "--out", t.TempDir()}, args...)...)
		cmd.Env = environ(map[string]string{"USERFLOW_BASE_URL": srv.URL, "USERFLOW_API_KEY": userflowfake.DemoAPIKey, "USERFLOW_RATE_LIMIT": "unlimited", "ETL_STATE_DIR": t.TempDir()})
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
		return fake.Requests("/content_sessions") - before
	}
	one := pages("--chunk", "120d")
	require.Greater(t, one, 50, "the range spans many pages")
	for _, args := range [][]string{{"--chunk", "7d"}, {"--chunk", "30d"}, {"--chunk", "1d", "--parallel", "4"}} {
		got := pages(args...)
		t.Logf("%v: %d pages, one walk %d", args, got, one)
		assert.LessOrEqual(t, float64(got), 1.05*float64(one), "%v: %d pages against %d for one walk", args, got, one)
	}
}

// BenchmarkUserflowBackfillPages prints the page figures: a 120-day
// Userflow sessions backfill at --chunk 7d and 30d against one walk (the
// whole range as one chunk), counted by the fake (`make bench-rate`).
func BenchmarkUserflowBackfillPages(b *testing.B) {
	bin := buildBinary(b)
	now := time.Now().UTC()
	fake := userflowfake.New(userflowfake.Options{Seed: 3, Now: now, Scale: 10})
	srv, err := sandbox.Start(fake)
	require.NoError(b, err)
	defer srv.Close()
	from, to := window.Floor(now).AddDate(0, 0, -120).Format(time.DateOnly), window.Floor(now).AddDate(0, 0, -1).Format(time.DateOnly)
	for _, chunk := range []string{"120d", "30d", "7d"} {
		b.Run("chunk="+chunk, func(b *testing.B) {
			for range b.N {
				before := fake.Requests("/content_sessions")
				cmd := exec.Command(bin, "backfill", "--stream", "content_sessions", "--from", from, "--to", to, "--chunk", chunk, "--parallel", "4", "--out", b.TempDir())
				cmd.Env = environ(map[string]string{"USERFLOW_BASE_URL": srv.URL, "USERFLOW_API_KEY": userflowfake.DemoAPIKey, "USERFLOW_RATE_LIMIT": "unlimited", "ETL_STATE_DIR": b.TempDir()})
				out, err := cmd.CombinedOutput()
				require.NoError(b, err, string(out))
				pages := fake.Requests("/content_sessions") - before
				b.ReportMetric(float64(pages), "pages")
				b.Logf("120 days, --chunk %s --parallel 4: %d pages of /content_sessions", chunk, pages)
			}
		})
	}
}
