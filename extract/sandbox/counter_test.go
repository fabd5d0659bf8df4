package sandbox

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCounter(t *testing.T) {
	tests := []struct {
		name string
		incs []string
		want map[string]int
	}{
		{name: "zero value counts nothing", want: map[string]int{}},
		{name: "counts per key", incs: []string{"/users", "/users", "/groups"}, want: map[string]int{"/users": 2, "/groups": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Counter
			for _, k := range tt.incs {
				c.Inc(k)
			}
			assert.Equal(t, tt.want, c.Snapshot())
			for k, n := range tt.want {
				assert.Equal(t, n, c.Get(k), k)
			}
			assert.Zero(t, c.Get("/never"))
		})
	}
}

func TestCounterSnapshotIsACopy(t *testing.T) {
	var c Counter
	c.Inc("a")
	snap := c.Snapshot()
	snap["a"] = 99
	c.Inc("a")
	assert.Equal(t, 2, c.Get("a"))
	assert.Equal(t, 99, snap["a"], "a snapshot does not move with the counter")
}

func TestCounterReset(t *testing.T) {
	var c Counter
	c.Inc("a")
	c.Reset()
	assert.Zero(t, c.Get("a"))
	assert.Empty(t, c.Snapshot())
	c.Inc("a")
	assert.Equal(t, 1, c.Get("a"), "counts again after a reset")
}

func TestCounterConcurrentUse(t *testing.T) {
	var c Counter
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				c.Inc("k")
				_ = c.Get("k")
				_ = c.Snapshot()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1600, c.Get("k"))
}
