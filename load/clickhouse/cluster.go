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
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/apache/arrow/go/v15/arrow"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// DefaultZooKeeperPath is the ZooKeeper path of a replicated table. {shard}
// is the servers' macro; etl fills {database} and {table} itself (18.16 has
// no {database} macro).
const DefaultZooKeeperPath = "/clickhouse/tables/{shard}/{database}/{table}"

// syncStagingTimeout bounds the wait for a shard's staged rows to reach the
// replica that swaps them in: on a healthy cluster they are there within
// a second; longer means the replica holding them went away.
const syncStagingTimeout = 60 * time.Second

// localSuffix marks the tables that hold a node's rows in cluster mode.
const localSuffix = "_local"

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

// LocalTable is the table that holds a node's rows of storage in cluster
// mode.
func LocalTable(storage string) string { return storage + localSuffix }

// ClusterNames is what ClusterDDL needs besides the table.
type ClusterNames struct {
	Cluster       string
	ZooKeeperPath string
}

func (c ClusterNames) path(db, table string) string {
	p := c.ZooKeeperPath
	if p == "" {
		p = DefaultZooKeeperPath
	}
	p = strings.ReplaceAll(p, "{database}", strings.Trim(db, "`"))
	return strings.ReplaceAll(p, "{table}", table)
}

// everywherePath is the path of a table replicated to every node: the
// template with {shard} taken out, since all shards share it.
func (c ClusterNames) everywherePath(db, table string) string {
	return strings.ReplaceAll(c.path(db, table), "{shard}", "all-shards")
}

func (c ClusterNames) on() string { return " ON CLUSTER " + quoteIdent(c.Cluster) }

// engineClause is t's engine, ORDER BY and PARTITION BY, replicated at path
// under replica (a macro expression).
func engineClause(t *schemas.Table, path, replica string) string {
	return fmt.Sprintf("ENGINE = ReplicatedMergeTree(%s, %s)%s", quoteString(path), quoteString(replica), keysClause(t))
}

// plainEngine is t's single-server engine clause, for the table a merge
// load rebuilds partitions in on a shard's leader: it lives on that one
// node only, and REPLACE PARTITION moves its parts into the Replicated
// table (checked on 18.16).
func plainEngine(t *schemas.Table) string {
	return "ENGINE = MergeTree" + keysClause(t)
}

// keysClause is t's PARTITION BY and ORDER BY, as createTable has them.
func keysClause(t *schemas.Table) string {
	var partition string
	if t.Partition != "" {
		partition = fmt.Sprintf("\nPARTITION BY toYYYYMM(%s)", quoteIdent(t.Partition))
	}
	order := "tuple()"
	if k := t.SortKey(); len(k) > 0 {
		order = "(" + identList(k) + ")"
	}
	if t.Disposition == schemas.Merge {
		order = "(" + identList(t.Key) + ")"
	}
	return fmt.Sprintf("%s\nORDER BY %s", partition, order)
}

// ShardingKey hashes t's key, so that all versions of a row share a shard.
// A table without a key is replaced whole on every shard, so any spread
// works.
func ShardingKey(t *schemas.Table) string {
	if len(t.Key) == 0 {
		return "rand()"
	}
	args := make([]string, len(t.Key))
	for i, k := range t.Key {
		args[i] = quoteIdent(k)
		if c, _ := t.Column(k); c.Nullable {
			args[i] = "assumeNotNull(" + args[i] + ")"
		}
	}
	return "cityHash64(" + strings.Join(args, ", ") + ")"
}

func distributedEngine(cluster, db, local, key string) string {
	return fmt.Sprintf("ENGINE = Distributed(%s, %s, %s, %s)", quoteString(cluster), quoteString(strings.Trim(db, "`")), quoteString(local), key)
}

// ClusterDDL returns the statements that create t on the cluster in db.
// Every statement is idempotent. The local tables carry no column comments:
// 18.16 cannot create a Replicated table with them ("Table structure in
// ZooKeeper is too different"); the Distributed table dashboards query does.
func ClusterDDL(t *schemas.Table, db string, c ClusterNames) []string {
	plain := make([]string, len(t.Columns))
	commented := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		plain[i] = "    " + columnTypeDefault(col)
		commented[i] = ColumnDefinition(col)
	}
	storage := StorageTable(t)
	local := LocalTable(storage)
	out := []string{
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s\n(\n%s\n)\n%s",
			db, quoteIdent(local), c.on(), strings.Join(plain, ",\n"), engineClause(t, c.path(db, local), "{replica}")),
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s\n(\n%s\n)\n%s",
			db, quoteIdent(storage), c.on(), strings.Join(commented, ",\n"), distributedEngine(c.Cluster, db, local, ShardingKey(t))),
	}
	return out
}

// onCluster adds ON CLUSTER to a CREATE/DROP statement after its table name
// (the first "db.`name`" of the statement).
func onCluster(stmt, cluster string) string {
	i := strings.Index(stmt, ".`")
	if i < 0 {
		return stmt
	}
	j := strings.Index(stmt[i+2:], "`")
	if j < 0 {
		return stmt
	}
	at := i + 2 + j + 1
	return stmt[:at] + " ON CLUSTER " + quoteIdent(cluster) + stmt[at:]
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

// clusterStaging is a staging table of the cluster: a Distributed table (on the
// DSN's node) over a replicated table on every live node.
type clusterStaging struct {
	dist, local string
	// made lists the nodes the local staging table was created on.
	made []*node
	// leaders is the replica of each shard that rebuilds and swaps.
	leaders []*node
}

// createStaging creates a load's staging on every node that answers; each
// shard needs one, or the load fails naming the shard's hosts.
func (s *Sink) createStaging(ctx context.Context, t *schemas.Table, dist string) (*clusterStaging, error) {
	c := s.cluster
	local := stagingPrefix + LocalTable(StorageTable(t)) + dist[len(stagingPrefix)+len(t.Name):]
	st := &clusterStaging{dist: dist, local: local}
	db := quoteIdent(s.db)
	// A replica killed while rows were being inserted keeps parts that
	// ZooKeeper never heard of; with the default ratio of such parts (0.5),
	// 18.16 then refuses to start at all over a staging table (seen in
	// make test-cluster). Staging is disposable: the replica detaches them
	// and starts, and a later run drops the table.
	create := fmt.Sprintf("CREATE TABLE %s.%s AS %s.%s\n%s\nSETTINGS replicated_max_ratio_of_wrong_parts = 1", db, quoteIdent(local), db, quoteIdent(LocalTable(StorageTable(t))),
		engineClause(t, c.names.path(db, local), "{replica}"))
	for i, replicas := range c.shards {
		var (
			leader *node
			hosts  []string
			errs   []error
		)
		for _, n := range replicas {
			ns, err := c.connect(ctx, s, n)
			if err == nil {
				if err = ns.exec(ctx, create); err != nil {
					err = fmt.Errorf("create staging table %s on %s: %w", local, n, err)
					n.forget()
				}
			}
			if err != nil {
				hosts = append(hosts, n.addr)
				errs = append(errs, err)
				s.opts.Logger.Warn("a replica is not available for this load", "table", t.Name, "replica", n.String(), "err", err)
				continue
			}
			st.made = append(st.made, n)
			if leader == nil {
				leader = n
			}
		}
		if leader == nil {
			s.dropClusterStaging(st)
			return nil, &ShardUnreachableError{Shard: i + 1, Hosts: hosts, Errs: errs}
		}
		st.leaders = append(st.leaders, leader)
	}
	if err := s.exec(ctx, fmt.Sprintf("CREATE TABLE %s.%s AS %s.%s\n%s", db, quoteIdent(dist), db, quoteIdent(local),
		distributedEngine(c.names.Cluster, db, local, ShardingKey(t)))); err != nil {
		s.dropClusterStaging(st)
		return nil, fmt.Errorf("create the distributed staging table for %s: %w", t.Name, err)
	}
	return st, nil
}

// dropClusterStaging drops a load's staging tables wherever they were made;
// a node that does not answer keeps its copy until DropStaleStaging.
func (s *Sink) dropClusterStaging(st *clusterStaging) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := s.exec(ctx, "DROP TABLE IF EXISTS "+s.qualified(st.dist)); err != nil {
		s.opts.Logger.Warn("could not drop staging table", "table", st.dist, "err", err)
	}
	for _, n := range st.made {
		ns, err := s.cluster.connect(ctx, s, n)
		if err == nil {
			err = ns.exec(ctx, "DROP TABLE IF EXISTS "+ns.qualified(st.local))
		}
		if err != nil {
			s.opts.Logger.Warn("could not drop staging table", "table", st.local, "replica", n.String(), "err", err)
		}
	}
}

// clusterWriter loads one table's window on the cluster: rows through the
// Distributed staging table, then per shard the single-server rebuild and
// swap on the shard's leader replica.
type clusterWriter struct {
	sink    *Sink
	table   *schemas.Table
	staging *clusterStaging
	shards  []*writer // one per shard, on its leader
	stager  *stager   // into the Distributed staging table
	state   writerState
}

var _ interface {
	Prepare(context.Context) error
	Swap(context.Context) error
} = (*clusterWriter)(nil)

func (s *Sink) beginCluster(ctx context.Context, t *schemas.Table, w window.Window, stream string) (*clusterWriter, error) {
	st, err := s.createStaging(ctx, t, stagingName(t.Name))
	if err != nil {
		return nil, fmt.Errorf("create staging for %s: %w", t.Name, err)
	}
	cw := &clusterWriter{sink: s, table: t, staging: st, stager: newStager(s, t, st.dist, distributedInsert)}
	for _, n := range st.leaders {
		ns, err := s.cluster.connect(ctx, s, n)
		if err != nil {
			s.dropClusterStaging(st)
			return nil, err
		}
		cw.shards = append(cw.shards, &writer{sink: ns, table: t, window: w, stream: stream, target: LocalTable(StorageTable(t)), staging: st.local, rebuildEngine: plainEngine(t)})
	}
	return cw, nil
}

// ReplaceWholeStream implements load.WholeStream.
func (cw *clusterWriter) ReplaceWholeStream() {
	for _, w := range cw.shards {
		w.whole = true
	}
}

// distributedInsert routes rows to their shard while the INSERT runs and
// keeps identical blocks (Replicated tables drop a block they saw before,
// and two pages may carry the same rows).
var distributedInsert = ch.Settings{"insert_distributed_sync": 1, "insert_deduplicate": 0}

func (cw *clusterWriter) Write(ctx context.Context, rec arrow.Record) error {
	if cw.state != writing {
		return fmt.Errorf("write to %s after its load was prepared or finished", cw.table.Name)
	}
	return cw.stager.write(ctx, rec)
}

func (cw *clusterWriter) Commit(ctx context.Context) error {
	if cw.state == done {
		return nil
	}
	if err := cw.Prepare(ctx); err != nil {
		_ = cw.Abort(ctx)
		return err
	}
	return cw.Swap(ctx)
}

// Prepare waits until each leader holds all of its shard's staged rows
// (they may have been inserted through the other replica), then rebuilds
// the shard's touched partitions there.
func (cw *clusterWriter) Prepare(ctx context.Context) error {
	if cw.state != writing {
		return fmt.Errorf("prepare %s: the load was already prepared or finished", cw.table.Name)
	}
	cw.state = prepared
	if err := cw.stager.flush(); err != nil {
		return fmt.Errorf("stage %s: %w", cw.table.Name, err)
	}
	for i, w := range cw.shards {
		leader := cw.staging.leaders[i]
		sctx, cancel := context.WithTimeout(ctx, syncStagingTimeout)
		err := w.sink.exec(sctx, "SYSTEM SYNC REPLICA "+w.sink.qualified(w.staging))
		cancel()
		if err != nil {
			return fmt.Errorf("stage %s window %s: shard %d: the staged rows did not all reach %s within %s (the replica that took some of them may be down); nothing was swapped in: rerun: %w", cw.table.Name, w.window, leader.shard, leader, syncStagingTimeout, err)
		}
		if err := w.Prepare(ctx); err != nil {
			return fmt.Errorf("shard %d on %s: %w", leader.shard, leader, err)
		}
	}
	// A leader without its ZooKeeper session cannot swap: finding that
	// out now fails the window before any shard is swapped in, instead of
	// after the first shards were.
	for i, w := range cw.shards {
		leader := cw.staging.leaders[i]
		var bad uint8
		qctx, cancel := context.WithTimeout(ctx, w.sink.opts.QueryTimeout)
		err := w.sink.conn.QueryRow(qctx, "SELECT toUInt8(is_readonly OR is_session_expired) FROM system.replicas WHERE database = ? AND table = ?", w.sink.db, w.target).Scan(&bad)
		cancel()
		if err != nil {
			return fmt.Errorf("stage %s window %s: shard %d: read the replication status of %s on %s: %w", cw.table.Name, w.window, leader.shard, w.target, leader, err)
		}
		if bad != 0 {
			return fmt.Errorf("stage %s window %s: shard %d: %s on %s is read-only (it lost its ZooKeeper session); nothing was swapped in: rerun once ZooKeeper is back", cw.table.Name, w.window, leader.shard, w.target, leader)
		}
		if err := cw.waitForLeader(ctx, leader.shard, w.target); err != nil {
			return fmt.Errorf("stage %s window %s: %w", cw.table.Name, w.window, err)
		}
	}
	return nil
}

// leaderWait bounds the wait for a shard's replicas to elect the leader of
// a table: DROP PARTITION goes through the leader, and right after a
// replica restarted 18.16 failed it with "Leader was suddenly changed"
// (seen in make test-cluster), after other shards were swapped in.
const leaderWait = 30 * time.Second

// waitForLeader waits until one of the shard's replicas that took part in
// this load leads target.
func (cw *clusterWriter) waitForLeader(ctx context.Context, shard int, target string) error {
	deadline := time.Now().Add(leaderWait)
	for {
		for _, n := range cw.staging.made {
			if n.shard != shard {
				continue
			}
			ns, err := cw.sink.cluster.connect(ctx, cw.sink, n)
			if err != nil {
				continue
			}
			var leads uint8
			qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err = ns.conn.QueryRow(qctx, "SELECT is_leader FROM system.replicas WHERE database = ? AND table = ?", ns.db, target).Scan(&leads)
			cancel()
			if err == nil && leads == 1 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("shard %d: no replica leads %s after %s (did one just restart?); nothing was swapped in: rerun", shard, target, leaderWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Swap swaps each shard's partitions in on its leader, then waits (briefly)
// for the shard's other live replicas to have them, so that a dashboard
// reading any replica right after the commit sees the window.
func (cw *clusterWriter) Swap(ctx context.Context) error {
	if cw.state == done {
		return nil
	}
	if cw.state != prepared {
		return fmt.Errorf("swap %s: the load was not prepared", cw.table.Name)
	}
	defer cw.finish()
	var swapped []string
	for i, w := range cw.shards {
		leader := cw.staging.leaders[i]
		if err := w.Swap(ctx); err != nil {
			before := "none"
			if len(swapped) > 0 {
				before = strings.Join(swapped, ", ")
			}
			return fmt.Errorf("shard %d on %s: %w; shards of %s already swapped in: %s; a rerun of the window replaces them", leader.shard, leader, err, cw.table.Name, before)
		}
		swapped = append(swapped, strconv.Itoa(leader.shard))
	}
	cw.syncReplicas(ctx)
	return nil
}

func (cw *clusterWriter) syncReplicas(ctx context.Context) {
	target := LocalTable(StorageTable(cw.table))
	for _, n := range cw.staging.made {
		if isLeader(n, cw.staging.leaders) {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		ns, err := cw.sink.cluster.connect(sctx, cw.sink, n)
		if err == nil {
			err = ns.exec(sctx, "SYSTEM SYNC REPLICA "+ns.qualified(target))
		}
		cancel()
		if err != nil {
			cw.sink.opts.Logger.Warn("a replica has not caught up yet; it will by itself", "table", target, "replica", n.String(), "err", err)
		}
	}
}

func isLeader(n *node, leaders []*node) bool {
	for _, l := range leaders {
		if l == n {
			return true
		}
	}
	return false
}

func (cw *clusterWriter) Abort(ctx context.Context) error {
	if cw.state == done {
		return nil
	}
	for _, w := range cw.shards {
		_ = w.Abort(ctx)
	}
	cw.finish()
	return nil
}

func (cw *clusterWriter) finish() {
	cw.state = done
	cw.stager.discard()
	for _, w := range cw.shards {
		_ = w.Abort(context.Background()) // releases the shards a failed swap did not reach
	}
	cw.sink.dropClusterStaging(cw.staging)
}

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

var (
	inSubquery = regexp.MustCompile(`\b((?:NOT )?IN \(SELECT\b)`)
	joinClause = regexp.MustCompile(`\b((?:(?:ANY|ALL) )?(?:(?:LEFT|RIGHT|INNER|FULL)(?: OUTER)? )?JOIN\b)`)
)

// globalSubqueries makes a curated view's IN and JOIN subqueries GLOBAL.
// Its tables are Distributed on a cluster, and 18.16 refuses an IN or JOIN
// over a Distributed table inside a query over another one
// (distributed_product_mode = 'deny'); GLOBAL runs the subquery once over the
// whole cluster and ships its result to every shard, which is exact whatever
// the two tables are sharded by ('local' would be exact only for tables
// sharded by the same key).
func globalSubqueries(stmt string) string {
	stmt = inSubquery.ReplaceAllString(stmt, "GLOBAL $1")
	return joinClause.ReplaceAllStringFunc(stmt, func(j string) string { return "GLOBAL " + j })
}

// ensureCluster is Ensure on a cluster: the local table and its
// Distributed table, ON CLUSTER; new columns are added to the
// local table ON CLUSTER (the replicated ALTER runs once per shard) and to
// the Distributed table on each node (18.16 refuses ALTER ... ON CLUSTER on
// a Distributed table of a cluster with internal_replication).
func (s *Sink) ensureCluster(ctx context.Context, t *schemas.Table) error {
	storage := StorageTable(t)
	local := LocalTable(storage)
	have, err := s.columns(ctx, local)
	if err != nil {
		return err
	}
	dist, err := s.columns(ctx, storage)
	if err != nil {
		return err
	}
	if len(have) == 0 || len(dist) == 0 {
		if err := s.CreateDatabase(ctx); err != nil {
			return err
		}
		for _, stmt := range ClusterDDL(t, quoteIdent(s.db), s.cluster.names) {
			if err := s.exec(ctx, stmt); err != nil {
				return fmt.Errorf("create table %s on cluster %s: %w", t.Name, s.cluster.names.Cluster, err)
			}
		}
		return nil
	}
	added := false
	for _, c := range t.Columns {
		typ, ok := have[c.Name]
		if ok {
			if want := ColumnType(c); typ != want {
				return fmt.Errorf("table %s.%s column %s is %s in ClickHouse but declared %s: migrate it by hand (ALTER TABLE ... ON CLUSTER ... MODIFY COLUMN on %s and %s) or rename the column", s.db, local, c.Name, typ, want, local, storage)
			}
			continue
		}
		q := fmt.Sprintf("ALTER TABLE %s%s ADD COLUMN %s%s", s.qualified(local), s.cluster.names.on(), columnTypeDefault(c), after(t, c))
		if err := s.exec(ctx, q); err != nil {
			return fmt.Errorf("add column %s to %s on cluster %s: %w", c.Name, local, s.cluster.names.Cluster, err)
		}
		added = true
	}
	// Each node's Distributed table is compared only when the DSN's node
	// shows a change: asking every node on every load would wait for the
	// dial timeout of each node that is down.
	distStale := added
	for _, c := range t.Columns {
		if _, ok := dist[c.Name]; !ok {
			distStale = true
		}
	}
	var nodes []*Sink
	if distStale {
		nodes = s.clusterNodes(ctx)
	}
	for _, ns := range nodes {
		cols, err := ns.columns(ctx, storage)
		if err != nil {
			return err
		}
		for _, c := range t.Columns {
			if _, ok := cols[c.Name]; ok || len(cols) == 0 {
				continue
			}
			if err := ns.exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s%s", ns.qualified(storage), strings.TrimSpace(ColumnDefinition(c)), after(t, c))); err != nil {
				return fmt.Errorf("add column %s to %s: %w", c.Name, storage, err)
			}
		}
	}
	return nil
}

var (
	createTableName = regexp.MustCompile("^(CREATE TABLE IF NOT EXISTS [^ ]+\\.`([A-Za-z0-9_]+)`)")
	replacingEngine = regexp.MustCompile(`ENGINE = ReplacingMergeTree\(([a-z_]+)\)`)
	columnComment   = regexp.MustCompile(` COMMENT '(?:[^'\\]|\\.)*'`)
)

// everywhereDDL turns the single-server DDL of one of etl's own tables
// into its cluster form: ON CLUSTER, replicated to every node, and without
// column comments (which 18.16's Replicated engines reject).
func (s *Sink) everywhereDDL(stmt string) string {
	m := createTableName.FindStringSubmatch(stmt)
	if m == nil {
		return stmt
	}
	stmt = m[1] + s.cluster.names.on() + stmt[len(m[1]):]
	stmt = replacingEngine.ReplaceAllStringFunc(stmt, func(e string) string {
		v := replacingEngine.FindStringSubmatch(e)[1]
		return "ENGINE = " + s.everywhereEngine(m[2], "ReplicatedReplacingMergeTree", v)
	})
	return columnComment.ReplaceAllString(stmt, "")
}
