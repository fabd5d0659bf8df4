package idset

import (
	"encoding/binary"
	"math/bits"
)

// uuidSet is an exact set of 16-byte ids, shaped for the session walk:
// hundreds of thousands of random ids added, almost none seen twice.
//
// A Go map of them cost a cache and TLB miss an add in a backfill, into a
// table of several MiB, far more than a micro-benchmark of the same map
// with the cache to itself shows (BENCHMARKS.md, "Per stage"). Here an add
// reads one cache line of a Bloom filter of at least 16
// bits an id (512 KiB for 200,000 ids) and appends the id to one of a few
// thousand buckets, whose ends stay in cache. Only an id the filter may
// have seen (about 1 in 100, and every real repeat) is looked up: a scan
// of its bucket, some 100 ids.
type uuidSet struct {
	// filter is a Bloom filter blocked by 64-byte lines: an id sets
	// filterProbes bits of the one line its hash picks.
	filter []uint64
	// buckets hold the ids by hash; their number doubles as ids come, so
	// a bucket holds bucketIDs on average at most.
	buckets [][]uid
	n       int
}

// uid is an id as two numbers: comparing two is two compares.
type uid struct{ hi, lo uint64 }

const (
	// filterBitsPerID keeps the filter's false positives near 1%.
	filterBitsPerID = 16
	filterProbes    = 3
	// lineWords is the uint64 words of one 64-byte cache line.
	lineWords = 8
	bucketIDs = 128
)

func newUUIDSet() *uuidSet {
	return &uuidSet{filter: make([]uint64, lineWords*64), buckets: make([][]uid, 512)}
}

func (s *uuidSet) len() int { return s.n }

// add marks id seen and says whether it was new.
func (s *uuidSet) add(id [16]byte) bool {
	u := toUID(id)
	h := uuidHash(u)
	if !s.mark(h) && s.has(u, h) {
		return false
	}
	b := s.bucket(h)
	s.buckets[b] = append(s.buckets[b], u)
	s.n++
	if s.n > bucketIDs*len(s.buckets) {
		s.spread()
	}
	if s.n*filterBitsPerID > len(s.filter)*64 {
		s.grow()
	}
	return true
}

// contains says whether id was added.
func (s *uuidSet) contains(id [16]byte) bool {
	u := toUID(id)
	h := uuidHash(u)
	return s.mayHave(h) && s.has(u, h)
}

func toUID(u [16]byte) uid {
	return uid{binary.LittleEndian.Uint64(u[:8]), binary.LittleEndian.Uint64(u[8:])}
}

// uuidHash mixes both halves: session ids are random UUIDs, but an
// account may use ids whose leading bytes are a clock (UUIDv7), and the
// filter and buckets must not crowd them together.
func uuidHash(u uid) uint64 {
	x := u.hi ^ bits.RotateLeft64(u.lo, 29)
	x ^= x >> 32
	x *= 0xd6e8feb86659fd93
	x ^= x >> 32
	x *= 0xd6e8feb86659fd93
	return x ^ x>>32
}

// bucket is the bucket of hash h: its bits 27 and up (the filter's
// probes use bits 0-26).
func (s *uuidSet) bucket(h uint64) int {
	return int(h>>27) & (len(s.buckets) - 1)
}

// probe returns the first word of h's line and its bit positions there.
func (s *uuidSet) probe(h uint64) (base int, pos [filterProbes]uint) {
	lines := uint64(len(s.filter) / lineWords)
	line := (h >> 32) * lines >> 32 // the top half, scaled to the lines
	for i := range pos {
		pos[i] = uint(h>>(9*i)) & 511
	}
	return int(line) * lineWords, pos
}

// mark sets h's bits and says whether one of them was clear: then no id
// of hash h was added before.
func (s *uuidSet) mark(h uint64) (wasClear bool) {
	base, pos := s.probe(h)
	line := s.filter[base : base+lineWords : base+lineWords]
	for _, p := range pos {
		w, bit := &line[p>>6], uint64(1)<<(p&63)
		wasClear = wasClear || *w&bit == 0
		*w |= bit
	}
	return wasClear
}

func (s *uuidSet) mayHave(h uint64) bool {
	base, pos := s.probe(h)
	line := s.filter[base : base+lineWords : base+lineWords]
	for _, p := range pos {
		if line[p>>6]&(1<<(p&63)) == 0 {
			return false
		}
	}
	return true
}

// has looks u, of hash h, up exactly.
func (s *uuidSet) has(u uid, h uint64) bool {
	for _, v := range s.buckets[s.bucket(h)] {
		if v == u {
			return true
		}
	}
	return false
}

// spread doubles the buckets: each id stays or moves to its twin.
func (s *uuidSet) spread() {
	old := s.buckets
	s.buckets = make([][]uid, 2*len(old))
	for i := range s.buckets {
		s.buckets[i] = make([]uid, 0, bucketIDs+bucketIDs/2)
	}
	for _, b := range old {
		for _, u := range b {
			i := s.bucket(uuidHash(u))
			s.buckets[i] = append(s.buckets[i], u)
		}
	}
}

// grow makes the filter twice as large and marks every id again.
func (s *uuidSet) grow() {
	s.filter = make([]uint64, len(s.filter)*2)
	for _, b := range s.buckets {
		for _, u := range b {
			s.mark(uuidHash(u))
		}
	}
}
