package testsupport

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// BIUser is the dashboard user scripts/with-clickhouse.sh gives the private server: its profile
// has readonly=2, as docs/bi.md tells an administrator to set up.
func BIUser(t testing.TB) (user, password string) {
	t.Helper()
	user, password = os.Getenv("CLICKHOUSE_BI_USER"), os.Getenv("CLICKHOUSE_BI_PASSWORD")
	if user == "" {
		unavailable(t, "CLICKHOUSE_BI_USER not set: run tests with make test (scripts/with-clickhouse.sh)")
	}
	return user, password
}

// JSCommand is a statement ClickHouseJS sends with client.command (DDL, INSERT): no rows.
type JSCommand string

// JSResult is what one statement gave through @clickhouse/client: its rows, or the server's
// refusal.
type JSResult struct {
	Rows []map[string]any
	Err  string
}

// ClickHouseJS runs the statements, in order, through ClickHouse's official JS client
// (@clickhouse/client, node tools/chclient/query.mjs) over the private server's HTTP port
// (CLICKHOUSE_HTTP_PORT), as user in database db, sending settings with each one as BI drivers
// send theirs. A statement is a string (a query, rows in JSONEachRow) or a JSCommand. Rows are
// normalized as in ClickHouseQuery; a refused statement gives its error, not a failed test. A
// client that cannot reach the server fails the test.
func ClickHouseJS(t testing.TB, user, password, db string, settings map[string]any, statements ...any) []JSResult {
	t.Helper()
	port := os.Getenv("CLICKHOUSE_HTTP_PORT")
	if port == "" {
		unavailable(t, "CLICKHOUSE_HTTP_PORT not set: run tests with make test")
	}
	stmts := make([]any, len(statements))
	for i, s := range statements {
		switch v := s.(type) {
		case string:
			stmts[i] = v
		case JSCommand:
			stmts[i] = map[string]string{"command": string(v)}
		default:
			t.Fatalf("testsupport: ClickHouseJS statement %d is a %T, want string or JSCommand", i+1, s)
		}
	}
	in, err := json.Marshal(map[string]any{
		"url": "http://127.0.0.1:" + port, "username": user, "password": password, "database": db,
		"settings": settings, "statements": stmts,
	})
	if err != nil {
		t.Fatalf("testsupport: encode request: %v", err)
	}
	stdout, stderr, err := nodeTool(t, "chclient", "@clickhouse/client", "@clickhouse/client", in)
	if err != nil {
		t.Fatalf("testsupport: @clickhouse/client as %s: %v: %s", user, err, stderr)
	}
	var raw []struct {
		Rows  json.RawMessage `json:"rows"`
		Error string          `json:"error"`
	}
	if err := json.Unmarshal(stdout, &raw); err != nil {
		t.Fatalf("testsupport: @clickhouse/client output: %v\noutput: %s", err, stdout)
	}
	out := make([]JSResult, len(raw))
	for i, r := range raw {
		if r.Error != "" {
			out[i].Err = strings.TrimSpace(r.Error)
			continue
		}
		rows, err := decodeRows(bytes.NewReader(r.Rows), true)
		if err != nil {
			t.Fatalf("testsupport: @clickhouse/client rows of statement %d: %v", i+1, err)
		}
		out[i].Rows = rows
	}
	return out
}

// ClickHouseNative runs sql over the native protocol with clickhouse-go, the driver of Grafana's
// ClickHouse data source, as user (password) in the database of dsn, with settings sent along as
// that plugin sends max_execution_time. Rows come back as ClickHouseQuery gives them: Date as
// "YYYY-MM-DD", DateTime as "YYYY-MM-DD hh:mm:ss" (UTC), integers as int64 (uint64 above
// math.MaxInt64), NULL as nil.
func ClickHouseNative(t testing.TB, dsn, user, password string, settings clickhouse.Settings, sql string) ([]map[string]any, error) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("testsupport: parse ClickHouse DSN %q: %v", dsn, err)
	}
	u.User = url.UserPassword(user, password)
	conn := OpenClickHouse(t, u.String())
	ctx, cancel := context.WithTimeout(clickhouse.Context(context.Background(), clickhouse.WithSettings(settings)), QueryTimeout)
	defer cancel()
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := rows.ColumnTypes()
	out := []map[string]any{}
	for rows.Next() {
		dest := make([]any, len(cols))
		for i, c := range cols {
			dest[i] = reflect.New(c.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			row[c.Name()] = nativeValue(reflect.ValueOf(dest[i]).Elem(), c.DatabaseTypeName())
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// nativeValue turns a scanned value into what ClickHouseQuery returns for it.
func nativeValue(v reflect.Value, dbType string) any {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case time.Time:
		if strings.TrimSuffix(strings.TrimPrefix(dbType, "Nullable("), ")") == "Date" {
			return x.UTC().Format(time.DateOnly)
		}
		return x.UTC().Format(time.DateTime)
	case string:
		return x
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n := v.Uint(); n > 1<<63-1 {
			return n
		} else {
			return int64(n)
		}
	case reflect.Float32, reflect.Float64:
		return v.Float()
	}
	return fmt.Sprint(v.Interface())
}
