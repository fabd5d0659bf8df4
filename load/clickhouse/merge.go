package clickhouse

import (
	"context"
	"fmt"
)

// prepareMerge dedupes at load time. The new rows sit in staging; each
// partition they touch must read afterwards:
//   - the live rows whose key the load does not touch, as they are;
//   - for each touched key, its newest row by version among the live row and
//     the new ones: a backfill of an older window never replaces a newer
//     row, and on a tie the new load wins.
//
// When the staged rows of a partition hold one row per key, two cases need
// no rebuild: the target does not have the partition yet (every partition
// of a first backfill), and staging replaces it with REPLACE PARTITION; or
// the target's partition holds none of the staged keys (the later chunks of
// a backfill: a key lives in the one chunk its version falls in), and
// ATTACH PARTITION adds the staged rows. Any other partition is rebuilt in
// a second staging table (rebuilt), sorting only the touched keys, so a
// nightly load costs a copy of the partitions it touches, not of the table,
// and REPLACE PARTITION swaps it in.
func (w *writer) prepareMerge(ctx context.Context) error {
	s, t := w.sink, w.table
	staged, err := w.stagedPartitions(ctx)
	if err != nil {
		return err
	}
	parts, asIs := staged.parts, staged.asIs
	live, err := s.partitions(ctx, w.target)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, p := range live {
		have[p] = true
	}
	// A live partition none of whose keys the load brings (each key of a
	// backfill lives in the one chunk its version falls in) gains the
	// staged rows and loses none: they are attached, not rebuilt.
	var candidates []string
	for _, p := range parts {
		if have[p] && asIs[p] {
			candidates = append(candidates, p)
		}
	}
	touched := map[string]bool{}
	if len(candidates) > 0 {
		if touched, err = w.liveKeysTouched(ctx, candidates); err != nil {
			return err
		}
	}
	for _, p := range parts {
		switch {
		case !have[p] && asIs[p]:
			w.swaps = append(w.swaps, partitionSwap{partition: p, from: w.staging})
			continue
		case have[p] && asIs[p] && !touched[p]:
			w.swaps = append(w.swaps, partitionSwap{partition: p, from: w.staging, attach: true})
			continue
		}
		if w.rebuilt == "" {
			w.rebuilt = stagingName(t.Name)
			if err := s.exec(ctx, stagingDDL(s.qualified(w.rebuilt), s.qualified(w.target), w.rebuildEngine)); err != nil {
				return fmt.Errorf("create the table %s's partitions are rebuilt in: %w", t.Name, err)
			}
		}
		q := mergeRebuild(t, s.qualified(w.target), s.qualified(w.staging), s.qualified(w.rebuilt), p, have[p])
		if err := s.exec(ctx, q); err != nil {
			return fmt.Errorf("rebuild partition %s (untouched rows, newest row of each touched key): %w", p, err)
		}
		// Never empty: every touched key keeps a row, and a partition
		// staging lists holds at least one.
		w.swaps = append(w.swaps, partitionSwap{partition: p, from: w.rebuilt})
	}
	return nil
}

// liveKeysTouched returns the partitions among parts (live in the target)
// where the target holds a key the staged rows of the same partition carry.
func (w *writer) liveKeysTouched(ctx context.Context, parts []string) (map[string]bool, error) {
	t := w.table
	return w.sink.partitionFlags(ctx, liveKeysTouchedQuery(t, w.sink.qualified(w.target), w.sink.qualified(w.staging), parts),
		"find the live keys of "+t.Name+" this load brings again")
}

// oneRowPerKey returns the partitions of staging whose rows have one row
// per key, as system.parts names them, in one pass over staging. A key with
// a NULL part hashes to NULL, which uniqExact does not count, so its
// partition is rebuilt. The keys are counted by their 64-bit hash, faster
// than counting the strings in the serial end of a load, and two keys that
// collide only make a partition look duplicated, which a rebuild then
// handles exactly.
func (w *writer) oneRowPerKey(ctx context.Context) (map[string]bool, error) {
	return w.sink.partitionFlags(ctx, oneRowPerKeyQuery(w.table, w.sink.qualified(w.staging)), "count the keys staged for "+w.table.Name)
}
