// Package botfake is an in-process bot platform Open API for tests and
// `etl demo`. It is as strict as the vendor's reference and our assumed
// paths: every call but the token call needs a live Bearer token,
// tokens expire, the token call can answer 409, page/limit and dates are
// validated, transcripts refuse a startDate older than three months, and
// every message type of the reference is served with its exact keys (including a
// list row's " description"). Data is generated from a seed relative to
// Options.Now, so runs are reproducible.
package botfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/extract/sandbox"
)

// Demo credentials the fake accepts unless Options says otherwise.
const (
	DemoAppID     = "app_sandbox_4711"
	DemoAppSecret = "bsk_sandbox_q8w3n5x2c7v1"
)

// ChannelNames are the channel codes of the reference.
var ChannelNames = map[int]string{
	1010: "webchat", 1011: "workflow", 1012: "googleBusinessMessages", 1013: "general",
	1014: "whatsapp", 1015: "RCSBusinessMessages", 1016: "telegram", 1017: "facebook",
	1018: "sms", 1019: "hangoutsChat", 1020: "google", 1021: "instagramMessaging",
}

// UsersChannels are the channelIds the users call accepts (the reference's enum).
var UsersChannels = []int{1010, 1014, 1016, 1017}

// Expiry formats for the token's expireAt: the reference only says "string".
const (
	ExpireISO     = "iso"
	ExpireEpochS  = "epoch_s"
	ExpireEpochMS = "epoch_ms"
)

// Options configures a fake.
type Options struct {
	Seed int64
	// Now anchors the data: 120 days of transcripts up to Now. Zero: time.Now.
	Now time.Time
	// Scale multiplies the users per channel (1: 60). Zero means 1.
	Scale float64
	// AppID and AppSecret are the accepted credentials (default Demo*).
	AppID, AppSecret string
	// TokenTTL is a token's lifetime (default 10 minutes).
	TokenTTL time.Duration
	// ConflictRate is the chance that a token call answers 409.
	ConflictRate float64
	// ExpireFormat is how expireAt is written: ExpireISO (default),
	// ExpireEpochS or ExpireEpochMS.
	ExpireFormat string
	// EchoRequest makes error bodies repeat the request body, as some
	// validation layers do; tests use it to prove secrets are redacted.
	EchoRequest bool
	// Clock is the API's current time (token expiry, the 3-month rule).
	// Nil: Now plus the wall time elapsed since New.
	Clock func() time.Time
	// AuthScheme is the word the API wants before the token (default
	// Bearer, the project's guess); AuthSchemeNone wants the token alone.
	AuthScheme string
	// PerPageTotal makes users' and transcripts' total count the current
	// page only, and their pages always 1: the other reading of fields the
	// reference shows but does not describe.
	PerPageTotal bool
}

// AuthSchemeNone is Options.AuthScheme for a bare token.
const AuthSchemeNone = "none"

// Fake is the bot platform API. Use it as an http.Handler. It counts
// requests by path (Requests("/users")).
type Fake struct {
	*sandbox.API

	opts  Options
	clock sandbox.Clock
	rng   *mrand.Rand // conflicts only; under stateMu

	mu   sync.RWMutex
	data *dataset

	stateMu      sync.Mutex
	tokens       map[string]time.Time
	issued       int
	conflicts    int
	conflictNext int
	unauthorized int
	refuseTokens bool
}

// New builds a fake with deterministic data.
func New(opts Options) *Fake {
	opts.Now = sandbox.Anchor(opts.Now, time.Second)
	if opts.Scale <= 0 {
		opts.Scale = 1
	}
	if opts.AppID == "" {
		opts.AppID = DemoAppID
	}
	if opts.AppSecret == "" {
		opts.AppSecret = DemoAppSecret
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 10 * time.Minute
	}
	if opts.ExpireFormat == "" {
		opts.ExpireFormat = ExpireISO
	}
	f := &Fake{
		opts:   opts,
		clock:  sandbox.NewClock(opts.Now, opts.Clock),
		rng:    mrand.New(mrand.NewSource(opts.Seed + 1)),
		data:   generate(opts.Seed, opts.Now, opts.Scale, UsersChannels),
		tokens: map[string]time.Time{},
	}
	f.API = sandbox.NewAPI(opts.Seed, f.serveAPI, func(status int, msg string) []byte {
		return errorJSON(status, msg, nil)
	}, nil)
	return f
}

// Now is the instant the data was generated up to.
func (f *Fake) Now() time.Time { return f.opts.Now }

// Clock is the API's current time.
func (f *Fake) Clock() time.Time { return f.clock.Now() }

// Earliest is the oldest startDate transcripts accept at the API's now.
func (f *Fake) Earliest() time.Time { return f.Clock().AddDate(0, -3, 0) }

// TokensIssued counts successful token calls.
func (f *Fake) TokensIssued() int {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	return f.issued
}

// Conflicts counts token calls answered 409.
func (f *Fake) Conflicts() int {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	return f.conflicts
}

// Unauthorized counts calls refused with 401.
func (f *Fake) Unauthorized() int {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	return f.unauthorized
}

// ExpireTokens makes every token issued so far expired, as if their TTL had
// passed on the server while the client still believes them valid.
func (f *Fake) ExpireTokens() {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	for t := range f.tokens {
		f.tokens[t] = time.Time{}
	}
}

// SetRefuseTokens makes every call but the token call answer 401 even with
// a live token, as for an app without Open API access.
func (f *Fake) SetRefuseTokens(refuse bool) {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	f.refuseTokens = refuse
}

// ConflictNext makes the next n token calls answer 409.
func (f *Fake) ConflictNext(n int) {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	f.conflictNext = n
}

// Users returns deep copies of every user, by channel then id.
func (f *Fake) Users() []User {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]User, len(f.data.users))
	for i, u := range f.data.users {
		out[i] = u.clone()
	}
	return out
}

// ActiveUsers returns the users of channel with a message in [start, end).
func (f *Fake) ActiveUsers(channel int, start, end time.Time) []User {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []User
	for _, u := range f.data.users {
		if u.ChannelID == channel && u.activeIn(start, end) {
			out = append(out, u.clone())
		}
	}
	return out
}

// SetCustomFields replaces a user's custom fields (tests of "newest wins").
func (f *Fake) SetCustomFields(channel int, userID string, fields map[string]any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.user(channel, userID)
	if u == nil {
		return fmt.Errorf("botfake: no user %q in channel %d", userID, channel)
	}
	u.CustomFields = deepCopy(fields).(map[string]any)
	return nil
}

func (f *Fake) user(channel int, id string) *User {
	i := sort.Search(len(f.data.users), func(i int) bool {
		u := f.data.users[i]
		return u.ChannelID > channel || (u.ChannelID == channel && u.ID >= id)
	})
	if i < len(f.data.users) && f.data.users[i].ChannelID == channel && f.data.users[i].ID == id {
		return f.data.users[i]
	}
	return nil
}

func (u *User) activeIn(start, end time.Time) bool {
	i := sort.Search(len(u.Messages), func(i int) bool { return !u.Messages[i].CreatedAt.Before(start) })
	return i < len(u.Messages) && u.Messages[i].CreatedAt.Before(end)
}

func (u *User) clone() User {
	c := *u
	c.CustomFields = deepCopy(u.CustomFields).(map[string]any)
	c.Messages = make([]Message, len(u.Messages))
	for i, m := range u.Messages {
		m.Payload = deepCopy(m.Payload)
		if m.Extra != nil {
			m.Extra = deepCopy(m.Extra).(map[string]any)
		}
		c.Messages[i] = m
	}
	return c
}

// deepCopy copies JSON-shaped values (maps, slices, scalars).
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// errorJSON is the platform's error shape (not in the reference; a NestJS-style
// body is assumed). echo, when set, is repeated back.
func errorJSON(status int, msg string, echo any) []byte {
	body := map[string]any{"statusCode": status, "message": msg, "error": http.StatusText(status)}
	if echo != nil {
		body["request"] = echo
	}
	b, _ := json.Marshal(body)
	return b
}

func (f *Fake) writeError(w http.ResponseWriter, r *http.Request, status int, msg string, echo any) {
	if !f.opts.EchoRequest {
		echo = nil
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(errorJSON(status, msg, echo))
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	path := "/" + strings.Trim(r.URL.Path, "/")
	routes := map[string]struct {
		method string
		serve  func(http.ResponseWriter, *http.Request)
		params []string
	}{
		"/auth/token":  {http.MethodPost, f.serveToken, nil},
		"/usage":       {http.MethodGet, f.serveUsage, []string{"monthDate", "channelId"}},
		"/users":       {http.MethodPost, f.serveUsers, []string{"page", "limit"}},
		"/transcripts": {http.MethodPost, f.serveTranscripts, []string{"page", "limit"}},
	}
	rt, ok := routes[path]
	if !ok {
		f.writeError(w, r, http.StatusNotFound, "Cannot "+r.Method+" "+path, nil)
		return
	}
	if r.Method != rt.method {
		w.Header().Set("Allow", rt.method)
		f.writeError(w, r, http.StatusMethodNotAllowed, "Cannot "+r.Method+" "+path, nil)
		return
	}
	if path != "/auth/token" && !f.authorized(w, r) {
		return
	}
	// A misspelt parameter would otherwise be ignored and its default
	// served, so a typo would pass every test.
	for k := range r.URL.Query() {
		if !slices.Contains(rt.params, k) {
			f.writeError(w, r, http.StatusBadRequest, fmt.Sprintf("unknown parameter %q (allowed: %s)", k, strings.Join(rt.params, ", ")), nil)
			return
		}
	}
	rt.serve(w, r)
}

func (f *Fake) authorized(w http.ResponseWriter, r *http.Request) bool {
	scheme := f.opts.AuthScheme
	if scheme == "" {
		scheme = "Bearer"
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), scheme+" ")
	if scheme == AuthSchemeNone {
		tok, ok = r.Header.Get("Authorization"), !strings.Contains(r.Header.Get("Authorization"), " ")
	}
	now := f.Clock()
	f.stateMu.Lock()
	exp, known := f.tokens[strings.TrimSpace(tok)]
	live := ok && known && now.Before(exp) && !f.refuseTokens
	if !live {
		f.unauthorized++
	}
	f.stateMu.Unlock()
	if !live {
		msg := "Unauthorized: missing or unknown token"
		if known {
			msg = "Unauthorized: token expired or not allowed"
		}
		// Echoing what was sent is how a client that logs error bodies
		// leaks tokens; with EchoRequest the fake does it.
		f.writeError(w, r, http.StatusUnauthorized, msg, map[string]string{"authorization": r.Header.Get("Authorization")})
	}
	return live
}

func (f *Fake) serveToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AppID     *string `json:"appId"`
		AppSecret *string `json:"appSecret"`
	}
	if err := decodeBody(r, &body); err != nil {
		f.writeError(w, r, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if body.AppID == nil || body.AppSecret == nil || *body.AppID == "" || *body.AppSecret == "" {
		f.writeError(w, r, http.StatusBadRequest, "appId and appSecret are required", body)
		return
	}
	if *body.AppID != f.opts.AppID || *body.AppSecret != f.opts.AppSecret {
		// The reference lists 200, 400 and 409 for this call: bad credentials are a 400.
		f.writeError(w, r, http.StatusBadRequest, "invalid appId or appSecret", body)
		return
	}
	f.stateMu.Lock()
	conflict := f.conflictNext > 0 || (f.opts.ConflictRate > 0 && f.rng.Float64() < f.opts.ConflictRate)
	if f.conflictNext > 0 {
		f.conflictNext--
	}
	if conflict {
		f.conflicts++
		f.stateMu.Unlock()
		f.writeError(w, r, http.StatusConflict, "a token is already being generated for this app, retry shortly", nil)
		return
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := "bt_" + hex.EncodeToString(b[:])
	exp := f.Clock().Add(f.opts.TokenTTL)
	f.tokens[tok] = exp
	f.issued++
	f.stateMu.Unlock()

	var expireAt string
	switch f.opts.ExpireFormat {
	case ExpireEpochS:
		expireAt = fmt.Sprint(exp.Unix())
	case ExpireEpochMS:
		expireAt = fmt.Sprint(exp.UnixMilli())
	default:
		expireAt = exp.Format("2006-01-02T15:04:05.000Z")
	}
	writeJSON(w, map[string]any{"authToken": tok, "expireAt": expireAt})
}

func decodeBody(r *http.Request, out any) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("Content-Type must be application/json, got %q", ct)
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("request body is not valid JSON: %v", err)
	}
	return nil
}
