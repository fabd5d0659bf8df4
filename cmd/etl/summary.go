package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/adoptionlabs/etl/job"
)

// printSummary writes one line per stream window and the reasons of failures.
func printSummary(w io.Writer, out []job.Outcome) {
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
	for _, o := range out {
		r := o.Result
		if r.Err != nil {
			fmt.Fprintf(w, "FAILED %s.%s %s: %v\n", r.Source, r.Stream, r.Window, r.Err)
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
