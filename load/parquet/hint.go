package parquet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/objectstore"
)

// QueryHint is a DuckDB count over the table's files: in the repository
// (make demo) through the DuckDB the tests read with, which `make duckdb`
// installs; elsewhere with DuckDB's own command-line tool.
func (c *Config) QueryHint(table string) load.Hint {
	// ** finds a table's files whatever its layout: days, months, or
	// none for a merge table without a Partition.
	glob := strings.TrimSuffix(c.Dir, "/") + "/" + table + "/**/*.parquet"
	if !objectstore.IsURL(c.Dir) {
		dir, err := filepath.Abs(c.Dir)
		if err != nil {
			dir = c.Dir
		}
		glob = filepath.Join(dir, table, "**", "*.parquet")
	}
	glob = strings.ReplaceAll(glob, "'", "''")
	sql := fmt.Sprintf("SELECT count(*) FROM read_parquet('%s', hive_partitioning = true)", glob)
	if _, err := os.Stat(duckdbQuery); err == nil {
		return load.Hint{Say: "Query the files with DuckDB (make duckdb installs it under tools/duckdb, once):",
			Commands: []string{"make duckdb", "node " + duckdbQuery + " " + shellQuote(sql)}}
	}
	return load.Hint{Say: "Query the files with DuckDB's command-line tool (https://duckdb.org/docs/installation):",
		Commands: []string{"duckdb -c " + shellQuote(sql)}}
}

// duckdbQuery is the repository's DuckDB runner (node, @duckdb/node-api),
// relative to the repository's root, where make runs the demo.
const duckdbQuery = "tools/duckdb/query.mjs"

// shellQuote double-quotes s for a POSIX shell: SQL is full of single
// quotes, and a path may hold what the shell would expand.
func shellQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(s) + `"`
}
