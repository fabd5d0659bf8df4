package httpclient

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/adoptionlabs/etl/redact"
)

// Redacted replaces secrets in errors and logs.
const Redacted = redact.Marker

// ErrTimeout marks an attempt that exceeded Config.Timeout while the caller's
// context was still alive. It is deliberately not context.DeadlineExceeded:
// callers use that to mean their own deadline passed.
var ErrTimeout = errors.New("request attempt timed out")

// maxBodySnippet is how much of an error body StatusError keeps: enough to
// show an API's error code and message, small enough for one log line.
const maxBodySnippet = 512

// StatusError is a final non-2xx response.
type StatusError struct {
	Method string
	// URL is the request path and query, redacted; never the host, so that
	// messages stay short and identical across sandboxes and production.
	URL    string
	Status int
	// Body is the start of the response body, redacted.
	Body string
	// RetryAfter is the server's Retry-After, if it sent one.
	RetryAfter time.Duration
	Attempts   int
}

func (e *StatusError) Error() string {
	var b strings.Builder
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.URL)
	b.WriteString(": ")
	b.WriteString(statusText(e.Status))
	b.WriteString(" after ")
	b.WriteString(plural(e.Attempts, "attempt"))
	if e.Body != "" {
		b.WriteString(": ")
		b.WriteString(e.Body)
	}
	return b.String()
}

// Fix says what to change for a status a rerun cannot cure, and "" for
// the ones the client retries (429, 5xx), a timeout or a conflict, which a
// later run may not meet (engine.FixOf reads it).
func (e *StatusError) Fix() string {
	switch {
	case retryableStatus(e.Status), e.Status < 400, e.Status > 499,
		e.Status == http.StatusRequestTimeout, e.Status == http.StatusConflict:
		return ""
	}
	switch e.Status {
	case http.StatusUnauthorized:
		return "check this source's credentials (the API refused them)"
	case http.StatusForbidden:
		return "check that this source's credentials may use this endpoint"
	case http.StatusNotFound, http.StatusGone:
		return "check base_url and paths in this source's settings"
	}
	return "check this source's settings (the API refused the request)"
}

// IsStatus reports whether err is (or wraps) a StatusError with one of the
// given codes, or with any code if none are given.
func IsStatus(err error, codes ...int) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	return len(codes) == 0 || slices.Contains(codes, se.Status)
}

// RequestError is a final failure that is not an HTTP status: network errors,
// timeouts, truncated or undecodable bodies, cancellation.
type RequestError struct {
	Method   string
	URL      string // path and query, redacted
	Attempts int
	// Err is the cause. Its own text is not redacted; print the
	// RequestError, not Err.
	Err error
	msg string
	// transient: the client retries this kind of failure (it ran out of
	// retries or time), so a later run may succeed.
	transient bool
}

func (e *RequestError) Error() string { return e.msg }
func (e *RequestError) Unwrap() error { return e.Err }

// Fix says what to change when the failure is not one the client retries
// ("" when it is; engine.FixOf reads it).
func (e *RequestError) Fix() string {
	if e.transient || errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, context.DeadlineExceeded) {
		return ""
	}
	var fixer interface{ Fix() string }
	if errors.As(e.Err, &fixer) {
		return fixer.Fix()
	}
	var dns *net.DNSError
	if errors.As(e.Err, &dns) && dns.IsNotFound {
		return "check the host in base_url (" + dns.Name + " is not known)"
	}
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(e.Err, &unknownAuthority) || errors.As(e.Err, &hostname) || errors.As(e.Err, &invalid) {
		return "check base_url (its TLS certificate is not accepted)"
	}
	return "check base_url and paths in this source's settings (the answer is not what etl expects)"
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// sensitiveQueryKeys are substrings of query parameter names whose values are
// hidden in errors and logs even if nobody listed them as secrets.
var sensitiveQueryKeys = []string{"key", "token", "secret", "password", "passwd", "auth", "signature", "credential"}

func sensitiveKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range sensitiveQueryKeys {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// displayURL renders path and query for humans: no host, sensitive query
// values replaced. The marker is written unescaped so it reads as intended.
func displayURL(u *url.URL) string {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery == "" {
		return path
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		// An unparsable query could hide anything; show none of it.
		return path + "?" + Redacted
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(path)
	for i, k := range keys {
		for j, v := range q[k] {
			if i == 0 && j == 0 {
				b.WriteByte('?')
			} else {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			if sensitiveKey(k) {
				b.WriteString(Redacted)
			} else {
				b.WriteString(url.QueryEscape(v))
			}
		}
	}
	return b.String()
}

// snippet turns the start of an error body into one short, redacted line.
// Redaction runs before truncation so a secret cut in half by the limit
// cannot leak its first part.
func snippet(r *redact.Redactor, body []byte, extra []string) string {
	s := r.WithExtra(string(body), extra)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxBodySnippet {
		return strings.ToValidUTF8(s, "?")
	}
	cut := maxBodySnippet
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "?") + "…"
}
