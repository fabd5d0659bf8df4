package clickhouse

import (
	"context"
	"fmt"
	"testing"
	"time"

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
	b.ReportMetric(float64(b.N)*float64(rec.NumRows())/b.Elapsed().Seconds(), "rows/s")
}
