package clickhouse

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

// BenchmarkInsertSessions measures the column-wise insert path (Arrow batch
// -> native block) into a merge table, 20,000-row batches as the engine cuts.
func BenchmarkInsertSessions(b *testing.B) {
	dsn := testsupport.FreshDatabase(b)
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	bt := transform.NewBatcher(memory.NewGoAllocator(), sessions, transform.Meta{RunID: "bench", ExtractedAt: time.Now()}, 20000, nil)
	defer bt.Release()
	for i := 0; i < 20000; i++ {
		r := session(fmt.Sprintf("s%d", i), w.Start.Add(-time.Duration(i)*time.Minute), w.Start.Add(time.Duration(i)*time.Second), 0.5)
		if err := bt.Append(r); err != nil {
			b.Fatal(err)
		}
	}
	rec := bt.Flush()
	defer rec.Release()
	wr, err := s.Begin(ctx, sessions, w, "bench", "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := wr.Write(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := wr.(*writer).flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)*float64(rec.NumRows())/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkStageSessions measures what a backfill's insert path costs: ten
// 20,000-row Arrow batches of sessions over five monthly partitions (as the
// engine hands them over) staged, and waited for, per iteration.
func BenchmarkStageSessions(b *testing.B) {
	dsn := testsupport.FreshDatabase(b)
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	w := window.New(day("2026-07-01"), day("2026-11-30"))
	const batches, per = 10, 20000
	var recs []arrow.Record
	for k := 0; k < batches; k++ {
		bt := transform.NewBatcher(memory.NewGoAllocator(), sessions, transform.Meta{RunID: "bench", ExtractedAt: time.Now()}, per, nil)
		for i := 0; i < per; i++ {
			n := k*per + i
			created := w.Start.Add(time.Duration(n) * (150 * 24 * time.Hour / (batches * per)))
			r := session(fmt.Sprintf("ses_%012d", n), created, created.Add(time.Duration(i)*time.Second), float64(i%100)/100)
			r["note"], r["n"] = fmt.Sprintf("note %d of a session", n), int64(n)
			if err := bt.Append(r); err != nil {
				b.Fatal(err)
			}
		}
		recs = append(recs, bt.Flush())
		bt.Release()
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wr, err := s.Begin(ctx, sessions, w, "bench", "bench")
		if err != nil {
			b.Fatal(err)
		}
		for _, rec := range recs {
			if err := wr.Write(ctx, rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := wr.(*writer).flush(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := wr.Abort(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N)*batches*per/b.Elapsed().Seconds(), "rows/s")
}

// dashboardsRows is the size of the table BenchmarkDashboards reads and loads.
const dashboardsRows = 10_000_000

// dashboardsCreated is created_at of generated session n: 10M sessions over
// 28 months from 2024-01, in id order (as numbers() generates them below).
func dashboardsCreated(n int64) time.Time {
	return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n*28*30*86400/dashboardsRows) * time.Second)
}

// BenchmarkDashboards prints the dashboard figures (make bench-dashboards): a
// merge table of 10M sessions over 28 monthly partitions, generated
// server-side, read by `SELECT count(), sum(progress)` next to a plain
// unpartitioned MergeTree holding the same rows, then a nightly load of
// 20,000 changed sessions of the two latest months through the sink (stage,
// rebuild the touched partitions, swap), with the partitions it rebuilt and
// its time. Each b.N iteration is one more nightly load.
func BenchmarkDashboards(b *testing.B) {
	dsn := testsupport.FreshDatabase(b)
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{QueryTimeout: 30 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	must := func(q string) {
		if err := s.exec(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.Ensure(ctx, sessions); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	must(fmt.Sprintf(`INSERT INTO %s (%s) SELECT concat('s', toString(number)) AS id,
		toDateTime('2024-01-01 00:00:00', 'UTC') + intDiv(number * %d, %d) AS created_at,
		created_at + number %% 86400, (number %% 100) / 100, if(number %% 100 = 99, created_at + number %% 86400, NULL),
		toUInt8(number %% 100 = 99), emptyArrayString(), NULL, NULL, toDate(created_at), now(), 'bench'
		FROM system.numbers LIMIT %d`, s.qualified(sessions.Name), identList(columnNames(sessions)), 28*30*86400, dashboardsRows, dashboardsRows))
	must(fmt.Sprintf("CREATE TABLE %s ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM %s", s.qualified("plain_sessions"), s.qualified(sessions.Name)))
	b.Logf("generated %d sessions server-side in %s", dashboardsRows, time.Since(start).Round(time.Millisecond))

	best := func(q string) time.Duration {
		var min time.Duration
		for i := 0; i < 5; i++ {
			t0 := time.Now()
			rows, err := s.conn.Query(ctx, q)
			if err != nil {
				b.Fatalf("%s: %v", q, err)
			}
			for rows.Next() {
			}
			rows.Close()
			if d := time.Since(t0); i == 0 || d < min {
				min = d
			}
		}
		return min
	}
	read := func(table string) time.Duration {
		return best(fmt.Sprintf("SELECT count(), sum(progress) FROM %s", s.qualified(table)))
	}
	merge, plain := read(sessions.Name), read("plain_sessions")
	month := best(fmt.Sprintf("SELECT count(), sum(progress) FROM %s WHERE created_at >= toDateTime('2025-06-01 00:00:00', 'UTC') AND created_at < toDateTime('2025-07-01 00:00:00', 'UTC')", s.qualified(sessions.Name)))
	b.Logf("SELECT count(), sum(progress), best of 5: merge table %s, plain MergeTree %s (ratio %.2f); one month of the merge table %s",
		merge.Round(time.Millisecond), plain.Round(time.Millisecond), float64(merge)/float64(plain), month.Round(time.Millisecond))
	b.ReportMetric(float64(merge)/float64(plain), "merge/plain")

	bt := transform.NewBatcher(memory.NewGoAllocator(), sessions, transform.Meta{RunID: "nightly", ExtractedAt: time.Now()}, 20000, nil)
	defer bt.Release()
	w := window.New(day("2026-05-01"), day("2026-05-02"))
	for i := int64(0); i < 20000; i++ {
		n := dashboardsRows - 1 - i*25 // among the latest 500k sessions: the two latest months
		created := dashboardsCreated(n)
		r := session(fmt.Sprintf("s%d", n), created, w.Start.Add(time.Duration(i)*time.Second), 1)
		if err := bt.Append(r); err != nil {
			b.Fatal(err)
		}
	}
	rec := bt.Flush()
	defer rec.Release()
	b.ResetTimer()
	var rebuilt int
	var staged, prepared, swapped time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		wr, err := s.Begin(ctx, sessions, w, "bench.nightly", "nightly")
		if err != nil {
			b.Fatal(err)
		}
		if err := wr.Write(ctx, rec); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := wr.(*writer).Prepare(ctx); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := wr.(*writer).Swap(ctx); err != nil {
			b.Fatal(err)
		}
		staged, prepared, swapped = staged+t1.Sub(t0), prepared+t2.Sub(t1), swapped+time.Since(t2)
		rebuilt = len(wr.(*writer).swaps)
	}
	b.StopTimer()
	per := b.Elapsed() / time.Duration(b.N)
	parts, err := s.partitions(ctx, sessions.Name)
	if err != nil {
		b.Fatal(err)
	}
	n := time.Duration(b.N)
	b.Logf("nightly load of 20,000 changed sessions: %s, rebuilt %d of %d partitions (insert into staging %s, rebuild %s, swap and drop staging %s)",
		per.Round(time.Millisecond), rebuilt, len(parts), (staged / n).Round(time.Millisecond), (prepared / n).Round(time.Millisecond), (swapped / n).Round(time.Millisecond))
	b.ReportMetric(per.Seconds(), "s/nightly-load")
	b.ReportMetric(float64(rebuilt), "partitions-rebuilt")

	var rows, keys, done uint64
	if err := s.scalar(ctx, fmt.Sprintf("SELECT count() FROM %s", s.qualified(sessions.Name)), &rows); err != nil {
		b.Fatal(err)
	}
	if err := s.scalar(ctx, fmt.Sprintf("SELECT uniqExact(id) FROM %s", s.qualified(sessions.Name)), &keys); err != nil {
		b.Fatal(err)
	}
	if err := s.scalar(ctx, fmt.Sprintf("SELECT countIf(progress = 1) FROM %s", s.qualified(sessions.Name)), &done); err != nil {
		b.Fatal(err)
	}
	if rows != dashboardsRows || keys != dashboardsRows || done < 20000 {
		b.Fatalf("after the nightly load: %d rows, %d keys, %d at progress 1; want %d, %d, >= 20000", rows, keys, done, dashboardsRows, dashboardsRows)
	}
	after := read(sessions.Name)
	b.Logf("after the load: %d rows, %d keys, SELECT count(), sum(progress) %s", rows, keys, after.Round(time.Millisecond))
}
