package main

// What a scheduler (cron at 3 a.m., node_exporter, an alert) sees of a run:
// exit codes, the last line, the run report and the metrics file.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	etl "github.com/adoptionlabs/etl"
	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/pipeline"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

// allSandboxes serves every source's fake and returns the environment that
// points the built-in config at them, with a private state directory.
func allSandboxes(t *testing.T) map[string]string {
	t.Helper()
	env, stop, err := startSandboxes(3, time.Now().UTC(), 0, 0.2, nil)
	require.NoError(t, err)
	t.Cleanup(stop)
	env["ETL_STATE_DIR"] = t.TempDir()
	return env
}

// writeConfig writes the built-in config with edit applied.
func writeConfig(t *testing.T, edit func(string) string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pipelines.yaml")
	require.NoError(t, os.WriteFile(path, []byte(edit(string(etl.DefaultConfig))), 0o644))
	return path
}

// readReport reads the run report as a scheduler does: JSON.
func readReport(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	return doc
}

// sourceStatuses is the report's sources, as source -> status.
func sourceStatuses(doc map[string]any) map[string]string {
	out := map[string]string{}
	list, _ := doc["sources"].([]any)
	for _, s := range list {
		m := s.(map[string]any)
		out[m["source"].(string)] = m["status"].(string)
	}
	return out
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// A configured source whose secret is unset is a failure the scheduler sees:
// exit 1, the source named in the report with why, and its series kept in
// the metrics with a status; the other sources still run. `enabled: false`
// says the source is meant not to run: exit 0.
func TestUnsetSecretFailsTheRunAndKeepsTheSourceInReportAndMetrics(t *testing.T) {
	env := allSandboxes(t)
	out, dir := t.TempDir(), t.TempDir()
	rep, prom := filepath.Join(dir, "run.json"), filepath.Join(dir, "etl.prom")
	args := []string{"run", "--stream", "users", "--out", out, "--report", rep, "--metrics-file", prom}

	code, _, stderr := runCLI(t, env, args...)
	require.Equal(t, exitOK, code, "every secret set: %s", stderr)

	delete(env, "USERFLOW_API_KEY")
	code, stdout, stderr := runCLI(t, env, args...)
	assert.Equal(t, exitFailed, code, "a source that cannot run is not a success")
	assert.Contains(t, stderr, "userflow: skipped: USERFLOW_API_KEY unset: set it, or leave the source out with --source or `enabled: false` under sources.userflow in pipelines.yaml")
	assert.Equal(t, "etl: userflow could not run (USERFLOW_API_KEY unset: set it, or leave the source out with --source or `enabled: false`)", lastLine(stderr))
	assert.Regexp(t, `(?m)^technowiz\s+users\s+.*\sok$`, stdout, "the other sources still ran")

	doc := readReport(t, rep)
	assert.Equal(t, "failed", doc["status"])
	assert.EqualValues(t, 1, doc["exit_code"])
	assert.Equal(t, map[string]string{"bot": "ok", "technowiz": "ok", "userflow": "skipped: USERFLOW_API_KEY unset"}, sourceStatuses(doc), "the sources with a users stream")
	assert.Equal(t, []any{"userflow"}, doc["totals"].(map[string]any)["skipped_sources"])

	m, err := os.ReadFile(prom)
	require.NoError(t, err)
	metrics := string(m)
	assert.Contains(t, metrics, `etl_source_status{source="userflow",status="skipped",reason="USERFLOW_API_KEY unset"} 0`+"\n")
	assert.Contains(t, metrics, `etl_source_status{source="technowiz",status="ok",reason=""} 1`+"\n")
	assert.Contains(t, metrics, `etl_stream_status{source="userflow",stream="users"} 0`+"\n", "the source's series stay, with status 0")
	assert.Contains(t, metrics, `etl_stream_last_success_timestamp_seconds{source="userflow",stream="users"} `, "and its last success, for a staleness alert")
	assert.Contains(t, metrics, "etl_run_status 0\n")

	// Left out on purpose: no failure.
	cfg := writeConfig(t, func(s string) string {
		return strings.Replace(s, "\n  userflow:\n    enabled: true\n", "\n  userflow:\n    enabled: false\n", 1)
	})
	code, _, stderr = runCLI(t, env, append([]string{"--config", cfg}, args...)...)
	assert.Equal(t, exitOK, code, stderr)
	doc = readReport(t, rep)
	assert.Equal(t, "ok", doc["status"])
	assert.Equal(t, "disabled", sourceStatuses(doc)["userflow"])
	m, err = os.ReadFile(prom)
	require.NoError(t, err)
	assert.Contains(t, string(m), `etl_source_status{source="userflow",status="disabled",reason=""} 1`+"\n")
	assert.Contains(t, string(m), "etl_run_status 1\n")

	code, _, stderr = runCLI(t, env, append(args, "--source", "technowiz")...)
	assert.Equal(t, exitOK, code, "a source --source leaves out is not expected to run: %s", stderr)
}

// With nothing else to run the report and the metrics still say which
// source could not (cron reads a fresh report, not last night's).
func TestEveryConfiguredSourceWithoutItsSecretIsExitOneWithAReport(t *testing.T) {
	dir := t.TempDir()
	rep, prom := filepath.Join(dir, "run.json"), filepath.Join(dir, "etl.prom")
	code, _, stderr := runCLI(t, map[string]string{"ETL_STATE_DIR": t.TempDir()}, "backfill", "--from", "2026-03-01", "--to", "2026-03-01", "--source", "userflow",
		"--out", t.TempDir(), "--report", rep, "--metrics-file", prom)
	assert.Equal(t, exitFailed, code, stderr)
	assert.Contains(t, lastLine(stderr), "userflow could not run (USERFLOW_API_KEY unset")
	doc := readReport(t, rep)
	assert.Equal(t, "failed", doc["status"])
	assert.NotEmpty(t, doc["run_id"])
	assert.Equal(t, map[string]string{"userflow": "skipped: USERFLOW_API_KEY unset"}, sourceStatuses(doc))
	m, err := os.ReadFile(prom)
	require.NoError(t, err)
	assert.Contains(t, string(m), `etl_stream_status{source="userflow",stream="content_sessions"} 0`)
}

// The demo stays lenient: a source it cannot run is a line, not a failure;
// the same config fails a backfill.
func TestDemoStaysLenientWhereABackfillFails(t *testing.T) {
	cfg := writeConfig(t, func(s string) string {
		return strings.Replace(s, "api_key: ${USERFLOW_API_KEY:-}", "api_key: ${ETL_TEST_KEY_NOBODY_SET}", 1)
	})
	code, stdout, stderr := runCLI(t, nil, "--config", cfg, "demo", "--days", "1", "--stream", "users", "--out", t.TempDir())
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "userflow: skipped: ETL_TEST_KEY_NOBODY_SET unset")
	assert.Contains(t, stdout, "technowiz_users")

	env := allSandboxes(t)
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	code, _, stderr = runCLI(t, env, "--config", cfg, "backfill", "--from", yesterday, "--to", yesterday, "--stream", "users", "--out", t.TempDir())
	assert.Equal(t, exitFailed, code, stderr)
	assert.Contains(t, lastLine(stderr), "userflow could not run (ETL_TEST_KEY_NOBODY_SET unset")
}

// An unclosed ${USERFLOW_API_KEY would be sent as the key itself, and the
// 401 would then blame a variable that is set: it is exit 2 naming the
// line, before any request.
func TestUnclosedReferenceIsExitTwoBeforeAnyRequest(t *testing.T) {
	env, requests := countedUserflowSandbox(t)
	cfg := filepath.Join(t.TempDir(), "pipelines.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("version: 1\nsources:\n  userflow:\n    base_url: ${USERFLOW_BASE_URL}\n    api_key: ${USERFLOW_API_KEY\n"), 0o644))
	for _, args := range [][]string{{"validate"}, {"backfill", "--from", "2026-03-01", "--to", "2026-03-01", "--out", t.TempDir()}, {"run", "--out", t.TempDir()}} {
		code, _, stderr := runCLI(t, env, append([]string{"--config", cfg}, args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
		assert.Equal(t, "etl: "+cfg+": line 5: api_key: ${USERFLOW_API_KEY has no closing }: write ${NAME} or ${NAME:-default} ($$ for a literal $)", strings.TrimSpace(stderr), args)
	}
	assert.Zero(t, requests.Load(), "nothing was sent")
}

// A refused key fails the same way on every rerun: the line says what to
// change first, short enough to read, and nothing suggests a rerun.
func TestRefusedKeySaysWhatToChangeNotRerun(t *testing.T) {
	env := userflowSandbox(t)
	env["USERFLOW_API_KEY"] = "ak_live_wrong_key_0123456789"
	rep := filepath.Join(t.TempDir(), "run.json")
	code, stdout, stderr := runCLI(t, env, "backfill", "--source", "userflow", "--stream", "users", "--stream", "content_sessions",
		"--from", "2026-03-01", "--to", "2026-03-01", "--out", t.TempDir(), "--report", rep)
	require.Equal(t, exitFailed, code, stderr)
	failed := regexp.MustCompile(`(?m)^FAILED .*$`).FindAllString(stdout, -1)
	require.Len(t, failed, 2, stdout)
	for _, line := range failed {
		assert.Regexp(t, `^FAILED userflow\.\w+ 2026-03-01: check USERFLOW_API_KEY \(the API refused the key\): page 1: GET /`, line)
		assert.LessOrEqual(t, len(line), 240, line)
	}
	last := lastLine(stderr)
	assert.Equal(t, "etl: 2 of 2 stream windows failed on something to change: each FAILED line above starts with what to change; a rerun alone will not fix it", last)
	assert.NotContains(t, stdout+stderr, "rerun the same command")
	streams := readReport(t, rep)["streams"].([]any)
	require.Len(t, streams, 2)
	for _, s := range streams {
		assert.Equal(t, "check USERFLOW_API_KEY (the API refused the key)", s.(map[string]any)["fix"], "the report's fix of %v", s.(map[string]any)["stream"])
	}
}

// A server that only fails with 5xx is transient: the last line says so and
// that a rerun retries the windows.
func TestServerErrorsSayRerun(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.Error(w, "upstream down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	cfg := filepath.Join(t.TempDir(), "pipelines.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("version: 1\nsources:\n  userflow:\n    base_url: ${USERFLOW_BASE_URL}\n    api_key: ${USERFLOW_API_KEY}\n    max_retries: 1\n"), 0o644))
	env := map[string]string{"USERFLOW_BASE_URL": srv.URL, "USERFLOW_API_KEY": "ak_live_right_key_0123456789", "ETL_STATE_DIR": t.TempDir()}
	code, stdout, stderr := runCLI(t, env, "--config", cfg, "backfill", "--stream", "users", "--from", "2026-03-01", "--to", "2026-03-01", "--out", t.TempDir())
	require.Equal(t, exitFailed, code, stderr)
	assert.Positive(t, hits.Load())
	assert.Contains(t, stdout, "FAILED userflow.users 2026-03-01: page 1: GET /users?limit=100: 503 Service Unavailable after 2 attempts: upstream down")
	assert.Equal(t, "etl: 1 of 1 stream windows failed on transient errors (timeouts, 5xx, rate limits): rerun the same command to retry them", lastLine(stderr))
}

// The report's run_id is the id the log gives the run.
func TestReportRunIDIsTheLogs(t *testing.T) {
	env := userflowSandbox(t)
	rep := filepath.Join(t.TempDir(), "run.json")
	code, _, stderr := runCLI(t, env, "run", "--source", "userflow", "--stream", "users", "--out", t.TempDir(), "--report", rep)
	require.Equal(t, exitOK, code, stderr)
	m := regexp.MustCompile(`msg="run started" run_id=(\S+)`).FindStringSubmatch(stderr)
	require.NotNil(t, m, stderr)
	runID := readReport(t, rep)["run_id"]
	assert.Regexp(t, `^\d{8}T\d{6}Z-[0-9a-f]{4}$`, runID)
	assert.Equal(t, m[1], runID)
}

// The dry-run table keeps its columns aligned whatever a stream's name
// (Whatfix report names run to 60 characters).
func TestDryRunColumnsAlignWithLongStreamNames(t *testing.T) {
	env := allSandboxes(t)
	code, stdout, stderr := runCLI(t, env, "backfill", "--source", "whatfix", "--from", "2026-03-01", "--to", "2026-03-07", "--dry-run", "--out", t.TempDir())
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	header := lines[0]
	require.True(t, strings.HasPrefix(header, "STREAM "), stdout)
	col := strings.Index(header, "WINDOWS")
	rows, long := 0, 0
	for _, l := range lines[1 : len(lines)-1] {
		id := strings.Fields(l)[0]
		if len(id) > 42 {
			long++
		}
		require.Greater(t, len(l), col, l)
		assert.Regexp(t, `^\d`, l[col:], "the WINDOWS column of %q", l)
		assert.Equal(t, byte(' '), l[col-1], l)
		rows++
	}
	assert.Greater(t, rows, 10)
	assert.Positive(t, long, "names longer than the old 42-character column are in the plan")
}

// `etl streams` is a summary, one line per stream; the columns come on
// request.
func TestStreamsIsShortUnlessColumnsAreAskedFor(t *testing.T) {
	code, stdout, stderr := runCLI(t, nil, "streams")
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	assert.Less(t, len(lines), 80, "one line per stream")
	assert.Regexp(t, `(?m)^userflow\.content_sessions\s+windowed by last_activity_at\s+userflow_content_sessions, userflow_session_answers$`, stdout)
	assert.NotContains(t, stdout, "content_id")
	assert.Contains(t, lastLine(stdout), "--columns")

	code, stdout, _ = runCLI(t, nil, "streams", "--columns")
	require.Equal(t, exitOK, code)
	assert.Greater(t, strings.Count(stdout, "\n"), 500)
	assert.Regexp(t, `(?m)^\s+content_id\s+String\s`, stdout)
}

// What the README shows for the sandbox works as written: eval returns once
// the fakes listen, a backfill runs against them, and kill stops them.
func TestReadmeSandboxBlockWorks(t *testing.T) {
	bin := buildBinary(t)
	b, err := os.ReadFile(filepath.Join(testsupport.RepoRoot(t), "README.md"))
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)```sh\n(eval \"\\$\\(\\./bin/etl sandbox --background\\)\".*?)```").FindSubmatch(b)
	require.NotNil(t, m, "the README's sandbox block")
	block := string(m[1])
	out := t.TempDir()
	script := strings.ReplaceAll(strings.ReplaceAll(block, "./bin/etl", bin), "/tmp/sandbox-data", out)
	// set -e: every line of the block must succeed; the URL it exported
	// is printed to check it stops answering afterwards.
	script = "set -e\n" + script + "echo \"USERFLOW_BASE_URL=$USERFLOW_BASE_URL\"\n"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "ETL_STATE_DIR=" + t.TempDir()}
	combined, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", combined)
	files, _ := filepath.Glob(filepath.Join(out, "*", "*", "*.parquet"))
	assert.NotEmpty(t, files, "the backfill loaded the sandbox's data:\n%s", combined)
	url := regexp.MustCompile(`(?m)^USERFLOW_BASE_URL=(http://\S+)$`).FindSubmatch(combined)
	require.NotNil(t, url, "%s", combined)
	assert.Eventually(t, func() bool {
		resp, err := http.Get(string(url[1]) + "/users")
		if err == nil {
			resp.Body.Close()
		}
		return err != nil
	}, 10*time.Second, 100*time.Millisecond, "kill $ETL_SANDBOX_PID stopped the fakes")
}

// After `make demo`, in the repository, the query "What next" prints runs as
// printed and counts what the table list says.
func TestDemoNextQueryRunsFromTheRepository(t *testing.T) {
	bin := buildBinary(t)
	root := testsupport.RepoRoot(t)
	testsupport.DuckDB(t, "SELECT 1") // skips as the DuckDB tests do when make duckdb has not run
	out := t.TempDir()
	cmd := exec.Command(bin, "demo", "--days", "1", "--source", "userflow", "--out", out)
	cmd.Dir = root
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ETL_STATE_DIR=" + t.TempDir()}
	stdout, err := cmd.Output()
	require.NoError(t, err)
	var query string
	sc := bufio.NewScanner(strings.NewReader(string(stdout)))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "node tools/duckdb/query.mjs ") {
			query = l
		}
	}
	require.NotEmpty(t, query, "%s", stdout)
	assert.Contains(t, string(stdout), "    make duckdb\n", "how to install what the query needs")
	table := regexp.MustCompile(`read_parquet\('[^']*/(\w+)/\*\*/\*\.parquet'`).FindStringSubmatch(query)
	require.NotNil(t, table, query)
	want := regexp.MustCompile(`(?m)^` + table[1] + `\s+(\d+)$`).FindStringSubmatch(string(stdout))
	require.NotNil(t, want, "%s in the table list", table[1])
	run := exec.Command("sh", "-c", query)
	run.Dir = root
	got, err := run.CombinedOutput()
	require.NoError(t, err, "%s", got)
	assert.JSONEq(t, fmt.Sprintf(`[{"count_star()": %s}]`, want[1]), string(got))
}

// ROWS is per stream, and a stream may load several tables (sessions and
// their answers): the summary says what it adds up.
func TestSummarySaysWhatRowsAddsUp(t *testing.T) {
	day := func(d int) window.Window {
		start := time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC)
		return window.New(start, start.AddDate(0, 0, 1))
	}
	res := func(stream string, d int, tables ...engine.TableResult) pipeline.Outcome {
		r := engine.Result{Source: "userflow", Stream: stream, Window: day(d), Status: engine.StatusOK, Tables: tables}
		for _, tr := range tables {
			r.Rows += tr.Rows
		}
		return pipeline.Outcome{Result: r}
	}
	out := []pipeline.Outcome{
		res("content_sessions", 1, engine.TableResult{Table: "userflow_content_sessions", Rows: 2000}, engine.TableResult{Table: "userflow_session_answers", Rows: 1500}),
		res("content_sessions", 2, engine.TableResult{Table: "userflow_content_sessions", Rows: 1947}, engine.TableResult{Table: "userflow_session_answers", Rows: 1562}),
		res("users", 1, engine.TableResult{Table: "userflow_users", Rows: 150}),
	}
	var b strings.Builder
	printSummary(&b, out)
	assert.Regexp(t, `(?m)^userflow\s+content_sessions\s+2026-03-01\s+3500\s`, b.String())
	assert.Contains(t, b.String(), "\nROWS of userflow.content_sessions = userflow_content_sessions 3947 + userflow_session_answers 3062\n")
	assert.NotContains(t, b.String(), "ROWS of userflow.users", "a one-table stream's ROWS is its table's")
}
