// Package clickhouse loads Arrow batches into ClickHouse over the native
// protocol and owns the DDL, so that what a dashboard reads by table name is
// exact without FINAL or GROUP BY on the analyst's side.
//
// Engines, by disposition: every table dashboards query is a plain MergeTree
// whose rows are exact, so reads need no FINAL and prune partitions.
//   - merge: one row per key, ordered by the key and partitioned by the month
//     of a column that never changes for a key. A load dedupes at load time:
//     each partition it touches is rebuilt in staging (the live rows whose key
//     the load does not replace, plus the newest row of each touched key among
//     the live and the new ones) and swapped in with REPLACE PARTITION; a
//     partition the table does not hold yet whose staged rows have one row
//     per key is swapped in from staging as it is (a first backfill).
//     Earlier releases stored <table>_raw (ReplacingMergeTree) behind a FINAL
//     view; Ensure moves such a deployment to the table (legacy.go).
//   - replace-window: a MergeTree partitioned by the month of the day column.
//     A load stages rows, rebuilds each touched month (other days copied from
//     the live table) and swaps it in with REPLACE PARTITION: atomic per month.
//   - replace-all: an unpartitioned MergeTree replaced whole the same way.
//
// The DDL avoids what ClickHouse 18.16 lacks (DateTime64, LowCardinality,
// Map, JSON, Bool, TTL, IF NOT EXISTS on columns) so it also runs unchanged
// on current releases.
package clickhouse

import (
	"fmt"
	"strings"

	"github.com/adoptionlabs/etl/schemas"
)

// DatabaseToken stands for the target database in the DDL files of sql/.
const DatabaseToken = "{database}"

// ColumnType is the ClickHouse type of a column.
func ColumnType(c schemas.Column) string {
	var t string
	switch c.Type {
	case schemas.String, schemas.JSON:
		t = "String"
	case schemas.Int64:
		t = "Int64"
	case schemas.Float64:
		t = "Float64"
	case schemas.Bool:
		t = "UInt8"
	case schemas.Timestamp:
		t = "DateTime('UTC')"
	case schemas.Date:
		t = "Date"
	case schemas.StringList:
		return "Array(String)"
	}
	if c.Nullable {
		return "Nullable(" + t + ")"
	}
	return t
}

// StorageTable is the table rows are inserted into: the table dashboards
// query, whatever the disposition.
func StorageTable(t *schemas.Table) string { return t.Name }

// LegacyRawTable is where releases before dedupe at load time kept a merge
// table's rows (behind a FINAL view named t.Name); "" for other tables. The
// name stays reserved: Ensure moves what it holds into the table.
func LegacyRawTable(t *schemas.Table) string {
	if t.Disposition == schemas.Merge {
		return t.Name + "_raw"
	}
	return ""
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "\\`") + "`" }

func quoteString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

func identList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// ColumnDefinition renders one column line of CREATE TABLE.
func ColumnDefinition(c schemas.Column) string {
	s := "    " + columnTypeDefault(c)
	if c.Doc != "" {
		s += " COMMENT " + quoteString(c.Doc)
	}
	return s
}

// columnTypeDefault is a column's name, type and DEFAULT, if any: what
// every table of a column carries, with or without its comment.
func columnTypeDefault(c schemas.Column) string {
	s := quoteIdent(c.Name) + " " + ColumnType(c)
	if c.Default != "" {
		s += " DEFAULT " + c.Default
	}
	return s
}

// DDL returns the statements that create t in db (use DatabaseToken for the
// files in sql/). Every statement is idempotent.
func DDL(t *schemas.Table, db string) []string {
	return []string{createTable(t, db, StorageTable(t))}
}

// createTable is the CREATE TABLE IF NOT EXISTS of t under the name table.
func createTable(t *schemas.Table, db, table string) string {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = ColumnDefinition(c)
	}
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
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s\n(\n%s\n)\nENGINE = MergeTree%s\nORDER BY %s",
		db, quoteIdent(table), strings.Join(cols, ",\n"), partition, order)
}

// columnNames lists t's columns in declaration order.
func columnNames(t *schemas.Table) []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// File renders the DDL of several tables as one sql/ file.
func File(title string, tables []*schemas.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s\n-- Generated from the table declarations by `make generate`; do not edit.\n-- %s is replaced by the target database when `etl migrate` applies it.\n", title, DatabaseToken)
	for _, t := range tables {
		fmt.Fprintf(&b, "\n-- %s (%s, key: %s)\n", t.Name, t.Disposition, strings.Join(t.Key, ", "))
		for _, s := range DDL(t, DatabaseToken) {
			b.WriteString(s)
			b.WriteString(";\n")
		}
	}
	return b.String()
}

// SplitStatements splits a sql/ file on the semicolons that end statements,
// ignoring comment lines. The generated files never put ';' inside strings
// except in comments, which COMMENT clauses escape.
func SplitStatements(file string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(file, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			s := strings.TrimSpace(cur.String())
			out = append(out, strings.TrimSuffix(s, ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
