package userflow

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
	"github.com/adoptionlabs/etl/window"
)

var lastWeek = window.New(window.Floor(testNow).AddDate(0, 0, -7), window.Floor(testNow).Add(window.Day))

func TestEveryCallCarriesKeyAndVersion(t *testing.T) {
	var (
		mu      sync.Mutex
		headers []http.Header
	)
	e := newEnv(t, 0.2, func(f *userflowfake.Fake) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			headers = append(headers, r.Header.Clone())
			mu.Unlock()
			f.ServeHTTP(w, r)
		})
	})
	e.cfg.PageSize = 30
	for _, name := range StreamNames() {
		_, err := e.run(t, name, lastWeek)
		require.NoError(t, err, name)
	}
	require.Greater(t, len(headers), 10)
	for _, h := range headers {
		assert.Equal(t, "Bearer "+e.fake.APIKey(), h.Get("Authorization"))
		assert.Equal(t, "2020-01-03", h.Get("Userflow-Version"))
	}
}

func TestRejectedCredentialsAndVersion(t *testing.T) {
	const wrongKey = "ak_wrong_0123456789abcdef"
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"wrong key", func(c *Config) { c.APIKey = wrongKey }, "401 Unauthorized after 1 attempt: "},
		{"unknown api version", func(c *Config) { c.APIVersion = "2099-01-01" }, "400 Bad Request after 1 attempt: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, 0.1, nil)
			tt.change(e.cfg)
			for _, name := range StreamNames() {
				_, err := e.run(t, name, lastWeek)
				if name == "groups" && err == nil {
					continue
				}
				require.Error(t, err, name)
				assert.Contains(t, err.Error(), tt.want, name)
				assert.True(t, strings.HasPrefix(err.Error(), "userflow "), err.Error())
				assert.NotContains(t, err.Error(), wrongKey, "the fake echoes the key it was sent; the error must not")
			}
			if tt.name == "wrong key" {
				_, err := e.run(t, "content_sessions", lastWeek)
				assert.Contains(t, err.Error(), "[REDACTED]")
				assert.Contains(t, err.Error(), " page 1: check USERFLOW_API_KEY (the API refused the key): GET ", "what to change comes before the request that failed")
			}
		})
	}
}

func TestKeyNeverAppearsInErrors(t *testing.T) {
	const key = "ak_live_s3cr3t/+=&key"
	for _, status := range []int{400, 401, 403, 404, 500, 503} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// A careless server echoes the credentials back every way it can.
				got := r.Header.Get("Authorization")
				body, _ := json.Marshal(map[string]any{"error": map[string]any{
					"code": "echo", "message": "you sent " + got + " i.e. " + strings.TrimPrefix(got, "Bearer "),
				}})
				w.Header().Set("X-Echo", got)
				w.WriteHeader(status)
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			cfg := NewConfig()
			cfg.BaseURL, cfg.APIKey, cfg.RateLimit, cfg.MaxRetries = srv.URL, key, "unlimited", 1
			cfg.backoffBase, cfg.backoffMax = time.Millisecond, time.Millisecond
			e := &env{srv: srv, cfg: cfg}
			for _, name := range StreamNames() {
				_, err := e.run(t, name, lastWeek)
				if err == nil {
					require.Equal(t, "groups", name, "only groups may skip a refusal")
					continue
				}
				assert.NotContains(t, err.Error(), key)
				assert.NotContains(t, err.Error(), "s3cr3t")
				assert.Contains(t, err.Error(), fmt.Sprint(status))
			}
		})
	}
}

func TestWalkFallsBackToStartingAfter(t *testing.T) {
	var requests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests = append(requests, r.URL.RequestURI())
		if r.URL.Query().Get("starting_after") == "" {
			// has_more without next_page_url, against the reference's promise.
			_, _ = w.Write([]byte(`{"object":"list","data":[{"id":"u1","created_at":"2026-01-01T00:00:00.000+00:00","attributes":{}}],"has_more":true,"url":"/users"}`))
			return
		}
		_, _ = w.Write([]byte(`{"object":"list","data":[{"id":"u2","created_at":"2026-01-02T00:00:00.000+00:00","attributes":null}],"has_more":false,"url":"/users","next_page_url":"/users?starting_after=u2"}`))
	}))
	defer srv.Close()
	cfg := NewConfig()
	cfg.BaseURL, cfg.APIKey, cfg.RateLimit = srv.URL, "k", "unlimited"
	rec, err := (&env{srv: srv, cfg: cfg}).run(t, "users", window.Window{})
	require.NoError(t, err)
	assert.Equal(t, []string{"/users?limit=100", "/users?limit=100&starting_after=u1"}, requests)
	assert.Equal(t, []any{"u1", "u2"}, rec.Column(UsersTable.Name, "id"))
	assert.Equal(t, []any{"{}", "{}"}, rec.Column(UsersTable.Name, "attributes"))
}

func TestWalkRefusesANonList(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"id":"u1","object":"user"}`))
	}))
	defer srv.Close()
	cfg := NewConfig()
	cfg.BaseURL, cfg.APIKey, cfg.RateLimit = srv.URL, "k", "unlimited"
	rec, err := (&env{srv: srv, cfg: cfg}).run(t, "users", window.Window{})
	require.Error(t, err)
	assert.Equal(t, `userflow users page 1: GET /users answered an object of type "user" instead of a list: check base_url and paths`, err.Error())
	assert.Empty(t, rec.AllRows(), "a non-list must not pass for an empty snapshot")
}

func TestOddItemsBecomeRejects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"object":"list","has_more":false,"next_page_url":"/content_sessions?starting_after=s3","data":[
			{"id":"s1","content_id":"c","user_id":"u","version_id":"v","created_at":"2026-11-19T10:00:00.000+00:00","last_activity_at":"2026-11-19T11:00:00.000+00:00","progress":"0.5","answers":[{"id":"a1","answer_type":"number","answer_value":9,"created_at":"2026-11-19T10:30:00.000+00:00","question_cvid":"q","question_name":"NPS"}, 7]},
			{"id":"s2","last_activity_at":"yesterday"},
			{"id":"s3","completed":"yes","last_activity_at":"2026-11-19T09:00:00.000+00:00"}]}`))
	}))
	defer srv.Close()
	cfg := NewConfig()
	cfg.BaseURL, cfg.APIKey, cfg.RateLimit = srv.URL, "k", "unlimited"
	rec, err := (&env{srv: srv, cfg: cfg}).run(t, "content_sessions", lastWeek)
	require.NoError(t, err)
	assert.Equal(t, []any{"s1"}, rec.Column(SessionsTable.Name, "id"))
	assert.Equal(t, "9", rec.Values(AnswersTable.Name)[0]["answer_value"], "a JSON number answer keeps its text")
	assert.Equal(t, "9", rec.Values(AnswersTable.Name)[0]["answer_number"])
	require.Len(t, rec.Rejects(), 3)
	assert.Contains(t, rec.Rejects()[0].String(), "userflow_session_answers: answer of session s1 is not an answer object")
	assert.Contains(t, rec.Rejects()[1].String(), `userflow_content_sessions: last_activity_at "yesterday" is not an ISO 8601 time @ page 1`)
	assert.Contains(t, rec.Rejects()[2].String(), "userflow_content_sessions: not a content session object")
}

// The session walk reads only the cursor fields before asking for the next
// page; without next_page_url it must still find the documented cursor.
func TestSessionWalkFallsBackToStartingAfter(t *testing.T) {
	var requests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests = append(requests, r.URL.Query().Get("starting_after"))
		if r.URL.Query().Get("starting_after") == "" {
			_, _ = w.Write([]byte(`{"object":"list","has_more":true,"data":[
				{"id":"s1","content_id":"c","user_id":"u","version_id":"v","created_at":"2026-11-19T10:00:00.000+00:00","last_activity_at":"2026-11-19T12:00:00.000+00:00","progress":"1"},
				{"id":"s2","content_id":"c","user_id":"u","version_id":"v","created_at":"2026-11-19T10:00:00.000+00:00","last_activity_at":"2026-11-19T11:00:00.000+00:00","progress":"0.5"}]}`))
			return
		}
		_, _ = w.Write([]byte(`{"object":"list","has_more":false,"data":[
			{"id":"s3","content_id":"c","user_id":"u","version_id":"v","created_at":"2026-11-19T09:00:00.000+00:00","last_activity_at":"2026-11-19T10:00:00.000+00:00","progress":"abc"}]}`))
	}))
	defer srv.Close()
	cfg := NewConfig()
	cfg.BaseURL, cfg.APIKey, cfg.RateLimit = srv.URL, "k", "unlimited"
	rec, err := (&env{srv: srv, cfg: cfg}).run(t, "content_sessions", lastWeek)
	require.NoError(t, err)
	assert.Equal(t, []string{"", "s2"}, requests)
	assert.Equal(t, []any{"s1", "s2", "s3"}, rec.Column(SessionsTable.Name, "id"))
}
