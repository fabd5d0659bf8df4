package whatfixfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// badRequest is a parameter the API refuses with 400.
type badRequest struct{ msg, details string }

func (e *badRequest) Error() string { return e.msg + ": " + e.details }

func bad(msg, format string, args ...any) *badRequest {
	return &badRequest{msg: msg, details: fmt.Sprintf(format, args...)}
}

func checkParams(q url.Values, allowed ...string) *badRequest {
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for k := range q {
		if !ok[k] {
			return bad("unknown parameter", "%q is not a parameter of this endpoint (allowed: %s)", k, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// dateRange reads startDate and endDate (YYYY-MM-DD, endDate inclusive).
// The reference marks them optional; this fake requires them, since the
// project always sends them and a missing one is a client bug.
// analyticsQuery checks an analytics call's parameters and its date range,
// answering the 400 itself; ok is false when it did.
func (f *Fake) analyticsQuery(w http.ResponseWriter, q url.Values, allowed ...string) (start, end time.Time, ok bool) {
	if e := checkParams(q, allowed...); e != nil {
		writeError(w, http.StatusBadRequest, e.msg, e.details)
		return start, end, false
	}
	start, end, e := dateRange(q)
	if e != nil {
		writeError(w, http.StatusBadRequest, e.msg, e.details)
		return start, end, false
	}
	if f.opts.Variant.ExclusiveEndDate {
		// [startDate, endDate): the last day served is the one before
		// endDate; daysIn of an inverted range is empty.
		end = end.AddDate(0, 0, -1)
	}
	return start, end, true
}

func dateRange(q url.Values) (time.Time, time.Time, *badRequest) {
	parse := func(name string) (time.Time, *badRequest) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, bad("missing parameter", "%s is required (YYYY-MM-DD)", name)
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return time.Time{}, bad("invalid date", "%s=%q is not a date in YYYY-MM-DD form", name, v)
		}
		return t, nil
	}
	start, e := parse("startDate")
	if e != nil {
		return start, start, e
	}
	end, e := parse("endDate")
	if e != nil {
		return start, end, e
	}
	if end.Before(start) {
		return start, end, bad("invalid date range", "endDate %s is before startDate %s", q.Get("endDate"), q.Get("startDate"))
	}
	return start, end, nil
}

// listParam reads an array parameter, sent repeated.
func listParam(q url.Values, name string) (map[string]bool, *badRequest) {
	var out map[string]bool
	for _, v := range q[name] {
		// An array of strings in the query is one parameter per item (the
		// OpenAPI default, form/explode); a comma is not a separator.
		for _, item := range []string{v} {
			item = strings.TrimSpace(item)
			if item == "" {
				return nil, bad("invalid parameter", "%s has an empty item", name)
			}
			if strings.Contains(item, ",") {
				return nil, bad("invalid parameter", "%s=%q is not a domain: send %s once per domain", name, item, name)
			}
			if out == nil {
				out = map[string]bool{}
			}
			out[item] = true
		}
	}
	return out, nil
}

func (f *Fake) serveReport(w http.ResponseWriter, r *http.Request, name string) {
	def, ok := lookupReport(name)
	if !ok {
		writeError(w, http.StatusNotFound, "report not found", "no report "+name)
		return
	}
	q := r.URL.Query()
	if e := checkParams(q, "format", "startDate", "endDate", "includeDomains", "excludeDomains", "flowId"); e != nil {
		writeError(w, http.StatusBadRequest, e.msg, e.details)
		return
	}
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		writeError(w, http.StatusBadRequest, "invalid format", "format must be csv or json, not "+strconv.Quote(format))
		return
	}
	start, end, e := dateRange(q)
	if e != nil {
		writeError(w, http.StatusBadRequest, e.msg, e.details)
		return
	}
	include, e := listParam(q, "includeDomains")
	if e == nil {
		var exclude map[string]bool
		exclude, e = listParam(q, "excludeDomains")
		if e == nil {
			f.writeReport(w, def, format, start, end, q.Get("flowId"), include, exclude)
			return
		}
	}
	writeError(w, http.StatusBadRequest, e.msg, e.details)
}

func (f *Fake) writeReport(w http.ResponseWriter, def reportDef, format string, start, end time.Time, flowID string, include, exclude map[string]bool) {
	if def.perFlow && flowID == "" {
		writeError(w, http.StatusBadRequest, "missing parameter", "flowId is required for report "+def.name)
		return
	}
	flow, err := f.flowFor(def, flowID)
	if err != nil {
		writeError(w, http.StatusNotFound, "flow not found", err.Error())
		return
	}
	cols := f.columnsOf(def)
	var rows []reportRow
	for _, row := range f.rowsBetween(def, cols, start, end, flow) {
		if (include == nil || include[row.domain]) && !exclude[row.domain] {
			rows = append(rows, row)
		}
	}
	var b bytes.Buffer
	if format == "csv" {
		writeCSV(&b, f.csvStyleFor(def.name, start.Format(time.DateOnly), flowID), cols, rows, f.isMalformed(def.name))
		w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(def.name, "/", "-")+`.csv"`)
		writeBody(w, "text/csv; charset=utf-8", b.Bytes())
		return
	}
	writeReportJSON(&b, cols, rows, start, end)
	writeBody(w, "application/json", b.Bytes())
}

// pageParams reads page (1-based) and pageSize (1..100, default 20).
func pageParams(q url.Values) (int, int, *badRequest) {
	page, size := 1, 20
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, bad("invalid page", "page must be an integer >= 1, not %q", v)
		}
		page = n
	}
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return 0, 0, bad("invalid pageSize", "pageSize must be an integer from 1 to 100, not %q", v)
		}
		size = n
	}
	return page, size, nil
}

type pagination struct {
	Page       int `json:"page"`
	PageSize   int `json:"pageSize"`
	TotalCount int `json:"totalCount"`
	TotalPages int `json:"totalPages"`
}

func writePage[T any](w http.ResponseWriter, q url.Values, items []T) {
	page, size, e := pageParams(q)
	if e != nil {
		writeError(w, http.StatusBadRequest, e.msg, e.details)
		return
	}
	from := min((page-1)*size, len(items))
	to := min(from+size, len(items))
	writeJSON(w, map[string]any{
		"data":       append([]T{}, items[from:to]...),
		"pagination": pagination{Page: page, PageSize: size, TotalCount: len(items), TotalPages: (len(items) + size - 1) / size},
	})
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// daysIn is the days of [start, end] that hold data.
func (f *Fake) daysIn(start, end time.Time) []time.Time {
	oldest, newest := floorDay(f.opts.Now.Add(-History)), floorDay(f.opts.Now)
	var out []time.Time
	for d := start; !d.After(end); d = d.Add(24 * time.Hour) {
		if !d.Before(oldest) && !d.After(newest) {
			out = append(out, d)
		}
	}
	return out
}

func (f *Fake) serveFlowAnalytics(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, end, ok := f.analyticsQuery(w, q, "startDate", "endDate")
	if !ok {
		return
	}
	days := f.daysIn(start, end)
	data := []map[string]any{}
	for _, fl := range f.data.flows() {
		views, completions, seconds := 0, 0, 0.0
		for _, d := range days {
			g := rng(f.opts.Seed, "flow-analytics", fl.ContentID, d.Format(time.DateOnly))
			v := g.Intn(300)
			c := g.Intn(v + 1)
			views, completions = views+v, completions+c
			seconds += float64(c) * (20 + g.Float64()*400)
		}
		if views == 0 {
			continue
		}
		row := map[string]any{"flowId": fl.ContentID, "flowName": fl.Name, "views": views, "completions": completions,
			"completionRate": round1(float64(completions) / float64(views) * 100)}
		if completions > 0 {
			row["avgTimeToComplete"] = round1(seconds / float64(completions))
		} else {
			row["avgTimeToComplete"] = nil
		}
		data = append(data, row)
	}
	writeJSON(w, map[string]any{"data": data, "startDate": start.Format(time.DateOnly), "endDate": end.Format(time.DateOnly)})
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }

func (f *Fake) serveEndUserEngagement(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, end, ok := f.analyticsQuery(w, q, "startDate", "endDate", "page", "pageSize")
	if !ok {
		return
	}
	days := f.daysIn(start, end)
	var items []map[string]any
	for _, u := range f.data.users {
		viewed, completed := 0, 0
		var last time.Time
		for _, d := range days {
			g := rng(f.opts.Seed, "engagement", u.UserID, d.Format(time.DateOnly))
			if g.Float64() >= 0.3 {
				continue
			}
			viewed += 1 + g.Intn(20)
			completed += g.Intn(5)
			last = d.Add(time.Duration(g.Intn(86400)) * time.Second)
		}
		if viewed == 0 {
			continue
		}
		items = append(items, map[string]any{"userId": u.UserID, "email": u.Email, "contentViewed": viewed, "flowsCompleted": completed, "lastActive": ts(last)})
	}
	writePage(w, q, items)
}

func (f *Fake) serveSelfHelp(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, end, ok := f.analyticsQuery(w, q, "startDate", "endDate")
	if !ok {
		return
	}
	days := f.daysIn(start, end)
	data := []map[string]any{}
	for _, c := range f.data.content {
		if c.Type != "Article" && c.Type != "Video" && c.Type != "Flow" {
			continue
		}
		views := 0
		for _, d := range days {
			views += rng(f.opts.Seed, "self-help", c.ContentID, d.Format(time.DateOnly)).Intn(40)
		}
		if views > 0 {
			data = append(data, map[string]any{"contentId": c.ContentID, "contentName": c.Name, "contentType": c.Type, "views": views})
		}
	}
	writeJSON(w, map[string]any{"data": data})
}

func (f *Fake) serveTaskCompletion(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, end, ok := f.analyticsQuery(w, q, "startDate", "endDate", "page", "pageSize")
	if !ok {
		return
	}
	days := f.daysIn(start, end)
	lists := f.data.contentOf("TaskList")
	var items []map[string]any
	for _, u := range f.data.users {
		for _, tl := range lists {
			var row map[string]any
			for _, d := range days {
				g := rng(f.opts.Seed, "task-completion", u.UserID, tl.ContentID, d.Format(time.DateOnly))
				if g.Float64() >= 0.08 {
					continue
				}
				total := 3 + g.Intn(8)
				done := g.Intn(total + 1)
				row = map[string]any{"userId": u.UserID, "userEmail": u.Email, "taskListId": tl.ContentID, "taskListName": tl.Name,
					"completedTasks": done, "totalTasks": total, "completionRate": round1(float64(done) / float64(total) * 100),
					"lastActivityAt": ts(d.Add(time.Duration(g.Intn(86400)) * time.Second))}
			}
			if row != nil {
				items = append(items, row)
			}
		}
	}
	writePage(w, q, items)
}

func contentJSON(c Content) map[string]any {
	return map[string]any{"contentId": c.ContentID, "name": c.Name, "type": c.Type, "status": c.Status,
		"targetUrl": c.TargetURL, "createdAt": ts(c.CreatedAt), "modifiedAt": ts(c.ModifiedAt), "viewCount": c.ViewCount}
}

var contentTypes = []string{"Flow", "Tooltip", "TaskList", "SmartTip", "Beacon", "Popup", "Survey", "Article", "Video"}

func (f *Fake) serveContent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := checkParams(q, "page", "pageSize", "type", "status"); e != nil {
		writeError(w, http.StatusBadRequest, e.msg, e.details)
		return
	}
	typ, status := q.Get("type"), q.Get("status")
	if typ != "" && !contains(contentTypes, typ) {
		writeError(w, http.StatusBadRequest, "invalid type", fmt.Sprintf("type must be one of %s", strings.Join(contentTypes, ", ")))
		return
	}
	if status != "" && !contains([]string{"Draft", "Published", "Archived"}, status) {
		writeError(w, http.StatusBadRequest, "invalid status", "status must be Draft, Published or Archived")
		return
	}
	var items []map[string]any
	for _, c := range f.data.content {
		if (typ == "" || c.Type == typ) && (status == "" || c.Status == status) {
			items = append(items, contentJSON(c))
		}
	}
	writePage(w, q, items)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// cursor is an opaque position in one query's results; a cursor from another
// query is refused rather than silently misread.
func encodeCursor(offset int, query string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset) + "|" + query))
}

func decodeCursor(c, query string) (int, *badRequest) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, bad("invalid cursor", "cursor %q is not one this API issued", c)
	}
	off, q, ok := strings.Cut(string(raw), "|")
	n, err := strconv.Atoi(off)
	if !ok || err != nil || n < 0 {
		return 0, bad("invalid cursor", "cursor %q is not one this API issued", c)
	}
	if q != query {
		return 0, bad("invalid cursor", "cursor belongs to another query")
	}
	return n, nil
}

func limitParam(q url.Values, def, maximum int) (int, *badRequest) {
	v := q.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maximum {
		return 0, bad("invalid limit", "limit must be an integer from 1 to %d, not %q", maximum, v)
	}
	return n, nil
}

// serveContentUpdated is the v1 reference's "content updated after
// fromTime": content whose modifiedAt is after fromTime (epoch ms), oldest
// first, cursor pagination (limit default 10; this fake caps it at 100).
func (f *Fake) serveContentUpdated(w http.ResponseWriter, r *http.Request) {
	f.stateMu.Lock()
	status := f.contentUpdatedStatus
	f.stateMu.Unlock()
	if status != 0 {
		writeError(w, status, http.StatusText(status), "content/updated is not available on this deployment")
		return
	}
	q := r.URL.Query()
	if e := checkParams(q, "fromTime", "limit", "cursor", "type"); e != nil {
		writeError(w, http.StatusBadRequest, e.msg, e.details)
		return
	}
	from, err := strconv.ParseInt(q.Get("fromTime"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid fromTime", "fromTime is required: epoch milliseconds")
		return
	}
	limit, e := limitParam(q, 10, 100)
	if e != nil {
		writeError(w, http.StatusBadRequest, e.msg, e.details)
		return
	}
	typ := q.Get("type")
	var items []Content
	for _, c := range f.data.content {
		if c.ModifiedAt.UnixMilli() > from && (typ == "" || strings.EqualFold(c.Type, typ)) {
			items = append(items, c)
		}
	}
	sort.Slice(items, func(i, j int) bool {
		if c := items[i].ModifiedAt.Compare(items[j].ModifiedAt); c != 0 {
			return c < 0
		}
		return items[i].ContentID < items[j].ContentID
	})
	query := "content-updated|" + strconv.FormatInt(from, 10) + "|" + strings.ToLower(typ)
	off := 0
	if c := q.Get("cursor"); c != "" {
		if off, e = decodeCursor(c, query); e != nil {
			writeError(w, http.StatusBadRequest, e.msg, e.details)
			return
		}
	}
	off = min(off, len(items))
	to := min(off+limit, len(items))
	data := make([]map[string]any, 0, to-off)
	for _, c := range items[off:to] {
		if f.opts.Variant.V1ContentItems {
			data = append(data, contentV1JSON(c))
			continue
		}
		data = append(data, contentJSON(c))
	}
	var next any
	if to < len(items) {
		next = encodeCursor(to, query)
	}
	writeJSON(w, map[string]any{"data": data, f.cursorKey(): next})
}

func (f *Fake) serveEndUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := checkParams(q, "page", "pageSize"); e != nil {
		writeError(w, http.StatusBadRequest, e.msg, e.details)
		return
	}
	items := make([]map[string]any, 0, len(f.data.users))
	for _, u := range f.data.users {
		items = append(items, map[string]any{"userId": u.UserID, "email": u.Email, "name": u.Name, "attributes": u.Attributes,
			"createdAt": ts(u.CreatedAt), "lastSeenAt": ts(u.LastSeenAt)})
	}
	writePage(w, q, items)
}

func (f *Fake) serveSegments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := checkParams(q, "page", "pageSize"); e != nil {
		writeError(w, http.StatusBadRequest, e.msg, e.details)
		return
	}
	items := make([]map[string]any, 0, len(f.data.segments))
	for _, s := range f.data.segments {
		items = append(items, map[string]any{"segmentId": s.SegmentID, "name": s.Name, "description": s.Description, "userCount": s.UserCount, "rules": s.Rules})
	}
	writePage(w, q, items)
}

// AuditDateLayout is the audit-log body's date format (UTC, minutes).
const AuditDateLayout = "2006-01-02 15:04"

// serveAuditLogs is POST /auditlogs. endDate names a minute and the whole
// minute is included, which is the reading that returns the most: a client
// must drop what lies past its own window end.
func (f *Fake) serveAuditLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := checkParams(q, "limit", "cursor"); e != nil {
		writeError(w, http.StatusBadRequest, e.msg, e.details)
		return
	}
	limit, e := limitParam(q, 100, 500)
	if e != nil {
		writeError(w, http.StatusBadRequest, e.msg, e.details)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusBadRequest, "invalid content type", "send the request body as application/json")
		return
	}
	var body struct {
		StartDate string `json:"startDate"`
		EndDate   string `json:"endDate"`
		UserID    string `json:"userId"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid request body", err.Error())
		return
	}
	parse := func(name, v string) (time.Time, bool) {
		t, err := time.Parse(AuditDateLayout, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid "+name, fmt.Sprintf("%s %q is not in YYYY-MM-DD HH:MM form", name, v))
			return t, false
		}
		return t, true
	}
	var start, end time.Time
	var ok bool
	switch {
	case body.StartDate == "" && body.EndDate == "":
		end = f.opts.Now
		start = end.Add(-90 * 24 * time.Hour)
	case body.EndDate == "":
		if start, ok = parse("startDate", body.StartDate); !ok {
			return
		}
		end = floorDay(f.opts.Now) // till yesterday midnight
	case body.StartDate == "":
		if end, ok = parse("endDate", body.EndDate); !ok {
			return
		}
		end = end.Add(time.Minute)
		start = end.Add(-90 * 24 * time.Hour)
	default:
		if start, ok = parse("startDate", body.StartDate); !ok {
			return
		}
		if end, ok = parse("endDate", body.EndDate); !ok {
			return
		}
		if end.Before(start) {
			writeError(w, http.StatusBadRequest, "invalid date range", "endDate is before startDate")
			return
		}
		end = end.Add(time.Minute)
	}
	var items []AuditEntry
	for _, a := range f.data.audit {
		if !a.Timestamp.Before(start) && a.Timestamp.Before(end) && (body.UserID == "" || a.UserID == body.UserID) {
			items = append(items, a)
		}
	}
	query := "audit|" + body.StartDate + "|" + body.EndDate + "|" + body.UserID
	off := 0
	if c := q.Get("cursor"); c != "" {
		if off, e = decodeCursor(c, query); e != nil {
			writeError(w, http.StatusBadRequest, e.msg, e.details)
			return
		}
	}
	off = min(off, len(items))
	to := min(off+limit, len(items))
	data := make([]map[string]any, 0, to-off)
	for _, a := range items[off:to] {
		data = append(data, map[string]any{"id": a.ID, "userId": a.UserID, "userEmail": a.UserEmail, "action": a.Action,
			"entityType": a.EntityType, "entityId": a.EntityID, "timestamp": a.Timestamp.UnixMilli(), "details": a.Details})
	}
	var next any
	if to < len(items) {
		next = encodeCursor(to, query)
	}
	writeJSON(w, map[string]any{"data": data, f.cursorKey(): next})
}

// cursorKey is the response key of the next cursor.
func (f *Fake) cursorKey() string {
	if k := f.opts.Variant.CursorKey; k != "" {
		return k
	}
	return "cursor"
}

// contentV1JSON is a content item as the v1 reference's Content schema
// shows it: id, title, type, url, tags; no status, no times.
func contentV1JSON(c Content) map[string]any {
	return map[string]any{"id": c.ContentID, "title": c.Name, "type": strings.ToLower(c.Type), "url": c.TargetURL, "tags": []string{}}
}
