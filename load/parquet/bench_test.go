package parquet

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
)

// benchTable has 7 columns of the types the sources load most.
var benchTable = &schemas.Table{
	Name: "bench",
	Columns: []schemas.Column{
		{Name: "id", Type: schemas.String},
		{Name: "account", Type: schemas.String, Nullable: true},
		{Name: "n", Type: schemas.Int64},
		{Name: "score", Type: schemas.Float64, Nullable: true},
		{Name: "ok", Type: schemas.Bool},
		{Name: "at", Type: schemas.Timestamp},
		{Name: "tags", Type: schemas.StringList},
	},
	Disposition: schemas.Merge,
	Key:         []string{"id"},
	Version:     "at",
	Day:         "at",
}

// BenchmarkWrite writes records of 10,000 rows spread over 7 days, and the
// commit, and reports rows/s.
func BenchmarkWrite(b *testing.B) {
	const perRecord = 10_000
	start := day("2026-01-01")
	rows := make([]row, perRecord)
	for i := range rows {
		rows[i] = row{
			"id": fmt.Sprintf("session-%08d", i), "n": i, "ok": i%3 == 0,
			"at":   start.Add(time.Duration(i) * 7 * 24 * time.Hour / perRecord),
			"tags": []string{"onboarding", fmt.Sprintf("flow-%d", i%50)},
		}
		if i%10 != 0 {
			rows[i]["account"] = fmt.Sprintf("acct-%d", i%500)
			rows[i]["score"] = float64(i%1000) / 10
		}
	}
	rec := record(b, benchTable, rows)
	defer rec.Release()
	ctx := context.Background()
	s := newSink(b, b.TempDir(), Options{})
	wr, err := s.Begin(ctx, benchTable, days("2026-01-01", "2026-01-07"), "bench.sessions", "run1")
	require.NoError(b, err)

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := wr.Write(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := wr.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*perRecord)/b.Elapsed().Seconds(), "rows/s")
	n, err := CountRows(s.Dir(), benchTable.Name)
	require.NoError(b, err)
	require.EqualValues(b, b.N*perRecord, n)
	var size int64
	for _, f := range must(ListFiles(s.Dir(), benchTable.Name)) {
		size += must(os.Stat(f)).Size()
	}
	b.ReportMetric(float64(size)/float64(n), "disk-B/row")
}
