package clickhouse

import (
	"context"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/state"
)

// Kind is the name `--sink` and `state.location` use.
const Kind = "clickhouse"

func init() {
	load.Register(load.Kind{
		Name: Kind,
		// A DSN that does not parse is bad configuration: found before any
		// connection, not as a failed one.
		Check: func(t load.Target) error {
			_, err := Destination(t.DSN)
			return err
		},
		Destination: func(t load.Target) (string, error) { return Destination(t.DSN) },
		Place:       func(load.Target) string { return "ClickHouse" },
		Open: func(ctx context.Context, t load.Target) (load.Sink, error) {
			return Open(ctx, t.DSN, targetOptions(t))
		},
		OpenState: func(ctx context.Context, t load.Target) (state.Store, error) {
			return OpenState(ctx, t.DSN, targetOptions(t))
		},
		StatePlace: "its tables " + StateTable + ", " + BackfillPlansTable + ", " + BackfillProgressTable + " and " + LocksTable,
		CountRows: func(ctx context.Context, t load.Target, table string) (int64, error) {
			s, err := Open(ctx, t.DSN, targetOptions(t))
			if err != nil {
				return 0, err
			}
			defer s.Close()
			return s.CountRows(ctx, table)
		},
	})
}

// targetOptions are the sink's options for a target: one server, or the
// cluster it names.
func targetOptions(t load.Target) Options {
	return Options{Logger: t.Logger, Cluster: ClusterOptions{Name: t.Cluster, ZooKeeperPath: t.ZooKeeperPath}}
}
