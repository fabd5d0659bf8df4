package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A report table that takes another table's name, etl's own tables' or the
// staging prefix is refused by every command with exit 2, before any
// request or sink: validate passing would have let two schemas share one
// table, or the next ClickHouse run drop the report as a staging leftover.
func TestTableNameClashesExitTwoFromEveryCommand(t *testing.T) {
	cases := []struct {
		name, report string
		want         []string
	}{
		{"another source's table", "{name: summary/usage, table: userflow_users}",
			[]string{"line 8:", "userflow stream users", "whatfix stream report_usage"}},
		{"the rejects table", "{name: summary/usage, table: etl_rejects}", []string{"line 8:", "etl's rejects table"}},
		{"a state table", "{name: summary/usage, table: etl_state}", []string{"line 8:", "etl's state table"}},
		{"a merge table's storage", "{name: summary/usage, table: userflow_content_sessions_raw}", []string{"line 8:", "storage table of merge table userflow_content_sessions"}},
		{"the staging prefix", "{name: summary/usage, table: _stg_usage}", []string{"_stg_"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "p.yaml")
			body := "version: 1\nsources:\n  userflow:\n    api_key: ${USERFLOW_API_KEY:-}\n  whatfix:\n    reports:\n      - {name: summary/engagement}\n      - " + tc.report + "\n"
			if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"validate"},
				{"streams"},
				{"backfill", "--from", "2026-03-01", "--to", "2026-03-01", "--out", t.TempDir()},
				{"run", "--out", t.TempDir()},
			} {
				code, _, stderr := runCLI(t, nil, append([]string{"--config", cfg}, args...)...)
				assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
				for _, w := range tc.want {
					assert.Contains(t, stderr, w, args)
				}
			}
		})
	}
}
