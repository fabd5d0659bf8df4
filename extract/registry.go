// Package extract is the registry of sources. Each source lives in its own
// package under extract/ (client, stream declarations, fake, tests) and
// registers itself in init(), as telegraf plugins do.
package extract

import (
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/engine"
)

// Plugin describes a source kind.
type Plugin struct {
	Name string
	Doc  string
	// NewConfig returns the source's settings filled with defaults;
	// pipelines.yaml decodes into it strictly (unknown keys are errors).
	NewConfig func() Config
	// Sandbox builds the source's fake API for tests and `etl demo`.
	Sandbox func(opts SandboxOptions) Sandbox
	// SandboxVariants name the other readings of undocumented details the
	// fake can serve (SandboxOptions.Variant); docs/guesses.md lists them.
	SandboxVariants []string
	// Env are the environment variables the source's sample.yaml reads.
	Env []EnvVar
	// Sample is the source's sample.yaml: its block of pipelines.yaml with
	// every setting at its default, commented. `make generate` writes the
	// samples into the default pipelines.yaml.
	Sample []byte
}

// Config is a source's typed settings.
type Config interface {
	// Validate checks the settings without any request; the error names the
	// setting. Unset credentials are not an error: see Missing.
	Validate() error
	// Missing lists the unset credentials (by env var name, the Required
	// ones of Plugin.Env); a source with any missing is skipped with one
	// line, not failed.
	Missing() []string
	// Secrets lists credential values to redact everywhere.
	Secrets() []string
	// Open builds the client and the stream declarations. No I/O happens
	// here, so `etl streams` and `etl validate` can call it offline.
	Open(env Env) ([]*engine.Stream, error)
}

// Env is what the program hands every source.
type Env struct {
	Logger    *slog.Logger
	UserAgent string
	// Transport, when set, replaces the default HTTP transport (tests).
	Transport http.RoundTripper
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Log returns Env.Logger, or a logger that discards.
func (e Env) Log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Clock returns Env.Now or time.Now.
func (e Env) Clock() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// SandboxOptions configures a fake API.
type SandboxOptions struct {
	Seed int64
	// Now anchors the generated data: the fake holds history up to Now.
	Now time.Time
	// Scale multiplies the default data volume (1 = demo size).
	Scale float64
	// Faults is the share of requests the fake fails (5xx, 429, truncated
	// bodies), spread evenly over the kinds.
	Faults float64
	// Variant is one of the plugin's SandboxVariants; "" serves the
	// project's reading.
	Variant string
	// Prerender serves list pages from memory once rendered, with no
	// request budget: for throughput benchmarks of the client.
	Prerender bool
}

// Sandbox is a fake API ready to serve.
type Sandbox struct {
	Handler http.Handler
	// Env returns the environment variables that point the source at the
	// fake once it listens on baseURL (base URL and demo credentials).
	Env func(baseURL string) map[string]string
}

var (
	mu      sync.RWMutex
	plugins = map[string]Plugin{}
)

// Register adds a source; called from the source package's init().
func Register(p Plugin) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := plugins[p.Name]; dup {
		panic(fmt.Sprintf("extract: source %q registered twice", p.Name))
	}
	plugins[p.Name] = p
}

// Lookup returns the named source.
func Lookup(name string) (Plugin, bool) {
	mu.RLock()
	defer mu.RUnlock()
	p, ok := plugins[name]
	return p, ok
}

// Names lists the registered sources, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(plugins))
	for n := range plugins {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
