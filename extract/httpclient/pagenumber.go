package httpclient

import (
	"context"
	"fmt"
	"sync"
)

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

// WalkPageNumbers pages by page number: it calls fetch for pages 1, 2, …
// until an empty page, or a short page once the stated count (if any) has
// been reached. The stated count alone never ends a walk: read on a full
// page, since a count that covers only the current page (or a server that
// caps the page size) would otherwise lose the rest. When the count and the pages disagree, Notice
// says so and the longer reading wins. It returns the items read.
func WalkPageNumbers(ctx context.Context, p PageNumbers, fetch func(ctx context.Context, page int) (PageInfo, error)) (int, error) {
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
