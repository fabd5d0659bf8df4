package bot

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForEach(t *testing.T) {
	items := make([]int, 100)
	for i := range items {
		items[i] = i
	}
	t.Run("runs everything with bounded workers", func(t *testing.T) {
		var running, peak, sum atomic.Int64
		var last [2]int
		err := forEach(context.Background(), items, 4, func(_ context.Context, i int) error {
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			sum.Add(int64(i))
			running.Add(-1)
			return nil
		}, func(done, total int) { last = [2]int{done, total} })
		require.NoError(t, err)
		assert.Equal(t, int64(4950), sum.Load())
		assert.LessOrEqual(t, peak.Load(), int64(4))
		assert.Equal(t, [2]int{100, 100}, last)
	})
	t.Run("first error stops the rest", func(t *testing.T) {
		boom := errors.New("user 7 failed")
		var ran atomic.Int64
		err := forEach(context.Background(), items, 2, func(ctx context.Context, i int) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			ran.Add(1)
			if i == 7 {
				return boom
			}
			return nil
		}, func(int, int) {})
		assert.ErrorIs(t, err, boom)
		assert.Less(t, ran.Load(), int64(100))
	})
	t.Run("caller cancellation", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := forEach(ctx, items, 2, func(ctx context.Context, i int) error { return ctx.Err() }, func(int, int) {})
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("no items", func(t *testing.T) {
		var last [2]int
		require.NoError(t, forEach(context.Background(), []int{}, 4, func(context.Context, int) error { return nil },
			func(done, total int) { last = [2]int{done, total} }))
		assert.Equal(t, [2]int{0, 0}, last)
	})
}
