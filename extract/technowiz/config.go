package technowiz

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/httpclient"
)

// SourceName is the name under sources: in pipelines.yaml and the prefix of
// every stream id.
const SourceName = "technowiz"

// UserFilter is one attribute filter of the users API. Technowiz cannot list
// all users: the users extracted are those matching any filter.
type UserFilter struct {
	AttributeName  string `yaml:"attribute_name" doc:"user attribute to match (attribute_name)"`
	AttributeValue string `yaml:"attribute_value" doc:"value it must have (attribute_value)"`
}

func (f UserFilter) String() string {
	return "attribute_name=" + f.AttributeName + " attribute_value=" + f.AttributeValue
}

// Paths are assumed (the reference names none); Conversation holds {userId}.
type Paths struct {
	Users        string `yaml:"users" doc:"users by attribute (GET ?attribute_name&attribute_value)"`
	Conversation string `yaml:"conversation" doc:"a user's messages; {userId} is replaced"`
}

// Config is the `sources.technowiz` block of pipelines.yaml.
type Config struct {
	extract.HTTPSettings `yaml:",inline"`

	AuthKey string `yaml:"auth_key" doc:"API key sent as Authorization: Basic <key> (TECHNOWIZ_AUTH_KEY); never logged"`
	// UserFilters select the users to extract.
	UserFilters []UserFilter `yaml:"user_filters" doc:"attribute filters; a user matching several is extracted once"`
	Paths       Paths        `yaml:"paths"`
	// PageSize and PageSizeParam: the reference spells the parameter Page_size.
	PageSize        int    `yaml:"page_size" doc:"messages per conversation page"`
	PageSizeParam   string `yaml:"page_size_param" doc:"name of the page size query parameter"`
	UserConcurrency int    `yaml:"user_concurrency" doc:"users whose conversations are fetched at once (1..64)"`

	// backoffBase shortens the HTTP retry backoff in tests.
	backoffBase time.Duration
}

// NewConfig returns the defaults.
func NewConfig() *Config {
	return &Config{
		HTTPSettings: extract.HTTPSettings{
			RateLimit:  "20/s",
			Timeout:    60 * time.Second,
			MaxRetries: 5,
		},
		Paths:           Paths{Users: "/users", Conversation: "/users/{userId}/conversation"},
		PageSize:        500,
		PageSizeParam:   "Page_size",
		UserConcurrency: 4,
	}
}

// Validate checks the settings without any request. Unset credentials are
// reported by Missing, not here; but once a key is set the filters must be
// too, since without them there is nothing to extract.
func (c *Config) Validate() error {
	if err := c.HTTPSettings.ValidateUnsetURL(); err != nil {
		return err
	}
	for _, s := range c.Streams {
		if known := StreamNames(); !slices.Contains(known, s) {
			return fmt.Errorf("streams: %q is not a technowiz stream (want %s)", s, strings.Join(known, ", "))
		}
	}
	if strings.TrimSpace(c.AuthKey) != "" && len(c.UserFilters) == 0 {
		return fmt.Errorf("user_filters: empty: Technowiz has no \"list all users\" call, so list at least one " +
			"{attribute_name, attribute_value} whose users to extract (e.g. attribute_name: plan, attribute_value: enterprise)")
	}
	for i, f := range c.UserFilters {
		if strings.TrimSpace(f.AttributeName) == "" {
			return fmt.Errorf("user_filters[%d]: attribute_name is empty", i)
		}
		if f.AttributeValue == "" {
			return fmt.Errorf("user_filters[%d] (%s): attribute_value is empty", i, f.AttributeName)
		}
	}
	if c.PageSize < 1 || c.PageSize > 10000 {
		return fmt.Errorf("page_size: %d is outside 1..10000 (the API's default is 500)", c.PageSize)
	}
	if strings.TrimSpace(c.PageSizeParam) == "" {
		return fmt.Errorf("page_size_param is empty (the reference spells it Page_size)")
	}
	if c.UserConcurrency < 1 || c.UserConcurrency > 64 {
		return fmt.Errorf("user_concurrency: %d is outside 1..64", c.UserConcurrency)
	}
	if strings.TrimSpace(c.Paths.Users) == "" {
		return fmt.Errorf("paths.users is empty")
	}
	if !strings.Contains(c.Paths.Conversation, "{userId}") {
		return fmt.Errorf("paths.conversation %q must contain {userId}", c.Paths.Conversation)
	}
	return nil
}

// Missing lists the unset connection settings by env var name.
func (c *Config) Missing() []string { return extract.Missing(c, envVars) }

// Secrets lists the values to redact everywhere.
func (c *Config) Secrets() []string {
	if c.AuthKey == "" {
		return nil
	}
	return []string{c.AuthKey}
}

// filters returns the configured filters without repeats.
func (c *Config) filters() []UserFilter {
	var out []UserFilter
	for _, f := range c.UserFilters {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// newAPI builds the client. No request is made.
func (c *Config) newAPI(env extract.Env) (*api, error) {
	settings := c.HTTPSettings
	log := env.Log()
	client, err := settings.Client(env, httpclient.Config{
		// The reference puts the key itself after "Basic", not base64(user:password).
		Auth:        httpclient.HeaderAuth("Authorization", "Basic "+c.AuthKey),
		Secrets:     c.Secrets(),
		BackoffBase: c.backoffBase,
	})
	if err != nil {
		return nil, fmt.Errorf("technowiz: %w", err)
	}
	return &api{http: client, cfg: c, log: log}, nil
}

// Open builds the client and the stream declarations. No request is made.
func (c *Config) Open(env extract.Env) ([]*engine.Stream, error) {
	a, err := c.newAPI(env)
	if err != nil {
		return nil, err
	}
	return extract.Pick(a.streams(), c.Streams), nil
}
