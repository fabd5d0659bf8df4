package parquet

import (
	"reflect"
	"strings"

	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/adoptionlabs/etl/schemas"
)

// Schema derives the Parquet schema of a table. Columns keep their declared
// order (parquet-go's Group would sort them by name), so `SELECT *` in DuckDB
// shows them the way the table documents them.
func Schema(t *schemas.Table) *parquetgo.Schema {
	fields := make([]parquetgo.Field, len(t.Columns))
	for i, c := range t.Columns {
		fields[i] = namedField{Node: columnNode(c), name: c.Name}
	}
	return parquetgo.NewSchema(t.Name, orderedGroup{fields: fields})
}

// columnNode maps a column to its Parquet node. Timestamps are INT64
// TIMESTAMP(MILLIS, isAdjustedToUTC=true) so DuckDB reads TIMESTAMP WITH TIME
// ZONE; lists are the standard 3-level LIST of required strings so DuckDB
// reads VARCHAR[].
func columnNode(c schemas.Column) parquetgo.Node {
	var n parquetgo.Node
	switch c.Type {
	case schemas.Int64:
		n = parquetgo.Leaf(parquetgo.Int64Type)
	case schemas.Float64:
		n = parquetgo.Leaf(parquetgo.DoubleType)
	case schemas.Bool:
		n = parquetgo.Leaf(parquetgo.BooleanType)
	case schemas.Timestamp:
		n = parquetgo.TimestampAdjusted(parquetgo.Millisecond, true)
	case schemas.Date:
		n = parquetgo.Date()
	case schemas.StringList:
		// Lists are never null (schemas.Table.Validate): an absent list is
		// an empty one.
		return parquetgo.List(parquetgo.String())
	default: // String, JSON: JSON stays text so every reader can open it.
		n = parquetgo.String()
	}
	if c.Nullable {
		return parquetgo.Optional(n)
	}
	return parquetgo.Required(n)
}

// orderedGroup is a Parquet group whose fields keep the order they were given.
type orderedGroup struct{ fields []parquetgo.Field }

func (g orderedGroup) ID() int { return 0 }

func (g orderedGroup) String() string {
	var b strings.Builder
	_ = parquetgo.PrintSchema(&b, "", g)
	return b.String()
}

// Type is the group type parquet-go uses for every group node.
func (g orderedGroup) Type() parquetgo.Type            { return parquetgo.Group{}.Type() }
func (g orderedGroup) Optional() bool                  { return false }
func (g orderedGroup) Repeated() bool                  { return false }
func (g orderedGroup) Required() bool                  { return true }
func (g orderedGroup) Leaf() bool                      { return false }
func (g orderedGroup) Fields() []parquetgo.Field       { return g.fields }
func (g orderedGroup) Encoding() encoding.Encoding     { return nil }
func (g orderedGroup) Compression() compress.Codec     { return nil }
func (g orderedGroup) GoType() reflect.Type            { return reflect.TypeFor[map[string]any]() }
func (f namedField) Name() string                      { return f.name }
func (f namedField) Value(reflect.Value) reflect.Value { return reflect.Value{} }

// namedField names a column node inside orderedGroup. Value is only used to
// write Go structs by reflection, which this package never does: rows are
// built from Arrow arrays.
type namedField struct {
	parquetgo.Node
	name string
}
