// Package loadtest holds the in-memory load.Sink that tests of the engine
// and of the sources load into: it keeps each table's committed rows,
// decoded from Arrow, the windows they came in, and what was aborted.
package loadtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// Sink is a load.Sink in memory. It is safe for concurrent use, as the
// engine loads tables and chunks in parallel; accessors return copies.
type Sink struct {
	mu        sync.Mutex
	committed map[string][]map[string]any
	windows   map[string][]window.Window
	aborted   []string
	writes    map[string]int
}

var _ load.Sink = (*Sink)(nil)

// NewSink returns an empty Sink.
func NewSink() *Sink {
	return &Sink{committed: map[string][]map[string]any{}, windows: map[string][]window.Window{}, writes: map[string]int{}}
}

// Name is "memory".
func (s *Sink) Name() string { return "memory" }

// Close does nothing.
func (s *Sink) Close() error { return nil }

// Begin returns a *Writer.
func (s *Sink) Begin(_ context.Context, t *schemas.Table, w window.Window, _, _ string) (load.Writer, error) {
	return &Writer{sink: s, table: t, window: w}, nil
}

// Committed returns the committed rows by table; empty (not nil) when
// nothing was committed.
func (s *Sink) Committed() map[string][]map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]map[string]any, len(s.committed))
	for table, rows := range s.committed {
		out[table] = slices.Clone(rows)
	}
	return out
}

// Rows returns the rows committed into table, in commit order.
func (s *Sink) Rows(table string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.committed[table])
}

// Count returns how many rows were committed into table.
func (s *Sink) Count(table string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.committed[table]))
}

// Windows returns the window of each commit into table, in commit order.
func (s *Sink) Windows(table string) []window.Window {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.windows[table])
}

// Aborted returns the table of each aborted writer, in order.
func (s *Sink) Aborted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.aborted)
}

// Writes returns how many record batches were written into table,
// committed or not.
func (s *Sink) Writes(table string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes[table]
}

// Tables returns the tables that received a commit, sorted.
func (s *Sink) Tables() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.committed))
}

// Writer keeps one table window's rows until Commit.
type Writer struct {
	sink   *Sink
	table  *schemas.Table
	window window.Window
	rows   []map[string]any
	done   bool
}

// Table is the table the writer loads, for wrappers that fail some tables.
func (w *Writer) Table() *schemas.Table { return w.table }

// Write decodes rec into rows: strings, float64s and timestamps as Go
// values (time.Time in UTC), other types as their printed form.
func (w *Writer) Write(_ context.Context, rec arrow.Record) error {
	w.sink.mu.Lock()
	w.sink.writes[w.table.Name]++
	w.sink.mu.Unlock()
	for i := 0; i < int(rec.NumRows()); i++ {
		row := map[string]any{}
		for j, f := range rec.Schema().Fields() {
			col := rec.Column(j)
			if col.IsNull(i) {
				row[f.Name] = nil
				continue
			}
			switch a := col.(type) {
			case *array.String:
				row[f.Name] = a.Value(i)
			case *array.Float64:
				row[f.Name] = a.Value(i)
			case *array.Timestamp:
				row[f.Name] = a.Value(i).ToTime(f.Type.(*arrow.TimestampType).Unit).UTC()
			default:
				row[f.Name] = fmt.Sprint(a.GetOneForMarshal(i))
			}
		}
		w.rows = append(w.rows, row)
	}
	return nil
}

// Commit makes the rows visible in the sink.
func (w *Writer) Commit(context.Context) error {
	w.sink.mu.Lock()
	defer w.sink.mu.Unlock()
	w.done = true
	w.sink.committed[w.table.Name] = append(w.sink.committed[w.table.Name], w.rows...)
	w.sink.windows[w.table.Name] = append(w.sink.windows[w.table.Name], w.window)
	return nil
}

// Abort records the table as aborted; after Commit it does nothing, as the
// load.Writer contract says.
func (w *Writer) Abort(context.Context) error {
	w.sink.mu.Lock()
	defer w.sink.mu.Unlock()
	if w.done {
		return nil
	}
	w.done = true
	w.sink.aborted = append(w.sink.aborted, w.table.Name)
	return nil
}
