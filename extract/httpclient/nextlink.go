package httpclient

import (
	"context"
	"fmt"
	"net/url"
)

// WalkNextLink pages by a next link: it fetches first, decodes the body
// into a P, asks page for the items and the next path ("" = last page),
// hands the items to fn, and repeats with the next path. The next path is
// the API's next link or one the caller builds (starting_after=<last id>).
//
// The next path replaces Path and Query entirely (APIs put every parameter
// into their next links); everything else in first is kept. A next path that was
// already visited is an error rather than an endless loop, since a buggy or
// mocked API that repeats a cursor would otherwise re-ingest forever.
//
// The next page is fetched while fn handles the current one: a cursor walk
// cannot overlap its requests, so without this each page would wait for
// the previous one's handling on top of the API's latency, and the walk
// would stay under its rate limit. page runs on the fetching goroutine, fn
// on the caller's, one page at a time and in order; at most one page is
// fetched ahead (one request more than needed when fn stops the walk).
// An error from fn stops the walk and is returned as is; every call of
// page has returned when WalkNextLink does.
func WalkNextLink[P, T any](ctx context.Context, c *Client, first Request,
	page func(*P) (items []T, next string), fn func(items []T) error) error {
	type fetched struct {
		items []T
		err   error
	}
	fetchCtx, cancel := context.WithCancel(ctx)
	// Unbuffered: the fetcher holds one page while the caller handles the
	// previous one, so it is never more than one request ahead.
	pages := make(chan fetched)
	go func() {
		defer close(pages)
		send := func(f fetched) bool {
			select {
			case pages <- f:
				return true
			case <-fetchCtx.Done():
				return false
			}
		}
		req := first
		seen := map[string]bool{}
		for {
			var body P
			if err := c.JSON(fetchCtx, req, &body); err != nil {
				send(fetched{err: err})
				return
			}
			items, next := page(&body)
			if !send(fetched{items: items}) || next == "" {
				return
			}
			if seen[next] {
				shown := Redacted
				if u, err := url.Parse(next); err == nil {
					shown = displayURL(u)
				}
				send(fetched{err: fmt.Errorf("httpclient: pagination loop: next page %s was already fetched", c.red.String(shown))})
				return
			}
			seen[next] = true
			req = first
			req.Path, req.Query = next, nil
		}
	}()
	defer func() {
		cancel()
		for range pages {
		}
	}()
	for f := range pages {
		if f.err != nil {
			return f.err
		}
		if len(f.items) > 0 {
			if err := fn(f.items); err != nil {
				return err
			}
		}
	}
	// The fetcher also stops without a word when ctx is cancelled.
	return ctx.Err()
}
