// Package testsupport gives tests the external services that `make test` provides: a
// private ClickHouse server (CLICKHOUSE_DSN, see scripts/with-clickhouse.sh) and DuckDB
// (tools/duckdb/query.mjs) as an independent reader of the files and tables the etl writes.
//
// Only _test.go files import it. When a service is missing, a test is skipped on a
// developer's machine and fails under CI (CI set), so CI can never pass by skipping.
//
// Numbers in the rows returned by ClickHouseQuery and DuckDB are normalized the same way:
// an integer becomes int64 (uint64 above math.MaxInt64), any other number float64.
package testsupport

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// QueryTimeout bounds every statement and helper process started by this package.
const QueryTimeout = 2 * time.Minute

const (
	missingClickHouse = "CLICKHOUSE_DSN not set: run tests with make test"
)

// unavailable fails the test under CI and skips it elsewhere.
func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// ClickHouseDSN returns $CLICKHOUSE_DSN (clickhouse://127.0.0.1:PORT/etl_test under make test).
func ClickHouseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("CLICKHOUSE_DSN")
	if dsn == "" {
		unavailable(t, missingClickHouse)
	}
	return dsn
}

// OpenClickHouse opens a native-protocol connection for dsn, closed when the test ends.
func OpenClickHouse(t testing.TB, dsn string) driver.Conn {
	t.Helper()
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("testsupport: parse ClickHouse DSN %q: %v", dsn, err)
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 10 * time.Second
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatalf("testsupport: open ClickHouse %q: %v", dsn, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// FreshDatabase creates a new, uniquely named database on the server of ClickHouseDSN and
// returns a DSN that selects it. The database is dropped when the test ends.
func FreshDatabase(t testing.TB) string {
	t.Helper()
	base := ClickHouseDSN(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testsupport: parse CLICKHOUSE_DSN %q: %v", base, err)
	}
	name := databaseName(t.Name())

	conn := OpenClickHouse(t, base)
	ctx, cancel := context.WithTimeout(context.Background(), QueryTimeout)
	defer cancel()
	if err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testsupport: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// t.Context() is already done here: use a context of our own.
		ctx, cancel := context.WithTimeout(context.Background(), QueryTimeout)
		defer cancel()
		// A query of a process the test killed may still be running on the
		// server and create a table mid-drop (code 219): drop again.
		var err error
		for try := 0; try < 20; try++ {
			if err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err == nil || !strings.Contains(err.Error(), "code: 219") {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		if err != nil {
			t.Errorf("testsupport: drop database %s: %v", name, err)
		}
	})

	u.Path = "/" + name
	q := u.Query()
	if q.Has("database") {
		q.Set("database", name)
		u.RawQuery = q.Encode()
	}
	return u.String()
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// databaseName is "t_" + the test's name made an identifier (at most 40 characters) + a
// random suffix, so that parallel tests and reruns never share a database.
func databaseName(testName string) string {
	s := nonIdent.ReplaceAllString(strings.ToLower(testName), "_")
	s = strings.Trim(s, "_")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "_")
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "t_" + s + "_" + hex.EncodeToString(b[:])
}

// ClickHouseQuery runs sql through clickhouse-client (not the Go driver) against the server
// and database of dsn, and returns the rows (JSONEachRow, 64-bit integers unquoted) as maps.
// It lets a test check tables with a reader that did not write them. Dates and DateTimes
// come back as ClickHouse prints them ("2026-01-02", "2026-01-02 03:04:05"; the server of
// make test runs in UTC).
func ClickHouseQuery(t testing.TB, dsn, sql string) []map[string]any {
	t.Helper()
	client, err := exec.LookPath("clickhouse-client")
	if err != nil {
		unavailable(t, "clickhouse-client not found in PATH: run tests with make test")
	}
	args, err := clientArgs(dsn)
	if err != nil {
		t.Fatalf("testsupport: %v", err)
	}
	args = append(args, "--format", "JSONEachRow", "--output_format_json_quote_64bit_integers=0", "--query", sql)

	ctx, cancel := context.WithTimeout(context.Background(), QueryTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, client, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("testsupport: clickhouse-client: %v\nSQL: %s\nstderr: %s", err, sql, strings.TrimSpace(stderr.String()))
	}
	rows, err := decodeRows(&stdout, false)
	if err != nil {
		t.Fatalf("testsupport: clickhouse-client output: %v\nSQL: %s\noutput: %s", err, sql, stdout.String())
	}
	return rows
}

// clientArgs turns a clickhouse:// DSN into clickhouse-client's connection flags.
func clientArgs(dsn string) ([]string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse ClickHouse DSN %q: %w", dsn, err)
	}
	if u.Scheme != "clickhouse" && u.Scheme != "tcp" {
		return nil, fmt.Errorf("ClickHouse DSN %q: clickhouse-client needs a clickhouse:// (native protocol) DSN", dsn)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "9000"
	}
	if _, err := strconv.Atoi(port); err != nil {
		return nil, fmt.Errorf("ClickHouse DSN %q: bad port %q", dsn, port)
	}
	args := []string{"--host", host, "--port", port}
	db := strings.TrimPrefix(u.Path, "/")
	if v := u.Query().Get("database"); v != "" {
		db = v
	}
	if db != "" {
		args = append(args, "--database", db)
	}
	if u.User != nil {
		if name := u.User.Username(); name != "" {
			args = append(args, "--user", name)
		}
		if pw, ok := u.User.Password(); ok {
			args = append(args, "--password", pw)
		}
	}
	return args, nil
}

// RepoRoot returns the module root: the first directory holding go.mod, walking up from
// the working directory (a package's directory under go test).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testsupport: getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testsupport: no go.mod above the working directory")
		}
		dir = parent
	}
}

// DuckDB runs sql in an in-memory DuckDB (node tools/duckdb/query.mjs) and returns the rows
// of its last statement. See query.mjs for the value mapping: timestamps are ISO-8601 UTC
// strings ending in Z (trimmed like time.RFC3339Nano), dates "YYYY-MM-DD", lists []any.
// Relative file paths in sql resolve against the test's working directory.
func DuckDB(t testing.TB, sql string) []map[string]any {
	t.Helper()
	// The SQL goes on stdin: no limit on its length.
	stdout, stderr, err := nodeTool(t, "duckdb", "@duckdb/node-api", "DuckDB", []byte(sql), "-")
	if err != nil {
		t.Fatalf("testsupport: DuckDB query failed: %v\nSQL: %s\nstderr: %s", err, sql, stderr)
	}
	rows, err := decodeRows(bytes.NewReader(stdout), true)
	if err != nil {
		t.Fatalf("testsupport: DuckDB output: %v\nSQL: %s\noutput: %s", err, sql, stdout)
	}
	return rows
}

// decodeRows reads either one JSON array of objects (array=true) or JSON objects one
// after another (JSONEachRow), normalizing numbers.
func decodeRows(r io.Reader, array bool) ([]map[string]any, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	rows := []map[string]any{}
	if array {
		if err := dec.Decode(&rows); err != nil {
			return nil, err
		}
	} else {
		for {
			var row map[string]any
			err := dec.Decode(&row)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			rows = append(rows, row)
		}
	}
	for _, row := range rows {
		for k, v := range row {
			row[k] = normalize(v)
		}
	}
	return rows, nil
}

// normalize turns json.Number into int64, uint64 or float64, recursively.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := x.String()
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return s
		}
		if math.IsInf(f, 0) {
			return s
		}
		return f
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = normalize(x[k])
		}
		return x
	default:
		return v
	}
}
