package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRetryCatalogRetriesOnlyAnUnknownTable(t *testing.T) {
	race := &proto.Exception{Code: unknownTable, Message: "Table db._stg_x doesn't exist."}
	other := &proto.Exception{Code: 62, Message: "Syntax error"}
	for _, tc := range []struct {
		name  string
		errs  []error
		calls int
		want  error
	}{
		{"succeeds at once", []error{nil}, 1, nil},
		{"a concurrent drop, then success", []error{race, fmt.Errorf("wrapped: %w", race), nil}, 3, nil},
		{"another error is returned as is", []error{other}, 1, other},
		{"gives up after its attempts", []error{race, race, race, race, race}, catalogAttempts, race},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := retryCatalog(context.Background(), func() error {
				err := tc.errs[calls]
				calls++
				return err
			})
			assert.Equal(t, tc.calls, calls)
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.True(t, errors.Is(err, tc.want), "%v", err)
			}
		})
	}
}

// On 18.16, reading system.tables for one table fails while another table
// of the database is being dropped: the sink's catalog reads (at every
// Begin) must ride that out while other loads drop their staging tables.
func TestCatalogReadsSurviveConcurrentDrops(t *testing.T) {
	s, _ := openSink(t)
	ctx := context.Background()
	require.NoError(t, s.exec(ctx, fmt.Sprintf("CREATE TABLE %s (x UInt8) ENGINE = MergeTree ORDER BY x", s.qualified("kept"))))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := s.qualified(fmt.Sprintf("_stg_churn_%d_%d", w, i))
				_ = s.exec(ctx, "CREATE TABLE "+name+" (x UInt8) ENGINE = MergeTree ORDER BY x")
				_ = s.exec(ctx, "DROP TABLE IF EXISTS "+name)
			}
		}()
	}
	var failures []error
	for range 300 {
		if _, err := s.engine(ctx, "kept"); err != nil {
			failures = append(failures, err)
		}
		if _, err := s.columns(ctx, "kept"); err != nil {
			failures = append(failures, err)
		}
	}
	close(stop)
	wg.Wait()
	assert.Empty(t, failures)
}
