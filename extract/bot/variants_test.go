package bot

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine/enginetest"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/bot/botfake"
)

// paginationDetails.pages and total counting one page only used to end every
// transcript walk after page 1 with status ok; every message loads now.
func TestVariantPerPageTranscriptTotals(t *testing.T) {
	t.Parallel()
	w := lastDays(30)
	h := newHarness(t, botfake.Options{PerPageTotal: true}, func(c *Config) { c.TranscriptsLimit = 25 })
	want := 0
	for _, ch := range h.cfg.Channels {
		for _, u := range h.fake.ActiveUsers(ch, w.Start, w.End) {
			for _, m := range u.Messages {
				if w.Contains(m.CreatedAt) {
					want++
				}
			}
		}
	}
	rec, err := h.run(t, StreamTranscripts, w)
	require.NoError(t, err)
	assert.Len(t, rec.Values(TableMessages), want, "every message, not the first page of each user")
	require.Len(t, rec.Notices(), 1, "one line for the window, not one per user")
	assert.Regexp(t, `^\d+ of \d+ walks read a count that disagreed with their pages`, rec.Notices()[0])
	assert.Regexp(t, `paginationDetails.total said \d+ but \d+ were read over \d+ pages: kept the \d+ read`, rec.Notices()[0])
}

// The reference does not name the auth scheme: an API that wants the bare
// token refuses "Bearer <token>", and the error says which setting to try.
func TestVariantAuthScheme(t *testing.T) {
	t.Parallel()
	w := lastDays(2)
	h := newHarness(t, botfake.Options{AuthScheme: botfake.AuthSchemeNone}, nil)
	_, err := h.run(t, StreamUsers, w)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `sent as "Authorization: Bearer <token>": wrong scheme?`)
	assert.Contains(t, err.Error(), "set bot auth_scheme")
	assert.NotContains(t, err.Error(), botfake.DemoAppSecret)

	h = newHarness(t, botfake.Options{AuthScheme: botfake.AuthSchemeNone}, func(c *Config) { c.AuthScheme = "none" })
	rec, err := h.run(t, StreamUsers, w)
	require.NoError(t, err)
	assert.NotEmpty(t, rec.Values(TableUsers))
}

// hasNextPage is documented, but a full users page that says "no next page"
// is read past rather than trusted: the following page decides.
func TestUsersFullPageWithoutNextPageReadsOn(t *testing.T) {
	t.Parallel()
	w := lastDays(30)
	h := newHarness(t, botfake.Options{}, func(c *Config) { c.UsersLimit = 25 })
	want, err := h.run(t, StreamUsers, w)
	require.NoError(t, err)
	require.Greater(t, len(want.Values(TableUsers)), 25, "several pages")

	// The same fake behind a proxy that always answers hasNextPage 0.
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.fake.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if r.URL.Path == "/users" {
			body = bytes.ReplaceAll(body, []byte(`"hasNextPage":1`), []byte(`"hasNextPage":0`))
		}
		for k, v := range rec.Header() {
			rw.Header()[k] = v
		}
		rw.Header().Del("Content-Length")
		rw.WriteHeader(rec.Code)
		_, _ = rw.Write(body)
	}))
	t.Cleanup(srv.Close)
	h.cfg.BaseURL = srv.URL
	streams, err := h.cfg.Open(extract.Env{Now: h.clock.Now})
	require.NoError(t, err)
	for _, s := range streams {
		if s.Name == StreamUsers {
			rec := enginetest.NewRecorder()
			require.NoError(t, s.Extract(context.Background(), w, rec))
			assert.Len(t, rec.Values(TableUsers), len(want.Values(TableUsers)))
		}
	}
}
