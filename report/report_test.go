package report_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/report"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var (
	started = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	day     = 24 * time.Hour
)

// backfill is a run with a stream over several windows, a failure, a
// snapshot stream and label values that need escaping.
func backfill() report.Run {
	w := func(i int) (time.Time, time.Time) {
		s := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7 * day)
		return s, s.Add(7 * day)
	}
	s0, e0 := w(0)
	s1, e1 := w(1)
	return report.Run{
		RunID: "20261124T030000Z-ab12", Command: "etl backfill --from 2026-11-01 --to 2026-11-15",
		Started: started, Finished: started.Add(95*time.Second + 250*time.Millisecond),
		Status: report.StatusFailed, ExitCode: 1, Sink: "clickhouse",
		Streams: []report.StreamReport{
			{Source: "userflow", Stream: "content_sessions", Window: "2026-11-01..2026-11-07", WindowStart: s0, WindowEnd: e0,
				Rows: 1200, Rejects: 2, Pages: 12, Retries: 1, Bytes: 48000, DurationSeconds: 10.5, Status: report.StatusOK,
				Tables: []report.TableReport{{Table: "userflow_content_sessions", Rows: 1200, Rejects: 2}}},
			{Source: "userflow", Stream: "content_sessions", Window: "2026-11-08..2026-11-14", WindowStart: s1, WindowEnd: e1,
				Rows: 800, Pages: 8, Retries: 3, Bytes: 32000, DurationSeconds: 7.25, Status: report.StatusOK,
				Notices: []string{"clipped 2026-11-08: the API serves 90 days"}},
			{Source: "whatfix", Stream: "events", Window: "2026-11-01..2026-11-07", WindowStart: s0, WindowEnd: e0,
				Rows: 0, Pages: 3, Retries: 5, DurationSeconds: 30, Status: report.StatusFailed,
				Error: "whatfix events window 2026-11-01..2026-11-07 page 3: 503 after 5 retries"},
			{Source: "bot", Stream: "apps", Window: "snapshot", Rows: 4, Pages: 1, DurationSeconds: 0.125, Status: report.StatusOK},
			{Source: `we"ird\src`, Stream: "line\nbreak", Window: "2026-11-01", Rows: 1, Status: report.StatusSkipped},
		},
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.json")
	require.NoError(t, report.WriteJSON(path, backfill()))

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	assert.Equal(t, float64(1), doc["report_version"])
	assert.Equal(t, "20261124T030000Z-ab12", doc["run_id"])
	assert.Equal(t, "2026-11-24T03:00:00Z", doc["started"])
	assert.Equal(t, "2026-11-24T03:01:35.25Z", doc["finished"])
	assert.Equal(t, 95.25, doc["duration_seconds"], "computed from started and finished")
	assert.Equal(t, "failed", doc["status"])
	assert.Equal(t, float64(1), doc["exit_code"])
	assert.Equal(t, map[string]any{
		"streams": float64(4), "windows": float64(5), "failed_windows": float64(1),
		"failed_streams": []any{"whatfix.events"},
		"rows":           float64(2005), "rejects": float64(2), "pages": float64(24), "retries": float64(9), "bytes": float64(80000),
		"skipped_sources": []any{},
	}, doc["totals"])
	assert.Equal(t, []any{}, doc["sources"], "a list, never null")

	streams := doc["streams"].([]any)
	require.Len(t, streams, 5)
	first := streams[0].(map[string]any)
	assert.Equal(t, map[string]any{
		"source": "userflow", "stream": "content_sessions", "window": "2026-11-01..2026-11-07",
		"window_start": "2026-11-01T00:00:00Z", "window_end": "2026-11-08T00:00:00Z",
		"rows": float64(1200), "rejects": float64(2), "pages": float64(12), "retries": float64(1), "bytes": float64(48000),
		"duration_seconds": 10.5, "status": "ok", "error": "", "fix": "", "notices": []any{},
		"tables": []any{map[string]any{"table": "userflow_content_sessions", "rows": float64(1200), "rejects": float64(2), "unknown_fields": []any{}}},
	}, first, "every field present, lists never null")
	snapshot := streams[3].(map[string]any)
	assert.NotContains(t, snapshot, "window_start", "a snapshot has no window times")
	assert.NotContains(t, snapshot, "window_end")

	assert.True(t, strings.HasPrefix(string(b), "{\n  \"report_version\": 1,\n  \"run_id\""), "pretty-printed, version first:\n%s", b)

	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())

	back, err := report.ReadJSON(path)
	require.NoError(t, err)
	assert.Equal(t, "whatfix events window 2026-11-01..2026-11-07 page 3: 503 after 5 retries", back.Streams[2].Error)
	assert.Equal(t, []string{"whatfix.events"}, back.Totals.FailedStreams)
}

func TestWriteJSONReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.json")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	require.NoError(t, report.WriteJSON(path, backfill()))
	require.NoError(t, report.WriteJSON(path, report.Run{RunID: "second", Status: report.StatusOK}))
	back, err := report.ReadJSON(path)
	require.NoError(t, err)
	assert.Equal(t, "second", back.RunID)
	assert.Empty(t, back.Streams)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temp file left behind")
}

func TestWriteJSONIntoAMissingDirectoryFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "run.json")
	err := report.WriteJSON(path, backfill())
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
}

func TestWriteJSONRedactsFreeText(t *testing.T) {
	const secret = "s3cr3t-token"
	r := backfill()
	r.Command = "etl run --dsn clickhouse://etl:" + secret + "@db:9000/etl"
	r.Streams[2].Error = "auth failed with key " + secret
	r.Streams[1].Notices = []string{"retried with " + secret}
	redact := func(s string) string { return strings.ReplaceAll(s, secret, "[REDACTED]") }

	path := filepath.Join(t.TempDir(), "run.json")
	require.NoError(t, report.WriteJSON(path, r, report.WithRedactor(redact)))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(b), secret)
	assert.Contains(t, string(b), "clickhouse://etl:[REDACTED]@db:9000/etl")
	assert.Contains(t, string(b), "auth failed with key [REDACTED]")
	assert.Equal(t, "auth failed with key "+secret, r.Streams[2].Error, "the caller's run is not modified")
}

func TestSummarize(t *testing.T) {
	cases := []struct {
		name     string
		statuses []string
		want     string
		ok       bool
	}{
		{"all ok", []string{"ok", "ok"}, "ok", true},
		{"ok and skipped", []string{"ok", "skipped"}, "ok", true},
		{"all skipped", []string{"skipped"}, "skipped", true},
		{"one failed", []string{"ok", "failed", "interrupted"}, "failed", false},
		{"interrupted", []string{"ok", "interrupted"}, "interrupted", false},
		{"unknown status", []string{"ok", "weird"}, "failed", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var windows []report.StreamReport
			for i, s := range tc.statuses {
				windows = append(windows, report.StreamReport{Source: "a", Stream: "b", Status: s, Rows: int64(i + 1), DurationSeconds: 1.5, Error: "e" + s})
			}
			got := report.Summarize(windows)
			require.Len(t, got, 1)
			assert.Equal(t, tc.want, got[0].Status)
			assert.Equal(t, tc.ok, got[0].OK())
			assert.Equal(t, len(tc.statuses), got[0].Windows)
			assert.InDelta(t, 1.5*float64(len(tc.statuses)), got[0].DurationSeconds, 1e-9)
		})
	}
	got := report.Summarize(backfill().Streams)
	var ids []string
	for _, s := range got {
		ids = append(ids, report.StreamKey(s.Source, s.Stream))
	}
	assert.Equal(t, []string{"bot.apps", "userflow.content_sessions", "we\"ird\\src.line\nbreak", "whatfix.events"}, ids)
	assert.Equal(t, int64(2000), got[1].Rows)
	assert.Equal(t, []string{"whatfix events window 2026-11-01..2026-11-07 page 3: 503 after 5 retries"}, got[3].Errors)
}

func TestWriteMetricsGolden(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "etl.prom")
	lastSuccess := map[string]time.Time{
		"whatfix.events":      time.Date(2026, 11, 23, 3, 2, 0, 0, time.UTC), // failed now: keeps its last success
		"userflow.users":      time.Date(2026, 11, 23, 3, 1, 0, 0, time.UTC), // not in this run
		"bot.apps":            time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), // older than this run's success
		"technowiz.reports":   {},                                            // never succeeded: no series
		"userflow.never_seen": time.Date(2026, 11, 22, 0, 0, 0, 500_000_000, time.UTC),
	}
	require.NoError(t, report.WriteMetrics(path, backfill(), lastSuccess))
	got, err := os.ReadFile(path)
	require.NoError(t, err)

	golden := filepath.Join("testdata", "metrics.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))

	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm(), "node_exporter runs as another user")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temp file left where node_exporter looks")
}

// The text must parse under the exposition format's rules: every sample
// belongs to the family declared just before it, each family once.
func TestMetricsAreWellFormed(t *testing.T) {
	text := report.Metrics(backfill(), nil)
	require.True(t, strings.HasSuffix(text, "\n"))
	seen := map[string]bool{}
	current := ""
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name := strings.Fields(line)[2]
			require.False(t, seen[name], "family %s declared twice", name)
			seen[name], current = true, name
		case strings.HasPrefix(line, "# TYPE "):
			assert.Equal(t, "# TYPE "+current+" gauge", line)
		default:
			name := line
			if i := strings.IndexAny(line, "{ "); i >= 0 {
				name = line[:i]
			}
			assert.Equal(t, current, name, "sample outside its family: %q", line)
			assert.NotContains(t, line, "\t")
		}
	}
	for _, name := range []string{"etl_stream_rows", "etl_stream_rejects", "etl_stream_duration_seconds", "etl_stream_status", "etl_stream_last_success_timestamp_seconds", "etl_run_duration_seconds", "etl_run_status"} {
		assert.True(t, seen[name], name)
	}
	assert.Contains(t, text, `etl_stream_rows{source="we\"ird\\src",stream="line\nbreak"} 1`+"\n")
}

func TestMetricsOfASuccessfulRun(t *testing.T) {
	r := report.Run{Status: report.StatusOK, Started: started, Finished: started.Add(time.Minute), Streams: []report.StreamReport{
		{Source: "userflow", Stream: "users", Rows: 3, Status: report.StatusOK, DurationSeconds: 2},
	}}
	text := report.Metrics(r, nil)
	assert.Contains(t, text, "etl_run_status 1\n")
	assert.Contains(t, text, "etl_run_duration_seconds 60\n")
	assert.Contains(t, text, `etl_stream_status{source="userflow",stream="users"} 1`+"\n")
	assert.Contains(t, text, `etl_stream_last_success_timestamp_seconds{source="userflow",stream="users"} 1795489260`+"\n")
}

// A stream that loaded 0 rows where its previous run had rows is marked in
// the report and the metrics, and the run stays ok.
func TestZeroRowWarningInReportAndMetrics(t *testing.T) {
	r := report.Run{Command: "etl run", Started: started, Finished: started.Add(time.Second), Status: report.StatusOK, Sink: "parquet",
		Streams: []report.StreamReport{
			{Source: "userflow", Stream: "content_sessions", Window: "2026-11-23", Status: report.StatusOK},
			{Source: "userflow", Stream: "users", Window: "2026-11-23", Rows: 5, Status: report.StatusOK},
		},
		Warnings: []report.Warning{{Source: "userflow", Stream: "content_sessions", Kind: report.WarningZeroRows, PreviousRows: 2709,
			Message: "userflow.content_sessions: 0 rows for 2026-11-23, where the previous run of this stream loaded 2709"}}}
	m := report.Metrics(r, nil)
	assert.Contains(t, m, `etl_stream_zero_rows_warning{source="userflow",stream="content_sessions"} 1`)
	assert.Contains(t, m, `etl_stream_zero_rows_warning{source="userflow",stream="users"} 0`)
	assert.Contains(t, m, `etl_run_status 1`)

	path := filepath.Join(t.TempDir(), "run.json")
	require.NoError(t, report.WriteJSON(path, r))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var got struct {
		Status   string           `json:"status"`
		Warnings []report.Warning `json:"warnings"`
	}
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, "ok", got.Status)
	require.Len(t, got.Warnings, 1)
	assert.Equal(t, report.WarningZeroRows, got.Warnings[0].Kind)
	assert.EqualValues(t, 2709, got.Warnings[0].PreviousRows)
}

// A source that could not run is named in the report with why, and keeps
// its streams' series in the metrics (status 0) with a source series an
// alert can match.
func TestSkippedSourceInReportAndMetrics(t *testing.T) {
	r := report.Run{Command: "etl run", Started: started, Finished: started.Add(time.Second), Status: report.StatusFailed, ExitCode: 1, Sink: "parquet",
		Sources: []report.SourceReport{
			{Source: "whatfix", Streams: []string{"events"}},
			{Source: "userflow", Status: "skipped: USERFLOW_API_KEY unset", Streams: []string{"content_sessions", "users"}},
			{Source: "bot", Status: "disabled", Streams: []string{"apps"}},
			{Source: "technowiz", Streams: []string{"users"}},
		},
		Streams: []report.StreamReport{
			{Source: "whatfix", Stream: "events", Window: "2026-11-23", Rows: 5, Status: report.StatusOK},
			{Source: "technowiz", Stream: "users", Window: "snapshot", Status: report.StatusFailed, Error: "503", Fix: ""},
		}}

	path := filepath.Join(t.TempDir(), "run.json")
	require.NoError(t, report.WriteJSON(path, r))
	back, err := report.ReadJSON(path)
	require.NoError(t, err)
	assert.Equal(t, []report.SourceReport{
		{Source: "bot", Status: "disabled", Streams: []string{"apps"}},
		{Source: "technowiz", Status: "failed", Streams: []string{"users"}},
		{Source: "userflow", Status: "skipped: USERFLOW_API_KEY unset", Streams: []string{"content_sessions", "users"}},
		{Source: "whatfix", Status: "ok", Streams: []string{"events"}},
	}, back.Sources)
	assert.Equal(t, []string{"userflow"}, back.Totals.SkippedSources)

	m := report.Metrics(r, map[string]time.Time{"userflow.users": started.Add(-24 * time.Hour)})
	for _, want := range []string{
		`etl_source_status{source="userflow",status="skipped",reason="USERFLOW_API_KEY unset"} 0`,
		`etl_source_status{source="whatfix",status="ok",reason=""} 1`,
		`etl_source_status{source="technowiz",status="failed",reason=""} 0`,
		`etl_source_status{source="bot",status="disabled",reason=""} 1`,
		`etl_stream_status{source="userflow",stream="content_sessions"} 0`,
		`etl_stream_status{source="userflow",stream="users"} 0`,
		`etl_stream_windows{source="userflow",stream="users"} 0`,
		`etl_stream_last_success_timestamp_seconds{source="userflow",stream="users"} 1795402800`,
		`etl_stream_status{source="whatfix",stream="events"} 1`,
		"etl_run_status 0",
	} {
		assert.Contains(t, m, want+"\n")
	}
	assert.NotContains(t, m, `stream="apps"`, "a disabled source's streams are not expected to run")
}
