package clickhouse

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/adoptionlabs/etl/load"
)

// Options tune the sink.
type Options struct {
	Logger *slog.Logger
	// QueryTimeout bounds every statement: clickhouse-go can wait forever on
	// a server that stopped answering.
	QueryTimeout time.Duration
	// Cluster, when its Name is set, loads a sharded and replicated
	// cluster (cluster.go); otherwise the DSN's server alone.
	Cluster ClusterOptions
}

// Sink loads into one ClickHouse database.
type Sink struct {
	conn     driver.Conn
	db       string
	opts     Options
	mu       sync.Mutex
	tableMus map[string]*sync.Mutex
	ensured  map[string]bool
	// failPrepare, set by tests, fails the Prepare of a table as a server
	// error or a full disk would.
	failPrepare func(table string) error
	// cluster is set in cluster mode.
	cluster *cluster
	// insertSlots holds a token per INSERT kept open across records
	// (openInserts at most).
	insertSlots chan struct{}
	// insertIdle, when set (tests), replaces defaultInsertIdle.
	insertIdle time.Duration
	// squashRows is the staging INSERTs' min_insert_block_size_rows; 0
	// when the DSN sets it (a query's setting would override the DSN's).
	squashRows int
}

var _ load.Sink = (*Sink)(nil)

// Open connects to the DSN (clickhouse://user:pass@host:9000/db) over the
// native protocol and checks the server answers.
func Open(ctx context.Context, dsn string, opts Options) (*Sink, error) {
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = 10 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	o, db, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	squash := insertSquashRows
	if _, set := o.Settings["min_insert_block_size_rows"]; set {
		squash = 0
	}
	if o.Auth.Database == "" {
		noteDefaultDatabase(opts.Logger, o.Addr)
	}
	conn, err := connect(ctx, o)
	if err != nil {
		return nil, err
	}
	s := &Sink{conn: conn, db: db, opts: opts, tableMus: map[string]*sync.Mutex{}, ensured: map[string]bool{}, insertSlots: make(chan struct{}, openInserts), squashRows: squash}
	if opts.Cluster.Name != "" {
		if err := s.discoverCluster(ctx, dsn, opts.Cluster); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	return s, nil
}

// defaultNoted holds the loggers (one per command) that have said a DSN
// names no database: a command opens the sink and its state store, and
// says it once.
var defaultNoted sync.Map

// noteDefaultDatabase says, once per logger, that the DSN loads the
// server's default database: a DSN that forgot its /database must not load
// somewhere unexpected in silence.
func noteDefaultDatabase(log *slog.Logger, addrs []string) {
	if _, said := defaultNoted.LoadOrStore(log, true); said {
		return
	}
	log.Warn(fmt.Sprintf("CLICKHOUSE_DSN names no database: loading ClickHouse's default database at %s (end the DSN with /DATABASE to choose one, or /default to say so)", strings.Join(addrs, ",")))
}

// Name is "clickhouse".
func (s *Sink) Name() string { return Kind }

// Database is the target database.
func (s *Sink) Database() string { return s.db }

// Conn exposes the connection (state store, tests).
func (s *Sink) Conn() driver.Conn { return s.conn }

// Close closes the connection (and those to the cluster's nodes).
func (s *Sink) Close() error {
	if s.cluster != nil {
		s.cluster.close()
	}
	return s.conn.Close()
}

// Cluster is the cluster the sink loads, "" for a single server.
func (s *Sink) Cluster() string {
	if s.cluster == nil {
		return ""
	}
	return s.cluster.names.Cluster
}

// clusterNames is what the DDL needs of the cluster; nil for a single
// server.
func (s *Sink) clusterNames() *ClusterNames {
	if s.cluster == nil {
		return nil
	}
	return &s.cluster.names
}

func (s *Sink) exec(ctx context.Context, q string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	return s.conn.Exec(ctx, q, args...)
}

func (s *Sink) tableLock(name string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.tableMus[name]
	if !ok {
		m = &sync.Mutex{}
		s.tableMus[name] = m
	}
	return m
}

func (s *Sink) qualified(name string) string { return quoteIdent(s.db) + "." + quoteIdent(name) }

// CountRows counts the rows a dashboard sees under the table's name.
func (s *Sink) CountRows(ctx context.Context, table string) (int64, error) {
	n, err := s.count(ctx, table, "tuple()")
	return int64(n), err
}
