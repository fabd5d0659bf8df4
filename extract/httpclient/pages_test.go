package httpclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWalkCursor(t *testing.T) {
	paging := CursorPaging{ItemsKey: "data", NextKeys: []string{"cursor"}, Param: "cursor", Limit: 2, Setting: "cursor_keys"}
	tests := []struct {
		name    string
		pages   []string
		want    int
		wantErr string
	}{
		{name: "follows the cursor to a null one", want: 3, pages: []string{
			`{"data":[1,2],"cursor":"c1"}`, `{"data":[3],"cursor":null}`}},
		{name: "a full last page marked with an empty cursor ends", want: 2, pages: []string{
			`{"data":[1,2],"cursor":""}`}},
		{name: "a short page without any marker ends", want: 1, pages: []string{`{"data":[1]}`}},
		{name: "a full page under a renamed cursor key fails loud, naming the keys and the setting", want: 0,
			pages:   []string{`{"data":[1,2],"nextCursor":"c1"}`},
			wantErr: `page 1 is full (2 items) but has no next-page marker "cursor" (keys in the response: "data", "nextCursor"): the list may go on under another key; set cursor_keys`},
		{name: "a repeated cursor stops", want: 4, pages: []string{`{"data":[1,2],"cursor":"c1"}`, `{"data":[1,2],"cursor":"c1"}`},
			wantErr: `returned cursor "c1" twice`},
		{name: "a body without the items array names its keys", pages: []string{`{"items":[1]}`},
			wantErr: `page 1: the response has no "data" array (keys in the response: "items")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &route{}
			for _, p := range tt.pages {
				rt.steps = append(rt.steps, okJSON(p))
			}
			srv := newServer(t, map[string]*route{"GET /log": rt})
			c, _ := newTestClient(t, Config{BaseURL: srv.URL})
			got := 0
			err := WalkCursor(context.Background(), c, Request{Path: "/log"}, paging, func(_ int, items []json.RawMessage) error {
				got += len(items)
				return nil
			})
			assert.Equal(t, tt.want, got)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestWalkPages(t *testing.T) {
	errPast := errors.New("1004 INVALID_PAGE_NUMBER")
	tests := []struct {
		name       string
		pages      []PageInfo // page n answers pages[n-1]; past the end: errPast
		wantRead   int
		wantPages  int
		wantNotice string
		wantErr    string
	}{
		{name: "a total for the whole list, last page short", pages: []PageInfo{{Items: 3, Total: 7}, {Items: 3, Total: 7}, {Items: 1, Total: 7}}, wantRead: 7, wantPages: 3},
		{name: "a total that counts the current page only: reads on to the short page, with a notice",
			pages: []PageInfo{{Items: 3, Total: 3}, {Items: 3, Total: 3}, {Items: 2, Total: 2}}, wantRead: 8, wantPages: 3,
			wantNotice: "total_records said 2 but 8 were read over 3 pages"},
		{name: "an exactly full last page: a refused next page is the end when the total agrees",
			pages: []PageInfo{{Items: 3, Total: 6}, {Items: 3, Total: 6}}, wantRead: 6, wantPages: 3},
		{name: "an exactly full last page without a total: the refusal is an error",
			pages: []PageInfo{{Items: 3, Total: -1}, {Items: 3, Total: -1}}, wantRead: 6, wantPages: 3, wantErr: "1004"},
		{name: "a per-page total and an exactly full last page: the refusal ends it, with a notice",
			pages: []PageInfo{{Items: 3, Total: 3}, {Items: 3, Total: 3}}, wantRead: 6, wantPages: 3, wantNotice: "total_records said 3 but 6 were read over 2 pages"},
		{name: "a server that caps the page size below ours: the total keeps the walk going",
			pages: []PageInfo{{Items: 2, Total: 5}, {Items: 2, Total: 5}, {Items: 1, Total: 5}}, wantRead: 5, wantPages: 3},
		{name: "a total larger than the list: the empty page ends, with a notice",
			pages: []PageInfo{{Items: 2, Total: 9}, {Items: 0, Total: 9}}, wantRead: 2, wantPages: 2, wantNotice: "total_records said 9 but 2 were read"},
		{name: "an explicit next-page flag reads on past a short page",
			pages: []PageInfo{{Items: 1, Total: -1, More: true}, {Items: 2, Total: -1}}, wantRead: 3, wantPages: 2},
		{name: "an empty page that says more follow is an error, not the end",
			pages: []PageInfo{{Items: 3, Total: -1, More: true}, {Items: 0, Total: -1, More: true}}, wantRead: 3, wantPages: 2, wantErr: "page 2 is empty but says more pages follow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var notices []string
			fetched := 0
			read, err := WalkPages(context.Background(), PageNumbers{Size: 3, TotalName: "total_records",
				PastEnd: func(err error) bool { return errors.Is(err, errPast) },
				Notice:  func(s string) { notices = append(notices, s) }},
				func(_ context.Context, page int) (PageInfo, error) {
					fetched = page
					if page > len(tt.pages) {
						return PageInfo{}, fmt.Errorf("page %d: %w", page, errPast)
					}
					return tt.pages[page-1], nil
				})
			assert.Equal(t, tt.wantRead, read)
			assert.Equal(t, tt.wantPages, fetched)
			if tt.wantNotice == "" {
				assert.Empty(t, notices)
			} else {
				require.Len(t, notices, 1)
				assert.Contains(t, notices[0], tt.wantNotice)
			}
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestTallyIsOneLine(t *testing.T) {
	var tl Tally
	assert.Empty(t, tl.Summary(3))
	tl.Notice("user a: said 2 but 8 were read")
	assert.Equal(t, "user a: said 2 but 8 were read", tl.Summary(3))
	tl.Notice("user b: said 1 but 4 were read")
	assert.Equal(t, "2 of 3 walks read a count that disagreed with their pages (the count may cover one page only; every page was read), e.g. user a: said 2 but 8 were read", tl.Summary(3))
}
