package bot

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine/enginetest"
	"github.com/adoptionlabs/etl/extract/bot/botfake"
	"github.com/adoptionlabs/etl/window"
)

func TestUsersArePagedByHasNextPagePerChannel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, func(c *Config) { c.UsersLimit = 25 })
	w := lastDays(30)
	rec, err := h.run(t, StreamUsers, w)
	require.NoError(t, err)

	var want []string
	for _, ch := range []int{1010, 1014, 1016, 1017} {
		active := h.fake.ActiveUsers(ch, w.Start, w.End)
		require.Greater(t, len(active), 25, "channel %d needs more than one page for this test", ch)
		for _, u := range active {
			want = append(want, fmt.Sprintf("%d/%s", ch, u.ID))
		}
		pages := (len(active) + 24) / 25
		for p := 1; p <= pages; p++ {
			assert.Contains(t, h.fake.RequestLog(), fmt.Sprintf("POST /users?limit=25&page=%d", p))
		}
	}
	var got []string
	for _, v := range rec.Values(TableUsers) {
		got = append(got, fmt.Sprintf("%d/%s", v["channel_id"], v["user_id"]))
	}
	sort.Strings(want)
	sort.Strings(got)
	assert.Equal(t, want, got, "every active user exactly once")
	// One call per channel and page, never a page past hasNextPage = 0.
	total := 0
	for _, ch := range []int{1010, 1014, 1016, 1017} {
		total += (len(h.fake.ActiveUsers(ch, w.Start, w.End)) + 24) / 25
	}
	assert.Equal(t, total, h.fake.Requests("/users"))
	assert.Empty(t, rec.Rejects())
}

func TestUserRowMapsTheSpacedFieldNames(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, nil)
	w := lastDays(7)
	rec, err := h.run(t, StreamUsers, w)
	require.NoError(t, err)
	u := h.fake.ActiveUsers(1014, w.Start, w.End)[0]
	var row map[string]any
	for _, v := range rec.Values(TableUsers) {
		if v["user_id"] == u.ID && v["channel_id"] == 1014 {
			row = v
		}
	}
	require.NotNil(t, row)
	iso := "2006-01-02T15:04:05.000Z"
	assert.Equal(t, map[string]any{
		"channel_id":          1014,
		"channel_name":        "whatsapp",
		"user_id":             u.ID,
		"user_name":           u.Name,
		"created_at":          u.CreatedAt.Format(iso),
		"first_interacted_at": u.FirstAt.Format(iso),
		"last_interacted_at":  u.LastAt.Format(iso),
		"seen_at":             seenAt(u.LastAt.Format(iso), w),
	}, row)
	// The fake reports interaction dates over the whole history: a user
	// active in the window whose last interaction is later still lands in it.
	if !w.Contains(u.LastAt) {
		assert.Equal(t, w.End.Add(-time.Second), row["seen_at"])
	}
}

func TestSeenAtAlwaysLiesInTheWindow(t *testing.T) {
	w := window.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		raw  any
		want time.Time
	}{
		{"2026-03-01T10:00:00.000Z", time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)},
		{"2026-03-05T10:00:00.000Z", w.End.Add(-time.Second)},
		{"2026-02-05T10:00:00.000Z", w.End.Add(-time.Second)},
		{"2026-03-02T00:00:00.000Z", w.End.Add(-time.Second)}, // the end is exclusive
		{float64(time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC).UnixMilli()), time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC)},
		{nil, w.End.Add(-time.Second)},
	}
	for _, tt := range tests {
		got := seenAt(tt.raw, w)
		assert.Equal(t, tt.want, got, "%v", tt.raw)
		assert.True(t, w.Contains(got))
	}
}

// messagesByKey runs transcripts over w and indexes the message rows.
func messagesByKey(t *testing.T, h *harness, w window.Window) (map[string]map[string]any, *enginetest.Recorder) {
	t.Helper()
	rec, err := h.run(t, StreamTranscripts, w)
	require.NoError(t, err)
	out := map[string]map[string]any{}
	for _, v := range rec.Values(TableMessages) {
		k := v["message_key"].(string)
		if _, dup := out[k]; dup {
			require.Failf(t, "duplicate key", "message key %s appears twice in one window", k)
		}
		out[k] = v
	}
	return out, rec
}

func TestTranscriptsArePagedAndMatchTheFake(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, func(c *Config) { c.TranscriptsLimit = 25 })
	w := lastDays(30)
	msgs, rec := messagesByKey(t, h, w)
	require.Empty(t, rec.Rejects())

	want, users, multiPage := 0, 0, 0
	for _, ch := range []int{1010, 1014, 1016, 1017} {
		for _, u := range h.fake.ActiveUsers(ch, w.Start, w.End) {
			users++
			n := 0
			for _, m := range u.Messages {
				if w.Contains(m.CreatedAt) {
					n++
				}
			}
			want += n
			if n > 25 {
				multiPage++
			}
		}
	}
	require.Positive(t, multiPage, "the test needs users with more than one page")
	assert.Len(t, msgs, want)
	assert.Len(t, rec.Values(TableCustomFields), users, "custom fields once per user, however many pages")
	assert.Equal(t, countPages(h, w, 25), h.fake.Requests("/transcripts"), "one request per page, and one after an exactly full last page")
	assert.Equal(t, [2]int{users, users}, rec.ProgressCalls()[len(rec.ProgressCalls())-1])
}

func countPages(h *harness, w window.Window, limit int) int {
	pages := 0
	for _, ch := range []int{1010, 1014, 1016, 1017} {
		for _, u := range h.fake.ActiveUsers(ch, w.Start, w.End) {
			n := 0
			for _, m := range u.Messages {
				if w.Contains(m.CreatedAt) {
					n++
				}
			}
			// A full page is always followed by one more (empty) request:
			// the stated total may cover one page only.
			pages += n/limit + 1
		}
	}
	return pages
}

func TestMessageKeysAreStableAcrossOverlappingWindows(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, func(c *Config) { c.TranscriptsLimit = 25 })
	day := window.Floor(fakeNow)
	a, _ := messagesByKey(t, h, window.New(day.AddDate(0, 0, -20), day.AddDate(0, 0, -5)))
	b, _ := messagesByKey(t, h, window.New(day.AddDate(0, 0, -10), day))

	shared := window.New(day.AddDate(0, 0, -10), day.AddDate(0, 0, -5))
	n, bursts := 0, 0
	for k, m := range a {
		if !shared.Contains(m["created_at"].(time.Time)) {
			continue
		}
		n++
		other, ok := b[k]
		require.True(t, ok, "message %v pulled again in the overlapping window must keep its key", m)
		assert.Equal(t, m, other)
		if m["message_index"].(int) > 0 {
			bursts++
		}
	}
	// Same count both ways: nothing of the overlap is keyed differently.
	inB := 0
	for _, m := range b {
		if shared.Contains(m["created_at"].(time.Time)) {
			inB++
		}
	}
	assert.Equal(t, n, inB)
	assert.Positive(t, n)
	assert.Positive(t, bursts, "messages sharing one createdAt must be part of the comparison")
}

func TestEveryPayloadTypeIsKeptWhole(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, nil)
	w := lastDays(60)
	msgs, _ := messagesByKey(t, h, w)

	// Ground truth: the fake's messages by key.
	truth := map[string]botfake.Message{}
	for _, ch := range []int{1010, 1014, 1016, 1017} {
		for _, u := range h.fake.ActiveUsers(ch, w.Start, w.End) {
			same := map[time.Time]int{}
			for _, m := range u.Messages {
				i := same[m.CreatedAt]
				same[m.CreatedAt]++
				if w.Contains(m.CreatedAt) {
					truth[MessageKey(u.ID, ch, m.CreatedAt, i)] = m
				}
			}
		}
	}
	seen := map[string]bool{}
	for k, row := range msgs {
		m, ok := truth[k]
		require.True(t, ok, "row %s has no message in the fake", k)
		seen[m.Type] = true
		assert.Equal(t, m.Type, row["type"])
		assert.Equal(t, m.From, row["from"])
		assert.Equal(t, m.UpdatedAt, row["updated_at"])
		want, err := json.Marshal(m.Payload)
		require.NoError(t, err)
		assert.JSONEq(t, string(want), string(row["payload"].(json.RawMessage)), "type %s", m.Type)
		if m.Type == "list" {
			assert.Contains(t, string(row["payload"].(json.RawMessage)), `" description":`, "the reference's odd key is kept as sent")
		}
		if m.Extra != nil {
			assert.Contains(t, row, "attachment", "a second object goes to _extra")
		}
	}
	for _, typ := range botfake.AllTypes {
		assert.True(t, seen[typ], "no %s message was extracted", typ)
	}
}

func TestMessageRowColumns(t *testing.T) {
	a := &api{cfg: NewConfig()}
	u := botUser{ID: "+919876543210", Channel: 1014}
	raw := func(s string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(s), &m))
		return m
	}
	tests := []struct {
		name    string
		msg     string
		text    any
		buttons []string
		extra   map[string]string
	}{
		{"text with buttons", `{"from":"User","type":"text","text":{"message":"hi","buttons":["Yes","No"],"isRating":true},"createdAt":"2026-03-01T10:00:00Z","updatedAt":"2026-03-01T10:00:00Z","isPreviewUser":false}`,
			"hi", []string{"Yes", "No"}, nil},
		{"card", `{"from":"Bot","type":"card","card":{"title":"t","buttons":["Buy"]},"createdAt":"2026-03-01T10:00:00Z"}`,
			nil, []string{"Buy"}, nil},
		{"carousel", `{"from":"Bot","type":"carousel","carousel":[{"buttons":["A"]},{"buttons":["B","C"]}],"createdAt":"2026-03-01T10:00:00Z"}`,
			nil, []string{"A", "B", "C"}, nil},
		{"reply", `{"from":"Bot","type":"reply","reply":{"action":{"buttons":[{"type":"reply","title":"Yes","id":"y"}]}},"createdAt":"2026-03-01T10:00:00Z"}`,
			nil, []string{"Yes"}, nil},
		{"template", `{"from":"Bot","type":"template","template":{"buttons":[{"type":"QUICK_REPLY","text":"Track"}]},"createdAt":"2026-03-01T10:00:00Z"}`,
			nil, []string{"Track"}, nil},
		{"dynamicReply", `{"from":"Bot","type":"dynamicReply","dynamicReply":{"actions":{"buttons":[{"title":"10:00"}]}},"createdAt":"2026-03-01T10:00:00Z"}`,
			nil, []string{"10:00"}, nil},
		{"list", `{"from":"Bot","type":"list","list":{"actions":{"button_text":"Menu","sections":[{"row":[{"title":"a"," description":"b"}]}]}},"createdAt":"2026-03-01T10:00:00Z"}`,
			nil, []string{"Menu"}, nil},
		{"a text object on a card goes to _extra under another name", `{"from":"Bot","type":"card","card":{},"text":{"message":"x"},"attachment":{"contentUrl":"u"},"createdAt":"2026-03-01T10:00:00Z"}`,
			nil, []string{}, map[string]string{"message.text": `{"message":"x"}`, "attachment": `{"contentUrl":"u"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row, created, reason := a.messageRow(u, raw(tt.msg), map[int64]int{})
			require.Empty(t, reason)
			assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), created)
			assert.Equal(t, tt.text, row["text"])
			assert.Equal(t, tt.buttons, row["buttons"])
			assert.Equal(t, created, row["updated_at"], "updatedAt absent or equal: created_at")
			assert.Equal(t, "whatsapp", row["channel_name"])
			for k, v := range tt.extra {
				assert.JSONEq(t, v, string(row[k].(json.RawMessage)))
			}
		})
	}
}

func TestMessagesSharingAnInstantGetConsecutiveIndexes(t *testing.T) {
	a := &api{cfg: NewConfig()}
	u := botUser{ID: "u1", Channel: 1010}
	same := map[int64]int{}
	var keys []string
	for i, ts := range []string{"2026-03-01T10:00:00Z", "2026-03-01T10:00:00.000Z", "2026-03-01T10:00:01Z", "2026-03-01T10:00:00Z"} {
		row, _, reason := a.messageRow(u, map[string]json.RawMessage{"createdAt": json.RawMessage(`"` + ts + `"`), "type": json.RawMessage(`"text"`)}, same)
		require.Empty(t, reason)
		assert.Equal(t, []int{0, 1, 0, 2}[i], row["message_index"], ts)
		keys = append(keys, row["message_key"].(string))
	}
	assert.Len(t, uniq(keys), 4)
	assert.Equal(t, MessageKey("u1", 1010, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), 1), keys[1],
		"the same instant written two ways is one instant")
	_, _, reason := a.messageRow(u, map[string]json.RawMessage{"createdAt": json.RawMessage(`"yesterday"`)}, same)
	assert.Contains(t, reason, "createdAt")
}

func uniq(s []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}

func TestTranscriptsDeclareTheThreeMonthLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, nil)
	s := h.streams[StreamTranscripts]
	require.NotNil(t, s.Earliest)
	earliest := s.Earliest(fakeNow)
	assert.Equal(t, fakeNow.AddDate(0, -3, 0).Add(24*time.Hour), earliest)
	assert.True(t, earliest.After(h.fake.Earliest()), "the declared limit is inside the API's")
	// Where 90 days reach less far back than three months, 90 days win.
	aug31 := time.Date(2026, 8, 31, 10, 0, 0, 0, time.UTC)
	assert.Equal(t, time.Date(2026, 6, 3, 10, 0, 0, 0, time.UTC), s.Earliest(aug31))
	assert.Nil(t, h.streams[StreamUsers].Earliest, "only transcripts are limited")
}

func TestTranscriptsOlderThanThreeMonthsFailClearly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, nil)
	day := window.Floor(fakeNow)
	// A window the engine would have clipped, run directly.
	_, err := h.run(t, StreamTranscripts, window.New(day.AddDate(0, -4, 0), day.AddDate(0, -3, 5)))
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "last 3 months only")
	assert.Contains(t, msg, "refused startDate "+isoUTC(day.AddDate(0, -4, 0)))
	assert.Contains(t, msg, "transcripts_earliest_margin")
	assert.Contains(t, msg, "400 Bad Request")
	assert.NotContains(t, msg, botfake.DemoAppSecret)
	assert.True(t, strings.HasPrefix(msg, "user "), "names the user: %s", msg)
}

func TestTranscriptsSurviveServerFaults(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, func(c *Config) { c.MaxRetries = 8 })
	w := lastDays(10)
	clean, _ := messagesByKey(t, h, w)
	// 5xx and cut-off bodies; 429s would make the test wait on Retry-After.
	h.fake.Faults.SetRates(0.15, 0, 0.05, 0)
	faulty, _ := messagesByKey(t, h, w)
	assert.Positive(t, h.fake.Faults.Injected.Load())
	assert.Equal(t, len(clean), len(faulty))
	missing := 0
	for k := range clean {
		if _, ok := faulty[k]; !ok {
			missing++
		}
	}
	assert.Zero(t, missing, "every message of the clean run is extracted under faults")
}

func TestUsageCoversEveryMonthAndChannel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, botfake.Options{}, nil)
	s := h.streams[StreamUsage]
	require.NotNil(t, s.Align)
	// 2026-02-20 .. 2026-03-05, widened by the engine to February and March.
	w := s.Align(window.New(time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)))
	assert.Equal(t, window.New(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)), w)
	rec, err := h.run(t, StreamUsage, w)
	require.NoError(t, err)

	got := map[string]map[string]any{}
	for _, v := range rec.Values(TableUsage) {
		got[fmt.Sprintf("%s/%d", v["month"].(time.Time).Format("2006-01"), v["channel_id"])] = v
	}
	require.Len(t, got, 8)
	for _, month := range []time.Time{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)} {
		for _, ch := range []int{1010, 1014, 1016, 1017} {
			row := got[fmt.Sprintf("%s/%d", month.Format("2006-01"), ch)]
			require.NotNil(t, row)
			msgs, users := h.fake.Usage(month, ch)
			assert.Equal(t, json.Number(fmt.Sprint(msgs)), row["total_messages"])
			assert.Equal(t, json.Number(fmt.Sprint(users)), row["total_users"])
			assert.Equal(t, DefaultChannelNames[ch], row["channel_name"])
			assert.Contains(t, h.fake.RequestLog(), fmt.Sprintf("GET /usage?channelId=%d&monthDate=%s", ch, month.Format(time.DateOnly)))
		}
	}
	assert.Equal(t, 8, h.fake.Requests("/usage"))
}

func TestRawNumber(t *testing.T) {
	assert.Equal(t, json.Number("12"), rawNumber(json.RawMessage(`12`)))
	assert.Equal(t, "12", rawNumber(json.RawMessage(`"12"`)))
	assert.Nil(t, rawNumber(json.RawMessage(`null`)))
	assert.Nil(t, rawNumber(nil))
}
