package httpclient

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWalkBodyCursor(t *testing.T) {
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
			err := WalkBodyCursor(context.Background(), c, Request{Path: "/log"}, paging, func(_ int, items []json.RawMessage) error {
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
