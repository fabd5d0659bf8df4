// Package outcome is what a run's tasks came to: each task's result, and
// what the report and the warnings make of them.
package outcome

import (
	"context"
	"errors"
	"fmt"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/pipeline/plan"
	"github.com/adoptionlabs/etl/report"
	"github.com/adoptionlabs/etl/window"
)

// Outcome pairs a task and its result.
type Outcome struct {
	Task   plan.Task
	Result engine.Result
	// SaveErr is set when the task committed but its progress could not be
	// saved: the rows are in, a rerun redoes the window harmlessly.
	SaveErr error
}

// AllSaved says every task's progress was recorded.
func AllSaved(out []Outcome) bool {
	for _, o := range out {
		if o.SaveErr != nil {
			return false
		}
	}
	return true
}

// ZeroRowWarnings flags each windowed stream that loaded 0 rows in this run,
// every window done, where its previous run loaded rows: not a failure, but
// an empty pull is how data goes missing unnoticed.
func ZeroRowWarnings(out []Outcome, prevRows map[string]int64) []report.Warning {
	type agg struct {
		source, stream string
		first, last    window.Window
		rows           int64
		ok, bad        int
	}
	by := map[string]*agg{}
	var order []string
	for _, o := range out {
		if !o.Task.Stream.Windowed {
			continue
		}
		id := o.Task.Stream.ID()
		g, found := by[id]
		if !found {
			g = &agg{source: o.Task.Stream.Source, stream: o.Task.Stream.Name, first: o.Task.Window}
			by[id] = g
			order = append(order, id)
		}
		g.last = o.Task.Window
		g.rows += o.Result.Rows
		switch o.Result.Status {
		case engine.StatusOK:
			g.ok++
		case engine.StatusSkipped:
		default:
			g.bad++
		}
	}
	var ws []report.Warning
	for _, id := range order {
		g := by[id]
		if g.ok == 0 || g.bad > 0 || g.rows != 0 || prevRows[id] <= 0 {
			continue
		}
		span := window.Window{Start: g.first.Start, End: g.last.End}
		ws = append(ws, report.Warning{Source: g.source, Stream: g.stream, Kind: report.WarningZeroRows, PreviousRows: prevRows[id],
			Message: fmt.Sprintf("%s: 0 rows for %s, where the previous run of this stream loaded %d: check the source (not a failure)", id, span, prevRows[id])})
	}
	return ws
}

// StreamReports is each outcome as the run report lists it.
func StreamReports(out []Outcome) []report.StreamReport {
	var rs []report.StreamReport
	for _, o := range out {
		r := o.Result
		sr := report.StreamReport{Source: r.Source, Stream: r.Stream, Window: r.Window.String(), Rows: r.Rows, Rejects: r.Rejects,
			Pages: r.Pages, Retries: r.Retries, Bytes: r.Bytes, DurationSeconds: r.Duration.Seconds(), Status: string(r.Status), Notices: r.Notices}
		if o.Task.Stream.Windowed {
			sr.WindowStart, sr.WindowEnd = r.Window.Start, r.Window.End
		}
		if r.Err != nil {
			sr.Error, sr.Fix = r.Err.Error(), r.Fix
			if errors.Is(r.Err, context.Canceled) {
				sr.Status, sr.Fix = "interrupted", ""
			}
		}
		for _, t := range r.Tables {
			sr.Tables = append(sr.Tables, report.TableReport{Table: t.Table, Rows: t.Rows, Rejects: t.Rejects, UnknownFields: t.Unknown})
		}
		rs = append(rs, sr)
	}
	return rs
}
