package testsupport

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestClickHouseSelectOne(t *testing.T) {
	dsn := ClickHouseDSN(t)

	// Through the Go driver (native protocol).
	conn := OpenClickHouse(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), QueryTimeout)
	defer cancel()
	var one uint8
	if err := conn.QueryRow(ctx, "SELECT toUInt8(1)").Scan(&one); err != nil {
		t.Fatalf("driver SELECT 1: %v", err)
	}
	if one != 1 {
		t.Fatalf("driver SELECT 1 = %d", one)
	}

	// Through clickhouse-client.
	rows := ClickHouseQuery(t, dsn, "SELECT 1 AS one, currentDatabase() AS db")
	want := []map[string]any{{"one": int64(1), "db": "etl_test"}}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("clickhouse-client rows = %#v, want %#v", rows, want)
	}
}

func TestFreshDatabaseWriteThenReadWithClient(t *testing.T) {
	base := ClickHouseDSN(t)
	var dsn, name string
	t.Run("inner", func(t *testing.T) {
		dsn = FreshDatabase(t)
		conn := OpenClickHouse(t, dsn)
		ctx, cancel := context.WithTimeout(context.Background(), QueryTimeout)
		defer cancel()
		if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "t_testfreshdatabase") || !strings.HasSuffix(dsn, "/"+name) {
			t.Fatalf("database %q for DSN %q", name, dsn)
		}
		if err := conn.Exec(ctx, `CREATE TABLE t (
			id UInt64, big UInt64, name Nullable(String), tags Array(String),
			at DateTime('UTC'), day Date, score Float64
		) ENGINE = MergeTree ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		batch, err := conn.PrepareBatch(ctx, "INSERT INTO t (id, big, name, tags, at, day, score)")
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
		alice := "alice"
		if err := batch.Append(uint64(1), uint64(18446744073709551615), &alice, []string{"a", "b"}, at, at, 1.5); err != nil {
			t.Fatal(err)
		}
		if err := batch.Append(uint64(2), uint64(7), nil, []string{}, at, at, 2.0); err != nil {
			t.Fatal(err)
		}
		if err := batch.Send(); err != nil {
			t.Fatal(err)
		}

		rows := ClickHouseQuery(t, dsn, "SELECT * FROM t ORDER BY id")
		want := []map[string]any{
			{"id": int64(1), "big": uint64(18446744073709551615), "name": "alice", "tags": []any{"a", "b"},
				"at": "2026-11-02 03:04:05", "day": "2026-11-02", "score": 1.5},
			{"id": int64(2), "big": int64(7), "name": nil, "tags": []any{},
				"at": "2026-11-02 03:04:05", "day": "2026-11-02", "score": int64(2)},
		}
		if !reflect.DeepEqual(rows, want) {
			t.Fatalf("rows:\n got %#v\nwant %#v", rows, want)
		}
	})
	if name == "" {
		t.Fatal("inner test did not run")
	}
	// The inner test's cleanup has dropped its database (18.16 has no EXISTS DATABASE).
	rows := ClickHouseQuery(t, base, fmt.Sprintf("SELECT count() AS n FROM system.databases WHERE name = '%s'", name))
	if len(rows) != 1 || rows[0]["n"] != int64(0) {
		t.Fatalf("database %s still exists after the test: %v", name, rows)
	}
}

func TestDuckDBSelectOne(t *testing.T) {
	rows := DuckDB(t, "SELECT 1 AS one, 'x' AS s, NULL AS n")
	want := []map[string]any{{"one": int64(1), "s": "x", "n": nil}}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows = %#v, want %#v", rows, want)
	}
}

func TestDuckDBParquetValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.parquet")
	rows := DuckDB(t, fmt.Sprintf(`
		COPY (SELECT
			9007199254740993::BIGINT AS big, 42::BIGINT AS small, 1.25::DOUBLE AS f,
			12.3400::DECIMAL(18,4) AS dec,
			TIMESTAMP '2026-01-02 03:04:05.120' AS ts,
			TIMESTAMPTZ '2026-01-02 03:04:05+02' AS tstz,
			DATE '2026-11-01' AS day, ['a', 'b'] AS tags, [1, NULL] AS nums,
			NULL::VARCHAR AS missing
		) TO '%s' (FORMAT parquet);
		SELECT * FROM read_parquet('%s')`, path, path))
	want := []map[string]any{{
		"big": "9007199254740993", "small": int64(42), "f": 1.25, "dec": 12.34,
		"ts": "2026-01-02T03:04:05.12Z", "tstz": "2026-01-02T01:04:05Z",
		"day": "2026-11-01", "tags": []any{"a", "b"}, "nums": []any{int64(1), nil},
		"missing": nil,
	}}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows:\n got %#v\nwant %#v", rows, want)
	}
}

func TestClientArgs(t *testing.T) {
	got, err := clientArgs("clickhouse://u:p%40ss@127.0.0.1:19000/db1?dial_timeout=1s")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"--host", "127.0.0.1", "--port", "19000", "--database", "db1", "--user", "u", "--password", "p@ss"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("clientArgs = %q, want %q", got, want)
	}
	if _, err := clientArgs("http://127.0.0.1:8123/db"); err == nil {
		t.Fatal("http DSN accepted")
	}
}

func TestDatabaseName(t *testing.T) {
	a, b := databaseName("TestX/sub case-1"), databaseName("TestX/sub case-1")
	if a == b {
		t.Fatalf("two calls gave the same name %q", a)
	}
	if !strings.HasPrefix(a, "t_testx_sub_case_1_") || len(a) != len("t_testx_sub_case_1_")+8 {
		t.Fatalf("databaseName = %q", a)
	}
	if long := databaseName(strings.Repeat("A", 100)); len(long) > 2+40+1+8 {
		t.Fatalf("databaseName too long: %q", long)
	}
}
