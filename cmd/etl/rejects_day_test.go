package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/sandbox"
	"github.com/adoptionlabs/etl/extract/whatfix/whatfixfake"
	"github.com/adoptionlabs/etl/testsupport"
)

// reportDay is the report day in a reject's location.
var reportDay = regexp.MustCompile(`report summary/engagement day (\d{4}-\d{2}-\d{2}) line`)

// streamOf filters etl_rejects to the report's stream.
func streamOf(table string) string {
	if table == "etl_rejects" {
		return "stream = 'report_engagement'"
	}
	return "1 = 1"
}

// A Whatfix report whose every row is rejected (a configured column type
// its values do not read as), pulled by two overlapping backfills, then by a
// fixed config over part of the first: the rows of the days the fixed load
// covers load and lose their rejects; the days it does not cover keep
// theirs, whichever window saw them last, since their rows are still bad
// and in no table. Through the built binary, into Parquet and ClickHouse.
func TestRejectsStayUntilTheLoadOfTheirDay(t *testing.T) {
	bin := buildBinary(t)
	fake := whatfixfake.New(whatfixfake.Options{Seed: 3, Now: time.Now().UTC()})
	// Every day's report also carries the same line with a field too many,
	// which no config fixes.
	fake.SetMalformedRow("summary/engagement", true)
	srv, err := sandbox.Start(fake)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })

	config := func(report string) string {
		cfg := filepath.Join(t.TempDir(), "pipelines.yaml")
		body := "version: 1\nsink:\n  clickhouse:\n    dsn: ${CLICKHOUSE_DSN:-}\nsources:\n  whatfix:\n    base_url: ${WHATFIX_BASE_URL}\n    account_id: ${WHATFIX_ACCOUNT_ID}\n" +
			"    integration_key: ${WHATFIX_INTEGRATION_KEY}\n    user: ${WHATFIX_USER}\n    rate_limit: unlimited\n    format: csv\n" +
			"    streams: [report_engagement]\n    reports:\n      - " + report + "\n"
		require.NoError(t, os.WriteFile(cfg, []byte(body), 0o644))
		return cfg
	}
	// A report's date is never a bool.
	bad := config("{name: summary/engagement, columns: {date: bool}}")
	fixed := config("{name: summary/engagement}")
	// Days 17..21 of the issue, counted back from today.
	d17, d18, d19, d20, d21 := daysAgo(14), daysAgo(13), daysAgo(12), daysAgo(11), daysAgo(10)

	for _, sinkName := range []string{pqSink, chSink} {
		t.Run(sinkName, func(t *testing.T) {
			env := map[string]string{
				"WHATFIX_BASE_URL": srv.URL + whatfixfake.APIPrefix, "WHATFIX_ACCOUNT_ID": fake.AccountID(),
				"WHATFIX_INTEGRATION_KEY": fake.IntegrationKey(), "WHATFIX_USER": fake.User(), "ETL_STATE_DIR": t.TempDir(),
			}
			var sinkArgs []string
			// query runs SELECT expr AS r over a table (etl_rejects: this
			// stream's rows), ordered by r.
			var query func(table, expr string) []string
			if sinkName == chSink {
				dsn := testsupport.FreshDatabase(t)
				env["CLICKHOUSE_DSN"] = dsn
				db := dsn[strings.LastIndex(dsn, "/")+1:]
				sinkArgs = []string{"--sink", chSink}
				query = func(table, expr string) []string {
					return column(testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT %s AS r FROM `%s`.%s WHERE %s ORDER BY r", expr, db, table, streamOf(table))))
				}
			} else {
				out := t.TempDir()
				sinkArgs = []string{"--out", out}
				query = func(table, expr string) []string {
					glob := filepath.Join(out, table, "*", "*.parquet")
					if m, _ := filepath.Glob(glob); len(m) == 0 {
						return []string{}
					}
					return column(testsupport.DuckDB(t, fmt.Sprintf("SELECT %s AS r FROM read_parquet('%s', hive_partitioning = true) WHERE %s ORDER BY r", expr, glob, streamOf(table))))
				}
			}
			backfill := func(cfg, from, to string) {
				t.Helper()
				cmd := exec.Command(bin, append([]string{"--config", cfg, "backfill", "--stream", "report_engagement", "--from", from, "--to", to}, sinkArgs...)...)
				cmd.Env = environ(env)
				out, err := cmd.CombinedOutput()
				require.NoError(t, err, string(out))
			}
			loaded := func() []string { return query("whatfix_report_engagement", "CAST(report_date AS String)") }
			// rejects names each live reject by the report day its line came
			// from (its location says) and what is wrong with it.
			rejects := func() []string {
				rows := query("etl_rejects", "concat(location, ' | ', reason)")
				for i, r := range rows {
					d := reportDay.FindStringSubmatch(r)
					require.NotNil(t, d, r)
					switch {
					case strings.Contains(r, "column date: cannot read"):
						rows[i] = d[1] + " bad value"
					case strings.Contains(r, " fields, got "):
						rows[i] = d[1] + " torn line"
					}
				}
				sort.Strings(rows)
				return rows
			}
			want := func(badValues []string, tornLines ...string) []string {
				out := []string{}
				for _, d := range badValues {
					out = append(out, d+" bad value")
				}
				for _, d := range tornLines {
					out = append(out, d+" torn line")
				}
				sort.Strings(out)
				return out
			}
			days := func(ds ...string) []string { return ds }

			backfill(bad, d17, d19)
			assert.Equal(t, want(days(d17, d18, d19), d17, d18, d19), rejects())
			backfill(bad, d19, d21)
			assert.Equal(t, want(days(d17, d18, d19, d20, d21), d17, d18, d19, d20, d21), rejects(),
				"one reject per row: the day seen twice is there once, and the same torn line of each day is a reject of its own")
			assert.Empty(t, loaded())

			if sinkName == chSink {
				// As a load with the fixed config says: the column's type
				// changed, and the table holds no row to convert.
				db := env["CLICKHOUSE_DSN"][strings.LastIndex(env["CLICKHOUSE_DSN"], "/")+1:]
				testsupport.ClickHouseQuery(t, env["CLICKHOUSE_DSN"], fmt.Sprintf("ALTER TABLE `%s`.whatfix_report_engagement MODIFY COLUMN date Nullable(Date)", db))
			}
			backfill(fixed, d18, d19)
			assert.Equal(t, []string{d18, d19}, loaded(), "the fixed config loads the good rows of the days it covers")
			assert.Equal(t, want(days(d17, d20, d21), d17, d18, d19, d20, d21), rejects(),
				"the rows of %s and %s loaded and lost their rejects; %s, %s and %s were not pulled again and keep theirs; the torn lines stay torn", d18, d19, d17, d20, d21)

			// Each reject says the day it lives on: its line's report day.
			for _, r := range query("etl_rejects", "concat(CAST(row_day AS String), ' ', row_day_from, ' ', location)") {
				d := reportDay.FindStringSubmatch(r)
				require.NotNil(t, d, r)
				assert.True(t, strings.HasPrefix(r, d[1]+" row "), r)
			}
		})
	}
}
