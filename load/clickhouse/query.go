package clickhouse

import (
	"context"
	"fmt"
	"strings"
)

// partitionFlags runs q, which returns (partition, UInt64) rows, and says
// per partition whether its number is above zero; what names the query in
// errors.
func (s *Sink) partitionFlags(ctx context.Context, q, what string) (map[string]bool, error) {
	qctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(qctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var (
			p string
			n uint64
		)
		if err := rows.Scan(&p, &n); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out[p] = n > 0
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func (s *Sink) count(ctx context.Context, table, filter string) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	var n uint64
	if err := s.conn.QueryRow(ctx, countRows(s.qualified(table), filter)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}

// partitions lists the partitions (as ALTER ... PARTITION takes them) that
// hold active parts of table.
func (s *Sink) partitions(ctx context.Context, table string) ([]string, error) {
	out, err := s.strings(ctx, "SELECT DISTINCT partition FROM system.parts WHERE database = ? AND table = ? AND active ORDER BY partition", s.db, table)
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", table, err)
	}
	return out, nil
}

// strings runs a query whose single column is a String; a query of system
// tables is retried after a concurrent DROP broke it (retryCatalog).
func (s *Sink) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	if !strings.Contains(q, "FROM system.") {
		return s.stringsOnce(ctx, q, args...)
	}
	return catalogRead(ctx, func() ([]string, error) { return s.stringsOnce(ctx, q, args...) })
}

func (s *Sink) stringsOnce(ctx context.Context, q string, args ...any) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
