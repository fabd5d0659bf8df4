package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFileReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "etl.prom")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))

	require.NoError(t, WriteFile(path, []byte("new"), 0o644))

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "new", string(b))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), "perm is set exactly, whatever the umask and the old file's mode")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1)
}

func TestWriteFileIntoMissingDirectoryFailsAndNamesIt(t *testing.T) {
	err := WriteFile(filepath.Join(t.TempDir(), "nope", "x.json"), []byte("x"), 0o644)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nope")
}

// Until Commit, readers see the old content and globs for the final name
// find nothing new; Abort leaves the directory as it was.
func TestCreateCommitAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "part-00000.parquet")

	f, err := Create(path, 0o644)
	require.NoError(t, err)
	_, err = f.WriteString("data")
	require.NoError(t, err)
	assert.True(t, IsTemp(filepath.Base(f.Name())))
	matches, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	require.NoError(t, err)
	assert.Empty(t, matches, "a temp file never matches the final name's glob")
	require.NoError(t, f.Commit())
	f.Abort() // after Commit: nothing
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "data", string(b))
	require.Error(t, f.Commit(), "a second commit is a bug of the caller")

	g, err := Create(filepath.Join(dir, "other.parquet"), 0o644)
	require.NoError(t, err)
	g.Abort()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "part-00000.parquet", entries[0].Name())
}

func TestRemoveStrayTemps(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "state.json"), 0o644)
	require.NoError(t, err)
	require.NoError(t, f.Close()) // a writer killed before its rename
	for _, name := range []string{"state.json", ".lock", "x.tmp-1"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, ".d.tmp-1"), 0o755))

	require.NoError(t, RemoveStrayTemps(dir))

	var names []string
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"state.json", ".lock", "x.tmp-1", ".d.tmp-1"}, names)
}

func TestSyncDir(t *testing.T) {
	require.NoError(t, SyncDir(t.TempDir()))
	err := SyncDir(filepath.Join(t.TempDir(), "missing"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sync directory")
}
