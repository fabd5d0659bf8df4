package whatfix

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/httpclient"
)

var _ extract.Checker = (*Config)(nil)

// Check tests the readings the references leave open against the live API
// (etl check): at most two small requests per endpoint, through the same
// rate-limited client the streams use.
func (c *Config) Check(ctx context.Context, env extract.Env) ([]extract.Finding, error) {
	s, err := c.newSource(env)
	if err != nil {
		return nil, err
	}
	day := env.Clock().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	return []extract.Finding{
		s.checkEndDate(ctx, day),
		s.checkPaged(ctx, "end_users", s.cfg.Paths.EndUsers),
		s.checkCursor(ctx, "audit_logs", httpclient.Request{Method: http.MethodPost, Path: s.v1path(s.cfg.Paths.AuditLogs),
			Query: url.Values{"limit": {"1"}},
			JSON: map[string]string{"startDate": day.AddDate(0, 0, -6).Format(AuditDateLayout),
				"endDate": day.Add(24*time.Hour - time.Minute).Format(AuditDateLayout)}}, nil),
		s.checkCursor(ctx, "content_updated", httpclient.Request{Path: s.v1path(s.cfg.Paths.ContentUpdated),
			Query: url.Values{"fromTime": {"0"}, "limit": {"1"}}}, s.checkContentItem),
	}, nil
}

func (s *source) finding(endpoint string, c *httpclient.Client, path string) extract.Finding {
	return extract.Finding{Endpoint: endpoint, URL: strings.TrimSuffix(c.BaseURL(), "/") + path}
}

// fetchRaw sends req and returns the body; an error is explained (URL,
// "wrong path or layout?", "credentials?") into f.
func (s *source) fetchRaw(ctx context.Context, c *httpclient.Client, req httpclient.Request, f *extract.Finding) (json.RawMessage, bool) {
	var raw json.RawMessage
	if err := c.JSON(ctx, req, &raw); err != nil {
		f.Wrong = append(f.Wrong, "request failed: "+s.explain(c, err).Error())
		return nil, false
	}
	if !slices.Contains(f.Held, reachable) {
		f.Held = append(f.Held, reachable)
	}
	return raw, true
}

const reachable = "reachable, credentials accepted"

func dataLen(raw json.RawMessage) (int, bool) {
	var body struct {
		Data []json.RawMessage `json:"data"`
	}
	if json.Unmarshal(raw, &body) != nil || body.Data == nil {
		return 0, false
	}
	return len(body.Data), true
}

// checkEndDate asks flow analytics for one day and for that day with the
// one before: a one-day range that comes back empty while the two-day range
// has rows means endDate is exclusive.
func (s *source) checkEndDate(ctx context.Context, day time.Time) extract.Finding {
	path := s.path(s.cfg.Paths.FlowAnalytics)
	f := s.finding("flow_analytics", s.client, path)
	one, ok := s.fetchRaw(ctx, s.client, httpclient.Request{Path: path, Query: dayQuery(day)}, &f)
	if !ok {
		return f
	}
	n1, ok := dataLen(one)
	if !ok {
		f.Wrong = append(f.Wrong, fmt.Sprintf("response keys %s lack the expected data array: check paths.flow_analytics", httpclient.JoinKeys(httpclient.Keys(one))))
		return f
	}
	f.Held = append(f.Held, "response keys: data found")
	two, ok := s.fetchRaw(ctx, s.client, httpclient.Request{Path: path, Query: url.Values{
		"startDate": {day.AddDate(0, 0, -1).Format(time.DateOnly)}, "endDate": {day.Format(time.DateOnly)}}}, &f)
	if !ok {
		return f
	}
	n2, _ := dataLen(two)
	var reading string
	switch {
	case n1 > 0:
		reading = EndDateInclusive
	case n2 > 0:
		reading = EndDateExclusive
	default:
		f.Unknown = append(f.Unknown, fmt.Sprintf("endDate inclusive? no rows for %s or the day before: cannot tell", day.Format(time.DateOnly)))
		return f
	}
	what := fmt.Sprintf("endDate is %s (one-day range %s: %d rows; two-day range: %d rows)", reading, day.Format(time.DateOnly), n1, n2)
	if reading == s.cfg.EndDate {
		f.Held = append(f.Held, what)
	} else {
		f.Wrong = append(f.Wrong, what+": set whatfix end_date: "+reading)
	}
	return f
}

// checkPaged reads one item of a page/pageSize list.
func (s *source) checkPaged(ctx context.Context, endpoint, p string) extract.Finding {
	path := s.path(p)
	f := s.finding(endpoint, s.client, path)
	raw, ok := s.fetchRaw(ctx, s.client, httpclient.Request{Path: path, Query: url.Values{"page": {"1"}, "pageSize": {"1"}}}, &f)
	if !ok {
		return f
	}
	keys := httpclient.Keys(raw)
	if _, ok := dataLen(raw); !ok {
		f.Wrong = append(f.Wrong, fmt.Sprintf("response keys %s lack the expected data array: check paths.%s", httpclient.JoinKeys(keys), endpoint))
		return f
	}
	f.Held = append(f.Held, "response keys: data found")
	if slices.Contains(keys, "pagination") {
		f.Held = append(f.Held, "paging: pagination found (the walk reads on to a short page either way)")
	} else {
		f.Unknown = append(f.Unknown, "paging: no pagination object (keys "+httpclient.JoinKeys(keys)+"); the walk reads on to a short page")
	}
	return f
}

// checkCursor reads one item of a cursor-paged list and looks for the
// next-page marker cursor_keys names; item, if not nil, checks the item.
func (s *source) checkCursor(ctx context.Context, endpoint string, req httpclient.Request, item func(json.RawMessage, *extract.Finding)) extract.Finding {
	f := s.finding(endpoint, s.v1client, req.Path)
	raw, ok := s.fetchRaw(ctx, s.v1client, req, &f)
	if !ok {
		return f
	}
	items, info, err := httpclient.ReadCursorPage(raw, s.cursorPaging(1), 1)
	switch {
	case err != nil && items == nil:
		f.Wrong = append(f.Wrong, err.Error()+" (paths."+endpoint+", v1.base_url, v1.path_prefix)")
		return f
	case err != nil:
		f.Wrong = append(f.Wrong, "paging: "+err.Error())
	case info.MarkerKey != "":
		f.Held = append(f.Held, fmt.Sprintf("paging: next-page marker %q found", info.MarkerKey))
	default:
		f.Unknown = append(f.Unknown, "paging: no item to page past, so no marker to find (keys "+httpclient.JoinKeys(info.Keys)+")")
	}
	f.Held = append(f.Held, "response keys: data found")
	if item != nil && len(items) > 0 {
		item(items[0], &f)
	}
	return f
}

// checkContentItem: a content-updated item must map to content_id and
// modified_at, or content is read from the full list.
func (s *source) checkContentItem(raw json.RawMessage, f *extract.Finding) {
	obj, err := decodeObject(raw)
	if err != nil {
		f.Wrong = append(f.Wrong, "item is not an object: "+err.Error())
		return
	}
	v := s.contentValues(obj)
	var missing []string
	for _, col := range []string{"content_id", "modified_at"} {
		if _, ok := v[col]; !ok {
			missing = append(missing, col)
		}
	}
	keys := slices.Sorted(maps.Keys(obj))
	if len(missing) == 0 {
		f.Held = append(f.Held, "item keys map to content_id and modified_at ("+strings.Join(keys, ", ")+")")
		return
	}
	f.Wrong = append(f.Wrong, fmt.Sprintf("item keys %s give no %s: set whatfix content_fields (until then each window reads the full content list)",
		strings.Join(keys, ", "), strings.Join(missing, ", ")))
}
