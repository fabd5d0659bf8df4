package whatfix

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/whatfix/whatfixfake"
	"github.com/adoptionlabs/etl/window"
)

func contentIDsIn(items []whatfixfake.Content, w window.Window) []string {
	var out []string
	for _, c := range items {
		if w.Contains(c.ModifiedAt) {
			out = append(out, c.ContentID)
		}
	}
	sort.Strings(out)
	return out
}

func emittedIDs(rec *recorder, table, key string) []string {
	var out []string
	for _, r := range rec.Rows(table) {
		out = append(out, r.Values[key].(string))
	}
	sort.Strings(out)
	return out
}

func TestContentIncrementalByModifiedTime(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.PageSize = 3
	s := fx.stream(t, "content")
	w := days("2026-01-01", "2026-02-28")
	rec := mustRun(t, s, w)
	want := contentIDsIn(fx.fake.Content(), w)
	require.NotEmpty(t, want)
	assert.Equal(t, want, emittedIDs(rec, "whatfix_content", "content_id"), "exactly the items modified in the window")
	assert.Zero(t, fx.fake.Requests("content"), "the full list is not needed")

	log := fx.fake.RequestLog()
	first, err := url.Parse(strings.TrimPrefix(log[0], "GET "))
	require.NoError(t, err)
	assert.Equal(t, strconv.FormatInt(w.Start.UnixMilli()-1, 10), first.Query().Get("fromTime"), "fromTime is the window start (after = one ms before)")
	assert.Equal(t, "3", first.Query().Get("limit"))
	assert.NotEmpty(t, mustQuery(t, log[1]).Get("cursor"), "the second page follows the cursor")

	// An edit moves an item into a later window; the merge keeps the newest.
	item := fx.fake.Flows()[0]
	edited := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	require.NoError(t, fx.fake.TouchContent(item.ContentID, edited, "Renamed flow"))
	rec = mustRun(t, s, days("2026-03-10", "2026-03-10"))
	var found bool
	for _, r := range rec.Rows("whatfix_content") {
		if r.Values["content_id"] == item.ContentID {
			found = true
			assert.Equal(t, "Renamed flow", r.Values["name"])
			assert.Equal(t, "2026-03-10T12:00:00Z", r.Values["modified_at"])
			assert.Equal(t, fx.fake.AccountID(), r.Values["account_id"])
		}
	}
	assert.True(t, found)
	assert.Empty(t, rec.fieldsUnknownTo("whatfix_content"))
}

func mustQuery(t *testing.T, logLine string) url.Values {
	t.Helper()
	_, uri, _ := strings.Cut(logLine, " ")
	u, err := url.Parse(uri)
	require.NoError(t, err)
	return u.Query()
}

func TestContentFallsBackToTheFullList(t *testing.T) {
	for _, status := range []int{404, 501} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			fx := newFixture(t)
			fx.cfg.PageSize = 10
			fx.fake.SetContentUpdatedStatus(status)
			s := fx.stream(t, "content")
			w := days("2026-01-01", "2026-02-28")
			rec := mustRun(t, s, w)
			assert.Equal(t, contentIDsIn(fx.fake.Content(), w), emittedIDs(rec, "whatfix_content", "content_id"))
			assert.Equal(t, (len(fx.fake.Content())+9)/10, fx.fake.Requests("content"), "every page of the full list")
			require.Len(t, rec.Notices(), 1)
			assert.Contains(t, rec.Notices()[0], "whatfix content: GET /"+fx.fake.AccountID()+"/content/updated is not available")
			assert.Contains(t, rec.Notices()[0], "set paths.content_updated")

			// Once per run, not once per window.
			rec = mustRun(t, s, days("2026-03-01", "2026-03-14"))
			assert.Empty(t, rec.Notices())
		})
	}
}

func TestContentOtherErrorsDoNotFallBack(t *testing.T) {
	fx := newFixture(t)
	fx.fake.SetContentUpdatedStatus(400)
	_, err := run(t, fx.stream(t, "content"), days("2026-03-01", "2026-03-01"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "400 Bad Request")
	assert.Zero(t, fx.fake.Requests("content"))
}

func TestEndUsersSnapshot(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.PageSize = 40
	rec := mustRun(t, fx.stream(t, "end_users"), days("2026-03-01", "2026-03-01"))
	users := fx.fake.EndUsers()
	rows := rec.Rows("whatfix_end_users")
	require.Len(t, rows, len(users))
	assert.Equal(t, (len(users)+39)/40, fx.fake.Requests("end-users"))
	first := rows[0].Values
	assert.Equal(t, users[0].UserID, first["user_id"])
	assert.Equal(t, users[0].Email, first["email"])
	assert.Equal(t, users[0].Name, first["name"])
	assert.Equal(t, users[0].CreatedAt.Format(time.RFC3339), first["created_at"])
	assert.Equal(t, users[0].LastSeenAt.Format(time.RFC3339), first["last_seen_at"])
	attrs, ok := first["attributes"].(map[string]any)
	require.True(t, ok, "attributes stay a whole object (JSON column)")
	assert.Equal(t, users[0].Attributes["department"], attrs["department"])
	assert.Empty(t, rec.fieldsUnknownTo("whatfix_end_users"))
}

func TestSegmentsSnapshot(t *testing.T) {
	fx := newFixture(t)
	rec := mustRun(t, fx.stream(t, "segments"), days("2026-03-01", "2026-03-01"))
	rows := rec.Rows("whatfix_segments")
	require.Len(t, rows, len(fx.fake.Segments()))
	rules, ok := rows[1].Values["rules"].([]any)
	require.True(t, ok, "rules stay a whole array (JSON column)")
	assert.Len(t, rules, 2)
	assert.Empty(t, rec.fieldsUnknownTo("whatfix_segments"))
}

func TestSnapshotRefusesABodyThatIsNotAList(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.Paths.Segments = "analytics/self-help" // answers {"data":…} only with dates: a 400
	_, err := run(t, fx.stream(t, "segments"), days("2026-03-01", "2026-03-01"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "segments page 1")
	assert.Contains(t, err.Error(), "400 Bad Request")
}

func TestAuditLogsWindowEdgesAndCursor(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.AuditLogLimit = 20
	s := fx.stream(t, "audit_logs")
	w := days("2026-03-01", "2026-03-03")
	rec := mustRun(t, s, w)

	var want []string
	for _, e := range fx.fake.AuditEntries(w.Start, w.End) {
		want = append(want, e.ID)
	}
	sort.Strings(want)
	require.NotEmpty(t, want)
	assert.Equal(t, want, emittedIDs(rec, "whatfix_audit_logs", "id"), "exactly the window's entries")

	// The fake includes the whole endDate minute: the entries at 00:00:00
	// and 00:00:30 of the day after came back and were dropped.
	served := len(fx.fake.AuditEntries(w.Start, w.End.Add(time.Minute)))
	assert.Equal(t, len(want)+2, served)
	assert.Equal(t, (served+19)/20, fx.fake.Requests("auditlogs"), "followed the cursor to the end")

	startEdge := false
	for _, r := range rec.Rows("whatfix_audit_logs") {
		ts, ok := parseInstant(r.Values["timestamp"])
		require.True(t, ok)
		assert.True(t, w.Contains(ts))
		startEdge = startEdge || ts.Equal(w.Start)
		assert.IsType(t, map[string]any{}, r.Values["details"])
	}
	assert.True(t, startEdge, "the entry at exactly the window start is kept")
	log := fx.fake.RequestLog()
	assert.True(t, strings.HasPrefix(log[0], "POST /api/v1/"+fx.fake.AccountID()+"/auditlogs?limit=20"), log[0])
	assert.NotEmpty(t, mustQuery(t, log[1]).Get("cursor"))
	assert.Empty(t, rec.fieldsUnknownTo("whatfix_audit_logs"))
}

func TestAuditLogsBodyDates(t *testing.T) {
	for _, tc := range []struct {
		name       string
		w          window.Window
		start, end string
	}{
		{"whole days", days("2026-03-01", "2026-03-02"), "2026-03-01 00:00", "2026-03-03 00:00"},
		{"partial minute end is rounded up", window.New(time.Date(2026, 3, 1, 6, 0, 30, 0, time.UTC), time.Date(2026, 3, 1, 9, 15, 10, 0, time.UTC)), "2026-03-01 06:00", "2026-03-01 09:16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var bodies []string
			fx := newFixture(t, captureBodies(&bodies))
			rec := mustRun(t, fx.stream(t, "audit_logs"), tc.w)
			require.NotEmpty(t, bodies)
			assert.JSONEq(t, `{"startDate":"`+tc.start+`","endDate":"`+tc.end+`"}`, bodies[0])
			for _, r := range rec.Rows("whatfix_audit_logs") {
				ts, _ := parseInstant(r.Values["timestamp"])
				assert.True(t, tc.w.Contains(ts), "%s outside %s", ts, tc.w)
			}
		})
	}
}
