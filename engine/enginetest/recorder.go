// Package enginetest holds test doubles for code that feeds an engine: a
// Recorder stands in for the engine's Emitter so an extractor's tests can
// assert exactly what it emitted, rejected and reported.
package enginetest

import (
	"context"
	"sync"

	"github.com/adoptionlabs/etl/engine"
)

// Reject is one row an extractor handed to Emitter.Reject.
type Reject struct {
	Table, Reason string
	Row           engine.Row
}

// String is "table: reason @ where", how a person reads a reject.
func (r Reject) String() string { return r.Table + ": " + r.Reason + " @ " + r.Row.Where }

// Recorder is an engine.Emitter that keeps everything it is given, in the
// order it arrived. It is safe for concurrent use, as extractors fan out.
// Accessors return copies, so a test can read while an extractor still runs.
type Recorder struct {
	mu       sync.Mutex
	rows     map[string][]engine.Row
	rejects  []Reject
	notices  []string
	progress [][2]int
}

var _ engine.Emitter = (*Recorder)(nil)

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{rows: map[string][]engine.Row{}} }

// Emit keeps row under table. A row given by layout is kept in the map
// form (Values), which tests read; the extractor reuses its Fields.
func (r *Recorder) Emit(_ context.Context, table string, row engine.Row) error {
	keepForGood(&row)
	if row.Layout != nil {
		row.Values, row.Layout, row.Fields = row.Layout.Map(row.Fields), nil, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows[table] = append(r.rows[table], row)
	return nil
}

// keepForGood holds the memory row's strings may point into for good (the
// recorder keeps rows; the extractor reuses that memory once released),
// and drops the Hold from the row, so kept rows compare by their values.
func keepForGood(row *engine.Row) {
	if row.Hold != nil {
		row.Hold.Retain()
		row.Hold = nil
	}
}

// Reject keeps the reject.
func (r *Recorder) Reject(_ context.Context, table, reason string, row engine.Row) error {
	keepForGood(&row)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejects = append(r.rejects, Reject{Table: table, Reason: reason, Row: row})
	return nil
}

// Notice keeps every notice, repeats included: unlike the engine, which
// shows a notice once, tests want to see how often it was raised.
func (r *Recorder) Notice(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = append(r.notices, msg)
}

// Progress keeps the (done, total) pair.
func (r *Recorder) Progress(done, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress = append(r.progress, [2]int{done, total})
}

// Rows returns the rows emitted into table.
func (r *Recorder) Rows(table string) []engine.Row {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]engine.Row(nil), r.rows[table]...)
}

// AllRows returns the rows of every table emitted into, by table; empty
// (not nil) when nothing was emitted.
func (r *Recorder) AllRows() map[string][]engine.Row {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string][]engine.Row, len(r.rows))
	for table, rows := range r.rows {
		out[table] = append([]engine.Row(nil), rows...)
	}
	return out
}

// Values returns the Values of the rows emitted into table.
func (r *Recorder) Values(table string) []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]map[string]any, len(r.rows[table]))
	for i, row := range r.rows[table] {
		out[i] = row.Values
	}
	return out
}

// Column returns one column's value of every row emitted into table (nil
// where a row lacks it).
func (r *Recorder) Column(table, col string) []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]any, len(r.rows[table]))
	for i, row := range r.rows[table] {
		out[i] = row.Values[col]
	}
	return out
}

// Rejects returns the rejects in the order they arrived.
func (r *Recorder) Rejects() []Reject {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Reject(nil), r.rejects...)
}

// Notices returns the notices in the order they arrived.
func (r *Recorder) Notices() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.notices...)
}

// ProgressCalls returns the (done, total) pairs in the order they arrived.
// (Progress is the Emitter method that records them.)
func (r *Recorder) ProgressCalls() [][2]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][2]int(nil), r.progress...)
}
