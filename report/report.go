// Package report writes what a run did for machines: a JSON run report that a
// scheduler or an alert reads, and a Prometheus textfile-collector file.
// Both are replaced atomically, so a reader never sees half a file.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/atomicfile"
)

// reportPerm lets node_exporter or a scheduler running as another user read
// the files.
const reportPerm = 0o644

// Statuses of a stream window and of a run.
const (
	StatusOK          = "ok"
	StatusFailed      = "failed"
	StatusSkipped     = "skipped"
	StatusInterrupted = "interrupted"
)

// Version is the report_version field: it changes only when a field changes
// meaning or goes away (new fields may appear without it).
const Version = 1

// TableReport is what one table received in one window.
type TableReport struct {
	Table   string `json:"table"`
	Rows    int64  `json:"rows"`
	Rejects int64  `json:"rejects"`
	// UnknownFields are source fields the table does not declare.
	UnknownFields []string `json:"unknown_fields"`
}

// StreamReport is one stream over one window.
type StreamReport struct {
	Source string `json:"source"`
	Stream string `json:"stream"`
	// Window is the window as people read it ("2026-01-01..2026-01-07").
	Window string `json:"window"`
	// WindowStart and WindowEnd are zero (and left out) for snapshot streams.
	WindowStart     time.Time     `json:"window_start,omitzero"`
	WindowEnd       time.Time     `json:"window_end,omitzero"`
	Rows            int64         `json:"rows"`
	Rejects         int64         `json:"rejects"`
	Pages           int64         `json:"pages"`
	Retries         int64         `json:"retries"`
	Bytes           int64         `json:"bytes"`
	DurationSeconds float64       `json:"duration_seconds"`
	Status          string        `json:"status"`
	Error           string        `json:"error"`
	Notices         []string      `json:"notices"`
	Tables          []TableReport `json:"tables"`
	// Fix, on a failed window, is what to change: the failure is one a
	// rerun cannot cure (refused credentials, a wrong path, a setting). A
	// failed window without it failed on something transient.
	Fix string `json:"fix"`
}

// SourceReport is one source the command selected.
type SourceReport struct {
	Source string `json:"source"`
	// Status is, for a source that ran, ok, failed or interrupted (the
	// worst of its streams); "disabled" for `enabled: false`; and for one
	// that could not run, "skipped: " and why ("skipped: USERFLOW_API_KEY
	// unset"), which fails the run.
	Status string `json:"status"`
	// Streams are the source's selected streams.
	Streams []string `json:"streams"`
}

// Skipped says the source was meant to run and could not.
func (s SourceReport) Skipped() bool { return strings.HasPrefix(s.Status, StatusSkipped+":") }

// WarningZeroRows is a stream that loaded 0 rows where its previous run
// loaded some.
const WarningZeroRows = "zero_rows"

// Warning is one stream's warning.
type Warning struct {
	Source string `json:"source"`
	Stream string `json:"stream"`
	Kind   string `json:"kind"`
	// PreviousRows is what the stream's previous run loaded (zero_rows).
	PreviousRows int64  `json:"previous_rows"`
	Message      string `json:"message"`
}

// Totals add up a run's windows.
type Totals struct {
	Streams       int      `json:"streams"`
	Windows       int      `json:"windows"`
	FailedWindows int      `json:"failed_windows"`
	FailedStreams []string `json:"failed_streams"`
	Rows          int64    `json:"rows"`
	Rejects       int64    `json:"rejects"`
	Pages         int64    `json:"pages"`
	Retries       int64    `json:"retries"`
	Bytes         int64    `json:"bytes"`
	// SkippedSources could not run (credentials unset).
	SkippedSources []string `json:"skipped_sources"`
}

// Run is one etl invocation.
type Run struct {
	RunID    string    `json:"run_id"`
	Command  string    `json:"command"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// DurationSeconds is Finished - Started when left zero.
	DurationSeconds float64 `json:"duration_seconds"`
	// Status is ok, failed or interrupted (a source that could not run
	// fails the run).
	Status   string `json:"status"`
	ExitCode int    `json:"exit_code"`
	Sink     string `json:"sink"`
	// Sources are the selected sources, in name order, each with its
	// status (a source that did not run has no streams entry).
	Sources []SourceReport `json:"sources"`
	Streams []StreamReport `json:"streams"`
	// Warnings are things to look at that did not fail the run.
	Warnings []Warning `json:"warnings"`
	// Totals are computed by WriteJSON from Streams.
	Totals Totals `json:"totals"`
}

// StreamKey names a stream in maps: "source.stream", the engine's stream ID.
func StreamKey(source, stream string) string { return source + "." + stream }

// StreamSummary aggregates the windows of one stream (a backfill has many).
type StreamSummary struct {
	Source, Stream string
	Windows        int
	Rows, Rejects  int64
	Pages, Retries int64
	Bytes          int64
	// DurationSeconds adds up the windows' durations: with parallel windows
	// it can exceed the run's wall time.
	DurationSeconds float64
	// Status is failed if any window failed, else interrupted if any was,
	// else skipped if every window was, else ok.
	Status string
	// Errors are the failed windows' errors, in window order.
	Errors []string
}

// OK says the stream did what was asked (skipped windows count as done).
func (s StreamSummary) OK() bool { return s.Status == StatusOK || s.Status == StatusSkipped }

// Summarize aggregates windows per stream, ordered by source then stream.
func Summarize(windows []StreamReport) []StreamSummary {
	byKey := map[string]*StreamSummary{}
	var keys []string
	counts := map[string]map[string]int{}
	for _, w := range windows {
		k := StreamKey(w.Source, w.Stream)
		s, ok := byKey[k]
		if !ok {
			s = &StreamSummary{Source: w.Source, Stream: w.Stream}
			byKey[k] = s
			keys = append(keys, k)
			counts[k] = map[string]int{}
		}
		s.Windows++
		s.Rows += w.Rows
		s.Rejects += w.Rejects
		s.Pages += w.Pages
		s.Retries += w.Retries
		s.Bytes += w.Bytes
		s.DurationSeconds += w.DurationSeconds
		counts[k][w.Status]++
		if w.Status == StatusFailed && w.Error != "" {
			s.Errors = append(s.Errors, w.Error)
		}
	}
	out := make([]StreamSummary, 0, len(keys))
	for _, k := range keys {
		s, c := byKey[k], counts[k]
		switch {
		case c[StatusFailed] > 0:
			s.Status = StatusFailed
		case c[StatusInterrupted] > 0:
			s.Status = StatusInterrupted
		case c[StatusSkipped] == s.Windows:
			s.Status = StatusSkipped
		case c[StatusOK]+c[StatusSkipped] == s.Windows:
			s.Status = StatusOK
		default:
			// A status this package does not know is not a success.
			s.Status = StatusFailed
		}
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Stream < out[j].Stream
	})
	return out
}

// TotalsOf adds up windows.
func TotalsOf(windows []StreamReport) Totals {
	t := Totals{Windows: len(windows), FailedStreams: []string{}, SkippedSources: []string{}}
	for _, w := range windows {
		t.Rows += w.Rows
		t.Rejects += w.Rejects
		t.Pages += w.Pages
		t.Retries += w.Retries
		t.Bytes += w.Bytes
		if w.Status == StatusFailed {
			t.FailedWindows++
		}
	}
	for _, s := range Summarize(windows) {
		t.Streams++
		if !s.OK() {
			t.FailedStreams = append(t.FailedStreams, StreamKey(s.Source, s.Stream))
		}
	}
	return t
}

// Option tunes WriteJSON.
type Option func(*options)

type options struct {
	redact func(string) string
}

// WithRedactor passes every free text of the report (command line, sink,
// errors, notices) through redact before it is written: the place to blank
// out secrets that an error message or a flag might carry.
func WithRedactor(redact func(string) string) Option {
	return func(o *options) { o.redact = redact }
}

// document is the file's shape: a version, then the run's fields.
type document struct {
	Version int `json:"report_version"`
	Run
}

// Prepare returns the run as WriteJSON writes it: totals and duration
// computed, times in UTC, empty lists as [] rather than null, free text
// redacted.
func Prepare(r Run, opts ...Option) Run {
	o := options{redact: func(s string) string { return s }}
	for _, opt := range opts {
		opt(&o)
	}
	r.Started, r.Finished = utc(r.Started), utc(r.Finished)
	if r.DurationSeconds == 0 && !r.Started.IsZero() && !r.Finished.IsZero() {
		r.DurationSeconds = r.Finished.Sub(r.Started).Seconds()
	}
	r.Command, r.Sink = o.redact(r.Command), o.redact(r.Sink)
	streams := make([]StreamReport, len(r.Streams))
	for i, s := range r.Streams {
		s.WindowStart, s.WindowEnd = utc(s.WindowStart), utc(s.WindowEnd)
		s.Error, s.Fix = o.redact(s.Error), o.redact(s.Fix)
		notices := make([]string, len(s.Notices))
		for j, n := range s.Notices {
			notices[j] = o.redact(n)
		}
		s.Notices = notices
		tables := make([]TableReport, len(s.Tables))
		for j, t := range s.Tables {
			if t.UnknownFields == nil {
				t.UnknownFields = []string{}
			}
			tables[j] = t
		}
		s.Tables = tables
		streams[i] = s
	}
	r.Streams = streams
	r.Sources = SourceStatuses(r.Sources, streams)
	warnings := make([]Warning, len(r.Warnings))
	for i, w := range r.Warnings {
		w.Message = o.redact(w.Message)
		warnings[i] = w
	}
	r.Warnings = warnings
	r.Totals = TotalsOf(streams)
	for _, src := range r.Sources {
		if src.Skipped() {
			r.Totals.SkippedSources = append(r.Totals.SkippedSources, src.Source)
		}
	}
	return r
}

// SourceStatuses fills the status of each source that ran (left empty by
// the caller) from its windows: failed if any stream failed, else
// interrupted if any was, else ok. Sources come back in name order, lists
// as [] rather than null.
func SourceStatuses(sources []SourceReport, windows []StreamReport) []SourceReport {
	worst := map[string]string{}
	for _, s := range Summarize(windows) {
		switch {
		case s.Status == StatusFailed || worst[s.Source] == StatusFailed:
			worst[s.Source] = StatusFailed
		case s.Status == StatusInterrupted || worst[s.Source] == StatusInterrupted:
			worst[s.Source] = StatusInterrupted
		default:
			worst[s.Source] = StatusOK
		}
	}
	out := make([]SourceReport, len(sources))
	for i, src := range sources {
		if src.Status == "" {
			src.Status = worst[src.Source]
			if src.Status == "" {
				src.Status = StatusOK // nothing to do this time
			}
		}
		if src.Streams == nil {
			src.Streams = []string{}
		}
		out[i] = src
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// WriteJSON writes the run report to path (pretty-printed, snake_case
// fields, see Prepare), replacing any previous one atomically.
func WriteJSON(path string, r Run, opts ...Option) error {
	b, err := json.MarshalIndent(document{Version: Version, Run: Prepare(r, opts...)}, "", "  ")
	if err != nil {
		return fmt.Errorf("run report: %w", err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), reportPerm); err != nil {
		return fmt.Errorf("write run report %s: %w", path, err)
	}
	return nil
}

// ReadJSON reads a report WriteJSON wrote.
func ReadJSON(path string) (Run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Run{}, fmt.Errorf("read run report: %w", err)
	}
	var doc document
	if err := json.Unmarshal(b, &doc); err != nil {
		return Run{}, fmt.Errorf("run report %s: %w", path, err)
	}
	if doc.Version > Version {
		return Run{}, fmt.Errorf("run report %s has report_version %d, this etl reads up to %d", path, doc.Version, Version)
	}
	return doc.Run, nil
}
