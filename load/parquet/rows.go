package parquet

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	parquetgo "github.com/parquet-go/parquet-go"

	"github.com/adoptionlabs/etl/schemas"
)

// columnEncoder appends to dst the Parquet values of the given rows of one
// Arrow column, in that order: one value per row, or one per list element.
// Whole columns go to parquet-go's column writers this way, with no
// parquet.Row per row to build and split up again.
type columnEncoder func(dst []parquetgo.Value, rows []int32) []parquetgo.Value

const millisPerDay = 24 * 60 * 60 * 1000

// checkShape checks rec has the table's columns, in its order.
func checkShape(t *schemas.Table, rec arrow.Record) error {
	if int(rec.NumCols()) != len(t.Columns) {
		return fmt.Errorf("record has %d columns, table %s declares %d: build batches with the table's Arrow schema", rec.NumCols(), t.Name, len(t.Columns))
	}
	for c, col := range t.Columns {
		if name := rec.ColumnName(c); name != col.Name {
			return fmt.Errorf("record column %d is %q, table %s declares %q there", c, name, t.Name, col.Name)
		}
	}
	return nil
}

// encoders checks the columns of rec (of the table's shape) hold values the
// Parquet columns can take, and returns one encoder per column. Every check
// is made before any value is written, so a record that fails leaves the
// files as they were. Column c of the record is t.Columns[c] and Parquet
// leaf column c: every column is a single leaf (the list's only leaf is its
// element).
func encoders(t *schemas.Table, rec arrow.Record) ([]columnEncoder, error) {
	out := make([]columnEncoder, len(t.Columns))
	for c, col := range t.Columns {
		enc, err := encoder(col, c, rec.Column(c))
		if err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", t.Name, col.Name, err)
		}
		out[c] = enc
	}
	return out, nil
}

func encoder(col schemas.Column, c int, arr arrow.Array) (columnEncoder, error) {
	wrong := func(want string) error {
		return fmt.Errorf("Arrow type %s cannot load into a %s column (want %s)", arr.DataType(), col.Type, want)
	}
	if col.Type == schemas.StringList {
		a, ok := arr.(*array.List)
		if !ok {
			return nil, wrong("list<utf8>")
		}
		elems, ok := a.ListValues().(*array.String)
		if !ok {
			return nil, wrong("list<utf8>")
		}
		if err := checkList(a, elems); err != nil {
			return nil, err
		}
		return listEncoder(a, elems, c), nil
	}
	if !col.Nullable && arr.NullN() > 0 {
		return nil, fmt.Errorf("row %d is null but the column is not nullable", firstNull(arr))
	}
	// Definition level 1 marks a present value of an optional column; a
	// required column has no definition levels.
	def := 0
	if col.Nullable {
		def = 1
	}
	switch col.Type {
	case schemas.String, schemas.JSON:
		a, ok := arr.(*array.String)
		if !ok {
			return nil, wrong("utf8")
		}
		return valueEncoder(a, c, def, func(out []parquetgo.Value, rows []int32) {
			for j, i := range rows {
				out[j] = parquetgo.ByteArrayValue(stringBytes(a.Value(int(i))))
			}
		}), nil
	case schemas.Int64:
		a, ok := arr.(*array.Int64)
		if !ok {
			return nil, wrong("int64")
		}
		v := a.Int64Values()
		return valueEncoder(a, c, def, func(out []parquetgo.Value, rows []int32) {
			for j, i := range rows {
				out[j] = parquetgo.Int64Value(v[i])
			}
		}), nil
	case schemas.Float64:
		a, ok := arr.(*array.Float64)
		if !ok {
			return nil, wrong("float64")
		}
		v := a.Float64Values()
		return valueEncoder(a, c, def, func(out []parquetgo.Value, rows []int32) {
			for j, i := range rows {
				out[j] = parquetgo.DoubleValue(v[i])
			}
		}), nil
	case schemas.Bool:
		a, ok := arr.(*array.Boolean)
		if !ok {
			return nil, wrong("bool")
		}
		return valueEncoder(a, c, def, func(out []parquetgo.Value, rows []int32) {
			for j, i := range rows {
				out[j] = parquetgo.BooleanValue(a.Value(int(i)))
			}
		}), nil
	case schemas.Timestamp:
		a, ok := arr.(*array.Timestamp)
		if !ok {
			return nil, wrong("timestamp[ms, tz=UTC]")
		}
		v := a.TimestampValues()
		if unit := a.DataType().(*arrow.TimestampType).Unit; unit != arrow.Millisecond {
			toMillis := timestampMillis(unit)
			return valueEncoder(a, c, def, func(out []parquetgo.Value, rows []int32) {
				for j, i := range rows {
					out[j] = parquetgo.Int64Value(toMillis(int64(v[i])))
				}
			}), nil
		}
		return valueEncoder(a, c, def, func(out []parquetgo.Value, rows []int32) {
			for j, i := range rows {
				out[j] = parquetgo.Int64Value(int64(v[i]))
			}
		}), nil
	case schemas.Date:
		a, ok := arr.(*array.Date32)
		if !ok {
			return nil, wrong("date32")
		}
		v := a.Date32Values()
		return valueEncoder(a, c, def, func(out []parquetgo.Value, rows []int32) {
			for j, i := range rows {
				out[j] = parquetgo.Int32Value(int32(v[i]))
			}
		}), nil
	}
	return nil, fmt.Errorf("unsupported column type %s", col.Type)
}

// valueEncoder encodes a column of one value per row. fill sets out[j] to
// the value of row rows[j] in a loop specialised to the column's type; it
// may read the slot of a null row, which Arrow keeps valid (a null string
// has equal offsets), since the null values are put in afterwards.
func valueEncoder(arr arrow.Array, c, def int, fill func(out []parquetgo.Value, rows []int32)) columnEncoder {
	nulls := arr.NullN() > 0
	null := parquetgo.Value{}.Level(0, 0, c)
	return func(dst []parquetgo.Value, rows []int32) []parquetgo.Value {
		n := len(dst)
		dst = slices.Grow(dst, len(rows))[:n+len(rows)]
		out := dst[n:]
		fill(out, rows)
		for j := range out {
			out[j].SetDefinitionLevel(def)
			out[j].SetColumnIndex(c)
		}
		if nulls {
			for j, i := range rows {
				if arr.IsNull(int(i)) {
					out[j] = null
				}
			}
		}
		return dst
	}
}

// listEncoder encodes a list of required strings (a required 3-level LIST):
// an empty list is one value at definition level 0, since the repeated group
// holds nothing; an element is at definition level 1, its repetition level
// 0 when it starts its row's list and 1 when it continues it.
func listEncoder(a *array.List, elems *array.String, c int) columnEncoder {
	empty := parquetgo.Value{}.Level(0, 0, c)
	return func(dst []parquetgo.Value, rows []int32) []parquetgo.Value {
		for _, i := range rows {
			start, end := a.ValueOffsets(int(i))
			if start == end {
				dst = append(dst, empty)
				continue
			}
			for j := start; j < end; j++ {
				v := parquetgo.ByteArrayValue(stringBytes(elems.Value(int(j))))
				if j > start {
					v.SetRepetitionLevel(1)
				}
				v.SetDefinitionLevel(1)
				v.SetColumnIndex(c)
				dst = append(dst, v)
			}
		}
		return dst
	}
}

// checkList refuses what the Parquet list cannot hold: lists are never null
// (an absent list is empty) and their elements are required strings.
func checkList(a *array.List, elems *array.String) error {
	if a.NullN() > 0 {
		return fmt.Errorf("row %d has a null list; lists are never null (an absent list is empty)", firstNull(a))
	}
	if elems.NullN() == 0 {
		return nil
	}
	for i := 0; i < a.Len(); i++ {
		start, end := a.ValueOffsets(i)
		for j := start; j < end; j++ {
			if elems.IsNull(int(j)) {
				return fmt.Errorf("row %d has a null list element; elements are required strings", i)
			}
		}
	}
	return nil
}

func firstNull(arr arrow.Array) int {
	for i := 0; i < arr.Len(); i++ {
		if arr.IsNull(i) {
			return i
		}
	}
	return -1
}

// stringBytes views an Arrow string without copying: parquet-go copies the
// bytes into its column buffers during WriteRowValues, before the caller
// releases the record, and never writes through the slice.
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

// dayFunc returns the UTC day (days since 1970-01-01) of row i of a
// timestamp or date column: the day column, or a merge table's partition
// column.
func dayFunc(t *schemas.Table, column string, rec arrow.Record) (func(i int) (int32, error), error) {
	c := t.Index(column)
	if c < 0 {
		return nil, fmt.Errorf("table %s: column %q is not declared", t.Name, column)
	}
	null := func(i int) (int32, error) {
		return 0, fmt.Errorf("table %s: row %d has no %s, so it belongs to no partition", t.Name, i, column)
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
	return nil, fmt.Errorf("table %s: column %s has Arrow type %s, want a timestamp or date32", t.Name, column, rec.Column(c).DataType())
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
