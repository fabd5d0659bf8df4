package whatfix

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/whatfix/whatfixfake"
)

func reportFixture(t *testing.T, name, format string) (*fixture, *engine.Stream) {
	t.Helper()
	fx := newFixture(t)
	fx.cfg.Reports = []ReportConfig{{Name: name, Format: format}}
	return fx, fx.stream(t, "report_"+ReportSlug(name))
}

// expectedRows is what the fake holds for the report's days (and flows),
// named and valued as the extractor must emit them.
func expectedRows(t *testing.T, fake *whatfixfake.Fake, report string, ds []time.Time) []map[string]any {
	t.Helper()
	var flows []string
	if whatfixfake.PerFlowReport(report) {
		for _, f := range fake.Flows() {
			flows = append(flows, f.ContentID)
		}
	} else {
		flows = []string{""}
	}
	var out []map[string]any
	for _, d := range ds {
		for _, flow := range flows {
			headers, rows, err := fake.ReportRows(report, d, flow)
			require.NoError(t, err)
			names := ColumnNames(headers, ReservedReportColumns(flow != "")...)
			for _, row := range rows {
				m := map[string]any{"report_date": d, "account_id": fake.AccountID()}
				if flow != "" {
					m["flow_id"] = flow
				}
				for i, v := range row {
					if v == nil {
						m[names[i]] = nil
					} else {
						m[names[i]] = *v
					}
				}
				out = append(out, m)
			}
		}
	}
	return canonical(rowsOf(out))
}

func rowsOf(ms []map[string]any) []engine.Row {
	out := make([]engine.Row, len(ms))
	for i, m := range ms {
		out[i] = engine.Row{Values: m}
	}
	return out
}

// Every report of the reference, in both formats: the same rows, exactly
// the fake's values, typed columns that all parse, nothing unknown.
func TestEveryReportCSVAndJSONGiveTheSameRows(t *testing.T) {
	w := days("2026-03-01", "2026-03-02")
	for _, name := range whatfixfake.ReportNames() {
		t.Run(name, func(t *testing.T) {
			_, known := LookupReport(name)
			require.True(t, known, "the fake serves a report extract/whatfix/reporttables.go does not declare")

			fx, csvStream := reportFixture(t, name, "csv")
			csvRec := mustRun(t, csvStream, w)
			_, jsonStream := reportFixture(t, name, "json")
			jsonRec := mustRun(t, jsonStream, w)

			table := csvStream.Tables[0].Name
			got := canonical(csvRec.Rows(table))
			require.NotEmpty(t, got, "the fake should have rows for %s on these days", name)
			assert.Equal(t, got, canonical(jsonRec.Rows(table)), "CSV and JSON rows differ")
			assert.Equal(t, expectedRows(t, fx.fake, name, []time.Time{day("2026-03-01"), day("2026-03-02")}), got)
			assert.Empty(t, csvRec.Rejects())
			assert.Empty(t, jsonRec.Rejects())
			assert.Empty(t, csvRec.Notices(), "every column the fake serves is declared")
			assert.Empty(t, jsonRec.Notices())
		})
	}
}

func TestReportRequestsOneDayAtATime(t *testing.T) {
	fx, s := reportFixture(t, "summary/mostPopularFlows", "csv")
	fx.cfg.IncludeDomains = []string{"app.acme.example", "crm.acme.example"}
	fx.cfg.ExcludeDomains = []string{"hr.acme.example"}
	s = fx.stream(t, "report_most_popular_flows")
	rec := mustRun(t, s, days("2026-03-01", "2026-03-03"))
	log := fx.fake.RequestLog()
	require.Len(t, log, 3)
	// The days are requested at once: in any order.
	sort.Slice(log, func(i, j int) bool {
		return strings.SplitN(log[i], "startDate=", 2)[1] < strings.SplitN(log[j], "startDate=", 2)[1]
	})
	for i, d := range []string{"2026-03-01", "2026-03-02", "2026-03-03"} {
		u, err := url.Parse(strings.TrimPrefix(log[i], "GET "))
		require.NoError(t, err)
		assert.Equal(t, "/api/v1/"+fx.fake.AccountID()+"/reports/summary/mostPopularFlows", u.Path)
		assert.Equal(t, url.Values{"startDate": {d}, "endDate": {d}, "format": {"csv"},
			"includeDomains": {"app.acme.example", "crm.acme.example"}, "excludeDomains": {"hr.acme.example"}}, u.Query())
	}
	all := len(expectedRows(t, fx.fake, "summary/mostPopularFlows", []time.Time{day("2026-03-01"), day("2026-03-02"), day("2026-03-03")}))
	assert.Less(t, len(rec.Rows("whatfix_report_most_popular_flows")), all, "hr.acme.example rows were filtered out")
	for _, r := range rec.Rows("whatfix_report_most_popular_flows") {
		d := r.Values["report_date"].(time.Time)
		assert.True(t, !d.Before(day("2026-03-01")) && !d.After(day("2026-03-03")), "report_date %s", d)
	}
}

func TestReportWindowWithoutAWholeDayRequestsNothing(t *testing.T) {
	fx, s := reportFixture(t, "summary/usage", "json")
	w := days("2026-03-01", "2026-03-01")
	w.Start = w.Start.Add(6 * time.Hour)
	rec := mustRun(t, s, w)
	assert.Empty(t, rec.AllRows())
	assert.Zero(t, fx.fake.TotalRequests())
}

func TestCSVQuotedNewlinesCommasQuotesAndBOM(t *testing.T) {
	yes, no := true, false
	for _, style := range []struct {
		name      string
		bom, crlf *bool
	}{{"BOM and CRLF", &yes, &yes}, {"no BOM, LF", &no, &no}} {
		t.Run(style.name, func(t *testing.T) {
			fx, s := reportFixture(t, "flowSummary/feedbackCommentsYes", "csv")
			fx.fake.SetCSVStyle(style.bom, style.crlf)
			rec := mustRun(t, s, days("2026-02-01", "2026-02-28"))
			rows := rec.Rows("whatfix_report_flow_summary_feedback_comments_yes")
			require.NotEmpty(t, rows)
			var multiline, quoted, comma bool
			for _, r := range rows {
				c, _ := r.Values["comment"].(string)
				multiline = multiline || c == "Step 3 was confusing.\nI had to restart twice."
				quoted = quoted || c == `The "Next" button hid the field`
				comma = comma || r.Values["flow_name"] == `Set up "SSO", step by step`
				assert.NotContains(t, r.Values, "\ufeffflow_name")
				assert.Contains(t, r.Values, "flow_name", "the BOM is not part of the first column's name")
			}
			assert.True(t, multiline, "a comment with a newline came through whole")
			assert.True(t, quoted, "doubled quotes are unescaped")
			assert.True(t, comma, "a quoted comma stays in its field")
			assert.Empty(t, rec.Notices())
			assert.Empty(t, rec.Rejects())
		})
	}
}

func TestCSVBodyReallyHasBOMAndQuotedNewlines(t *testing.T) {
	fx := newFixture(t)
	yes := true
	fx.fake.SetCSVStyle(&yes, &yes)
	req, err := http.NewRequest(http.MethodGet, fx.srv.URL+"/api/v1/"+fx.fake.AccountID()+"/reports/flowSummary/feedbackCommentsYes?format=csv&startDate=2026-02-01&endDate=2026-02-28", nil)
	require.NoError(t, err)
	req.Header.Set(HeaderIntegrationKey, fx.fake.IntegrationKey())
	req.Header.Set(HeaderUser, fx.fake.User())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body strings.Builder
	_, err = fmt.Fprint(&body, readAll(t, resp))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(body.String(), "\ufeffFlow Name,User Email,Comment,Submitted At\r\n"))
	assert.Contains(t, body.String(), "\"Step 3 was confusing.\nI had to restart twice.\"")
	assert.Contains(t, body.String(), `"Set up ""SSO"", step by step"`)
}

func TestPerFlowReportFansOutOverFlows(t *testing.T) {
	var inFlight, maxInFlight atomic.Int32
	slow := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/reports/") {
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for {
					m := maxInFlight.Load()
					if n <= m || maxInFlight.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(15 * time.Millisecond)
			}
			next.ServeHTTP(w, r)
		})
	}
	fx := newFixture(t, slow)
	fx.cfg.Reports = []ReportConfig{{Name: "flow/exitedSteps", Format: "csv"}}
	fx.cfg.FlowConcurrency = 3
	s := fx.stream(t, "report_flow_exited_steps")
	rec := mustRun(t, s, days("2026-03-01", "2026-03-03"))

	flows := fx.fake.Flows()
	require.Len(t, flows, 6)
	assert.Equal(t, len(flows)*3, fx.fake.Requests("reports/flow/exitedSteps"), "one request per flow and day")
	assert.Equal(t, 1, fx.fake.Requests("content"), "flows listed once")
	assert.Contains(t, fx.fake.RequestLog()[0], "type=Flow")
	assert.LessOrEqual(t, maxInFlight.Load(), int32(3), "flow_concurrency bounds the fan-out")
	assert.GreaterOrEqual(t, maxInFlight.Load(), int32(2), "flows are requested concurrently")

	require.NotEmpty(t, rec.ProgressCalls())
	assert.Equal(t, [2]int{18, 18}, rec.ProgressCalls()[len(rec.ProgressCalls())-1])
	perFlow := map[string]int{}
	for _, r := range rec.Rows("whatfix_report_flow_exited_steps") {
		perFlow[r.Values["flow_id"].(string)]++
	}
	for _, f := range flows {
		assert.Equal(t, 3*4, perFlow[f.ContentID], "4 steps a day for flow %s", f.ContentID)
	}
	for _, l := range fx.fake.RequestLog()[1:] {
		assert.Contains(t, l, "flowId=flow-")
	}
}

func TestPerFlowFailureStopsTheFanOut(t *testing.T) {
	var badFlow atomic.Value
	badFlow.Store("")
	failing := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if f := badFlow.Load().(string); f != "" && r.URL.Query().Get("flowId") == f {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"code":500,"message":"report engine down","details":""}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	fx := newFixture(t, failing)
	fx.cfg.Reports = []ReportConfig{{Name: "flow/history", Format: "json"}}
	fx.cfg.MaxRetries = 1
	fx.cfg.FlowConcurrency = 2
	s := fx.stream(t, "report_flow_history")
	bad := fx.fake.Flows()[0].ContentID
	badFlow.Store(bad)
	_, err := run(t, s, days("2026-03-01", "2026-03-10"))
	require.Error(t, err)
	// Two workers: the bad flow's request for a later day can fail first
	// (retry backoff has jitter), so any day of the window may be named.
	assert.Regexp(t, `report flow/history day 2026-03-(0[1-9]|10) flow `+regexp.QuoteMeta(bad)+`: GET `, err.Error())
	assert.Contains(t, err.Error(), "500 Internal Server Error")
	assert.Contains(t, err.Error(), "report engine down")
	assert.Less(t, fx.fake.Requests("reports/flow/history"), 60, "the rest of the fan-out was cancelled")
}

func TestUnknownColumnIsEmittedAndNoticedOnce(t *testing.T) {
	for _, format := range []string{"csv", "json"} {
		t.Run(format, func(t *testing.T) {
			fx, s := reportFixture(t, "summary/mostPopularFlows", format)
			fx.fake.AddReportColumn("summary/mostPopularFlows", "Unique Viewers (%)", "12.5")
			rec := mustRun(t, s, days("2026-03-01", "2026-03-02"))
			rows := rec.Rows("whatfix_report_most_popular_flows")
			require.NotEmpty(t, rows)
			for _, r := range rows {
				assert.Equal(t, "12.5", r.Values["unique_viewers_pct"])
			}
			require.Len(t, rec.Notices(), 1, "one notice for the run, not one per day")
			assert.Equal(t, "whatfix report summary/mostPopularFlows: unknown columns [unique_viewers_pct] kept in _extra; declare them in extract/whatfix/reporttables.go to promote them", rec.Notices()[0])

			// A second window of the same run does not repeat it.
			rec2 := mustRun(t, s, days("2026-03-03", "2026-03-03"))
			assert.Empty(t, rec2.Notices())

			// The transform puts it in _extra.
			b := rec.batchers["whatfix_report_most_popular_flows"]
			assert.Equal(t, []string{"unique_viewers_pct"}, b.UnknownNames())
			recd := b.Flush()
			defer recd.Release()
			extra := recd.Column(s.Tables[0].Index("_extra"))
			assert.Contains(t, extra.ValueStr(0), `"unique_viewers_pct":"12.5"`)
		})
	}
}

func TestMalformedCSVRowIsRejectedAndNeighboursLoad(t *testing.T) {
	fx, s := reportFixture(t, "summary/mostPopularFlows", "csv")
	fx.fake.SetMalformedRow("summary/mostPopularFlows", true)
	rec := mustRun(t, s, days("2026-03-01", "2026-03-01"))
	require.Len(t, rec.Rejects(), 1)
	rj := rec.Rejects()[0]
	assert.Equal(t, "whatfix_report_most_popular_flows", rj.Table)
	assert.Equal(t, "line 3: expected 6 fields, got 7", rj.Reason)
	assert.Equal(t, "broken,broken,broken,broken,broken,broken,extra field", rj.Row.Raw)
	assert.Equal(t, "report summary/mostPopularFlows day 2026-03-01 line 3", rj.Row.Where)
	assert.Equal(t, day("2026-03-01"), rj.Row.Values[ReportDate], "the reject carries the day the line was requested for")
	assert.Len(t, rec.Rows("whatfix_report_most_popular_flows"), len(fx.fake.Flows()), "every good row still loads")
}

func TestUnknownReportIs404WithAHint(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.Reports = []ReportConfig{{Name: "summary/notAReport", Format: "csv"}}
	s := fx.stream(t, "report_not_a_report")
	assert.Equal(t, "whatfix_report_not_a_report", s.Tables[0].Name)
	_, err := run(t, s, days("2026-03-01", "2026-03-01"))
	require.Error(t, err)
	// The path as pipelines.yaml makes it (path_prefix + path), then the
	// request as sent.
	assert.Contains(t, err.Error(), "report summary/notAReport day 2026-03-01: report summary/notAReport not found (404) at "+fx.cfg.BaseURL+"/"+fx.fake.AccountID()+"/reports/summary/notAReport: wrong path or layout? check the report's path")
	assert.Contains(t, err.Error(), "GET /api/v1/")
	assert.Equal(t, 1, fx.fake.TotalRequests(), "a 404 is not retried")
	assertNoSecret(t, fx.fake.IntegrationKey(), err.Error())
}

func TestUndeclaredReportKeepsEverythingInExtra(t *testing.T) {
	fx := newFixture(t)
	// A report the vendor serves under a new name: point it at a known path.
	fx.cfg.Reports = []ReportConfig{{Name: "summary/newThing", Path: "reports/beacon/effectiveness", Format: "csv",
		Columns: map[string]string{"beacon_name": "string", "users_shown": "int64"}}}
	s := fx.stream(t, "report_new_thing")
	tb := s.Tables[0]
	c, ok := tb.Column("users_shown")
	require.True(t, ok)
	assert.Equal(t, "int64", c.Type.String())
	rec := mustRun(t, s, days("2026-03-01", "2026-03-01"))
	require.NotEmpty(t, rec.Rows(tb.Name))
	require.Len(t, rec.Notices(), 1)
	assert.Contains(t, rec.Notices()[0], "unknown columns [users_clicked, click_rate_pct] kept in _extra; declare them under columns: of this report in pipelines.yaml")
}

func TestReportRetriesThrottlingAndServerErrors(t *testing.T) {
	fx, s := reportFixture(t, "summary/engagement", "csv")
	clean := mustRun(t, s, days("2026-03-01", "2026-03-02"))

	fx.fake.ResetRequests()
	fx.fake.Faults.FailNext(2, http.StatusTooManyRequests)
	rec := mustRun(t, s, days("2026-03-01", "2026-03-02"))
	assert.Equal(t, canonical(clean.Rows("whatfix_report_engagement")), canonical(rec.Rows("whatfix_report_engagement")))
	assert.Equal(t, 4, fx.fake.TotalRequests(), "two 429s retried, then two days")

	for _, status := range []int{500, 502, 503, 504} {
		fx.fake.ResetRequests()
		fx.fake.Faults.FailNext(1, status)
		rec := mustRun(t, s, days("2026-03-01", "2026-03-02"))
		assert.Equal(t, canonical(clean.Rows("whatfix_report_engagement")), canonical(rec.Rows("whatfix_report_engagement")), "status %d", status)
		assert.Equal(t, 3, fx.fake.TotalRequests(), "status %d retried once", status)
	}

	fx.fake.ResetRequests()
	fx.fake.Faults.SetRates(0, 0, 1, 0) // every body cut in half
	_, err := run(t, s, days("2026-03-01", "2026-03-01"))
	fx.fake.Faults.SetRates(0, 0, 0, 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "report summary/engagement day 2026-03-01")
	assert.Equal(t, 4, fx.fake.TotalRequests(), "truncated downloads are retried max_retries times")
	assertNoSecret(t, fx.fake.IntegrationKey(), err.Error())
}

func TestReportGivesUpAfterMaxRetries(t *testing.T) {
	fx, s := reportFixture(t, "summary/usage", "json")
	fx.fake.Faults.FailNext(10, http.StatusServiceUnavailable)
	_, err := run(t, s, days("2026-03-01", "2026-03-01"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "report summary/usage day 2026-03-01")
	assert.Contains(t, err.Error(), "503")
	assert.Equal(t, 4, fx.fake.TotalRequests())
	assertNoSecret(t, fx.fake.IntegrationKey(), err.Error())
}

func TestReportCancelled(t *testing.T) {
	_, s := reportFixture(t, "flow/usageByDay", "csv")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Extract(ctx, days("2026-03-01", "2026-03-05"), newRecorder(s, days("2026-03-01", "2026-03-05")))
	require.ErrorIs(t, err, context.Canceled)
}
