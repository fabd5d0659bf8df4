package technowiz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine/enginetest"
	"github.com/adoptionlabs/etl/extract/technowiz/technowizfake"
	"github.com/adoptionlabs/etl/window"
)

func TestUserMatchedByTwoFiltersIsExtractedOnce(t *testing.T) {
	h := newHarness(t, technowizfake.Options{}, nil, nil)
	rec, err := h.run(t, StreamUsers, window.Window{})
	require.NoError(t, err)
	rows := rec.Values(TableUsers)

	want := h.fake.UsersMatching(technowizfake.DemoFilters...)
	require.Len(t, rows, len(want))
	ids := map[string]map[string]any{}
	for _, r := range rows {
		id := r["user_id"].(string)
		require.NotContains(t, ids, id, "user %s extracted twice", id)
		ids[id] = r
	}
	overlap := 0
	for _, u := range want {
		row := ids[u.ID]
		require.NotNil(t, row, u.ID)
		var matched []string
		for _, f := range technowizfake.DemoFilters {
			if u.Matches(f) {
				matched = append(matched, f.Name+"="+f.Value)
			}
		}
		assert.Equal(t, matched, row["matched_filters"])
		if len(matched) > 1 {
			overlap++
			assert.Equal(t, map[string]any{
				"user_id": u.ID, "user_name": u.Name, "channel": u.Channel, "attributes": u.Attributes,
				"created_at": float64(u.CreatedAt.UnixMilli()), "matched_filters": matched,
			}, row)
		}
	}
	assert.Positive(t, overlap, "the demo filters must overlap for this test")
	assert.Equal(t, 3, h.fake.Requests("users"), "one call per filter")
	assert.Empty(t, rec.Notices())
}

func TestFilterMatchingNobodyIsANotice(t *testing.T) {
	h := newHarness(t, technowizfake.Options{}, nil, func(c *Config) {
		c.UserFilters = append(c.UserFilters, UserFilter{"plan", "platinum"}, UserFilter{"plan", "enterprise"})
	})
	rec, err := h.run(t, StreamUsers, window.Window{})
	require.NoError(t, err)
	assert.Equal(t, []string{"technowiz: filter attribute_name=plan attribute_value=platinum matched no users"}, rec.Notices())
	assert.Equal(t, 4, h.fake.Requests("users"), "a filter listed twice is asked once")
}

func TestMessagesMatchTheFake(t *testing.T) {
	h := newHarness(t, technowizfake.Options{}, nil, nil)
	w := lastDays(30)
	rec, err := h.run(t, StreamMessages, w)
	require.NoError(t, err)
	require.Empty(t, rec.Rejects())

	want := map[string]technowizfake.Message{}
	owner := map[string]string{}
	users := h.fake.UsersMatching(technowizfake.DemoFilters...)
	for _, u := range users {
		for _, m := range u.Messages {
			if w.Contains(m.Timestamp) {
				want[m.ID] = m
				owner[m.ID] = u.ID
			}
		}
	}
	rows := rec.Values(TableMessages)
	require.Len(t, rows, len(want))
	types := map[string]bool{}
	for _, r := range rows {
		m, ok := want[r["message_id"].(string)]
		require.True(t, ok)
		types[m.Type] = true
		assert.Equal(t, owner[m.ID], r["user_id"])
		assert.Equal(t, m.From, r["from"])
		assert.Equal(t, m.Type, r["type"])
		assert.Equal(t, m.Timestamp, r["timestamp"])
		if m.Text == nil {
			assert.Nil(t, r["text"])
		} else {
			assert.Equal(t, *m.Text, r["text"])
		}
		payload, _ := json.Marshal(m.Payload)
		assert.JSONEq(t, string(payload), string(r["payload"].(json.RawMessage)))
	}
	assert.Len(t, types, 6)
	assert.Equal(t, [2]int{len(users), len(users)}, rec.ProgressCalls()[len(rec.ProgressCalls())-1])
	assert.Contains(t, h.fake.RequestLog()[3], "Page_size=500", "the reference's parameter spelling")
}

// testUser has n messages spread over the day before fakeNow's day, and one
// at the window's end (which the fake's inclusive end_date also returns).
func testUser(id string, n int) technowizfake.User {
	day := window.Floor(fakeNow).AddDate(0, 0, -1)
	u := technowizfake.User{ID: id, Name: "Test", Channel: "web", Attributes: map[string]any{"segment": "test"}, CreatedAt: day.AddDate(0, -1, 0)}
	text := "hi"
	for i := 0; i < n; i++ {
		u.Messages = append(u.Messages, technowizfake.Message{ID: fmt.Sprintf("%s-m%02d", id, i), From: "user", Type: "text", Text: &text,
			Timestamp: day.Add(time.Duration(i) * time.Minute), Payload: map[string]any{}})
	}
	return u
}

func TestMessagesArePagedToTheEndAndNoFurther(t *testing.T) {
	for _, n := range []int{0, 1, 6, 7, 14, 15} {
		t.Run(fmt.Sprint(n, " messages"), func(t *testing.T) {
			h := newHarness(t, technowizfake.Options{}, nil, func(c *Config) {
				c.UserFilters = []UserFilter{{"segment", "test"}}
				c.PageSize = 7
			})
			h.fake.AddUser(testUser("tw_test", n))
			rec, err := h.run(t, StreamMessages, lastDays(1))
			require.NoError(t, err, "after an exactly full last page, the 1004 for the next one is the end")
			assert.Len(t, rec.Values(TableMessages), n)
			// A full page is never taken for the last (total_records may
			// count one page only): one more request follows it.
			pages := n/7 + 1
			assert.Equal(t, pages, h.fake.Requests("conversation"))
		})
	}
}

func TestMessagesKeepTheWindowHalfOpen(t *testing.T) {
	h := newHarness(t, technowizfake.Options{}, nil, func(c *Config) { c.UserFilters = []UserFilter{{"segment", "test"}} })
	w := lastDays(1)
	u := testUser("tw_edge", 0)
	for i, at := range []time.Time{w.Start.Add(-time.Millisecond), w.Start, w.End.Add(-time.Millisecond), w.End} {
		u.Messages = append(u.Messages, technowizfake.Message{ID: fmt.Sprint("edge", i), From: "bot", Type: "image", Timestamp: at, Payload: map[string]any{"url": "u"}})
	}
	h.fake.AddUser(u)
	rec, err := h.run(t, StreamMessages, w)
	require.NoError(t, err)
	var got []string
	for _, r := range rec.Values(TableMessages) {
		got = append(got, r["message_id"].(string))
	}
	sort.Strings(got)
	assert.Equal(t, []string{"edge1", "edge2"}, got, "start included, end excluded even though the API returns it")
}

func TestUnknownUserIsRejectedAndTheOthersStillEmit(t *testing.T) {
	h := newHarness(t, technowizfake.Options{}, nil, nil)
	w := lastDays(30)
	users := h.fake.UsersMatching(technowizfake.DemoFilters...)
	var gone technowizfake.User
	for _, u := range users {
		if len(u.Messages) > 0 && u.Attributes["plan"] == "enterprise" && u.Attributes["feedback_rating"] != "1" && u.Attributes["feedback_rating"] != "2" {
			gone = u
			break
		}
	}
	require.NotEmpty(t, gone.ID)
	h.fake.MarkUnknown(gone.ID)

	rec, err := h.run(t, StreamMessages, w)
	require.NoError(t, err)
	require.Len(t, rec.Rejects(), 1)
	rj := rec.Rejects()[0]
	assert.Equal(t, TableMessages, rj.Table)
	assert.Equal(t, "user "+gone.ID+": INVALID_BOT_OR_CUSTOMER_ID (1002): the user id is not known to Technowiz's conversation API — it came from filter attribute_name=plan attribute_value=enterprise", rj.Reason)
	assert.JSONEq(t, `{"user_id":"`+gone.ID+`","matched_filters":["plan=enterprise"]}`, rj.Row.Raw)
	assert.Equal(t, []string{fmt.Sprintf("technowiz messages: 1 of %d users are unknown to the conversation API (1002): they were rejected, the others extracted", len(users))}, rec.Notices())

	want := 0
	for _, u := range users {
		for _, m := range u.Messages {
			if u.ID != gone.ID && w.Contains(m.Timestamp) {
				want++
			}
		}
	}
	assert.Len(t, rec.Values(TableMessages), want, "every other user's messages")
}

func TestInvalidDatesAreExplained(t *testing.T) {
	h := newHarness(t, technowizfake.Options{}, nil, func(c *Config) { c.UserFilters = []UserFilter{{"segment", "test"}} })
	h.fake.AddUser(testUser("tw_dates", 3))
	at := window.Floor(fakeNow)
	_, err := h.run(t, StreamMessages, window.New(at, at)) // end == start
	require.Error(t, err)
	assert.Equal(t, fmt.Sprintf("user tw_dates (filter segment=test): INVALID_INPUT_DATE_VALUE (1003): Technowiz refused start_date=%d (2026-03-15T00:00:00Z) end_date=%d (2026-03-15T00:00:00Z): the end must be after the start, both in epoch milliseconds", at.UnixMilli(), at.UnixMilli()),
		strings.SplitN(err.Error(), ": GET ", 2)[0])
}

// shiftTotal makes page 1 of every conversation claim more records than
// exist, as when messages vanish while a conversation is paged.
func shiftTotal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/conversation") || r.URL.Query().Get("page_number") != "1" {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &body) != nil || body["responseObject"] == nil {
			w.WriteHeader(rec.Code)
			_, _ = io.Copy(w, rec.Body)
			return
		}
		body["responseObject"]["total_records"] = body["responseObject"]["total_records"].(float64) + 10
		b, _ := json.Marshal(body)
		_, _ = w.Write(b)
	})
}

func TestPagePastTheEndIsExplained(t *testing.T) {
	h := newHarness(t, technowizfake.Options{}, shiftTotal, func(c *Config) {
		c.UserFilters = []UserFilter{{"segment", "test"}}
		c.PageSize = 5
	})
	h.fake.AddUser(testUser("tw_pages", 5))
	_, err := h.run(t, StreamMessages, lastDays(1))
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "user tw_pages (filter segment=test): INVALID_PAGE_NUMBER (1004): Technowiz refused page_number=2 (Page_size=5, 5 records read before it)")
	assert.Contains(t, msg, "rerun the window")
}

func TestAuthFailuresNeverShowTheKey(t *testing.T) {
	t.Run("wrong key", func(t *testing.T) {
		h := newHarness(t, technowizfake.Options{AuthKey: "another-key", EchoRequest: true}, nil, nil)
		for _, s := range []string{StreamUsers, StreamMessages} {
			_, err := h.run(t, s, lastDays(1))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "check TECHNOWIZ_AUTH_KEY")
			assert.Contains(t, err.Error(), "401")
			assert.Contains(t, err.Error(), "[REDACTED]", "the echoed key was there and was redacted")
			assert.NotContains(t, err.Error(), technowizfake.DemoAuthKey)
		}
	})
	t.Run("forbidden", func(t *testing.T) {
		h := newHarness(t, technowizfake.Options{}, nil, nil)
		h.fake.SetForbidden(true)
		_, err := h.run(t, StreamUsers, window.Window{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "users with attribute_name=feedback_rating attribute_value=1: the auth key may not use this API")
		assert.Contains(t, err.Error(), "403")
	})
	t.Run("server failure", func(t *testing.T) {
		h := newHarness(t, technowizfake.Options{}, nil, func(c *Config) { c.MaxRetries = 1 })
		h.fake.Faults.FailNext(2, http.StatusInternalServerError)
		_, err := h.run(t, StreamUsers, window.Window{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "500 Internal Server Error after 2 attempts")
		assert.NotContains(t, err.Error(), technowizfake.DemoAuthKey)
	})
}

func TestMessagesSurviveServerFaults(t *testing.T) {
	h := newHarness(t, technowizfake.Options{}, nil, func(c *Config) { c.MaxRetries = 8; c.PageSize = 10 })
	w := lastDays(20)
	clean, err := h.run(t, StreamMessages, w)
	require.NoError(t, err)
	h.fake.Faults.SetRates(0.15, 0, 0.05, 0)
	faulty, err := h.run(t, StreamMessages, w)
	require.NoError(t, err)
	assert.Positive(t, h.fake.Faults.Injected.Load())
	ids := func(r *enginetest.Recorder) []string {
		var out []string
		for _, v := range r.Values(TableMessages) {
			out = append(out, v["message_id"].(string))
		}
		sort.Strings(out)
		return out
	}
	assert.Equal(t, ids(clean), ids(faulty))
}

func TestParseAPIError(t *testing.T) {
	full := `{"errorCode":1004,"errorMessage":"INVALID_PAGE_NUMBER","errorDetails":"Please enter the correct page number."}`
	tests := []struct {
		name   string
		status int
		body   string
		ok     bool
		want   apiError
	}{
		{"full body", 400, full, true, apiError{1004, "INVALID_PAGE_NUMBER", "Please enter the correct page number."}},
		{"code as a string", 400, `{"errorCode":"1002"}`, true, apiError{Code: 1002}},
		{"cut-off body", 400, full[:30], true, apiError{Code: 1004}},
		{"not a 400", 500, full, false, apiError{}},
		{"no code", 400, `{"message":"bad"}`, false, apiError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseAPIError(statusErr(tt.status, tt.body))
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
	assert.Equal(t, "INVALID_BOT_OR_CUSTOMER_ID (1002)", apiError{Code: 1002}.label())
}

func TestMessageRowMapping(t *testing.T) {
	raw := func(s string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		require.NoError(t, json.NewDecoder(bytes.NewReader([]byte(s))).Decode(&m))
		return m
	}
	row, at, reason := messageRow("u1", raw(`{"messageId":123,"from":"bot","type":"text","text":null,"timestamp":"1773576000123","payload":{"b":1,"a":[2]},"channel":"web","user_id":"x"}`))
	require.Empty(t, reason)
	assert.Equal(t, time.UnixMilli(1773576000123).UTC(), at)
	assert.Equal(t, "123", row["message_id"])
	assert.Equal(t, "u1", row["user_id"], "the user comes from the path, not the message")
	assert.Nil(t, row["text"])
	assert.Equal(t, `{"b":1,"a":[2]}`, string(row["payload"].(json.RawMessage)), "payload kept byte for byte")
	assert.Equal(t, `"web"`, string(row["channel"].(json.RawMessage)), "unknown fields go to _extra")
	assert.Equal(t, `"x"`, string(row["message.user_id"].(json.RawMessage)), "a field named like a column does not overwrite it")

	_, _, reason = messageRow("u1", raw(`{"timestamp":1773576000123}`))
	assert.Equal(t, "message without a messageId", reason)
	_, _, reason = messageRow("u1", raw(`{"messageId":"m","timestamp":"soon"}`))
	assert.Contains(t, reason, "unreadable timestamp")
}
