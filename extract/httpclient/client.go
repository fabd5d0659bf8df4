package httpclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/adoptionlabs/etl/redact"
)

// Request describes one logical call; it is turned into a fresh *http.Request
// for every attempt.
type Request struct {
	// Method defaults to GET, or POST when JSON or Form is set.
	Method string
	// Path is relative to Config.BaseURL and may carry its own query, so a
	// "next" link such as /users?starting_after=10 can be passed as is. An
	// absolute URL is accepted only on BaseURL's scheme and host: credentials
	// must not follow a link to another origin.
	Path string
	// Query is added to the query already in Path.
	Query url.Values
	// JSON, if non-nil, is marshalled once and sent as the body of every
	// attempt.
	JSON any
	// Form, if non-nil, is sent url-encoded (token endpoints want this).
	Form url.Values
	// Header overrides Config.Header for this request.
	Header http.Header
}

// Client is safe for concurrent use; all goroutines of a source should share
// one so that they share its rate limit.
type Client struct {
	cfg      Config
	base     *url.URL
	hc       *http.Client
	limiter  *rate.Limiter // nil = unlimited
	red      *redact.Redactor
	refresh  Refresher // cfg.Auth as a Refresher, or nil
	clock    clock
	jitter   func(max time.Duration) time.Duration
	pauseEnd atomic.Int64 // UnixNano before which no attempt starts (server-requested pause)
}

// New validates cfg and builds a Client. No request is made.
func New(cfg Config) (*Client, error) {
	cfg.setDefaults()
	secrets := append([]string(nil), cfg.Secrets...)
	if sh, ok := cfg.Auth.(secretHolder); ok {
		secrets = append(secrets, sh.secrets()...)
	}
	c := &Client{
		cfg:    cfg,
		red:    redact.New(secrets),
		clock:  realClock{},
		jitter: fullJitter,
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		// url.Parse's error quotes the URL, which may carry a key; say it
		// ourselves, redacted.
		return nil, fmt.Errorf("httpclient: BaseURL %q must be an absolute http(s) URL",
			c.red.String(cfg.BaseURL))
	}
	base.Fragment, base.RawFragment = "", ""
	c.base = base
	if cfg.RateLimit.Requests < 0 || cfg.RateLimit.Per < 0 {
		return nil, fmt.Errorf("httpclient: negative rate limit %d per %s", cfg.RateLimit.Requests, cfg.RateLimit.Per)
	}
	if !cfg.RateLimit.Unlimited() {
		// Burst 1 spaces requests evenly: APIs enforce their quota over
		// sliding windows, and a full-window burst at start-up is exactly
		// what trips them.
		c.limiter = rate.NewLimiter(rate.Limit(float64(cfg.RateLimit.Requests)/cfg.RateLimit.Per.Seconds()), 1)
	}
	if r, ok := cfg.Auth.(Refresher); ok {
		c.refresh = r
	}
	transport := cfg.Transport
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// The default of 2 idle connections per host makes a source with
		// several concurrent streams reconnect (and re-handshake) constantly.
		t.MaxIdleConnsPerHost = 16
		transport = t
	}
	c.hc = &http.Client{Transport: transport, CheckRedirect: checkRedirect}
	return c, nil
}

// JSON performs req and decodes the 2xx response body into out (which may be
// nil to discard it). A truncated or syntactically invalid body is retried
// like a 5xx, since proxies and overloaded servers produce both; a valid body
// that does not fit out is not, since retrying cannot change it.
func (c *Client) JSON(ctx context.Context, req Request, out any) error {
	if req.Header.Get("Accept") == "" {
		req.Header = cloneHeader(req.Header)
		req.Header.Set("Accept", "application/json")
	}
	return c.do(ctx, req, false, func(resp *http.Response, body io.Reader) error {
		if err := checkLength(resp, c.cfg.MaxBody, "max_body"); err != nil {
			return err
		}
		var lend func(int) []byte
		if b, ok := out.(BodyDecoder); ok {
			lend = b.BodyBuffer
		}
		data, err := readBody(body, resp.ContentLength, int64(c.cfg.MaxBody)+1, lend)
		if err != nil {
			return err
		}
		if int64(len(data)) > int64(c.cfg.MaxBody) {
			return &BodyTooLargeError{Limit: c.cfg.MaxBody, Setting: "max_body"}
		}
		if resp.ContentLength >= 0 && int64(len(data)) != resp.ContentLength {
			return retryable(fmt.Errorf("truncated body: got %d of %d bytes", len(data), resp.ContentLength))
		}
		if out == nil || resp.StatusCode == http.StatusNoContent {
			return nil
		}
		// Unmarshal validates the whole input before storing anything, so a
		// malformed body leaves out untouched for the next attempt.
		if err := decodeJSON(data, out); err != nil {
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				return retryable(fmt.Errorf("malformed JSON body (%d bytes): %w", len(data), err))
			}
			return fmt.Errorf("decode JSON body: %w", err)
		}
		return nil
	})
}

// writeDownload writes one attempt's body to f from its start.
func (c *Client) writeDownload(f *os.File, resp *http.Response, body io.Reader) (int64, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("rewind download file: %w", err)
	}
	if err := f.Truncate(0); err != nil {
		return 0, fmt.Errorf("truncate download file: %w", err)
	}
	if err := checkLength(resp, c.cfg.MaxDownload, "max_download"); err != nil {
		return 0, err
	}
	n, err := io.Copy(f, io.LimitReader(body, int64(c.cfg.MaxDownload)+1))
	if n > int64(c.cfg.MaxDownload) {
		return n, &BodyTooLargeError{Limit: c.cfg.MaxDownload, Setting: "max_download"}
	}
	if err != nil {
		var re *readError
		if errors.As(err, &re) {
			return n, err
		}
		return n, fmt.Errorf("write download file: %w", err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, retryable(fmt.Errorf("truncated body: got %d of %d bytes", n, resp.ContentLength))
	}
	return n, nil
}

// Download is a downloaded body, read from memory or from a temporary
// file; Close frees either.
type Download struct {
	io.Reader
	Size int64
	file *os.File
}

// Close removes the temporary file, if there is one.
func (d *Download) Close() error {
	if d.file == nil {
		return nil
	}
	err := d.file.Close()
	if rerr := os.Remove(d.file.Name()); err == nil {
		err = rerr
	}
	return err
}

// smallDownload is the largest body Download keeps in memory. Reports of a
// day are mostly a few KB: a temporary file each (create, write, read,
// remove) was a third of a Whatfix backfill's CPU, in system calls.
const smallDownload = 1 << 20

// Download fetches a 2xx response body whole. One announced at most
// smallDownload long is read into memory; a larger or unannounced one is
// streamed to a temporary file, so a large export never sits in memory.
// The caller must Close it. A body cut short is retried from its start, so
// the content is never a mix of attempts.
//
// Timeout is applied as an idle timeout here (time to headers, then time
// between reads), because a large export legitimately takes longer than any
// sensible per-page limit while a stalled one should still fail.
func (c *Client) Download(ctx context.Context, req Request) (*Download, error) {
	var (
		mem []byte
		f   *os.File
		n   int64
	)
	err := c.do(ctx, req, true, func(resp *http.Response, body io.Reader) error {
		mem = nil
		if resp.ContentLength >= 0 && resp.ContentLength <= smallDownload {
			if err := checkLength(resp, c.cfg.MaxDownload, "max_download"); err != nil {
				return err
			}
			data, err := readBody(body, resp.ContentLength, resp.ContentLength+1, nil)
			if err != nil {
				return err
			}
			if int64(len(data)) != resp.ContentLength {
				return retryable(fmt.Errorf("truncated body: got %d of %d bytes", len(data), resp.ContentLength))
			}
			mem, n = data, int64(len(data))
			return nil
		}
		if f == nil {
			var err error
			if f, err = os.CreateTemp(c.cfg.TempDir, "etl-download-*"); err != nil {
				return fmt.Errorf("create download file: %w", err)
			}
		}
		var err error
		n, err = c.writeDownload(f, resp, body)
		return err
	})
	if err == nil && mem == nil && f != nil {
		if _, serr := f.Seek(0, io.SeekStart); serr != nil {
			err = fmt.Errorf("httpclient: rewind download file: %w", serr)
		}
	}
	if mem != nil || err != nil {
		if f != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
			f = nil
		}
	}
	if err != nil {
		return nil, err
	}
	if mem != nil {
		return &Download{Reader: bytes.NewReader(mem), Size: n}, nil
	}
	return &Download{Reader: f, Size: n, file: f}, nil
}

// BodyTooLargeError is a response body over its cap. It is final: the
// same request would send the same body again.
type BodyTooLargeError struct {
	Limit ByteSize
	// Length is the announced Content-Length, or 0 when the body was cut
	// off while reading.
	Length int64
	// Setting is the pipelines.yaml key of the source that raises the cap.
	Setting string
}

func (e *BodyTooLargeError) Error() string {
	size := "more than " + e.Limit.String()
	if e.Length > 0 {
		size = ByteSize(e.Length).String() + " (Content-Length)"
	}
	return fmt.Sprintf("response body is %s, over the %s cap of %s: if the API really sends this much, raise %s in this source's block of pipelines.yaml",
		size, e.Setting, e.Limit, e.Setting)
}

// Fix says what to change (engine.FixOf reads it).
func (e *BodyTooLargeError) Fix() string {
	return "raise " + e.Setting + " in this source's block of pipelines.yaml if the API really sends this much"
}

// checkLength refuses a body announced over the cap before reading any of it.
func checkLength(resp *http.Response, limit ByteSize, setting string) error {
	if resp.ContentLength > int64(limit) {
		return &BodyTooLargeError{Limit: limit, Length: resp.ContentLength, Setting: setting}
	}
	return nil
}

// consumeFunc reads a 2xx body. Errors it returns are final unless they are
// read errors or marked retryable.
type consumeFunc func(resp *http.Response, body io.Reader) error

type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

func retryable(err error) error { return &retryableError{err} }

// readError marks failures reading the response, as opposed to failures of
// what the body is written to: only the former are worth a retry.
type readError struct{ err error }

func (e *readError) Error() string { return "read body: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// prepared is everything about a Request that does not change per attempt.
type prepared struct {
	method      string
	url         string
	display     string // redacted path+query for errors and logs
	body        []byte
	contentType string
	header      http.Header
	secrets     []string // credential-looking query values, hidden like Config.Secrets
}

func (c *Client) prepare(r Request) (*prepared, error) {
	p := &prepared{method: r.Method, display: c.red.String(r.Path)}
	if p.method == "" {
		p.method = http.MethodGet
		if r.JSON != nil || r.Form != nil {
			p.method = http.MethodPost
		}
	}
	u, err := c.resolve(r.Path, r.Query)
	if err != nil {
		return p, err
	}
	p.url = u.String()
	p.display = c.red.String(displayURL(u))
	p.secrets = queryCredentials(u)
	switch {
	case r.JSON != nil && r.Form != nil:
		return p, errors.New("request has both JSON and Form bodies")
	case r.JSON != nil:
		b, err := json.Marshal(r.JSON)
		if err != nil {
			return p, fmt.Errorf("encode JSON body: %w", err)
		}
		p.body, p.contentType = b, "application/json"
	case r.Form != nil:
		p.body, p.contentType = []byte(r.Form.Encode()), "application/x-www-form-urlencoded"
	}
	p.header = make(http.Header, len(c.cfg.Header)+len(r.Header)+2)
	for k, v := range c.cfg.Header {
		p.header[k] = v
	}
	for k, v := range r.Header {
		p.header[http.CanonicalHeaderKey(k)] = v
	}
	if p.header.Get("User-Agent") == "" {
		p.header.Set("User-Agent", c.cfg.UserAgent)
	}
	if p.contentType != "" && p.header.Get("Content-Type") == "" {
		p.header.Set("Content-Type", p.contentType)
	}
	return p, nil
}

func (c *Client) resolve(path string, extra url.Values) (*url.URL, error) {
	ref, err := url.Parse(path)
	if err != nil {
		return nil, errors.New("invalid request path")
	}
	var u url.URL
	if ref.Scheme != "" || ref.Host != "" {
		if ref.Scheme != c.base.Scheme || ref.Host != c.base.Host {
			return nil, fmt.Errorf("refusing absolute URL on %s://%s: only %s://%s is allowed",
				ref.Scheme, ref.Host, c.base.Scheme, c.base.Host)
		}
		u = *ref
	} else {
		u = *c.base
		joined := strings.TrimSuffix(c.base.EscapedPath(), "/")
		if p := strings.TrimPrefix(ref.EscapedPath(), "/"); p != "" {
			joined += "/" + p
		}
		dec, err := url.PathUnescape(joined)
		if err != nil {
			return nil, errors.New("invalid request path")
		}
		u.Path, u.RawPath = dec, joined
		u.RawQuery = ref.RawQuery
		if c.base.RawQuery != "" {
			u.RawQuery = joinQuery(c.base.RawQuery, ref.RawQuery)
		}
	}
	u.Fragment, u.RawFragment = "", ""
	if len(extra) > 0 {
		q := u.Query()
		for k, vs := range extra {
			q[k] = append(q[k], vs...)
		}
		u.RawQuery = q.Encode()
	}
	return &u, nil
}

func joinQuery(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "&" + b
}

// outcome is the result of one attempt.
type outcome struct {
	err        error // nil = success
	status     int   // set when err is a *StatusError
	retry      bool
	retryAfter time.Duration
	refresh    bool     // 401 that a Refresher may fix
	secrets    []string // per-request credentials: sensitive query values, what Auth set
}

// short is the one-line cause used in logs and "last error" notes, without
// the method and URL that the surrounding message already carries.
func (o outcome) short() string {
	var se *StatusError
	if errors.As(o.err, &se) {
		if se.Body != "" {
			return statusText(se.Status) + ": " + se.Body
		}
		return statusText(se.Status)
	}
	return o.err.Error()
}

func (c *Client) do(ctx context.Context, r Request, idle bool, consume consumeFunc) error {
	p, err := c.prepare(r)
	if err != nil {
		return c.requestError(p, 0, err.Error(), err, nil)
	}
	stats := statsFrom(ctx)
	stats.Add(requestsOf, 1)
	var (
		last      outcome
		retries   int
		refreshed bool
	)
	for attempt := 1; ; attempt++ {
		if err := c.waitTurn(ctx); err != nil {
			return c.abort(p, attempt-1, err, last)
		}
		if attempt > 1 {
			stats.Add(retriesOf, 1)
		}
		o := c.attempt(ctx, p, idle, consume, stats)
		if o.err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return c.abort(p, attempt, ctx.Err(), o)
		}
		last = o
		if o.refresh && !refreshed {
			// One fresh-credentials retry, outside the retry budget: an
			// expired token is not a server fault, and a second 401 means the
			// credentials themselves are wrong.
			refreshed = true
			c.refresh.Invalidate(ctx)
			c.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "http: 401, refreshing credentials",
				slog.String("method", p.method), slog.String("url", p.display))
			continue
		}
		if !o.retry || retries >= c.cfg.MaxRetries {
			return c.final(p, attempt, o)
		}
		if o.retryAfter > c.cfg.MaxRetryAfter {
			return fmt.Errorf("%w (server asked to retry after %s, more than MaxRetryAfter %s)",
				c.final(p, attempt, o), o.retryAfter, c.cfg.MaxRetryAfter)
		}
		wait := max(c.backoff(retries), o.retryAfter)
		retries++
		if o.status == http.StatusTooManyRequests && o.retryAfter > 0 {
			c.pause(o.retryAfter)
		}
		attrs := []slog.Attr{
			slog.String("method", p.method),
			slog.String("url", p.display),
			slog.Int("attempt", attempt),
			slog.Int("max_attempts", c.cfg.MaxRetries+1),
			slog.Duration("wait", wait),
			slog.String("error", c.red.WithExtra(o.short(), o.secrets)),
		}
		if o.status != 0 {
			attrs = append(attrs, slog.Int("status", o.status))
		}
		c.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "http: retrying", attrs...)
		if err := c.sleep(ctx, wait); err != nil {
			return c.abort(p, attempt, err, o)
		}
	}
}

// pause holds back every goroutine of the Client, not just the one that got
// the 429: the server's quota is shared, so they would all be refused.
func (c *Client) pause(d time.Duration) {
	end := c.clock.Now().Add(d).UnixNano()
	for {
		cur := c.pauseEnd.Load()
		if cur >= end || c.pauseEnd.CompareAndSwap(cur, end) {
			return
		}
	}
}

// waitTurn blocks until a server-requested pause is over and the rate
// limiter grants an attempt.
func (c *Client) waitTurn(ctx context.Context) error {
	if end := c.pauseEnd.Load(); end != 0 {
		if d := time.Unix(0, end).Sub(c.clock.Now()); d > 0 {
			if err := c.sleep(ctx, d); err != nil {
				return err
			}
		}
	}
	if c.limiter == nil {
		return ctx.Err()
	}
	now := c.clock.Now()
	res := c.limiter.ReserveN(now, 1)
	if err := c.sleep(ctx, res.DelayFrom(now)); err != nil {
		// Give the slot back so the other goroutines are not slowed by a
		// request that will never be sent.
		res.CancelAt(c.clock.Now())
		return err
	}
	return nil
}

// sleep waits d unless ctx ends first. When ctx's deadline is sooner than d
// it fails at once instead of sleeping uselessly until the deadline.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if deadline, ok := ctx.Deadline(); ok && d > 0 && time.Until(deadline) < d {
		return fmt.Errorf("waiting %s would pass the context deadline: %w", d.Round(time.Millisecond), context.DeadlineExceeded)
	}
	return c.clock.Sleep(ctx, d)
}

type authHeadersKey struct{}

func (c *Client) attempt(ctx context.Context, p *prepared, idle bool, consume consumeFunc, stats statsChain) (o outcome) {
	o.secrets = p.secrets[:len(p.secrets):len(p.secrets)] // appends below must not share p's array
	authHeaders := new([]string)
	actx, cancel := context.WithCancelCause(context.WithValue(ctx, authHeadersKey{}, authHeaders))
	defer cancel(nil)
	timer := time.AfterFunc(c.cfg.Timeout, func() { cancel(ErrTimeout) })
	defer timer.Stop()
	timedOut := func() bool { return ctx.Err() == nil && errors.Is(context.Cause(actx), ErrTimeout) }
	timeoutOutcome := func(phase string) outcome {
		err := fmt.Errorf("%w after %s while %s", ErrTimeout, c.cfg.Timeout, phase)
		if idle {
			err = fmt.Errorf("%w: no data for %s while %s", ErrTimeout, c.cfg.Timeout, phase)
		}
		return outcome{err: err, retry: true, secrets: o.secrets}
	}

	var body io.Reader
	if p.body != nil {
		body = bytes.NewReader(p.body)
	}
	req, err := http.NewRequestWithContext(actx, p.method, p.url, body)
	if err != nil {
		return outcome{err: fmt.Errorf("build request: %w", err), secrets: o.secrets}
	}
	for k, v := range p.header {
		req.Header[k] = v
	}
	if c.cfg.Auth != nil {
		before := req.Header.Clone()
		if err := c.cfg.Auth.Apply(actx, req); err != nil {
			if timedOut() {
				return timeoutOutcome("authenticating")
			}
			return outcome{err: fmt.Errorf("authenticate: %w", err), secrets: o.secrets}
		}
		var vals []string
		*authHeaders, vals = authChanges(before, req.Header)
		o.secrets = append(o.secrets, autoSecrets(vals)...)
		if req.URL.RawQuery != "" {
			o.secrets = append(o.secrets, queryCredentials(req.URL)...)
		}
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return outcome{err: ctx.Err(), secrets: o.secrets}
		}
		if timedOut() {
			return timeoutOutcome("waiting for response headers")
		}
		// url.Error repeats the full URL, query and all; the method and
		// redacted URL are added by the final error instead.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return outcome{err: err, retry: retryableNetErr(err), secrets: o.secrets}
	}
	defer resp.Body.Close()
	br := &bodyReader{r: resp.Body, stats: stats}
	if idle {
		br.timer, br.timeout = timer, c.cfg.Timeout
		timer.Reset(c.cfg.Timeout)
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// A failure reading an error body only shortens the snippet; the
		// status is what decides.
		return c.statusOutcome(p, resp, br, o.secrets, stats)
	}
	if err := consume(resp, br); err != nil {
		if ctx.Err() != nil {
			return outcome{err: ctx.Err(), secrets: o.secrets}
		}
		if timedOut() {
			return timeoutOutcome("reading body")
		}
		var re *readError
		var rt *retryableError
		return outcome{err: err, retry: errors.As(err, &re) || errors.As(err, &rt), secrets: o.secrets}
	}
	return outcome{}
}

func (c *Client) statusOutcome(p *prepared, resp *http.Response, body io.Reader, secrets []string, stats statsChain) outcome {
	// Read a little more than we keep: redaction must see a secret whole
	// before the snippet is cut. Drain a bounded amount so that small error
	// bodies leave the connection reusable.
	head, _ := io.ReadAll(io.LimitReader(body, 8*maxBodySnippet))
	_, _ = io.CopyN(io.Discard, body, 64<<10)
	se := &StatusError{
		Method: p.method,
		URL:    p.display,
		Status: resp.StatusCode,
		Body:   snippet(c.red, head, secrets),
	}
	o := outcome{err: se, status: se.Status, retry: retryableStatus(se.Status), secrets: secrets}
	switch se.Status {
	case http.StatusTooManyRequests:
		stats.Add(throttledOf, 1)
		fallthrough
	case http.StatusServiceUnavailable:
		se.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), c.clock.Now())
		o.retryAfter = se.RetryAfter
	case http.StatusUnauthorized:
		o.refresh = c.refresh != nil
	}
	return o
}

func (c *Client) final(p *prepared, attempts int, o outcome) error {
	var se *StatusError
	if errors.As(o.err, &se) {
		se.Attempts = attempts
		return se
	}
	msg := o.err.Error()
	if attempts > 1 {
		msg = fmt.Sprintf("failed after %d attempts, last error: %s", attempts, msg)
	}
	re := c.requestError(p, attempts, msg, o.err, o.secrets)
	re.transient = o.retry
	return re
}

// abort reports a call abandoned because ctx ended (or would end before the
// next attempt), keeping the context error in the chain for errors.Is.
func (c *Client) abort(p *prepared, attempts int, err error, last outcome) error {
	msg := err.Error()
	if last.err != nil && !errors.Is(last.err, context.Canceled) && !errors.Is(last.err, context.DeadlineExceeded) {
		msg = fmt.Sprintf("%s after %s (last error: %s)", msg, plural(attempts, "attempt"), last.short())
	}
	re := c.requestError(p, attempts, msg, err, last.secrets)
	re.transient = true
	return re
}

func (c *Client) requestError(p *prepared, attempts int, msg string, cause error, secrets []string) *RequestError {
	return &RequestError{
		Method:   p.method,
		URL:      p.display,
		Attempts: attempts,
		Err:      cause,
		msg:      c.red.WithExtra(p.method+" "+p.display+": "+msg, secrets),
	}
}

// authChanges reports the headers an Authenticator set and their values,
// so both can be kept out of messages and off cross-host redirects.
func authChanges(before, after http.Header) (names, values []string) {
	for k, vs := range after {
		if old, ok := before[k]; ok && equalStrings(old, vs) {
			continue
		}
		names = append(names, k)
		for _, v := range vs {
			values = append(values, v)
			// "Bearer abc" leaks as "abc" just as well.
			if _, cred, ok := strings.Cut(v, " "); ok {
				values = append(values, strings.TrimSpace(cred))
			}
		}
	}
	return names, values
}

func queryCredentials(u *url.URL) []string {
	var out []string
	for k, vs := range u.Query() {
		if sensitiveKey(k) {
			out = append(out, vs...)
		}
	}
	return autoSecrets(out)
}

// minAutoSecret is the shortest guessed credential that gets redacted.
// Guesses (values of auth headers, key= parameters) can be flags like
// include_auth=1, and blanking every "1" would wreck the messages; real
// credentials are long.
const minAutoSecret = 6

func autoSecrets(vals []string) []string {
	out := vals[:0]
	for _, v := range vals {
		if len(strings.TrimSpace(v)) >= minAutoSecret {
			out = append(out, v)
		}
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkRedirect drops the Authenticator's headers when a redirect leaves the
// original host (net/http only knows to drop Authorization and cookies), so
// e.g. an X-API-Key never reaches the storage bucket a report redirects to.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if names, ok := req.Context().Value(authHeadersKey{}).(*[]string); ok && req.URL.Host != via[0].URL.Host {
		for _, n := range *names {
			req.Header.Del(n)
		}
	}
	return nil
}

// bodyReader counts received bytes, keeps Download's idle timer alive,
// and tags read failures as retryable.
type bodyReader struct {
	r       io.Reader
	stats   statsChain
	timer   *time.Timer
	timeout time.Duration
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.stats.Add(bytesOf, int64(n))
		if b.timer != nil {
			b.timer.Reset(b.timeout)
		}
	}
	if err != nil && err != io.EOF {
		err = &readError{err}
	}
	return n, err
}

func cloneHeader(h http.Header) http.Header {
	if h == nil {
		return make(http.Header, 1)
	}
	return h.Clone()
}
