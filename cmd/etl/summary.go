package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/pipeline"
)

// printSummary writes one line per stream window (per stream on a terminal)
// and the reasons of failures.
func printSummary(w io.Writer, out []pipeline.Outcome) {
	if isTerminal(w) {
		printStreamTotals(w, out)
	} else {
		printWindows(w, out)
	}
	printTableRows(w, out)
	printProblems(w, out)
}

// printTableRows says what ROWS adds up for each stream that loads more
// than one table (sessions and their answers are one stream, two tables).
func printTableRows(w io.Writer, out []pipeline.Outcome) {
	type tableRows struct {
		name string
		rows int64
	}
	var order []string
	by := map[string][]tableRows{}
	for _, o := range out {
		r := o.Result
		if len(r.Tables) < 2 {
			continue
		}
		id := r.Source + "." + r.Stream
		if _, ok := by[id]; !ok {
			order = append(order, id)
			by[id] = nil
		}
		for _, t := range r.Tables {
			found := false
			for i := range by[id] {
				if by[id][i].name == t.Table {
					by[id][i].rows += t.Rows
					found = true
				}
			}
			if !found {
				by[id] = append(by[id], tableRows{t.Table, t.Rows})
			}
		}
	}
	for _, id := range order {
		parts := make([]string, len(by[id]))
		var total int64
		for i, t := range by[id] {
			parts[i] = fmt.Sprintf("%s %d", t.name, t.rows)
			total += t.rows
		}
		if total > 0 {
			fmt.Fprintf(w, "ROWS of %s = %s\n", id, strings.Join(parts, " + "))
		}
	}
}

// printWindows is the summary for logs and schedulers: every window.
func printWindows(w io.Writer, out []pipeline.Outcome) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tSTREAM\tWINDOW\tROWS\tREJECTS\tPAGES\tRETRIES\tDURATION\tSTATUS")
	var rows, rejects, pages, retries int64
	for _, o := range out {
		r := o.Result
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", r.Source, r.Stream, r.Window, r.Rows, r.Rejects, r.Pages, r.Retries, r.Duration.Round(time.Millisecond), r.Status)
		rows, rejects, pages, retries = rows+r.Rows, rejects+r.Rejects, pages+r.Pages, retries+r.Retries
	}
	fmt.Fprintf(tw, "TOTAL\t\t\t%d\t%d\t%d\t%d\t\t\n", rows, rejects, pages, retries)
	tw.Flush()
}

// printStreamTotals is the summary a person reads: a 30-day backfill in
// 7-day chunks is one line per stream, not one per chunk (the --report file
// and --log-file keep every window). Failed windows are listed below it.
func printStreamTotals(w io.Writer, out []pipeline.Outcome) {
	type totals struct {
		source, stream                string
		windows, failed, skipped      int
		rows, rejects, pages, retries int64
		took                          time.Duration
	}
	var order []*totals
	by := map[string]*totals{}
	var all totals
	for _, o := range out {
		r := o.Result
		key := r.Source + "." + r.Stream
		t, ok := by[key]
		if !ok {
			t = &totals{source: r.Source, stream: r.Stream}
			by[key] = t
			order = append(order, t)
		}
		for _, t := range []*totals{t, &all} {
			t.windows++
			t.rows, t.rejects, t.pages, t.retries = t.rows+r.Rows, t.rejects+r.Rejects, t.pages+r.Pages, t.retries+r.Retries
			t.took += r.Duration
			switch r.Status {
			case engine.StatusFailed:
				t.failed++
			case engine.StatusSkipped:
				t.skipped++
			}
		}
	}
	status := func(t *totals) string {
		var parts []string
		if t.failed > 0 {
			parts = append(parts, fmt.Sprintf("%d failed", t.failed))
		}
		if t.skipped > 0 {
			parts = append(parts, fmt.Sprintf("%d skipped", t.skipped))
		}
		if len(parts) == 0 {
			return "ok"
		}
		return strings.Join(parts, ", ")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// CHUNKS and TIME, short words: the long Whatfix report names leave
	// just enough room for the header in 120 columns.
	fmt.Fprintln(tw, "SOURCE\tSTREAM\tCHUNKS\tROWS\tREJECTS\tPAGES\tRETRIES\tTIME\tSTATUS")
	for _, t := range order {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", t.source, t.stream, t.windows, t.rows, t.rejects, t.pages, t.retries, t.took.Round(time.Millisecond), status(t))
	}
	fmt.Fprintf(tw, "TOTAL\t\t%d\t%d\t%d\t%d\t%d\t\t%s\n", all.windows, all.rows, all.rejects, all.pages, all.retries, status(&all))
	tw.Flush()
}

// printProblems lists what failed or needs a look, window by window.
func printProblems(w io.Writer, out []pipeline.Outcome) {
	for _, o := range out {
		r := o.Result
		if r.Err != nil {
			fmt.Fprintf(w, "FAILED %s.%s %s: %s\n", r.Source, r.Stream, r.Window, failedText(r))
		}
		if o.SaveErr != nil {
			fmt.Fprintf(w, "WARNING %s.%s %s: loaded, but progress not saved (a rerun redoes it harmlessly): %v\n", r.Source, r.Stream, r.Window, o.SaveErr)
		}
		for _, n := range r.Notices {
			fmt.Fprintf(w, "NOTE %s\n", n)
		}
		for _, t := range r.Tables {
			if len(t.Unknown) > 0 {
				fmt.Fprintf(w, "NOTE %s: fields not in the schema (kept in _extra where the table has it): %s\n", t.Table, strings.Join(t.Unknown, ", "))
			}
		}
	}
}

// maxFailedText keeps a FAILED line readable; the report and --log-file
// keep the whole error (an API's error body can run to 512 characters).
const maxFailedText = 160

// failedText is a failed window's error for its FAILED line: what to change
// first (the engine words it so), without repeating the stream and window
// the line starts with, cut to maxFailedText but never inside the fix.
func failedText(r engine.Result) string {
	msg := r.Err.Error()
	msg = strings.TrimPrefix(msg, fmt.Sprintf("%s %s window %s: ", r.Source, r.Stream, r.Window))
	limit := max(maxFailedText, len(r.Fix)+60)
	if len(msg) <= limit {
		return msg
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}
