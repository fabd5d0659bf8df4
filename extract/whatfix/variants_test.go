package whatfix

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/whatfix/whatfixfake"
)

// newVariantFixture is newFixture against a fake that serves the other
// reading of an undocumented detail.
func newVariantFixture(t *testing.T, v whatfixfake.Variant) *fixture {
	t.Helper()
	fx := newFixture(t)
	fake := whatfixfake.New(whatfixfake.Options{Seed: 7, Now: testNow, Variant: v})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fx.fake, fx.srv = fake, srv
	fx.cfg.BaseURL = srv.URL + whatfixfake.APIPrefix
	return fx
}

// Each test runs the stream the guess affects against the fake's other
// reading: with today's defaults the run fails loud (or adapts), never ends
// ok with fewer rows; with the setting changed it loads every row.

func TestVariantRenamedCursorKey(t *testing.T) {
	w := days("2026-02-01", "2026-02-08")
	fx := newVariantFixture(t, whatfixfake.Variants["cursor-key"])
	want := len(fx.fake.AuditEntries(w.Start, w.End))
	require.Greater(t, want, 10, "the window spans several pages")
	fx.cfg.AuditLogLimit = 10

	_, err := run(t, fx.stream(t, "audit_logs"), w)
	require.Error(t, err, "default cursor_keys must not end on the first page")
	assert.Contains(t, err.Error(), `no next-page marker "cursor" (keys in the response: "data", "nextCursor")`)
	assert.Contains(t, err.Error(), "set whatfix cursor_keys")

	fx.cfg.CursorKeys = []string{"cursor", "nextCursor"}
	rec := mustRun(t, fx.stream(t, "audit_logs"), w)
	assert.Len(t, rec.Rows("whatfix_audit_logs"), want)

	// content-updated follows the same setting.
	fx.cfg.CursorKeys, fx.cfg.PageSize = []string{"cursor"}, 3
	cw := days("2025-01-01", "2026-03-01")
	_, err = run(t, fx.stream(t, "content"), cw)
	require.ErrorContains(t, err, "cursor_keys")
	fx.cfg.CursorKeys = []string{"nextCursor"}
	rec = mustRun(t, fx.stream(t, "content"), cw)
	assert.Equal(t, contentIDsIn(fx.fake.Content(), cw), emittedIDs(rec, "whatfix_content", "content_id"))
}

func TestVariantExclusiveEndDate(t *testing.T) {
	w := days("2026-02-01", "2026-02-03")
	inclusive := newFixture(t)
	want := len(mustRun(t, inclusive.stream(t, "flow_analytics"), w).Rows("whatfix_flow_analytics"))
	require.Positive(t, want)

	fx := newVariantFixture(t, whatfixfake.Variants["exclusive-end-date"])
	// The run itself cannot tell an empty day from a wrong reading: this is
	// what etl check measures (TestCheckNamesEachVariant) and what
	// end_date fixes.
	assert.Empty(t, mustRun(t, fx.stream(t, "flow_analytics"), w).Rows("whatfix_flow_analytics"))
	fx.cfg.EndDate = EndDateExclusive
	rec := mustRun(t, fx.stream(t, "flow_analytics"), w)
	assert.Len(t, rec.Rows("whatfix_flow_analytics"), want)
	assert.Equal(t, canonical(mustRun(t, inclusive.stream(t, "flow_analytics"), w).Rows("whatfix_flow_analytics")),
		canonical(rec.Rows("whatfix_flow_analytics")), "the same rows per day")
}

func TestVariantV1Layout(t *testing.T) {
	w := days("2026-02-01", "2026-02-03")
	fx := newVariantFixture(t, whatfixfake.Variants["v1-layout"])
	for _, name := range []string{"audit_logs", "content"} {
		_, err := run(t, fx.stream(t, name), w)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "access denied (403) at "+fx.srv.URL+"/api/v1/"+fx.cfg.AccountID+"/", name)
		assert.Contains(t, err.Error(), "wrong path or layout?", name)
		assert.Contains(t, err.Error(), "credentials?", name)
	}

	fx.cfg.V1 = Layout{BaseURL: fx.srv.URL + whatfixfake.V1Prefix, PathPrefix: "/accounts/{accountId}"}
	rec := mustRun(t, fx.stream(t, "audit_logs"), w)
	assert.Len(t, rec.Rows("whatfix_audit_logs"), len(fx.fake.AuditEntries(w.Start, w.End)))
	rec = mustRun(t, fx.stream(t, "content"), w)
	assert.Equal(t, contentIDsIn(fx.fake.Content(), w), emittedIDs(rec, "whatfix_content", "content_id"))
	assert.Empty(t, rec.Notices(), "the incremental endpoint answered")
	// The other endpoints stay on the OpenAPI layout.
	assert.NotEmpty(t, mustRun(t, fx.stream(t, "flow_analytics"), w).Rows("whatfix_flow_analytics"))
}

func TestVariantV1ContentItems(t *testing.T) {
	w := days("2025-01-01", "2026-03-01")
	fx := newVariantFixture(t, whatfixfake.Variants["v1-content-items"])
	fx.cfg.PageSize = 5
	rec := mustRun(t, fx.stream(t, "content"), w)
	assert.Empty(t, rec.Rejects(), "v1-shaped items are not rejected")
	assert.Equal(t, contentIDsIn(fx.fake.Content(), w), emittedIDs(rec, "whatfix_content", "content_id"), "every item of the window")
	require.Len(t, rec.Notices(), 1)
	assert.Contains(t, rec.Notices()[0], "without a modification time (keys: id, tags, title, type, url)")
	assert.Contains(t, rec.Notices()[0], "content_fields")
}

func TestContentV1ShapeMapsWithContentFields(t *testing.T) {
	s := &source{cfg: NewConfig()}
	s.cfg.ContentFields = map[string]string{"updatedAt": "modified_at", "createdAt": "created_at"}
	v := s.contentValues(map[string]any{"id": "c1", "title": "Onboarding", "url": "https://x", "updatedAt": "2026-01-02T00:00:00Z", "createdAt": "2026-01-01T00:00:00Z"})
	assert.Equal(t, "c1", v["content_id"])
	assert.Equal(t, "Onboarding", v["name"])
	assert.Equal(t, "https://x", v["target_url"])
	assert.Equal(t, "2026-01-02T00:00:00Z", v["modified_at"])
}

// A guessed report path the API does not serve fails loud with the URL it
// hit and both readings of the status.
func TestWrongReportPathNamesTheURL(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.Reports = []ReportConfig{{Name: "summary/usage", Path: "reports/summary/usageReport"}}
	_, err := run(t, fx.stream(t, "report_usage"), days("2026-03-01", "2026-03-02"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not found (404) at "+fx.srv.URL+"/api/v1/"+fx.cfg.AccountID+"/reports/summary/usageReport: wrong path or layout? check the report's path (reports[].path)")
	assert.Contains(t, err.Error(), "credentials?")
}
