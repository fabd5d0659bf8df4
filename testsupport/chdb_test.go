package testsupport

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChDBRunsStatementsInOneSession(t *testing.T) {
	out := ChDB(t,
		"CREATE DATABASE d",
		"CREATE TABLE d.t (n Int64, at DateTime('UTC')) ENGINE = MergeTree ORDER BY n",
		"INSERT INTO d.t (n, at) VALUES (9007199254740993, 0)",
		"SELECT n, at, version() AS v FROM d.t")
	require.Len(t, out, 4)
	assert.Empty(t, out[1])
	require.Len(t, out[3], 1)
	assert.Equal(t, int64(9007199254740993), out[3][0]["n"], "64-bit integers arrive exact")
	assert.Equal(t, "1970-01-01 00:00:00", out[3][0]["at"], "the session runs in UTC")
	assert.Regexp(t, `^2[0-9]\.`, out[3][0]["v"], "chdb is a current release")

	_, err := ChDBRun(t, "SELECT 1", "SELECT no_such_column")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "statement 2")
}
