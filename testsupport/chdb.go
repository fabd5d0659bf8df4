package testsupport

import (
	"bytes"
	"encoding/json"
	"testing"
)

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
	in, err := json.Marshal(statements)
	if err != nil {
		t.Fatalf("testsupport: encode statements: %v", err)
	}
	stdout, stderr, err := nodeTool(t, "chdb", "chdb", "chdb", in)
	if err != nil {
		return nil, &chdbError{msg: stderr, err: err}
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(stdout, &raw); err != nil {
		t.Fatalf("testsupport: chdb output: %v\noutput: %s", err, stdout)
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
