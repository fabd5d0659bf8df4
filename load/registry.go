package load

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
)

// Kind is one kind of sink. Each sink package registers its Kind in init(),
// as sources do (extract.Register), so `--sink NAME` and `sink.NAME:` are
// looked up in one place and nothing else compares sink names: what the
// rest of etl asks of a sink beyond loading is an ability its Config may
// have (abilities.go).
type Kind struct {
	Name string
	// Title is how prose names the kind ("ClickHouse", "Parquet").
	Title string
	// Doc is one line on what the kind loads into, for docs/config.md.
	Doc string
	// NewConfig returns the kind's settings filled with defaults;
	// pipelines.yaml's sink.<Name> block decodes into it strictly (unknown
	// keys are errors, with their line).
	NewConfig func() Config
	// Sample is the kind's sample.yaml: its block of pipelines.yaml (under
	// `sink:`) with every setting at its default, commented. `make
	// generate` writes the samples into the default pipelines.yaml.
	Sample []byte
	// Default makes this the kind sink.type means when it is unset; at
	// most one kind is.
	Default bool
}

// Config is one kind's settings, decoded from its block of pipelines.yaml
// and completed by the command line (--out). Nothing here opens a
// connection but Open.
type Config interface {
	// Check rejects settings that cannot work, before any connection: its
	// error is bad configuration and names the setting to change.
	Check() error
	// Destination names where the sink writes, the part of a backfill
	// plan's identity that tells two destinations apart; no secret.
	Destination() (string, error)
	// Place is how a person names the destination ("Parquet under ./data").
	Place() string
	// Open opens the sink.
	Open(ctx context.Context, env Env) (Sink, error)
}

// Env is what a command hands a sink it opens.
type Env struct {
	Logger *slog.Logger
}

// Log returns Env.Logger, or a logger that discards.
func (e Env) Log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

var (
	kindsMu sync.RWMutex
	kinds   = map[string]Kind{}
)

// Register adds a sink kind; a second registration of a name, or a second
// default, panics (two packages claiming one --sink value is a build
// mistake).
func Register(k Kind) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if k.Name == "" || k.NewConfig == nil {
		panic("load.Register: a sink kind needs a name and NewConfig")
	}
	if _, dup := kinds[k.Name]; dup {
		panic("load.Register: sink " + k.Name + " registered twice")
	}
	for _, other := range kinds {
		if k.Default && other.Default {
			panic("load.Register: sinks " + other.Name + " and " + k.Name + " are both the default")
		}
	}
	kinds[k.Name] = k
}

// Lookup returns the kind registered under name.
func Lookup(name string) (Kind, error) {
	kindsMu.RLock()
	k, ok := kinds[name]
	kindsMu.RUnlock()
	if !ok {
		return Kind{}, fmt.Errorf("--sink %q is not a sink (want %s)", name, strings.Join(Names(), " or "))
	}
	return k, nil
}

// Default returns the kind sink.type means when it is unset.
func Default() (Kind, bool) {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	for _, k := range kinds {
		if k.Default {
			return k, true
		}
	}
	return Kind{}, false
}

// Names lists the registered kinds, sorted.
func Names() []string {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := make([]string, 0, len(kinds))
	for n := range kinds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
