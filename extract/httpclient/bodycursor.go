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
)

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

// WalkBodyCursor pages by a cursor in the body: it sends first, then the
// same request with Param=<cursor> until a page marks itself the last
// (marker null or "", or a short page without a marker). A full page
// without a marker and a cursor seen twice are errors. fn gets each page's
// items with the 1-based page number.
func WalkBodyCursor(ctx context.Context, c *Client, first Request, p CursorPaging, fn func(page int, items []json.RawMessage) error) error {
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
