package idset

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The set must answer exactly like a map, whatever the ids look like and
// however many there are: across its filter's growths, its tail's
// settling and its runs' merges, and for repeats near and far.
func TestUUIDSetAnswersLikeAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(i int) (u [16]byte) {
		binary.LittleEndian.PutUint64(u[:8], rng.Uint64())
		binary.LittleEndian.PutUint64(u[8:], rng.Uint64())
		return u
	}
	// UUIDv7-like: a clock in the leading bytes, little else varying.
	clocked := func(i int) (u [16]byte) {
		binary.BigEndian.PutUint64(u[:8], 1_800_000_000_000+uint64(i/3))
		binary.BigEndian.PutUint64(u[8:], uint64(i%3))
		return u
	}
	// Ids that differ in one byte only, at either end.
	oneByte := func(i int) (u [16]byte) {
		u[0], u[15] = byte(i), byte(i>>8)
		return u
	}
	cases := []struct {
		name string
		n    int
		id   func(int) [16]byte
	}{
		{"random", 70_000, random},
		{"clock first", 30_000, clocked},
		{"one byte apart", 65_536, oneByte},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newUUIDSet()
			want := map[[16]byte]bool{}
			var added [][16]byte
			for i := 0; i < c.n; i++ {
				u := c.id(i)
				// A repeat of a recent id (still in the tail) or of an old
				// one (in a run) now and then.
				if len(added) > 0 && i%97 == 0 {
					u = added[len(added)-1-rng.IntN(min(len(added), 50))]
				}
				if len(added) > 0 && i%89 == 0 {
					u = added[rng.IntN(len(added))]
				}
				isNew := !want[u]
				require.Equal(t, isNew, s.add(u), "add #%d", i)
				if isNew {
					want[u] = true
					added = append(added, u)
				}
				require.True(t, s.contains(u), "contains #%d right after its add", i)
			}
			assert.Equal(t, len(want), s.len())
			for u := range want {
				if !s.contains(u) {
					t.Fatalf("lost %x", u)
				}
			}
			misses := 0
			for i := 0; i < 20_000; i++ {
				u := random(i)
				u[7] ^= 0x5a // never one of the added
				if !want[u] && s.contains(u) {
					misses++
				}
			}
			assert.Zero(t, misses, "ids never added are never found")
		})
	}
}

// Buckets double as ids come, so an exact lookup scans a few dozen ids
// however many the walk has seen.
func TestUUIDSetKeepsItsBucketsSmall(t *testing.T) {
	s := newUUIDSet()
	var u [16]byte
	for i := 0; i < 300_000; i++ {
		binary.LittleEndian.PutUint64(u[:], uint64(i)*0x9e3779b97f4a7c15)
		s.add(u)
	}
	largest := 0
	for _, b := range s.buckets {
		largest = max(largest, len(b))
	}
	assert.LessOrEqual(t, largest, 3*bucketIDs, "ids in the fullest of %d buckets", len(s.buckets))
	assert.Equal(t, 300_000, s.len())
}

func BenchmarkSeenSetAdd(b *testing.B) {
	ids := make([]string, 200_000)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range ids {
		var u [16]byte
		binary.LittleEndian.PutUint64(u[:8], rng.Uint64())
		binary.LittleEndian.PutUint64(u[8:], rng.Uint64())
		ids[i] = formatUUID(u)
	}
	b.ResetTimer()
	for range b.N {
		s := New()
		for _, id := range ids {
			s.Add(id)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/id")
}

func formatUUID(u [16]byte) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&15])
	}
	return string(out)
}
