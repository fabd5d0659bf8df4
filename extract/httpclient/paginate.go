package httpclient

import (
	"context"
	"fmt"
	"net/url"
)

// CursorWalk follows "next link" pagination: it fetches first, decodes the
// body into a P, asks page for the items and the next path ("" = last page),
// hands the items to fn, and repeats with the next path.
//
// The next path replaces Path and Query entirely (APIs put every parameter
// into their next links); everything else in first is kept. A next path that was
// already visited is an error rather than an endless loop, since a buggy or
// mocked API that repeats a cursor would otherwise re-ingest forever.
//
// fn sees one page at a time so the caller can checkpoint between pages; an
// error from fn stops the walk and is returned as is.
func CursorWalk[P, T any](ctx context.Context, c *Client, first Request,
	page func(*P) (items []T, next string), fn func(items []T) error) error {
	req := first
	seen := map[string]bool{}
	for {
		var body P
		if err := c.JSON(ctx, req, &body); err != nil {
			return err
		}
		items, next := page(&body)
		if len(items) > 0 {
			if err := fn(items); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		if seen[next] {
			shown := Redacted
			if u, err := url.Parse(next); err == nil {
				shown = displayURL(u)
			}
			return fmt.Errorf("httpclient: pagination loop: next page %s was already fetched", c.red.String(shown))
		}
		seen[next] = true
		req = first
		req.Path, req.Query = next, nil
	}
}
