package enginetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
)

func TestRecorderKeepsEverythingInOrder(t *testing.T) {
	ctx := context.Background()
	r := NewRecorder()
	assert.Empty(t, r.AllRows())
	assert.Empty(t, r.Values("t"))

	require.NoError(t, r.Emit(ctx, "t", engine.Row{Values: map[string]any{"id": "a"}, Where: "page 1"}))
	require.NoError(t, r.Emit(ctx, "t", engine.Row{Values: map[string]any{"id": "b", "n": 2}}))
	require.NoError(t, r.Emit(ctx, "u", engine.Row{Values: map[string]any{"id": "c"}}))
	require.NoError(t, r.Reject(ctx, "t", "not an object", engine.Row{Raw: "7", Where: "page 2"}))
	r.Notice("clipped")
	r.Notice("clipped")
	r.Progress(0, 2)
	r.Progress(1, 2)

	assert.Equal(t, []map[string]any{{"id": "a"}, {"id": "b", "n": 2}}, r.Values("t"))
	assert.Equal(t, []any{"a", "b"}, r.Column("t", "id"))
	assert.Equal(t, []any{nil, 2}, r.Column("t", "n"), "a row without the column reads nil")
	assert.Equal(t, "page 1", r.Rows("t")[0].Where)
	assert.Len(t, r.AllRows(), 2)
	assert.Equal(t, []Reject{{Table: "t", Reason: "not an object", Row: engine.Row{Raw: "7", Where: "page 2"}}}, r.Rejects())
	assert.Equal(t, "t: not an object @ page 2", r.Rejects()[0].String())
	assert.Equal(t, []string{"clipped", "clipped"}, r.Notices(), "repeats are kept")
	assert.Equal(t, [][2]int{{0, 2}, {1, 2}}, r.ProgressCalls())
}

func TestRecorderAccessorsReturnCopies(t *testing.T) {
	r := NewRecorder()
	require.NoError(t, r.Emit(context.Background(), "t", engine.Row{Where: "a"}))
	rows := r.Rows("t")
	rows[0].Where = "changed"
	all := r.AllRows()
	all["t"] = nil
	assert.Equal(t, "a", r.Rows("t")[0].Where)
	assert.Len(t, r.Rows("t"), 1)
}

func TestRecorderIsSafeForConcurrentUse(t *testing.T) {
	ctx := context.Background()
	r := NewRecorder()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				_ = r.Emit(ctx, "t", engine.Row{Where: fmt.Sprintf("%d/%d", w, i)})
				_ = r.Reject(ctx, "t", "bad", engine.Row{})
				r.Notice("n")
				r.Progress(i, 50)
				_ = r.Values("t")
				_ = r.AllRows()
			}
		}()
	}
	wg.Wait()
	assert.Len(t, r.Rows("t"), 400)
	assert.Len(t, r.Rejects(), 400)
	assert.Len(t, r.Notices(), 400)
	assert.Len(t, r.ProgressCalls(), 400)
}
