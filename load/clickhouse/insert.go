package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/adoptionlabs/etl/schemas"
)

// insert sends one Arrow record as one native block, column by column.
func (s *Sink) insert(ctx context.Context, t *schemas.Table, into string, rec arrow.Record) error {
	if rec.NumRows() == 0 {
		return nil
	}
	if int(rec.NumCols()) != len(t.Columns) {
		return fmt.Errorf("batch has %d columns, table %s declares %d", rec.NumCols(), t.Name, len(t.Columns))
	}
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	batch, err := s.conn.PrepareBatch(ctx, fmt.Sprintf("INSERT INTO %s (%s)", s.qualified(into), identList(names)))
	if err != nil {
		return fmt.Errorf("prepare insert into %s: %w", into, err)
	}
	defer func() { _ = batch.Abort() }()
	for i, c := range t.Columns {
		vals, err := columnValues(c, rec.Column(i))
		if err != nil {
			return fmt.Errorf("column %s: %w", c.Name, err)
		}
		if err := batch.Column(i).Append(vals); err != nil {
			return fmt.Errorf("column %s of %s: %w", c.Name, into, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert %d rows into %s: %w", rec.NumRows(), into, err)
	}
	return nil
}

// columnValues turns an Arrow column into the slice clickhouse-go appends
// for the column's ClickHouse type (pointers for Nullable).
func columnValues(c schemas.Column, col arrow.Array) (any, error) {
	n := col.Len()
	switch c.Type {
	case schemas.String, schemas.JSON:
		a := col.(*array.String)
		if c.Nullable {
			// One backing array, not one allocation per value.
			vals := make([]string, n)
			out := make([]*string, n)
			for i := range out {
				if a.IsValid(i) {
					vals[i] = a.Value(i)
					out[i] = &vals[i]
				}
			}
			return out, nil
		}
		out := make([]string, n)
		for i := range out {
			out[i] = a.Value(i)
		}
		return out, nil
	case schemas.Int64:
		return nullable(c, col.(*array.Int64), n, func(a *array.Int64, i int) int64 { return a.Value(i) }), nil
	case schemas.Float64:
		return nullable(c, col.(*array.Float64), n, func(a *array.Float64, i int) float64 { return a.Value(i) }), nil
	case schemas.Bool:
		return nullable(c, col.(*array.Boolean), n, func(a *array.Boolean, i int) uint8 {
			if a.Value(i) {
				return 1
			}
			return 0
		}), nil
	case schemas.Timestamp:
		return nullable(c, col.(*array.Timestamp), n, func(a *array.Timestamp, i int) time.Time {
			return time.UnixMilli(int64(a.Value(i))).UTC()
		}), nil
	case schemas.Date:
		return nullable(c, col.(*array.Date32), n, func(a *array.Date32, i int) time.Time {
			return a.Value(i).ToTime().UTC()
		}), nil
	case schemas.StringList:
		a := col.(*array.List)
		vals := a.ListValues().(*array.String)
		offsets := a.Offsets()
		// Every row's items are a slice of one backing array.
		all := make([]string, int(offsets[n])-int(offsets[0]))
		for j := range all {
			all[j] = vals.Value(int(offsets[0]) + j)
		}
		out := make([][]string, n)
		for i := range out {
			out[i] = all[offsets[i]-offsets[0] : offsets[i+1]-offsets[0] : offsets[i+1]-offsets[0]]
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported type %s", c.Type)
}

func nullable[A interface{ IsValid(int) bool }, T any](c schemas.Column, a A, n int, get func(A, int) T) any {
	if c.Nullable {
		vals := make([]T, n)
		out := make([]*T, n)
		for i := range out {
			if a.IsValid(i) {
				vals[i] = get(a, i)
				out[i] = &vals[i]
			}
		}
		return out
	}
	out := make([]T, n)
	for i := range out {
		out[i] = get(a, i)
	}
	return out
}
