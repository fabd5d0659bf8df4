package sessionpage

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What the walk read from a page's ends is checked against the page's full
// parse; a page whose ends cannot be read that way is scanned whole.
func TestSessionsPageCursorIsCheckedAgainstTheFullParse(t *testing.T) {
	body := []byte(`{"object":"list","data":[{"id":"s1","last_activity_at":"2026-11-19T12:00:00.000+00:00"},` +
		`{"id":"s2","last_activity_at":"2026-11-19T11:00:00.000+00:00"}],"has_more":true,"next_page_url":"/content_sessions?starting_after=s2"}`)
	var p Page
	require.NoError(t, p.DecodeJSONBody(body))
	assert.True(t, p.fromEnds)
	assert.Equal(t, "2026-11-19T11:00:00.000+00:00", p.oldest)
	assert.Equal(t, "/content_sessions?starting_after=s2", p.NextPageURL)
	require.NoError(t, p.Decode())
	assert.Len(t, p.Items, 2)

	require.NoError(t, p.DecodeJSONBody(body))
	p.oldest = "2026-11-19T10:00:00.000+00:00" // as if misread
	assert.ErrorContains(t, p.Decode(), "differ from the page's")

	// Another container after the items: read by the full scan instead.
	other := []byte(`{"object":"list","data":[{"id":"s1","last_activity_at":"2026-11-19T12:00:00.000+00:00"}],"meta":{"next_page_url":"/no"},"has_more":false,"next_page_url":null}`)
	require.NoError(t, p.DecodeJSONBody(other))
	assert.False(t, p.fromEnds)
	assert.Equal(t, "2026-11-19T12:00:00.000+00:00", p.oldest)
	assert.Empty(t, p.NextPageURL)
	require.NoError(t, p.Decode())
}
