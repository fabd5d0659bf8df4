package userflow

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/engine/enginetest"
	"github.com/adoptionlabs/etl/extract/userflow/internal/sessionpage"
	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
	"github.com/adoptionlabs/etl/window"
)

// pickOlder returns sessions created before t, skipping the ones in avoid.
func pickOlder(t *testing.T, f *userflowfake.Fake, before time.Time, n int) []userflowfake.Session {
	t.Helper()
	var out []userflowfake.Session
	for _, s := range f.Sessions() {
		if s.CreatedAt.Before(before) && s.LastActivityAt.Before(before.AddDate(0, 0, -20)) {
			out = append(out, s)
			if len(out) == n {
				return out
			}
		}
	}
	t.Fatalf("not enough old sessions")
	return nil
}

func TestSessionsWindowEdgesAndEarlyStop(t *testing.T) {
	e := newEnv(t, 0.5, nil)
	e.cfg.PageSize = 40
	start := window.Floor(testNow).AddDate(0, 0, -10)
	w := window.New(start, start.AddDate(0, 0, 3))

	edge := pickOlder(t, e.fake, start, 3)
	atStart, atEnd, justBefore := edge[0], edge[1], edge[2]
	require.NoError(t, e.fake.TouchSession(atStart.ID, w.Start, "0.6", false))
	require.NoError(t, e.fake.TouchSession(atEnd.ID, w.End, "0.6", false))
	require.NoError(t, e.fake.TouchSession(justBefore.ID, w.Start.Add(-time.Second), "0.6", false))
	e.fake.ResetRequests()

	rec, err := e.run(t, "content_sessions", w)
	require.NoError(t, err)

	want := e.fake.SessionsBetween(w.Start, w.End)
	require.Greater(t, len(want), 100, "the window spans several pages")
	got := rec.Column(SessionsTable.Name, "id")
	assert.Equal(t, sessionIDs(want), got, "exactly the sessions with last_activity_at in [start, end), newest first")
	assert.Contains(t, got, atStart.ID, "a session exactly at the window start belongs to it")
	assert.NotContains(t, got, atEnd.ID, "a session exactly at the window end belongs to the next window")
	assert.NotContains(t, got, justBefore.ID, "one second before the start is outside")
	assert.Empty(t, rec.Rejects())

	// The walk stops on the page where it first meets a session older than
	// the start: no page beyond it is fetched, although pages are fetched
	// ahead while earlier ones decode (the walk reads where each page ends
	// from its last item).
	all := e.fake.Sessions()
	firstOlder := -1
	for i, s := range all {
		if s.LastActivityAt.Before(w.Start) {
			firstOlder = i
			break
		}
	}
	require.Positive(t, firstOlder)
	wantPages := firstOlder/e.cfg.PageSize + 1
	assert.Equal(t, wantPages, e.fake.Requests("/content_sessions"))
	assert.Less(t, wantPages, (len(all)+e.cfg.PageSize-1)/e.cfg.PageSize, "the walk must not reach the end of history")

	// Each row says on which page of the walk it was found.
	pos := map[string]int{}
	for i, s := range all {
		pos[s.ID] = i
	}
	for _, row := range rec.Rows(SessionsTable.Name) {
		assert.Equal(t, fmt.Sprintf("page %d", pos[row.Values["id"].(string)]/e.cfg.PageSize+1), row.Where)
	}
}

func TestSessionsRequestTheDocumentedQuery(t *testing.T) {
	e := newEnv(t, 0.1, nil)
	e.cfg.PageSize = 25
	start := window.Floor(testNow).AddDate(0, 0, -2)
	_, err := e.run(t, "content_sessions", window.New(start, start.Add(window.Day)))
	require.NoError(t, err)
	log := e.fake.RequestLog()
	require.GreaterOrEqual(t, len(log), 2)
	assert.Equal(t, "GET /content_sessions?expand=answers&limit=25&order_by=-last_activity_at", log[0])
	assert.Regexp(t, `^GET /content_sessions\?expand=answers&limit=25&order_by=-last_activity_at&starting_after=[0-9a-f-]{36}$`, log[1],
		"later pages follow next_page_url")
}

func TestSessionValuesAreMappedAsSpecified(t *testing.T) {
	e := newEnv(t, 1, nil)
	w := window.New(window.Floor(testNow).AddDate(0, 0, -30), window.Floor(testNow))
	rec, err := e.run(t, "content_sessions", w)
	require.NoError(t, err)
	want := e.fake.SessionsBetween(w.Start, w.End)
	require.Len(t, rec.Rows(SessionsTable.Name), len(want))

	var answers []map[string]any
	for i, s := range want {
		var completedAt, groupID any
		if s.CompletedAt != nil {
			completedAt = apiTime(*s.CompletedAt)
		}
		if s.GroupID != "" {
			groupID = s.GroupID
		}
		require.Equal(t, map[string]any{
			"id": s.ID, "content_id": s.ContentID, "user_id": s.UserID, "group_id": groupID, "version_id": s.VersionID,
			"created_at": apiTime(s.CreatedAt), "last_activity_at": apiTime(s.LastActivityAt),
			"completed": s.Completed, "completed_at": completedAt, "progress": s.Progress,
			"is_preview": s.IsPreview, "launcher_activated": s.LauncherActivated,
		}, rec.Rows(SessionsTable.Name)[i].Values)
		for _, a := range s.Answers {
			// answer_values is left out (null) unless the answer is a list:
			// a StringList column loads a missing list as an empty one.
			value, values, number := a.AnswerValue, any(nil), any(nil)
			switch a.AnswerType {
			case "list":
				items := a.AnswerValue.([]string)
				quoted := make([]string, len(items))
				for j, it := range items {
					quoted[j] = fmt.Sprintf("%q", it)
				}
				// A list of strings is emitted as one: the StringList
				// column takes []string as it takes []any of strings.
				values = append([]string{}, items...)
				value = "[" + strings.Join(quoted, ",") + "]"
			case "number":
				number = a.AnswerValue
			}
			answers = append(answers, map[string]any{
				"id": a.ID, "session_id": s.ID, "content_id": s.ContentID, "user_id": s.UserID,
				"question_cvid": a.QuestionCVID, "question_name": a.QuestionName, "answer_type": a.AnswerType,
				"answer_value": value, "answer_values": values, "answer_number": number,
				"created_at": apiTime(a.CreatedAt), "session_last_activity_at": apiTime(s.LastActivityAt),
			})
		}
	}
	require.Equal(t, answers, rec.Values(AnswersTable.Name))

	// The cases that matter, spelled out.
	seen := map[string]bool{}
	for _, a := range rec.Values(AnswersTable.Name) {
		v := a["answer_value"].(string)
		switch {
		case a["answer_type"] == "list" && strings.Contains(v, `"Yes, definitely"`):
			assert.True(t, strings.HasPrefix(v, `["`) && !strings.Contains(v, " ,"), "compact JSON: %s", v)
			assert.Contains(t, a["answer_values"], "Yes, definitely")
			seen["list with comma"] = true
		case a["answer_type"] == "number" && v == "4.5":
			assert.Equal(t, "4.5", a["answer_number"])
			assert.Empty(t, a["answer_values"])
			seen["decimal number"] = true
		case a["answer_type"] == "text" && strings.Contains(v, "\n"):
			assert.Equal(t, "Line one\nLine two\nLine three", v, "text kept exactly, newlines included")
			assert.Nil(t, a["answer_number"])
			seen["multiline text"] = true
		case a["answer_type"] == "text" && strings.Contains(v, "👍"):
			assert.Equal(t, "Très bien 👍 — ça marche", v)
			seen["unicode text"] = true
		}
	}
	assert.Len(t, seen, 4, "%v", seen)
}

func TestTouchedSessionMovesToALaterWindow(t *testing.T) {
	e := newEnv(t, 0.3, nil)
	day := window.Floor(testNow)
	older := window.New(day.AddDate(0, 0, -14), day.AddDate(0, 0, -7))
	later := window.New(day.AddDate(0, 0, -7), day)

	before, err := e.run(t, "content_sessions", older)
	require.NoError(t, err)
	var target userflowfake.Session
	for _, s := range e.fake.SessionsBetween(older.Start, older.End) {
		if !s.Completed && len(s.Answers) > 0 {
			target = s
			break
		}
	}
	require.NotEmpty(t, target.ID)
	require.Contains(t, before.Column(SessionsTable.Name, "id"), target.ID)

	seenAgain := later.Start.Add(36 * time.Hour)
	require.NoError(t, e.fake.TouchSession(target.ID, seenAgain, "1", true))

	after, err := e.run(t, "content_sessions", later)
	require.NoError(t, err)
	var row map[string]any
	for _, v := range after.Values(SessionsTable.Name) {
		if v["id"] == target.ID {
			row = v
		}
	}
	require.NotNil(t, row, "the touched session is in the window of its new activity")
	assert.Equal(t, apiTime(seenAgain), row["last_activity_at"])
	assert.Equal(t, "1", row["progress"])
	assert.Equal(t, true, row["completed"])
	assert.Equal(t, apiTime(seenAgain), row["completed_at"])
	assert.Equal(t, apiTime(target.CreatedAt), row["created_at"], "the partition column never moves")
	n := 0
	for _, a := range after.Values(AnswersTable.Name) {
		if a["session_id"] == target.ID {
			n++
			assert.Equal(t, apiTime(seenAgain), a["session_last_activity_at"], "answers follow their session")
		}
	}
	assert.Equal(t, len(target.Answers), n)

	rerun, err := e.run(t, "content_sessions", older)
	require.NoError(t, err)
	assert.NotContains(t, rerun.Column(SessionsTable.Name, "id"), target.ID)
}

// retryAfterOnce answers the first request to a path with 429 and
// Retry-After, as Userflow may.
func retryAfterOnce(f *userflowfake.Fake) http.Handler {
	var done atomic.Bool
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if done.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":{"code":"rate_limit_exceeded","message":"slow down","doc_url":"https://userflow.com/docs/api","request_id":"req_1"}}`))
			return
		}
		f.ServeHTTP(w, r)
	})
}

func TestSessionsUnderFaultsGiveTheSameRows(t *testing.T) {
	start := window.Floor(testNow).AddDate(0, 0, -3)
	w := window.New(start, start.AddDate(0, 0, 2))
	base := newEnv(t, 0.3, nil)
	base.cfg.PageSize = 30
	want, err := base.run(t, "content_sessions", w)
	require.NoError(t, err)
	require.NotEmpty(t, want.Rows(AnswersTable.Name))

	tests := []struct {
		name    string
		handler func(*userflowfake.Fake) http.Handler
		faults  func(*userflowfake.Fake)
	}{
		{"503 twice", nil, func(f *userflowfake.Fake) { f.Faults.FailNext(2, http.StatusServiceUnavailable) }},
		{"429 without Retry-After", nil, func(f *userflowfake.Fake) { f.Faults.FailNext(3, http.StatusTooManyRequests) }},
		{"429 with Retry-After", retryAfterOnce, nil},
		{"truncated bodies", nil, func(f *userflowfake.Fake) { f.Faults.SetRates(0, 0, 0.3, 0) }},
		{"random 5xx and truncation", nil, func(f *userflowfake.Fake) { f.Faults.SetRates(0.2, 0, 0.2, 0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, 0.3, tt.handler)
			e.cfg.PageSize = 30
			e.cfg.MaxRetries = 8
			if tt.faults != nil {
				tt.faults(e.fake)
			}
			began := time.Now()
			got, err := e.run(t, "content_sessions", w)
			require.NoError(t, err)
			assert.Equal(t, want.AllRows(), got.AllRows())
			if tt.faults != nil {
				assert.Positive(t, e.fake.Faults.Injected.Load(), "faults were really injected")
				assert.Greater(t, e.fake.Requests("/content_sessions"), base.fake.Requests("/content_sessions"))
			} else {
				assert.GreaterOrEqual(t, time.Since(began), time.Second, "Retry-After: 1 was honoured")
			}
		})
	}
}

func TestSessionsErrorsNameWindowAndPage(t *testing.T) {
	// The third page is refused: the error must say which.
	var n atomic.Int32
	e := newEnv(t, 0.3, func(f *userflowfake.Fake) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 3 {
				r.Header.Set("Authorization", "Bearer ak_revoked_key_9f8e7d")
			}
			f.ServeHTTP(w, r)
		})
	})
	e.cfg.PageSize = 20
	w := window.New(time.Date(2026, 11, 14, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	rec, err := e.run(t, "content_sessions", w)
	require.Error(t, err)
	assert.Regexp(t, `^userflow content_sessions window 2026-11-14\.\.2026-11-20 page 3: check USERFLOW_API_KEY \(the API refused the key\): GET /content_sessions\?expand=answers&limit=20&order_by=-last_activity_at&starting_after=[0-9a-f-]+: 401 Unauthorized after 1 attempt: .*invalid_api_key.*$`, err.Error())
	assert.Len(t, rec.Rows(SessionsTable.Name), 40, "the two pages before the failure were emitted")
}

func TestSessionsHonourCancellation(t *testing.T) {
	e := newEnv(t, 0.3, nil)
	e.cfg.PageSize = 10
	ctx, cancel := context.WithCancel(context.Background())
	requests := func() int { return e.fake.Requests("/content_sessions") }
	rec := &cancellingRecorder{Recorder: enginetest.NewRecorder(), after: 15, cancel: cancel, requests: requests}
	w := window.New(window.Floor(testNow).AddDate(0, 0, -30), window.Floor(testNow))
	err := e.stream(t, "content_sessions").Extract(ctx, w, rec)
	require.ErrorIs(t, err, context.Canceled)
	require.NotEmpty(t, rec.cancelledAt)
	var page int
	_, err = fmt.Sscanf(rec.cancelledAt, "page %d", &page)
	require.NoError(t, err)
	// How far the walk and the decode-ahead ran before the cancel depends
	// on the scheduler; after it, at most the one request already on its
	// way may still reach the server.
	cancelled := requests()
	assert.LessOrEqual(t, cancelled, rec.requestsAtCancel+1, "no page is fetched after cancellation (cancelled at page %d)", page)
	// The same window uncancelled: the cancelled walk stopped well short.
	require.NoError(t, e.stream(t, "content_sessions").Extract(context.Background(), w, enginetest.NewRecorder()))
	assert.Less(t, 2*cancelled, requests()-cancelled, "pages of the cancelled walk against the whole window's")
}

type cancellingRecorder struct {
	*enginetest.Recorder
	after            int
	cancel           func()
	cancelledAt      string
	requests         func() int
	requestsAtCancel int
}

func (c *cancellingRecorder) Emit(ctx context.Context, table string, row engine.Row) error {
	if err := c.Recorder.Emit(ctx, table, row); err != nil {
		return err
	}
	if len(c.Recorder.Rows(SessionsTable.Name)) == c.after {
		c.cancelledAt = row.Where
		if c.requests != nil {
			c.requestsAtCancel = c.requests()
		}
		c.cancel()
	}
	return nil
}

// A page's last item of another shape (here a numeric id) is a reject like
// any other odd item, not a mismatch between the walk's read-ahead and the
// page that fails the window.
func TestOddLastItemIsAReject(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"object":"list","has_more":false,"next_page_url":"/content_sessions?starting_after=x","data":[
			{"id":"s1","content_id":"c","user_id":"u","version_id":"v","created_at":"2026-11-19T10:00:00.000+00:00","last_activity_at":"2026-11-19T11:00:00.000+00:00","progress":"0.5"},
			{"id":5,"last_activity_at":"2026-11-19T09:00:00.000+00:00"}]}`))
	}))
	defer srv.Close()
	cfg := NewConfig()
	cfg.BaseURL, cfg.APIKey, cfg.RateLimit = srv.URL, "k", "unlimited"
	rec, err := (&env{srv: srv, cfg: cfg}).run(t, "content_sessions", lastWeek)
	require.NoError(t, err)
	assert.Equal(t, []any{"s1"}, rec.Column(SessionsTable.Name, "id"))
	require.Len(t, rec.Rejects(), 1)
	assert.Contains(t, rec.Rejects()[0].String(), "userflow_content_sessions: not a content session object")
}

// Through the stream, the rows of pages the specialised decoder once
// refused are encoding/json's reading of them (goccy/go-json read them
// otherwise): an escaped key that spells no field ("\u0061n") adds no
// answer row, invalid UTF-8 is U+FFFD, and a key encoding/json folds onto
// a field ("iſ_preview") sets it. On a page the specialised decoder reads
// and on one it refuses for its folded key.
func TestTrickyPagesLoadAsEncodingJSONReadsThem(t *testing.T) {
	session := func(id, user, extra string) string {
		return `{"id":"` + id + `","content_id":"c","user_id":"` + user + `","version_id":"v",` +
			`"created_at":"2026-11-19T10:00:00.000+00:00","last_activity_at":"2026-11-19T11:00:00.000+00:00","progress":"0.5"` + extra + `}`
	}
	answer := `{"id":"a1","answer_type":"text","answer_value":"ok","created_at":"2026-11-19T10:30:00.000+00:00","question_cvid":"q","question_name":"Q"}`
	for _, tc := range []struct {
		name, folded string
	}{
		{"read by the page decoder", `,"is_preview":true`},
		{"refused by it", `,"iſ_preview":true`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"object":"list","has_more":false,"next_page_url":"/content_sessions?starting_after=s3","data":[` +
				session("s1", "u1", `,"\u0061n":[{"id":"phantom","answer_type":"text","answer_value":"boo"}],"answers":[`+answer+`]`) + "," +
				session("s2", "u\xff\xc3(", "") + "," +
				session("s3", "u3", tc.folded) + `]}`
			_, err := sessionpage.DecodeList([]byte(body))
			require.Equal(t, tc.folded == `,"iſ_preview":true`, err != nil, "the page decoder refuses only the folded key: %v", err)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(body))
			}))
			defer srv.Close()
			cfg := NewConfig()
			cfg.BaseURL, cfg.APIKey, cfg.RateLimit = srv.URL, "k", "unlimited"
			rec, err := (&env{srv: srv, cfg: cfg}).run(t, "content_sessions", lastWeek)
			require.NoError(t, err)
			assert.Empty(t, rec.Rejects())
			assert.Equal(t, []any{"s1", "s2", "s3"}, rec.Column(SessionsTable.Name, "id"))
			assert.Equal(t, []any{"a1"}, rec.Column(AnswersTable.Name, "id"), "no answer row from the escaped key")
			assert.Equal(t, []any{"u1", "u\ufffd\ufffd(", "u3"}, rec.Column(SessionsTable.Name, "user_id"))
			assert.Equal(t, []any{false, false, true}, rec.Column(SessionsTable.Name, "is_preview"))
		})
	}
}
