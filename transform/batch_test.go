package transform

import (
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

var testTable = &schemas.Table{
	Name: "t",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String},
		schemas.Column{Name: "n", Type: schemas.Float64, Nullable: true},
		schemas.Column{Name: "at", Type: schemas.Timestamp},
		schemas.Column{Name: "tags", Type: schemas.StringList},
		schemas.Column{Name: schemas.Extra, Type: schemas.JSON},
	),
	Disposition: schemas.Merge, Key: []string{"id"}, Version: "at", Day: "at",
}

func TestBatcherBuildsColumnsAndReleasesEverything(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	at := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	w := window.New(at.Add(-time.Hour), at.Add(time.Hour))
	b := NewBatcher(mem, testTable, Meta{RunID: "r1", ExtractedAt: at}, 2, &w)
	defer b.Release()

	require.NoError(t, b.Append(map[string]any{"id": "a", "n": "1.5", "at": "2026-11-03T10:00:00Z", "tags": []any{"x"}, "surprise": 7}))
	assert.False(t, b.Full())
	require.NoError(t, b.Append(map[string]any{"id": "b", "at": at}))
	assert.True(t, b.Full())

	rec := b.Flush()
	require.NotNil(t, rec)
	defer rec.Release()
	assert.EqualValues(t, 2, rec.NumRows())
	assert.Equal(t, "a", rec.Column(0).(*array.String).Value(0))
	assert.Equal(t, 1.5, rec.Column(1).(*array.Float64).Value(0))
	assert.True(t, rec.Column(1).IsNull(1), "missing nullable value is null")
	assert.Equal(t, arrow.Timestamp(at.UnixMilli()), rec.Column(2).(*array.Timestamp).Value(0))
	assert.Equal(t, `{"surprise":7}`, rec.Column(4).(*array.String).Value(0), "unknown field kept in _extra")
	assert.Equal(t, `{}`, rec.Column(4).(*array.String).Value(1))
	assert.Equal(t, "r1", rec.Column(6).(*array.String).Value(1))
	assert.Equal(t, []string{"surprise"}, b.UnknownNames())
	assert.Nil(t, b.Flush(), "nothing left after a flush")
}

func TestBatcherRejectsWithoutAppending(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	at := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	w := window.New(at.Add(-time.Hour), at.Add(time.Hour))
	b := NewBatcher(mem, testTable, Meta{RunID: "r", ExtractedAt: at}, 10, &w)
	defer b.Release()

	cases := []struct {
		name string
		row  map[string]any
		want error
	}{
		{"bad number", map[string]any{"id": "a", "n": "lots", "at": at}, &ValueError{}},
		{"missing key", map[string]any{"n": 1, "at": at}, &ValueError{}},
		{"empty key", map[string]any{"id": "", "at": at}, &ValueError{}},
		{"outside window", map[string]any{"id": "a", "at": at.Add(2 * time.Hour)}, ErrOutsideWindow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := b.Append(tc.row)
			require.Error(t, err)
			if errors.Is(tc.want, ErrOutsideWindow) {
				assert.ErrorIs(t, err, ErrOutsideWindow)
			} else {
				var ve *ValueError
				assert.ErrorAs(t, err, &ve)
			}
			assert.Equal(t, 0, b.Len(), "a rejected row leaves no partial column behind")
		})
	}
	require.NoError(t, b.Append(map[string]any{"id": "ok", "at": at}))
	rec := b.Flush()
	defer rec.Release()
	assert.EqualValues(t, 1, rec.NumRows())
	for i := 0; i < int(rec.NumCols()); i++ {
		assert.Equal(t, 1, rec.Column(i).Len(), "column %d stays aligned", i)
	}
}

func BenchmarkBatcher(b *testing.B) {
	mem := memory.NewGoAllocator()
	at := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	bt := NewBatcher(mem, testTable, Meta{RunID: "r", ExtractedAt: at}, 20000, nil)
	defer bt.Release()
	row := map[string]any{"id": "abc", "n": "12.5", "at": "2026-11-03T10:00:00.000+00:00", "tags": []any{"a", "b"}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := bt.Append(row); err != nil {
			b.Fatal(err)
		}
		if bt.Full() {
			bt.Flush().Release()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
