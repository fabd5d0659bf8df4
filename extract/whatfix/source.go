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

	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/window"
)

// source is one opened configuration: the client every stream shares, so
// they share its rate limit.
type source struct {
	cfg    *Config
	client *httpclient.Client
	// prefix is path_prefix with the account filled in, without a trailing /.
	prefix string
}

// path is the request path of an endpoint path relative to path_prefix.
func (s *source) path(p string) string {
	return s.prefix + "/" + strings.TrimLeft(p, "/")
}

// explain turns the statuses a person can fix into what to fix. The
// *httpclient.StatusError stays in the chain (and its text, redacted, in
// the message).
func (s *source) explain(err error) error {
	var se *httpclient.StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch se.Status {
	case http.StatusUnauthorized:
		return fmt.Errorf("the integration key was refused (401): check %s (and %s, the email of the key's user): %w", EnvIntegrationKey, EnvUser, err)
	case http.StatusForbidden:
		return fmt.Errorf("access denied (403): check %s is the email of the integration key's user and %s (%q) is an account that key can read: %w", EnvUser, EnvAccountID, s.cfg.AccountID, err)
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

func dayQuery(day time.Time) url.Values {
	d := day.Format(time.DateOnly)
	return url.Values{"startDate": {d}, "endDate": {d}}
}

// pageBody is a page/pageSize list (OpenAPI Pagination). Items stay raw so
// each is decoded on its own with numbers kept exact, and can be shown whole
// in a reject.
type pageBody struct {
	Data       []json.RawMessage `json:"data"`
	Pagination *struct {
		Page       int `json:"page"`
		TotalPages int `json:"totalPages"`
	} `json:"pagination"`
}

// maxPages stops a walk whose server never says it is done.
const maxPages = 100000

// walkPages GETs path with page=1,2,… until pagination.totalPages is reached
// (or, without a pagination object, until a short page), handing each page's
// items to fn. where prefixes errors.
func (s *source) walkPages(ctx context.Context, where, path string, query url.Values, fn func(page int, items []json.RawMessage) error) error {
	size := s.cfg.PageSize
	for page := 1; ; page++ {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(page))
		q.Set("pageSize", strconv.Itoa(size))
		var body pageBody
		if err := s.client.JSON(ctx, httpclient.Request{Path: path, Query: q}, &body); err != nil {
			return fmt.Errorf("%s page %d: %w", where, page, s.explain(err))
		}
		if body.Data == nil {
			// An empty snapshot from a body that is not a list would wipe a
			// replace-all table.
			return fmt.Errorf("%s page %d: GET %s answered without a data array: check base_url, path_prefix and paths", where, page, path)
		}
		if err := fn(page, body.Data); err != nil {
			return err
		}
		switch {
		case body.Pagination != nil && page >= body.Pagination.TotalPages:
			return nil
		case body.Pagination == nil && len(body.Data) < size:
			return nil
		case len(body.Data) == 0:
			return nil
		case page >= maxPages:
			return fmt.Errorf("%s: still more pages after %d: the API keeps paging", where, page)
		}
	}
}

// cursorBody is a cursor-paged list (audit logs; content updated after).
type cursorBody struct {
	Data   []json.RawMessage `json:"data"`
	Cursor *string           `json:"cursor"`
}

// walkCursor calls first and then the same request with cursor=<cursor>
// until the cursor is null or empty.
func (s *source) walkCursor(ctx context.Context, where string, req httpclient.Request, fn func(page int, items []json.RawMessage) error) error {
	seen := map[string]bool{}
	base := req.Query
	for page := 1; ; page++ {
		var body cursorBody
		if err := s.client.JSON(ctx, req, &body); err != nil {
			return fmt.Errorf("%s page %d: %w", where, page, s.explain(err))
		}
		if body.Data == nil {
			return fmt.Errorf("%s page %d: %s %s answered without a data array: check base_url, path_prefix and paths", where, page, methodOf(req), req.Path)
		}
		if err := fn(page, body.Data); err != nil {
			return err
		}
		if body.Cursor == nil || *body.Cursor == "" {
			return nil
		}
		if seen[*body.Cursor] {
			return fmt.Errorf("%s page %d: the API returned cursor %q twice: stopping instead of looping", where, page, *body.Cursor)
		}
		seen[*body.Cursor] = true
		q := url.Values{}
		for k, v := range base {
			q[k] = v
		}
		q.Set("cursor", *body.Cursor)
		req.Query = q
	}
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
