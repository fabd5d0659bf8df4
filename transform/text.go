package transform

import (
	"slices"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// textColumn gathers one string column of a batch in buffers that serve
// batch after batch, and hands each batch to Arrow in buffers of exactly
// its size.
//
// Arrow's StringBuilder gives its buffers to every array it makes and
// starts the next one from nothing, growing by doubling; each growth
// copies what is there and zeroes the new half (bufferBuilder.resize), and
// the fresh memory is first touched there, page by page: in a backfill
// that zeroing and its page faults showed in the CPU profile. Here the text
// lands in warm buffers, and each batch
// costs one copy into memory that is never zeroed (slices.Clone).
type textColumn struct {
	offsets []int32 // offsets[0] == 0; one more than the rows
	data    []byte
	// valid is the validity bitmap, kept only once a null arrived
	// (nulls > 0); rows before it are valid.
	valid []byte
	nulls int
}

func newTextColumn() *textColumn { return &textColumn{offsets: []int32{0}} }

func (c *textColumn) len() int { return len(c.offsets) - 1 }

func (c *textColumn) append(s string) {
	if c.nulls > 0 {
		c.setValid(c.len(), true)
	}
	c.data = append(c.data, s...)
	c.offsets = append(c.offsets, int32(len(c.data)))
}

// reserve makes room for rows rows in all, at the bytes a row of the rows
// so far took, and a quarter more: grown by doubling instead, the first
// batch's text was copied about once more and touched twice the memory it
// ends in, page fault by page fault. A batch that outgrows it grows as
// before, and so does one
// whose estimate passes maxReserve: a few long values among the first rows
// must not reserve (and touch) memory the batch may never fill.
func (c *textColumn) reserve(rows int) {
	n := c.len()
	if n == 0 || rows <= n {
		return
	}
	if want := min(len(c.data)/n*rows*5/4, maxReserve); cap(c.data) < want {
		c.data = slices.Grow(c.data, want-len(c.data))
	}
	if cap(c.offsets) < rows+1 {
		c.offsets = slices.Grow(c.offsets, rows+1-len(c.offsets))
	}
}

// maxReserve bounds what reserve sets aside for one column's text.
const maxReserve = 16 << 20

func (c *textColumn) appendNull() {
	n := c.len()
	if c.nulls == 0 {
		// Every row so far was valid.
		c.valid = c.valid[:0]
		for i := 0; i < n; i++ {
			c.setValid(i, true)
		}
	}
	c.setValid(n, false)
	c.nulls++
	c.offsets = append(c.offsets, int32(len(c.data)))
}

func (c *textColumn) setValid(i int, ok bool) {
	for len(c.valid) <= i/8 {
		c.valid = append(c.valid, 0)
	}
	if ok {
		bitutil.SetBit(c.valid, i)
	} else {
		bitutil.ClearBit(c.valid, i)
	}
}

// newArray returns the rows gathered as a String array and starts over,
// keeping the buffers. The array's memory is its own (Go memory, freed by
// the collector once the array is released and unreachable).
func (c *textColumn) newArray() arrow.Array {
	n := c.len()
	offsets := slices.Clone(unsafe.Slice((*byte)(unsafe.Pointer(&c.offsets[0])), len(c.offsets)*arrow.Int32SizeBytes))
	var valid *memory.Buffer
	if c.nulls > 0 {
		valid = memory.NewBufferBytes(slices.Clone(c.valid[:bitutil.BytesForBits(int64(n))]))
	}
	// A batch without text still needs a data buffer Arrow can slice.
	data := slices.Clone(c.data)
	if data == nil {
		data = []byte{}
	}
	d := array.NewData(arrow.BinaryTypes.String, n,
		[]*memory.Buffer{valid, memory.NewBufferBytes(offsets), memory.NewBufferBytes(data)}, nil, c.nulls, 0)
	defer d.Release()
	c.offsets = c.offsets[:1]
	c.data = c.data[:0]
	c.valid = c.valid[:0]
	c.nulls = 0
	return array.NewStringData(d)
}
