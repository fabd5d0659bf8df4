package clickhouse

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

// stageMerge writes rows into a merge load of sessions and prepares it;
// the caller looks at what Prepare chose, then swaps.
func stageMerge(t *testing.T, s *Sink, w window.Window, rows []map[string]any) *writer {
	t.Helper()
	wr := writeRows(t, s, sessions, w, rows, 2).(*writer)
	require.NoError(t, wr.Prepare(context.Background()))
	return wr
}

// swapSources lists "partition<-staging" (replaced by staging's),
// "partition<-staging+" (staging's rows added) or "partition<-rebuilt" for
// each partition Prepare will swap in.
func swapSources(w *writer) string {
	var out []string
	for _, sw := range w.swaps {
		from := "?" + sw.from
		switch {
		case sw.from == w.staging && sw.attach:
			from = "staging+"
		case sw.from == w.staging:
			from = "staging"
		case w.rebuilt != "" && sw.from == w.rebuilt:
			from = "rebuilt"
		}
		out = append(out, sw.partition+"<-"+from)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func sessionsByID(t *testing.T, dsn, db string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT id, progress, toString(last_activity_at) AS last FROM `%s`.t_sessions", db)) {
		id := fmt.Sprint(r["id"])
		_, dup := out[id]
		require.False(t, dup, "key %s twice in the table", id)
		out[id] = fmt.Sprintf("%v@%v", r["progress"], r["last"])
	}
	return out
}

// A first load into an empty table whose staged rows have one row per key
// swaps staging's partitions in as they are: no partition is rebuilt (no
// rebuild table is even created), and the table reads exactly the rows.
func TestMergeSwapsFreshUniquePartitionsStraightFromStaging(t *testing.T) {
	s, dsn := openSink(t)
	w := window.New(day("2026-11-01"), day("2026-11-03"))
	oct, nov := day("2026-10-05"), day("2026-11-05")
	wr := stageMerge(t, s, w, []map[string]any{
		session("a", nov, w.Start.Add(time.Hour), 0.1),
		session("b", nov, w.Start.Add(2*time.Hour), 0.2),
		session("c", nov, w.Start.Add(3*time.Hour), 0.3),
		session("old", oct, w.Start.Add(4*time.Hour), 0.4),
	})
	assert.Equal(t, "202610<-staging 202611<-staging", swapSources(wr))
	assert.Empty(t, wr.rebuilt, "no partition needed a rebuild")
	require.NoError(t, wr.Swap(context.Background()))
	assert.Equal(t, map[string]string{
		"a": "0.1@2026-11-01 01:00:00", "b": "0.2@2026-11-01 02:00:00", "c": "0.3@2026-11-01 03:00:00", "old": "0.4@2026-11-01 04:00:00",
	}, sessionsByID(t, dsn, s.Database()))
	assert.Equal(t, 0.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM system.tables WHERE database = '%s' AND startsWith(name, '_stg_')", s.Database())), "staging is dropped")
}

// A first load whose staged rows carry a key twice (a session seen on two
// pages as it moved on) rebuilds that partition: the newest row wins. The
// other fresh partition, one row per key, still goes straight in.
func TestMergeRebuildsAFreshPartitionWithAKeyTwice(t *testing.T) {
	s, dsn := openSink(t)
	w := window.New(day("2026-11-01"), day("2026-11-03"))
	oct, nov := day("2026-10-05"), day("2026-11-05")
	wr := stageMerge(t, s, w, []map[string]any{
		session("a", nov, w.Start.Add(2*time.Hour), 0.9),
		session("b", nov, w.Start.Add(time.Hour), 0.2),
		session("a", nov, w.Start.Add(time.Hour), 0.1),
		session("old", oct, w.Start.Add(4*time.Hour), 0.4),
	})
	assert.Equal(t, "202610<-staging 202611<-rebuilt", swapSources(wr))
	require.NoError(t, wr.Swap(context.Background()))
	assert.Equal(t, map[string]string{
		"a": "0.9@2026-11-01 02:00:00", "b": "0.2@2026-11-01 01:00:00", "old": "0.4@2026-11-01 04:00:00",
	}, sessionsByID(t, dsn, s.Database()))
}

// Once the table holds a partition, a load into it is rebuilt with the live
// rows even when its own rows have one row per key: an older version never
// replaces a newer live row, untouched live keys stay, and a fresh partition
// of the same load still goes straight in.
func TestMergeRebuildsPartitionsTheTableAlreadyHolds(t *testing.T) {
	s, dsn := openSink(t)
	sep, nov := day("2026-09-05"), day("2026-11-05")
	newer, older := window.New(day("2026-11-20"), day("2026-11-21")), window.New(day("2026-11-10"), day("2026-11-11"))
	first := stageMerge(t, s, newer, []map[string]any{
		session("a", nov, newer.Start.Add(time.Hour), 0.9),
		session("b", nov, newer.Start.Add(time.Hour), 0.2),
	})
	require.NoError(t, first.Swap(context.Background()))
	wr := stageMerge(t, s, older, []map[string]any{
		session("a", nov, older.Start.Add(time.Hour), 0.1), // older than the live a: a stays
		session("c", nov, older.Start.Add(time.Hour), 0.3),
		session("s", sep, older.Start.Add(time.Hour), 0.5),
	})
	assert.Equal(t, "202609<-staging 202611<-rebuilt", swapSources(wr))
	require.NoError(t, wr.Swap(context.Background()))
	assert.Equal(t, map[string]string{
		"a": "0.9@2026-11-20 01:00:00", "b": "0.2@2026-11-20 01:00:00", "c": "0.3@2026-11-10 01:00:00", "s": "0.5@2026-11-10 01:00:00",
	}, sessionsByID(t, dsn, s.Database()))
}

// The later chunks of a backfill bring keys the table does not hold yet
// into partitions it holds: their rows are added to the partition as they
// are (ATTACH PARTITION), no rebuild. A load that brings a live key again
// still rebuilds, and the newer row wins.
func TestMergeAttachesNewKeysToALivePartition(t *testing.T) {
	s, dsn := openSink(t)
	nov := day("2026-11-05")
	chunk1, chunk2, chunk3 := window.New(day("2026-11-06"), day("2026-11-07")), window.New(day("2026-11-07"), day("2026-11-08")), window.New(day("2026-11-08"), day("2026-11-09"))
	wr := stageMerge(t, s, chunk1, []map[string]any{session("a", nov, chunk1.Start, 0.1), session("b", nov, chunk1.Start, 0.2)})
	require.NoError(t, wr.Swap(context.Background()))
	wr = stageMerge(t, s, chunk2, []map[string]any{session("c", nov, chunk2.Start, 0.3), session("d", nov, chunk2.Start, 0.4)})
	assert.Equal(t, "202611<-staging+", swapSources(wr))
	assert.Empty(t, wr.rebuilt)
	require.NoError(t, wr.Swap(context.Background()))
	assert.Equal(t, map[string]string{
		"a": "0.1@2026-11-06 00:00:00", "b": "0.2@2026-11-06 00:00:00", "c": "0.3@2026-11-07 00:00:00", "d": "0.4@2026-11-07 00:00:00",
	}, sessionsByID(t, dsn, s.Database()))

	wr = stageMerge(t, s, chunk3, []map[string]any{session("d", nov, chunk3.Start, 0.9), session("e", nov, chunk3.Start, 0.5)})
	assert.Equal(t, "202611<-rebuilt", swapSources(wr), "d is live: the partition is rebuilt")
	require.NoError(t, wr.Swap(context.Background()))
	assert.Equal(t, map[string]string{
		"a": "0.1@2026-11-06 00:00:00", "b": "0.2@2026-11-06 00:00:00", "c": "0.3@2026-11-07 00:00:00", "d": "0.9@2026-11-08 00:00:00", "e": "0.5@2026-11-08 00:00:00",
	}, sessionsByID(t, dsn, s.Database()))
}

// A window that stages no reject, of a stream whose earlier rejects lie
// outside it, changes no month of etl_rejects (nothing to rebuild, drop or
// count); a reload of a window that no longer sees its rejects still
// removes them.
func TestRejectsMonthsWithNothingToChangeAreLeftAlone(t *testing.T) {
	s, dsn := openSink(t)
	ctx := context.Background()
	n := func(where string) float64 {
		return count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.etl_rejects WHERE %s", s.Database(), where))
	}
	loadRejects(t, s, window.New(day("2026-09-10"), day("2026-09-11")), "a", false, "r1")
	loadRejects(t, s, window.New(day("2026-11-10"), day("2026-11-11")), "b", false, "r2")

	wr, err := s.Begin(ctx, schemas.Rejects, window.New(day("2026-10-01"), day("2026-12-31")), "src.a", "run")
	require.NoError(t, err)
	require.NoError(t, wr.(*writer).Prepare(ctx))
	assert.Empty(t, wr.(*writer).swaps, "no month of the window holds a reject of stream a, old or new")
	require.NoError(t, wr.(*writer).Swap(ctx))
	assert.Equal(t, 2.0, n("1"))

	loadRejects(t, s, window.New(day("2026-09-01"), day("2026-09-30")), "a", false)
	assert.Equal(t, 0.0, n("stream = 'a'"), "r1 is no longer seen: it goes")
	assert.Equal(t, 1.0, n("stream = 'b'"))
}
