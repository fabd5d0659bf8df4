package clickhouse

// Cluster mode (Options.Cluster): the tables live on a ClickHouse cluster of
// shards, each with replicas coordinated by ZooKeeper.
//
//   - DDL runs ON CLUSTER. A table's rows live in <storage>_local, the
//     Replicated form of its single-server engine; <storage> is a
//     Distributed table over it, so dashboards query the same name as on one
//     server. Rows go to the shard cityHash64(key columns) picks, so every
//     version of a row lands on the same shard and the rebuilds of
//     partitions stay shard-local.
//   - etl's own tables (state, locks, backfill progress, migrations) are
//     replicated to every node, not sharded: any node then answers with the
//     same watermarks and the same lock.
//   - A load inserts into a Distributed staging table over per-node,
//     per-shard-replicated staging tables (insert_distributed_sync=1, so an
//     insert returns once its shard has the rows: the server routes rows
//     with the same hash as the live table, which a client-side router would
//     have to reimplement). Then, on one replica per shard, it rebuilds the
//     touched partitions in staging (merge tables: dedupe by key, in a plain
//     MergeTree on that replica) and swaps them in with REPLACE PARTITION,
//     which the shard's other replicas replicate. Staging is replicated only
//     so that the rows a Distributed insert sent to either replica reach the
//     one that swaps (SYSTEM SYNC REPLICA).
//   - Curated views read the Distributed tables with GLOBAL IN/JOIN.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// ClusterOptions puts the sink in cluster mode.
type ClusterOptions struct {
	// Name is the cluster of the servers' remote_servers.
	Name string
	// ZooKeeperPath is the path template of replicated tables; it must
	// contain {shard} and {table} (DefaultZooKeeperPath when empty).
	ZooKeeperPath string
}

// CheckZooKeeperPath reports a path template that would make two tables or
// two shards share a ZooKeeper path.
func CheckZooKeeperPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("zookeeper_path %q must start with /", p)
	}
	for _, need := range []string{"{shard}", "{table}"} {
		if !strings.Contains(p, need) {
			return fmt.Errorf("zookeeper_path %q must contain %s (else two shards or two tables share one ZooKeeper path)", p, need)
		}
	}
	if strings.ContainsAny(p, "'\\") {
		return fmt.Errorf("zookeeper_path %q must not contain quotes or backslashes", p)
	}
	return nil
}

// node is one server of the cluster.
type node struct {
	shard, replica int
	addr           string
	mu             sync.Mutex
	sink           *Sink // connected lazily; nil until then
	// failed and failedErr remember a failed dial for downFor, so that a
	// node that is down costs one dial timeout, not one per table.
	failed    time.Time
	failedErr error
}

// downFor is how long a node that did not answer is skipped.
const downFor = 30 * time.Second

func (n *node) String() string {
	return fmt.Sprintf("%s (shard %d replica %d)", n.addr, n.shard, n.replica)
}

// cluster is the sink's view of the servers, read from system.clusters.
type cluster struct {
	names  ClusterNames
	base   *ch.Options
	nodes  []*node   // shard-major
	shards [][]*node // shard i-1 -> its replicas in config order
}

// discoverCluster reads the cluster's servers as the DSN's node sees them.
func (s *Sink) discoverCluster(ctx context.Context, dsn string, o ClusterOptions) error {
	base, _, err := parseDSN(dsn)
	if err != nil {
		return err
	}
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rows, err := s.conn.Query(qctx, "SELECT shard_num, replica_num, host_address, port FROM system.clusters WHERE cluster = ? ORDER BY shard_num, replica_num", o.Name)
	if err != nil {
		return fmt.Errorf("read cluster %s from system.clusters: %w", o.Name, err)
	}
	defer rows.Close()
	c := &cluster{names: ClusterNames{Cluster: o.Name, ZooKeeperPath: o.ZooKeeperPath}, base: base}
	for rows.Next() {
		var (
			shard, replica uint32
			host           string
			port           uint16
		)
		if err := rows.Scan(&shard, &replica, &host, &port); err != nil {
			return fmt.Errorf("read cluster %s from system.clusters: %w", o.Name, err)
		}
		n := &node{shard: int(shard), replica: int(replica), addr: net.JoinHostPort(host, strconv.Itoa(int(port)))}
		c.nodes = append(c.nodes, n)
		for len(c.shards) < int(shard) {
			c.shards = append(c.shards, nil)
		}
		c.shards[shard-1] = append(c.shards[shard-1], n)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read cluster %s from system.clusters: %w", o.Name, err)
	}
	if len(c.nodes) == 0 {
		return &DSNError{fmt.Sprintf("ClickHouse cluster %q is not in remote_servers of the server the DSN names (clickhouse.cluster / CLICKHOUSE_CLUSTER; see system.clusters)", o.Name)}
	}
	s.cluster = c
	return nil
}

// connect returns a sink on n, connecting if needed.
func (c *cluster) connect(ctx context.Context, parent *Sink, n *node) (*Sink, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sink != nil {
		return n.sink, nil
	}
	if n.failedErr != nil && time.Since(n.failed) < downFor {
		return nil, n.failedErr
	}
	sink, err := c.dial(ctx, parent, n)
	if err != nil {
		n.failed, n.failedErr = time.Now(), err
		return nil, err
	}
	n.failedErr = nil
	n.sink = sink
	return sink, nil
}

func (c *cluster) dial(ctx context.Context, parent *Sink, n *node) (*Sink, error) {
	o := *c.base
	o.Addr = []string{n.addr}
	o.Auth.Database = "default"
	o.DialTimeout = 5 * time.Second
	conn, err := ch.Open(&o)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", n, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("%s does not answer: %w", n, err)
	}
	return &Sink{conn: conn, db: parent.db, opts: parent.opts, tableMus: map[string]*sync.Mutex{}, ensured: map[string]bool{}, insertSlots: make(chan struct{}, openInserts), squashRows: parent.squashRows}, nil
}

// forget drops n's connection after an error, so the next use redials.
func (n *node) forget() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sink != nil {
		_ = n.sink.conn.Close()
		n.sink = nil
	}
}

func (c *cluster) close() {
	for _, n := range c.nodes {
		n.forget()
	}
}

// ShardUnreachableError is a shard none of whose replicas answered.
type ShardUnreachableError struct {
	Shard int
	Hosts []string
	Errs  []error
}

func (e *ShardUnreachableError) Error() string {
	parts := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		parts[i] = err.Error()
	}
	return fmt.Sprintf("shard %d of the cluster is unreachable (hosts %s): %s; nothing was swapped in: rerun once a replica of the shard is back", e.Shard, strings.Join(e.Hosts, ", "), strings.Join(parts, "; "))
}

func (e *ShardUnreachableError) Unwrap() error { return errors.Join(e.Errs...) }

// clusterNodes lists the sinks of every node that answers, for the
// statements that run on each node (stale staging cleanup).
func (s *Sink) clusterNodes(ctx context.Context) []*Sink {
	var out []*Sink
	for _, n := range s.cluster.nodes {
		ns, err := s.cluster.connect(ctx, s, n)
		if err != nil {
			s.opts.Logger.Warn("a replica does not answer", "replica", n.String(), "err", err)
			continue
		}
		out = append(out, ns)
	}
	return out
}
