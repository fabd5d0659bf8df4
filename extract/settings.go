package extract

import (
	"fmt"
	"net/url"
	"time"

	"github.com/adoptionlabs/etl/extract/httpclient"
)

// HTTPSettings are the connection settings every source has; a source
// embeds them inline in its config struct.
type HTTPSettings struct {
	BaseURL    string        `yaml:"base_url" doc:"API base URL, including any path prefix"`
	RateLimit  string        `yaml:"rate_limit" doc:"client-side request rate: N/s, N/min or unlimited"`
	Timeout    time.Duration `yaml:"timeout" doc:"per-request timeout, body included"`
	MaxRetries int           `yaml:"max_retries" doc:"retries after the first attempt on 429, 5xx, timeouts and truncated bodies"`
	// Caps on what one response may make etl hold: 0 means the default.
	MaxBody     httpclient.ByteSize `yaml:"max_body" doc:"largest JSON response body, held in memory (default 256MiB); a larger page fails"`
	MaxDownload httpclient.ByteSize `yaml:"max_download" doc:"largest report download, written to disk (default 8GiB)"`
	MaxField    httpclient.ByteSize `yaml:"max_field" doc:"largest single field of a CSV download (default 1MiB); a larger one fails the download"`
	// Streams to run; empty means every stream of the source.
	Streams []string `yaml:"streams" doc:"streams to run (default: all)"`
}

// Validate checks the shared settings.
func (h HTTPSettings) Validate() error {
	if h.BaseURL == "" {
		return fmt.Errorf("base_url is empty")
	}
	if _, err := httpclient.ParseRate(h.RateLimit); err != nil {
		return fmt.Errorf("rate_limit: %w", err)
	}
	if h.Timeout < 0 || h.MaxRetries < 0 {
		return fmt.Errorf("timeout and max_retries must not be negative")
	}
	return nil
}

// ValidateUnsetURL is Validate for a source whose base_url comes from a
// required env var with no default: a blank one is not an error here
// (Missing reports it and the source is skipped); a set one must be an
// absolute http(s) URL.
func (h HTTPSettings) ValidateUnsetURL() error {
	if h.BaseURL == "" {
		h.BaseURL = "unset" // reported by Missing
	} else if u, err := url.Parse(h.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("base_url %q: want an absolute http(s) URL", h.BaseURL)
	}
	return h.Validate()
}

// Client builds the shared HTTP client from the settings.
func (h HTTPSettings) Client(env Env, cfg httpclient.Config) (*httpclient.Client, error) {
	rate, err := httpclient.ParseRate(h.RateLimit)
	if err != nil {
		return nil, fmt.Errorf("rate_limit: %w", err)
	}
	cfg.BaseURL = h.BaseURL
	if cfg.BaseURL == "" {
		// Declarations must build without credentials (`etl streams`, `etl
		// validate`, the DDL): a blank base_url is an unset env var, the CLI
		// skips a source whose Missing() is not empty, so this placeholder
		// host is never called.
		cfg.BaseURL = "http://base-url-not-set.invalid"
	}
	cfg.RateLimit = rate
	cfg.Timeout = h.Timeout
	cfg.MaxRetries = h.MaxRetries
	cfg.MaxBody = h.MaxBody
	cfg.MaxDownload = h.MaxDownload
	cfg.UserAgent = env.UserAgent
	cfg.Logger = env.Logger
	if env.Transport != nil {
		cfg.Transport = env.Transport
	}
	return httpclient.New(cfg)
}
