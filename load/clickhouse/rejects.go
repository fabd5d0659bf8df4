package clickhouse

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/adoptionlabs/etl/schemas"
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
	s, day, month := w.sink, quoteIdent(w.table.Day), monthOf(w.table)
	lo, hi := literal(w.table, w.window.Start), literal(w.table, w.window.End)
	source, name, _ := strings.Cut(w.stream, ".")
	mine := fmt.Sprintf("source = %s AND stream = %s", quoteString(source), quoteString(name))
	seenAgain := fmt.Sprintf("(%s = %s AND (source, stream, table_name, row_hash) IN (SELECT source, stream, table_name, row_hash FROM %s))",
		quoteIdent(schemas.RowDayFrom), quoteString(schemas.RowDayFromWindow), s.qualified(w.staging))
	inWindow := fmt.Sprintf("(%s >= %s AND %s < %s)", day, lo, day, hi)
	if w.whole {
		inWindow = "1"
	}
	goes := fmt.Sprintf("%s AND (%s OR %s)", mine, inWindow, seenAgain)
	// A month where nothing is staged and no live row of this stream goes
	// would be rebuilt as it is: only the others are. One query finds both.
	ids, err := s.strings(ctx, fmt.Sprintf("SELECT DISTINCT toString(%s) FROM %s WHERE %s UNION ALL SELECT DISTINCT toString(%s) FROM %s",
		month, s.qualified(w.target), goes, month, s.qualified(w.staging)))
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
	keep := fmt.Sprintf("INSERT INTO %s SELECT * FROM %s WHERE %s IN (%s) AND NOT (%s)",
		s.qualified(w.staging), s.qualified(w.target), month, strings.Join(sorted, ", "), goes)
	if err := s.exec(ctx, keep); err != nil {
		return fmt.Errorf("keep the rejects months %s do not replace: %w", strings.Join(sorted, ", "), err)
	}
	return w.addMonthSwaps(ctx, sorted)
}
