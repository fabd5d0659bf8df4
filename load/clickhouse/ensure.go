package clickhouse

import (
	"context"
	"fmt"

	"github.com/adoptionlabs/etl/schemas"
)

// Ensure makes t exist with every declared column: it creates what is
// missing and adds new columns (18.16 has no ADD COLUMN IF NOT EXISTS, so
// system.columns is read first). A column whose type changed is an error to
// resolve by hand: converting data silently is not this tool's call.
func (s *Sink) Ensure(ctx context.Context, t *schemas.Table) (err error) {
	s.mu.Lock()
	done := s.ensured[t.Name]
	s.mu.Unlock()
	if done {
		return nil
	}
	lock := s.tableLock("ensure:" + t.Name)
	lock.Lock()
	defer lock.Unlock()
	if s.cluster != nil {
		if err := s.ensureCluster(ctx, t); err != nil {
			return err
		}
		s.mu.Lock()
		s.ensured[t.Name] = true
		s.mu.Unlock()
		return nil
	}
	legacyRejects := false
	if t.Name == schemas.Rejects.Name {
		if legacyRejects, err = s.dropLegacyRejectsView(ctx); err != nil {
			return err
		}
	}
	if LegacyRawTable(t) != "" {
		if err := s.moveLegacyMerge(ctx, t); err != nil {
			return err
		}
	}
	have, err := s.columns(ctx, StorageTable(t))
	if err != nil {
		return err
	}
	if len(have) == 0 {
		if err := s.CreateDatabase(ctx); err != nil {
			return err
		}
		for _, stmt := range DDL(t, quoteIdent(s.db)) {
			if err := s.exec(ctx, stmt); err != nil {
				return fmt.Errorf("create table %s: %w", t.Name, err)
			}
		}
	} else {
		for _, c := range t.Columns {
			typ, ok := have[c.Name]
			if !ok {
				if err := s.exec(ctx, addColumn(s.qualified(StorageTable(t)), t, c)); err != nil {
					return fmt.Errorf("add column %s to %s: %w", c.Name, t.Name, err)
				}
				continue
			}
			if want := ColumnType(c); typ != want {
				return fmt.Errorf("table %s.%s column %s is %s in ClickHouse but declared %s: migrate it by hand (ALTER TABLE ... MODIFY COLUMN) or rename the column", s.db, StorageTable(t), c.Name, typ, want)
			}
		}
	}
	if legacyRejects {
		if err := s.copyLegacyRejects(ctx); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.ensured[t.Name] = true
	s.mu.Unlock()
	return nil
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
		if err := s.exec(ctx, addLocalColumn(s.qualified(local), s.cluster.names, t, c)); err != nil {
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
			if err := ns.exec(ctx, addColumn(ns.qualified(storage), t, c)); err != nil {
				return fmt.Errorf("add column %s to %s: %w", c.Name, storage, err)
			}
		}
	}
	return nil
}

// columns returns name -> type of a table's columns, empty if it is absent.
func (s *Sink) columns(ctx context.Context, table string) (map[string]string, error) {
	return catalogRead(ctx, func() (map[string]string, error) { return s.columnsOnce(ctx, table) })
}

func (s *Sink) columnsOnce(ctx context.Context, table string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(ctx, "SELECT name, type FROM system.columns WHERE database = ? AND table = ?", s.db, table)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s.%s: %w", s.db, table, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return nil, err
		}
		out[n] = t
	}
	return out, rows.Err()
}
