package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

// sessionRecords builds n records of per sessions each, created on day
// (one partition), ids prefix0, prefix1, ...
func sessionRecords(t *testing.T, mem memory.Allocator, prefix string, day time.Time, n, per int) []arrow.Record {
	t.Helper()
	var out []arrow.Record
	for k := 0; k < n; k++ {
		b := transform.NewBatcher(mem, sessions, transform.Meta{RunID: "run", ExtractedAt: time.Now()}, per, nil)
		for i := 0; i < per; i++ {
			require.NoError(t, b.Append(session(fmt.Sprintf("%s%d", prefix, k*per+i), day, day.Add(time.Duration(i)*time.Second), 0.5)))
		}
		out = append(out, b.Flush())
		b.Release()
	}
	return out
}

func releaseAll(recs []arrow.Record) {
	for _, r := range recs {
		r.Release()
	}
}

func activeParts(t *testing.T, s *Sink, table string) uint64 {
	t.Helper()
	var n uint64
	require.NoError(t, s.conn.QueryRow(context.Background(), "SELECT count() FROM system.parts WHERE database = ? AND table = ? AND active", s.db, table).Scan(&n))
	return n
}

// The records of a load go through one INSERT, one data block each: the
// server squashes them, so staging gets one part per partition, not one
// per record, and a first load swaps in that one part.
func TestStagingSendsTheRecordsOfALoadAsOneInsert(t *testing.T) {
	s, dsn := openSink(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	recs := sessionRecords(t, mem, "s", day("2026-11-01"), 4, 500)
	defer releaseAll(recs)
	wr, err := s.Begin(ctx, sessions, w, "test.stream", "run")
	require.NoError(t, err)
	for _, rec := range recs {
		require.NoError(t, wr.Write(ctx, rec))
	}
	require.NoError(t, wr.(*writer).flush())
	assert.Equal(t, uint64(1), activeParts(t, s, wr.(*writer).staging), "one part for four records of one partition")
	require.NoError(t, wr.Commit(ctx))
	assert.Equal(t, 2000.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_sessions", s.db)))
	assert.Equal(t, uint64(1), activeParts(t, s, sessions.Name))
}

// A source that pauses longer than the server waits for data on an open
// INSERT (receive_timeout, here 1 s) still loads: the INSERT was closed
// once idle, and the next record opens another.
func TestStagingClosesAnIdleInsertBeforeTheServerDropsIt(t *testing.T) {
	s, dsn := openSink(t)
	s.insertIdle = 200 * time.Millisecond
	ctx := ch.Context(context.Background(), ch.WithSettings(ch.Settings{"receive_timeout": 1}))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	recs := sessionRecords(t, mem, "s", day("2026-11-01"), 2, 100)
	defer releaseAll(recs)
	wr, err := s.Begin(ctx, sessions, w, "test.stream", "run")
	require.NoError(t, err)
	require.NoError(t, wr.Write(ctx, recs[0]))
	time.Sleep(4 * time.Second) // the server would have dropped an open INSERT by 2 s
	require.NoError(t, wr.Write(ctx, recs[1]))
	require.NoError(t, wr.Commit(ctx))
	assert.Equal(t, 200.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_sessions", s.db)))
}

// An INSERT the server dropped (it waited for data longer than its
// receive_timeout) fails the load: the rows it carried may be partly in
// staging, so nothing is swapped in, and the error names the table.
func TestStagingInsertDroppedByTheServerFailsTheLoad(t *testing.T) {
	// The server drops an INSERT that waits for data longer than its
	// receive_timeout (here 1 s, set for the connection: the staging
	// INSERT sets settings of its own, which replace a context's).
	s, dsn := openSinkWith(t, "?receive_timeout=1")
	s.insertIdle = time.Minute
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	recs := sessionRecords(t, mem, "s", day("2026-11-01"), 2, 100)
	defer releaseAll(recs)
	wr, err := s.Begin(ctx, sessions, w, "test.stream", "run")
	require.NoError(t, err)
	require.NoError(t, wr.Write(ctx, recs[0]))
	// The server checks the timeout once per receive_timeout: it has
	// dropped the INSERT by 2 s; 4 s leaves room on a busy machine.
	time.Sleep(4 * time.Second)
	err = wr.Write(ctx, recs[1])
	if err == nil {
		err = wr.Commit(ctx)
	} else {
		require.ErrorIs(t, wr.Commit(ctx), err, "a failed write fails the commit too")
	}
	require.Error(t, err)
	assert.Contains(t, err.Error(), "_stg_t_sessions_")
	require.NoError(t, wr.Abort(ctx))
	assert.Equal(t, 0.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_sessions", s.db)))
}

// The server writes staged rows as they come, a part every
// insertSquashRows, instead of holding a whole load until its INSERT
// closes (after extraction): the insert's work then overlaps the
// extraction's. A DSN that sets min_insert_block_size_rows keeps its own.
//
// How many parts exist at a given moment depends on how far the server has
// got with the blocks sent (under -race it had formed two where it
// otherwise had one), so the test waits until the open INSERT has received
// every row and then checks what that data makes: parts holding all but a
// tail shorter than insertSquashRows, which waits for the INSERT's end.
func TestStagingIsWrittenWhileTheInsertIsOpen(t *testing.T) {
	const total = 140000
	for _, tc := range []struct {
		name, dsnSuffix string
		writtenEarly    bool
	}{
		{"default", "", true},
		{"the DSN's setting", "?min_insert_block_size_rows=1000000", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, dsn := openSinkWith(t, tc.dsnSuffix)
			// The INSERT must stay open however slow this machine is: an
			// idle close would write the tail and prove nothing.
			s.insertIdle = time.Hour
			w := window.New(day("2026-11-01"), day("2026-11-02"))
			rows := make([]map[string]any, 0, total)
			for i := range cap(rows) {
				at := day("2026-11-01").Add(time.Duration(i) * 500 * time.Millisecond)
				rows = append(rows, session(fmt.Sprintf("s%06d", i), at, at, 0.5))
			}
			wr := writeRows(t, s, sessions, w, rows, 20000)
			staging := wr.(*writer).staging
			ctx := context.Background()
			var received, parts, inParts uint64
			// The server counts rows as received before its squashing writes
			// them into parts: wait for both.
			settled := func() bool {
				if err := s.conn.QueryRow(ctx, "SELECT sum(written_rows) FROM system.processes WHERE query LIKE ?", "INSERT INTO %"+staging+"%").Scan(&received); err != nil {
					return false
				}
				if err := s.conn.QueryRow(ctx, "SELECT count(), sum(rows) FROM system.parts WHERE database = ? AND table = ? AND active", s.db, staging).Scan(&parts, &inParts); err != nil {
					return false
				}
				return received == total && (!tc.writtenEarly || inParts > total-insertSquashRows)
			}
			require.Eventually(t, settled, time.Minute, 20*time.Millisecond,
				"the open INSERT into %s received %d of %d rows; %d parts hold %d", staging, received, total, parts, inParts)
			if tc.writtenEarly {
				assert.GreaterOrEqual(t, parts, uint64(1), "parts are written before the INSERT closes")
				assert.Less(t, inParts, uint64(total), "the tail, shorter than insertSquashRows, waits for the INSERT's end: it is still open")
			} else {
				assert.Zero(t, parts, "the DSN's larger squash size holds every row until the INSERT closes")
			}
			require.NoError(t, wr.Commit(ctx))
			assert.Equal(t, float64(total), count(t, dsn, "SELECT count() FROM "+s.qualified(sessions.Name)))
		})
	}
}

// A record larger than one data block goes out in slices of sendRows rows:
// every value lands in its own row, the rows at the slices' edges included,
// with its nulls and its list items.
func TestStagingSendsARecordInSlicesValueForValue(t *testing.T) {
	s, dsn := openSink(t)
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	n := 2*sendRows + 100
	rows := make([]map[string]any, n)
	for i := range rows {
		r := session(fmt.Sprintf("s%05d", i), day("2026-11-01"), w.Start.Add(time.Duration(i)*time.Second), float64(i%7))
		tags := make([]any, i%4)
		for k := range tags {
			tags[k] = fmt.Sprintf("t%d-%d", i, k)
		}
		r["tags"] = tags
		if i%3 == 0 {
			r["note"] = fmt.Sprintf("note %d", i)
			r["n"] = int64(i)
		}
		rows[i] = r
	}
	require.NoError(t, writeRows(t, s, sessions, w, rows, n).Commit(context.Background()))

	db := s.Database()
	assert.Equal(t, float64(n), count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_sessions", db)))
	for _, i := range []int{0, sendRows - 1, sendRows, 2*sendRows - 1, 2 * sendRows, n - 1} {
		got := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf(
			"SELECT toUInt64(progress) AS p, arrayStringConcat(tags, ',') AS tags, ifNull(note, '-') AS note, ifNull(n, -1) AS n, toUnixTimestamp(last_activity_at) AS last FROM `%s`.t_sessions WHERE id = 's%05d'", db, i))
		require.Len(t, got, 1, "row %d", i)
		var tags []string
		for k := 0; k < i%4; k++ {
			tags = append(tags, fmt.Sprintf("t%d-%d", i, k))
		}
		note, num := "-", float64(-1)
		if i%3 == 0 {
			note, num = fmt.Sprintf("note %d", i), float64(i)
		}
		assert.Equal(t, fmt.Sprint(i%7), fmt.Sprint(got[0]["p"]), "row %d progress", i)
		assert.Equal(t, strings.Join(tags, ","), got[0]["tags"], "row %d tags", i)
		assert.Equal(t, note, got[0]["note"], "row %d note", i)
		assert.Equal(t, fmt.Sprint(num), fmt.Sprint(got[0]["n"]), "row %d n", i)
		assert.Equal(t, fmt.Sprint(w.Start.Add(time.Duration(i)*time.Second).Unix()), fmt.Sprint(got[0]["last"]), "row %d last_activity_at", i)
	}
}
