package clickhouse

import (
	"context"
	"fmt"
)

func (w *writer) addSwap(ctx context.Context, partition, filter string) error {
	n, err := w.sink.count(ctx, w.staging, filter)
	if err != nil {
		return err
	}
	w.swaps = append(w.swaps, partitionSwap{partition: partition, from: w.staging, empty: n == 0})
	return nil
}

// prepareWindow rebuilds every month the window touches in staging: the
// window's new rows plus the live rows of that month outside the window.
func (w *writer) prepareWindow(ctx context.Context) error {
	s := w.sink
	var ids []string
	for _, m := range w.window.Months() {
		id := m.Format("200601")
		if err := s.exec(ctx, keepOutsideWindow(w.table, s.qualified(w.target), s.qualified(w.staging), w.window, id)); err != nil {
			return fmt.Errorf("keep rows of %s outside the window in month %s: %w", w.table.Name, id, err)
		}
		ids = append(ids, id)
	}
	return w.addMonthSwaps(ctx, ids)
}
