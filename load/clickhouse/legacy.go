package clickhouse

import (
	"context"
	"fmt"

	"github.com/adoptionlabs/etl/schemas"
)

// migratingPrefix names the table a legacy move fills before it takes the
// merge table's name; etl_ is reserved for etl's own tables, so no stream
// can own such a name.
const migratingPrefix = "etl_migrating_"

// moveLegacyMerge moves a merge table of the old layout (rows in
// <t>_raw, a ReplacingMergeTree, and a FINAL view named t) to the plain
// table dashboards now query, with nothing lost:
//
//  1. create etl_migrating_<t> with today's DDL;
//  2. copy into it the newest row per key of <t>_raw by the declared
//     version, one partition at a time (bounded memory). Not FINAL: older
//     installs of bot_users and bot_user_custom_fields carry another version
//     column in their engine;
//  3. check it holds exactly one row per key of <t>_raw;
//  4. drop the view and rename the copy to t;
//  5. drop <t>_raw last.
//
// Every step can be repeated, and the state in system.tables says where a
// killed move stopped: a view (or no table) named t means the copy is redone
// from the start; a table named t that holds every key of <t>_raw means only
// the drop of <t>_raw was left.
func (s *Sink) moveLegacyMerge(ctx context.Context, t *schemas.Table) error {
	raw := LegacyRawTable(t)
	rawEngine, err := s.engine(ctx, raw)
	if err != nil || rawEngine == "" {
		return err
	}
	tmp := migratingPrefix + t.Name
	cur, err := s.engine(ctx, t.Name)
	if err != nil {
		return err
	}
	if cur != "" && cur != "View" {
		missing, err := s.keysMissing(ctx, t, raw)
		if err != nil {
			return err
		}
		if missing == 0 {
			return s.dropTables(ctx, tmp, raw)
		}
		// `etl migrate` applies sql/ before this move: it creates t empty
		// when a killed move had dropped the view before its rename.
		n, err := s.count(ctx, t.Name, "tuple()")
		if err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("%s.%s and the old %s both hold rows and %d keys of %s are not in %s: move the rows by hand, then drop %s", s.db, t.Name, raw, missing, raw, t.Name, raw)
		}
		if err := s.dropTables(ctx, t.Name); err != nil {
			return err
		}
	}
	s.opts.Logger.Info("moving a merge table from the old raw table and FINAL view to a plain table", "table", t.Name, "from", raw)
	if err := s.dropTables(ctx, tmp); err != nil {
		return err
	}
	if err := s.exec(ctx, createTable(t, quoteIdent(s.db), tmp)); err != nil {
		return fmt.Errorf("create %s to move %s into: %w", tmp, raw, err)
	}
	cols, err := s.legacyColumns(ctx, t, raw)
	if err != nil {
		return err
	}
	filters := []string{"1"}
	if t.Partition != "" {
		ids, err := s.strings(ctx, partitionMonths(t, s.qualified(raw)))
		if err != nil {
			return fmt.Errorf("list the months of %s: %w", raw, err)
		}
		filters = filters[:0]
		for _, id := range ids {
			filters = append(filters, partitionFilter(t, id))
		}
	}
	for _, f := range filters {
		if err := s.exec(ctx, legacyCopy(t, s.qualified(raw), s.qualified(tmp), cols, f)); err != nil {
			return fmt.Errorf("copy the newest row per key of %s (%s) into %s: %w", raw, f, tmp, err)
		}
	}
	var want, got, distinct uint64
	if err := s.scalar(ctx, countKeys(t, s.qualified(raw)), &want); err != nil {
		return fmt.Errorf("count the keys of %s: %w", raw, err)
	}
	if err := s.scalar(ctx, countRows(s.qualified(tmp), "tuple()"), &got); err != nil {
		return fmt.Errorf("count the rows of %s: %w", tmp, err)
	}
	if err := s.scalar(ctx, countKeys(t, s.qualified(tmp)), &distinct); err != nil {
		return fmt.Errorf("count the keys of %s: %w", tmp, err)
	}
	if got != want || distinct != got {
		return fmt.Errorf("moving %s to %s: the copy %s holds %d rows over %d keys, %s has %d keys; nothing was switched, rerun etl migrate", raw, t.Name, tmp, got, distinct, raw, want)
	}
	if err := s.dropTables(ctx, t.Name); err != nil {
		return err
	}
	if err := s.exec(ctx, renameTable(s.qualified(tmp), s.qualified(t.Name))); err != nil {
		return fmt.Errorf("rename %s to %s: %w (rerun etl migrate: it starts the move again)", tmp, t.Name, err)
	}
	if err := s.dropTables(ctx, raw); err != nil {
		return err
	}
	s.opts.Logger.Info("moved a merge table to a plain table", "table", t.Name, "rows", got)
	return nil
}

// legacyColumns is the column list copied from the old raw table: the
// declared columns it has (the others get their defaults). The key, version
// and partition columns must be there, and every copied column must have its
// declared type.
func (s *Sink) legacyColumns(ctx context.Context, t *schemas.Table, raw string) (string, error) {
	have, err := s.columns(ctx, raw)
	if err != nil {
		return "", err
	}
	need := append(append([]string{}, t.Key...), t.Version)
	if t.Partition != "" {
		need = append(need, t.Partition)
	}
	for _, n := range need {
		if _, ok := have[n]; !ok {
			return "", fmt.Errorf("the old table %s.%s has no column %s, which %s needs: move it by hand", s.db, raw, n, t.Name)
		}
	}
	var names []string
	for _, c := range t.Columns {
		typ, ok := have[c.Name]
		if !ok {
			continue
		}
		if want := ColumnType(c); typ != want {
			return "", fmt.Errorf("the old table %s.%s column %s is %s but declared %s: migrate it by hand (ALTER TABLE ... MODIFY COLUMN)", s.db, raw, c.Name, typ, want)
		}
		names = append(names, c.Name)
	}
	return identList(names), nil
}

// keysMissing counts the keys of raw that table lacks.
func (s *Sink) keysMissing(ctx context.Context, t *schemas.Table, raw string) (uint64, error) {
	var n uint64
	if err := s.scalar(ctx, keysMissingQuery(t, s.qualified(raw), s.qualified(t.Name)), &n); err != nil {
		return 0, fmt.Errorf("compare the keys of %s and %s: %w", raw, t.Name, err)
	}
	return n, nil
}

// engine is the engine of a table in the sink's database, "" if absent.
func (s *Sink) engine(ctx context.Context, table string) (string, error) {
	out, err := s.strings(ctx, "SELECT engine FROM system.tables WHERE database = ? AND name = ?", s.db, table)
	if err != nil {
		return "", fmt.Errorf("read the engine of %s.%s: %w", s.db, table, err)
	}
	if len(out) == 0 {
		return "", nil
	}
	return out[0], nil
}

func (s *Sink) dropTables(ctx context.Context, tables ...string) error {
	for _, n := range tables {
		if err := s.exec(ctx, dropTable(s.qualified(n))); err != nil {
			return fmt.Errorf("drop %s.%s: %w", s.db, n, err)
		}
	}
	return nil
}

func (s *Sink) scalar(ctx context.Context, q string, dest any) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	return s.conn.QueryRow(ctx, q).Scan(dest)
}
