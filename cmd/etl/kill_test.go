package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/sandbox"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

// buildBinary compiles the real etl once per test binary.
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "etl")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// slowSandbox serves Userflow at a pace that makes chunks take long enough
// to be killed in the middle.
func slowSandbox(t *testing.T) map[string]string {
	p, _ := extract.Lookup("userflow")
	sb := p.Sandbox(extract.SandboxOptions{Seed: 11, Now: time.Now().UTC(), Scale: 0.5})
	srv, err := sandbox.Start(sb.Handler)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	env := sb.Env(srv.URL)
	env["USERFLOW_RATE_LIMIT"] = "40/s"
	return env
}

func environ(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, override := env[k]; !override && !strings.HasPrefix(k, "USERFLOW_") {
			out = append(out, kv)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// tableDigest describes a table's content without the run bookkeeping.
type tableDigest func(t *testing.T, table string) string

func parquetDigest(out string) tableDigest {
	return func(t *testing.T, table string) string {
		rows := testsupport.DuckDB(t, fmt.Sprintf(
			"SELECT count(*) AS n, coalesce(sum(hash(id) %% 1000003), 0) AS h, count(DISTINCT id) AS k FROM read_parquet('%s/%s/*/*.parquet', hive_partitioning = true)", out, table))
		return fmt.Sprint(rows[0]["n"], "/", rows[0]["h"], "/", rows[0]["k"])
	}
}

func clickhouseDigest(dsn string) tableDigest {
	db := dsn[strings.LastIndex(dsn, "/")+1:]
	return func(t *testing.T, table string) string {
		rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf(
			"SELECT count() AS n, sum(cityHash64(id) %% 1000003) AS h, uniqExact(id) AS k FROM `%s`.`%s`", db, table))
		return fmt.Sprint(rows[0]["n"], "/", rows[0]["h"], "/", rows[0]["k"])
	}
}

// TestKilledBackfillResumesToIdenticalTables kills the real binary with
// SIGKILL several times, mid-chunk and between chunks, and once with SIGINT,
// resumes with the same command each time, and compares the final tables
// with an uninterrupted run, in both sinks.
func TestKilledBackfillResumesToIdenticalTables(t *testing.T) {
	bin := buildBinary(t)
	env := slowSandbox(t)
	from := window.Floor(time.Now()).AddDate(0, 0, -14).Format(time.DateOnly)
	to := window.Floor(time.Now()).AddDate(0, 0, -1).Format(time.DateOnly)

	for _, sinkName := range []string{pqSink, chSink} {
		t.Run(sinkName, func(t *testing.T) {
			target := func() (args []string, env2 map[string]string, digest tableDigest) {
				e := map[string]string{}
				for k, v := range env {
					e[k] = v
				}
				if sinkName == chSink {
					dsn := testsupport.FreshDatabase(t)
					e["CLICKHOUSE_DSN"] = dsn
					return []string{"--sink", chSink}, e, clickhouseDigest(dsn)
				}
				out := t.TempDir()
				return []string{"--out", out}, e, parquetDigest(out)
			}
			backfill := []string{"backfill", "--stream", "content_sessions", "--from", from, "--to", to, "--chunk", "1d", "--parallel", "2"}

			// The reference: one uninterrupted run.
			refSink, refEnv, refDigest := target()
			cmd := exec.Command(bin, append(backfill, refSink...)...)
			cmd.Env = environ(refEnv)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, string(out))

			sinkArgs, killEnv, digest := target()
			kills := []struct {
				after time.Duration
				sig   syscall.Signal
			}{{150 * time.Millisecond, syscall.SIGKILL}, {400 * time.Millisecond, syscall.SIGKILL}, {250 * time.Millisecond, syscall.SIGINT}, {700 * time.Millisecond, syscall.SIGKILL}}
			for i, k := range kills {
				cmd := exec.Command(bin, append(backfill, sinkArgs...)...)
				cmd.Env = environ(killEnv)
				var buf strings.Builder
				cmd.Stdout, cmd.Stderr = &buf, &buf
				require.NoError(t, cmd.Start())
				time.Sleep(k.after)
				_ = cmd.Process.Signal(k.sig)
				start := time.Now()
				err := cmd.Wait()
				if k.sig == syscall.SIGINT && err != nil {
					assert.Less(t, time.Since(start), 10*time.Second, "Ctrl-C exits promptly")
					if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == exitInterrupted {
						assert.Contains(t, buf.String(), "rerun the same command to resume", "kill %d", i)
					}
				}
			}
			cmd = exec.Command(bin, append(backfill, sinkArgs...)...)
			cmd.Env = environ(killEnv)
			out, err = cmd.CombinedOutput()
			require.NoError(t, err, string(out))

			for _, table := range []string{"userflow_content_sessions", "userflow_session_answers"} {
				assert.Equal(t, refDigest(t, table), digest(t, table), "%s after kills and resumes equals the uninterrupted run", table)
			}
			if sinkName == chSink {
				dsn := killEnv["CLICKHOUSE_DSN"]
				db := dsn[strings.LastIndex(dsn, "/")+1:]
				rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT count() AS n FROM system.tables WHERE database = '%s' AND startsWith(name, '_stg_')", db))
				assert.EqualValues(t, 0, rows[0]["n"], "no staging table of a killed run is left behind")
			}
			if sinkName == pqSink {
				store, err := state.OpenFile(parquetState(sinkArgs[1]))
				require.NoError(t, err)
				defer store.Close()
				e, ok, err := store.Get(context.Background(), "userflow", "content_sessions")
				require.NoError(t, err)
				require.True(t, ok)
				assert.Equal(t, window.Floor(time.Now()), e.Watermark.UTC(), "the watermark reached the end once every chunk committed")
			}
		})
	}
}

// TestRealBinaryWithFaultsEndsWithExactTables runs the built binary against
// every sandbox with 5% of requests failing (5xx, 429 with and without
// Retry-After, truncated bodies) and compares each table with a clean run.
func TestRealBinaryWithFaultsEndsWithExactTables(t *testing.T) {
	bin := buildBinary(t)
	clean, faulty := t.TempDir(), t.TempDir()
	run := func(out string, faults string) string {
		cmd := exec.Command(bin, "demo", "--days", "5", "--out", out, "--faults", faults)
		cmd.Env = environ(map[string]string{"ETL_STATE_DIR": t.TempDir()})
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, string(b))
		return string(b)
	}
	cleanOut := run(clean, "0")
	faultyOut := run(faulty, "0.05")
	want, got := parseTableCounts(t, cleanOut), parseTableCounts(t, faultyOut)
	require.Greater(t, len(want), 50, "every source's tables")
	assert.Equal(t, want, got)
	retries := regexp.MustCompile(`(?m)^TOTAL\s+\d+\s+\d+\s+\d+\s+(\d+)`).FindStringSubmatch(faultyOut)
	require.Len(t, retries, 2, faultyOut)
	n, _ := strconv.Atoi(retries[1])
	assert.Greater(t, n, 20, "faults were injected and retried")
	for _, table := range []string{"userflow_session_answers", "whatfix_report_most_popular_flows", "bot_transcript_messages", "technowiz_messages"} {
		assert.Equal(t, parquetDigestAny(t, clean, table), parquetDigestAny(t, faulty, table), table)
	}
}

// parquetDigestAny fingerprints every column of a table except the run
// bookkeeping.
func parquetDigestAny(t *testing.T, dir, table string) string {
	rows := testsupport.DuckDB(t, fmt.Sprintf(
		"SELECT count(*) AS n, coalesce(sum(hash(COLUMNS(* EXCLUDE (_run_id, _extracted_at)))), 0)::VARCHAR AS h FROM read_parquet('%s/%s/**/*.parquet', hive_partitioning = false)", dir, table))
	return fmt.Sprint(rows[0])
}
