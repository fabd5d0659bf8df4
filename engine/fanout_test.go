package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// progressLog records ForEach's progress calls; it takes no lock of its own
// so the race detector catches overlapping calls.
type progressLog struct{ calls [][2]int }

func (p *progressLog) record(done, total int) { p.calls = append(p.calls, [2]int{done, total}) }

func TestForEach(t *testing.T) {
	numbers := func(n int) []int {
		items := make([]int, n)
		for i := range items {
			items[i] = i
		}
		return items
	}
	boom := errors.New("user 7: page 2: 500")
	tests := []struct {
		name    string
		items   []int
		workers int
		// cancelled runs ForEach under an already cancelled context.
		cancelled bool
		// fail makes item fail (nil: every item succeeds).
		fail    func(item int) error
		wantErr error
		// wantAll expects every item to have run exactly once.
		wantAll bool
	}{
		{name: "every item runs once with bounded workers", items: numbers(100), workers: 4, wantAll: true},
		{name: "more workers than items", items: numbers(3), workers: 16, wantAll: true},
		{name: "fewer than one worker means one", items: numbers(10), workers: 0, wantAll: true},
		{name: "zero items", items: []int{}, workers: 4, wantAll: true},
		{name: "nil items", items: nil, workers: 4, wantAll: true},
		{
			name: "first error cancels the rest and is returned", items: numbers(100), workers: 2,
			fail: func(i int) error {
				if i == 7 {
					return boom
				}
				return nil
			},
			wantErr: boom,
		},
		{
			name: "only the first of several errors is returned", items: numbers(100), workers: 1,
			fail: func(i int) error {
				if i >= 3 {
					return fmt.Errorf("item %d: %w", i, boom)
				}
				return nil
			},
			wantErr: boom,
		},
		{name: "caller cancellation", items: numbers(100), workers: 2, cancelled: true, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancelled {
				cancel()
			}
			var (
				running, peak atomic.Int64
				mu            sync.Mutex
				ran           []int
				log           progressLog
			)
			err := ForEach(ctx, tt.items, tt.workers, log.record, func(ctx context.Context, i int) error {
				n := running.Add(1)
				defer running.Add(-1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				// Once the run is cancelled no item may do work; a
				// worker that still got one says so.
				if ctx.Err() != nil {
					return context.Cause(ctx)
				}
				// Let other workers overlap so the bound is exercised.
				time.Sleep(50 * time.Microsecond)
				mu.Lock()
				ran = append(ran, i)
				mu.Unlock()
				if tt.fail != nil {
					return tt.fail(i)
				}
				return nil
			})

			assert.LessOrEqual(t, peak.Load(), int64(max(tt.workers, 1)), "concurrency above the bound")
			require.NotEmpty(t, log.calls)
			assert.Equal(t, [2]int{0, len(tt.items)}, log.calls[0], "the total is announced before any work")
			for i := 1; i < len(log.calls); i++ {
				assert.Equal(t, [2]int{i, len(tt.items)}, log.calls[i], "done grows by one per success")
			}
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Less(t, len(ran), len(tt.items), "a failed run stops handing out items")
				return
			}
			require.NoError(t, err)
			if tt.wantAll {
				want := append([]int{}, tt.items...)
				sort.Ints(ran)
				assert.Equal(t, len(want), len(ran))
				if len(want) > 0 {
					assert.Equal(t, want, ran, "each item exactly once, in any order")
				}
				assert.Equal(t, [2]int{len(tt.items), len(tt.items)}, log.calls[len(log.calls)-1])
			}
		})
	}
}

func TestForEachReturnsTheWorkersOwnError(t *testing.T) {
	// The wrapping of the failing item (which user, which page) must reach
	// the caller rather than a bare cancellation.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := ForEach(ctx, []string{"u1"}, 1, nil, func(ctx context.Context, id string) error {
		cancel()
		return fmt.Errorf("user %s page 3: %w", id, ctx.Err())
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.EqualError(t, err, "user u1 page 3: context canceled")
}

func TestForEachCancellationReturnsPromptly(t *testing.T) {
	// Workers blocked on ctx (a slow request) must be released by the
	// caller's cancellation, and no queued item may start afterwards.
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int64
	result := make(chan error, 1)
	go func() {
		result <- ForEach(ctx, make([]int, 1000), 3, nil, func(ctx context.Context, _ int) error {
			started.Add(1)
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	require.Eventually(t, func() bool { return started.Load() == 3 }, 5*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-result:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("ForEach did not return after its context was cancelled")
	}
	assert.Equal(t, int64(3), started.Load(), "no item starts after cancellation")
}

func TestForEachNilProgress(t *testing.T) {
	var n atomic.Int64
	require.NoError(t, ForEach(context.Background(), []int{1, 2, 3}, 2, nil, func(_ context.Context, i int) error {
		n.Add(int64(i))
		return nil
	}))
	assert.Equal(t, int64(6), n.Load())
}
