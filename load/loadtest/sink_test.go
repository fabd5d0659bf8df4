package loadtest

import (
	"context"
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

func TestSinkKeepsCommittedRowsOnly(t *testing.T) {
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"a", "b"}, nil)
	b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(at.Unix()))
	b.Field(1).(*array.TimestampBuilder).AppendNull()
	rec := b.NewRecord()
	defer rec.Release()

	s := NewSink()
	w := window.New(at.Truncate(24*time.Hour), at.Truncate(24*time.Hour).AddDate(0, 0, 1))
	kept, err := s.Begin(ctx, &schemas.Table{Name: "kept"}, w, "src.kept", "r1")
	require.NoError(t, err)
	dropped, err := s.Begin(ctx, &schemas.Table{Name: "dropped"}, w, "src.dropped", "r1")
	require.NoError(t, err)
	require.NoError(t, kept.Write(ctx, rec))
	require.NoError(t, dropped.Write(ctx, rec))
	assert.Empty(t, s.Committed(), "nothing is visible before Commit")
	require.NoError(t, kept.Commit(ctx))
	require.NoError(t, kept.Abort(ctx), "abort after commit is a no-op")
	require.NoError(t, dropped.Abort(ctx))

	assert.Equal(t, []map[string]any{{"id": "a", "at": at}, {"id": "b", "at": nil}}, s.Rows("kept"))
	assert.Equal(t, int64(2), s.Count("kept"))
	assert.Equal(t, []window.Window{w}, s.Windows("kept"))
	assert.Equal(t, []string{"dropped"}, s.Aborted())
	assert.Equal(t, 1, s.Writes("dropped"))
	assert.Equal(t, []string{"kept"}, s.Tables())
}
