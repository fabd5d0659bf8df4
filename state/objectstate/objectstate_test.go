package objectstate_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/objectstore/localfs"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/state/objectstate"
	"github.com/adoptionlabs/etl/state/statetest"
)

// localStores: every store a test opens shares one directory, as two runs
// share a bucket; each one has its own localfs instance (its own flock), as
// two processes would.
func localStores() func(t *testing.T) state.Store {
	dirs := map[string]string{}
	return func(t *testing.T) state.Store {
		dir, ok := dirs[t.Name()]
		if !ok {
			dir = t.TempDir()
			dirs[t.Name()] = dir
		}
		objs, err := localfs.Open(dir)
		require.NoError(t, err)
		t.Cleanup(func() { _ = objs.Close() })
		return openState(t, objs)
	}
}

func openState(t *testing.T, objs objectstore.Store) *objectstate.Store {
	t.Helper()
	s, err := objectstate.Open(context.Background(), objs)
	require.NoError(t, err)
	return s
}

func TestContractOnLocalDirectory(t *testing.T) {
	statetest.StoreContract(t, localStores())
}

func TestLockRaceOnLocalDirectory(t *testing.T) {
	lockRace(t, func(t *testing.T) func(t *testing.T) objectstore.Store {
		dir := t.TempDir()
		return func(t *testing.T) objectstore.Store {
			objs, err := localfs.Open(dir)
			require.NoError(t, err)
			t.Cleanup(func() { _ = objs.Close() })
			return objs
		}
	})
}
