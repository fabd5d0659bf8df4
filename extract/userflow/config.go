package userflow

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/httpclient"
)

// SourceName is the name under sources: in pipelines.yaml and the prefix of
// every stream id.
const SourceName = "userflow"

// DefaultAPIVersion is the current (and so far only) dated API version.
const DefaultAPIVersion = "2020-01-03"

// Paths are the endpoint paths, relative to base_url. The defaults are the
// reference's; each is configurable because vendors move endpoints.
type Paths struct {
	ContentSessions      string `yaml:"content_sessions" doc:"list content sessions"`
	Content              string `yaml:"content" doc:"list content (flows, checklists, launchers)"`
	ContentVersions      string `yaml:"content_versions" doc:"list versions of one content object"`
	Users                string `yaml:"users" doc:"list users"`
	Groups               string `yaml:"groups" doc:"list groups (plan-restricted)"`
	AttributeDefinitions string `yaml:"attribute_definitions" doc:"list attribute definitions"`
	EventDefinitions     string `yaml:"event_definitions" doc:"list event definitions"`
}

func (p Paths) each() [][2]string {
	return [][2]string{
		{"content_sessions", p.ContentSessions}, {"content", p.Content}, {"content_versions", p.ContentVersions},
		{"users", p.Users}, {"groups", p.Groups}, {"attribute_definitions", p.AttributeDefinitions},
		{"event_definitions", p.EventDefinitions},
	}
}

// How the next page of a list is asked for (paging).
const (
	// PagingNextPageURL follows the list's next_page_url, as the reference
	// advises; the walk checks that it stays on base_url and keeps the
	// request's parameters.
	PagingNextPageURL = "next_page_url"
	// PagingStartingAfter sends the request again with
	// starting_after=<the last item's id>, the documented cursor, and reads
	// only has_more from the list.
	PagingStartingAfter = "starting_after"
)

// How several paths to expand are sent (expand_form); a single path is
// expand=<path> either way, as the reference writes it.
const (
	// ExpandArray is expand[]=a&expand[]=b, the reference's form.
	ExpandArray = "array"
	// ExpandRepeated is expand=a&expand=b.
	ExpandRepeated = "repeated"
)

// Config is the userflow block of pipelines.yaml.
type Config struct {
	extract.HTTPSettings `yaml:",inline"`
	APIKey               string `yaml:"api_key" doc:"API key (secret), from ${USERFLOW_API_KEY}"`
	APIVersion           string `yaml:"api_version" doc:"Userflow-Version header sent with every call"`
	PageSize             int    `yaml:"page_size" doc:"items per list page, 1..100"`
	// ParallelContentWalks bounds the per-content version walks running at
	// once; they share the source's rate limit either way.
	ParallelContentWalks int `yaml:"parallel_content_walks" doc:"content objects whose versions are fetched at once, 1..16"`
	// Paging and ExpandForm are the readings the reference leaves open
	// (docs/guesses.md); etl check says when to change them.
	Paging     string `yaml:"paging" doc:"next_page_url (follow the list's next_page_url) or starting_after (the request again with starting_after=<last id>)"`
	ExpandForm string `yaml:"expand_form" doc:"how several paths to expand are sent: array (expand[]=a&expand[]=b) or repeated (expand=a&expand=b)"`
	Paths      Paths  `yaml:"paths" doc:"endpoint paths relative to base_url"`

	// backoff overrides the client's retry backoff; tests set it so retries
	// do not sleep for real.
	backoffBase, backoffMax time.Duration
}

// NewConfig returns the defaults.
func NewConfig() *Config {
	return &Config{
		HTTPSettings: extract.HTTPSettings{
			BaseURL:    "https://api.userflow.com",
			RateLimit:  "600/min",
			Timeout:    60 * time.Second,
			MaxRetries: 5,
		},
		APIVersion:           DefaultAPIVersion,
		PageSize:             100,
		ParallelContentWalks: 4,
		Paging:               PagingNextPageURL,
		ExpandForm:           ExpandArray,
		Paths: Paths{
			ContentSessions:      "/content_sessions",
			Content:              "/content",
			ContentVersions:      "/content_versions",
			Users:                "/users",
			Groups:               "/groups",
			AttributeDefinitions: "/attribute_definitions",
			EventDefinitions:     "/event_definitions",
		},
	}
}

var apiVersionForm = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// Validate checks the settings offline; an unset key is not an error here
// (see Missing).
func (c *Config) Validate() error {
	if err := c.HTTPSettings.Validate(); err != nil {
		return err
	}
	if !apiVersionForm.MatchString(c.APIVersion) {
		return fmt.Errorf("api_version: %q is not a dated version such as %s", c.APIVersion, DefaultAPIVersion)
	}
	if c.PageSize < 1 || c.PageSize > 100 {
		return fmt.Errorf("page_size: %d is outside 1..100 (the API's limit bounds)", c.PageSize)
	}
	if c.ParallelContentWalks < 1 || c.ParallelContentWalks > 16 {
		return fmt.Errorf("parallel_content_walks: %d is outside 1..16", c.ParallelContentWalks)
	}
	if c.Paging != PagingNextPageURL && c.Paging != PagingStartingAfter {
		return fmt.Errorf("paging: %q must be %s or %s", c.Paging, PagingNextPageURL, PagingStartingAfter)
	}
	if c.ExpandForm != ExpandArray && c.ExpandForm != ExpandRepeated {
		return fmt.Errorf("expand_form: %q must be %s or %s", c.ExpandForm, ExpandArray, ExpandRepeated)
	}
	for _, p := range c.Paths.each() {
		if !strings.HasPrefix(p[1], "/") || strings.ContainsAny(p[1], "?# ") {
			return fmt.Errorf("paths.%s: %q must be a path starting with / and without a query", p[0], p[1])
		}
	}
	known := StreamNames()
	for _, s := range c.Streams {
		if !slices.Contains(known, s) {
			return fmt.Errorf("streams: %q is not a userflow stream (known: %s)", s, strings.Join(known, ", "))
		}
	}
	return nil
}

// Missing names the unset credentials.
func (c *Config) Missing() []string { return extract.Missing(c, envVars) }

// Secrets is what logs and errors must never show.
func (c *Config) Secrets() []string {
	if c.APIKey == "" {
		return nil
	}
	return []string{c.APIKey}
}

// Open builds the client and declares the streams; it makes no request.
func (c *Config) Open(env extract.Env) ([]*engine.Stream, error) {
	s, err := c.newSource(env)
	if err != nil {
		return nil, err
	}
	return extract.Pick(s.streams(), c.Streams), nil
}

// newSource builds the client every stream (and etl check) shares.
func (c *Config) newSource(env extract.Env) (*source, error) {
	client, err := c.HTTPSettings.Client(env, httpclient.Config{
		Auth:        httpclient.BearerAuth(c.APIKey),
		Header:      http.Header{"Userflow-Version": {c.APIVersion}},
		Secrets:     c.Secrets(),
		BackoffBase: c.backoffBase,
		BackoffMax:  c.backoffMax,
	})
	if err != nil {
		return nil, fmt.Errorf("userflow: %w", err)
	}
	return &source{cfg: c, client: client}, nil
}

// source is one opened configuration: the client every stream shares, so
// they share its rate limit.
type source struct {
	cfg    *Config
	client *httpclient.Client
}
