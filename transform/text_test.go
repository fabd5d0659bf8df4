package transform

import (
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
