package clickhouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/schemas"
)

// MigrationsTable records which sql/ files were applied (name and content
// hash), so applying twice changes nothing.
const MigrationsTable = "etl_schema_migrations"

// Migration is one applied or pending sql/ file.
type Migration struct {
	Name    string
	Version string
	Applied bool
}

// CreateDatabase creates the DSN's database if missing.
func (s *Sink) CreateDatabase(ctx context.Context) error {
	if s.cluster != nil {
		// ON CLUSTER waits for every node (distributed_ddl_task_timeout,
		// 180 s by default): a run with a replica down must not, when the
		// database is there already.
		have, err := s.strings(ctx, "SELECT name FROM system.databases WHERE name = ?", s.db)
		if err != nil {
			return fmt.Errorf("look up database %s: %w", s.db, err)
		}
		if len(have) > 0 {
			return nil
		}
	}
	if err := s.exec(ctx, createDatabase(s.db, s.clusterNames())); err != nil {
		return fmt.Errorf("create database %s: %w", s.db, err)
	}
	return nil
}

// Migrate applies the *.sql files of fsys in name order, each once per
// content version, then reports what it did.
func (s *Sink) Migrate(ctx context.Context, fsys fs.FS) ([]Migration, error) {
	if err := s.CreateDatabase(ctx); err != nil {
		return nil, err
	}
	if err := s.createMigrationsTable(ctx); err != nil {
		return nil, err
	}
	if s.cluster != nil {
		// sql/ holds the single-server DDL; on a cluster every table is
		// created from its declaration (Ensure, which `etl migrate` calls
		// for each configured table).
		return nil, s.Ensure(ctx, schemas.Rejects)
	}
	applied := map[string]bool{}
	qctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	rows, err := s.conn.Query(qctx, appliedMigrations(s.qualified(MigrationsTable), ""))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			rows.Close()
			cancel()
			return nil, err
		}
		applied[n+"@"+v] = true
	}
	rows.Close()
	cancel()
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Migration
	for _, name := range names {
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(body)
		m := Migration{Name: name, Version: hex.EncodeToString(sum[:8])}
		if applied[m.Name+"@"+m.Version] {
			out = append(out, m)
			continue
		}
		for i, stmt := range SplitStatements(string(body)) {
			stmt = strings.ReplaceAll(stmt, DatabaseToken, quoteIdent(s.db))
			if err := s.exec(ctx, stmt); err != nil {
				return out, fmt.Errorf("%s statement %d: %w", name, i+1, err)
			}
		}
		if err := s.exec(ctx, recordMigration(s.qualified(MigrationsTable), m, time.Now())); err != nil {
			return out, fmt.Errorf("record migration %s: %w", name, err)
		}
		m.Applied = true
		out = append(out, m)
	}
	// sql/ creates etl_rejects only where the name is free; a database
	// that has the old view gets the table now, not at the first load.
	if err := s.Ensure(ctx, schemas.Rejects); err != nil {
		return out, fmt.Errorf("%s: %w", schemas.Rejects.Name, err)
	}
	return out, nil
}

// createMigrationsTable creates MigrationsTable, replicated to every node
// in cluster mode.
func (s *Sink) createMigrationsTable(ctx context.Context) error {
	if err := s.exec(ctx, migrationsTableDDL(s.db, s.clusterNames())); err != nil {
		return fmt.Errorf("create %s: %w", MigrationsTable, err)
	}
	return nil
}

// Before etl_rejects was keyed by the row it was a view over a
// ReplacingMergeTree etl_rejects_raw keyed by window too. dropLegacyRejectsView
// drops that view so the table can take its name, and reports whether
// etl_rejects_raw is still there to be copied.
func (s *Sink) dropLegacyRejectsView(ctx context.Context) (bool, error) {
	engines, err := s.strings(ctx, "SELECT engine FROM system.tables WHERE database = ? AND name = ?", s.db, schemas.Rejects.Name)
	if err != nil {
		return false, fmt.Errorf("read the engine of %s: %w", schemas.Rejects.Name, err)
	}
	if len(engines) == 1 && engines[0] == "View" {
		if err := s.exec(ctx, dropTable(s.qualified(schemas.Rejects.Name))); err != nil {
			return false, fmt.Errorf("drop the old view %s: %w", schemas.Rejects.Name, err)
		}
	}
	raw, err := s.columns(ctx, schemas.Rejects.Name+"_raw")
	return len(raw) > 0, err
}

// copyLegacyRejects moves the old rejects into the new table, one row per
// key (the latest window's), then drops etl_rejects_raw. A copy interrupted
// before the drop is not repeated: the table is no longer empty.
func (s *Sink) copyLegacyRejects(ctx context.Context) error {
	raw := s.qualified(schemas.Rejects.Name + "_raw")
	n, err := s.count(ctx, schemas.Rejects.Name, "tuple()")
	if err != nil {
		return err
	}
	if n == 0 {
		// The columns added since (row_day) take their DEFAULT: the
		// window's day, the day those rejects were replaced by.
		have, err := s.columns(ctx, schemas.Rejects.Name+"_raw")
		if err != nil {
			return err
		}
		var names []string
		for _, c := range schemas.Rejects.Columns {
			if _, ok := have[c.Name]; ok {
				names = append(names, c.Name)
			}
		}
		if err := s.exec(ctx, legacyRejectsCopy(s.qualified(schemas.Rejects.Name), raw, names)); err != nil {
			return fmt.Errorf("copy the rejects of %s into %s: %w", raw, schemas.Rejects.Name, err)
		}
	}
	if err := s.exec(ctx, dropTable(raw)); err != nil {
		return fmt.Errorf("drop %s: %w", raw, err)
	}
	return nil
}
