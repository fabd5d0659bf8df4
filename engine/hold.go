package engine

import "sync/atomic"

// A Hold lets an extractor reuse memory its rows point into (a page's
// body) once nothing will read it again. Rows given by layout are built
// on the table's own goroutine after Emit returns, and their strings still
// point into the page until then; a row that carries a Hold keeps it
// until the block holding that row is built (or dropped). The extractor
// holds the first reference and calls Release when it has emitted the
// page's last row; free runs after the last Release.
//
// Releasing early would let free's caller overwrite rows not yet built,
// silently; releasing never only costs the reuse. So every path that
// cannot tell leaves the Hold held.
type Hold struct {
	refs atomic.Int32
	free func()
}

// NewHold returns a Hold with one reference, the caller's.
func NewHold(free func()) *Hold {
	h := &Hold{free: free}
	h.refs.Store(1)
	return h
}

// Retain adds a reference.
func (h *Hold) Retain() { h.refs.Add(1) }

// Release drops a reference; the last one calls free.
func (h *Hold) Release() {
	switch n := h.refs.Add(-1); {
	case n == 0:
		h.free()
	case n < 0:
		panic("engine: Hold released more often than retained")
	}
}
