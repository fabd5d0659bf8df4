package botfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var now = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

type client struct {
	t     *testing.T
	srv   *httptest.Server
	token string
}

func newClient(t *testing.T, f *Fake) *client {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &client{t: t, srv: srv}
}

func (c *client) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (c *client) login() {
	status, out := c.do("POST", "/auth/token", map[string]string{"appId": DemoAppID, "appSecret": DemoAppSecret})
	require.Equal(c.t, 200, status, out)
	c.token = out["authToken"].(string)
}

func TestFakeIsStrict(t *testing.T) {
	f := New(Options{Seed: 1, Now: now, Clock: func() time.Time { return now }})
	c := newClient(t, f)
	win := map[string]any{"channelIds": []int{1010}, "startDate": "2026-03-01T00:00:00.000Z", "endDate": "2026-03-02T00:00:00.000Z"}
	tr := func(start string) map[string]any {
		return map[string]any{"botUserId": f.Users()[0].ID, "channelId": 1010, "startDate": start, "endDate": "2026-03-02T00:00:00.000Z"}
	}

	status, _ := c.do("POST", "/users", win)
	assert.Equal(t, 401, status, "no token")
	status, _ = c.do("POST", "/auth/token", map[string]string{"appId": DemoAppID, "appSecret": "nope"})
	assert.Equal(t, 400, status, "wrong secret")
	c.login()

	tests := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"users ok", "POST", "/users?page=1&limit=25", win, 200},
		{"users page 0", "POST", "/users?page=0&limit=25", win, 400},
		{"users limit below 25", "POST", "/users?page=1&limit=10", win, 400},
		{"users unknown channel", "POST", "/users?page=1&limit=25", map[string]any{"channelIds": []int{1011}, "startDate": "2026-03-01T00:00:00.000Z", "endDate": "2026-03-02T00:00:00.000Z"}, 400},
		{"users date not UTC", "POST", "/users?page=1&limit=25", map[string]any{"channelIds": []int{1010}, "startDate": "2026-03-01T00:00:00+05:30", "endDate": "2026-03-02T00:00:00.000Z"}, 400},
		{"users by GET", "GET", "/users", nil, 405},
		{"transcripts ok", "POST", "/transcripts?page=1&limit=25", tr("2026-03-01T00:00:00.000Z"), 200},
		{"transcripts limit over 1000", "POST", "/transcripts?limit=1001", tr("2026-03-01T00:00:00.000Z"), 400},
		{"transcripts limit under 25", "POST", "/transcripts?limit=24", tr("2026-03-01T00:00:00.000Z"), 400},
		{"transcripts older than 3 months", "POST", "/transcripts", tr("2025-12-14T00:00:00.000Z"), 400},
		{"transcripts just inside 3 months", "POST", "/transcripts", tr("2025-12-15T12:00:00.000Z"), 200},
		{"usage ok", "GET", "/usage?monthDate=2026-02-01&channelId=1010", nil, 200},
		{"usage mid-month", "GET", "/usage?monthDate=2026-02-15&channelId=1010", nil, 400},
		{"usage unknown channel", "GET", "/usage?monthDate=2026-02-01&channelId=99", nil, 400},
		{"unknown path", "GET", "/bots", nil, 404},
		{"misspelt query parameter", "POST", "/users?page=1&Limit=25", win, 400},
		{"unknown body field", "POST", "/users?page=1&limit=25", map[string]any{"channelIds": []int{1010}, "startDate": "2026-03-01T00:00:00.000Z", "endDate": "2026-03-02T00:00:00.000Z", "channelId": 1010}, 400},
	}
	for _, tt := range tests {
		status, out := c.do(tt.method, tt.path, tt.body)
		assert.Equal(t, tt.want, status, "%s: %v", tt.name, out)
	}
}

func TestTokensExpire(t *testing.T) {
	clock := now
	f := New(Options{Seed: 1, Now: now, TokenTTL: time.Minute, Clock: func() time.Time { return clock }})
	c := newClient(t, f)
	c.login()
	status, _ := c.do("GET", "/usage?monthDate=2026-02-01&channelId=1010", nil)
	require.Equal(t, 200, status)
	clock = clock.Add(61 * time.Second)
	status, out := c.do("GET", "/usage?monthDate=2026-02-01&channelId=1010", nil)
	assert.Equal(t, 401, status, out)
	c.login()
	f.ExpireTokens()
	status, _ = c.do("GET", "/usage?monthDate=2026-02-01&channelId=1010", nil)
	assert.Equal(t, 401, status)
	assert.Equal(t, 2, f.Unauthorized())
}

func TestUsersAndTranscriptsPaging(t *testing.T) {
	f := New(Options{Seed: 3, Now: now, Clock: func() time.Time { return now }})
	c := newClient(t, f)
	c.login()
	start, end := now.AddDate(0, 0, -30), now
	active := f.ActiveUsers(1014, start, end)
	body := map[string]any{"channelIds": []int{1014}, "startDate": start.Format(isoMillis), "endDate": end.Format(isoMillis)}
	var ids []string
	for page := 1; ; page++ {
		status, out := c.do("POST", fmt.Sprintf("/users?page=%d&limit=25", page), body)
		require.Equal(t, 200, status)
		for _, u := range out["users"].([]any) {
			ids = append(ids, u.(map[string]any)["userId"].(string))
		}
		if out["hasNextPage"].(float64) == 0 {
			assert.Equal(t, float64(page), out["pages"])
			break
		}
	}
	require.Len(t, ids, len(active))
	for i, u := range active {
		assert.Equal(t, u.ID, ids[i])
	}
	// Beyond the last page: empty, no next page.
	_, out := c.do("POST", "/users?page=99&limit=25", body)
	assert.Empty(t, out["users"])
	assert.Equal(t, float64(0), out["hasNextPage"])
}

func TestDataIsDeterministicAndCoversEveryType(t *testing.T) {
	a := New(Options{Seed: 9, Now: now}).Users()
	b := New(Options{Seed: 9, Now: now}).Users()
	require.Equal(t, a, b)
	types := map[string]bool{}
	froms := map[string]bool{}
	shared := 0
	for _, u := range a {
		for i, m := range u.Messages {
			types[m.Type] = true
			froms[m.From] = true
			assert.True(t, m.CreatedAt.Before(now))
			if i > 0 && m.CreatedAt.Equal(u.Messages[i-1].CreatedAt) {
				shared++
			}
		}
	}
	for _, typ := range AllTypes {
		assert.True(t, types[typ], typ)
	}
	assert.Equal(t, map[string]bool{"User": true, "Bot": true, "Agent": true}, froms)
	assert.Positive(t, shared, "some messages share a createdAt")
	assert.Len(t, a, 240)
}
