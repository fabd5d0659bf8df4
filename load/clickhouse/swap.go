package clickhouse

import (
	"context"
	"fmt"
)

// partitionSwap is one partition of the target that Swap replaces with the
// one of from (staging or rebuilt), or drops when from has no row there,
// or, attach set, adds from's rows to.
type partitionSwap struct {
	partition string
	from      string
	empty     bool
	attach    bool
}

// addMonthSwaps adds a swap of each month (a toYYYYMM partition id) of
// staging, counting the rows of all of them in one query: a month staging
// has no row of becomes a DROP.
func (w *writer) addMonthSwaps(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	s := w.sink
	qctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(qctx, monthCounts(w.table, s.qualified(w.staging)))
	if err != nil {
		return fmt.Errorf("count %s by month: %w", w.staging, err)
	}
	defer rows.Close()
	counts := map[string]uint64{}
	for rows.Next() {
		var (
			m string
			n uint64
		)
		if err := rows.Scan(&m, &n); err != nil {
			return fmt.Errorf("count %s by month: %w", w.staging, err)
		}
		counts[m] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count %s by month: %w", w.staging, err)
	}
	for _, id := range ids {
		w.swaps = append(w.swaps, partitionSwap{partition: id, from: w.staging, empty: counts[id] == 0})
	}
	return nil
}

// swapPartition makes the target's partition equal the staging one. REPLACE
// PARTITION from a partition staging does not have is not reliable across
// versions, so an empty one becomes a DROP.
func (s *Sink) swapPartition(ctx context.Context, target string, sw partitionSwap) error {
	if sw.empty {
		if err := s.exec(ctx, dropPartition(s.qualified(target), sw.partition)); err != nil {
			return fmt.Errorf("empty partition %s of %s: %w", sw.partition, target, err)
		}
		return nil
	}
	if sw.attach {
		if err := s.exec(ctx, attachPartition(s.qualified(target), sw.partition, s.qualified(sw.from))); err != nil {
			return fmt.Errorf("add the rows of partition %s to %s: %w", sw.partition, target, err)
		}
		return nil
	}
	if err := s.exec(ctx, replacePartition(s.qualified(target), sw.partition, s.qualified(sw.from))); err != nil {
		return fmt.Errorf("swap partition %s into %s: %w", sw.partition, target, err)
	}
	return nil
}
