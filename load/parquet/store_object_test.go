package parquet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/objectstore/localfs"
	"github.com/adoptionlabs/etl/objectstore/s3"
	"github.com/adoptionlabs/etl/testsupport"
)

// objectBackend is an object store for the tests of the object-store
// commit: a local directory through objectstore/localfs (fast), and the
// MinIO server of make test.
type objectBackend struct {
	name string
	// open returns a store on a root of the test's own, and view, which
	// returns a local directory holding the tables as the store holds them
	// now (the store's root itself, or a copy of the bucket's prefix).
	open func(t *testing.T, opts s3.Options) (objs objectstore.Store, view func() string)
}

var objectBackends = []objectBackend{
	{name: "localfs", open: func(t *testing.T, _ s3.Options) (objectstore.Store, func() string) {
		dir := t.TempDir()
		objs, err := localfs.Open(dir)
		require.NoError(t, err)
		t.Cleanup(func() { _ = objs.Close() })
		return objs, func() string { return dir }
	}},
	{name: "minio", open: func(t *testing.T, opts s3.Options) (objectstore.Store, func() string) {
		srv := testsupport.S3(t)
		objs := minioStore(t, srv.Root, srv.Prefix(t), opts)
		return objs, func() string { return mirror(t, objs) }
	}},
}

// minioStore is a store on prefix in the MinIO of make test, with creds.
func minioStore(t *testing.T, creds testsupport.S3Credentials, prefix string, opts s3.Options) *s3.Store {
	t.Helper()
	srv := testsupport.S3(t)
	opts.Config = &aws.Config{
		Region:       srv.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		BaseEndpoint: aws.String(srv.Endpoint),
	}
	objs, err := s3.Open(context.Background(), objectstore.URL{Bucket: srv.Bucket, Prefix: prefix}, opts)
	require.NoError(t, err)
	return objs
}

// mirror copies the tables of a store (not its _etl) into a new local
// directory, for the helpers that read a directory.
func mirror(t *testing.T, objs objectstore.Store) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	keys, err := objectstore.Keys(ctx, objs, "")
	require.NoError(t, err)
	for _, key := range keys {
		if strings.HasPrefix(key, StateDir+"/") {
			continue
		}
		b, _, err := objectstore.ReadAll(ctx, objs, key)
		require.NoError(t, err)
		path := filepath.Join(dir, filepath.FromSlash(key))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, b, 0o644))
	}
	return dir
}

func eachObjectBackend(t *testing.T, test func(t *testing.T, b objectBackend)) {
	for _, b := range objectBackends {
		t.Run(b.name, func(t *testing.T) { test(t, b) })
	}
}

// storeSink opens a sink on objs with a scratch directory of the test's.
func storeSink(t *testing.T, objs objectstore.Store, opts Options) *Sink {
	t.Helper()
	if opts.Scratch == "" {
		opts.Scratch = t.TempDir()
	}
	s, err := newObjectSink(objs, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// intents lists the intents of commits in the store.
func intents(t *testing.T, objs objectstore.Store) []string {
	t.Helper()
	keys, err := objectstore.Keys(context.Background(), objs, swapsDir)
	require.NoError(t, err)
	return keys
}

// stopAt makes the object store's commits stop at a step of their swap as
// a killed process would, for the rest of the test.
func stopAt(t *testing.T, at string) {
	t.Helper()
	swapStep = func(step string) error {
		if step == at {
			return errors.New("killed at " + step)
		}
		return nil
	}
	t.Cleanup(func() { swapStep = func(string) error { return nil } })
}

// rowsOf counts the rows of each session id in a table directory.
func rowsOf(t *testing.T, dir string) map[string]int {
	out := map[string]int{}
	for _, r := range readTable(t, dir, sessions) {
		out[r["id"].(string)]++
	}
	return out
}

// A run killed while it uploaded a commit's files leaves them beside the
// files they replace (a reader sees a key twice meanwhile) and the intent
// saying so; the next run rolls it back before it loads anything, so the
// table is as before, one row a key, and the load run again is exact.
func TestObjectCommitKilledWhileUploadingIsRolledBack(t *testing.T) {
	eachObjectBackend(t, func(t *testing.T, b objectBackend) {
		ctx := context.Background()
		objs, view := b.open(t, s3.Options{})
		s := storeSink(t, objs, Options{})
		old := []row{session{"a", at("2026-11-01", 0), at("2026-11-02", 0), 0}.row("r1", day("2026-11-03")),
			session{"b", at("2026-11-01", 1), at("2026-11-02", 1), 0}.row("r1", day("2026-11-03"))}
		loadAs(t, s, sessions, days("2026-11-02", "2026-11-02"), "r1", old)
		before := sessionState(t, view())

		next := []row{session{"a", at("2026-11-01", 0), at("2026-11-09", 0), 1}.row("r2", day("2026-11-10"))}
		stopAt(t, "staged")
		wr, err := s.Begin(ctx, sessions, days("2026-11-09", "2026-11-09"), "uf.sessions", "r2")
		require.NoError(t, err)
		rec := record(t, sessions, next)
		defer rec.Release()
		require.NoError(t, wr.Write(ctx, rec))
		require.ErrorContains(t, wr.Commit(ctx), "killed at staged")
		assert.Equal(t, map[string]int{"a": 2, "b": 2}, rowsOf(t, view()), "killed mid-swap: the rewritten file sits beside the one it replaces")
		require.Len(t, intents(t, objs), 1)
		require.NoError(t, s.Close())

		swapStep = func(string) error { return nil }
		var log bytes.Buffer
		s = storeSink(t, objs, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
		n, err := s.DropStaleStaging(ctx)
		require.NoError(t, err)
		assert.Zero(t, n)
		assert.Contains(t, log.String(), "parquet: rolled back a commit a stopped run left half uploaded")
		assert.Contains(t, log.String(), "run=r2")
		assert.Equal(t, before, sessionState(t, view()), "the next run rolled the commit back")
		assert.Empty(t, intents(t, objs))

		loadAs(t, s, sessions, days("2026-11-09", "2026-11-09"), "r2", next)
		assert.Equal(t, []string{"a 11-09T00 1 r2", "b 11-02T01 0 r1"}, sessionState(t, view()))
		assert.Empty(t, intents(t, objs))
	})
}

// A run killed once its commit's intent was marked complete, before the
// replaced files were all deleted, leaves the new files and some old ones;
// the next run finishes the commit: the old files go, the new stay.
func TestObjectCommitKilledWhileDeletingIsFinished(t *testing.T) {
	eachObjectBackend(t, func(t *testing.T, b objectBackend) {
		ctx := context.Background()
		objs, view := b.open(t, s3.Options{})
		s := storeSink(t, objs, Options{})
		loadRows(t, s, daily, days("2026-01-01", "2026-01-03"), "s.x", dailyRows("g1", "2026-01-01", "2026-01-02", "2026-01-03"))

		stopAt(t, "swapping")
		wr, err := s.Begin(ctx, daily, days("2026-01-01", "2026-01-03"), "s.x", "run2")
		require.NoError(t, err)
		rec := record(t, daily, dailyRows("g2", "2026-01-01", "2026-01-03"))
		defer rec.Release()
		require.NoError(t, wr.Write(ctx, rec))
		require.ErrorContains(t, wr.Commit(ctx), "killed at swapping")
		assert.Equal(t, map[string][]string{"2026-01-01": {"g1", "g2"}, "2026-01-02": {"g1"}, "2026-01-03": {"g1", "g2"}}, gens(t, view()),
			"killed mid-swap: both sets are there")
		require.Len(t, intents(t, objs), 1)
		require.NoError(t, s.Close())

		swapStep = func(string) error { return nil }
		var log bytes.Buffer
		s = storeSink(t, objs, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
		// The first load of the next run resolves it even without the
		// pipeline's DropStaleStaging.
		loadRows(t, s, snapshot, days("2026-01-01", "2026-01-01"), "other.stream", []row{{"id": "1", "gen": "x"}})
		assert.Contains(t, log.String(), "parquet: finished a commit a stopped run left half done")
		assert.Equal(t, map[string][]string{"2026-01-01": {"g2"}, "2026-01-03": {"g2"}}, gens(t, view()), "the next run finished the commit")
		assert.Empty(t, intents(t, objs))
	})
}

// A load aborted after Prepare (another table of its window failed to
// stage) takes back what Prepare uploaded.
func TestObjectAbortAfterPrepareTakesTheUploadsBack(t *testing.T) {
	eachObjectBackend(t, func(t *testing.T, b objectBackend) {
		ctx := context.Background()
		objs, view := b.open(t, s3.Options{})
		s := storeSink(t, objs, Options{})
		loadRows(t, s, daily, days("2026-01-01", "2026-01-01"), "s.x", dailyRows("old", "2026-01-01"))
		wr, err := s.Begin(ctx, daily, days("2026-01-01", "2026-01-02"), "s.x", "run2")
		require.NoError(t, err)
		rec := record(t, daily, dailyRows("new", "2026-01-01", "2026-01-02"))
		defer rec.Release()
		require.NoError(t, wr.Write(ctx, rec))
		require.NoError(t, wr.(*Writer).Prepare(ctx))
		require.NoError(t, wr.Abort(ctx))
		assert.Equal(t, map[string][]string{"2026-01-01": {"old"}}, gens(t, view()))
		assert.Empty(t, intents(t, objs))
	})
}

// failingStore fails every Put of a Parquet file after the first n.
type failingStore struct {
	objectstore.Store
	n int
}

func (f *failingStore) Put(ctx context.Context, key string, body io.Reader, opts objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	if strings.HasSuffix(key, ".parquet") {
		if f.n == 0 {
			return objectstore.ObjectInfo{}, fmt.Errorf("%s: PutObject: 503 SlowDown, retries exhausted", key)
		}
		f.n--
	}
	return f.Store.Put(ctx, key, body, opts)
}

// An upload that fails (the store's retries exhausted) fails the commit
// and takes back what was uploaded: nothing of the load is visible, no
// intent is left.
func TestObjectUploadThatFailsLeavesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	objs, err := localfs.Open(dir)
	require.NoError(t, err)
	defer objs.Close()
	faulty := &failingStore{Store: objs, n: 1 << 30}
	s := storeSink(t, faulty, Options{})
	loadRows(t, s, daily, days("2026-01-01", "2026-01-02"), "s.x", dailyRows("old", "2026-01-01", "2026-01-02"))
	faulty.n = 2 // two of the four days' files go up, then the store fails
	wr, err := s.Begin(ctx, daily, days("2026-01-01", "2026-01-04"), "s.x", "run2")
	require.NoError(t, err)
	rec := record(t, daily, dailyRows("new", "2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"))
	defer rec.Release()
	require.NoError(t, wr.Write(ctx, rec))
	require.ErrorContains(t, wr.Commit(ctx), "503 SlowDown")
	assert.Equal(t, map[string][]string{"2026-01-01": {"old"}, "2026-01-02": {"old"}}, gens(t, dir))
	assert.Empty(t, intents(t, objs))
}

// An object store has no rename: a new file never takes the name of a
// live file it replaces (the same run loading a day again), which would
// overwrite it and then delete it.
func TestObjectNewFileNeverTakesALiveName(t *testing.T) {
	taken := map[string]bool{"part-s.x-run1-00000.parquet": true}
	name := uniqueName("part-s.x-run1-00000.parquet", func(n string) bool { return taken[n] })
	assert.Regexp(t, `^part-s\.x-run1-00000-[0-9a-f]{8}\.parquet$`, name)
	assert.Equal(t, "part-s.x-run1-00001.parquet", uniqueName("part-s.x-run1-00001.parquet", func(n string) bool { return taken[n] }))

	objs, view := objectBackends[0].open(t, s3.Options{})
	s := storeSink(t, objs, Options{})
	for _, gen := range []string{"g1", "g2", "g3"} {
		loadRows(t, s, daily, days("2026-01-01", "2026-01-01"), "s.x", dailyRows(gen, "2026-01-01"))
		assert.Equal(t, map[string][]string{"2026-01-01": {gen}}, gens(t, view()), "the same run id loads the day again")
	}
}

// A commit that replaces files logs how long a reader could see both sets.
func TestObjectCommitLogsTheBothPartsWindow(t *testing.T) {
	objs, _ := objectBackends[0].open(t, s3.Options{})
	var log bytes.Buffer
	s := storeSink(t, objs, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	loadRows(t, s, daily, days("2026-01-01", "2026-01-01"), "s.x", dailyRows("g1", "2026-01-01"))
	assert.NotContains(t, log.String(), "both_parts_ms", "a first load replaces nothing")
	loadRows(t, s, daily, days("2026-01-01", "2026-01-01"), "s.x", dailyRows("g2", "2026-01-01"))
	assert.Regexp(t, `both_parts_ms=\d+ both_parts_after_uploads_ms=\d+`, log.String())
}

// On MinIO: parts bigger than the store's part size go up as multipart
// uploads, from their files; a merge fetches the live part it rewrites;
// and chdb's s3(), a reader that did not write the files, reads the table
// through the same endpoint, one row a key.
func TestObjectStoreBigPartsOnMinIO(t *testing.T) {
	srv := testsupport.S3(t)
	ctx := context.Background()
	prefix := srv.Prefix(t)
	objs := minioStore(t, srv.Root, prefix, s3.Options{PartSize: s3.MinPartSize})
	s := storeSink(t, objs, Options{})
	const n = 400_000
	created := at("2026-10-03", 0)
	load := func(run string, ids []int, progress float64) {
		wr, err := s.Begin(ctx, sessions, days("2026-10-03", "2026-10-20"), "uf.sessions", run)
		require.NoError(t, err)
		for start := 0; start < len(ids); start += 20_000 {
			var rows []row
			for _, i := range ids[start:min(start+20_000, len(ids))] {
				last := created.Add(time.Duration(i) * time.Second)
				if progress == 1 {
					last = at("2026-10-20", 0)
				}
				rows = append(rows, session{fmt.Sprintf("%016x%016x", uint64(i)*0x9E3779B97F4A7C15, uint64(i)*0xBF58476D1CE4E5B9), created.Add(time.Duration(i%3600) * time.Second), last, progress}.row(run, at("2026-10-20", 1)))
			}
			rec := record(t, sessions, rows)
			require.NoError(t, wr.Write(ctx, rec))
			rec.Release()
		}
		require.NoError(t, wr.Commit(ctx))
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	load("r1", all, 0.5)
	var big int64
	for info, err := range objs.List(ctx, sessions.Name+"/") {
		require.NoError(t, err)
		big = max(big, info.Size)
	}
	require.Greater(t, big, int64(s3.MinPartSize), "a part bigger than the store's part size")
	assert.Positive(t, objs.Requests()["UploadPart"], "sent as a multipart upload")

	changed := make([]int, 1000)
	for i := range changed {
		changed[i] = i * 397
	}
	load("r2", changed, 1)
	assert.Positive(t, objs.Requests()["GetObject"], "the merge fetched the live part it rewrote")

	src := fmt.Sprintf("s3('%s/%s/%s/%s/**/*.parquet', '%s', '%s', 'Parquet')",
		srv.Endpoint, srv.Bucket, prefix, sessions.Name, srv.Root.AccessKeyID, srv.Root.SecretAccessKey)
	got := testsupport.ChDB(t, "SELECT count() AS n, uniqExact(id) AS k, countIf(progress = 1) AS changed, any(created_at_month) AS month FROM "+src+" SETTINGS use_hive_partitioning = 1")
	assert.Equal(t, []map[string]any{{"n": int64(n), "k": int64(n), "changed": int64(1000), "month": "2026-10"}}, got[0])
	assert.Empty(t, intents(t, objs))
}
