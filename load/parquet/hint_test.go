package parquet

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The demo's query finds a table's files whatever its layout (days,
// months, or none), in a directory or a bucket, and a bucket stays a URL.
func TestQueryHintGlobsEveryLayout(t *testing.T) {
	abs, err := filepath.Abs("data")
	require.NoError(t, err)
	for _, tc := range []struct{ dir, want string }{
		{dir: "data", want: abs + "/userflow_users/**/*.parquet"},
		{dir: "/srv/it's", want: "/srv/it''s/userflow_users/**/*.parquet"},
		{dir: "s3://lake/etl", want: "s3://lake/etl/userflow_users/**/*.parquet"},
		{dir: "s3://lake/etl/", want: "s3://lake/etl/userflow_users/**/*.parquet"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			h := (&Config{Dir: tc.dir}).QueryHint("userflow_users")
			require.NotEmpty(t, h.Commands)
			assert.Contains(t, h.Commands[len(h.Commands)-1], "read_parquet('"+tc.want+"', hive_partitioning = true)")
		})
	}
}
