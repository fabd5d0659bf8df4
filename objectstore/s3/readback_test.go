package s3_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/objectstore/s3"
	"github.com/adoptionlabs/etl/testsupport"
)

type session struct {
	ID       string `parquet:"id"`
	Sessions int64  `parquet:"sessions"`
}

// writeParquet streams rows as a Parquet file into key: the writer feeds a
// pipe that Put reads, so the file is never whole in memory.
func writeParquet(ctx context.Context, t *testing.T, s objectstore.Store, key string, rows []session) {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		w := parquet.NewGenericWriter[session](pw)
		_, err := w.Write(rows)
		if err == nil {
			err = w.Close()
		}
		pw.CloseWithError(err)
	}()
	_, err := s.Put(ctx, key, pr, objectstore.PutOptions{IfNoneMatch: true, ContentType: "application/vnd.apache.parquet"})
	require.NoError(t, err)
}

// TestParquetReadBackByAnotherReader: Parquet files written through the
// store into MinIO under a hive layout are read by chdb's s3() (current
// ClickHouse, which did not write them): the layout, the path-style
// endpoint and the credentials work end to end, as a lake engine would
// use them.
func TestParquetReadBackByAnotherReader(t *testing.T) {
	srv := testsupport.S3(t)
	ctx := context.Background()
	prefix := srv.Prefix(t)
	s := storeFor(t, srv, srv.Root, objectstore.URL{Bucket: srv.Bucket, Prefix: prefix}, s3.Options{})

	day1 := []session{{"s1", 1}, {"s2", 2}, {"s3", 3}}
	day2 := []session{{"s4", 4}, {"s5", 5}}
	writeParquet(ctx, t, s, "sessions/dt=2026-01-01/part-00000.parquet", day1)
	writeParquet(ctx, t, s, "sessions/dt=2026-01-02/part-00000.parquet", day2)

	// Our own ranged reads find the footer without fetching the file.
	o, err := s.Open(ctx, "sessions/dt=2026-01-01/part-00000.parquet")
	require.NoError(t, err)
	f, err := parquet.OpenFile(o, o.Size())
	require.NoError(t, err)
	assert.EqualValues(t, 3, f.NumRows())
	require.NoError(t, o.Close())

	src := fmt.Sprintf("s3('%s/%s/%s/sessions/**/*.parquet', '%s', '%s', 'Parquet')",
		srv.Endpoint, srv.Bucket, prefix, srv.Root.AccessKeyID, srv.Root.SecretAccessKey)
	out := testsupport.ChDB(t,
		"SELECT count() AS n, uniqExact(id) AS ids, sum(sessions) AS total FROM "+src+" SETTINGS use_hive_partitioning = 1",
		"SELECT toString(dt) AS dt, count() AS n FROM "+src+" GROUP BY dt ORDER BY dt SETTINGS use_hive_partitioning = 1",
	)
	assert.Equal(t, []map[string]any{{"n": int64(5), "ids": int64(5), "total": int64(15)}}, out[0])
	assert.Equal(t, []map[string]any{{"dt": "2026-01-01", "n": int64(3)}, {"dt": "2026-01-02", "n": int64(2)}}, out[1])

	// The read-only key reads the same.
	roSrc := fmt.Sprintf("s3('%s/%s/%s/sessions/**/*.parquet', '%s', '%s', '%s', 'Parquet')",
		srv.Endpoint, srv.Bucket, prefix, srv.ReadOnly.AccessKeyID, srv.ReadOnly.SecretAccessKey, srv.ReadOnly.SessionToken)
	out = testsupport.ChDB(t, "SELECT count() AS n FROM "+roSrc)
	assert.Equal(t, []map[string]any{{"n": int64(5)}}, out[0])
}
