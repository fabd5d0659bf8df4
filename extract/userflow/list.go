package userflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/httpclient"
)

// listPage is the API's list object. Items stay raw so each can be decoded
// on its own (one odd item becomes a reject, not a failed run) and kept as
// the reject's source text.
type listPage struct {
	Object      string            `json:"object"`
	Data        []json.RawMessage `json:"data"`
	HasMore     bool              `json:"has_more"`
	NextPageURL string            `json:"next_page_url"`
	// lastID is the last item's id when a page type decoded its items
	// itself and left Data empty (nextPage's fallback cursor).
	lastID string
}

// items is walkList's list for a page of raw items.
func (p *listPage) items() (*listPage, int) { return p, len(p.Data) }

// errStopWalk ends a walk early without error (the window's start was
// crossed).
var errStopWalk = errors.New("userflow: walk stopped")

// walkList pages through a list by its next link: it fetches path?query
// and follows next_page_url (or starting_after=<last id>, see nextPage)
// while has_more, handing each page to fn with its 1-based number. P is the
// page type, which may decode its items its own way; list returns its list
// fields and how many items it holds (a page without any is not handed
// on). where prefixes errors ("userflow content_sessions window
// 2026-11-01..2026-11-07"); the page number and a hint about what to check
// are added here.
func walkList[P any](ctx context.Context, s *source, where, path string, query url.Values,
	list func(*P) (*listPage, int), fn func(page int, p *P) error) error {
	query.Set("limit", strconv.Itoa(s.cfg.PageSize))
	// fetched is counted where pages are decoded, handled where fn runs:
	// WalkNextLink fetches a page ahead on another goroutine.
	var (
		fetched, handled int
		fnErr            error
		pageErr          error
	)
	err := httpclient.WalkNextLink(ctx, s.client, httpclient.Request{Path: path, Query: query},
		func(p *P) ([]*P, string) {
			fetched++
			l, n := list(p)
			if l.Object != "list" {
				// Silently taking a non-list as an empty last page would
				// replace snapshot tables with nothing.
				pageErr = fmt.Errorf("GET %s answered an object of type %q instead of a list: check base_url and paths", path, l.Object)
				return nil, ""
			}
			var items []*P
			if n > 0 {
				items = []*P{p}
			}
			if !l.HasMore {
				return items, ""
			}
			next, err := s.nextPage(path, query, l)
			if err != nil {
				pageErr = err
				return nil, ""
			}
			return items, next
		},
		func(pages []*P) error {
			handled++
			fnErr = fn(handled, pages[0])
			return fnErr
		})
	switch {
	case err == nil && pageErr != nil:
		return fmt.Errorf("%s page %d: %w", where, fetched, pageErr)
	case err == nil || errors.Is(err, errStopWalk):
		return nil
	case fnErr != nil:
		return fmt.Errorf("%s page %d: %w", where, handled, err)
	}
	// The request for the page after the last one decoded is what failed.
	if fix := fixFor(err); fix != "" {
		err = engine.NeedsFix(fix, err)
	}
	return fmt.Errorf("%s page %d: %w%s", where, fetched+1, err, hint(err))
}

// nextPage is the path and query of the page after l. next_page_url, which
// the reference promises is always set, is followed when it is usable
// (nextPageProblem); with paging: starting_after, or should it be missing,
// the request is sent again with the documented starting_after=<last id>.
func (s *source) nextPage(path string, query url.Values, l *listPage) (string, error) {
	if s.cfg.Paging == PagingNextPageURL && l.NextPageURL != "" {
		if problem := nextPageProblem(s.client.BaseURL(), query, l.NextPageURL); problem != "" {
			return "", fmt.Errorf("%s: set userflow paging: %s", problem, PagingStartingAfter)
		}
		return l.NextPageURL, nil
	}
	id := l.lastID
	if id == "" && len(l.Data) > 0 {
		var last struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(l.Data[len(l.Data)-1], &last) == nil {
			id = last.ID
		}
	}
	if id == "" {
		// Ending the walk here would load a partial list as if whole.
		return "", fmt.Errorf("GET %s says has_more but its last item has no id to page after (starting_after)", path)
	}
	return startingAfter(path, query, id), nil
}

// startingAfter is the request path?query again, after the item id.
func startingAfter(path string, query url.Values, id string) string {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("starting_after", id)
	return path + "?" + q.Encode()
}

// nextPageProblem says why next_page_url cannot be followed as the next
// page of the request whose parameters are query, or "" when it can: it
// must be relative to base_url or on base_url's scheme and host (the client
// sends the key nowhere else), and keep every parameter of the request
// (a next page without expand=answers or order_by would load sessions
// without answers, or in another order, and say nothing). A parameter
// spelt name[] matches name: both forms are the API's.
func nextPageProblem(baseURL string, query url.Values, next string) string {
	u, err := url.Parse(next)
	if err != nil {
		return fmt.Sprintf("next_page_url %q is not a URL", next)
	}
	base, err := url.Parse(baseURL)
	if err != nil {
		return fmt.Sprintf("base_url %q is not a URL", baseURL)
	}
	if (u.Scheme != "" || u.Host != "") && (u.Scheme != base.Scheme || u.Host != base.Host) {
		return fmt.Sprintf("next_page_url %q is not on base_url's %s://%s", next, base.Scheme, base.Host)
	}
	if u.Host == "" {
		if prefix := strings.TrimSuffix(base.Path, "/"); prefix != "" && strings.HasPrefix(u.Path, prefix+"/") {
			return fmt.Sprintf("next_page_url %q repeats base_url's path %s: it is relative to the host, not to base_url", next, prefix)
		}
	}
	norm := func(q url.Values) map[string][]string {
		out := map[string][]string{}
		for k, vs := range q {
			k = strings.TrimSuffix(k, "[]")
			out[k] = append(out[k], vs...)
		}
		for _, vs := range out {
			slices.Sort(vs)
		}
		return out
	}
	have, want := norm(u.Query()), norm(query)
	var dropped []string
	for k, vs := range want {
		if k != "starting_after" && !slices.Equal(have[k], vs) {
			dropped = append(dropped, k)
		}
	}
	if len(dropped) > 0 {
		slices.Sort(dropped)
		return fmt.Sprintf("next_page_url %q does not keep the request's %s", next, strings.Join(dropped, ", "))
	}
	return ""
}
