// Package transform turns raw source values into Arrow record batches of a
// declared table: it coerces each value to its column type, collects unknown
// fields into _extra, and cuts batches of bounded size.
package transform

import (
	"github.com/apache/arrow/go/v15/arrow"

	"github.com/adoptionlabs/etl/schemas"
)

// TimestampType is how every timestamp travels: milliseconds, UTC.
var TimestampType = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}

// ArrowType maps a column type to its Arrow type.
func ArrowType(t schemas.Type) arrow.DataType {
	switch t {
	case schemas.Int64:
		return arrow.PrimitiveTypes.Int64
	case schemas.Float64:
		return arrow.PrimitiveTypes.Float64
	case schemas.Bool:
		return arrow.FixedWidthTypes.Boolean
	case schemas.Timestamp:
		return TimestampType
	case schemas.Date:
		return arrow.FixedWidthTypes.Date32
	case schemas.StringList:
		return arrow.ListOf(arrow.BinaryTypes.String)
	default: // String, JSON
		return arrow.BinaryTypes.String
	}
}

// ArrowSchema derives the Arrow schema of a table; column i of every batch is
// t.Columns[i]. JSON columns carry metadata so readers know the text is JSON.
func ArrowSchema(t *schemas.Table) *arrow.Schema {
	fields := make([]arrow.Field, len(t.Columns))
	for i, c := range t.Columns {
		f := arrow.Field{Name: c.Name, Type: ArrowType(c.Type), Nullable: c.Nullable}
		if c.Type == schemas.JSON {
			f.Metadata = arrow.NewMetadata([]string{"etl.type"}, []string{"json"})
		}
		fields[i] = f
	}
	md := arrow.NewMetadata([]string{"etl.table"}, []string{t.Name})
	return arrow.NewSchema(fields, &md)
}
