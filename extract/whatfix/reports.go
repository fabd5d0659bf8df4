package whatfix

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/extract/whatfix/reportcsv"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// reportRun is one report stream: its spec plus what it has told the
// operator already (unknown columns are reported once per run, not once per
// day and flow).
type reportRun struct {
	s        *source
	spec     reportSpec
	reserved []string

	mu      sync.Mutex
	noticed map[string]bool
}

func (s *source) reportStream(spec reportSpec) *engine.Stream {
	r := &reportRun{s: s, spec: spec, reserved: ReservedReportColumns(spec.perFlow), noticed: map[string]bool{}}
	doc := fmt.Sprintf("report %s (%s, one request per UTC day", spec.name, spec.format)
	if spec.perFlow {
		doc += " and flow"
	}
	return &engine.Stream{
		Source:      SourceName,
		Name:        spec.stream,
		Doc:         doc + ")",
		Tables:      []*schemas.Table{spec.table},
		Windowed:    true,
		WindowField: "report day (startDate = endDate = the day)",
		Chunk:       7 * window.Day,
		Extract:     r.extract,
	}
}

type reportUnit struct {
	day  time.Time
	flow string
}

func (r *reportRun) extract(ctx context.Context, w window.Window, out engine.Emitter) error {
	days := reportDays(w)
	if len(days) == 0 {
		return nil
	}
	var units []reportUnit
	if r.spec.perFlow {
		flows, err := r.s.flowIDs(ctx)
		if err != nil {
			return fmt.Errorf("report %s: list the flows to request it for: %w", r.spec.name, err)
		}
		if len(flows) == 0 {
			out.Notice(fmt.Sprintf("whatfix report %s: the content list has no flows, so there is nothing to request", r.spec.name))
			return nil
		}
		for _, d := range days {
			for _, f := range flows {
				units = append(units, reportUnit{day: d, flow: f})
			}
		}
	} else {
		for _, d := range days {
			units = append(units, reportUnit{day: d})
		}
	}
	// Each day (and flow) is a request of its own: overlapping them is what
	// keeps the rate limit busy when the API is far away.
	return engine.ForEach(ctx, units, r.s.cfg.FlowConcurrency, out.Progress, func(ctx context.Context, u reportUnit) error {
		return r.fetch(ctx, u, out)
	})
}

// flowIDs lists the flows of the account (content of type Flow).
func (s *source) flowIDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.walkPages(ctx, "content list", s.path(s.cfg.Paths.Content), url.Values{"type": {"Flow"}}, nil, func(page int, items []json.RawMessage) error {
		for i, raw := range items {
			var c struct {
				ContentID string `json:"contentId"`
				Type      string `json:"type"`
			}
			if err := json.Unmarshal(raw, &c); err != nil || c.ContentID == "" {
				return fmt.Errorf("content list page %d item %d: no contentId in %.200s", page, i+1, raw)
			}
			if strings.EqualFold(c.Type, "Flow") || c.Type == "" {
				ids = append(ids, c.ContentID)
			}
		}
		return nil
	})
	return ids, err
}

func (r *reportRun) fetch(ctx context.Context, u reportUnit, out engine.Emitter) error {
	where := "report " + r.spec.name + " day " + u.day.Format(time.DateOnly)
	q := dayQuery(u.day)
	q.Set("format", r.spec.format)
	// The references type both as "Array of strings" in the query: the
	// OpenAPI default for that is one parameter per item, not a comma list.
	if len(r.s.cfg.IncludeDomains) > 0 {
		q["includeDomains"] = append([]string(nil), r.s.cfg.IncludeDomains...)
	}
	if len(r.s.cfg.ExcludeDomains) > 0 {
		q["excludeDomains"] = append([]string(nil), r.s.cfg.ExcludeDomains...)
	}
	if r.spec.perFlow {
		q.Set("flowId", u.flow)
		where += " flow " + u.flow
	}
	path := r.s.path(r.spec.path)
	// A large report is downloaded to a temporary file and parsed from
	// there, so it never sits in memory; a body cut short is retried whole.
	f, err := r.s.client.Download(ctx, httpclient.Request{Path: path, Query: q})
	if err != nil {
		if httpclient.IsStatus(err, 404) {
			// Report paths other than summary/mostPopularFlows are guessed.
			return fmt.Errorf("%s: %w", where, engine.NeedsFix(fmt.Sprintf("report %s not found (404) at %s: wrong path or layout? check the report's path (reports[].path) in pipelines.yaml, base_url and path_prefix; credentials? check %s (%q) is the account",
				r.spec.name, strings.TrimSuffix(r.s.client.BaseURL(), "/")+"/"+strings.TrimPrefix(path, "/"), EnvAccountID, r.s.cfg.AccountID), err))
		}
		return fmt.Errorf("%s: %w", where, r.s.explain(r.s.client, err))
	}
	defer func() {
		_ = f.Close()
	}()
	base := map[string]any{ReportDate: u.day, AccountID: r.s.cfg.AccountID}
	if r.spec.perFlow {
		base[FlowID] = u.flow
	}
	if r.spec.format == "csv" {
		return r.readCSV(ctx, f, where, base, out)
	}
	return r.readJSON(ctx, f, where, base, out)
}

func withBase(base map[string]any, n int) map[string]any {
	m := make(map[string]any, len(base)+n)
	for k, v := range base {
		m[k] = v
	}
	return m
}

// cell is a report value as emitted: an empty cell (CSV) or an empty or
// null value (JSON) is a missing figure, so both formats give the same row.
func cell(v any) any {
	if s, ok := v.(string); ok && s == "" {
		return nil
	}
	return v
}

func (r *reportRun) readCSV(ctx context.Context, f io.Reader, where string, base map[string]any, out engine.Emitter) error {
	rd, err := reportcsv.NewReaderMax(f, int(r.s.cfg.MaxField))
	if err != nil {
		return fmt.Errorf("%s: CSV: %w", where, err)
	}
	names := ColumnNames(rd.Header(), r.reserved...)
	column := make(map[string]string, len(names))
	for i, h := range rd.Header() {
		column[h] = names[i]
	}
	r.noticeUnknown(out, names)
	table := r.spec.table.Name
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var rowErr *reportcsv.RowError
		if errors.As(err, &rowErr) {
			// base carries the report day the line was requested for: the
			// reject lives on that day, as the line's row would.
			if err := out.Reject(ctx, table, rowErr.Error(), engine.Row{Raw: rec.Raw, Values: base, Where: fmt.Sprintf("%s line %d", where, rec.Line)}); err != nil {
				return fmt.Errorf("%s line %d: %w", where, rec.Line, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: CSV: %w", where, err)
		}
		values := withBase(base, len(rec.Fields))
		for h, v := range rec.Fields {
			values[column[h]] = cell(v)
		}
		if err := out.Emit(ctx, table, engine.Row{Values: values, Raw: rec.Raw, Where: fmt.Sprintf("%s line %d", where, rec.Line)}); err != nil {
			return fmt.Errorf("%s line %d: %w", where, rec.Line, err)
		}
	}
}

// readJSON walks {"data":[{…},…], …} token by token, so a large report is
// decoded one row at a time.
func (r *reportRun) readJSON(ctx context.Context, f io.Reader, where string, base map[string]any, out engine.Emitter) error {
	dec := json.NewDecoder(bufio.NewReader(f))
	dec.UseNumber()
	fail := func(err error) error {
		return fmt.Errorf("%s: JSON body at byte %d: %w", where, dec.InputOffset(), err)
	}
	if err := expectDelim(dec, '{'); err != nil {
		return fail(err)
	}
	sawData := false
	names := map[string][]string{} // key list -> column names
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		if key, _ := tok.(string); key != "data" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(err)
			}
			continue
		}
		sawData = true
		tok, err = dec.Token()
		if err != nil {
			return fail(err)
		}
		if tok == nil {
			continue // "data": null, an empty report
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return fail(fmt.Errorf("data is %v, not an array", tok))
		}
		for n := 1; dec.More(); n++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fail(err)
			}
			if err := r.emitJSONRow(ctx, raw, fmt.Sprintf("%s row %d", where, n), base, names, out); err != nil {
				return err
			}
		}
		if err := expectDelim(dec, ']'); err != nil {
			return fail(err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return fail(err)
	}
	if !sawData {
		return fmt.Errorf("%s: the JSON has no data array: check the report's path and format in pipelines.yaml", where)
	}
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}

func (r *reportRun) emitJSONRow(ctx context.Context, raw json.RawMessage, where string, base map[string]any, cache map[string][]string, out engine.Emitter) error {
	table := r.spec.table.Name
	keys, vals, err := orderedObject(raw)
	if err != nil {
		if err := out.Reject(ctx, table, "not a report row: "+err.Error(), engine.Row{Raw: string(raw), Values: base, Where: where}); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		return nil
	}
	sig := strings.Join(keys, "\x00")
	names, ok := cache[sig]
	if !ok {
		names = ColumnNames(keys, r.reserved...)
		cache[sig] = names
		r.noticeUnknown(out, names)
	}
	values := withBase(base, len(keys))
	for i, name := range names {
		values[name] = cell(vals[i])
	}
	if err := out.Emit(ctx, table, engine.Row{Values: values, Raw: string(raw), Where: where}); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}

// orderedObject decodes an object keeping its keys in order, so that JSON
// keys are named (and repeats suffixed) exactly as the same CSV header would
// be.
func orderedObject(raw json.RawMessage) ([]string, []any, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("expected an object, got %s", strings.TrimSpace(string(raw)))
	}
	var keys []string
	var vals []any
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		key, _ := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		keys = append(keys, key)
		vals = append(vals, v)
	}
	return keys, vals, nil
}

// noticeUnknown tells the operator, once per run, which columns of the
// report the table does not declare (they are kept in _extra).
func (r *reportRun) noticeUnknown(out engine.Emitter, names []string) {
	var fresh []string
	r.mu.Lock()
	for _, n := range names {
		if r.spec.table.Index(n) < 0 && !r.noticed[n] {
			r.noticed[n] = true
			fresh = append(fresh, n)
		}
	}
	r.mu.Unlock()
	if len(fresh) == 0 {
		return
	}
	hint := "declare them in extract/whatfix/reporttables.go to promote them"
	if !r.spec.declared {
		hint = "declare them under columns: of this report in pipelines.yaml (or in extract/whatfix/reporttables.go) to promote them"
	}
	out.Notice(fmt.Sprintf("whatfix report %s: unknown columns [%s] kept in _extra; %s", r.spec.name, strings.Join(fresh, ", "), hint))
}
