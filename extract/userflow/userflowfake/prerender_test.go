package userflowfake

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A prerendered fake serves the same walk, byte for byte, as one that
// renders every page, and serves a page again from memory; a bad request is
// still refused and never cached.
func TestFakePrerenderServesTheSameWalk(t *testing.T) {
	plain := newFake(t, Options{Scale: 0.3})
	pre := newFake(t, Options{Scale: 0.3, Prerender: true})
	first := "/content_sessions?expand=answers&order_by=-last_activity_at&limit=100"
	pagesPlain, idsPlain := walk(t, plain, first)
	pagesPre, idsPre := walk(t, pre, first)
	require.Equal(t, idsPlain, idsPre)
	require.Equal(t, len(pagesPlain), len(pagesPre))
	again, ids2 := walk(t, pre, first)
	assert.Equal(t, idsPre, ids2)
	assert.Equal(t, len(pagesPre), len(again))

	target := pagesPre[1].URL
	a, b := get(t, pre, target), get(t, plain, target)
	assert.True(t, bytes.Equal(a.body, b.body), "page %s differs from the rendered one", target)

	requireError(t, get(t, pre, "/content_sessions?limit=1000"), http.StatusBadRequest, "invalid_request")
	requireError(t, get(t, pre, "/content_sessions?limit=1000"), http.StatusBadRequest, "invalid_request")
}
