package sessionpage

import (
	"os"
	"sync/atomic"
	"testing"
)

// bodyPool recycles the session list's page bodies. A walk reads ~80 KB a
// page, 2,000 pages for 200,000 sessions: allocated afresh, the bodies
// were a third of a backfill's allocations, each zeroed before the read
// overwrote it, and the collections they caused ran mark assists on the
// fetching goroutine, which is the walk's critical path. A body
// comes back once the engine has built every row that points into it
// (its Hold); one that never comes back (a walk that stopped) is left
// to the collector.
type bodyPool struct {
	free chan []byte
	// poison overwrites a body as it comes back, so that a row still
	// pointing into it reads garbage in tests instead of a later page's
	// text by chance.
	poison bool
	// reused counts the buffers handed out again.
	reused atomic.Int64
}

// poisonReused is on in this package's tests and, through the variable,
// in the binary the end-to-end tests run.
var poisonReused = testing.Testing() || os.Getenv("ETL_POISON_REUSED") == "1"

// pageBodies is shared by concurrent walks; its bound is what stays
// allocated between them (32 bodies, ~2.5 MB).
var pageBodies = &bodyPool{free: make(chan []byte, 32), poison: poisonReused}

// Reused counts the bodies handed out again, for tests.
func Reused() int64 { return pageBodies.reused.Load() }

// Poisoned says whether bodies are overwritten as they come back: in
// tests, and in a binary run with ETL_POISON_REUSED=1.
func Poisoned() bool { return pageBodies.poison }

// get returns a buffer of n bytes, recycled when one is big enough.
func (bp *bodyPool) get(n int) []byte {
	select {
	case b := <-bp.free:
		if cap(b) >= n {
			bp.reused.Add(1)
			return b[:n]
		}
	default:
	}
	// Room for the next pages, which differ by a few bytes.
	return make([]byte, n, n+n/8)
}

func (bp *bodyPool) put(b []byte) {
	if bp.poison {
		b = b[:cap(b)]
		for i := range b {
			b[i] = '#'
		}
	}
	select {
	case bp.free <- b:
	default:
	}
}

// arrayPool recycles pageArrays between the pages of concurrent walks.
type arrayPool struct{ free chan *pageArrays }

var pageArrayPool = &arrayPool{free: make(chan *pageArrays, 16)}

func (ap *arrayPool) get() *pageArrays {
	select {
	case a := <-ap.free:
		return a
	default:
		return &pageArrays{}
	}
}

func (ap *arrayPool) put(a *pageArrays) {
	a.recycle()
	select {
	case ap.free <- a:
	default:
	}
}
