// Package engine runs any declared stream over a window: the extractor hands
// rows to the transform, which builds bounded Arrow batches for the sink.
// A source declares its streams and extracts their rows: fetching, paging
// and decoding are its own, as is any memory its rows point into (Hold).
// The engine owns the rest: windows and chunks, the batches, rejects, the
// commit of each window and the walk shared by a backfill's chunks.
package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

// Stream is the declaration of one extraction: what it fetches, which tables
// it fills and how a rerun stays idempotent (each table's disposition).
type Stream struct {
	Source string
	Name   string
	Doc    string
	// Tables the extractor emits into. The first is the stream's main table.
	Tables []*schemas.Table
	// Windowed streams extract only what falls in the window; the others
	// take a full snapshot whatever the window.
	Windowed bool
	// WindowField names the source field that places a row in a window
	// (documentation and `etl streams`).
	WindowField string
	// Chunk is the default backfill chunk for this stream.
	Chunk time.Duration
	// Earliest, when set, is the oldest instant the API serves at now; the
	// engine clips the window to it (so the clipped days are neither
	// extracted nor replaced) and says once which part it could not get.
	Earliest func(now time.Time) time.Time
	// Align, when set, widens a window before extraction (a monthly report
	// covers every month a window touches); what it returns is what the
	// load replaces.
	Align func(w window.Window) window.Window
	// DescendingWalk says the API serves every window of this stream from
	// one walk, newest first, with no filter to start lower (Userflow's
	// session list). A backfill's chunks then run from one walk (see
	// Runner.RunWalk) instead of one re-walk from the top per chunk; the
	// extractor reports where the walk is with At.
	DescendingWalk bool
	// Estimate, when set, guesses the requests a window takes (--dry-run).
	Estimate func(w window.Window) int
	// Extract fetches the window and emits rows. It must stop when ctx is done.
	Extract func(ctx context.Context, w window.Window, out Emitter) error
}

// ID is "source.stream".
func (s *Stream) ID() string { return s.Source + "." + s.Name }

// Table returns the declared table with that name.
func (s *Stream) Table(name string) *schemas.Table {
	for _, t := range s.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Validate checks the declaration.
func (s *Stream) Validate() error {
	if s.Source == "" || s.Name == "" || s.Extract == nil || len(s.Tables) == 0 {
		return fmt.Errorf("stream %s: needs source, name, tables and an extractor", s.ID())
	}
	for _, t := range s.Tables {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("stream %s: %w", s.ID(), err)
		}
		if !s.Windowed && t.Disposition != schemas.ReplaceAll {
			return fmt.Errorf("stream %s: snapshot stream table %s must be replace-all", s.ID(), t.Name)
		}
	}
	return nil
}

// Row is one source record on its way to a table. Values holds raw values
// (strings, numbers, bools, maps, slices, time.Time); the transform coerces
// them to the column types and turns what does not fit into rejects.
type Row struct {
	Values map[string]any
	// Layout and Fields, when Layout is set, give the row by position
	// instead of Values: Fields[i] is the value of Layout's i-th column.
	// Nothing is allocated per row, which matters for the streams that
	// move most rows; the values load and reject exactly as in Values.
	// The emitter does not keep Fields after Emit returns, so the
	// extractor can reuse one slice.
	Layout *transform.Layout
	Fields []transform.Value
	// Raw is the source text of the row (a CSV line) kept for rejects; when
	// empty the reject carries Values as JSON.
	Raw string
	// RawJSON, when Raw is empty, is the source text as the page's bytes:
	// turned into text only if the row is rejected, so the good rows cost
	// no copy. The emitter does not keep it after Emit returns.
	RawJSON []byte
	// Where locates the row for people reading a reject ("page 3", "line 17").
	Where string
	// Hold, when set, is the memory Fields point into (Hold says why): the
	// emitter retains it until the row is built.
	Hold Hold
}

// Emitter receives an extractor's output. It is safe for concurrent use by
// the extractor's own goroutines.
type Emitter interface {
	// Emit hands one row to a table of the stream.
	Emit(ctx context.Context, table string, row Row) error
	// Reject records a row the extractor could not even parse.
	Reject(ctx context.Context, table, reason string, row Row) error
	// Notice reports something a person should read once (a part of the
	// window the API would not serve, a skipped plan-restricted endpoint).
	Notice(msg string)
	// Progress reports units of fan-out work (users done of total).
	Progress(done, total int)
}

// SkipError is returned by an extractor that has nothing to load this time
// and must not replace what is loaded (an endpoint the account's plan does
// not include). The engine discards the window and reports it skipped.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Skip returns a SkipError.
func Skip(reason string) error { return &SkipError{Reason: reason} }

// FixError is a failure a rerun cannot cure (refused credentials, a wrong
// path, a setting the API refuses): fix says what to change, and the failed
// window's error puts it first.
type FixError struct {
	fix string
	Err error
}

// NeedsFix wraps err with what to change ("set USERFLOW_API_KEY to a valid
// API key").
func NeedsFix(fix string, err error) error { return &FixError{fix: fix, Err: err} }

func (e *FixError) Error() string { return e.fix + ": " + e.Err.Error() }
func (e *FixError) Unwrap() error { return e.Err }

// Fix says what to change.
func (e *FixError) Fix() string { return e.fix }

// FixOf is the one rule that tells failures apart: a failure is one a rerun
// cannot cure when an error in its chain says what to change through a Fix
// method (NeedsFix, or the HTTP layer's errors for a 4xx, a body over its
// cap, an unknown host), and FixOf returns that. "" is a transient failure
// (a timeout, a 5xx, 429 after the retries, a refused connection, the sink
// going away), which a rerun retries.
func FixOf(err error) string {
	for err != nil {
		if f, ok := err.(interface{ Fix() string }); ok {
			if fix := f.Fix(); fix != "" {
				return fix
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if fix := FixOf(e); fix != "" {
					return fix
				}
			}
			return ""
		default:
			return ""
		}
	}
	return ""
}

// DefaultBatchRows is the rows per Arrow batch and table unless run.batch_rows
// says otherwise (transform.DefaultBatchRows says why this many).
const DefaultBatchRows = transform.DefaultBatchRows
