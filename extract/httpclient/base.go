package httpclient

import (
	"fmt"
	"net/url"
	"strings"
)

// WithBase is a client for another base URL of the same vendor (an endpoint
// group documented under another host or prefix). It shares the rate
// limiter, the transport, the auth and the redaction of c, so one source
// stays within one budget whichever layout each endpoint follows.
func (c *Client) WithBase(baseURL string) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q: want an absolute http(s) URL", baseURL)
	}
	cfg := c.cfg
	cfg.BaseURL = u.String()
	return &Client{cfg: cfg, base: u, hc: c.hc, limiter: c.limiter, red: c.red, refresh: c.refresh,
		clock: c.clock, jitter: c.jitter}, nil
}

// BaseURL is the client's base URL (it holds no secret: credentials travel
// in headers), for messages that must say which host a path was sent to.
func (c *Client) BaseURL() string { return c.base.String() }
