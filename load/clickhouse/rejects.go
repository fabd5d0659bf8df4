package clickhouse

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// prepareRejects rebuilds the months of etl_rejects this load changes. A
// stream's rejects are replaced over the days the window covers (row_day):
// a reject of a row that now loads goes with the load of its day, and one
// whose day the load does not cover stays, whatever window saw it. A reject
// whose day is its window's (the row had none) also goes when this load
// saw it again, wherever it sits, so that it is one row whatever windows
// saw it. The rebuilt months (those of the window that saw each reject)
// keep the other streams' rows and this stream's rows that do not go.
func (w *writer) prepareRejects(ctx context.Context) error {
	s := w.sink
	target, staging := s.qualified(w.target), s.qualified(w.staging)
	goes := rejectsGoing(w.table, w.stream, staging, w.window, w.whole)
	// A month where nothing is staged and no live row of this stream goes
	// would be rebuilt as it is: only the others are. One query finds both.
	ids, err := s.strings(ctx, rejectsMonths(w.table, target, staging, goes))
	if err != nil {
		return fmt.Errorf("find the months of new rejects and of earlier ones that go: %w", err)
	}
	months := map[string]bool{}
	for _, id := range ids {
		months[id] = true
	}
	sorted := slices.Sorted(maps.Keys(months))
	if len(sorted) == 0 {
		return nil
	}
	// One statement for every month: its IN set is read from staging
	// before the rows it keeps are written there, so it holds exactly the
	// rejects this load staged.
	if err := s.exec(ctx, keepRejects(w.table, target, staging, sorted, goes)); err != nil {
		return fmt.Errorf("keep the rejects months %s do not replace: %w", strings.Join(sorted, ", "), err)
	}
	return w.addMonthSwaps(ctx, sorted)
}
