package parquet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/adoptionlabs/etl/extract/userflow"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

// lakeRows is the size of the table BenchmarkNightlyMerge loads into:
// ETL_BENCH_LAKE_ROWS, default 10M as load/clickhouse's
// BenchmarkDashboards.
func lakeRows(b *testing.B) int64 {
	if v := os.Getenv("ETL_BENCH_LAKE_ROWS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1_000_000 {
			b.Fatalf("ETL_BENCH_LAKE_ROWS=%q: want a number of sessions, at least 1000000", v)
		}
		return n
	}
	return 10_000_000
}

// lakeCreated spreads the sessions over 28 months from 2024-01 in id order,
// as BenchmarkDashboards generates them.
func lakeCreated(n, total int64) time.Time {
	return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n*28*30*86400/total) * time.Second)
}

// lakeSessions builds a record of Userflow sessions: ids s<n> for n in
// [from, from+count), or, with step, the count sessions n = last-from -
// i*step coming back at at.
func lakeSessions(total, from, count, step int64, at time.Time, run string) arrow.Record {
	b := array.NewRecordBuilder(memory.NewGoAllocator(), transform.ArrowSchema(userflow.SessionsTable))
	defer b.Release()
	ts := func(t time.Time) arrow.Timestamp { return arrow.Timestamp(t.UnixMilli()) }
	for i := int64(0); i < count; i++ {
		n := from + i
		created := lakeCreated(n, total)
		last := created.Add(time.Duration(n%86400) * time.Second)
		progress := float64(n%100) / 100
		if step > 0 {
			n = total - 1 - from - i*step
			created = lakeCreated(n, total)
			last, progress = at.Add(time.Duration(i)*time.Second), 1
		}
		b.Field(0).(*array.StringBuilder).Append("s" + strconv.FormatInt(n, 10))
		b.Field(1).(*array.StringBuilder).Append(benchContent[n%int64(len(benchContent))])
		b.Field(2).(*array.StringBuilder).Append(benchUsers[n%int64(len(benchUsers))])
		if n%5 < 3 {
			b.Field(3).(*array.StringBuilder).Append(benchGroups[n%int64(len(benchGroups))])
		} else {
			b.Field(3).AppendNull()
		}
		b.Field(4).(*array.StringBuilder).Append(benchVersion[n%int64(len(benchVersion))])
		b.Field(5).(*array.TimestampBuilder).Append(ts(created))
		b.Field(6).(*array.TimestampBuilder).Append(ts(last))
		b.Field(7).(*array.BooleanBuilder).Append(progress == 1)
		if progress == 1 {
			b.Field(8).(*array.TimestampBuilder).Append(ts(last))
		} else {
			b.Field(8).AppendNull()
		}
		b.Field(9).(*array.Float64Builder).Append(progress)
		b.Field(10).(*array.BooleanBuilder).Append(n%50 == 0)
		b.Field(11).(*array.BooleanBuilder).Append(n%5 == 0)
		b.Field(12).(*array.TimestampBuilder).Append(ts(at))
		b.Field(13).(*array.StringBuilder).Append(run)
	}
	return b.NewRecord()
}

// BenchmarkNightlyMerge prints the figures of a merge table in a lake
// (make bench-lake): 10M Userflow sessions over 28 monthly partitions
// (created_at from 2024-01), loaded once, then a nightly load of 20,000
// changed sessions of the two latest months, as load/clickhouse's
// BenchmarkDashboards does into ClickHouse: its time, CPU, the partitions
// it rewrote and the bytes it wrote, and DuckDB's count of rows and keys
// afterwards. Each b.N iteration is one more nightly load.
func BenchmarkNightlyMerge(b *testing.B) {
	total := lakeRows(b)
	const changed, perRecord = 20_000, 20_000
	dir := b.TempDir()
	s := newSink(b, dir, Options{})
	ctx := context.Background()
	tbl := userflow.SessionsTable

	start, cpu0 := time.Now(), processCPU(b)
	built := lakeCreated(total, total)
	wr, err := s.Begin(ctx, tbl, window.New(day("2024-01-01"), built.AddDate(0, 0, 2)), "bench.sessions", "initial")
	if err != nil {
		b.Fatal(err)
	}
	for from := int64(0); from < total; from += perRecord {
		rec := lakeSessions(total, from, min(perRecord, total-from), 0, built, "initial")
		err := wr.Write(ctx, rec)
		rec.Release()
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := wr.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	parts := must(os.ReadDir(filepath.Join(dir, tbl.Name)))
	var size int64
	files := must(ListFiles(context.Background(), dir, tbl.Name))
	for _, f := range files {
		size += must(os.Stat(f)).Size()
	}
	b.Logf("loaded %d sessions in %s (%.1f CPU s): %d partitions, %d files, %.0f MiB", total, time.Since(start).Round(time.Millisecond),
		(processCPU(b) - cpu0).Seconds(), len(parts), len(files), float64(size)/(1<<20))

	night := day("2026-05-01")
	w := window.New(night, night.Add(window.Day))
	var cpu time.Duration
	var rewrote int
	var copied, written int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Other sessions every night, among the latest 500k: the two
		// latest months.
		b.StopTimer()
		rec := lakeSessions(total, int64(i%25), changed, 25, night, "nightly")
		b.StartTimer()
		cpu -= processCPU(b)
		wr, err := s.Begin(ctx, tbl, w, "bench.nightly", fmt.Sprint("nightly-", i))
		if err != nil {
			b.Fatal(err)
		}
		err = wr.Write(ctx, rec)
		rec.Release()
		if err != nil {
			b.Fatal(err)
		}
		if err := wr.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		cpu += processCPU(b)
		p, c, by := wr.(*Writer).MergeStats()
		rewrote, copied, written = p, copied+c, written+by
	}
	b.StopTimer()
	n := time.Duration(b.N)
	per := b.Elapsed() / n
	b.Logf("nightly load of %d changed sessions (mean of %d): %s, %.2f CPU s; %d of %d partitions rewritten, %d live rows copied, %.1f MiB written",
		changed, b.N, per.Round(time.Millisecond), (cpu / n).Seconds(), rewrote, len(parts), copied/int64(b.N), float64(written)/float64(b.N)/(1<<20))
	b.ReportMetric(per.Seconds(), "s/nightly-load")
	b.ReportMetric((cpu / n).Seconds(), "cpu-s/nightly-load")
	b.ReportMetric(float64(written)/float64(b.N)/(1<<20), "MiB-written/nightly-load")
	b.ReportMetric(float64(rewrote), "partitions-rewritten")

	glob := filepath.Join(dir, tbl.Name, "**", "*.parquet")
	got := testsupport.DuckDB(b, "SELECT count(*) AS n, count(DISTINCT id) AS k, count(*) FILTER (WHERE _run_id LIKE 'nightly%') AS changed FROM read_parquet('"+glob+"', hive_partitioning = true)")
	want := []map[string]any{{"n": total, "k": total, "changed": int64(changed * min(b.N, 25))}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		b.Fatalf("after the nightly loads DuckDB reads %v, want %v", got, want)
	}
	b.Logf("after the loads DuckDB reads %d rows, %d keys, %d changed", total, total, changed*min(b.N, 25))
}
