package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/atomicfile"
)

// WriteMetrics writes the run as a Prometheus textfile-collector file
// (node_exporter --collector.textfile.directory), replacing it atomically.
// Every series is a gauge describing the last run; per-stream series
// aggregate the stream's windows. lastSuccess (keyed by StreamKey, e.g. from
// state entries' LastSuccess) gives etl_stream_last_success_timestamp_seconds
// for streams that did not succeed in this run, including streams this run
// did not touch; a stream that never succeeded has no such series.
//
// node_exporter rejects a series that two files both contain, so nightly
// runs and backfills of the same streams should write the same file.
func WriteMetrics(path string, r Run, lastSuccess map[string]time.Time) error {
	if err := atomicfile.WriteFile(path, []byte(Metrics(r, lastSuccess)), reportPerm); err != nil {
		return fmt.Errorf("write metrics file %s: %w", path, err)
	}
	return nil
}

type family struct {
	name, help string
	samples    []sample
}

type sample struct {
	source, stream string // both empty for run-level series
	value          float64
	// labels, when set, replace source and stream: name, value, name, value...
	labels []string
}

// Metrics renders what WriteMetrics writes.
func Metrics(r Run, lastSuccess map[string]time.Time) string {
	sources := SourceStatuses(r.Sources, r.Streams)
	streams := withSkippedStreams(Summarize(r.Streams), sources)
	perStream := func(name, help string, value func(StreamSummary) float64) family {
		f := family{name: name, help: help}
		for _, s := range streams {
			f.samples = append(f.samples, sample{source: s.Source, stream: s.Stream, value: value(s)})
		}
		return f
	}
	families := []family{
		perStream("etl_stream_rows", "Rows loaded for the stream by the last run, over all its windows.",
			func(s StreamSummary) float64 { return float64(s.Rows) }),
		perStream("etl_stream_rejects", "Rows the last run rejected for the stream (did not fit the schema).",
			func(s StreamSummary) float64 { return float64(s.Rejects) }),
		perStream("etl_stream_pages", "API requests (pages) the last run made for the stream.",
			func(s StreamSummary) float64 { return float64(s.Pages) }),
		perStream("etl_stream_retries", "Requests the last run retried for the stream.",
			func(s StreamSummary) float64 { return float64(s.Retries) }),
		perStream("etl_stream_windows", "Windows (chunks) the last run processed for the stream.",
			func(s StreamSummary) float64 { return float64(s.Windows) }),
		perStream("etl_stream_duration_seconds", "Seconds the last run spent on the stream, summed over its windows.",
			func(s StreamSummary) float64 { return s.DurationSeconds }),
		perStream("etl_stream_status", "1 if every window of the stream succeeded in the last run, 0 if any failed or was interrupted, or its source could not run (etl_source_status says why).",
			func(s StreamSummary) float64 { return boolValue(s.OK()) }),
		perStream("etl_stream_zero_rows_warning", "1 if the stream loaded 0 rows in the last run where its previous run loaded rows (not a failure: check the source).",
			func(s StreamSummary) float64 { return boolValue(warned(r, s, WarningZeroRows)) }),
		lastSuccessFamily(r, streams, lastSuccess),
		sourceFamily(sources),
		{name: "etl_run_duration_seconds", help: "Wall-clock seconds of the last run.", samples: []sample{{value: runDuration(r)}}},
		{name: "etl_run_status", help: "1 if the last run succeeded, 0 if it failed, was interrupted or a source could not run.", samples: []sample{{value: boolValue(r.Status == StatusOK)}}},
		{name: "etl_run_finished_timestamp_seconds", help: "Unix time the last run finished.", samples: []sample{{value: unixSeconds(r.Finished)}}},
	}
	var b strings.Builder
	for _, f := range families {
		if len(f.samples) == 0 {
			continue
		}
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", f.name, escapeHelp(f.help), f.name)
		for _, s := range f.samples {
			b.WriteString(f.name)
			switch {
			case s.labels != nil:
				b.WriteByte('{')
				for i := 0; i+1 < len(s.labels); i += 2 {
					if i > 0 {
						b.WriteByte(',')
					}
					fmt.Fprintf(&b, `%s="%s"`, s.labels[i], escapeLabel(s.labels[i+1]))
				}
				b.WriteByte('}')
			case s.source != "" || s.stream != "":
				fmt.Fprintf(&b, `{source="%s",stream="%s"}`, escapeLabel(s.source), escapeLabel(s.stream))
			}
			b.WriteByte(' ')
			b.WriteString(formatValue(s.value))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// withSkippedStreams adds the streams of each source that could not run,
// with no windows and its status: their series stay in the file (status 0)
// instead of vanishing with the source.
func withSkippedStreams(streams []StreamSummary, sources []SourceReport) []StreamSummary {
	have := map[string]bool{}
	for _, s := range streams {
		have[StreamKey(s.Source, s.Stream)] = true
	}
	added := false
	for _, src := range sources {
		if !src.Skipped() {
			continue
		}
		for _, st := range src.Streams {
			if !have[StreamKey(src.Source, st)] {
				streams = append(streams, StreamSummary{Source: src.Source, Stream: st, Status: src.Status})
				added = true
			}
		}
	}
	if added {
		sort.SliceStable(streams, func(i, j int) bool {
			if streams[i].Source != streams[j].Source {
				return streams[i].Source < streams[j].Source
			}
			return streams[i].Stream < streams[j].Stream
		})
	}
	return streams
}

// sourceFamily is etl_source_status: one series per selected source, 1 when
// it ran and every window succeeded (or it is disabled, as meant), else 0.
// status is ok, failed, interrupted, skipped or disabled; reason says why a
// skipped source could not run ("USERFLOW_API_KEY unset").
func sourceFamily(sources []SourceReport) family {
	f := family{name: "etl_source_status", help: "1 if the source ran and every window succeeded in the last run (or is disabled in the config), 0 if it failed, was interrupted or could not run (status and reason say which)."}
	for _, src := range sources {
		status, reason, _ := strings.Cut(src.Status, ": ")
		ok := status == StatusOK || status == "disabled"
		f.samples = append(f.samples, sample{value: boolValue(ok), labels: []string{"source", src.Source, "status", status, "reason", reason}})
	}
	return f
}

func warned(r Run, s StreamSummary, kind string) bool {
	for _, w := range r.Warnings {
		if w.Kind == kind && w.Source == s.Source && w.Stream == s.Stream {
			return true
		}
	}
	return false
}

func lastSuccessFamily(r Run, streams []StreamSummary, lastSuccess map[string]time.Time) family {
	latest := map[string]time.Time{}
	ids := map[string][2]string{}
	for k, t := range lastSuccess {
		source, stream, ok := strings.Cut(k, ".")
		if !ok || t.IsZero() {
			continue
		}
		latest[k], ids[k] = t, [2]string{source, stream}
	}
	for _, s := range streams {
		k := StreamKey(s.Source, s.Stream)
		ids[k] = [2]string{s.Source, s.Stream}
		if s.OK() && !r.Finished.IsZero() && r.Finished.After(latest[k]) {
			latest[k] = r.Finished
		}
	}
	keys := make([]string, 0, len(latest))
	for k, t := range latest {
		if !t.IsZero() {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := ids[keys[i]], ids[keys[j]]
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		return a[1] < b[1]
	})
	f := family{name: "etl_stream_last_success_timestamp_seconds", help: "Unix time the stream last finished a run successfully."}
	for _, k := range keys {
		f.samples = append(f.samples, sample{source: ids[k][0], stream: ids[k][1], value: unixSeconds(latest[k])})
	}
	return f
}

func runDuration(r Run) float64 {
	if r.DurationSeconds != 0 {
		return r.DurationSeconds
	}
	if r.Started.IsZero() || r.Finished.IsZero() {
		return 0
	}
	return r.Finished.Sub(r.Started).Seconds()
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// escapeLabel escapes a label value per the text exposition format.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// HELP text escapes only backslash and newline.
var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

func escapeHelp(s string) string { return helpEscaper.Replace(s) }
