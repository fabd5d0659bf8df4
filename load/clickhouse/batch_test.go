package clickhouse

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// batchConn records the context PrepareBatch is given; the rest of
// driver.Conn is not used by prepareBatch.
type batchConn struct {
	driver.Conn
	ctx   context.Context
	batch *abortBatch
}

func (c *batchConn) PrepareBatch(ctx context.Context, _ string, _ ...driver.PrepareBatchOption) (driver.Batch, error) {
	c.ctx, c.batch = ctx, &abortBatch{}
	return c.batch, nil
}

type abortBatch struct {
	driver.Batch
	aborted atomic.Bool
}

func (b *abortBatch) Abort() error { b.aborted.Store(true); return nil }

// The driver's Send watches its batch's context from a goroutine that, when
// the context ends just as Send returns, can close the connection after it
// went back to the pool, failing the next query on it ("use of closed
// network connection", seen in a demo run). So the driver is given a
// context that never ends, whatever happens to the caller's, and ending an
// INSERT on time or on cancellation is prepareBatch's own watchdog's job.
func TestPrepareBatchKeepsCancellationFromTheDriver(t *testing.T) {
	t.Run("done after send", func(t *testing.T) {
		conn := &batchConn{}
		_, ours, done, err := prepareBatch(context.Background(), conn, "INSERT INTO t (n)", time.Minute)
		require.NoError(t, err)
		done()
		assert.Error(t, ours.Err(), "the caller's deadline context ends with done")
		assert.NoError(t, conn.ctx.Err(), "the driver's context must never end")
		assert.False(t, conn.batch.aborted.Load(), "a batch ended by done is not aborted")
	})
	t.Run("deadline passes", func(t *testing.T) {
		conn := &batchConn{}
		_, _, done, err := prepareBatch(context.Background(), conn, "INSERT INTO t (n)", 10*time.Millisecond)
		require.NoError(t, err)
		defer done()
		assert.Eventually(t, conn.batch.aborted.Load, time.Second, time.Millisecond, "the watchdog aborts an INSERT past its deadline")
		assert.NoError(t, conn.ctx.Err())
	})
	t.Run("caller cancels", func(t *testing.T) {
		conn := &batchConn{}
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), settingsKey{}, "kept"))
		_, _, done, err := prepareBatch(ctx, conn, "INSERT INTO t (n)", time.Minute)
		require.NoError(t, err)
		defer done()
		cancel()
		assert.Eventually(t, conn.batch.aborted.Load, time.Second, time.Millisecond, "a cancelled run aborts its INSERT")
		assert.NoError(t, conn.ctx.Err())
		assert.Equal(t, "kept", conn.ctx.Value(settingsKey{}), "query settings travel as context values and must reach the driver")
	})
}

type settingsKey struct{}
