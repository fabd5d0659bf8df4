package clickhouse

import (
	"context"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// prepareBatch starts an INSERT whose deadline and cancellation are handled
// here, not by the driver. clickhouse-go's Send watches the batch's context
// from a goroutine that can still close the connection after Send has
// returned it to the pool, when the caller cancels that context right away
// (as a deferred cancel does): another query then fails with "use of closed
// network connection" (the likely cause of a window a loaded demo run
// lost). So the driver gets a context that never ends, and the INSERT is
// aborted, which closes its connection mid-write, when ctx is cancelled or
// timeout passes. The returned context is that deadline's (a caller checks
// it after Send: an abort can make Send send the rest on its own); done
// must be called once the batch is sent or abandoned.
func prepareBatch(ctx context.Context, conn driver.Conn, query string, timeout time.Duration) (driver.Batch, context.Context, func(), error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	batch, err := conn.PrepareBatch(context.WithoutCancel(ctx), query)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = batch.Abort() })
	return batch, ctx, func() { stop(); cancel() }, nil
}
