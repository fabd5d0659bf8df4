package bot

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/httpclient"
)

// SourceName is the name under sources: in pipelines.yaml and the prefix of
// every stream id.
const SourceName = "bot"

// DefaultChannelNames are the channel codes of the reference.
var DefaultChannelNames = map[int]string{
	1010: "webchat", 1011: "workflow", 1012: "googleBusinessMessages", 1013: "general",
	1014: "whatsapp", 1015: "RCSBusinessMessages", 1016: "telegram", 1017: "facebook",
	1018: "sms", 1019: "hangoutsChat", 1020: "google", 1021: "instagramMessaging",
}

// Paths are the endpoints; the reference gives none, so all are this project's
// assumptions and stay overridable.
type Paths struct {
	Token       string `yaml:"token" doc:"token call (POST {appId, appSecret})"`
	Usage       string `yaml:"usage" doc:"monthly usage (GET ?monthDate&channelId)"`
	Users       string `yaml:"users" doc:"users list (POST ?page&limit)"`
	Transcripts string `yaml:"transcripts" doc:"transcripts (POST ?page&limit)"`
}

// Config is the `sources.bot` block of pipelines.yaml.
type Config struct {
	extract.HTTPSettings `yaml:",inline"`

	AppID     string `yaml:"app_id" doc:"application id (BOT_APP_ID)"`
	AppSecret string `yaml:"app_secret" doc:"application secret (BOT_APP_SECRET); never logged"`

	// Channels are the channel codes to pull.
	Channels []int `yaml:"channels" doc:"channel codes to pull"`
	// ChannelNames maps codes to names; entries given in pipelines.yaml are
	// added to (or replace) the defaults.
	ChannelNames map[int]string `yaml:"channel_names" doc:"channel code -> name"`
	Paths        Paths          `yaml:"paths"`
	// AuthScheme is the word before the token; the reference does not name
	// it. "none" sends the token alone.
	AuthScheme string `yaml:"auth_scheme" doc:"Authorization scheme before the token (default Bearer; none: the token alone)"`

	UsersLimit       int `yaml:"users_limit" doc:"users per page (25..1000)"`
	TranscriptsLimit int `yaml:"transcripts_limit" doc:"messages per transcripts page (25..1000)"`
	UserConcurrency  int `yaml:"user_concurrency" doc:"users whose transcripts are fetched at once (1..64)"`

	RefreshBefore        time.Duration `yaml:"refresh_before" doc:"fetch a new token this long before expireAt"`
	TokenConflictRetries int           `yaml:"token_conflict_retries" doc:"retries of the token call when it answers 409"`
	TokenConflictWait    time.Duration `yaml:"token_conflict_wait" doc:"first wait after a 409 on the token call (doubles per retry)"`
	// TranscriptsMargin keeps requests clear of the API's "not older than 3
	// months" rule, whose exact arithmetic (calendar months? 90 days?) is
	// not documented.
	TranscriptsMargin time.Duration `yaml:"transcripts_earliest_margin" doc:"safety margin inside the 3-month transcripts limit"`

	// backoffBase shortens the HTTP retry backoff in tests.
	backoffBase time.Duration
	// auth is the token source of the last Open, for Counters.
	auth *tokenAuth
}

// NewConfig returns the defaults.
func NewConfig() *Config {
	names := make(map[int]string, len(DefaultChannelNames))
	for k, v := range DefaultChannelNames {
		names[k] = v
	}
	return &Config{
		HTTPSettings: extract.HTTPSettings{
			RateLimit:  "20/s",
			Timeout:    60 * time.Second,
			MaxRetries: 5,
		},
		Channels:     []int{1010, 1014, 1016, 1017},
		ChannelNames: names,
		Paths: Paths{
			Token:       "/auth/token",
			Usage:       "/usage",
			Users:       "/users",
			Transcripts: "/transcripts",
		},
		AuthScheme:           "Bearer",
		UsersLimit:           100,
		TranscriptsLimit:     1000,
		UserConcurrency:      4,
		RefreshBefore:        60 * time.Second,
		TokenConflictRetries: 3,
		TokenConflictWait:    time.Second,
		TranscriptsMargin:    24 * time.Hour,
	}
}

// Validate checks the settings without any request. An empty base URL or
// credential is not an error here: Missing reports it and the source is
// skipped.
func (c *Config) Validate() error {
	if err := c.HTTPSettings.ValidateUnsetURL(); err != nil {
		return err
	}
	known := StreamNames()
	for _, s := range c.Streams {
		if !slices.Contains(known, s) {
			return fmt.Errorf("streams: %q is not a bot stream (want %s)", s, strings.Join(known, ", "))
		}
	}
	if strings.TrimSpace(c.AuthScheme) == "" || strings.ContainsAny(c.AuthScheme, " \t\r\n") {
		return fmt.Errorf("auth_scheme: %q must be one word (default Bearer; none sends the token alone)", c.AuthScheme)
	}
	if len(c.Channels) == 0 {
		return fmt.Errorf("channels: list at least one channel code (e.g. 1010 for webchat)")
	}
	seen := map[int]bool{}
	for _, ch := range c.Channels {
		if seen[ch] {
			return fmt.Errorf("channels: %d is listed twice", ch)
		}
		seen[ch] = true
		if c.ChannelNames[ch] == "" {
			return fmt.Errorf("channels: %d has no name: add it under channel_names (known: %s)", ch, c.knownChannels())
		}
	}
	checks := []struct {
		name   string
		v, lo  int
		hi     int
		reason string
	}{
		{"users_limit", c.UsersLimit, 25, 1000, "the reference's users limit starts at 25"},
		{"transcripts_limit", c.TranscriptsLimit, 25, 1000, "the reference allows 25..1000"},
		{"user_concurrency", c.UserConcurrency, 1, 64, ""},
		{"token_conflict_retries", c.TokenConflictRetries, 0, 20, ""},
	}
	for _, k := range checks {
		if k.v < k.lo || k.v > k.hi {
			msg := fmt.Sprintf("%s: %d is outside %d..%d", k.name, k.v, k.lo, k.hi)
			if k.reason != "" {
				msg += " (" + k.reason + ")"
			}
			return fmt.Errorf("%s", msg)
		}
	}
	if c.RefreshBefore < 0 || c.TokenConflictWait < 0 || c.TranscriptsMargin < 0 {
		return fmt.Errorf("refresh_before, token_conflict_wait and transcripts_earliest_margin must not be negative")
	}
	for name, p := range map[string]string{"token": c.Paths.Token, "usage": c.Paths.Usage, "users": c.Paths.Users, "transcripts": c.Paths.Transcripts} {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("paths.%s is empty", name)
		}
	}
	return nil
}

func (c *Config) knownChannels() string {
	codes := make([]int, 0, len(c.ChannelNames))
	for k := range c.ChannelNames {
		codes = append(codes, k)
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, k := range codes {
		parts[i] = fmt.Sprintf("%d %s", k, c.ChannelNames[k])
	}
	return strings.Join(parts, ", ")
}

// Missing lists the unset connection settings by env var name.
func (c *Config) Missing() []string { return extract.Missing(c, envVars) }

// Secrets lists the values to redact everywhere. Tokens are redacted by the
// HTTP client, which sees them set on each request.
func (c *Config) Secrets() []string {
	if c.AppSecret == "" {
		return nil
	}
	return []string{c.AppSecret}
}

var _ extract.Counters = (*Config)(nil)

// Counters reports what the source did beyond requests and rows, for the run
// summary: token_fetches is the number of tokens obtained by the last Open
// (1 + refreshes).
func (c *Config) Counters() map[string]int64 {
	if c.auth == nil {
		return map[string]int64{"token_fetches": 0}
	}
	return map[string]int64{"token_fetches": c.auth.Fetches(), "token_conflicts": c.auth.conflicts.Load()}
}

// newAPI builds the clients (the token call's and the API's); no request.
func (c *Config) newAPI(env extract.Env) (*api, error) {
	settings := c.HTTPSettings
	log := env.Log()
	now := env.Clock
	tokenClient, err := settings.Client(env, httpclient.Config{Secrets: c.Secrets(), BackoffBase: c.backoffBase})
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	auth := &tokenAuth{
		tokenClient:     tokenClient,
		path:            c.Paths.Token,
		appID:           c.AppID,
		appSecret:       c.AppSecret,
		refreshBefore:   c.RefreshBefore,
		conflictRetries: c.TokenConflictRetries,
		conflictWait:    c.TokenConflictWait,
		scheme:          c.AuthScheme,
		now:             now,
		sleep:           httpclient.Sleep,
		log:             log,
	}
	client, err := settings.Client(env, httpclient.Config{Auth: auth, Secrets: c.Secrets(), BackoffBase: c.backoffBase})
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	c.auth = auth
	return &api{http: client, cfg: c, now: now, log: log}, nil
}

// Open builds the client and the stream declarations. No request is made:
// the first token is fetched by the first call.
func (c *Config) Open(env extract.Env) ([]*engine.Stream, error) {
	a, err := c.newAPI(env)
	if err != nil {
		return nil, err
	}
	return extract.Pick(a.streams(), c.Streams), nil
}
