package parquet

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	parquetgo "github.com/parquet-go/parquet-go"

	"github.com/adoptionlabs/etl/schemas"
)

// encodeFunc appends the Parquet values of row i of one column to row.
type encodeFunc func(row parquetgo.Row, i int) (parquetgo.Row, error)

const millisPerDay = 24 * 60 * 60 * 1000

// encoders checks rec has the table's shape and returns one encoder per
// column. Column c of the record is t.Columns[c] and Parquet leaf column c:
// every column is a single leaf (the list's only leaf is its element).
func encoders(t *schemas.Table, rec arrow.Record) ([]encodeFunc, error) {
	if int(rec.NumCols()) != len(t.Columns) {
		return nil, fmt.Errorf("record has %d columns, table %s declares %d: build batches with the table's Arrow schema", rec.NumCols(), t.Name, len(t.Columns))
	}
	out := make([]encodeFunc, len(t.Columns))
	for c, col := range t.Columns {
		if name := rec.ColumnName(c); name != col.Name {
			return nil, fmt.Errorf("record column %d is %q, table %s declares %q there", c, name, t.Name, col.Name)
		}
		enc, err := encoder(col, c, rec.Column(c))
		if err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", t.Name, col.Name, err)
		}
		out[c] = enc
	}
	return out, nil
}

func encoder(col schemas.Column, c int, arr arrow.Array) (encodeFunc, error) {
	// Definition level 1 marks a present value of an optional column; a
	// required column has no definition levels.
	def := 0
	if col.Nullable {
		def = 1
	}
	null := func(row parquetgo.Row, i int) (parquetgo.Row, error) {
		if !col.Nullable {
			return row, fmt.Errorf("row %d is null but the column is not nullable", i)
		}
		return append(row, parquetgo.Value{}.Level(0, 0, c)), nil
	}
	wrong := func(want string) error {
		return fmt.Errorf("Arrow type %s cannot load into a %s column (want %s)", arr.DataType(), col.Type, want)
	}
	switch col.Type {
	case schemas.String, schemas.JSON:
		a, ok := arr.(*array.String)
		if !ok {
			return nil, wrong("utf8")
		}
		return func(row parquetgo.Row, i int) (parquetgo.Row, error) {
			if a.IsNull(i) {
				return null(row, i)
			}
			return append(row, parquetgo.ByteArrayValue(stringBytes(a.Value(i))).Level(0, def, c)), nil
		}, nil
	case schemas.Int64:
		a, ok := arr.(*array.Int64)
		if !ok {
			return nil, wrong("int64")
		}
		return func(row parquetgo.Row, i int) (parquetgo.Row, error) {
			if a.IsNull(i) {
				return null(row, i)
			}
			return append(row, parquetgo.Int64Value(a.Value(i)).Level(0, def, c)), nil
		}, nil
	case schemas.Float64:
		a, ok := arr.(*array.Float64)
		if !ok {
			return nil, wrong("float64")
		}
		return func(row parquetgo.Row, i int) (parquetgo.Row, error) {
			if a.IsNull(i) {
				return null(row, i)
			}
			return append(row, parquetgo.DoubleValue(a.Value(i)).Level(0, def, c)), nil
		}, nil
	case schemas.Bool:
		a, ok := arr.(*array.Boolean)
		if !ok {
			return nil, wrong("bool")
		}
		return func(row parquetgo.Row, i int) (parquetgo.Row, error) {
			if a.IsNull(i) {
				return null(row, i)
			}
			return append(row, parquetgo.BooleanValue(a.Value(i)).Level(0, def, c)), nil
		}, nil
	case schemas.Timestamp:
		a, ok := arr.(*array.Timestamp)
		if !ok {
			return nil, wrong("timestamp[ms, tz=UTC]")
		}
		toMillis := timestampMillis(a.DataType().(*arrow.TimestampType).Unit)
		return func(row parquetgo.Row, i int) (parquetgo.Row, error) {
			if a.IsNull(i) {
				return null(row, i)
			}
			return append(row, parquetgo.Int64Value(toMillis(int64(a.Value(i)))).Level(0, def, c)), nil
		}, nil
	case schemas.Date:
		a, ok := arr.(*array.Date32)
		if !ok {
			return nil, wrong("date32")
		}
		return func(row parquetgo.Row, i int) (parquetgo.Row, error) {
			if a.IsNull(i) {
				return null(row, i)
			}
			return append(row, parquetgo.Int32Value(int32(a.Value(i))).Level(0, def, c)), nil
		}, nil
	case schemas.StringList:
		a, ok := arr.(*array.List)
		if !ok {
			return nil, wrong("list<utf8>")
		}
		elems, ok := a.ListValues().(*array.String)
		if !ok {
			return nil, wrong("list<utf8>")
		}
		return func(row parquetgo.Row, i int) (parquetgo.Row, error) {
			if a.IsNull(i) {
				return row, fmt.Errorf("row %d has a null list; lists are never null (an absent list is empty)", i)
			}
			start, end := a.ValueOffsets(i)
			if start == end {
				// An empty list is one value at definition level 0: the
				// repeated group holds nothing.
				return append(row, parquetgo.Value{}.Level(0, 0, c)), nil
			}
			for j := start; j < end; j++ {
				if elems.IsNull(int(j)) {
					return row, fmt.Errorf("row %d has a null list element; elements are required strings", i)
				}
				rep := 1 // continues the list of this row
				if j == start {
					rep = 0
				}
				row = append(row, parquetgo.ByteArrayValue(stringBytes(elems.Value(int(j)))).Level(rep, 1, c))
			}
			return row, nil
		}, nil
	}
	return nil, fmt.Errorf("unsupported column type %s", col.Type)
}

// stringBytes views an Arrow string without copying: parquet-go copies the
// bytes into its column buffers during WriteRows, before the caller releases
// the record, and never writes through the slice.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// timestampMillis converts timestamps of any unit to milliseconds, the unit
// of the Parquet column. Arrow timestamps are UTC instants whatever their
// TimeZone label says.
func timestampMillis(unit arrow.TimeUnit) func(int64) int64 {
	switch unit {
	case arrow.Second:
		return func(v int64) int64 { return v * 1000 }
	case arrow.Microsecond:
		return func(v int64) int64 { return floorDiv(v, 1000) }
	case arrow.Nanosecond:
		return func(v int64) int64 { return floorDiv(v, 1_000_000) }
	default:
		return func(v int64) int64 { return v }
	}
}

// dayFunc returns the UTC day (days since 1970-01-01) of row i of the day
// column.
func dayFunc(t *schemas.Table, rec arrow.Record) (func(i int) (int32, error), error) {
	c := t.Index(t.Day)
	if c < 0 {
		return nil, fmt.Errorf("table %s: day column %q is not declared", t.Name, t.Day)
	}
	null := func(i int) (int32, error) {
		return 0, fmt.Errorf("table %s: row %d has no %s, so it belongs to no dt= day", t.Name, i, t.Day)
	}
	switch a := rec.Column(c).(type) {
	case *array.Timestamp:
		toMillis := timestampMillis(a.DataType().(*arrow.TimestampType).Unit)
		return func(i int) (int32, error) {
			if a.IsNull(i) {
				return null(i)
			}
			return int32(floorDiv(toMillis(int64(a.Value(i))), millisPerDay)), nil
		}, nil
	case *array.Date32:
		return func(i int) (int32, error) {
			if a.IsNull(i) {
				return null(i)
			}
			return int32(a.Value(i)), nil
		}, nil
	}
	return nil, fmt.Errorf("table %s: day column %s has Arrow type %s, want a timestamp or date32", t.Name, t.Day, rec.Column(c).DataType())
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
