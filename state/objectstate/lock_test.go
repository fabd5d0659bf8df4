package objectstate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/state/objectstate"
)

// lockRace runs the lock's own cases. place returns, for each case, a fresh
// place and a function that opens it: each call is another process's view
// of that same place.
func lockRace(t *testing.T, place func(t *testing.T) func(t *testing.T) objectstore.Store) {
	t.Run("two hosts race: one wins, the other is told who holds it", func(t *testing.T) {
		open := place(t)
		ctx := context.Background()
		stores := []*objectstate.Store{openState(t, open(t)), openState(t, open(t))}
		t.Cleanup(func() {
			for _, s := range stores {
				_ = s.Close()
			}
		})
		holders := []state.Holder{
			{Host: "host-a", PID: 101, RunID: "run-a", Command: "etl run --sink parquet"},
			{Host: "host-b", PID: 202, RunID: "run-b", Command: "etl run --sink parquet"},
		}
		for round := range 5 {
			name := fmt.Sprintf("nightly-%d", round)
			var (
				wg    sync.WaitGroup
				locks = make([]state.Lock, 2)
				errs  = make([]error, 2)
				start = make(chan struct{})
			)
			for i := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					locks[i], _, errs[i] = stores[i].Lock(ctx, name, time.Minute, holders[i])
				}()
			}
			close(start)
			wg.Wait()
			winner := -1
			for i := range stores {
				if errs[i] == nil {
					require.Equal(t, -1, winner, "round %d: both won", round)
					winner = i
				}
			}
			require.NotEqual(t, -1, winner, "round %d: nobody won: %v", round, errs)
			loser := 1 - winner
			var locked *state.LockedError
			require.ErrorAs(t, errs[loser], &locked, "round %d", round)
			assert.Equal(t, holders[winner].Host, locked.Holder.Host)
			assert.Equal(t, holders[winner].PID, locked.Holder.PID)
			assert.Equal(t, holders[winner].RunID, locked.Holder.RunID)
			msg := errs[loser].Error()
			assert.Contains(t, msg, holders[winner].Host)
			assert.Contains(t, msg, "_etl/locks/"+name+".json", "the refusal says what to remove if the holder is gone")
			require.NoError(t, locks[winner].Release(ctx))

			// Released, the loser gets it.
			l, stale, err := stores[loser].Lock(ctx, name, time.Minute, holders[loser])
			require.NoError(t, err)
			assert.Nil(t, stale, "a released lock is free, not stale")
			require.NoError(t, l.Release(ctx))
		}
	})

	t.Run("a crashed holder is taken over after the ttl, not before", func(t *testing.T) {
		open := place(t)
		ctx := context.Background()
		const ttl = time.Second
		crashed, taker := openState(t, open(t)), openState(t, open(t))
		t.Cleanup(func() { _ = taker.Close() })
		_, _, err := crashed.Lock(ctx, "backfill", ttl, state.Holder{Host: "host-crashed", PID: 303, RunID: "run-crashed"})
		require.NoError(t, err)
		require.NoError(t, crashed.Close()) // heartbeats stop, the lock stays: kill -9
		stopped := time.Now()

		var (
			got   state.Lock
			stale *state.Holder
		)
		for got == nil {
			l, h, err := taker.Lock(ctx, "backfill", ttl, state.Holder{Host: "host-taker", PID: 404})
			if err != nil {
				var locked *state.LockedError
				require.ErrorAs(t, err, &locked)
				assert.Equal(t, "host-crashed", locked.Holder.Host)
				require.Less(t, time.Since(stopped), 10*ttl, "never taken over")
				time.Sleep(100 * time.Millisecond)
				continue
			}
			got, stale = l, h
		}
		assert.GreaterOrEqual(t, time.Since(stopped), ttl, "taken over before the ttl")
		require.NotNil(t, stale)
		assert.Equal(t, "host-crashed", stale.Host)
		assert.Equal(t, "run-crashed", stale.RunID)
		require.NoError(t, got.Release(ctx))
	})

	t.Run("a holder whose lock was removed learns it at its next heartbeat", func(t *testing.T) {
		open := place(t)
		ctx := context.Background()
		objs := open(t)
		s := openState(t, objs)
		t.Cleanup(func() { _ = s.Close() })
		l, _, err := s.Lock(ctx, "removed", 200*time.Millisecond, state.Holder{Host: "host-a", PID: 505})
		require.NoError(t, err)
		require.NoError(t, objs.Delete(ctx, "_etl/locks/removed.json"))
		select {
		case <-l.Lost():
		case <-time.After(5 * time.Second):
			t.Fatal("the heartbeat did not notice that the lock was removed")
		}
		require.NoError(t, l.Release(ctx), "releasing a lost lock is harmless")
		_, err = objs.Stat(ctx, "_etl/locks/removed.json")
		require.True(t, errors.Is(err, objectstore.ErrNotFound), "a lost lock is never written again: %v", err)
	})

	t.Run("the documents are JSON under _etl", func(t *testing.T) {
		open := place(t)
		ctx := context.Background()
		objs := open(t)
		s := openState(t, objs)
		t.Cleanup(func() { _ = s.Close() })
		require.NoError(t, s.Advance(ctx, state.Entry{Source: "userflow", Stream: "users", Watermark: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}))
		require.NoError(t, s.MarkDone(ctx, "plan-1", state.TaskKey("userflow", "users", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))))
		l, _, err := s.Lock(ctx, "nightly", time.Minute, state.Holder{})
		require.NoError(t, err)
		defer l.Release(ctx)
		keys, err := objectstore.Keys(ctx, objs, "")
		require.NoError(t, err)
		assert.Equal(t, []string{"_etl/backfill/plan-1.json", "_etl/locks/nightly.json", "_etl/state.json"}, keys)
		b, _, err := objectstore.ReadAll(ctx, objs, "_etl/state.json")
		require.NoError(t, err)
		assert.True(t, strings.Contains(string(b), `"watermark": "2026-01-02T00:00:00Z"`), string(b))
	})
}
