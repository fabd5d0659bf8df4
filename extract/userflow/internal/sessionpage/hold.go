package sessionpage

import "sync/atomic"

// hold is the engine.Hold of a page's body: a count of references, the
// walk's own and one per block of rows the engine has yet to build; free
// runs after the last Release and gives the body back for reuse.
type hold struct {
	refs atomic.Int32
	free func()
}

// newHold returns a hold with one reference, the caller's.
func newHold(free func()) *hold {
	h := &hold{free: free}
	h.refs.Store(1)
	return h
}

// Retain adds a reference.
func (h *hold) Retain() { h.refs.Add(1) }

// Release drops a reference; the last one calls free.
func (h *hold) Release() {
	switch n := h.refs.Add(-1); {
	case n == 0:
		h.free()
	case n < 0:
		panic("sessionpage: a page body's hold released more often than retained")
	}
}
