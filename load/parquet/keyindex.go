package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/bits"
	"slices"

	parquetgo "github.com/parquet-go/parquet-go"

	"github.com/adoptionlabs/etl/schemas"
)

// keyHash identifies a merge table's key by two 64-bit maphash values
// under independent seeds drawn when the process starts: 128 bits that no
// source can aim a collision at (the seeds are secret and change every
// run) and that are never written anywhere. Two different keys of one
// partition share a hash with probability at most n*m/2^128 for n keys in
// the load and m rows in the partition: below 10^-24 for 10^7 of each.
// That is what a merge would get wrong (a live row taken for an older
// version of a load's key): far below the odds of an undetected disk error.
type keyHash [2]uint64

var keySeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func (h keyHash) less(o keyHash) bool { return h[0] < o[0] || h[0] == o[0] && h[1] < o[1] }

// keyColumns are the leaf columns of one file that identify and order its
// rows: the key columns, the version and _extracted_at (-1 when the table
// has none). Looked up by name in each file's own schema, so files written
// before a column was added read the same.
type keyColumns struct {
	key                []int
	version, extracted int
}

func lookupKeyColumns(s *parquetgo.Schema, t *schemas.Table) (keyColumns, error) {
	var kc keyColumns
	for _, k := range t.Key {
		leaf, ok := s.Lookup(k)
		if !ok {
			return kc, fmt.Errorf("the file has no key column %s", k)
		}
		kc.key = append(kc.key, leaf.ColumnIndex)
	}
	leaf, ok := s.Lookup(t.Version)
	if !ok {
		return kc, fmt.Errorf("the file has no version column %s", t.Version)
	}
	kc.version = leaf.ColumnIndex
	kc.extracted = -1
	if leaf, ok := s.Lookup(schemas.ExtractedAt); ok {
		kc.extracted = leaf.ColumnIndex
	}
	return kc, nil
}

// rowKeys are the key hash, version and extraction time of each row of a
// row group.
type rowKeys struct {
	hash      []keyHash
	version   []int64
	extracted []int64
	buf       []byte
	vals      []parquetgo.Value
}

// read fills k with the rows of rg, column by column: no row is assembled.
// A key is hashed column after column, each column's value tagged with its
// kind (a null has a kind of its own) and chained to the hash so far, so
// ("ab","c") and ("a","bc") differ.
func (k *rowKeys) read(rg parquetgo.RowGroup, kc keyColumns) error {
	n := int(rg.NumRows())
	k.hash = slices.Grow(k.hash[:0], n)[:n]
	k.version = slices.Grow(k.version[:0], n)[:n]
	k.extracted = slices.Grow(k.extracted[:0], n)[:n]
	chunks := rg.ColumnChunks()
	for i, c := range kc.key {
		first := i == 0
		err := k.each(chunks[c], n, func(row int, v parquetgo.Value) {
			b := k.buf[:0]
			if !first {
				b = binary.LittleEndian.AppendUint64(b, k.hash[row][0])
				b = binary.LittleEndian.AppendUint64(b, k.hash[row][1])
			}
			b = appendValue(b, v)
			k.hash[row] = keyHash{maphash.Bytes(keySeeds[0], b), maphash.Bytes(keySeeds[1], b)}
			k.buf = b
		})
		if err != nil {
			return err
		}
	}
	if err := k.each(chunks[kc.version], n, func(row int, v parquetgo.Value) { k.version[row] = versionOf(v) }); err != nil {
		return err
	}
	if kc.extracted < 0 {
		clear(k.extracted)
		return nil
	}
	return k.each(chunks[kc.extracted], n, func(row int, v parquetgo.Value) { k.extracted[row] = versionOf(v) })
}

// each calls fn with the value of every row of a column chunk of single
// values (no list: key, version and _extracted_at never are).
func (k *rowKeys) each(chunk parquetgo.ColumnChunk, n int, fn func(row int, v parquetgo.Value)) error {
	if cap(k.vals) < rowsPerWrite {
		k.vals = make([]parquetgo.Value, rowsPerWrite)
	}
	buf := k.vals[:rowsPerWrite]
	pages := chunk.Pages()
	defer pages.Close()
	row := 0
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		values := p.Values()
		for {
			m, err := values.ReadValues(buf)
			for _, v := range buf[:m] {
				if row >= n {
					parquetgo.Release(p)
					return fmt.Errorf("column %d holds more values than the row group's %d rows", v.Column(), n)
				}
				fn(row, v)
				row++
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquetgo.Release(p)
				return err
			}
		}
		parquetgo.Release(p)
	}
	if row != n {
		return fmt.Errorf("a column holds %d values for %d rows", row, n)
	}
	return nil
}

func appendValue(b []byte, v parquetgo.Value) []byte {
	if v.IsNull() {
		return append(b, 0)
	}
	b = append(b, byte(v.Kind())+1)
	switch v.Kind() {
	case parquetgo.ByteArray, parquetgo.FixedLenByteArray:
		return append(b, v.ByteArray()...)
	case parquetgo.Boolean:
		if v.Boolean() {
			return append(b, 1)
		}
		return append(b, 0)
	case parquetgo.Int32:
		return binary.LittleEndian.AppendUint32(b, uint32(v.Int32()))
	case parquetgo.Float:
		return binary.LittleEndian.AppendUint32(b, math.Float32bits(v.Float()))
	case parquetgo.Double:
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Double()))
	}
	return binary.LittleEndian.AppendUint64(b, uint64(v.Int64()))
}

// versionOf reads a version or a time (a Date is INT32, a Timestamp or
// Int64 INT64); a null sorts below every other.
func versionOf(v parquetgo.Value) int64 {
	switch {
	case v.IsNull():
		return math.MinInt64
	case v.Kind() == parquetgo.Int32:
		return int64(v.Int32())
	default:
		return v.Int64()
	}
}

// keyEntry is one key of a load: its hash and the newest (version,
// extraction time) the load carries for it.
type keyEntry struct {
	h    keyHash
	v, x int64
}

func (e keyEntry) newer(o keyEntry) bool { return e.v > o.v || e.v == o.v && e.x > o.x }

// keyIndex is the keys a load brings to one partition (within one hash
// range, hashRange), 32 bytes a key (and a directory of 1 to 2 bytes a
// key): sorted by hash, one entry per key with
// the newest row of that key the load carries. Among the load's rows of a
// key the greatest version wins, then the latest extraction, then the last
// written. Against the partition's live rows the greatest version wins and
// a tie goes to the load.
type keyIndex struct {
	entries []keyEntry
	// liveWins marks the keys whose live row is newer than the load's
	// (one bit an entry): the load's rows of those keys are dropped.
	liveWins []uint64
	// repeats holds the keys the load carries more than once, with how
	// many of its rows tie at the winning (version, extraction time): the
	// last of them wins, counted down as the load's rows are copied.
	repeats map[keyHash]uint32
	// dropped counts the load's rows that lose: repeats and rows of keys
	// whose live row wins.
	dropped int64
	// dir[b] is where the entries of bucket b (the leading bits of their
	// hash, 64-shift of them) start; dir has a bucket for every 2 to 4
	// entries.
	dir   []uint32
	shift uint
}

// add appends a row of the load; build sorts and collapses them.
func (ix *keyIndex) add(h keyHash, v, x int64) {
	ix.entries = append(ix.entries, keyEntry{h, v, x})
}

// build sorts the rows added and collapses each key's into one entry. The
// hashes are uniform, so the entries are first distributed in place among
// buckets of their leading bits (an American flag sort, O(n)), a few
// entries each, then each bucket sorted; the bucket boundaries stay as a
// directory that find looks a hash up in. Rows of one key that tie on
// (version, extraction time) are the same entry: which of them is written
// last is counted out in keepLoaded, so their order does not matter.
func (ix *keyIndex) build() {
	n := len(ix.entries)
	bits := uint(0)
	for n>>(bits+2) > 0 && bits < 20 {
		bits++
	}
	ix.shift = 64 - bits
	nb := 1 << bits
	ix.dir = make([]uint32, nb+1)
	for _, e := range ix.entries {
		ix.dir[ix.bucket(e.h)+1]++
	}
	for b := 1; b <= nb; b++ {
		ix.dir[b] += ix.dir[b-1]
	}
	next := slices.Clone(ix.dir[:nb])
	for b := range nb {
		for next[b] < ix.dir[b+1] {
			i := next[b]
			to := ix.bucket(ix.entries[i].h)
			if to == b {
				next[b]++
				continue
			}
			j := next[to]
			next[to]++
			ix.entries[i], ix.entries[j] = ix.entries[j], ix.entries[i]
		}
	}
	for b := range nb {
		bucket := ix.entries[ix.dir[b]:ix.dir[b+1]]
		for i := 1; i < len(bucket); i++ { // a handful of entries: insertion sort
			for j := i; j > 0 && entryLess(bucket[j], bucket[j-1]); j-- {
				bucket[j], bucket[j-1] = bucket[j-1], bucket[j]
			}
		}
	}
	out := ix.entries[:0]
	for i := 0; i < len(ix.entries); {
		j := i + 1
		for j < len(ix.entries) && ix.entries[j].h == ix.entries[i].h {
			j++
		}
		win := ix.entries[j-1]
		if j-i > 1 {
			ties := uint32(0)
			for _, e := range ix.entries[i:j] {
				if e.v == win.v && e.x == win.x {
					ties++
				}
			}
			if ix.repeats == nil {
				ix.repeats = map[keyHash]uint32{}
			}
			ix.repeats[win.h] = ties
			ix.dropped += int64(j - i - 1)
		}
		out = append(out, win)
		i = j
	}
	ix.entries = out
	// The directory of the collapsed entries: dir[b] is the first entry of
	// bucket b or after it.
	j := 0
	for b := 0; b <= nb; b++ {
		for j < len(out) && ix.bucket(out[j].h) < b {
			j++
		}
		ix.dir[b] = uint32(j)
	}
	ix.liveWins = make([]uint64, (len(out)+63)/64)
}

func entryLess(a, b keyEntry) bool {
	if a.h != b.h {
		return a.h.less(b.h)
	}
	return b.newer(a)
}

// bucket is the directory bucket of a hash: its leading bits.
func (ix *keyIndex) bucket(h keyHash) int { return int(h[0] >> ix.shift) }

func (ix *keyIndex) find(h keyHash) (int, bool) {
	b := ix.bucket(h)
	for i := ix.dir[b]; i < ix.dir[b+1]; i++ {
		switch e := ix.entries[i].h; {
		case e == h:
			return int(i), true
		case h.less(e):
			return 0, false
		}
	}
	return 0, false
}

// live looks at a live row of the partition: it reports whether the row
// stays (the load has no row of its key at the same or a newer version)
// and, when it stays against a row of the load, marks that key won by the
// live row.
func (ix *keyIndex) live(h keyHash, v int64) bool {
	i, ok := ix.find(h)
	if !ok {
		return true
	}
	if v > ix.entries[i].v {
		if ix.liveWins[i/64]&(1<<(i%64)) == 0 {
			ix.liveWins[i/64] |= 1 << (i % 64)
			ix.dropped++
		}
		return true
	}
	return false
}

// keepLive is live without marking: whether a live row stays.
func (ix *keyIndex) keepLive(h keyHash, v int64) bool {
	i, ok := ix.find(h)
	return !ok || v > ix.entries[i].v
}

// keepLoaded reports whether a row of the load stays: its key's newest row
// in the load, not beaten by the live row. Called once per row of the load,
// in the order they were written, since the last of tied rows wins.
func (ix *keyIndex) keepLoaded(h keyHash, v, x int64) bool {
	i, ok := ix.find(h)
	if !ok {
		return false // not in this hash range
	}
	e := ix.entries[i]
	if v != e.v || x != e.x || ix.liveWins[i/64]&(1<<(i%64)) != 0 {
		return false
	}
	if n, ok := ix.repeats[h]; ok {
		ix.repeats[h] = n - 1
		return n == 1
	}
	return true
}

// hashRange is the share of key hashes one pass over a partition handles,
// so that the key index of a load bigger than the bound on its keys is
// built and used a range at a time: [lo, hi] on the first 64 bits.
type hashRange struct{ lo, hi uint64 }

// hashRanges splits the hash space into n equal ranges.
func hashRanges(n int) []hashRange {
	out := make([]hashRange, n)
	for k := range n {
		lo, _ := bits.Div64(uint64(k), 0, uint64(n)) // k * 2^64 / n
		out[k].lo = lo
		if k > 0 {
			out[k-1].hi = lo - 1
		}
	}
	out[n-1].hi = math.MaxUint64
	return out
}

func (r hashRange) has(h keyHash) bool { return h[0] >= r.lo && h[0] <= r.hi }
