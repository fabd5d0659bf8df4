package pipeline

import (
	"context"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/report"
	"github.com/adoptionlabs/etl/state"
)

// recordFailures saves each failed window's error as its stream's last
// status; a failure to save it is logged (the summary still names it).
func (p *Pipeline) recordFailures(store state.Store, out []Outcome) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, o := range out {
		if o.Result.Status != engine.StatusFailed {
			continue
		}
		msg := ""
		if o.Result.Err != nil {
			msg = o.Result.Err.Error()
		}
		if err := store.RecordFailure(ctx, state.Entry{Source: o.Result.Source, Stream: o.Result.Stream, LastStatus: "failed", LastError: msg}); err != nil {
			p.Log.Warn("could not record the failure in the state store: `etl state show` will not list it", "stream", o.Task.Stream.ID(), "window", o.Task.Window.String(), "err", err)
		}
	}
}

// writeReports writes the JSON report and the Prometheus textfile; a
// failure is logged, the run's outcome stands.
func (p *Pipeline) writeReports(spec Spec, store state.Store, r report.Run) {
	if spec.ReportPath != "" {
		var opts []report.Option
		if p.Redact != nil {
			opts = append(opts, report.WithRedactor(p.Redact))
		}
		if err := report.WriteJSON(spec.ReportPath, r, opts...); err != nil {
			p.Log.Error("could not write the run report", "path", spec.ReportPath, "err", err)
		}
	}
	if spec.MetricsPath == "" {
		return
	}
	last := map[string]time.Time{}
	if store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		entries, err := store.List(ctx)
		cancel()
		if err != nil {
			p.Log.Warn("could not read the state store: the metrics file has no last-success times", "err", err)
		}
		for _, e := range entries {
			if !e.LastSuccess.IsZero() {
				last[report.StreamKey(e.Source, e.Stream)] = e.LastSuccess
			}
		}
	}
	if err := report.WriteMetrics(spec.MetricsPath, r, last); err != nil {
		p.Log.Error("could not write the metrics file", "path", spec.MetricsPath, "err", err)
	}
}
