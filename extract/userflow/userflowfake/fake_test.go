package userflowfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testNow = time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)

func newFake(t *testing.T, opts Options) *Fake {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = testNow
	}
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	return New(opts)
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends an authorised GET (unless headers override) straight to the
// handler.
func call(t *testing.T, f *Fake, method, target string, headers map[string]string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.Header.Set("Authorization", "Bearer "+f.APIKey())
	req.Header.Set("Userflow-Version", APIVersion)
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func get(t *testing.T, f *Fake, target string) response {
	t.Helper()
	return call(t, f, http.MethodGet, target, nil)
}

type list struct {
	Object      string            `json:"object"`
	Data        []json.RawMessage `json:"data"`
	HasMore     bool              `json:"has_more"`
	URL         string            `json:"url"`
	NextPageURL string            `json:"next_page_url"`
}

func decodeList(t *testing.T, r response) list {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var l list
	require.NoError(t, json.Unmarshal(r.body, &l))
	require.Equal(t, "list", l.Object)
	return l
}

type apiError struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		DocURL    string `json:"doc_url"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

func requireError(t *testing.T, r response, status int, code string) apiError {
	t.Helper()
	require.Equal(t, status, r.status, string(r.body))
	var e apiError
	require.NoError(t, json.Unmarshal(r.body, &e), string(r.body))
	assert.Equal(t, code, e.Error.Code)
	assert.NotEmpty(t, e.Error.Message)
	assert.Equal(t, DocURL, e.Error.DocURL)
	assert.True(t, strings.HasPrefix(e.Error.RequestID, "req_"), e.Error.RequestID)
	return e
}

func ids(t *testing.T, l list) []string {
	t.Helper()
	out := make([]string, len(l.Data))
	for i, raw := range l.Data {
		var o struct {
			ID string `json:"id"`
		}
		require.NoError(t, json.Unmarshal(raw, &o))
		out[i] = o.ID
	}
	return out
}

func TestFakeRejectsWhatTheAPIRejects(t *testing.T) {
	f := newFake(t, Options{Scale: 0.2})
	tests := []struct {
		name    string
		method  string
		target  string
		headers map[string]string
		status  int
		code    string
	}{
		{"no auth header", "GET", "/users", map[string]string{"Authorization": ""}, 401, "invalid_api_key"},
		{"wrong key", "GET", "/users", map[string]string{"Authorization": "Bearer ak_wrong"}, 401, "invalid_api_key"},
		{"not bearer", "GET", "/users", map[string]string{"Authorization": "Basic " + f.APIKey()}, 401, "invalid_api_key"},
		{"unknown version", "GET", "/users", map[string]string{"Userflow-Version": "2024-01-01"}, 400, "invalid_request"},
		{"limit 0", "GET", "/content_sessions?limit=0", nil, 400, "invalid_request"},
		{"limit 101", "GET", "/content_sessions?limit=101", nil, 400, "invalid_request"},
		{"limit abc", "GET", "/content_sessions?limit=abc", nil, 400, "invalid_request"},
		{"unknown starting_after", "GET", "/content_sessions?starting_after=nope", nil, 400, "invalid_request"},
		{"empty starting_after", "GET", "/content_sessions?starting_after=", nil, 400, "invalid_request"},
		{"unknown order field", "GET", "/content_sessions?order_by=-updated_at", nil, 400, "invalid_request"},
		{"unknown order field array", "GET", "/content_sessions?order_by[]=last_activity_at&order_by[]=name", nil, 400, "invalid_request"},
		{"unknown expand", "GET", "/content_sessions?expand=questions", nil, 400, "invalid_request"},
		{"unknown parameter", "GET", "/content_sessions?since=2026-01-01", nil, 400, "invalid_request"},
		{"versions without content_id", "GET", "/content_versions?expand[]=questions", nil, 400, "invalid_request"},
		{"bad content type filter", "GET", "/content?type=survey", nil, 400, "invalid_request"},
		{"unknown route", "GET", "/sessions", nil, 404, "not_found"},
		{"unknown item", "GET", "/content_sessions/nope", nil, 404, "not_found"},
		{"too deep", "GET", "/content/a/b", nil, 404, "not_found"},
		{"wrong method", "POST", "/content_sessions", nil, 405, "method_not_allowed"},
		{"events cannot be listed", "GET", "/events", nil, 405, "method_not_allowed"},
		{"not json", "GET", "/users", map[string]string{"Accept": "text/csv"}, 406, "not_acceptable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, f, tt.method, tt.target, tt.headers)
			e := requireError(t, r, tt.status, tt.code)
			if tt.status == 405 {
				assert.NotEmpty(t, r.header.Get("Allow"))
			}
			if tt.name == "limit 0" {
				assert.Contains(t, e.Error.Message, "limit")
			}
		})
	}
}

func TestFakeAcceptsDocumentedForms(t *testing.T) {
	f := newFake(t, Options{Scale: 0.2})
	for _, target := range []string{
		"/users", "/users?order_by=-attributes.name", "/users?order_by[]=attributes.signed_up_at&order_by[]=created_at",
		"/groups?expand=memberships.user", "/content?type=flow&order_by=name", "/content?expand[]=published_version.questions",
		"/content_sessions?expand[]=answers&expand[]=user&order_by[]=-last_activity_at&limit=100",
		"/attribute_definitions?scope=user", "/attribute_definitions?event_name[]=flow_started&event_name[]=flow_completed",
		"/event_definitions?order_by=name", "/webhook_subscriptions",
	} {
		t.Run(target, func(t *testing.T) { decodeList(t, get(t, f, target)) })
	}
	t.Run("no version header means latest", func(t *testing.T) {
		decodeList(t, call(t, f, "GET", "/users", map[string]string{"Userflow-Version": ""}))
	})
}

func TestFakeErrorEchoesTheKeyItWasGiven(t *testing.T) {
	f := newFake(t, Options{Scale: 0.1})
	r := call(t, f, "GET", "/users", map[string]string{"Authorization": "Bearer ak_leaky_secret"})
	e := requireError(t, r, 401, "invalid_api_key")
	assert.Contains(t, e.Error.Message, "ak_leaky_secret", "the fake is meant to be unkind: clients must redact")
}

// walk follows next_page_url until has_more is false.
func walk(t *testing.T, f *Fake, first string) (pages []list, all []string) {
	t.Helper()
	target := first
	for i := 0; i < 10000; i++ {
		l := decodeList(t, get(t, f, target))
		pages = append(pages, l)
		all = append(all, ids(t, l)...)
		require.NotEmpty(t, l.NextPageURL, "next_page_url must always be set")
		require.True(t, strings.HasPrefix(l.NextPageURL, "/"), "next_page_url is relative: %s", l.NextPageURL)
		if !l.HasMore {
			return pages, all
		}
		target = l.NextPageURL
	}
	t.Fatal("walk did not end")
	return nil, nil
}

func TestFakeSessionWalkMatchesGroundTruth(t *testing.T) {
	f := newFake(t, Options{Scale: 0.3})
	pages, got := walk(t, f, "/content_sessions?expand=answers&order_by=-last_activity_at&limit=100")

	var want []string
	for _, s := range f.Sessions() {
		want = append(want, s.ID)
	}
	require.Equal(t, want, got, "walk newest-first must visit every session once, in ground-truth order")
	require.Greater(t, len(pages), 2)

	last := pages[len(pages)-1]
	assert.False(t, last.HasMore)
	lastIDs := ids(t, last)
	next, err := url.Parse(last.NextPageURL)
	require.NoError(t, err)
	assert.Equal(t, "/content_sessions", next.Path)
	assert.Equal(t, lastIDs[len(lastIDs)-1], next.Query().Get("starting_after"))
	assert.Equal(t, "answers", next.Query().Get("expand"), "next_page_url keeps the other parameters")
	assert.Equal(t, "-last_activity_at", next.Query().Get("order_by"))
	assert.Equal(t, "100", next.Query().Get("limit"))
	for _, p := range pages[:len(pages)-1] {
		assert.True(t, p.HasMore)
		assert.Len(t, p.Data, 100)
	}

	// Following next_page_url of the last page gives an empty page that
	// still points at the same place.
	after := decodeList(t, get(t, f, last.NextPageURL))
	assert.Empty(t, after.Data)
	assert.False(t, after.HasMore)
	assert.Equal(t, last.NextPageURL, after.NextPageURL)
}

func TestFakeOrdersAndFilters(t *testing.T) {
	f := newFake(t, Options{Scale: 0.2})
	t.Run("array form equals single form", func(t *testing.T) {
		a := decodeList(t, get(t, f, "/content_sessions?order_by=-last_activity_at&limit=50"))
		b := decodeList(t, get(t, f, "/content_sessions?order_by[]=-last_activity_at&limit=50"))
		assert.Equal(t, ids(t, a), ids(t, b))
	})
	t.Run("default limit and order", func(t *testing.T) {
		l := decodeList(t, get(t, f, "/content_sessions"))
		require.Len(t, l.Data, 10)
		var prev string
		for _, raw := range l.Data {
			var s struct {
				CreatedAt string `json:"created_at"`
			}
			require.NoError(t, json.Unmarshal(raw, &s))
			assert.GreaterOrEqual(t, s.CreatedAt, prev, "default order is created_at ascending")
			prev = s.CreatedAt
		}
		assert.Equal(t, "/content_sessions", l.URL)
	})
	t.Run("content_id and user_id", func(t *testing.T) {
		s := f.Sessions()[0]
		_, got := walk(t, f, "/content_sessions?limit=100&content_id="+s.ContentID+"&user_id="+s.UserID)
		var want []string
		for _, x := range f.Sessions() {
			if x.ContentID == s.ContentID && x.UserID == s.UserID {
				want = append(want, x.ID)
			}
		}
		assert.ElementsMatch(t, want, got)
		assert.Contains(t, got, s.ID)
	})
	t.Run("content type filter", func(t *testing.T) {
		_, got := walk(t, f, "/content?type=checklist")
		var want []string
		for _, c := range f.Content() {
			if c.Type == "checklist" {
				want = append(want, c.ID)
			}
		}
		require.NotEmpty(t, want)
		assert.ElementsMatch(t, want, got)
	})
}

func TestFakeExpandsAnswersOnlyWhenAsked(t *testing.T) {
	f := newFake(t, Options{Scale: 0.2})
	plain := get(t, f, "/content_sessions?limit=5")
	require.Equal(t, 200, plain.status)
	assert.Contains(t, string(plain.body), `"answers":null`)
	assert.Contains(t, string(plain.body), `"content":null`)

	for _, target := range []string{"/content_sessions?limit=100&expand=answers", "/content_sessions?limit=100&expand[]=answers"} {
		l := decodeList(t, get(t, f, target))
		for _, raw := range l.Data {
			var s struct {
				Answers []map[string]any `json:"answers"`
			}
			require.NoError(t, json.Unmarshal(raw, &s))
			assert.NotNil(t, s.Answers, target)
		}
	}
}

func TestFakeContentVersions(t *testing.T) {
	f := newFake(t, Options{})
	byType := map[string]Content{}
	for _, c := range f.Content() {
		byType[c.Type] = c
	}
	require.Len(t, byType, 3)
	for typ, c := range byType {
		t.Run(typ, func(t *testing.T) {
			l := decodeList(t, get(t, f, "/content_versions?content_id="+c.ID+"&expand[]=questions&expand[]=tasks"))
			require.NotEmpty(t, l.Data)
			for _, raw := range l.Data {
				var v map[string]any
				require.NoError(t, json.Unmarshal(raw, &v))
				assert.NotContains(t, v, "content_id", "a content version carries no content_id")
				assert.Equal(t, "content_version", v["object"])
				questions, tasks := v["questions"].([]any), v["tasks"].([]any)
				switch typ {
				case "flow":
					assert.GreaterOrEqual(t, len(questions), 2)
					assert.LessOrEqual(t, len(questions), 4)
					assert.Empty(t, tasks)
				case "checklist":
					assert.Empty(t, questions)
					assert.NotEmpty(t, tasks)
				default:
					assert.Empty(t, questions)
					assert.Empty(t, tasks)
				}
			}
			plain := get(t, f, "/content_versions?content_id="+c.ID)
			assert.Contains(t, string(plain.body), `"questions":null,"tasks":null`)
		})
	}
}

func TestFakeGroupsCanBePlanRestricted(t *testing.T) {
	f := newFake(t, Options{Scale: 0.2})
	decodeList(t, get(t, f, "/groups"))
	f.SetGroupsForbidden(true)
	requireError(t, get(t, f, "/groups"), 403, "forbidden")
	f.SetGroupsForbidden(false)
	decodeList(t, get(t, f, "/groups"))
}

func TestFakeRateLimitAlternatesRetryAfter(t *testing.T) {
	clock := time.Date(2026, 1, 1, 10, 0, 15, 0, time.UTC)
	f := newFake(t, Options{Scale: 0.1, RatePerMinute: 2, Clock: func() time.Time { return clock }})
	decodeList(t, get(t, f, "/users"))
	decodeList(t, get(t, f, "/users"))
	first := get(t, f, "/users")
	requireError(t, first, 429, "rate_limit_exceeded")
	assert.Equal(t, "45", first.header.Get("Retry-After"), "seconds left in the minute")
	second := get(t, f, "/users")
	requireError(t, second, 429, "rate_limit_exceeded")
	assert.Empty(t, second.header.Get("Retry-After"))

	clock = clock.Add(time.Minute)
	decodeList(t, get(t, f, "/users"))
}

func TestFakeCountsRequestsByPath(t *testing.T) {
	f := newFake(t, Options{Scale: 0.1})
	get(t, f, "/users")
	get(t, f, "/users?limit=0")
	get(t, f, "/content")
	assert.Equal(t, 2, f.Requests("/users"))
	assert.Equal(t, 1, f.Requests("/content"))
	assert.Equal(t, []string{"GET /users", "GET /users?limit=0", "GET /content"}, f.RequestLog())
	f.ResetRequests()
	assert.Zero(t, f.Requests("/users"))
}

func TestFakeTouchSessionMovesItToTheHead(t *testing.T) {
	f := newFake(t, Options{Scale: 0.2})
	all := f.Sessions()
	old := all[len(all)/2]
	at := f.Now().Add(time.Minute)
	require.NoError(t, f.TouchSession(old.ID, at, "1", true))

	l := decodeList(t, get(t, f, "/content_sessions?order_by=-last_activity_at&limit=1"))
	require.Equal(t, []string{old.ID}, ids(t, l))
	var s map[string]any
	require.NoError(t, json.Unmarshal(l.Data[0], &s))
	assert.Equal(t, "1", s["progress"])
	assert.Equal(t, true, s["completed"])
	assert.Equal(t, formatTime(at), s["last_activity_at"])
	assert.Equal(t, formatTime(at), s["completed_at"])
	assert.Equal(t, formatTime(old.CreatedAt), s["created_at"], "created_at never changes")

	assert.Error(t, f.TouchSession("nope", at, "1", true))
	assert.Error(t, f.TouchSession(old.ID, old.CreatedAt.Add(-time.Second), "0.5", false))
	assert.Error(t, f.TouchSession(old.ID, at, "half", false))
}

func TestFakeDataIsDeterministicAndPlausible(t *testing.T) {
	a := newFake(t, Options{Seed: 42})
	b := newFake(t, Options{Seed: 42})
	require.Equal(t, a.Sessions(), b.Sessions())
	c := newFake(t, Options{Seed: 43})
	require.NotEqual(t, a.Sessions()[0].ID, c.Sessions()[0].ID)

	sessions := a.Sessions()
	perDay := float64(len(sessions)) / historyDays
	assert.InDelta(t, 135, perDay, 25, "about 150 sessions a day, fewer on weekends")
	assert.InDelta(t, 150, len(a.Users()), 1)
	assert.Len(t, a.Content(), 12)

	types := map[string]int{}
	var sawComma, sawQuote, sawNewline, sawUnicode, sawDecimal bool
	for _, s := range sessions {
		require.False(t, s.LastActivityAt.Before(s.CreatedAt), s.ID)
		require.False(t, s.LastActivityAt.After(a.Now()), s.ID)
		require.False(t, s.CreatedAt.Before(a.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -historyDays)), s.ID, "history is anchored to the start of the day")
		if s.Completed {
			require.NotNil(t, s.CompletedAt)
		}
		for _, ans := range s.Answers {
			types[ans.AnswerType]++
			switch v := ans.AnswerValue.(type) {
			case string:
				sawComma = sawComma || strings.Contains(v, ",")
				sawQuote = sawQuote || strings.Contains(v, `"`)
				sawNewline = sawNewline || strings.Contains(v, "\n")
				sawUnicode = sawUnicode || strings.ContainsRune(v, '👍')
				sawDecimal = sawDecimal || (ans.AnswerType == "number" && strings.Contains(v, "."))
			case []string:
				require.Equal(t, "list", ans.AnswerType)
				require.NotEmpty(t, v)
			default:
				t.Fatalf("answer value %T", v)
			}
		}
	}
	assert.Positive(t, types["text"])
	assert.Positive(t, types["number"])
	assert.Positive(t, types["list"])
	assert.True(t, sawComma && sawQuote && sawNewline && sawUnicode && sawDecimal)
}

func TestSessionsBetweenIsHalfOpen(t *testing.T) {
	f := newFake(t, Options{Scale: 0.1})
	all := f.Sessions()
	pivot := all[len(all)/2].LastActivityAt
	in := f.SessionsBetween(pivot, pivot.Add(time.Second))
	require.NotEmpty(t, in)
	for _, s := range in {
		assert.True(t, s.LastActivityAt.Equal(pivot))
	}
	assert.Empty(t, f.SessionsBetween(pivot.Add(time.Nanosecond), pivot.Add(time.Second)))
	assert.Len(t, f.SessionsBetween(time.Time{}, f.Now().Add(time.Second)), len(all))
}

// Each Variant serves its reading and nothing else changes: the same
// items, page for page.
func TestFakeVariantsServeTheOtherReading(t *testing.T) {
	const first = "/content_sessions?expand=answers&limit=3&order_by=-last_activity_at"
	plain := decodeList(t, get(t, newFake(t, Options{Scale: 0.2}), first))
	require.True(t, plain.HasMore)
	last := ids(t, plain)[2]

	abs := decodeList(t, get(t, newFake(t, Options{Scale: 0.2, Variant: Variants["absolute-next-page-url"]}), first))
	assert.Equal(t, "https://api.userflow.com"+plain.NextPageURL, abs.NextPageURL)
	assert.Equal(t, plain.Data, abs.Data)

	bare := decodeList(t, get(t, newFake(t, Options{Scale: 0.2, Variant: Variants["bare-next-page-url"]}), first))
	assert.Equal(t, "/content_sessions?starting_after="+last, bare.NextPageURL)
	assert.Equal(t, plain.Data, bare.Data)

	f := newFake(t, Options{Scale: 0.2, Variant: Variants["repeated-expand"]})
	c := f.Content()[0]
	e := requireError(t, get(t, f, "/content_versions?content_id="+c.ID+"&expand[]=questions&expand[]=tasks"), 400, "invalid_request")
	assert.Contains(t, e.Error.Message, `unknown query parameter "expand[]"`)
	requireError(t, get(t, f, "/content_versions/"+c.PublishedVersionID+"?expand[]=questions"), 400, "invalid_request")
	repeated := get(t, f, "/content_versions?content_id="+c.ID+"&expand=questions&expand=tasks")
	assert.NotContains(t, string(repeated.body), `"questions":null`)
	assert.NotContains(t, string(repeated.body), `"tasks":null`)

	requireError(t, get(t, newFake(t, Options{Scale: 0.2, Variant: Variants["groups-forbidden"]}), "/groups"), 403, "forbidden")
	requireError(t, get(t, newFake(t, Options{Scale: 0.2, Variant: Variants["groups-not-found"]}), "/groups"), 404, "not_found")
}
