package clickhouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/views"
)

// viewPrefix names a curated view's row in MigrationsTable.
const viewPrefix = "view:"

// SupportsCreateOrReplaceView reports whether a server of that version
// (`SELECT version()`) has CREATE OR REPLACE VIEW. 18.16 rejects it as a
// syntax error; 21.1 and later have it. In between, the older path is kept:
// it works everywhere.
func SupportsCreateOrReplaceView(version string) bool {
	parts := strings.SplitN(version, ".", 3)
	major, err := strconv.Atoi(parts[0])
	if err != nil {
		return false
	}
	return major >= 21
}

// viewVersion identifies a view's definition independently of the server
// version, so that the same definition is not reapplied.
func viewVersion(v views.View) (string, error) {
	stmts, err := v.Create(views.ClickHouse, false)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(strings.Join(stmts, ";\n")))
	return hex.EncodeToString(sum[:8]), nil
}

// ApplyViews creates the curated views (views.All, in order: later views
// read earlier ones), and recreates one whose definition changed since it
// was applied or which is missing. Run it after Migrate: the views read the
// tables Migrate creates.
func (s *Sink) ApplyViews(ctx context.Context, vs []views.View) ([]Migration, error) {
	var version string
	qctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	err := s.conn.QueryRow(qctx, "SELECT version()").Scan(&version)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("read the server version: %w", err)
	}
	orReplace := SupportsCreateOrReplaceView(version)
	if err := s.createMigrationsTable(ctx); err != nil {
		return nil, err
	}
	applied, err := s.appliedViews(ctx)
	if err != nil {
		return nil, err
	}
	existing, err := s.existingViews(ctx)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, v := range vs {
		ver, err := viewVersion(v)
		if err != nil {
			return out, err
		}
		m := Migration{Name: viewPrefix + v.Name, Version: ver}
		if applied[m.Name+"@"+ver] && existing[v.Name] {
			out = append(out, m)
			continue
		}
		stmts, err := ViewStatements(v, quoteIdent(s.db), orReplace)
		if err != nil {
			return out, err
		}
		for _, stmt := range stmts {
			if s.cluster != nil {
				stmt = clusterView(stmt, s.cluster.names)
			}
			if err := s.exec(ctx, stmt); err != nil {
				return out, fmt.Errorf("view %s.%s (ClickHouse %s): %w; the tables it reads come from `etl migrate`", s.db, v.Name, version, err)
			}
		}
		if err := s.exec(ctx, recordMigration(s.qualified(MigrationsTable), m, time.Now())); err != nil {
			return out, fmt.Errorf("record view %s: %w", v.Name, err)
		}
		m.Applied = true
		out = append(out, m)
	}
	return out, nil
}

func (s *Sink) appliedViews(ctx context.Context) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(ctx, appliedMigrations(s.qualified(MigrationsTable), viewPrefix))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
		}
		out[n+"@"+v] = true
	}
	return out, rows.Err()
}

func (s *Sink) existingViews(ctx context.Context) (map[string]bool, error) {
	return catalogRead(ctx, func() (map[string]bool, error) { return s.existingViewsOnce(ctx) })
}

func (s *Sink) existingViewsOnce(ctx context.Context) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(ctx, "SELECT name FROM system.tables WHERE database = ? AND engine = 'View'", s.db)
	if err != nil {
		return nil, fmt.Errorf("list views of %s: %w", s.db, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list views of %s: %w", s.db, err)
		}
		out[n] = true
	}
	return out, rows.Err()
}

// SyncComments sets the COMMENT of every declared column whose comment in
// ClickHouse differs from its Doc: CREATE TABLE IF NOT EXISTS leaves the
// tables of an existing deployment as they were, and BI tools show these
// comments as column descriptions. It returns how many columns it changed.
func (s *Sink) SyncComments(ctx context.Context, tables []*schemas.Table) (int, error) {
	if s.cluster != nil {
		// 18.16 has no ALTER ... COMMENT COLUMN on Distributed tables and no
		// comments on Replicated ones: the Distributed tables get their
		// comments when created.
		return 0, nil
	}
	changed := 0
	for _, t := range tables {
		table := StorageTable(t)
		have, err := s.comments(ctx, table)
		if err != nil {
			return changed, err
		}
		for _, c := range t.Columns {
			cur, ok := have[c.Name]
			if !ok || cur == c.Doc {
				continue // a missing column is Ensure's to add, with its comment
			}
			if err := s.exec(ctx, commentColumn(s.qualified(table), c)); err != nil {
				return changed, fmt.Errorf("comment column %s.%s.%s: %w", s.db, table, c.Name, err)
			}
			changed++
		}
	}
	return changed, nil
}

func (s *Sink) comments(ctx context.Context, table string) (map[string]string, error) {
	return catalogRead(ctx, func() (map[string]string, error) { return s.commentsOnce(ctx, table) })
}

func (s *Sink) commentsOnce(ctx context.Context, table string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(ctx, "SELECT name, comment FROM system.columns WHERE database = ? AND table = ?", s.db, table)
	if err != nil {
		return nil, fmt.Errorf("read column comments of %s.%s: %w", s.db, table, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, c string
		if err := rows.Scan(&n, &c); err != nil {
			return nil, fmt.Errorf("read column comments of %s.%s: %w", s.db, table, err)
		}
		out[n] = c
	}
	return out, rows.Err()
}
