package httpclient

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type userPage struct {
	Data []struct {
		ID string `json:"id"`
	} `json:"data"`
	Next string `json:"next_page_url"`
}

func userItems(p *userPage) ([]string, string) {
	ids := make([]string, len(p.Data))
	for i, d := range p.Data {
		ids[i] = d.ID
	}
	return ids, p.Next
}

func TestWalkNextLink(t *testing.T) {
	pages := func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("starting_after") {
		case "":
			assert.Equal(t, "2", r.URL.Query().Get("limit"))
			okJSON(`{"data":[{"id":"u1"},{"id":"u2"}],"next_page_url":"/users?limit=2&starting_after=u2"}`)(w, r)
		case "u2":
			okJSON(`{"data":[{"id":"u3"}],"next_page_url":"/users?limit=2&starting_after=u3"}`)(w, r)
		case "u3":
			okJSON(`{"data":[],"next_page_url":null}`)(w, r)
		default:
			t.Errorf("unexpected cursor %q", r.URL.RawQuery)
		}
	}
	loop := okJSON(`{"data":[{"id":"u1"}],"next_page_url":"/users?starting_after=u1"}`)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		fnErr   error
		want    [][]string
		wantErr string
	}{
		{name: "follows next links to the end", handler: pages, want: [][]string{{"u1", "u2"}, {"u3"}}},
		{name: "stops on a repeated cursor", handler: loop, want: [][]string{{"u1"}, {"u1"}},
			wantErr: "pagination loop: next page /users?starting_after=u1 was already fetched"},
		{name: "callback error stops the walk", handler: pages, fnErr: errors.New("sink full"), want: [][]string{{"u1", "u2"}},
			wantErr: "sink full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, map[string]*route{"GET /users": steps(tt.handler)})
			c, _ := newTestClient(t, Config{BaseURL: srv.URL})
			var got [][]string
			err := WalkNextLink(context.Background(), c, Request{Path: "/users", Query: map[string][]string{"limit": {"2"}}},
				userItems, func(ids []string) error {
					got = append(got, ids)
					return tt.fnErr
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

// A cursor walk cannot overlap its requests, so the next page is fetched
// while the caller handles the current one: otherwise the handling adds to
// every page's latency and the walk stays under its rate limit.
func TestWalkNextLinkFetchesTheNextPageWhileTheCallerHandlesOne(t *testing.T) {
	second := make(chan struct{})
	pages := func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("starting_after") {
		case "":
			okJSON(`{"data":[{"id":"u1"}],"next_page_url":"/users?starting_after=u1"}`)(w, r)
		case "u1":
			close(second)
			okJSON(`{"data":[{"id":"u2"}],"next_page_url":null}`)(w, r)
		}
	}
	srv := newServer(t, map[string]*route{"GET /users": steps(pages)})
	c, _ := newTestClient(t, Config{BaseURL: srv.URL})
	var got []string
	err := WalkNextLink(context.Background(), c, Request{Path: "/users"}, userItems, func(ids []string) error {
		if ids[0] == "u1" {
			select {
			case <-second:
			case <-time.After(5 * time.Second):
				return errors.New("page 2 was not requested while page 1 was handled")
			}
		}
		got = append(got, ids...)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"u1", "u2"}, got)
}
