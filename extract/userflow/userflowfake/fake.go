// Package userflowfake is an in-process Userflow REST API for tests and
// `etl demo`. It is as strict as the API reference: every call needs the
// Bearer key, a Userflow-Version other than 2020-01-03 is refused, list
// parameters are validated (limit 1..100, known order_by fields and expand
// paths, known starting_after ids, required content_id), unknown routes are
// 404 and wrong methods 405, all with Userflow's error body. Data is
// generated from a seed relative to Options.Now, so runs are reproducible.
package userflowfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/extract/sandbox"
)

// APIVersion is the only version the API knows.
const APIVersion = "2020-01-03"

// DemoAPIKey is the key the fake accepts unless Options.APIKey says otherwise.
const DemoAPIKey = "ak_sandbox_2snys2ycbvetjeivbzs7m7btfm"

// DocURL is what every error body points to.
const DocURL = "https://userflow.com/docs/api"

// Options configures a fake.
type Options struct {
	Seed int64
	// Now anchors the data: 120 days of sessions up to Now. Zero: time.Now.
	Now time.Time
	// Scale multiplies users, content and sessions per day (1: ~150 users,
	// 12 content objects, ~150 sessions a day). Zero means 1.
	Scale float64
	// APIKey is the accepted key; empty means DemoAPIKey.
	APIKey string
	// RatePerMinute is the account's request budget per wall-clock minute;
	// zero means 100000, high enough not to slow the demo.
	RatePerMinute int
	// Clock drives the rate limiter's minutes (tests); nil means time.Now.
	Clock func() time.Time
	// Prerender keeps every list page's body once rendered and serves it
	// again from memory, so a benchmark measures the client, not the fake's
	// JSON encoding.
	Prerender bool
	// Variant serves another plausible reading of what the reference
	// leaves open, as the real API might (see Variant).
	Variant Variant
}

// Variant is the other reading of each detail the reference leaves open;
// the zero value is the reading the project assumes (docs/guesses.md).
type Variant struct {
	// NextPageHost makes next_page_url absolute on this scheme and host
	// (e.g. https://api.userflow.com), as an API that names its own host
	// would, whatever host the client called (a proxy, a regional name).
	NextPageHost string
	// BareNextPageURL keeps only starting_after in next_page_url, as the
	// reference's examples print it ("/content_versions?starting_after=…"
	// after a request with content_id): the request's other parameters
	// (expand, order_by, limit, filters) are dropped.
	BareNextPageURL bool
	// RepeatedExpand takes several paths to expand only as expand=a&expand=b:
	// expand[] is an unknown parameter (400).
	RepeatedExpand bool
	// GroupsStatus answers /groups with this status (403 or 404), as on
	// plans without Groups.
	GroupsStatus int
}

// Variants names each Variant for sandboxes and tests.
var Variants = map[string]Variant{
	"absolute-next-page-url": {NextPageHost: "https://api.userflow.com"},
	"bare-next-page-url":     {BareNextPageURL: true},
	"repeated-expand":        {RepeatedExpand: true},
	"groups-forbidden":       {GroupsStatus: http.StatusForbidden},
	"groups-not-found":       {GroupsStatus: http.StatusNotFound},
}

// Fake is the Userflow API. Use it as an http.Handler. It counts requests
// by path (Requests("/content_sessions")).
type Fake struct {
	*sandbox.API

	opts Options

	mu    sync.RWMutex
	data  *dataset
	index map[string]map[string]int // resource -> id -> position

	cacheMu    sync.Mutex
	orderCache map[string][]int
	pageCache  map[string][]byte
	posCache   map[string]map[string]int

	stateMu sync.Mutex
	// groupsStatus, when not 0, is what /groups answers (403, 404).
	groupsStatus int
	requestSeq   int64
	rateMinute   time.Time
	rateCount    int
	rateRejects  int
}

// New builds a fake with deterministic data.
func New(opts Options) *Fake {
	opts.Now = sandbox.Anchor(opts.Now, time.Second)
	if opts.Scale <= 0 {
		opts.Scale = 1
	}
	if opts.APIKey == "" {
		opts.APIKey = DemoAPIKey
	}
	if opts.RatePerMinute <= 0 {
		opts.RatePerMinute = 100000
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	f := &Fake{
		opts:         opts,
		data:         generate(opts.Seed, opts.Now, opts.Scale),
		orderCache:   map[string][]int{},
		pageCache:    map[string][]byte{},
		posCache:     map[string]map[string]int{},
		groupsStatus: opts.Variant.GroupsStatus,
	}
	f.reindex()
	f.API = sandbox.NewAPI(opts.Seed, f.serveAPI, func(status int, msg string) []byte {
		return f.errorBody(status, codeFor(status), msg)
	}, nil)
	return f
}

func (f *Fake) reindex() {
	f.index = map[string]map[string]int{}
	add := func(res string, n int, id func(int) string) {
		m := make(map[string]int, n)
		for i := 0; i < n; i++ {
			m[id(i)] = i
		}
		f.index[res] = m
	}
	d := f.data
	add("users", len(d.users), func(i int) string { return d.users[i].ID })
	add("groups", len(d.groups), func(i int) string { return d.groups[i].ID })
	add("content", len(d.content), func(i int) string { return d.content[i].ID })
	add("content_versions", len(d.versions), func(i int) string { return d.versions[i].ID })
	add("content_sessions", len(d.sessions), func(i int) string { return d.sessions[i].ID })
}

// Now is the instant the data was generated up to.
func (f *Fake) Now() time.Time { return f.opts.Now }

// APIKey is the key the fake accepts.
func (f *Fake) APIKey() string { return f.opts.APIKey }

// SetGroupsForbidden makes /groups answer 403, as on plans without Groups.
func (f *Fake) SetGroupsForbidden(forbidden bool) {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	f.groupsStatus = 0
	if forbidden {
		f.groupsStatus = http.StatusForbidden
	}
}

// SetRatePerMinute changes the request budget while the fake runs.
func (f *Fake) SetRatePerMinute(n int) {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	f.opts.RatePerMinute = n
}

// Sessions returns a copy of every session, newest last_activity_at first
// (ties by id), the order a -last_activity_at walk sees.
func (f *Fake) Sessions() []Session {
	return f.SessionsBetween(time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
}

// SessionsBetween returns copies of the sessions whose last_activity_at lies
// in [start, end), newest first (ties by id): exactly what a window holds.
func (f *Fake) SessionsBetween(start, end time.Time) []Session {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []Session
	for _, s := range f.data.sessions {
		if !s.LastActivityAt.Before(start) && s.LastActivityAt.Before(end) {
			out = append(out, s.clone())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if c := out[i].LastActivityAt.Compare(out[j].LastActivityAt); c != 0 {
			return c > 0
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Session returns one session by id.
func (f *Fake) Session(id string) (Session, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	i, ok := f.index["content_sessions"][id]
	if !ok {
		return Session{}, false
	}
	return f.data.sessions[i].clone(), true
}

// TouchSession records later activity on a session: the user came back at
// `at` and the session now has this progress. Completing sets completed_at
// to `at` (kept if it was already complete); un-completing clears it.
func (f *Fake) TouchSession(id string, at time.Time, progress string, completed bool) error {
	if _, err := strconv.ParseFloat(progress, 64); err != nil {
		return fmt.Errorf("userflowfake: progress %q is not a decimal string", progress)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.index["content_sessions"][id]
	if !ok {
		return fmt.Errorf("userflowfake: no session %q", id)
	}
	s := &f.data.sessions[i]
	at = at.UTC()
	if at.Before(s.CreatedAt) {
		return fmt.Errorf("userflowfake: session %s was created at %s, cannot be active at %s", id, s.CreatedAt, at)
	}
	s.LastActivityAt = at
	s.Progress = progress
	switch {
	case completed && !s.Completed:
		t := at
		s.CompletedAt = &t
	case !completed:
		s.CompletedAt = nil
	}
	s.Completed = completed
	f.cacheMu.Lock()
	f.orderCache = map[string][]int{}
	f.pageCache = map[string][]byte{}
	f.posCache = map[string]map[string]int{}
	f.cacheMu.Unlock()
	return nil
}

// Users returns copies of the users in created_at order.
func (f *Fake) Users() []User {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append([]User(nil), f.data.users...)
}

// Content returns the content objects.
func (f *Fake) Content() []Content {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append([]Content(nil), f.data.content...)
}

// Versions returns every content version (ContentID tells whose).
func (f *Fake) Versions() []Version {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append([]Version(nil), f.data.versions...)
}

// Groups returns the groups.
func (f *Fake) Groups() []Group {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append([]Group(nil), f.data.groups...)
}

func (f *Fake) userByID(id string) *User {
	if i, ok := f.index["users"][id]; ok {
		return &f.data.users[i]
	}
	return nil
}

func (f *Fake) groupByID(id string) *Group {
	if i, ok := f.index["groups"][id]; ok {
		return &f.data.groups[i]
	}
	return nil
}

func (f *Fake) contentByID(id string) *Content {
	if i, ok := f.index["content"][id]; ok {
		return &f.data.content[i]
	}
	return nil
}

func (f *Fake) versionByID(id string) *Version {
	if i, ok := f.index["content_versions"][id]; ok {
		return &f.data.versions[i]
	}
	return nil
}

// route is one documented path: the methods the real API takes there and
// what the fake serves (reads only).
type route struct {
	methods []string
	list    func() lister
	get     func(id string, ex expansion) (any, bool)
	expand  []string
}

func (f *Fake) routes(resource string) (collection, item *route) {
	d := f.data
	switch resource {
	case "users":
		exp := []string{"groups", "memberships", "memberships.group"}
		return &route{methods: []string{"GET", "POST"}, list: f.listUsers},
			&route{methods: []string{"GET", "DELETE"}, expand: exp, get: func(id string, ex expansion) (any, bool) {
				u := f.userByID(id)
				if u == nil {
					return nil, false
				}
				return f.renderUser(u, ex), true
			}}
	case "groups":
		exp := []string{"memberships", "memberships.user", "users"}
		return &route{methods: []string{"GET", "POST"}, list: f.listGroups},
			&route{methods: []string{"GET", "DELETE"}, expand: exp, get: func(id string, ex expansion) (any, bool) {
				g := f.groupByID(id)
				if g == nil {
					return nil, false
				}
				return f.renderGroup(g, ex), true
			}}
	case "content":
		return &route{methods: []string{"GET"}, list: f.listContent},
			&route{methods: []string{"GET"}, expand: contentExpand, get: func(id string, ex expansion) (any, bool) {
				c := f.contentByID(id)
				if c == nil {
					return nil, false
				}
				return f.renderContent(c, ex), true
			}}
	case "content_versions":
		return &route{methods: []string{"GET"}, list: f.listVersions},
			&route{methods: []string{"GET"}, expand: versionExpand, get: func(id string, ex expansion) (any, bool) {
				v := f.versionByID(id)
				if v == nil {
					return nil, false
				}
				return f.renderVersion(v, ex), true
			}}
	case "content_sessions":
		return &route{methods: []string{"GET"}, list: f.listSessions},
			&route{methods: []string{"GET"}, expand: sessionExpand, get: func(id string, ex expansion) (any, bool) {
				i, ok := f.index["content_sessions"][id]
				if !ok {
					return nil, false
				}
				return f.renderSession(&d.sessions[i], ex), true
			}}
	case "attribute_definitions":
		return &route{methods: []string{"GET"}, list: f.listAttributeDefinitions}, nil
	case "event_definitions":
		return &route{methods: []string{"GET"}, list: f.listEventDefinitions}, nil
	case "events":
		return &route{methods: []string{"POST"}}, nil
	case "group_memberships":
		return &route{methods: []string{"DELETE"}}, nil
	case "webhook_subscriptions":
		return &route{methods: []string{"GET", "POST"}, list: f.listWebhookSubscriptions},
			&route{methods: []string{"GET", "PATCH", "DELETE"}}
	}
	return nil, nil
}

var (
	contentExpand = []string{"draft_version", "draft_version.questions", "draft_version.tasks",
		"published_version", "published_version.questions", "published_version.tasks"}
	versionExpand = []string{"questions", "tasks"}
	sessionExpand = []string{"answers", "content", "group", "user", "version", "version.questions", "version.tasks"}
)

func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(r) {
		got := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer"))
		// Echoing what was sent is what makes a client that logs error bodies
		// leak keys; the fake does it so tests catch such a client.
		f.writeError(w, http.StatusUnauthorized, "invalid_api_key", "Invalid API key provided: "+got)
		return
	}
	if v := r.Header.Get("Userflow-Version"); v != "" && v != APIVersion {
		f.writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("Userflow-Version %q is not a known API version (the current version is %s)", v, APIVersion))
		return
	}
	if wait, limited := f.rateLimited(); limited {
		f.stateMu.Lock()
		f.rateRejects++
		withHeader := f.rateRejects%2 == 1
		f.stateMu.Unlock()
		// The reference promises no Retry-After; the fake sends it every
		// other time so clients are exercised both ways.
		if withHeader {
			w.Header().Set("Retry-After", strconv.Itoa(wait))
		}
		f.writeError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Too many requests: the account's per-minute request limit was exceeded")
		return
	}
	if acc := r.Header.Get("Accept"); acc != "" && !strings.Contains(acc, "json") && !strings.Contains(acc, "*/*") {
		f.writeError(w, http.StatusNotAcceptable, "not_acceptable", "The API only responds with JSON (Accept: "+acc+")")
		return
	}

	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	collection, item := f.routes(segs[0])
	var rt *route
	switch len(segs) {
	case 1:
		rt = collection
	case 2:
		rt = item
	}
	if rt == nil || (len(segs) == 2 && segs[1] == "") {
		f.writeError(w, http.StatusNotFound, "not_found", "Unrecognized URL: "+r.Method+" "+r.URL.Path)
		return
	}
	allowed := false
	for _, m := range rt.methods {
		if m == r.Method {
			allowed = true
		}
	}
	if !allowed {
		w.Header().Set("Allow", strings.Join(rt.methods, ", "))
		f.writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s is not allowed for %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(rt.methods, ", ")))
		return
	}
	if r.Method != http.MethodGet || (rt.list == nil && rt.get == nil) {
		w.Header().Set("Allow", "GET")
		f.writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "the sandbox serves reads only: "+r.Method+" "+r.URL.Path+" is not available here")
		return
	}
	if segs[0] == "groups" {
		f.stateMu.Lock()
		status := f.groupsStatus
		f.stateMu.Unlock()
		switch status {
		case http.StatusForbidden:
			f.writeError(w, status, "forbidden", "The Groups feature is not available on your plan. Check your Billing page or reach out to us to ask.")
			return
		case http.StatusNotFound:
			f.writeError(w, status, "not_found", "Unrecognized URL: "+r.Method+" "+r.URL.Path)
			return
		}
	}

	f.mu.RLock()
	defer f.mu.RUnlock()
	if len(segs) == 1 {
		f.serveList(w, r, rt.list())
		return
	}
	q := r.URL.Query()
	for k := range q {
		if k != "expand" && k != "expand[]" {
			f.writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("unknown query parameter %q", k))
			return
		}
	}
	ex, err := parseExpand(q, rt.expand, f.opts.Variant.RepeatedExpand)
	if err != nil {
		f.writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	obj, ok := rt.get(segs[1], ex)
	if !ok {
		f.writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("No such %s: %q", strings.TrimSuffix(segs[0], "s"), segs[1]))
		return
	}
	writeJSON(w, http.StatusOK, obj)
}

func (f *Fake) authorized(r *http.Request) bool {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && scheme == "Bearer" && key == f.opts.APIKey
}

// rateLimited counts the request against the current minute's budget and,
// when over it, says how many seconds remain in the minute.
func (f *Fake) rateLimited() (int, bool) {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	now := f.opts.Clock()
	minute := now.Truncate(time.Minute)
	if !minute.Equal(f.rateMinute) {
		f.rateMinute, f.rateCount = minute, 0
	}
	f.rateCount++
	if f.rateCount <= f.opts.RatePerMinute {
		return 0, false
	}
	wait := int(minute.Add(time.Minute).Sub(now).Seconds() + 0.999)
	if wait < 1 {
		wait = 1
	}
	return wait, true
}

func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request"
	case http.StatusUnauthorized:
		return "invalid_api_key"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusTooManyRequests:
		return "rate_limit_exceeded"
	case http.StatusServiceUnavailable:
		return "service_unavailable"
	}
	if status >= 500 {
		return "internal_server_error"
	}
	return "error"
}

type errorJSON struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		DocURL    string `json:"doc_url"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

func (f *Fake) errorBody(status int, code, msg string) []byte {
	f.stateMu.Lock()
	f.requestSeq++
	seq := f.requestSeq
	f.stateMu.Unlock()
	var e errorJSON
	e.Error.Code, e.Error.Message, e.Error.DocURL = code, msg, DocURL
	e.Error.RequestID = fmt.Sprintf("req_%016x", uint64(seq)*0x9E3779B97F4A7C15)
	b, _ := json.Marshal(e)
	return b
}

func (f *Fake) writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(f.errorBody(status, code, msg))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func eq(get func(i int) string) func(i int, v string) bool {
	return func(i int, v string) bool { return get(i) == v }
}

func (f *Fake) listUsers() lister {
	us := f.data.users
	return lister{
		resource: "users", n: len(us), id: func(i int) string { return us[i].ID },
		order: map[string]func(int) any{
			"created_at":              func(i int) any { return us[i].CreatedAt },
			"attributes.signed_up_at": func(i int) any { return attrString(us[i].Attributes, "signed_up_at") },
			"attributes.last_seen_at": func(i int) any { return attrString(us[i].Attributes, "last_seen_at") },
			"attributes.name":         func(i int) any { return attrString(us[i].Attributes, "name") },
		},
		defaultOrder: "created_at",
		filters: map[string]func(int, string) bool{
			"email": func(i int, v string) bool { return us[i].Attributes["email"] == v },
			"group_id": func(i int, v string) bool {
				for _, m := range us[i].Memberships {
					if m.GroupID == v {
						return true
					}
				}
				return false
			},
		},
		expand: []string{"groups", "memberships", "memberships.group"},
		render: func(i int, ex expansion) any { return f.renderUser(&us[i], ex) },
	}
}

func (f *Fake) listGroups() lister {
	gs := f.data.groups
	return lister{
		resource: "groups", n: len(gs), id: func(i int) string { return gs[i].ID },
		order: map[string]func(int) any{
			"created_at":      func(i int) any { return gs[i].CreatedAt },
			"attributes.name": func(i int) any { return attrString(gs[i].Attributes, "name") },
		},
		defaultOrder: "created_at",
		filters: map[string]func(int, string) bool{
			"user_id": func(i int, v string) bool {
				u := f.userByID(v)
				if u == nil {
					return false
				}
				for _, m := range u.Memberships {
					if m.GroupID == gs[i].ID {
						return true
					}
				}
				return false
			},
		},
		expand: []string{"memberships", "memberships.user", "users"},
		render: func(i int, ex expansion) any { return f.renderGroup(&gs[i], ex) },
	}
}

func (f *Fake) listContent() lister {
	cs := f.data.content
	return lister{
		resource: "content", n: len(cs), id: func(i int) string { return cs[i].ID },
		order: map[string]func(int) any{
			"created_at": func(i int) any { return cs[i].CreatedAt },
			"name":       func(i int) any { return cs[i].Name },
		},
		defaultOrder: "created_at",
		filters:      map[string]func(int, string) bool{"type": eq(func(i int) string { return cs[i].Type })},
		check: func(q url.Values) error {
			for _, v := range q["type"] {
				if err := oneOf("type", v, "checklist", "flow", "launcher"); err != nil {
					return err
				}
			}
			return nil
		},
		expand: contentExpand,
		render: func(i int, ex expansion) any { return f.renderContent(&cs[i], ex) },
	}
}

func (f *Fake) listVersions() lister {
	vs := f.data.versions
	return lister{
		resource: "content_versions", n: len(vs), id: func(i int) string { return vs[i].ID },
		order:        map[string]func(int) any{"number": func(i int) any { return vs[i].Number }},
		defaultOrder: "number",
		filters: map[string]func(int, string) bool{
			"content_id": eq(func(i int) string { return vs[i].ContentID }),
			"number":     eq(func(i int) string { return strconv.Itoa(vs[i].Number) }),
		},
		required: []string{"content_id"},
		check: func(q url.Values) error {
			for _, v := range q["number"] {
				if _, err := strconv.Atoi(v); err != nil {
					return badf("number must be an integer, got %q", v)
				}
			}
			return nil
		},
		expand: versionExpand,
		render: func(i int, ex expansion) any { return f.renderVersion(&vs[i], ex) },
	}
}

func (f *Fake) listSessions() lister {
	ss := f.data.sessions
	return lister{
		resource: "content_sessions", n: len(ss), id: func(i int) string { return ss[i].ID },
		order: map[string]func(int) any{
			"created_at":       func(i int) any { return ss[i].CreatedAt },
			"last_activity_at": func(i int) any { return ss[i].LastActivityAt },
		},
		defaultOrder: "created_at",
		filters: map[string]func(int, string) bool{
			"content_id": eq(func(i int) string { return ss[i].ContentID }),
			"user_id":    eq(func(i int) string { return ss[i].UserID }),
		},
		expand: sessionExpand,
		render: func(i int, ex expansion) any { return f.renderSession(&ss[i], ex) },
	}
}

func (f *Fake) listAttributeDefinitions() lister {
	as := f.data.attrDefs
	return lister{
		resource: "attribute_definitions", n: len(as), id: func(i int) string { return as[i].ID },
		order: map[string]func(int) any{
			"created_at":   func(i int) any { return as[i].CreatedAt },
			"display_name": func(i int) any { return as[i].DisplayName },
			"name":         func(i int) any { return as[i].Name },
		},
		defaultOrder: "display_name",
		filters: map[string]func(int, string) bool{
			"scope":        eq(func(i int) string { return as[i].Scope }),
			"event_name":   func(i int, v string) bool { return contains(as[i].EventNames, v) },
			"event_name[]": func(i int, v string) bool { return contains(as[i].EventNames, v) },
		},
		check: func(q url.Values) error {
			for _, v := range q["scope"] {
				if err := oneOf("scope", v, "event", "group", "group_membership", "user"); err != nil {
					return err
				}
			}
			return nil
		},
		render: func(i int, _ expansion) any { return renderAttributeDefinition(&as[i]) },
	}
}

func (f *Fake) listEventDefinitions() lister {
	es := f.data.eventDefs
	return lister{
		resource: "event_definitions", n: len(es), id: func(i int) string { return es[i].ID },
		order: map[string]func(int) any{
			"created_at":   func(i int) any { return es[i].CreatedAt },
			"display_name": func(i int) any { return es[i].DisplayName },
			"name":         func(i int) any { return es[i].Name },
		},
		defaultOrder: "display_name",
		render:       func(i int, _ expansion) any { return renderEventDefinition(&es[i]) },
	}
}

// The sandbox account has no webhook subscriptions.
func (f *Fake) listWebhookSubscriptions() lister {
	return lister{
		resource: "webhook_subscriptions", id: func(int) string { return "" },
		order: map[string]func(int) any{
			"created_at": func(int) any { return nil },
			"url":        func(int) any { return nil },
		},
		defaultOrder: "created_at",
		render:       func(int, expansion) any { return nil },
	}
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
