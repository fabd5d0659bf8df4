package transform

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// ErrOutsideWindow marks a row whose day column lies outside the window being
// loaded: loading it would put it in a day the commit does not replace. The
// window that contains it picks it up.
var ErrOutsideWindow = errors.New("row outside the window")

// Meta is stamped on every row of a run.
type Meta struct {
	RunID       string
	ExtractedAt time.Time
}

// Batcher accumulates rows of one table column by column and cuts Arrow
// records of at most MaxRows rows. Not safe for concurrent use.
type Batcher struct {
	table   *schemas.Table
	schema  *arrow.Schema
	builder *array.RecordBuilder
	meta    Meta
	maxRows int
	rows    int
	// window, when set, is enforced on the table's Day column.
	window *window.Window
	dayIdx int
	extra  int
	// extractedIdx and runIdx are the meta columns (-1 if absent).
	extractedIdx, runIdx int
	known                map[string]bool
	unknown              map[string]int64
	cells                []cell
	isKey                []bool
	// text holds the String and JSON columns (nil for the others, which
	// builder builds): textColumn says why.
	text []*textColumn
	// presized says the text buffers were sized from the first rows.
	presized bool
}

// DefaultBatchRows is the rows a batch holds unless its caller says
// otherwise: smaller batches hold less memory per table, down to where they
// stop saving any and start costing CPU (BENCHMARKS.md, "Defaults these
// figures chose").
const DefaultBatchRows = 8192

// NewBatcher returns a batcher for t. maxRows bounds memory: the caller
// flushes when Full; DefaultBatchRows when it is not positive.
func NewBatcher(mem memory.Allocator, t *schemas.Table, meta Meta, maxRows int, w *window.Window) *Batcher {
	if maxRows <= 0 {
		maxRows = DefaultBatchRows
	}
	schema := ArrowSchema(t)
	b := &Batcher{
		table: t, schema: schema, builder: array.NewRecordBuilder(mem, schema),
		meta: meta, maxRows: maxRows, dayIdx: -1, extra: t.Index(schemas.Extra),
		extractedIdx: t.Index(schemas.ExtractedAt), runIdx: t.Index(schemas.RunID),
		known: map[string]bool{}, unknown: map[string]int64{}, cells: make([]cell, len(t.Columns)), isKey: make([]bool, len(t.Columns)),
		text: make([]*textColumn, len(t.Columns)),
	}
	for i, c := range t.Columns {
		if c.Type == schemas.String || c.Type == schemas.JSON {
			b.text[i] = newTextColumn()
		}
	}
	for _, k := range t.Key {
		if i := t.Index(k); i >= 0 {
			b.isKey[i] = true
		}
	}
	if w != nil && t.Day != "" && t.Disposition != schemas.ReplaceAll {
		b.window, b.dayIdx = w, t.Index(t.Day)
	}
	for _, c := range t.Columns {
		b.known[c.Name] = true
	}
	return b
}

// Schema is the Arrow schema of the batches.
func (b *Batcher) Schema() *arrow.Schema { return b.schema }

// Append coerces one row and adds it. A *ValueError means the row does not
// fit (the caller rejects it); ErrOutsideWindow means it belongs to another
// window. Either way nothing was added.
func (b *Batcher) Append(values map[string]any) error {
	cells := b.cells
	var extra map[string]any
	for k, v := range values {
		if b.known[k] && k != schemas.Extra {
			continue
		}
		b.unknown[k]++
		if b.extra >= 0 {
			if extra == nil {
				extra = map[string]any{}
			}
			extra[k] = v
		}
	}
	for i, c := range b.table.Columns {
		var raw any
		switch {
		case c.Name == schemas.ExtractedAt:
			raw = b.meta.ExtractedAt
		case c.Name == schemas.RunID:
			raw = b.meta.RunID
		case i == b.extra:
			if extra == nil {
				raw = "{}"
			} else {
				raw = extra
			}
		default:
			raw = values[c.Name]
		}
		cl := &cells[i]
		if err := coerceCell(c, raw, cl); err != nil {
			return err
		}
		if err := b.checkKey(i, cl); err != nil {
			return err
		}
	}
	return b.appendCells()
}

// checkKey refuses a row whose key column i is missing or empty.
func (b *Batcher) checkKey(i int, cl *cell) error {
	if !b.isKey[i] {
		return nil
	}
	c := b.table.Columns[i]
	if cl.null {
		return &ValueError{Column: c.Name, Type: c.Type, Reason: "key column is missing"}
	}
	if (c.Type == schemas.String || c.Type == schemas.JSON) && cl.s == "" {
		return &ValueError{Column: c.Name, Type: c.Type, Reason: "key column is empty"}
	}
	return nil
}

// appendCells adds the coerced row in b.cells, unless its day is outside
// the window.
func (b *Batcher) appendCells() error {
	cells := b.cells
	if b.window != nil {
		if cl := &cells[b.dayIdx]; !cl.null && !b.window.Contains(cl.t) {
			return fmt.Errorf("%w: %s %s not in %s", ErrOutsideWindow, b.table.Day, cl.t.Format(time.RFC3339), b.window)
		}
	}
	for i := range cells {
		if tc := b.text[i]; tc != nil {
			if cells[i].null {
				tc.appendNull()
			} else {
				tc.append(cells[i].s)
			}
			continue
		}
		appendCell(b.builder.Field(i), b.table.Columns[i].Type, &cells[i])
	}
	b.rows++
	if b.rows == presizeAfter && !b.presized {
		// The first rows tell how much text a batch will hold.
		b.presized = true
		for _, tc := range b.text {
			if tc != nil {
				tc.reserve(b.maxRows)
			}
		}
	}
	return nil
}

// presizeAfter is how many rows of the first batch size its text buffers.
const presizeAfter = 512

func appendCell(f array.Builder, t schemas.Type, v *cell) {
	if v.null {
		f.AppendNull()
		return
	}
	switch t {
	case schemas.String, schemas.JSON:
		f.(*array.StringBuilder).Append(v.s)
	case schemas.Int64:
		f.(*array.Int64Builder).Append(v.i)
	case schemas.Float64:
		f.(*array.Float64Builder).Append(v.f)
	case schemas.Bool:
		f.(*array.BooleanBuilder).Append(v.b)
	case schemas.Timestamp:
		f.(*array.TimestampBuilder).Append(arrow.Timestamp(v.t.UnixMilli()))
	case schemas.Date:
		f.(*array.Date32Builder).Append(arrow.Date32FromTime(v.t))
	case schemas.StringList:
		lb := f.(*array.ListBuilder)
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.StringBuilder)
		for _, s := range v.l {
			vb.Append(s)
		}
	}
}

// Len is the number of rows waiting.
func (b *Batcher) Len() int { return b.rows }

// Full reports whether the batch reached its bound.
func (b *Batcher) Full() bool { return b.rows >= b.maxRows }

// Flush returns the waiting rows as a record (nil when empty). The caller
// releases it.
func (b *Batcher) Flush() arrow.Record {
	if b.rows == 0 {
		return nil
	}
	n := b.rows
	b.rows = 0
	cols := make([]arrow.Array, len(b.table.Columns))
	for i := range cols {
		if tc := b.text[i]; tc != nil {
			cols[i] = tc.newArray()
		} else {
			cols[i] = b.builder.Field(i).NewArray()
		}
	}
	rec := array.NewRecord(b.schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	// The other builders start empty after each record; grown by doubling
	// they copy a batch once more. A full batch is likely followed by
	// another: size the next one like it.
	if n >= b.maxRows {
		for i, tc := range b.text {
			if tc == nil {
				b.builder.Field(i).Reserve(b.maxRows)
			}
		}
	}
	return rec
}

// Unknown lists the field names the table did not declare, with counts.
func (b *Batcher) Unknown() map[string]int64 { return b.unknown }

// UnknownNames lists them sorted.
func (b *Batcher) UnknownNames() []string {
	out := make([]string, 0, len(b.unknown))
	for k := range b.unknown {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Release frees the builders.
func (b *Batcher) Release() { b.builder.Release() }
