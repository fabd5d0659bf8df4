package httpclient

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// retryableStatus lists the statuses that mean "try again later". Other 4xx
// are the caller's mistake (or bad credentials) and retrying only burns quota.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableNetErr decides whether a transport error is transient. It is an
// allow-list: certificate problems, bad URLs or unknown hosts will not fix
// themselves within a backoff window.
func retryableNetErr(err error) bool {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT):
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	// net/http's bundled HTTP/2 errors are unexported; a GOAWAY or a reset
	// stream is the HTTP/2 form of a dropped connection.
	msg := err.Error()
	return strings.Contains(msg, "GOAWAY") || strings.Contains(msg, "stream error") ||
		strings.Contains(msg, "server closed idle connection")
}

// backoff returns the wait before retry number n (0-based): full jitter over
// an exponentially growing window, which spreads the goroutines of a source
// that failed together instead of having them retry in lockstep.
func (c *Client) backoff(n int) time.Duration {
	window := c.cfg.BackoffMax
	if n < 62 {
		if w := c.cfg.BackoffBase << n; w > 0 && w < window && w>>n == c.cfg.BackoffBase {
			window = w
		}
	}
	return c.jitter(window)
}

func fullJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(max) + 1))
}

// parseRetryAfter reads delta-seconds or an HTTP-date. Zero means absent or
// unusable; a date in the past means "now" and is also zero.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		const maxSecs = 365 * 24 * 3600 // clamp: keeps the Duration from overflowing
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, maxSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
