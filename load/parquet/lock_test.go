//go:build unix

package parquet

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// The refusal names who holds the directory (host, pid, since), as the
// README promises for every lock.
func TestDirectoryLockNamesItsHolder(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir, Options{})
	require.NoError(t, err)
	defer s.Close()
	_, err = New(dir, Options{})
	require.Error(t, err)
	host, _ := os.Hostname()
	require.ErrorContains(t, err, fmt.Sprintf("host %s pid %d since ", host, os.Getpid()))
	require.ErrorContains(t, err, "wait for it to finish")
}
