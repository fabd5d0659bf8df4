package clickhouse

import (
	"context"
	"errors"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
)

// unknownTable is ClickHouse's UNKNOWN_TABLE.
const unknownTable = 60

// catalogAttempts bounds how often a read of system.tables, .columns or
// .parts is retried after a concurrent DROP TABLE broke it.
const catalogAttempts = 4

// retryCatalog runs read, a query of system tables, again when it failed
// with UNKNOWN_TABLE. ClickHouse 18.16 lists a database's tables first and
// opens each one after: a table dropped in between (another stream's
// staging table, dropped as its load commits) fails the whole query with
// "Table ... doesn't exist", though the query filtered on another table.
// A system table itself never goes away, so that code here means the race.
func retryCatalog(ctx context.Context, read func() error) error {
	_, err := catalogRead(ctx, func() (struct{}, error) { return struct{}{}, read() })
	return err
}

// catalogRead is retryCatalog for a read that returns what it read.
func catalogRead[T any](ctx context.Context, read func() (T, error)) (T, error) {
	var out T
	var err error
	for i := range catalogAttempts {
		if out, err = read(); err == nil || !isUnknownTable(err) {
			return out, err
		}
		select {
		case <-ctx.Done():
			return out, err
		case <-time.After(time.Duration(i+1) * 20 * time.Millisecond):
		}
	}
	return out, err
}

func isUnknownTable(err error) bool {
	var exc *proto.Exception
	return errors.As(err, &exc) && exc.Code == unknownTable
}
