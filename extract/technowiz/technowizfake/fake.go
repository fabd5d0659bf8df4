// Package technowizfake is an in-process Technowiz API for tests and
// `etl demo`, as strict as the vendor's reference and our assumed paths: every call
// needs "Authorization: Basic <key>", users are found only by attribute
// (there is no list-all), conversations are paged with page_number and
// Page_size (the reference's spelling) and answer the documented error codes:
// 1002 for an unknown user id, 1003 for a date range whose end is not after
// its start (or is not a number), 1004 for a page number below 1 or past the
// last page. Data is generated from a seed relative to Options.Now.
//
// Choices where the reference is silent: end_date is inclusive (the less
// convenient reading, so clients must filter); page 1 of an empty
// conversation is an empty page, not a 1004; a missing attribute parameter
// a bad Page_size or an unknown (e.g. misspelt) parameter is a 400 with
// errorCode 1000.
package technowizfake

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/extract/sandbox"
)

// DemoAuthKey is the key the fake accepts unless Options says otherwise.
const DemoAuthKey = "twk_sandbox_9d41c7e2a0b3"

// Error codes of the reference (1000 is the fake's own, for parameters the
// reference does not cover).
const (
	CodeBadRequest   = 1000
	CodeInvalidID    = 1002
	CodeInvalidDates = 1003
	CodeInvalidPage  = 1004
)

var codeNames = map[int]string{
	CodeBadRequest:   "INVALID_REQUEST",
	CodeInvalidID:    "INVALID_BOT_OR_CUSTOMER_ID",
	CodeInvalidDates: "INVALID_INPUT_DATE_VALUE",
	CodeInvalidPage:  "INVALID_PAGE_NUMBER",
}

var codeDetails = map[int]string{
	CodeInvalidID:    "The bot id/customer id/user id provided is invalid",
	CodeInvalidDates: "The start_date and end_date values are the time in milliseconds and the end_date should be greater than start_date.",
	CodeInvalidPage:  "Please enter the correct page number. The page number in the API is a positive integer value starting with 1.",
}

// Options configures a fake.
type Options struct {
	Seed int64
	// Now anchors the data (120 days of conversations up to Now). Zero: time.Now.
	Now time.Time
	// Scale multiplies the number of users (1: 150, 80 to 95 of them matched
	// by DemoFilters). Zero means 1.
	Scale float64
	// AuthKey is the accepted key; empty means DemoAuthKey.
	AuthKey string
	// Clock is the API's current time (default end_date). Nil: Now plus the
	// wall time elapsed since New.
	Clock func() time.Time
	// EchoRequest makes 401 bodies repeat the Authorization header, as
	// careless gateways do; tests use it to prove the key is redacted.
	EchoRequest bool
	// PerPageTotal makes total_records count the current page only, the
	// other reading of an undescribed field.
	PerPageTotal bool
}

// Fake is the Technowiz API. Use it as an http.Handler. It counts
// requests by endpoint: Requests("users") or Requests("conversation").
type Fake struct {
	*sandbox.API

	opts  Options
	clock sandbox.Clock

	mu      sync.RWMutex
	users   []*User // sorted by id
	unknown map[string]bool

	stateMu   sync.Mutex
	forbidden bool
}

// New builds a fake with deterministic data.
func New(opts Options) *Fake {
	opts.Now = sandbox.Anchor(opts.Now, time.Millisecond)
	if opts.Scale <= 0 {
		opts.Scale = 1
	}
	if opts.AuthKey == "" {
		opts.AuthKey = DemoAuthKey
	}
	f := &Fake{
		opts:    opts,
		clock:   sandbox.NewClock(opts.Now, opts.Clock),
		users:   generate(opts.Seed, opts.Now, opts.Scale),
		unknown: map[string]bool{},
	}
	f.API = sandbox.NewAPI(opts.Seed, f.serveAPI, func(status int, msg string) []byte {
		b, _ := json.Marshal(map[string]any{"errorMessage": msg})
		return b
	}, endpoint)
	return f
}

// endpoint is what a request counts under: "users" or "conversation".
func endpoint(r *http.Request) string {
	if strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/conversation") {
		return "conversation"
	}
	return "users"
}

// Now is the instant the data was generated up to.
func (f *Fake) Now() time.Time { return f.opts.Now }

// Clock is the API's current time.
func (f *Fake) Clock() time.Time { return f.clock.Now() }

// SetForbidden makes every call answer 403.
func (f *Fake) SetForbidden(forbidden bool) {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	f.forbidden = forbidden
}

// MarkUnknown makes the conversation API answer 1002 for a user the users
// API still lists (a user deleted between the two calls).
func (f *Fake) MarkUnknown(userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unknown[userID] = true
}

// AddUser adds a user (tests that need exact message counts). Its messages
// are sorted by timestamp.
func (f *Fake) AddUser(u User) {
	c := u.clone()
	sort.SliceStable(c.Messages, func(i, j int) bool { return c.Messages[i].Timestamp.Before(c.Messages[j].Timestamp) })
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users = append(f.users, &c)
	sort.Slice(f.users, func(i, j int) bool { return f.users[i].ID < f.users[j].ID })
}

// Users returns copies of every user, by id.
func (f *Fake) Users() []User {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]User, len(f.users))
	for i, u := range f.users {
		out[i] = u.clone()
	}
	return out
}

// UsersMatching returns copies of the users any of filters matches, by id.
func (f *Fake) UsersMatching(filters ...Filter) []User {
	var out []User
	for _, u := range f.Users() {
		for _, flt := range filters {
			if u.Matches(flt) {
				out = append(out, u)
				break
			}
		}
	}
	return out
}

func (u *User) clone() User {
	c := *u
	c.Attributes = map[string]any{}
	for k, v := range u.Attributes {
		c.Attributes[k] = v
	}
	c.Messages = append([]Message(nil), u.Messages...)
	return c
}

func (f *Fake) user(id string) *User {
	i := sort.Search(len(f.users), func(i int) bool { return f.users[i].ID >= id })
	if i < len(f.users) && f.users[i].ID == id {
		return f.users[i]
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeCode(w http.ResponseWriter, code int, details string) {
	if details == "" {
		details = codeDetails[code]
	}
	writeJSON(w, http.StatusBadRequest, map[string]any{"errorCode": code, "errorMessage": codeNames[code], "errorDetails": details})
}

func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("Authorization"); got != "Basic "+f.opts.AuthKey {
		body := map[string]any{"errorMessage": "Unauthorized"}
		if f.opts.EchoRequest {
			body["errorDetails"] = "invalid Authorization header: " + got
		}
		writeJSON(w, http.StatusUnauthorized, body)
		return
	}
	f.stateMu.Lock()
	forbidden := f.forbidden
	f.stateMu.Unlock()
	if forbidden {
		writeJSON(w, http.StatusForbidden, map[string]any{"errorMessage": "Forbidden"})
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errorMessage": "Method Not Allowed"})
		return
	}
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	switch {
	case len(segs) == 1 && segs[0] == "users":
		f.serveUsers(w, r.URL.Query())
	case len(segs) == 3 && segs[0] == "users" && segs[2] == "conversation":
		id, err := url.PathUnescape(segs[1])
		if err != nil {
			writeCode(w, CodeInvalidID, "")
			return
		}
		f.serveConversation(w, id, r.URL.Query())
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"errorMessage": "Not Found"})
	}
}

// checkParams refuses parameters the reference does not list (a misspelt
// one would otherwise be ignored and its default served).
func checkParams(w http.ResponseWriter, q url.Values, allowed ...string) bool {
	for k := range q {
		if !slices.Contains(allowed, k) {
			writeCode(w, CodeBadRequest, fmt.Sprintf("unknown parameter %q (allowed: %s)", k, strings.Join(allowed, ", ")))
			return false
		}
	}
	return true
}

func (f *Fake) serveUsers(w http.ResponseWriter, q url.Values) {
	if !checkParams(w, q, "attribute_name", "attribute_value") {
		return
	}
	name, value := q.Get("attribute_name"), q.Get("attribute_value")
	if name == "" || !q.Has("attribute_value") {
		writeCode(w, CodeBadRequest, "attribute_name and attribute_value are required")
		return
	}
	flt := Filter{name, value}
	out := []map[string]any{}
	f.mu.RLock()
	for _, u := range f.users {
		if u.Matches(flt) {
			out = append(out, map[string]any{"userId": u.ID, "userName": u.Name, "channel": u.Channel,
				"attributes": u.Attributes, "createdAt": u.CreatedAt.UnixMilli()})
		}
	}
	f.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"responseObject": out})
}

func msParam(q url.Values, name string) (int64, bool, error) {
	s := q.Get(name)
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false, fmt.Errorf("%s must be a time in milliseconds, got %q", name, s)
	}
	return n, true, nil
}

func (f *Fake) serveConversation(w http.ResponseWriter, id string, q url.Values) {
	if !checkParams(w, q, "start_date", "end_date", "page_number", "Page_size") {
		return
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	u := f.user(id)
	if u == nil || f.unknown[id] {
		writeCode(w, CodeInvalidID, "")
		return
	}
	start, hasStart, err := msParam(q, "start_date")
	if err != nil {
		writeCode(w, CodeInvalidDates, err.Error())
		return
	}
	end, hasEnd, err := msParam(q, "end_date")
	if err != nil {
		writeCode(w, CodeInvalidDates, err.Error())
		return
	}
	if !hasEnd {
		end = f.Clock().UnixMilli()
	}
	if (hasStart || hasEnd) && end <= start {
		writeCode(w, CodeInvalidDates, "")
		return
	}
	page := 1
	if s := q.Get("page_number"); s != "" {
		if page, err = strconv.Atoi(s); err != nil || page < 1 {
			writeCode(w, CodeInvalidPage, "")
			return
		}
	}
	size := 500
	if s := q.Get("Page_size"); s != "" {
		if size, err = strconv.Atoi(s); err != nil || size < 1 {
			writeCode(w, CodeBadRequest, fmt.Sprintf("Page_size must be a positive integer, got %q", s))
			return
		}
	}
	var msgs []map[string]any
	for _, m := range u.Messages {
		// Both ends inclusive: the reference does not say, and this reading is
		// the one that catches a client that does not filter.
		if ms := m.Timestamp.UnixMilli(); (!hasStart || ms >= start) && ms <= end {
			msgs = append(msgs, map[string]any{"messageId": m.ID, "from": m.From, "type": m.Type, "text": m.Text,
				"timestamp": ms, "payload": m.Payload})
		}
	}
	total := len(msgs)
	last := max(1, int(math.Ceil(float64(total)/float64(size))))
	if page > last {
		writeCode(w, CodeInvalidPage, fmt.Sprintf("page_number %d is past the last page %d", page, last))
		return
	}
	from := min((page-1)*size, total)
	to := min(from+size, total)
	out := msgs[from:to]
	if out == nil {
		out = []map[string]any{}
	}
	if f.opts.PerPageTotal {
		total = len(out)
	}
	writeJSON(w, http.StatusOK, map[string]any{"responseObject": map[string]any{
		"messages": out, "page_number": page, "page_size": size, "total_records": total,
	}})
}
