package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	etl "github.com/adoptionlabs/etl"
	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/bot/botfake"
	"github.com/adoptionlabs/etl/extract/technowiz/technowizfake"
	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/pipeline"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

const termWidth = 120

// onTerminal runs the real binary with stdout and stderr on a pseudo-terminal
// 120 columns wide, as `make demo` runs in a person's terminal, and returns
// the rows the terminal shows at the end (scrollback included) and what the
// program wrote.
func onTerminal(t *testing.T, bin string, args ...string) ([]string, string) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	defer master.Close()
	require.NoError(t, unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0), "unlockpt")
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	require.NoError(t, err, "ptsname")
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	require.NoError(t, unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: termWidth}))

	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = slave, slave
	require.NoError(t, cmd.Start())
	slave.Close() // the child holds its own copy; reads end (EIO) when it exits
	var screen bytes.Buffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&screen, master)
		close(copied)
	}()
	err = cmd.Wait()
	<-copied
	require.NoError(t, err, "etl %s:\n%s", strings.Join(args, " "), screen.String())
	return testsupport.TerminalRows(screen.Bytes(), termWidth), screen.String()
}

var (
	summaryRow = regexp.MustCompile(`^\w+\s+\w+\s+(\d+)\s+\d+\s+\d+\s+\d+\s+\d+\s+\S+\s+ok$`)
	tableRow   = regexp.MustCompile(`^\w+\s+\d+$`)
	liveRow    = regexp.MustCompile(`^\w+\s+chunks \d+/\d+`)
)

// TestDemoOnATerminalShowsProgressAndProblemsNotBookkeeping is the line
// count: `make demo` on a terminal printed about 1,000 log lines
// (2,000 rows once wrapped at 120 columns), a "committed" line per table and
// window. Now the screen holds one summary row per stream, one row per table
// and a few lines around them; the log detail goes to --log-file.
func TestDemoOnATerminalShowsProgressAndProblemsNotBookkeeping(t *testing.T) {
	bin := buildBinary(t)
	out := t.TempDir()
	rows, raw := onTerminal(t, bin, "demo", "--out", out)

	var streams, windows, tables int
	for _, r := range rows {
		if m := summaryRow.FindStringSubmatch(r); m != nil {
			streams++
			var n int
			_, _ = fmt.Sscan(m[1], &n)
			windows += n
		}
		if tableRow.MatchString(r) {
			tables++
		}
		assert.NotContains(t, r, "level=INFO", "info lines stay off a terminal")
		assert.NotRegexp(t, liveRow, r, "the live view is cleared before the summary")
	}
	require.Greater(t, streams, 10, "%s", strings.Join(rows, "\n"))
	assert.Greater(t, windows, streams, "chunks of a stream are summed into its row")
	assert.Greater(t, tables, 10)
	others := len(rows) - streams - tables
	assert.LessOrEqual(t, others, 35, "besides a row per stream and per table, only headers, notes and what next:\n%s", strings.Join(rows, "\n"))
	t.Logf("rows on the terminal: %d (%d streams, %d windows, %d tables)", len(rows), streams, windows, tables)

	screen := strings.Join(rows, "") // rows, not lines: a long line wraps
	assert.Contains(t, screen, "What next")
	// The suggested query runs as printed and counts what the table list says.
	m := regexp.MustCompile(`duckdb -c "(SELECT count\(\*\) FROM read_parquet\('[^']*/(\w+)/\*\*/\*\.parquet'[^"]*)"`).FindStringSubmatch(raw)
	require.NotNil(t, m, "a DuckDB query in:\n%s", screen)
	assert.Contains(t, m[1], fmt.Sprintf("read_parquet('%s/", out), "the query names the real files")
	want := regexp.MustCompile(`(?m)^` + m[2] + `\s+(\d+)\r?$`).FindStringSubmatch(raw)
	require.NotNil(t, want, "%s in the table list", m[2])
	got := testsupport.DuckDB(t, strings.Replace(m[1], "count(*)", "count(*) AS n", 1))
	assert.Equal(t, want[1], fmt.Sprint(got[0]["n"]))
	assert.Contains(t, screen, "USERFLOW_API_KEY")
	assert.Contains(t, screen, " validate")
	assert.Contains(t, screen, "CLICKHOUSE_DSN=")
}

// TestDemoWithoutATerminalLogsPlainLinesButNoEmptyCommits: cron and CI keep
// the info lines, minus a "committed ... rows=0 files=0" line per window for
// the rejects table that nothing was rejected into.
func TestDemoWithoutATerminalLogsPlainLinesButNoEmptyCommits(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "demo", "--days", "7", "--out", t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	logs := stderr.String()
	assert.Contains(t, logs, `level=INFO msg="parquet: committed"`)
	assert.Contains(t, logs, `level=INFO msg="stream done"`)
	assert.NotContains(t, logs, "rows=0 files=0", "no line for a commit that wrote nothing")
	assert.NotContains(t, stdout.String()+logs, "\x1b", "no control characters in a log")
	windows := strings.Count(logs, `msg="stream done"`)
	assert.Equal(t, windows, strings.Count(stdout.String(), " ok\n"), "the summary keeps a line per window")
	t.Logf("lines without a terminal: %d on stdout, %d on stderr", strings.Count(stdout.String(), "\n"), strings.Count(logs, "\n"))
}

// TestLogFileKeepsTheDetailATerminalHides: on a terminal, --log-file gets the
// info lines (and warnings), created 0600, appended to by the next run,
// with every credential redacted.
func TestLogFileKeepsTheDetailATerminalHides(t *testing.T) {
	bin := buildBinary(t)
	logFile := filepath.Join(t.TempDir(), "etl.log")
	out := t.TempDir()
	_, _ = onTerminal(t, bin, "--log-file", logFile, "demo", "--days", "2", "--out", out)
	first, err := os.ReadFile(logFile)
	require.NoError(t, err)
	st, err := os.Stat(logFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	assert.Contains(t, string(first), `level=INFO msg="parquet: committed"`)
	assert.Contains(t, string(first), `level=INFO msg="stream done"`)

	rows, _ := onTerminal(t, bin, "--log-file", logFile, "demo", "--days", "2", "--out", out, "--faults", "0.05")
	second, err := os.ReadFile(logFile)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(second, first), "the second run appends")
	assert.Contains(t, string(second[len(first):]), `level=WARN msg="http: retrying"`)
	for _, secret := range []string{userflowfake.DemoAPIKey, botfake.DemoAppSecret, technowizfake.DemoAuthKey} {
		assert.NotContains(t, string(second), secret)
	}
	// Warnings reach the terminal whole, above the live view.
	warned := 0
	for _, r := range rows {
		if strings.Contains(r, "level=WARN") {
			warned++
			assert.Regexp(t, `^level=WARN msg=`, r, "a warning starts its own row, without a timestamp on a live terminal")
		}
		assert.NotContains(t, r, "level=INFO")
	}
	assert.Greater(t, warned, 0, "5%% faults cause retries, and a terminal shows them")
}

// TestLogLevelInfoShowsTheDetailOnATerminal: a person who wants the
// bookkeeping on screen asks for it.
func TestLogLevelInfoShowsTheDetailOnATerminal(t *testing.T) {
	bin := buildBinary(t)
	rows, _ := onTerminal(t, bin, "--log-level", "info", "demo", "--days", "1", "--source", "userflow", "--out", t.TempDir())
	screen := strings.Join(rows, "\n")
	assert.Contains(t, screen, `level=INFO msg="parquet: committed"`)
	assert.Contains(t, screen, `level=INFO msg="stream done"`)
}

func TestUnwritableLogFileIsAUsageError(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "--log-file", filepath.Join(t.TempDir(), "missing", "etl.log"), "validate")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--log-file")
}

func TestDemoNextStepsFollowTheSink(t *testing.T) {
	w := window.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC))
	counts := map[string]int64{"etl_rejects": 0, "userflow_users": 150, "userflow_content_sessions": 3820}
	cases := []struct {
		sink      string
		want, not []string
	}{
		{pqSink,
			[]string{
				`duckdb -c "SELECT count(*) FROM read_parquet('/srv/etl/data/userflow_content_sessions/**/*.parquet', hive_partitioning = true)"`,
				"    userflow   USERFLOW_API_KEY\n",
				"    ./bin/etl validate\n    ./bin/etl check\n    ./bin/etl backfill --from 2026-03-01 --to 2026-03-02\n",
				"export CLICKHOUSE_DSN=",
				"    ./bin/etl migrate\n    ./bin/etl backfill --from 2026-03-01 --to 2026-03-02 --sink clickhouse\n",
			}, nil},
		{chSink,
			[]string{
				"SELECT count() FROM userflow_content_sessions",
				"    ./bin/etl backfill --from 2026-03-01 --to 2026-03-02 --sink clickhouse\n",
			},
			[]string{"duckdb", "instead of Parquet"}},
	}
	// In the repository, where `make demo` runs, the query is the DuckDB
	// that `make duckdb` installs (TestDemoNextQueryRunsFromTheRepository
	// runs it); elsewhere, DuckDB's own command-line tool.
	inRepo := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(inRepo, "tools", "duckdb"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(inRepo, "tools", "duckdb", "query.mjs"), nil, 0o644))
	cases = append(cases, struct {
		sink      string
		want, not []string
	}{"parquet in the repository",
		[]string{
			"    make duckdb\n    node tools/duckdb/query.mjs \"SELECT count(*) FROM read_parquet('/srv/etl/data/userflow_content_sessions/**/*.parquet', hive_partitioning = true)\"\n",
		},
		[]string{"duckdb -c"}})
	for _, tc := range cases {
		t.Run(tc.sink, func(t *testing.T) {
			if strings.HasSuffix(tc.sink, "in the repository") {
				t.Chdir(inRepo)
			} else {
				t.Chdir(t.TempDir())
			}
			cfg, err := config.Load("pipelines.yaml", etl.DefaultConfig, func(string) (string, bool) { return "", false })
			require.NoError(t, err)
			cfg.Sink.Type = strings.Fields(tc.sink)[0]
			cfg.Sink.Settings(pqSink).(load.OutSetter).SetOut("/srv/etl/data")
			var out bytes.Buffer
			(&app{cfg: cfg, stdout: &out}).printNextSteps("./bin/etl", w, counts)
			for _, s := range tc.want {
				assert.Contains(t, out.String(), s)
			}
			for _, s := range tc.not {
				assert.NotContains(t, out.String(), s)
			}
		})
	}
}

func TestTerminalSummaryIsOneRowPerStream(t *testing.T) {
	day := func(d int) window.Window {
		start := time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC)
		return window.New(start, start.AddDate(0, 0, 1))
	}
	res := func(stream string, d int, rows int64, status engine.Status, err error) pipeline.Outcome {
		return pipeline.Outcome{Result: engine.Result{Source: "whatfix", Stream: stream, Window: day(d), Rows: rows, Pages: 1,
			Duration: time.Second, Status: status, Err: err}}
	}
	out := []pipeline.Outcome{
		res("audit_logs", 1, 10, engine.StatusOK, nil),
		res("audit_logs", 2, 20, engine.StatusOK, nil),
		res("audit_logs", 3, 0, engine.StatusFailed, errors.New("whatfix audit_logs window 2026-03-03..2026-03-04: 401 Unauthorized")),
		res("content", 1, 5, engine.StatusOK, nil),
	}
	var b bytes.Buffer
	printStreamTotals(&b, out)
	printProblems(&b, out)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 5, b.String())
	assert.Regexp(t, `^SOURCE\s+STREAM\s+CHUNKS\s+ROWS`, lines[0])
	assert.Regexp(t, `^whatfix\s+audit_logs\s+3\s+30\s+0\s+3\s+0\s+3s\s+1 failed$`, lines[1])
	assert.Regexp(t, `^whatfix\s+content\s+1\s+5\s+0\s+1\s+0\s+1s\s+ok$`, lines[2])
	assert.Regexp(t, `^TOTAL\s+4\s+35\s+0\s+4\s+0\s+1 failed$`, lines[3])
	assert.Equal(t, "FAILED whatfix.audit_logs 2026-03-03: whatfix audit_logs window 2026-03-03..2026-03-04: 401 Unauthorized", lines[4])
}
