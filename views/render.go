package views

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"text/template"

	"github.com/adoptionlabs/etl/schemas"
)

// Dialect is the SQL a view is rendered in.
type Dialect string

const (
	// ClickHouse runs on 18.16 and current releases; table names are
	// qualified with DatabaseToken.
	ClickHouse Dialect = "clickhouse"
	// DuckDB reads the Parquet layout through the base views of
	// DuckDBTables.
	DuckDB Dialect = "duckdb"
)

// ParseDialect reads --dialect.
func ParseDialect(s string) (Dialect, error) {
	switch Dialect(s) {
	case ClickHouse, DuckDB:
		return Dialect(s), nil
	}
	return "", fmt.Errorf("unknown dialect %q (want clickhouse or duckdb)", s)
}

// DatabaseToken stands for the target database in ClickHouse SQL, as in
// the sql/ files.
const DatabaseToken = "{database}"

func funcs(d Dialect) template.FuncMap {
	ch := d == ClickHouse
	q := func(s string) string {
		if ch {
			return "`" + s + "`"
		}
		return `"` + s + `"`
	}
	toInt := func(x string) string {
		if ch {
			return "toInt64(" + x + ")"
		}
		return "CAST(" + x + " AS BIGINT)"
	}
	toFloat := func(x string) string {
		if ch {
			return "toFloat64(" + x + ")"
		}
		return "CAST(" + x + " AS DOUBLE)"
	}
	return template.FuncMap{
		"q": q,
		"t": func(name string) string {
			if ch {
				return DatabaseToken + "." + q(name)
			}
			return q(name)
		},
		// 18.16 has no default join strictness; DuckDB has no ALL keyword.
		"join": func() string {
			if ch {
				return "ALL LEFT JOIN"
			}
			return "LEFT JOIN"
		},
		// The UTC day of an instant: ClickHouse columns are DateTime('UTC');
		// DuckDB's are TIMESTAMPTZ, whose cast to DATE would follow the
		// session's time zone.
		"day": func(x string) string {
			if ch {
				return "toDate(" + x + ")"
			}
			return "CAST(timezone('UTC', " + x + ") AS DATE)"
		},
		"int":   toInt,
		"float": toFloat,
		// Booleans are UInt8 in ClickHouse and BOOLEAN in Parquet.
		"yes": func(col string) string {
			if ch {
				return "(" + col + " = 1)"
			}
			return "(" + col + ")"
		},
		// countIf and distinctIf stay non-Nullable when the condition reads
		// Nullable columns (a CASE over them would not, on ClickHouse).
		"countIf": func(cond string) string {
			if ch {
				return "toInt64(countIf(ifNull(" + cond + ", 0)))"
			}
			return "CAST(count(*) FILTER (WHERE " + cond + ") AS BIGINT)"
		},
		"distinctIf": func(x, cond string) string {
			if ch {
				return "toInt64(uniqExactIf(" + x + ", ifNull(" + cond + ", 0)))"
			}
			return "CAST(count(DISTINCT " + x + ") FILTER (WHERE " + cond + ") AS BIGINT)"
		},
		// A rate is NULL, not NaN or an error, when nothing was counted.
		"ratio": func(num, den string) string {
			return "CASE WHEN (" + den + ") = 0 THEN NULL ELSE " + toFloat(num) + " / (" + den + ") END"
		},
		// ClickHouse keeps seconds, Parquet milliseconds: both views show
		// seconds so that they agree.
		"seconds": func(x string) string {
			if ch {
				return x
			}
			return "date_trunc('second', " + x + ")"
		},
		"epoch": func(x string) string {
			if ch {
				return "toInt64(" + x + ")"
			}
			return "CAST(floor(epoch(" + x + ")) AS BIGINT)"
		},
		"argMax": func(x, by string) string {
			if ch {
				return "argMax(" + x + ", " + by + ")"
			}
			return "arg_max(" + x + ", " + by + ")"
		},
		"zeros": func(names ...string) string {
			out := make([]string, len(names))
			for i, n := range names {
				out[i] = toInt("0") + " AS " + n
			}
			return strings.Join(out, ", ")
		},
	}
}

// Select renders the view's SELECT in d.
func (v View) Select(d Dialect) (string, error) {
	tpl, err := template.New(v.Name).Funcs(funcs(d)).Option("missingkey=error").Parse(v.Body)
	if err != nil {
		return "", fmt.Errorf("view %s: %w", v.Name, err)
	}
	var b strings.Builder
	if err := tpl.Execute(&b, nil); err != nil {
		return "", fmt.Errorf("view %s: %w", v.Name, err)
	}
	return b.String(), nil
}

func chString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Create is the CREATE VIEW statement. For ClickHouse the column list
// carries each column's type and COMMENT (18.16 and current releases both
// keep them in system.columns); orReplace selects CREATE OR REPLACE VIEW,
// which 18.16 lacks (there the caller drops the view first). For DuckDB it
// is CREATE OR REPLACE VIEW followed by COMMENT ON statements.
func (v View) Create(d Dialect, orReplace bool) ([]string, error) {
	body, err := v.Select(d)
	if err != nil {
		return nil, err
	}
	if d == ClickHouse {
		cols := make([]string, len(v.Columns))
		for i, c := range v.Columns {
			cols[i] = fmt.Sprintf("    `%s` %s COMMENT %s", c.Name, c.Type, chString(c.Doc))
		}
		verb := "CREATE VIEW IF NOT EXISTS"
		if orReplace {
			verb = "CREATE OR REPLACE VIEW"
		}
		return []string{fmt.Sprintf("%s %s.`%s`\n(\n%s\n) AS\n%s", verb, DatabaseToken, v.Name, strings.Join(cols, ",\n"), body)}, nil
	}
	names := make([]string, len(v.Columns))
	for i, c := range v.Columns {
		names[i] = `"` + c.Name + `"`
	}
	out := []string{
		fmt.Sprintf("CREATE OR REPLACE VIEW \"%s\" (%s) AS\n%s", v.Name, strings.Join(names, ", "), body),
		fmt.Sprintf("COMMENT ON VIEW \"%s\" IS %s", v.Name, sqlString(v.Doc)),
	}
	for _, c := range v.Columns {
		out = append(out, fmt.Sprintf("COMMENT ON COLUMN \"%s\".\"%s\" IS %s", v.Name, c.Name, sqlString(c.Doc)))
	}
	return out, nil
}

// File renders one view as a generated .sql file.
func (v View) File(d Dialect) (string, error) {
	stmts, err := v.Create(d, false)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s: %s\n-- Generated from views/views.go by `make generate`; do not edit.\n", v.Name, v.Doc)
	if d == ClickHouse {
		fmt.Fprintf(&b, "-- %s is replaced by the target database. `etl migrate` applies it (on 18.16 as DROP + CREATE,\n-- on current releases as CREATE OR REPLACE VIEW when the definition changed).\n", DatabaseToken)
	} else {
		b.WriteString("-- Run after 00_tables.sql (`etl views --dialect duckdb --data DIR` prints both for a data directory).\n")
	}
	for _, s := range stmts {
		b.WriteString("\n")
		b.WriteString(s)
		b.WriteString(";\n")
	}
	return b.String(), nil
}

// DefaultDataDir is the Parquet root the generated DuckDB files read,
// relative to where DuckDB runs (etl's default --out).
const DefaultDataDir = "data"

// DuckDBTables renders the base views over the Parquet layout, one per
// table, named like the ClickHouse tables, reading <dataDir>/<table>/**/*.parquet
// (dt= days, a merge table's month partitions, or an unpartitioned table's
// files). Every table is read as it is: a merge table's files hold one row
// per key, as its ClickHouse name does, so no view dedupes.
//
// hasFiles, when not nil, says whether a table has Parquet files yet: a
// table without any (a source not configured, a stream not run) gets an
// empty view of the same columns, since read_parquet fails on a glob that
// matches nothing and the curated views over it would fail with it.
func DuckDBTables(tables []*schemas.Table, dataDir string, hasFiles func(table string) bool) []string {
	sorted := append([]*schemas.Table(nil), tables...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var out []string
	for _, t := range sorted {
		names := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			names[i] = `"` + c.Name + `"`
		}
		glob := sqlString(tableGlob(dataDir, t.Name))
		read := fmt.Sprintf("read_parquet(%s, hive_partitioning = true, union_by_name = true)", glob)
		if hasFiles != nil && !hasFiles(t.Name) {
			typed := make([]string, len(t.Columns))
			for i, c := range t.Columns {
				typed[i] = fmt.Sprintf("CAST(NULL AS %s) AS \"%s\"", duckType(c.Type), c.Name)
			}
			body := fmt.Sprintf("SELECT %s WHERE false", strings.Join(typed, ", "))
			out = append(out, fmt.Sprintf("-- %s (%s): no files under %s yet\nCREATE OR REPLACE VIEW \"%s\" AS\n%s", t.Name, t.Disposition, dataDir, t.Name, body))
			continue
		}
		body := fmt.Sprintf("SELECT %s FROM %s", strings.Join(names, ", "), read)
		stmt := fmt.Sprintf("-- %s (%s)\nCREATE OR REPLACE VIEW \"%s\" AS\n%s", t.Name, t.Disposition, t.Name, body)
		out = append(out, stmt)
		if t.Doc != "" {
			out = append(out, fmt.Sprintf("COMMENT ON VIEW \"%s\" IS %s", t.Name, sqlString(t.Doc)))
		}
	}
	return out
}

// duckType is the DuckDB type the Parquet files give a column.
func duckType(t schemas.Type) string {
	switch t {
	case schemas.Int64:
		return "BIGINT"
	case schemas.Float64:
		return "DOUBLE"
	case schemas.Bool:
		return "BOOLEAN"
	case schemas.Timestamp:
		return "TIMESTAMPTZ"
	case schemas.Date:
		return "DATE"
	case schemas.StringList:
		return "VARCHAR[]"
	}
	return "VARCHAR"
}

func filepath2slash(p string) string { return strings.ReplaceAll(p, `\`, "/") }

// tableGlob is <dataDir>/<table>/**/*.parquet; a URL (s3://bucket/prefix)
// keeps its "//", which path.Join would clean away.
func tableGlob(dataDir, table string) string {
	if scheme, rest, ok := strings.Cut(dataDir, "://"); ok {
		return scheme + "://" + path.Join(rest, table, "**", "*.parquet")
	}
	return path.Join(filepath2slash(dataDir), table, "**", "*.parquet")
}

// DuckDBTablesFile is sql/duckdb/00_tables.sql.
func DuckDBTablesFile(tables []*schemas.Table, dataDir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- Base views over the Parquet files under %s/<table>/, named like the ClickHouse tables.\n", dataDir)
	b.WriteString("-- Generated from the table declarations by `make generate`; do not edit.\n")
	b.WriteString("-- A merge table's files hold one row per key, as its ClickHouse name does.\n")
	for _, s := range DuckDBTables(tables, dataDir, nil) {
		b.WriteString("\n")
		b.WriteString(s)
		b.WriteString(";\n")
	}
	return b.String()
}

// Files renders every generated file: views/<name>.sql (ClickHouse) and
// duckdb/00_tables.sql plus duckdb/<nn>_<name>.sql, keyed by their path
// under sql/.
func Files(tables []*schemas.Table) (map[string]string, error) {
	files := map[string]string{"duckdb/00_tables.sql": DuckDBTablesFile(tables, DefaultDataDir)}
	for i, v := range All {
		ch, err := v.File(ClickHouse)
		if err != nil {
			return nil, err
		}
		duck, err := v.File(DuckDB)
		if err != nil {
			return nil, err
		}
		files[fmt.Sprintf("views/%02d_%s.sql", 10+i, v.Name)] = ch
		files[fmt.Sprintf("duckdb/%02d_%s.sql", 10+i, v.Name)] = duck
	}
	return files, nil
}

// Script is everything a reader runs in one go: for DuckDB the base views
// over dataDir and then the curated views; for ClickHouse the curated
// views for db (CREATE VIEW IF NOT EXISTS, as on a fresh database).
// hasFiles is as for DuckDBTables.
func Script(d Dialect, tables []*schemas.Table, dataDir, db string, hasFiles func(table string) bool) ([]string, error) {
	var out []string
	if d == DuckDB {
		out = append(out, DuckDBTables(tables, dataDir, hasFiles)...)
	}
	for _, v := range All {
		stmts, err := v.Create(d, false)
		if err != nil {
			return nil, err
		}
		for _, s := range stmts {
			if d == ClickHouse {
				s = strings.ReplaceAll(s, DatabaseToken, db)
			}
			out = append(out, s)
		}
	}
	return out, nil
}
