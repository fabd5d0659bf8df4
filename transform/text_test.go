package transform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A textColumn's arrays must equal what Arrow's own StringBuilder makes
// of the same values, nulls wherever they fall.
func TestTextColumnMakesTheArraysArrowsBuilderMakes(t *testing.T) {
	null := (*string)(nil)
	str := func(s string) *string { return &s }
	cases := []struct {
		name string
		rows []*string
	}{
		{"empty batch", nil},
		{"one value", []*string{str("a")}},
		{"empty strings", []*string{str(""), str(""), str("x")}},
		{"null first", []*string{null, str("b"), str("c")}},
		{"null last", []*string{str("a"), str("b"), null}},
		{"nulls only", []*string{null, null, null}},
		{"null after a byte of rows", []*string{str("1"), str("2"), str("3"), str("4"), str("5"), str("6"), str("7"), str("8"), str("9"), null, str("é✓")}},
	}
	tc := newTextColumn()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sb := array.NewStringBuilder(memory.DefaultAllocator)
			defer sb.Release()
			for _, v := range c.rows {
				if v == nil {
					tc.appendNull()
					sb.AppendNull()
				} else {
					tc.append(*v)
					sb.Append(*v)
				}
			}
			want := sb.NewArray()
			defer want.Release()
			got := tc.newArray()
			defer got.Release()
			require.Equal(t, want.Len(), got.Len())
			assert.Equal(t, want.NullN(), got.NullN())
			assert.True(t, array.Equal(want, got), "got %v, want %v", got, want)
			assert.Equal(t, 0, tc.len(), "the column starts over after each array")
		})
	}
}

// The buffers serve the next batch; an array already made must not see it.
func TestTextColumnArraysOutliveTheNextBatch(t *testing.T) {
	tc := newTextColumn()
	tc.append("first")
	tc.appendNull()
	first := tc.newArray()
	defer first.Release()
	tc.append("SECOND")
	tc.append("batch!")
	second := tc.newArray()
	defer second.Release()

	s1 := first.(*array.String)
	assert.Equal(t, "first", s1.Value(0))
	assert.True(t, s1.IsNull(1))
	s2 := second.(*array.String)
	assert.Equal(t, []string{"SECOND", "batch!"}, []string{s2.Value(0), s2.Value(1)})
	assert.Equal(t, 0, s2.NullN(), "a null of the batch before is not carried over")
}

// A batch is sized from its first rows; rows longer than those, and more
// rows than the estimate, still land whole.
func TestTextColumnReservesFromTheFirstRowsAndStillGrows(t *testing.T) {
	tc := newTextColumn()
	for range 100 {
		tc.append("ab")
	}
	tc.reserve(1000)
	assert.GreaterOrEqual(t, cap(tc.data), 2*1000, "room for 1000 rows of the first rows' size")
	assert.GreaterOrEqual(t, cap(tc.offsets), 1001)
	want := make([]string, 0, 1500)
	for range 100 {
		want = append(want, "ab")
	}
	for i := range 1400 {
		s := fmt.Sprintf("a longer value than the first ones, number %d", i)
		tc.append(s)
		want = append(want, s)
	}
	got := tc.newArray().(*array.String)
	defer got.Release()
	require.Equal(t, len(want), got.Len())
	for i, s := range want {
		require.Equal(t, s, got.Value(i))
	}
}

// Long values among the first rows reserve at most maxReserve.
func TestTextColumnReservesAtMostMaxReserve(t *testing.T) {
	tc := newTextColumn()
	long := strings.Repeat("x", 1<<20)
	for range 4 {
		tc.append(long)
	}
	tc.reserve(8192)
	assert.LessOrEqual(t, cap(tc.data), maxReserve+maxReserve/4, "8 GiB estimated, at most maxReserve set aside")
	assert.GreaterOrEqual(t, cap(tc.data), 4<<20)
}
