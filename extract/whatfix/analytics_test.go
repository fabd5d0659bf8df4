package whatfix

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlowAnalyticsPerDay(t *testing.T) {
	fx := newFixture(t)
	rec := mustRun(t, fx.stream(t, "flow_analytics"), days("2026-03-01", "2026-03-03"))
	rows := rec.Rows("whatfix_flow_analytics")
	assert.Equal(t, 3, fx.fake.Requests("analytics/flows"))
	perDay := map[time.Time]int{}
	for _, r := range rows {
		perDay[r.Values["report_date"].(time.Time)]++
		assert.Equal(t, fx.fake.AccountID(), r.Values["account_id"])
		for _, k := range []string{"flow_id", "flow_name", "views", "completions", "completion_rate", "avg_time_to_complete"} {
			assert.Contains(t, r.Values, k)
		}
	}
	assert.Len(t, perDay, 3)
	for d, n := range perDay {
		assert.LessOrEqual(t, n, len(fx.fake.Flows()), "at most one row per flow on %s", d)
	}
	assert.Empty(t, rec.fieldsUnknownTo("whatfix_flow_analytics"))
}

func TestEndUserEngagementPagesThroughEveryUser(t *testing.T) {
	fx := newFixture(t)
	rec := mustRun(t, fx.stream(t, "end_user_engagement"), days("2026-03-02", "2026-03-02"))
	all := rec.Rows("whatfix_end_user_engagement")
	require.NotEmpty(t, all)
	assert.Equal(t, 1, fx.fake.Requests("analytics/end-users"), "page_size 100 holds the day")

	fx.fake.ResetRequests()
	fx.cfg.PageSize = 7
	rec = mustRun(t, fx.stream(t, "end_user_engagement"), days("2026-03-02", "2026-03-02"))
	paged := rec.Rows("whatfix_end_user_engagement")
	assert.Equal(t, canonical(all), canonical(paged), "the same rows whatever the page size")
	assert.Equal(t, (len(all)+6)/7, fx.fake.Requests("analytics/end-users"), "stops at pagination.totalPages")
	log := fx.fake.RequestLog()
	assert.Contains(t, log[0], "page=1&pageSize=7")
	assert.Contains(t, log[len(log)-1], "pageSize=7")
	seen := map[string]bool{}
	for _, r := range paged {
		id := r.Values["user_id"].(string)
		assert.False(t, seen[id], "user %s twice", id)
		seen[id] = true
		assert.Contains(t, r.Values, "last_active_at", "lastActive is renamed to the table's column")
		assert.NotContains(t, r.Values, "last_active")
	}
	assert.Empty(t, rec.fieldsUnknownTo("whatfix_end_user_engagement"))
}

func TestSelfHelpAndTaskCompletion(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.PageSize = 5
	rec := mustRun(t, fx.stream(t, "self_help_analytics"), days("2026-03-01", "2026-03-02"))
	assert.NotEmpty(t, rec.Rows("whatfix_self_help_analytics"))
	assert.Equal(t, 2, fx.fake.Requests("analytics/self-help"), "not paged: one call a day")
	assert.NotContains(t, fx.fake.RequestLog()[0], "page=")
	assert.Empty(t, rec.fieldsUnknownTo("whatfix_self_help_analytics"))

	rec = mustRun(t, fx.stream(t, "task_completion"), days("2026-03-01", "2026-03-02"))
	rows := rec.Rows("whatfix_task_completion")
	require.NotEmpty(t, rows)
	assert.Greater(t, fx.fake.Requests("analytics/task-completion"), 2, "paged at 5 a page")
	for _, r := range rows {
		assert.IsType(t, json.Number(""), r.Values["completed_tasks"], "numbers are kept as the API wrote them")
	}
	assert.Empty(t, rec.fieldsUnknownTo("whatfix_task_completion"))
}

func TestAnalyticsRetryAndFailureNamesTheDayAndPage(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.PageSize = 10
	s := fx.stream(t, "end_user_engagement")
	fx.fake.Faults.FailNext(1, 502)
	mustRun(t, s, days("2026-03-01", "2026-03-01"))

	fx.fake.Faults.FailNext(100, 500)
	_, err := run(t, s, days("2026-03-01", "2026-03-01"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "end_user_engagement day 2026-03-01 page 1: GET /api/v1/")
	assert.Contains(t, err.Error(), "500 Internal Server Error after 4 attempts")
	assertNoSecret(t, fx.fake.IntegrationKey(), err.Error())
}
