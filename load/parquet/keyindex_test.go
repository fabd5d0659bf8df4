package parquet

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The index finds every key the load carries with its newest (version,
// extraction time), finds no other, and lets exactly one of the load's rows
// of a key through: the newest, the last written among ties.
func TestKeyIndexKeepsTheNewestRowOfEachKey(t *testing.T) {
	for _, n := range []int{0, 1, 3, 17, 1000, 50_000} {
		rng := rand.New(rand.NewSource(int64(n)))
		type loaded struct {
			h    keyHash
			v, x int64
		}
		keys := make([]keyHash, n/2+1)
		for i := range keys {
			keys[i] = keyHash{rng.Uint64(), rng.Uint64()}
		}
		keys[0][0] = 0 // the first and last buckets
		keys[len(keys)-1][0] = ^uint64(0)
		var rows []loaded
		newest := map[keyHash]loaded{}
		for range n {
			r := loaded{keys[rng.Intn(len(keys))], int64(rng.Intn(3)), int64(rng.Intn(2))}
			rows = append(rows, r)
			if old, ok := newest[r.h]; !ok || r.v > old.v || r.v == old.v && r.x >= old.x {
				newest[r.h] = r
			}
		}
		ix := &keyIndex{}
		for _, r := range rows {
			ix.add(r.h, r.v, r.x)
		}
		ix.build()
		require.Len(t, ix.entries, len(newest), "n=%d", n)
		for h, r := range newest {
			i, ok := ix.find(h)
			require.True(t, ok)
			assert.Equal(t, keyEntry{r.h, r.v, r.x}, ix.entries[i])
			assert.False(t, ix.keepLive(h, r.v), "a live row at the load's version goes")
			assert.True(t, ix.keepLive(h, r.v+1), "a newer live row stays")
		}
		for range 100 {
			_, ok := ix.find(keyHash{rng.Uint64(), rng.Uint64()})
			assert.False(t, ok)
		}
		kept := map[keyHash]int{}
		last := map[keyHash]int{}
		for i, r := range rows {
			if r == newest[r.h] {
				last[r.h] = i
			}
		}
		for i, r := range rows {
			if ix.keepLoaded(r.h, r.v, r.x) {
				kept[r.h]++
				assert.Equal(t, last[r.h], i, "the last of the newest rows is kept")
			}
		}
		for h := range newest {
			assert.Equal(t, 1, kept[h])
		}
	}
}
