package httpclient

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultTimeout       = 60 * time.Second
	DefaultMaxRetries    = 5
	DefaultBackoffBase   = 500 * time.Millisecond
	DefaultBackoffMax    = 30 * time.Second
	DefaultMaxRetryAfter = 2 * time.Minute
	// A JSON page is held in memory whole; a download goes to disk. Both
	// are far above what the APIs send, and there only so that a runaway
	// or hostile response fails one page instead of the host.
	DefaultMaxBody     ByteSize = 256 << 20
	DefaultMaxDownload ByteSize = 8 << 30
)

// DefaultUserAgent is the User-Agent for the given program version; API
// providers that see unusual traffic can find who we are from it.
func DefaultUserAgent(version string) string {
	if version == "" {
		version = "dev"
	}
	return "etl/" + version + " (+https://github.com/adoptionlabs/etl)"
}

// Config configures a Client. Zero values mean "default"; for the integer and
// duration knobs where zero is a meaningful setting, a negative value selects
// it (MaxRetries: -1 = no retries).
type Config struct {
	// BaseURL is joined with Request.Path; any path prefix is kept, so
	// https://whatfix.com/api/v1 + /users = https://whatfix.com/api/v1/users.
	BaseURL string
	// Timeout bounds one attempt including reading the body. For
	// Download it is an idle timeout instead (see Download).
	Timeout time.Duration
	// MaxRetries is the number of retries after the first attempt.
	MaxRetries int
	// BackoffBase and BackoffMax shape exponential backoff with full jitter:
	// the n-th retry waits a random time in [0, min(BackoffMax, BackoffBase*2^n)].
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// MaxRetryAfter caps an honoured Retry-After. A server asking for more
	// fails the call at once: sleeping an hour inside a sync run is never
	// what the operator wants, and the error says so.
	MaxRetryAfter time.Duration
	// RateLimit is the client-side limit for the whole source; every
	// attempt, retries included, waits for it.
	RateLimit Rate
	// UserAgent defaults to DefaultUserAgent("dev").
	UserAgent string
	// Header holds static headers sent with every request (e.g.
	// Userflow-Version). Request.Header overrides them.
	Header http.Header
	// Auth is applied to every attempt, so rotating credentials are picked
	// up by retries. May be nil.
	Auth Authenticator
	// Secrets are replaced by [REDACTED] in every error and log line.
	// Credentials set by Auth are redacted too, without being listed here.
	Secrets []string
	// Transport replaces the default transport (tests, sandboxes).
	Transport http.RoundTripper
	// Logger receives a Warn line per retry; nil discards.
	Logger *slog.Logger
	// TempDir is where Download creates its file for a large body ("" = os.TempDir()).
	TempDir string
	// MaxBody caps a JSON response body (read into memory), MaxDownload a
	// Download body. A larger body fails the call with a
	// *BodyTooLargeError, without retries.
	MaxBody     ByteSize
	MaxDownload ByteSize
}

func (cfg *Config) setDefaults() {
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.BackoffMax < cfg.BackoffBase {
		cfg.BackoffMax = cfg.BackoffBase
	}
	if cfg.MaxRetryAfter == 0 {
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxDownload <= 0 {
		cfg.MaxDownload = DefaultMaxDownload
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent("")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}

// Rate is a request budget: Requests per Per. The zero Rate is unlimited.
type Rate struct {
	Requests int
	Per      time.Duration
}

// Unlimited reports whether r imposes no limit.
func (r Rate) Unlimited() bool { return r.Requests <= 0 || r.Per <= 0 }

// String renders r in the form ParseRate accepts.
func (r Rate) String() string {
	if r.Unlimited() {
		return "unlimited"
	}
	switch r.Per {
	case time.Second:
		return strconv.Itoa(r.Requests) + "/s"
	case time.Minute:
		return strconv.Itoa(r.Requests) + "/min"
	case time.Hour:
		return strconv.Itoa(r.Requests) + "/h"
	}
	return strconv.Itoa(r.Requests) + "/" + r.Per.String()
}

var rateUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "second": time.Second,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hour": time.Hour,
}

// ParseRate parses "10/s", "600/min", "5/m", "1000/h", "3/10s" or
// "unlimited" (also ""). The unit after the slash is a unit name or a Go
// duration.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" || s == "unlimited" || s == "none" {
		return Rate{}, nil
	}
	num, unit, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want N/unit, e.g. 10/s or 600/min, or unlimited", s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n <= 0 {
		return Rate{}, fmt.Errorf("rate %q: request count must be a positive integer", s)
	}
	unit = strings.TrimSpace(unit)
	per, ok := rateUnits[unit]
	if !ok {
		per, err = time.ParseDuration(unit)
		if err != nil || per <= 0 {
			return Rate{}, fmt.Errorf("rate %q: unknown unit %q (use s, min, h or a duration like 10s)", s, unit)
		}
	}
	return Rate{Requests: n, Per: per}, nil
}

// clock is injected so tests can assert waits without really waiting.
type clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error { return Sleep(ctx, d) }

// Sleep waits d unless ctx ends first, and then returns ctx's error. Waits
// between attempts use it, so Ctrl-C or a deadline never waits out a
// backoff.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
