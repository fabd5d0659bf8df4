package ahead

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// walkN emits 0..n-1 until emit refuses, counting what was emitted.
func walkN(n int, emitted *atomic.Int64) func(context.Context, func(int) error) error {
	return func(ctx context.Context, emit func(int) error) error {
		for i := range n {
			if err := emit(i); err != nil {
				return err
			}
			emitted.Add(1)
		}
		return nil
	}
}

func TestDecodeAheadKeepsWalkOrderAndBoundsWhatWaits(t *testing.T) {
	const ahead = 3
	var (
		emitted, handledN atomic.Int64
		maxWaiting        int64
	)
	var got []int
	r := rand.New(rand.NewPCG(3, 4))
	delays := make([]time.Duration, 200)
	for i := range delays {
		delays[i] = time.Duration(r.IntN(300)) * time.Microsecond
	}
	err := Decode(context.Background(), 4, ahead, walkN(200, &emitted),
		func(i int) (int, error) {
			time.Sleep(delays[i]) // decoders finish out of order
			return i * 10, nil
		},
		func(v int) error {
			// emitted counts pages emit accepted: the one being handled, the
			// queued ones, plus one emit that may be blocked on the queue.
			if w := emitted.Load() - handledN.Load(); w > maxWaiting {
				maxWaiting = w
			}
			got = append(got, v)
			handledN.Add(1)
			return nil
		})
	require.NoError(t, err)
	require.Len(t, got, 200)
	for i, v := range got {
		require.Equal(t, i*10, v, "pages reach the handler in walk order")
	}
	assert.LessOrEqual(t, maxWaiting, int64(ahead+1), "at most ahead pages wait, besides the one handled")
}

func TestDecodeAheadStopsOnTheFirstError(t *testing.T) {
	stop := errors.New("stop here")
	bad := errors.New("cannot decode")
	walkFailed := errors.New("request failed")
	tests := []struct {
		name   string
		walk   func(*atomic.Int64) func(context.Context, func(int) error) error
		decode func(int) (int, error)
		handle func(int) error
		want   error
	}{
		{"handler stops", func(e *atomic.Int64) func(context.Context, func(int) error) error { return walkN(1000, e) },
			func(i int) (int, error) { return i, nil },
			func(i int) error {
				if i == 5 {
					return stop
				}
				return nil
			}, stop},
		{"decode fails", func(e *atomic.Int64) func(context.Context, func(int) error) error { return walkN(1000, e) },
			func(i int) (int, error) {
				if i == 7 {
					return 0, bad
				}
				return i, nil
			},
			func(int) error { return nil }, bad},
		{"walk fails", func(e *atomic.Int64) func(context.Context, func(int) error) error {
			return func(ctx context.Context, emit func(int) error) error {
				for i := range 3 {
					if err := emit(i); err != nil {
						return err
					}
				}
				return walkFailed
			}
		}, func(i int) (int, error) { return i, nil }, func(int) error { return nil }, walkFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var emitted atomic.Int64
			var handled []int
			err := Decode(context.Background(), 2, 2, tt.walk(&emitted), tt.decode, func(v int) error {
				handled = append(handled, v)
				return tt.handle(v)
			})
			require.ErrorIs(t, err, tt.want)
			assert.Less(t, emitted.Load(), int64(20), "the walk stopped soon after the error")
			for i, v := range handled {
				assert.Equal(t, i, v, "nothing after the error was handled, nothing skipped before it")
			}
		})
	}
}

func TestDecodeAheadEndsWithTheCallersContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := Decode(ctx, 2, 2,
		func(ctx context.Context, emit func(int) error) error {
			for i := 0; ; i++ {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := emit(i); err != nil {
					return err
				}
			}
		},
		func(i int) (int, error) { return i, nil },
		func(int) error {
			if n++; n == 10 {
				cancel()
			}
			return nil
		})
	assert.ErrorIs(t, err, context.Canceled)
}
