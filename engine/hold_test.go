package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load/loadtest"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

// An extractor that reuses a page's memory once its Hold is released must
// find every row of that page built by then: here each page's ids are
// overwritten when its Hold is freed, so a row built afterwards would load
// as "#". Pages of 37 rows straddle the engine's blocks of 256.
func TestAHoldIsFreedOnlyOnceItsRowsAreBuilt(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail error
	}{
		{"rows loaded", nil},
		{"a write fails: the blocks after it are dropped, and still let go", errors.New("disk full")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			layout := transform.MustLayout(events, "id", "value", "at")
			w := window.New(day("2026-11-01"), day("2026-11-02"))
			const pages, perPage = 60, 37
			var mu sync.Mutex
			freed := map[int]int{}
			sink := &gatedSink{Sink: loadtest.NewSink(), gate: make(chan struct{}), failAll: tc.fail}
			close(sink.gate)
			r := NewRunner(Options{Sink: sink, BatchRows: 100, RunID: "run-1", Now: func() time.Time { return day("2026-11-03") }})
			res := r.Run(context.Background(), stream(func(ctx context.Context, w window.Window, out Emitter) error {
				buf := make([]transform.Value, layout.Len())
				for p := range pages {
					ids := make([]byte, 0, perPage*8)
					for i := range perPage {
						ids = fmt.Appendf(ids, "p%03dr%02d", p, i)
					}
					h := newCountedHold(func() {
						for i := range ids {
							ids[i] = '#'
						}
						mu.Lock()
						freed[p]++
						mu.Unlock()
					})
					for i := range perPage {
						id := ids[i*7 : (i+1)*7]
						buf[0] = transform.Str(unsafe.String(&id[0], len(id)))
						buf[1] = transform.Num(float64(i))
						buf[2] = transform.Str(w.Start.Add(time.Duration(p*perPage+i) * time.Second).Format(time.RFC3339))
						if err := out.Emit(ctx, "events", Row{Layout: layout, Fields: buf, Where: fmt.Sprintf("page %d", p), Hold: h}); err != nil {
							h.Release()
							return err
						}
					}
					h.Release()
				}
				return nil
			}), w)
			if tc.fail != nil {
				require.ErrorIs(t, res.Err, tc.fail)
			} else {
				require.NoError(t, res.Err)
				require.Len(t, sink.Rows("events"), pages*perPage)
				for _, row := range sink.Rows("events") {
					assert.NotContains(t, row["id"], "#", "a row was built after its page was reused")
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.fail == nil {
				assert.Len(t, freed, pages, "every page is let go")
			}
			for p, n := range freed {
				assert.Equal(t, 1, n, "page %d let go once", p)
			}
		})
	}
}

// countedHold is a Hold as an extractor makes one: a count of references
// whose last Release calls free. A Release too many panics, so an engine
// that let go of a block twice fails the test.
type countedHold struct {
	refs atomic.Int32
	free func()
}

func newCountedHold(free func()) *countedHold {
	h := &countedHold{free: free}
	h.refs.Store(1)
	return h
}

func (h *countedHold) Retain() { h.refs.Add(1) }

func (h *countedHold) Release() {
	switch n := h.refs.Add(-1); {
	case n == 0:
		h.free()
	case n < 0:
		panic("a Hold released more often than retained")
	}
}
