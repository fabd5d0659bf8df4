package technowizfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var now = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func get(t *testing.T, srv *httptest.Server, path, key string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Basic "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestFakeIsStrict(t *testing.T) {
	f := New(Options{Seed: 1, Now: now, Clock: func() time.Time { return now }})
	srv := httptest.NewServer(f)
	defer srv.Close()
	u := f.UsersMatching(Filter{"plan", "enterprise"})[0]
	conv := func(q string) string { return "/users/" + u.ID + "/conversation?" + q }
	s, e := now.AddDate(0, 0, -30).UnixMilli(), now.UnixMilli()
	tests := []struct {
		name, path, key string
		status, code    int
	}{
		{"no key", "/users?attribute_name=plan&attribute_value=enterprise", "", 401, 0},
		{"wrong key", "/users?attribute_name=plan&attribute_value=enterprise", "nope", 401, 0},
		{"users ok", "/users?attribute_name=plan&attribute_value=enterprise", DemoAuthKey, 200, 0},
		{"users without value", "/users?attribute_name=plan", DemoAuthKey, 400, CodeBadRequest},
		{"conversation ok", conv(fmt.Sprintf("start_date=%d&end_date=%d", s, e)), DemoAuthKey, 200, 0},
		{"unknown user", "/users/nobody/conversation", DemoAuthKey, 400, CodeInvalidID},
		{"end before start", conv(fmt.Sprintf("start_date=%d&end_date=%d", e, s)), DemoAuthKey, 400, CodeInvalidDates},
		{"end equals start", conv(fmt.Sprintf("start_date=%d&end_date=%d", s, s)), DemoAuthKey, 400, CodeInvalidDates},
		{"date not in ms", conv("start_date=2026-01-01"), DemoAuthKey, 400, CodeInvalidDates},
		{"page 0", conv("page_number=0"), DemoAuthKey, 400, CodeInvalidPage},
		{"page past the end", conv("page_number=999"), DemoAuthKey, 400, CodeInvalidPage},
		{"bad page size", conv("Page_size=0"), DemoAuthKey, 400, CodeBadRequest},
		{"unknown path", "/bots", DemoAuthKey, 404, 0},
	}
	for _, tt := range tests {
		status, body := get(t, srv, tt.path, tt.key)
		assert.Equal(t, tt.status, status, "%s: %v", tt.name, body)
		if tt.code != 0 {
			assert.Equal(t, float64(tt.code), body["errorCode"], tt.name)
			assert.NotEmpty(t, body["errorMessage"], tt.name)
		}
	}
	f.SetForbidden(true)
	status, _ := get(t, srv, "/users?attribute_name=plan&attribute_value=enterprise", DemoAuthKey)
	assert.Equal(t, 403, status)
}

func TestConversationPagingAndInclusiveEnd(t *testing.T) {
	f := New(Options{Seed: 2, Now: now, Clock: func() time.Time { return now }})
	srv := httptest.NewServer(f)
	defer srv.Close()
	text := "x"
	u := User{ID: "tw_t", Attributes: map[string]any{"segment": "t"}}
	base := now.Add(-time.Hour)
	for i := 0; i < 5; i++ {
		u.Messages = append(u.Messages, Message{ID: fmt.Sprint("m", i), From: "user", Type: "text", Text: &text, Timestamp: base.Add(time.Duration(i) * time.Minute)})
	}
	f.AddUser(u)
	end := base.Add(4 * time.Minute).UnixMilli() // the last message's instant: included
	var ids []any
	for page := 1; page <= 3; page++ {
		status, body := get(t, srv, fmt.Sprintf("/users/tw_t/conversation?start_date=%d&end_date=%d&page_number=%d&Page_size=2", base.UnixMilli(), end, page), DemoAuthKey)
		require.Equal(t, 200, status, body)
		ro := body["responseObject"].(map[string]any)
		assert.Equal(t, float64(5), ro["total_records"])
		for _, m := range ro["messages"].([]any) {
			ids = append(ids, m.(map[string]any)["messageId"])
		}
	}
	assert.Equal(t, []any{"m0", "m1", "m2", "m3", "m4"}, ids)
	status, _ := get(t, srv, fmt.Sprintf("/users/tw_t/conversation?start_date=%d&end_date=%d&page_number=4&Page_size=2", base.UnixMilli(), end), DemoAuthKey)
	assert.Equal(t, 400, status, "page 4 of 3 is a 1004")
}

func TestDemoDataIsDeterministic(t *testing.T) {
	a := New(Options{Seed: 5, Now: now}).UsersMatching(DemoFilters...)
	b := New(Options{Seed: 5, Now: now}).UsersMatching(DemoFilters...)
	require.Equal(t, a, b)
	assert.InDelta(t, 80, len(a), 15, "about 80 users match the demo filters")
	overlap := 0
	for _, u := range a {
		n := 0
		for _, f := range DemoFilters {
			if u.Matches(f) {
				n++
			}
		}
		if n > 1 {
			overlap++
		}
	}
	assert.Positive(t, overlap)
}
