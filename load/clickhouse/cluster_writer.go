package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/apache/arrow/go/v15/arrow"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// syncStagingTimeout bounds the wait for a shard's staged rows to reach the
// replica that swaps them in: on a healthy cluster they are there within
// a second; longer means the replica holding them went away.
const syncStagingTimeout = 60 * time.Second

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
	create := localStagingDDL(t, db, local, c.names)
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
	if err := s.exec(ctx, distributedStagingDDL(t, db, dist, local, c.names)); err != nil {
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
	if err := s.exec(ctx, dropTable(s.qualified(st.dist))); err != nil {
		s.opts.Logger.Warn("could not drop staging table", "table", st.dist, "err", err)
	}
	for _, n := range st.made {
		ns, err := s.cluster.connect(ctx, s, n)
		if err == nil {
			err = ns.exec(ctx, dropTable(ns.qualified(st.local)))
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
		err := w.sink.exec(sctx, syncReplica(w.sink.qualified(w.staging)))
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
			err = ns.exec(sctx, syncReplica(ns.qualified(target)))
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
