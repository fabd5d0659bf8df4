package engine

// A Hold lets an extractor reuse memory its rows point into (a page's
// body) once nothing will read it again. Rows given by layout are built
// on the table's own goroutine after Emit returns, and their strings may
// still point into that memory until then. The emitter Retains a row's
// Hold once for each block of rows the row is in, and Releases it once
// the block is built or dropped; the extractor keeps a reference of its
// own while it emits, and reuses the memory after the last Release.
//
// Releasing early would let the extractor overwrite rows not yet built,
// silently; releasing never only costs the reuse. So every path that
// cannot tell leaves the Hold held.
type Hold interface {
	// Retain adds a reference.
	Retain()
	// Release drops a reference.
	Release()
}
