package httpclient

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWalkPageNumbers(t *testing.T) {
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
			read, err := WalkPageNumbers(context.Background(), PageNumbers{Size: 3, TotalName: "total_records",
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
