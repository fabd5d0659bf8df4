package whatfix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/window"
)

// source is one opened configuration: the clients every stream shares, so
// they share its rate limit.
type source struct {
	cfg    *Config
	client *httpclient.Client
	// prefix is path_prefix with the account filled in, without a trailing /.
	prefix string
	// v1client and v1prefix serve the endpoints only the v1 reference
	// documents (audit logs, content updated); by default the same as client
	// and prefix.
	v1client *httpclient.Client
	v1prefix string
}

// path is the request path of an endpoint path relative to path_prefix.
func (s *source) path(p string) string {
	return s.prefix + "/" + strings.TrimLeft(p, "/")
}

// v1path is the request path of a v1-group endpoint.
func (s *source) v1path(p string) string {
	return s.v1prefix + "/" + strings.TrimLeft(p, "/")
}

// explain turns the statuses a person can fix into what to fix. c is the
// client that sent the request, so the message names the URL it hit (the
// base URL holds no secret). A 403 or 404 from a path the vendor moved reads
// like a credentials problem, so both readings are offered. The
// *httpclient.StatusError stays in the chain (and its text, redacted, in
// the message).
func (s *source) explain(c *httpclient.Client, err error) error {
	var se *httpclient.StatusError
	if !errors.As(err, &se) {
		return err
	}
	at := se.URL
	if i := strings.IndexByte(at, '?'); i >= 0 {
		at = at[:i]
	}
	if b, perr := url.Parse(c.BaseURL()); perr == nil {
		at = b.Scheme + "://" + b.Host + at
	}
	layout := "base_url, path_prefix and paths (audit logs and content-updated: v1.base_url, v1.path_prefix; the v1 reference uses https://api.whatfix.com/v1/accounts/{accountId}/...)"
	switch se.Status {
	case http.StatusUnauthorized:
		return engine.NeedsFix(fmt.Sprintf("the integration key was refused (401): check %s (and %s, the email of the key's user); the request went to %s", EnvIntegrationKey, EnvUser, at), err)
	case http.StatusForbidden:
		return engine.NeedsFix(fmt.Sprintf("access denied (403) at %s: wrong path or layout? check %s; credentials? check %s is the email of the integration key's user and %s (%q) is an account that key can read",
			at, layout, EnvUser, EnvAccountID, s.cfg.AccountID), err)
	case http.StatusNotFound:
		return engine.NeedsFix(fmt.Sprintf("not found (404) at %s: wrong path or layout? check %s; credentials? check %s (%q) is the account",
			at, layout, EnvAccountID, s.cfg.AccountID), err)
	}
	return err
}

// reportDays are the UTC days whose midnight lies in w: one request each, and
// each such day is replaced whole by the load. A window that holds no
// midnight (a few hours of today) has no complete day to ask for.
func reportDays(w window.Window) []time.Time {
	var out []time.Time
	for _, d := range w.Days() {
		if w.Contains(d) {
			out = append(out, d)
		}
	}
	return out
}

// dayQuery asks for one day; report downloads document endDate as inclusive.
func dayQuery(day time.Time) url.Values {
	d := day.Format(time.DateOnly)
	return url.Values{"startDate": {d}, "endDate": {d}}
}

// analyticsDayQuery asks an analytics endpoint for one day. Its endDate is
// not documented either way: end_date says which reading the API has (etl
// check measures it).
func (s *source) analyticsDayQuery(day time.Time) url.Values {
	if s.cfg.EndDate == EndDateExclusive {
		return url.Values{"startDate": {day.Format(time.DateOnly)}, "endDate": {day.AddDate(0, 0, 1).Format(time.DateOnly)}}
	}
	return dayQuery(day)
}

// pageBody is a page/pageSize list (OpenAPI Pagination). Items stay raw so
// each is decoded on its own with numbers kept exact, and can be shown whole
// in a reject.
type pageBody struct {
	Data       []json.RawMessage `json:"data"`
	Pagination *struct {
		Page       int  `json:"page"`
		TotalPages int  `json:"totalPages"`
		TotalCount *int `json:"totalCount"`
	} `json:"pagination"`
}

// maxPages stops a walk whose server never says it is done.
const maxPages = 100000

// walkPages GETs path with page=1,2,… until a short or empty page, handing
// each page's items to fn. pagination.totalCount is cross-checked, not
// trusted to end the walk. where prefixes errors; notice (may be nil) gets
// the line when the count and the pages disagree.
func (s *source) walkPages(ctx context.Context, where, path string, query url.Values, notice func(string), fn func(page int, items []json.RawMessage) error) error {
	size := s.cfg.PageSize
	_, err := httpclient.WalkPageNumbers(ctx, httpclient.PageNumbers{Size: size, MaxPages: maxPages, TotalName: where + ": pagination.totalCount",
		Notice: notice,
		// A page past the end is an empty page on the OpenAPI reading; a 400
		// or 404 for it when the count says every item was read is the end.
		PastEnd: func(err error) bool { return httpclient.IsStatus(err, 400, 404) }},
		func(ctx context.Context, page int) (httpclient.PageInfo, error) {
			q := url.Values{}
			for k, v := range query {
				q[k] = v
			}
			q.Set("page", strconv.Itoa(page))
			q.Set("pageSize", strconv.Itoa(size))
			var body pageBody
			if err := s.client.JSON(ctx, httpclient.Request{Path: path, Query: q}, &body); err != nil {
				return httpclient.PageInfo{}, fmt.Errorf("%s page %d: %w", where, page, s.explain(s.client, err))
			}
			if body.Data == nil {
				// An empty snapshot from a body that is not a list would wipe a
				// replace-all table.
				return httpclient.PageInfo{}, fmt.Errorf("%s page %d: GET %s answered without a data array: check base_url, path_prefix and paths", where, page, path)
			}
			if err := fn(page, body.Data); err != nil {
				return httpclient.PageInfo{}, err
			}
			info := httpclient.PageInfo{Items: len(body.Data), Total: -1}
			if body.Pagination != nil && body.Pagination.TotalCount != nil {
				info.Total = *body.Pagination.TotalCount
			}
			return info, nil
		})
	return err
}

// cursorPaging is the cursor reading the configuration holds.
func (s *source) cursorPaging(limit int) httpclient.CursorPaging {
	return httpclient.CursorPaging{ItemsKey: "data", NextKeys: s.cfg.CursorKeys, Param: s.cfg.CursorParam, Limit: limit,
		Setting: "whatfix cursor_keys (and cursor_param, the query parameter it is sent back in)"}
}

// walkCursor calls first (a v1-group endpoint) and then the same request
// with the cursor until a page marks itself the last.
func (s *source) walkCursor(ctx context.Context, where string, req httpclient.Request, limit int, fn func(page int, items []json.RawMessage) error) error {
	err := httpclient.WalkBodyCursor(ctx, s.v1client, req, s.cursorPaging(limit), fn)
	if err != nil {
		return fmt.Errorf("%s: %w", where, s.explain(s.v1client, err))
	}
	return nil
}

func methodOf(req httpclient.Request) string {
	if req.Method != "" {
		return req.Method
	}
	if req.JSON != nil {
		return http.MethodPost
	}
	return http.MethodGet
}

// decodeObject reads one JSON object keeping numbers exact (json.Number).
func decodeObject(raw json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not an object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the object")
	}
	return m, nil
}

// renamed maps an API object's keys to column names: the snake_case of the
// key unless renames says otherwise. Keys the table does not declare are kept
// too; the transform moves them to _extra.
func renamed(obj map[string]any, renames map[string]string) map[string]any {
	out := make(map[string]any, len(obj)+2)
	for k, v := range obj {
		name, ok := renames[k]
		if !ok {
			name = ColumnName(k)
			if name == "" {
				name = k
			}
		}
		out[name] = v
	}
	return out
}

// parseInstant reads the API's times: RFC 3339 text or epoch milliseconds.
func parseInstant(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", time.DateTime} {
			if t, err := time.Parse(l, x); err == nil {
				return t.UTC(), true
			}
		}
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return time.UnixMilli(n).UTC(), true
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return time.UnixMilli(n).UTC(), true
		}
		if f, err := x.Float64(); err == nil {
			return time.UnixMilli(int64(f)).UTC(), true
		}
	case float64:
		return time.UnixMilli(int64(x)).UTC(), true
	}
	return time.Time{}, false
}
