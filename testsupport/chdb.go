package testsupport

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const missingChDB = "chdb not installed (tools/chdb/node_modules missing): run tests with make test"

// ChDB runs the statements, in order, in one fresh chdb session (ClickHouse embedded, a
// current 26.x release; node tools/chdb/query.mjs) and returns each statement's rows: empty
// for DDL. Values are ClickHouse's JSONEachRow with 64-bit integers unquoted, the session in
// UTC: Date "YYYY-MM-DD", DateTime "YYYY-MM-DD hh:mm:ss", numbers normalized as in DuckDB.
// The test fails at the first statement chdb rejects, naming it.
func ChDB(t testing.TB, statements ...string) [][]map[string]any {
	t.Helper()
	out, err := ChDBRun(t, statements...)
	if err != nil {
		t.Fatalf("testsupport: %v", err)
	}
	return out
}

// ChDBRun is ChDB returning chdb's error instead of failing the test, for tests that
// expect a statement to be rejected.
func ChDBRun(t testing.TB, statements ...string) ([][]map[string]any, error) {
	t.Helper()
	root := RepoRoot(t)
	script := filepath.Join(root, "tools", "chdb", "query.mjs")
	if _, err := os.Stat(filepath.Join(root, "tools", "chdb", "node_modules", "chdb")); err != nil {
		unavailable(t, missingChDB)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(t, "node not found in PATH: chdb checks need Node.js 20")
	}
	in, err := json.Marshal(statements)
	if err != nil {
		t.Fatalf("testsupport: encode statements: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), QueryTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, &chdbError{msg: strings.TrimSpace(stderr.String()), err: err}
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(stdout.Bytes(), &raw); err != nil {
		t.Fatalf("testsupport: chdb output: %v\noutput: %s", err, stdout.String())
	}
	out := make([][]map[string]any, len(raw))
	for i, r := range raw {
		rows, err := decodeRows(bytes.NewReader(r), true)
		if err != nil {
			t.Fatalf("testsupport: chdb output of statement %d: %v", i+1, err)
		}
		out[i] = rows
	}
	return out, nil
}

type chdbError struct {
	msg string
	err error
}

func (e *chdbError) Error() string { return "chdb: " + e.err.Error() + ": " + e.msg }
func (e *chdbError) Unwrap() error { return e.err }
