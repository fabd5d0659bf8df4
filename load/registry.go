package load

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/adoptionlabs/etl/state"
)

// Target is where a sink writes, as the config and flags say.
type Target struct {
	Dir string // a file sink's directory (sink.parquet.dir, --out)
	// Compression names a file sink's codec (sink.parquet.compression);
	// empty: the sink's default.
	Compression string
	DSN         string // a database sink's address (sink.clickhouse.dsn)
	// Cluster and ZooKeeperPath place a database sink's tables on a
	// replicated, sharded cluster (sink.clickhouse.cluster, zookeeper_path);
	// empty: one server.
	Cluster       string
	ZooKeeperPath string
	Logger        *slog.Logger
}

// Kind is one kind of sink. Each sink package registers its Kind in init(),
// as sources do (extract.Register), so `--sink NAME` is looked up in one
// place and nothing else compares sink names.
type Kind struct {
	Name string
	// Check rejects settings that cannot work, before any connection: its
	// error is bad configuration.
	Check func(Target) error
	// Destination names where the sink writes, the part of a backfill
	// plan's identity that tells two targets apart.
	Destination func(Target) (string, error)
	// Place is how a person names the destination ("Parquet under ./data").
	Place func(Target) string
	Open  func(ctx context.Context, t Target) (Sink, error)
	// OpenState, when set, opens the state store kept in the destination
	// itself, without opening the sink (its own connection, none of the
	// sink's locks). Kinds without one keep state in files.
	OpenState func(ctx context.Context, t Target) (state.Store, error)
	// StatePlace says where in the destination OpenState keeps the state,
	// for `etl state show`.
	StatePlace string
	// StateDir, when set, is where file state lives by default: beside
	// the data, so that progress belongs to the destination it describes
	// (state.dir overrides it).
	StateDir func(Target) (string, error)
	// CountRows reads back how many rows a table has, as a dashboard would
	// count them, without opening the sink.
	CountRows func(ctx context.Context, t Target, table string) (int64, error)
}

var (
	kindsMu sync.RWMutex
	kinds   = map[string]Kind{}
)

// Register adds a sink kind; a second registration of a name panics (two
// packages claiming one --sink value is a build mistake).
func Register(k Kind) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if k.Name == "" || k.Open == nil {
		panic("load.Register: a sink kind needs a name and Open")
	}
	if _, dup := kinds[k.Name]; dup {
		panic("load.Register: sink " + k.Name + " registered twice")
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

// StagingCleaner is a sink that can leave staging behind when a run is
// killed (ClickHouse's _stg_ tables): the next run, holding the run lock,
// drops what is left.
type StagingCleaner interface {
	DropStaleStaging(ctx context.Context) (int, error)
}
