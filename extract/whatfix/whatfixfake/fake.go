// Package whatfixfake is an in-process Whatfix REST API for tests and
// `etl demo`, as strict as the references and our assumptions: every call needs
// x-whatfix-integration-key (401) and x-whatfix-user (403 for anyone but the
// key's user), the account in the path must be the key's (403), unknown
// reports and routes are 404 and wrong methods 405, parameters are validated
// (dates YYYY-MM-DD, format csv|json, flowId on per-flow reports,
// pageSize 1..100, audit-log limit 1..500, opaque cursors) with 400, all with
// Whatfix's {code, message, details} error body. It serves every report of
// the reference in CSV (byte-order mark on some, CRLF on some, RFC 4180
// quoting) and JSON with the same rows. Data is generated from a seed
// relative to Options.Now, so runs are reproducible.
package whatfixfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/extract/sandbox"
)

// Demo credentials the fake accepts unless Options say otherwise.
const (
	DemoAccountID      = "acme-demo-7f3c"
	DemoIntegrationKey = "wfx-ik-sandbox-3c1e9a7b54d2"
	DemoUser           = "etl-demo@acme.example"
)

// APIPrefix is where the fake serves, as https://whatfix.com/api/v1 does.
const APIPrefix = "/api/v1"

// Options configures a fake.
type Options struct {
	Seed int64
	// Now anchors the data: History of reports, content and audit logs up
	// to Now. Zero: time.Now.
	Now time.Time
	// Scale multiplies flows (6), end users (150) and audit entries (~20 a
	// day). Zero means 1.
	Scale float64
	// AccountID, IntegrationKey and User are what the fake accepts; empty
	// means the Demo values.
	AccountID      string
	IntegrationKey string
	User           string
	// Variant serves another plausible reading of what the references
	// leave open, as the real API might (see Variant).
	Variant Variant
}

// Variant is the other reading of each undocumented detail; the zero value
// is the reading the project assumes (docs/guesses.md).
type Variant struct {
	// CursorKey renames the next-page key of audit logs and content-updated
	// (default "cursor"); the cursor is still sent back as ?cursor=.
	CursorKey string
	// ExclusiveEndDate makes the analytics endpoints read endDate as
	// exclusive: startDate = endDate is an empty range.
	ExclusiveEndDate bool
	// V1Layout serves audit logs and content-updated only under the v1
	// reference's layout, /v1/accounts/{accountId}/…; under the OpenAPI
	// prefix they answer 403, as a gateway that does not route them would.
	V1Layout bool
	// V1ContentItems shapes content-updated items as the v1 reference's
	// Content (id, title, type, url, tags): no contentId, no times.
	V1ContentItems bool
}

// Variants names each Variant for sandboxes and tests.
var Variants = map[string]Variant{
	"cursor-key":         {CursorKey: "nextCursor"},
	"exclusive-end-date": {ExclusiveEndDate: true},
	"v1-layout":          {V1Layout: true},
	"v1-content-items":   {V1ContentItems: true},
}

// V1Prefix is where the v1 reference's layout lives on the fake's host
// (https://api.whatfix.com/v1 there); paths under it are /accounts/{accountId}/….
const V1Prefix = "/v1"

// Fake is the Whatfix API. Use it as an http.Handler. It counts requests
// by route, the path after /api/v1/{accountId}/ (e.g.
// Requests("reports/summary/mostPopularFlows"), Requests("auditlogs")).
type Fake struct {
	*sandbox.API

	opts Options

	mu   sync.RWMutex
	data *dataset

	stateMu              sync.Mutex
	extraColumns         map[string][]column
	malformed            map[string]bool
	forceBOM, forceCRLF  *bool
	contentUpdatedStatus int
}

// New builds a fake with deterministic data.
func New(opts Options) *Fake {
	opts.Now = sandbox.Anchor(opts.Now, time.Second)
	if opts.Scale <= 0 {
		opts.Scale = 1
	}
	if opts.AccountID == "" {
		opts.AccountID = DemoAccountID
	}
	if opts.IntegrationKey == "" {
		opts.IntegrationKey = DemoIntegrationKey
	}
	if opts.User == "" {
		opts.User = DemoUser
	}
	f := &Fake{
		opts:         opts,
		data:         generate(opts.Seed, opts.Now, opts.Scale),
		extraColumns: map[string][]column{},
		malformed:    map[string]bool{},
	}
	f.API = sandbox.NewAPI(opts.Seed, f.serveAPI, func(status int, msg string) []byte {
		return errorBody(status, msg, "")
	}, func(r *http.Request) string { return routeOf(r.URL.Path) })
	return f
}

// routeOf is the path after /api/v1/{accountId}/ (or /v1/accounts/{accountId}/).
func routeOf(path string) string {
	rest, ok := strings.CutPrefix(path, APIPrefix+"/")
	if !ok {
		rest, ok = strings.CutPrefix(path, V1Prefix+"/accounts/")
	}
	if !ok {
		return path
	}
	if _, after, ok := strings.Cut(rest, "/"); ok {
		return after
	}
	return ""
}

// Now is the instant the data was generated up to.
func (f *Fake) Now() time.Time { return f.opts.Now }

// AccountID, IntegrationKey and User are the credentials the fake accepts.
func (f *Fake) AccountID() string      { return f.opts.AccountID }
func (f *Fake) IntegrationKey() string { return f.opts.IntegrationKey }
func (f *Fake) User() string           { return f.opts.User }

// AddReportColumn appends a column the vendor "just added" to a report: it
// appears in both formats with the same value on every row.
func (f *Fake) AddReportColumn(report, header, value string) {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	f.extraColumns[report] = append(f.extraColumns[report], column{header: header, kind: kLiteral, literal: value})
}

// SetMalformedRow makes the report's CSV carry, after its first data row, a
// row with one field too many (all fields "broken" plus "extra field").
func (f *Fake) SetMalformedRow(report string, on bool) {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	f.malformed[report] = on
}

// SetCSVStyle forces a byte-order mark and CRLF line ends on or off; nil
// leaves the choice to the fake (it varies by report and day).
func (f *Fake) SetCSVStyle(bom, crlf *bool) {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	f.forceBOM, f.forceCRLF = bom, crlf
}

// SetContentUpdatedStatus makes the content-updated-after endpoint answer
// status (404 or 501, as on a deployment without it); 0 restores it.
func (f *Fake) SetContentUpdatedStatus(status int) {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	f.contentUpdatedStatus = status
}

// TouchContent sets a content item's modifiedAt (and renames it when name is
// not empty), as an edit in the Whatfix editor would.
func (f *Fake) TouchContent(contentID string, at time.Time, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.data.content {
		if f.data.content[i].ContentID == contentID {
			f.data.content[i].ModifiedAt = at.UTC().Truncate(time.Second)
			if name != "" {
				f.data.content[i].Name = name
			}
			return nil
		}
	}
	return fmt.Errorf("whatfixfake: no content %q", contentID)
}

// Content returns a copy of every content item.
func (f *Fake) Content() []Content {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append([]Content(nil), f.data.content...)
}

// Flows returns the content items of type Flow.
func (f *Fake) Flows() []Content {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.data.flows()
}

// EndUsers returns a copy of every end user.
func (f *Fake) EndUsers() []EndUser {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append([]EndUser(nil), f.data.users...)
}

// Segments returns a copy of every segment.
func (f *Fake) Segments() []Segment {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append([]Segment(nil), f.data.segments...)
}

// AuditEntries returns the entries whose timestamp lies in [start, end).
func (f *Fake) AuditEntries(start, end time.Time) []AuditEntry {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []AuditEntry
	for _, e := range f.data.audit {
		if !e.Timestamp.Before(start) && e.Timestamp.Before(end) {
			out = append(out, e)
		}
	}
	return out
}

// ReportNames lists every report the fake serves.
func ReportNames() []string {
	out := make([]string, len(catalog))
	for i, r := range catalog {
		out[i] = r.name
	}
	return out
}

// PerFlowReport reports whether the named report needs flowId.
func PerFlowReport(name string) bool {
	r, _ := lookupReport(name)
	return r.perFlow
}

// ReportRows returns the CSV header and the rows of one report for one day
// (flowID for per-flow reports, "" otherwise), every domain included; a nil
// value is an empty cell (null in JSON).
func (f *Fake) ReportRows(report string, day time.Time, flowID string) ([]string, [][]*string, error) {
	def, ok := lookupReport(report)
	if !ok {
		return nil, nil, fmt.Errorf("whatfixfake: no report %q", report)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	flow, err := f.flowFor(def, flowID)
	if err != nil {
		return nil, nil, err
	}
	cols := f.columnsOf(def)
	headers := make([]string, len(cols))
	for i, c := range cols {
		headers[i] = c.header
	}
	var out [][]*string
	for _, row := range f.rowsBetween(def, cols, floorDay(day), floorDay(day), flow) {
		vals := make([]*string, len(row.cells))
		for i, c := range row.cells {
			if !c.null {
				t := c.text
				vals[i] = &t
			}
		}
		out = append(out, vals)
	}
	return headers, out, nil
}

func (f *Fake) flowFor(def reportDef, flowID string) (*Content, error) {
	if !def.perFlow {
		return nil, nil
	}
	for _, c := range f.data.content {
		if c.ContentID == flowID && c.Type == "Flow" {
			c := c
			return &c, nil
		}
	}
	return nil, fmt.Errorf("flow %s not found", flowID)
}

func (f *Fake) columnsOf(def reportDef) []column {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	return append(append([]column(nil), def.columns...), f.extraColumns[def.name]...)
}

// rowsBetween is every row of the days [first, last] that hold data.
func (f *Fake) rowsBetween(def reportDef, cols []column, first, last time.Time, flow *Content) []reportRow {
	oldest, newest := floorDay(f.opts.Now.Add(-History)), floorDay(f.opts.Now)
	var rows []reportRow
	for d := first; !d.After(last); d = d.Add(24 * time.Hour) {
		if d.Before(oldest) || d.After(newest) {
			continue
		}
		rows = append(rows, f.reportRows(def, cols, d, flow)...)
	}
	return rows
}

func (f *Fake) csvStyleFor(report, day, flowID string) csvStyle {
	h := fnv.New32a()
	h.Write([]byte(report + "|" + day + "|" + flowID))
	v := h.Sum32()
	s := csvStyle{bom: v%2 == 0, crlf: v%3 != 0}
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	if f.forceBOM != nil {
		s.bom = *f.forceBOM
	}
	if f.forceCRLF != nil {
		s.crlf = *f.forceCRLF
	}
	return s
}

func (f *Fake) isMalformed(report string) bool {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	return f.malformed[report]
}

// apiError is Whatfix's error body.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details string `json:"details"`
}

func errorBody(status int, msg, details string) []byte {
	b, _ := json.Marshal(apiError{Code: status, Message: msg, Details: details})
	return b
}

func writeError(w http.ResponseWriter, status int, msg, details string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(errorBody(status, msg, details))
}

func writeBody(w http.ResponseWriter, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		writeError(w, http.StatusInternalServerError, "encode response", err.Error())
		return
	}
	writeBody(w, "application/json", b.Bytes())
}

func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, APIPrefix+"/")
	v1 := false
	if !ok && f.opts.Variant.V1Layout {
		rest, v1 = strings.CutPrefix(r.URL.Path, V1Prefix+"/accounts/")
		ok = v1
	}
	if !ok {
		writeError(w, http.StatusNotFound, "not found", "the API lives under "+APIPrefix+"/{accountId}/")
		return
	}
	// Credentials first, as the real API: a caller without them learns
	// nothing about which paths exist.
	key := r.Header.Get("x-whatfix-integration-key")
	switch {
	case key == "":
		writeError(w, http.StatusUnauthorized, "missing integration key", "send the x-whatfix-integration-key header")
		return
	case key != f.opts.IntegrationKey:
		writeError(w, http.StatusUnauthorized, "invalid integration key", "the x-whatfix-integration-key is not valid")
		return
	}
	user := r.Header.Get("x-whatfix-user")
	switch {
	case user == "":
		writeError(w, http.StatusUnauthorized, "missing user", "send the x-whatfix-user header with the email of the key's user")
		return
	case !strings.EqualFold(user, f.opts.User):
		writeError(w, http.StatusForbidden, "user not allowed", "the integration key does not belong to user "+user)
		return
	}
	account, route, _ := strings.Cut(rest, "/")
	if account != f.opts.AccountID {
		writeError(w, http.StatusForbidden, "account not accessible", "the integration key has no access to account "+account)
		return
	}
	method := func(m string) bool {
		if r.Method != m {
			w.Header().Set("Allow", m)
			writeError(w, http.StatusMethodNotAllowed, "method not allowed", r.Method+" "+route+": use "+m)
			return false
		}
		return true
	}
	if v1Route := route == "auditlogs" || route == "content/updated"; f.opts.Variant.V1Layout && v1Route != v1 {
		// A gateway answers a route it does not serve under this layout
		// as it answers a key without access to it.
		writeError(w, http.StatusForbidden, "forbidden", "the integration key has no access to "+route)
		return
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	switch {
	case strings.HasPrefix(route, "reports/"):
		if method(http.MethodGet) {
			f.serveReport(w, r, strings.TrimPrefix(route, "reports/"))
		}
	case route == "analytics/flows":
		if method(http.MethodGet) {
			f.serveFlowAnalytics(w, r)
		}
	case route == "analytics/end-users":
		if method(http.MethodGet) {
			f.serveEndUserEngagement(w, r)
		}
	case route == "analytics/self-help":
		if method(http.MethodGet) {
			f.serveSelfHelp(w, r)
		}
	case route == "analytics/task-completion":
		if method(http.MethodGet) {
			f.serveTaskCompletion(w, r)
		}
	case route == "content":
		if method(http.MethodGet) {
			f.serveContent(w, r)
		}
	case route == "content/updated":
		if method(http.MethodGet) {
			f.serveContentUpdated(w, r)
		}
	case route == "end-users":
		if method(http.MethodGet) {
			f.serveEndUsers(w, r)
		}
	case route == "segments":
		if method(http.MethodGet) {
			f.serveSegments(w, r)
		}
	case route == "auditlogs":
		if method(http.MethodPost) {
			f.serveAuditLogs(w, r)
		}
	default:
		writeError(w, http.StatusNotFound, "not found", "no resource at "+route)
	}
}
