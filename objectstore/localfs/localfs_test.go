package localfs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/objectstore/localfs"
	"github.com/adoptionlabs/etl/objectstore/objectstoretest"
)

func open(t *testing.T, dir string) *localfs.Store {
	t.Helper()
	s, err := localfs.Open(dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestContract(t *testing.T) {
	objectstoretest.StoreContract(t, func(t *testing.T) objectstore.Store {
		return open(t, t.TempDir())
	}, objectstoretest.Options{BigSize: 3 << 20})
}

// Two stores on one directory are two processes: conditions hold between
// them (each store has its own flock).
func TestContractAcrossInstances(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := open(t, dir), open(t, dir)
	v1, err := a.Put(ctx, "lock", strings.NewReader("a"), objectstore.PutOptions{IfNoneMatch: true})
	require.NoError(t, err)
	_, err = b.Put(ctx, "lock", strings.NewReader("b"), objectstore.PutOptions{IfNoneMatch: true})
	require.ErrorIs(t, err, objectstore.ErrPreconditionFailed)
	_, err = b.Put(ctx, "lock", strings.NewReader("b"), objectstore.PutOptions{IfMatch: v1.ETag})
	require.NoError(t, err)
	_, err = a.Put(ctx, "lock", strings.NewReader("a2"), objectstore.PutOptions{IfMatch: v1.ETag})
	require.ErrorIs(t, err, objectstore.ErrPreconditionFailed)
}

func TestLayoutOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	_, err := s.Put(ctx, "t/dt=2026-01-01/part-1.parquet", strings.NewReader("x"), objectstore.PutOptions{})
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "t", "dt=2026-01-01", "part-1.parquet"))
	require.NoError(t, err, "a key is the file at its path: any reader of the directory sees the layout")
	assert.Equal(t, "x", string(b))

	require.NoError(t, s.Delete(ctx, "t/dt=2026-01-01/part-1.parquet"))
	_, err = os.Stat(filepath.Join(dir, "t"))
	assert.True(t, os.IsNotExist(err), "directories left empty go, as S3 has none")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.Equal(t, ".localfs.lock", e.Name(), "nothing but the lock file stays")
	}
}

// The access check's probe put fails its condition: on a directory it must
// not leave the folders it would have written into.
func TestFailedPutLeavesNoDirectory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	require.NoError(t, objectstore.CheckAccess(ctx, s).Err())
	_, err := s.Put(ctx, "a/b/c", strings.NewReader("x"), objectstore.PutOptions{IfMatch: `"nope"`})
	require.ErrorIs(t, err, objectstore.ErrPreconditionFailed)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{".localfs.lock"}, names)
}
