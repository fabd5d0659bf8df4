package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load/clickhouse"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/testsupport"
)

// A state table created before last_rows existed is upgraded in place, and
// its watermarks are kept.
func TestStateStoreUpgradesAnOlderStateTable(t *testing.T) {
	dsn := testsupport.FreshDatabase(t)
	db := dsn[strings.LastIndex(dsn, "/")+1:]
	testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf(`CREATE TABLE %s.etl_state (
    source String, stream String, watermark DateTime('UTC'), last_run DateTime('UTC'), last_success DateTime('UTC'),
    last_status String, last_error String, run_id String, deleted UInt8, updated_at_ms UInt64
) ENGINE = ReplacingMergeTree(updated_at_ms) ORDER BY (source, stream)`, db))
	testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf(`INSERT INTO %s.etl_state (source, stream, watermark, last_run, last_success, last_status, last_error, run_id, deleted, updated_at_ms)
VALUES ('userflow', 'users', '2026-11-20 00:00:00', '2026-11-20 03:00:00', '2026-11-20 03:00:00', 'ok', '', 'r1', 0, 1)`, db))

	st := openStateStore(t, dsn)
	ctx := context.Background()
	e, ok, err := st.Get(ctx, "userflow", "users")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), e.Watermark)
	require.NoError(t, st.Advance(ctx, state.Entry{Source: "userflow", Stream: "users", LastRows: 42}))
	e, _, err = openStateStore(t, dsn).Get(ctx, "userflow", "users")
	require.NoError(t, err)
	assert.EqualValues(t, 42, e.LastRows)
	assert.Equal(t, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), e.Watermark)
}

// A backfill plan's destination names the server and database, never the
// credentials; a DSN that does not parse is a DSNError (exit 2 in the CLI).
func TestDestinationOfADSN(t *testing.T) {
	a, err := clickhouse.Destination("clickhouse://etl:secret@db1.internal:9000/analytics")
	require.NoError(t, err)
	assert.Equal(t, "clickhouse://db1.internal:9000/analytics", a)
	b, err := clickhouse.Destination("clickhouse://reader:other@db1.internal:9000/analytics?dial_timeout=5s")
	require.NoError(t, err)
	assert.Equal(t, a, b, "same server and database, other credentials: same destination")
	for _, other := range []string{"clickhouse://etl:secret@db1.internal:9000/staging", "clickhouse://etl:secret@db2.internal:9000/analytics", "clickhouse://etl:secret@db1.internal:9440/analytics"} {
		d, err := clickhouse.Destination(other)
		require.NoError(t, err)
		assert.NotEqual(t, a, d, other)
	}
	for _, bad := range []string{"clickhouse://etl:secret@[::1:9000/db", "http://db1:8123/analytics", "clickhouse:///analytics"} {
		_, err := clickhouse.Destination(bad)
		var dsnErr *clickhouse.DSNError
		assert.True(t, errors.As(err, &dsnErr), "%s: %v", bad, err)
		if err != nil {
			assert.NotContains(t, err.Error(), "secret")
		}
	}
}
