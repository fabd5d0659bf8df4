package httpclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The walkers below exist because the vendors' documents rarely say how a
// list ends. Where they are silent, a guessed end condition that is wrong
// must stop the walk loudly (or read on), never end it early with fewer rows.

// WithBase is a client for another base URL of the same vendor (an endpoint
// group documented under another host or prefix). It shares the rate
// limiter, the transport, the auth and the redaction of c, so one source
// stays within one budget whichever layout each endpoint follows.
func (c *Client) WithBase(baseURL string) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q: want an absolute http(s) URL", baseURL)
	}
	cfg := c.cfg
	cfg.BaseURL = u.String()
	return &Client{cfg: cfg, base: u, hc: c.hc, limiter: c.limiter, red: c.red, refresh: c.refresh,
		clock: c.clock, jitter: c.jitter}, nil
}

// BaseURL is the client's base URL (it holds no secret: credentials travel
// in headers), for messages that must say which host a path was sent to.
func (c *Client) BaseURL() string { return c.base.String() }

// CursorPaging describes cursor pagination whose next-page token sits in the
// response body under a key the vendor may not document.
type CursorPaging struct {
	// ItemsKey holds the page's items (e.g. "data").
	ItemsKey string
	// NextKeys are the body keys that may hold the next cursor, tried in
	// order; a key present with null or "" marks the last page.
	NextKeys []string
	// Param is the query parameter the cursor is sent back in.
	Param string
	// Limit is the page size asked for: a page holding at least Limit items
	// and none of NextKeys is not taken for the last page.
	Limit int
	// Setting names the configuration that sets NextKeys, for the error.
	Setting string
}

// MissingMarkerError is a full page without any recognised next-page
// marker: the list may go on under a key the configuration does not know.
type MissingMarkerError struct {
	Page, Items int
	Want, Seen  []string
	Setting     string
}

func (e *MissingMarkerError) Error() string {
	return fmt.Sprintf("page %d is full (%d items) but has no next-page marker %s (keys in the response: %s): "+
		"the list may go on under another key; set %s to the key that holds the next cursor",
		e.Page, e.Items, quoteList(e.Want), quoteList(e.Seen), e.Setting)
}

func quoteList(ks []string) string {
	if len(ks) == 0 {
		return "none"
	}
	q := make([]string, len(ks))
	for i, k := range ks {
		q[i] = strconv.Quote(k)
	}
	return strings.Join(q, ", ")
}

// CursorInfo is what one page said about paging, for callers (etl check)
// that want to report it.
type CursorInfo struct {
	Keys      []string // top-level keys of the body, sorted
	MarkerKey string   // the NextKeys entry found, "" if none
	Next      string   // the next cursor, "" on the last page
	Items     int
}

// ReadCursorPage decodes one cursor-paged body: its items, and which marker
// (if any) it carries. A full page without a marker is a *MissingMarkerError.
func ReadCursorPage(raw []byte, p CursorPaging, page int) ([]json.RawMessage, CursorInfo, error) {
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, CursorInfo{}, fmt.Errorf("page %d: the response is not a JSON object: %w", page, err)
	}
	info := CursorInfo{Keys: sortedKeys(body)}
	rawItems, ok := body[p.ItemsKey]
	var items []json.RawMessage
	if ok {
		if err := json.Unmarshal(rawItems, &items); err != nil {
			ok = false
		}
	}
	if !ok || items == nil {
		return nil, info, fmt.Errorf("page %d: the response has no %q array (keys in the response: %s): check the base URL, path prefix and path",
			page, p.ItemsKey, quoteList(info.Keys))
	}
	info.Items = len(items)
	for _, k := range p.NextKeys {
		v, present := body[k]
		if !present {
			continue
		}
		info.MarkerKey = k
		info.Next = scalarText(v)
		break
	}
	if info.MarkerKey == "" && p.Limit > 0 && len(items) >= p.Limit {
		return items, info, &MissingMarkerError{Page: page, Items: len(items), Want: p.NextKeys, Seen: info.Keys, Setting: p.Setting}
	}
	return items, info, nil
}

// scalarText is a JSON string or number as text; null, "" and anything else
// are "" (no next page).
func scalarText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	if dec.Decode(&n) == nil {
		return n.String()
	}
	return ""
}

func sortedKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// WalkCursor sends first, then the same request with Param=<cursor> until a
// page marks itself the last (marker null or "", or a short page without a
// marker). A full page without a marker and a cursor seen twice are errors.
// fn gets each page's items with the 1-based page number.
func WalkCursor(ctx context.Context, c *Client, first Request, p CursorPaging, fn func(page int, items []json.RawMessage) error) error {
	seen := map[string]bool{}
	req := first
	for page := 1; ; page++ {
		var raw json.RawMessage
		if err := c.JSON(ctx, req, &raw); err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		items, info, err := ReadCursorPage(raw, p, page)
		if err != nil {
			return err
		}
		if err := fn(page, items); err != nil {
			return err
		}
		if info.Next == "" {
			return nil
		}
		if seen[info.Next] {
			return fmt.Errorf("page %d: the API returned cursor %q twice: stopping instead of looping", page, info.Next)
		}
		seen[info.Next] = true
		q := url.Values{}
		for k, v := range first.Query {
			q[k] = v
		}
		q.Set(p.Param, info.Next)
		req.Query = q
	}
}

// PageInfo is what one page of a page-number walk held.
type PageInfo struct {
	// Items is the number of items on the page.
	Items int
	// Total is the list's size as the API states it (total_records,
	// totalCount), or -1 when the page states none.
	Total int
	// More is an explicit "another page follows" (the bot API's
	// hasNextPage): the walk reads on whatever the sizes say, and an empty
	// page that claims more is an error. Without it the sizes and the count
	// decide.
	More bool
}

// PageNumbers describes a page-number (or offset) walk.
type PageNumbers struct {
	// Size is the page size asked for: a full page is never taken as the last.
	Size int
	// MaxPages stops an API that never runs out of pages.
	MaxPages int
	// TotalName names the API's count in notices (e.g. "total_records").
	TotalName string
	// PastEnd reports whether an error fetching the page after a full page
	// is the API refusing a page past its end (e.g. "invalid page number").
	// It is accepted as the end only when the count agrees that every item
	// was read.
	PastEnd func(error) bool
	// Notice receives the line that says a stated count disagreed with
	// the pages read.
	Notice func(string)
}

// WalkPages calls fetch for pages 1, 2, … until an empty page, or a short
// page once the stated count (if any) has been reached. The stated count
// alone never ends a walk: read on a full page, since a count that covers
// only the current page (or a server that caps the page size) would
// otherwise lose the rest. When the count and the pages disagree, Notice
// says so and the longer reading wins. It returns the items read.
func WalkPages(ctx context.Context, p PageNumbers, fetch func(ctx context.Context, page int) (PageInfo, error)) (int, error) {
	read, total := 0, -1
	maxPages := p.MaxPages
	if maxPages <= 0 {
		maxPages = 100000
	}
	prevFull := false
	crossCheck := func(pages int) {
		if total >= 0 && total != read && p.Notice != nil {
			name := p.TotalName
			if name == "" {
				name = "the stated total"
			}
			p.Notice(fmt.Sprintf("%s said %d but %d were read over %d pages: kept the %d read (the longer reading wins over a count that may cover one page only)",
				name, total, read, pages, read))
		}
	}
	for page := 1; page <= maxPages; page++ {
		info, err := fetch(ctx, page)
		if err != nil {
			if page > 1 && prevFull && total >= 0 && read >= total && p.PastEnd != nil && p.PastEnd(err) {
				crossCheck(page - 1)
				return read, nil
			}
			return read, err
		}
		read += info.Items
		if info.Total >= 0 {
			total = info.Total
		}
		full := info.Items >= p.Size
		prevFull = full
		if info.More {
			if info.Items == 0 {
				return read, fmt.Errorf("page %d is empty but says more pages follow: the API's paging is inconsistent; rerun the window", page)
			}
			continue
		}
		switch {
		case info.Items == 0, !full && (total < 0 || read >= total):
			crossCheck(page)
			return read, nil
		}
	}
	return read, fmt.Errorf("still more pages after %d: the API keeps paging", maxPages)
}

// Tally gathers the count mismatches of many walks (one per user of a
// window), so that a run logs one line rather than one per user.
type Tally struct {
	mu    sync.Mutex
	n     int
	first string
}

// Notice records one walk's mismatch; use it as PageNumbers.Notice.
func (t *Tally) Notice(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		t.first = s
	}
	t.n++
}

// Summary is the one line for walks walks, "" when none disagreed.
func (t *Tally) Summary(walks int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch t.n {
	case 0:
		return ""
	case 1:
		return t.first
	}
	return fmt.Sprintf("%d of %d walks read a count that disagreed with their pages (the count may cover one page only; every page was read), e.g. %s", t.n, walks, t.first)
}
