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
			return Open(ctx, t.DSN, Options{Logger: t.Logger})
		},
		OpenState: func(ctx context.Context, t load.Target) (state.Store, error) {
			return OpenState(ctx, t.DSN, Options{Logger: t.Logger})
		},
		CountRows: func(ctx context.Context, t load.Target, table string) (int64, error) {
			s, err := Open(ctx, t.DSN, Options{Logger: t.Logger})
			if err != nil {
				return 0, err
			}
			defer s.Close()
			return s.CountRows(ctx, table)
		},
	})
}
