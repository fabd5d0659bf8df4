package whatfixfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var now = time.Date(2026, 3, 15, 10, 30, 0, 0, time.UTC)

type client struct {
	t    *testing.T
	srv  *httptest.Server
	fake *Fake
}

func newClient(t *testing.T) *client {
	f := New(Options{Seed: 3, Now: now})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &client{t: t, srv: srv, fake: f}
}

type answer struct {
	status int
	body   string
	header http.Header
}

func (c *client) do(method, path, body string, headers map[string]string) answer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	require.NoError(c.t, err)
	req.Header.Set("x-whatfix-integration-key", c.fake.IntegrationKey())
	req.Header.Set("x-whatfix-user", c.fake.User())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return answer{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func (c *client) get(path string) answer { return c.do(http.MethodGet, path, "", nil) }

func (c *client) api(route string) string { return APIPrefix + "/" + c.fake.AccountID() + "/" + route }

// assertError checks the status and that the body is Whatfix's error shape.
func assertError(t *testing.T, a answer, status int, msg string) {
	t.Helper()
	require.Equal(t, status, a.status, a.body)
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Details string `json:"details"`
	}
	require.NoError(t, json.Unmarshal([]byte(a.body), &e), a.body)
	assert.Equal(t, status, e.Code)
	assert.Contains(t, e.Message+": "+e.Details, msg)
}

func TestAuthOnEveryCall(t *testing.T) {
	c := newClient(t)
	path := c.api("segments")
	assertError(t, c.do("GET", path, "", map[string]string{"x-whatfix-integration-key": ""}), 401, "missing integration key")
	assertError(t, c.do("GET", path, "", map[string]string{"x-whatfix-integration-key": "nope"}), 401, "invalid integration key")
	assertError(t, c.do("GET", path, "", map[string]string{"x-whatfix-user": ""}), 401, "missing user")
	assertError(t, c.do("GET", path, "", map[string]string{"x-whatfix-user": "eve@evil.example"}), 403, "user not allowed")
	assertError(t, c.get(APIPrefix+"/another-account/segments"), 403, "no access to account another-account")
	assertError(t, c.do("GET", APIPrefix+"/x/reports/nothing", "", map[string]string{"x-whatfix-integration-key": ""}), 401, "missing integration key")
	assert.Equal(t, 200, c.get(path).status)
	assert.Equal(t, 200, c.do("GET", path, "", map[string]string{"x-whatfix-user": strings.ToUpper(c.fake.User())}).status, "emails compare case-insensitively")
}

func TestRoutesAndMethods(t *testing.T) {
	c := newClient(t)
	assertError(t, c.get("/v1/accounts/"+c.fake.AccountID()+"/content"), 404, "the API lives under /api/v1")
	assertError(t, c.get(c.api("flows")), 404, "no resource at flows")
	assertError(t, c.get(c.api("auditlogs")), 405, "use POST")
	assertError(t, c.do("POST", c.api("reports/summary/usage"), `{}`, nil), 405, "use GET")
	assert.Equal(t, 1, c.fake.Requests("flows"))
	assert.Equal(t, 4, c.fake.TotalRequests())
}

func TestReportParameters(t *testing.T) {
	c := newClient(t)
	flow := c.fake.Flows()[0].ContentID
	r := c.api("reports/")
	for _, tc := range []struct {
		name, path string
		status     int
		msg        string
	}{
		{"unknown report", r + "summary/nope?startDate=2026-03-01&endDate=2026-03-01", 404, "no report summary/nope"},
		{"format", r + "summary/usage?format=xml&startDate=2026-03-01&endDate=2026-03-01", 400, "format must be csv or json"},
		{"missing start", r + "summary/usage?endDate=2026-03-01", 400, "startDate is required"},
		{"impossible date", r + "summary/usage?startDate=2026-02-30&endDate=2026-03-01", 400, `startDate="2026-02-30" is not a date`},
		{"datetime", r + "summary/usage?startDate=2026-03-01T00:00:00Z&endDate=2026-03-01", 400, "not a date"},
		{"reversed", r + "summary/usage?startDate=2026-03-02&endDate=2026-03-01", 400, "endDate 2026-03-01 is before startDate"},
		{"unknown parameter", r + "summary/usage?startDate=2026-03-01&endDate=2026-03-01&flowID=x", 400, `"flowID" is not a parameter`},
		{"empty domain", r + "summary/usage?startDate=2026-03-01&endDate=2026-03-01&includeDomains=", 400, "includeDomains has an empty item"},
		{"comma-joined domains (the documented form repeats the parameter)", r + "summary/usage?startDate=2026-03-01&endDate=2026-03-01&includeDomains=a.com,b.com", 400, "send includeDomains once per domain"},
		{"flowId required", r + "flow/history?startDate=2026-03-01&endDate=2026-03-01", 400, "flowId is required for report flow/history"},
		{"unknown flow", r + "flow/history?startDate=2026-03-01&endDate=2026-03-01&flowId=flow-nope", 404, "flow flow-nope not found"},
		{"page size", c.api("end-users?pageSize=101"), 400, "pageSize must be an integer from 1 to 100"},
		{"page", c.api("segments?page=0"), 400, "page must be an integer >= 1"},
		{"content type", c.api("content?type=flow"), 400, "type must be one of Flow"},
		{"from time", c.api("content/updated?limit=5"), 400, "fromTime is required"},
		{"updated limit", c.api("content/updated?fromTime=0&limit=101"), 400, "limit must be an integer from 1 to 100"},
		{"analytics dates", c.api("analytics/flows?startDate=2026-03-01"), 400, "endDate is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertError(t, c.get(tc.path), tc.status, tc.msg)
		})
	}
	a := c.get(r + "flow/history?startDate=2026-03-01&endDate=2026-03-01&format=csv&flowId=" + flow)
	require.Equal(t, 200, a.status, a.body)
	assert.Equal(t, "text/csv; charset=utf-8", a.header.Get("Content-Type"))
}

func TestReportFormatsCarryTheSameRows(t *testing.T) {
	c := newClient(t)
	yes := true
	c.fake.SetCSVStyle(&yes, &yes)
	path := c.api("reports/summary/mostPopularFlows?startDate=2026-03-01&endDate=2026-03-02")
	csvBody := c.get(path + "&format=csv").body
	jsonBody := c.get(path).body // json is the default
	assert.True(t, strings.HasPrefix(csvBody, "\ufeffFlow ID,Flow Name,Views,Completions,Completion Rate,Avg Time To Complete\r\n"))
	var doc struct {
		Data      []map[string]any `json:"data"`
		StartDate string           `json:"startDate"`
		EndDate   string           `json:"endDate"`
	}
	require.NoError(t, json.Unmarshal([]byte(jsonBody), &doc))
	assert.Equal(t, "2026-03-01", doc.StartDate)
	assert.Equal(t, "2026-03-02", doc.EndDate)
	assert.Len(t, doc.Data, 2*len(c.fake.Flows()), "a range holds every day's rows")
	assert.Equal(t, len(doc.Data)+1, strings.Count(csvBody, "\r\n"), "one CSV line per JSON row plus the header")
	assert.Contains(t, doc.Data[0], "flowId", "mostPopularFlows JSON follows the OpenAPI schema's keys")
	assert.Contains(t, csvBody, `"Set up ""SSO"", step by step"`)
}

func TestReportsAreDeterministic(t *testing.T) {
	a, b := newClient(t), newClient(t)
	path := "reports/taskList/completionByUser?startDate=2026-03-01&endDate=2026-03-05&format=csv"
	assert.Equal(t, a.get(a.api(path)).body, b.get(b.api(path)).body)
	c := New(Options{Seed: 4, Now: now})
	h1, r1, err := a.fake.ReportRows("taskList/completionByUser", now.Add(-48*time.Hour), "")
	require.NoError(t, err)
	h2, r2, err := c.ReportRows("taskList/completionByUser", now.Add(-48*time.Hour), "")
	require.NoError(t, err)
	assert.Equal(t, h1, h2)
	assert.NotEqual(t, r1, r2, "another seed, other data")
}

func TestNoDataOutsideHistory(t *testing.T) {
	c := newClient(t)
	for _, d := range []string{"2025-01-01", "2026-03-20"} {
		a := c.get(c.api("reports/summary/usage?startDate=" + d + "&endDate=" + d + "&format=csv"))
		require.Equal(t, 200, a.status)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(a.body), "\n")+1, "header only on %s", d)
	}
}

func TestPagination(t *testing.T) {
	c := newClient(t)
	var page struct {
		Data       []map[string]any `json:"data"`
		Pagination pagination       `json:"pagination"`
	}
	a := c.get(c.api("end-users?page=2&pageSize=40"))
	require.NoError(t, json.Unmarshal([]byte(a.body), &page))
	assert.Len(t, page.Data, 40)
	assert.Equal(t, pagination{Page: 2, PageSize: 40, TotalCount: 150, TotalPages: 4}, page.Pagination)
	a = c.get(c.api("end-users?page=5&pageSize=40"))
	require.NoError(t, json.Unmarshal([]byte(a.body), &page))
	assert.Empty(t, page.Data)
	a = c.get(c.api("end-users"))
	require.NoError(t, json.Unmarshal([]byte(a.body), &page))
	assert.Equal(t, 20, page.Pagination.PageSize, "pageSize defaults to 20")
}

func TestAuditLogs(t *testing.T) {
	c := newClient(t)
	post := func(query, body string) answer { return c.do("POST", c.api("auditlogs"+query), body, nil) }
	var res struct {
		Data   []map[string]any `json:"data"`
		Cursor *string          `json:"cursor"`
	}
	body := `{"startDate":"2026-03-01 00:00","endDate":"2026-03-02 00:00"}`
	a := post("?limit=10", body)
	require.Equal(t, 200, a.status, a.body)
	require.NoError(t, json.Unmarshal([]byte(a.body), &res))
	assert.Len(t, res.Data, 10)
	require.NotNil(t, res.Cursor)
	total := len(res.Data)
	for res.Cursor != nil {
		a = post("?limit=10&cursor="+*res.Cursor, body)
		require.Equal(t, 200, a.status, a.body)
		res.Cursor = nil
		require.NoError(t, json.Unmarshal([]byte(a.body), &res))
		total += len(res.Data)
	}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, len(c.fake.AuditEntries(start, start.Add(24*time.Hour+time.Minute))), total, "endDate's whole minute is included")

	assertError(t, post("?limit=501", body), 400, "limit must be an integer from 1 to 500")
	assertError(t, post("", `{"startDate":"2026-03-01"}`), 400, `startDate "2026-03-01" is not in YYYY-MM-DD HH:MM form`)
	assertError(t, post("", `{"from":"2026-03-01 00:00"}`), 400, "unknown field")
	assertError(t, post("?cursor=garbage!", body), 400, "not one this API issued")
	other := encodeCursor(10, "audit|2026-01-01 00:00|2026-01-02 00:00|")
	assertError(t, post("?cursor="+other, body), 400, "cursor belongs to another query")
	assertError(t, c.do("POST", c.api("auditlogs"), body, map[string]string{"Content-Type": "text/plain"}), 400, "application/json")

	a = post("", `{}`)
	require.Equal(t, 200, a.status)
	require.NoError(t, json.Unmarshal([]byte(a.body), &res))
	assert.Len(t, res.Data, 100, "limit defaults to 100; no dates means the last 90 days")
}

func TestFaultsUseTheErrorShape(t *testing.T) {
	c := newClient(t)
	c.fake.Faults.FailNext(1, 503)
	assertError(t, c.get(c.api("segments")), 503, "Service Unavailable")
	assert.Equal(t, 200, c.get(c.api("segments")).status)
}

func TestHooks(t *testing.T) {
	c := newClient(t)
	c.fake.AddReportColumn("summary/usage", "Brand New", "x")
	c.fake.SetMalformedRow("summary/usage", true)
	no := false
	c.fake.SetCSVStyle(&no, &no)
	a := c.get(c.api("reports/summary/usage?startDate=2026-03-01&endDate=2026-03-01&format=csv"))
	lines := strings.Split(strings.TrimSpace(a.body), "\n")
	require.Len(t, lines, 3)
	assert.True(t, strings.HasSuffix(lines[0], ",Brand New"))
	assert.True(t, strings.HasSuffix(lines[1], ",x"))
	assert.Equal(t, "broken,broken,broken,broken,broken,broken,broken,broken,extra field", lines[2])

	c.fake.SetContentUpdatedStatus(501)
	assertError(t, c.get(c.api("content/updated?fromTime=0")), 501, "not available")
	flow := c.fake.Flows()[0]
	require.NoError(t, c.fake.TouchContent(flow.ContentID, now, "New name"))
	assert.Equal(t, "New name", c.fake.Flows()[0].Name)
	assert.Error(t, c.fake.TouchContent("nope", now, ""))
}
