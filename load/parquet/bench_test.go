package parquet

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/lz4"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/userflow"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
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
	n, err := CountRows(context.Background(), s.Out(), benchTable.Name)
	require.NoError(b, err)
	require.EqualValues(b, b.N*perRecord, n)
	var size int64
	for _, f := range must(ListFiles(context.Background(), s.Out(), benchTable.Name)) {
		size += must(os.Stat(f)).Size()
	}
	b.ReportMetric(float64(size)/float64(n), "disk-B/row")
}

// BenchmarkWriteUserflow loads what one 130-day backfill of Userflow
// sessions with answers gives the sink: 200,000 sessions or answers in
// batches of 20,000 rows (run.batch_rows), newest first as the walk yields
// them, shaped like the real tables (unique ids, a few hundred flows and
// questions, thousands of users, nulls where the API leaves fields out).
// One op is one whole load, Begin to Commit, into a fresh directory.
func BenchmarkWriteUserflow(b *testing.B) {
	const total, perRecord = 200_000, 20_000
	for _, tc := range []struct {
		name  string
		table *schemas.Table
		gen   func(*rand.Rand, int, time.Time) row
	}{
		{"sessions", userflow.SessionsTable, sessionRow},
		{"answers", userflow.AnswersTable, answerRow},
	} {
		b.Run(tc.name, func(b *testing.B) {
			benchLoad(b, tc.table, total, perRecord, tc.gen, Options{})
		})
	}
}

func benchLoad(b *testing.B, tbl *schemas.Table, total, perRecord int, gen func(*rand.Rand, int, time.Time) row, opts Options) {
	end := day("2026-05-11")
	win := window.New(end.AddDate(0, 0, -130), end)
	rng := rand.New(rand.NewSource(1))
	var recs []arrow.Record
	for start := 0; start < total; start += perRecord {
		rows := make([]row, perRecord)
		for i := range rows {
			// Newest first, evenly over the window.
			at := end.Add(-time.Duration(start+i+1) * (130 * window.Day / time.Duration(total+1)))
			rows[i] = gen(rng, start+i, at)
		}
		recs = append(recs, record(b, tbl, rows))
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	ctx := context.Background()
	var size int64
	var cpu time.Duration // user+system CPU of the process while timed: steadier than wall time on a shared machine
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := newSink(b, b.TempDir(), opts)
		cpu -= processCPU(b)
		b.StartTimer()
		wr, err := s.Begin(ctx, tbl, win, "bench.stream", "run1")
		require.NoError(b, err)
		for _, rec := range recs {
			if err := wr.Write(ctx, rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := wr.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu += processCPU(b)
		n, err := CountRows(context.Background(), s.Out(), tbl.Name)
		require.NoError(b, err)
		require.EqualValues(b, total, n)
		size = 0
		for _, f := range must(ListFiles(context.Background(), s.Out(), tbl.Name)) {
			size += must(os.Stat(f)).Size()
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*total)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(size)/float64(total), "disk-B/row")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchUUID is a random lower-case UUID, like the ids Userflow gives.
func benchUUID(rng *rand.Rand) string {
	var u [16]byte
	rng.Read(u[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// benchPool is n ids drawn from a fixed seed, so flows, users and questions
// repeat across rows as they do in a real account.
func benchPool(seed int64, n int) []string {
	rng := rand.New(rand.NewSource(seed))
	out := make([]string, n)
	for i := range out {
		out[i] = benchUUID(rng)
	}
	return out
}

var (
	benchContent = benchPool(2, 60)
	benchVersion = benchPool(3, 150)
	benchUsers   = benchPool(4, 20_000)
	benchGroups  = benchPool(5, 800)
	benchCVIDs   = benchPool(6, 200)
	benchRunID   = "20260511T031500Z-" + benchPool(7, 1)[0][:8]
	benchTexts   = []string{"Great, thanks", "Could be faster", "I couldn't find the export button", "", "Love the new dashboard!", "n/a"}
	benchChoices = []string{"Reports", "Dashboards", "Alerts", "Exports", "Integrations", "API"}
)

func sessionRow(rng *rand.Rand, i int, last time.Time) row {
	created := last.Add(-time.Duration(rng.Intn(3600)) * time.Second)
	progress := float64(rng.Intn(6)) / 5
	r := row{
		"id": benchUUID(rng), "content_id": benchContent[rng.Intn(len(benchContent))],
		"user_id": benchUsers[rng.Intn(len(benchUsers))], "version_id": benchVersion[rng.Intn(len(benchVersion))],
		"created_at": created, "last_activity_at": last, "completed": progress == 1, "progress": progress,
		"is_preview": rng.Intn(50) == 0, "launcher_activated": rng.Intn(5) == 0,
		schemas.ExtractedAt: day("2026-05-11").Add(3*time.Hour + time.Duration(i)*time.Millisecond), schemas.RunID: benchRunID,
	}
	if rng.Intn(10) < 6 {
		r["group_id"] = benchGroups[rng.Intn(len(benchGroups))]
	}
	if progress == 1 {
		r["completed_at"] = last
	}
	return r
}

func answerRow(rng *rand.Rand, i int, last time.Time) row {
	q := rng.Intn(len(benchCVIDs))
	r := row{
		"id": benchUUID(rng), "session_id": benchUUID(rng), "content_id": benchContent[q%len(benchContent)],
		"user_id": benchUsers[rng.Intn(len(benchUsers))], "question_cvid": benchCVIDs[q],
		"question_name": fmt.Sprintf("Question %d of the onboarding survey", q),
		"created_at":    last.Add(-time.Duration(rng.Intn(600)) * time.Second), "session_last_activity_at": last,
		schemas.ExtractedAt: day("2026-05-11").Add(3*time.Hour + time.Duration(i)*time.Millisecond), schemas.RunID: benchRunID,
	}
	switch rng.Intn(3) {
	case 0:
		n := rng.Intn(11)
		r["answer_type"], r["answer_value"], r["answer_number"] = "number", fmt.Sprint(n), float64(n)
	case 1:
		var picked []string
		for _, j := range rng.Perm(len(benchChoices))[:1+rng.Intn(3)] {
			picked = append(picked, benchChoices[j])
		}
		r["answer_type"], r["answer_values"] = "list", picked
		r["answer_value"] = `["` + strings.Join(picked, `","`) + `"]`
	default:
		r["answer_type"], r["answer_value"] = "text", benchTexts[rng.Intn(len(benchTexts))]
	}
	return r
}

// BenchmarkCompression loads the sessions of BenchmarkWriteUserflow with
// each codec a reader of the files can take: rows/s against disk-B/row.
func BenchmarkCompression(b *testing.B) {
	for _, tc := range []struct {
		name  string
		codec compress.Codec
	}{
		// The codecs sink.parquet.compression names, as the sink builds them.
		{"zstd-default", defaultLevelZstd},
		{"zstd-fastest", defaultCodec},
		{"snappy", &snappy.Codec{}},
		{"lz4", &lz4.Codec{}},
		{"none", &uncompressed.Codec{}},
	} {
		for _, tbl := range []struct {
			name  string
			table *schemas.Table
			gen   func(*rand.Rand, int, time.Time) row
		}{
			{"sessions", userflow.SessionsTable, sessionRow},
			{"answers", userflow.AnswersTable, answerRow},
		} {
			b.Run(tc.name+"/"+tbl.name, func(b *testing.B) {
				benchLoad(b, tbl.table, 200_000, 20_000, tbl.gen, Options{Compression: tc.codec})
			})
		}
	}
}
