package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/httpclient"
)

// tokenAuth is the bot platform's session token: POST the app id and secret,
// get {authToken, expireAt}, send "Authorization: Bearer <token>" on every
// other call. All workers of a source share one tokenAuth, hence one token
// and at most one token call in flight.
//
// It implements httpclient.Authenticator (Apply) and httpclient.Refresher
// (Invalidate: the client calls it once on a 401 before one retry).
type tokenAuth struct {
	// tokenClient has no Authenticator: the token call must not recurse
	// into Apply.
	tokenClient     *httpclient.Client
	path            string
	appID           string
	appSecret       string
	refreshBefore   time.Duration
	conflictRetries int
	conflictWait    time.Duration
	// scheme is auth_scheme: the word before the token, or "none".
	scheme string
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	log    *slog.Logger

	mu       sync.Mutex
	token    string
	renewAt  time.Time // zero: keep until a 401
	inflight *tokenCall

	fetches   atomic.Int64 // tokens obtained
	conflicts atomic.Int64 // 409 answers to the token call
}

// authError carries a failed token call out through the data request that
// needed the token. It deliberately does not unwrap: the HTTP client reports
// a StatusError found anywhere in an error's chain as the request's own
// status, which would reduce "the platform refused the app credentials:
// check ..." to a bare "POST /auth/token: 400".
type authError struct{ msg string }

func (e *authError) Error() string { return e.msg }

type tokenCall struct {
	done  chan struct{}
	token string
	err   error
}

// usedToken is put in a call's context by api.call so that Invalidate knows
// which token the refused request carried. Without it, eight workers that
// all got a 401 on the same expired token would each throw away the fresh
// token the first of them fetched, and fetch seven more.
type usedToken struct{ token string }

type usedTokenKey struct{}

func withUsedToken(ctx context.Context) context.Context {
	return context.WithValue(ctx, usedTokenKey{}, &usedToken{})
}

// Apply sets the token under auth_scheme (Bearer by default), fetching one
// first if there is none or it is about to expire.
func (a *tokenAuth) Apply(ctx context.Context, req *http.Request) error {
	tok, err := a.Token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return &authError{msg: err.Error()}
	}
	if u, ok := ctx.Value(usedTokenKey{}).(*usedToken); ok {
		u.token = tok
	}
	switch {
	case strings.EqualFold(a.scheme, "none"):
		req.Header.Set("Authorization", tok)
	case a.scheme == "":
		req.Header.Set("Authorization", "Bearer "+tok)
	default:
		req.Header.Set("Authorization", a.scheme+" "+tok)
	}
	return nil
}

// Invalidate drops the token the refused request carried, unless another
// worker has already replaced it.
func (a *tokenAuth) Invalidate(ctx context.Context) {
	u, _ := ctx.Value(usedTokenKey{}).(*usedToken)
	a.mu.Lock()
	defer a.mu.Unlock()
	if u == nil || u.token == "" || u.token == a.token {
		a.token = ""
	}
}

// Fetches is how many tokens were obtained (the run summary's "token
// refreshes" is this minus one).
func (a *tokenAuth) Fetches() int64 { return a.fetches.Load() }

// Token returns a live token, sharing one token call among concurrent callers.
func (a *tokenAuth) Token(ctx context.Context) (string, error) {
	for {
		a.mu.Lock()
		if a.token != "" && (a.renewAt.IsZero() || a.now().Before(a.renewAt)) {
			tok := a.token
			a.mu.Unlock()
			return tok, nil
		}
		call := a.inflight
		leader := call == nil
		if leader {
			call = &tokenCall{done: make(chan struct{})}
			a.inflight = call
		}
		a.mu.Unlock()

		if leader {
			tok, renewAt, err := a.fetch(ctx)
			a.mu.Lock()
			if err == nil {
				a.token, a.renewAt = tok, renewAt
			}
			a.inflight = nil
			a.mu.Unlock()
			call.token, call.err = tok, err
			close(call.done)
			return tok, err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-call.done:
		}
		if call.err == nil {
			return call.token, nil
		}
		// The leader gave up because its own context ended: our context is
		// still alive, so try again (possibly as the new leader).
		if errors.Is(call.err, context.Canceled) || errors.Is(call.err, context.DeadlineExceeded) {
			continue
		}
		return "", call.err
	}
}

type tokenResponse struct {
	AuthToken string          `json:"authToken"`
	ExpireAt  json.RawMessage `json:"expireAt"`
}

// fetch performs the token call, waiting and retrying on 409 (the platform's
// answer while a token for this app is being generated).
func (a *tokenAuth) fetch(ctx context.Context) (string, time.Time, error) {
	req := httpclient.Request{Method: http.MethodPost, Path: a.path,
		JSON: map[string]string{"appId": a.appID, "appSecret": a.appSecret}}
	for attempt := 0; ; attempt++ {
		var resp tokenResponse
		err := a.tokenClient.JSON(ctx, req, &resp)
		switch {
		case err == nil:
			if resp.AuthToken == "" {
				return "", time.Time{}, fmt.Errorf("bot auth: POST %s answered without an authToken", a.path)
			}
			a.fetches.Add(1)
			return resp.AuthToken, a.renewTime(resp.ExpireAt), nil
		case httpclient.IsStatus(err, http.StatusConflict):
			a.conflicts.Add(1)
			if attempt >= a.conflictRetries {
				return "", time.Time{}, fmt.Errorf("bot auth: the token call kept answering 409 Conflict (%d tries): another client may be generating tokens for this app id; retry later or raise token_conflict_retries: %w", attempt+1, err)
			}
			wait := a.conflictWait << min(attempt, 6)
			if err := a.sleep(ctx, wait); err != nil {
				return "", time.Time{}, err
			}
		case httpclient.IsStatus(err, http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden):
			return "", time.Time{}, engine.NeedsFix("check BOT_APP_ID and BOT_APP_SECRET (the platform refused the app credentials)", fmt.Errorf("bot auth: %w", err))
		default:
			return "", time.Time{}, fmt.Errorf("bot auth: get a token: %w", err)
		}
	}
}

// renewTime decides when to fetch the next token: refreshBefore ahead of
// expireAt, or halfway through the token's life if that is shorter. A token
// with an unreadable or already-past expiry (clock skew) is kept until the
// API answers 401, rather than fetching a new one on every call.
func (a *tokenAuth) renewTime(raw json.RawMessage) time.Time {
	now := a.now()
	exp, ok := parseExpireAt(raw, now)
	if !ok || !exp.After(now) {
		a.log.Warn("bot auth: token expireAt unreadable or in the past; using the token until the API refuses it",
			slog.String("expireAt", string(raw)))
		return time.Time{}
	}
	renew := exp.Add(-a.refreshBefore)
	if !renew.After(now) {
		renew = now.Add(exp.Sub(now) / 2)
	}
	return renew
}

// parseExpireAt reads expireAt in the forms APIs use: ISO 8601 text, epoch
// seconds or milliseconds (as a number or a numeric string). The reference shows
// only "string". Values too small to be an epoch are read as seconds from
// now (an expires-in).
func parseExpireAt(raw json.RawMessage, now time.Time) (time.Time, bool) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, false
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, false
		}
		s = strings.TrimSpace(s)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return time.Time{}, false
	}
	switch {
	case f >= 1e11:
		return time.UnixMilli(int64(f)).UTC(), true
	case f >= 1e9:
		return time.Unix(int64(f), 0).UTC(), true
	}
	return now.Add(time.Duration(f * float64(time.Second))), true
}
