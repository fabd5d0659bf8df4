package views

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
)

// The types a view may declare: what BI tools should see (Date for days,
// DateTime('UTC') for instants, numbers as numbers).
var allowedTypes = map[string]bool{
	"Date": true, "DateTime('UTC')": true, "Int64": true, "Nullable(Float64)": true, "String": true,
}

func TestEveryViewIsDocumentedAndRendersInBothDialects(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range All {
		t.Run(v.Name, func(t *testing.T) {
			assert.False(t, seen[v.Name], "view names are unique")
			seen[v.Name] = true
			assert.NotEmpty(t, v.Doc)
			require.NotEmpty(t, v.Columns)
			assert.Equal(t, "day", v.Columns[0].Name, "every curated view is by day: BI tools take it as the time column")
			assert.Equal(t, "Date", v.Columns[0].Type)
			for _, c := range v.Columns {
				assert.NotEmpty(t, c.Doc, "column %s needs a comment naming its source", c.Name)
				assert.True(t, allowedTypes[c.Type], "column %s type %s", c.Name, c.Type)
			}
			for _, d := range []Dialect{ClickHouse, DuckDB} {
				sel, err := v.Select(d)
				require.NoError(t, err)
				assert.NotContains(t, sel, "{{")
			}
			ch, err := v.Select(ClickHouse)
			require.NoError(t, err)
			duck, err := v.Select(DuckDB)
			require.NoError(t, err)
			assert.NotContains(t, ch, `"`, "ClickHouse SQL quotes identifiers with backticks")
			assert.NotContains(t, duck, "`", "DuckDB SQL quotes identifiers with double quotes")
			assert.NotContains(t, duck, DatabaseToken)
			assert.NotContains(t, ch, "FINAL", "views read the names dashboards query, whatever engine is behind them")
		})
	}
}

func TestCreateStatements(t *testing.T) {
	v := View{Name: "v", Doc: "it's a view", Columns: []Column{{"day", "Date", "the day's date"}}, Body: `SELECT {{day "at"}} AS day FROM {{t "x"}}`}
	ch, err := v.Create(ClickHouse, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"CREATE VIEW IF NOT EXISTS {database}.`v`\n(\n    `day` Date COMMENT 'the day\\'s date'\n) AS\nSELECT toDate(at) AS day FROM {database}.`x`"}, ch)
	ch, err = v.Create(ClickHouse, true)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(ch[0], "CREATE OR REPLACE VIEW {database}.`v`"))
	duck, err := v.Create(DuckDB, false)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"CREATE OR REPLACE VIEW \"v\" (\"day\") AS\nSELECT CAST(timezone('UTC', at) AS DATE) AS day FROM \"x\"",
		"COMMENT ON VIEW \"v\" IS 'it''s a view'",
		"COMMENT ON COLUMN \"v\".\"day\" IS 'the day''s date'",
	}, duck)

	_, err = View{Name: "bad", Body: `{{nope}}`}.Select(ClickHouse)
	assert.ErrorContains(t, err, "view bad")
}

// A merge table's files hold one row per key (load/parquet), so its view
// reads them as they are, like every other table's, with a glob that finds
// the files of any layout.
func TestDuckDBTablesReadEveryTableAsItIs(t *testing.T) {
	merge := &schemas.Table{Name: "m", Disposition: schemas.Merge, Key: []string{"id"}, Version: "updated_at",
		Columns: schemas.WithMeta(schemas.Column{Name: "id"}, schemas.Column{Name: "updated_at", Type: schemas.Timestamp})}
	window := &schemas.Table{Name: "w", Disposition: schemas.ReplaceWindow, Columns: schemas.WithMeta(schemas.Column{Name: "d", Type: schemas.Date})}
	got := DuckDBTables([]*schemas.Table{window, merge}, "/data dir", nil)
	require.Len(t, got, 2)
	assert.Equal(t, "-- m (merge)\nCREATE OR REPLACE VIEW \"m\" AS\nSELECT \"id\", \"updated_at\", \"_extracted_at\", \"_run_id\" FROM read_parquet('/data dir/m/**/*.parquet', hive_partitioning = true, union_by_name = true)", got[0])
	assert.NotContains(t, got[0], "row_number", "no reader dedupes")
	assert.Equal(t, "-- w (replace-window)\nCREATE OR REPLACE VIEW \"w\" AS\nSELECT \"d\", \"_extracted_at\", \"_run_id\" FROM read_parquet('/data dir/w/**/*.parquet', hive_partitioning = true, union_by_name = true)", got[1])

	none := DuckDBTables([]*schemas.Table{window}, "/data", func(string) bool { return false })
	assert.Equal(t, []string{"-- w (replace-window): no files under /data yet\nCREATE OR REPLACE VIEW \"w\" AS\n" +
		"SELECT CAST(NULL AS DATE) AS \"d\", CAST(NULL AS TIMESTAMPTZ) AS \"_extracted_at\", CAST(NULL AS VARCHAR) AS \"_run_id\" WHERE false"}, none)
}

// Over S3 the views read the bucket's prefix as DuckDB's httpfs names it:
// the URL keeps its "//".
func TestDuckDBTablesOverS3(t *testing.T) {
	window := &schemas.Table{Name: "w", Disposition: schemas.ReplaceWindow, Columns: schemas.WithMeta(schemas.Column{Name: "d", Type: schemas.Date})}
	for _, data := range []string{"s3://lake/etl", "s3://lake/etl/"} {
		got := DuckDBTables([]*schemas.Table{window}, data, nil)
		assert.Contains(t, got[0], "read_parquet('s3://lake/etl/w/**/*.parquet', hive_partitioning = true", data)
	}
}

func TestParseDialect(t *testing.T) {
	d, err := ParseDialect("duckdb")
	require.NoError(t, err)
	assert.Equal(t, DuckDB, d)
	_, err = ParseDialect("postgres")
	assert.ErrorContains(t, err, "unknown dialect")
}
