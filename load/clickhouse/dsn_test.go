package clickhouse

import (
	"errors"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The DSN chooses the network compression; LZ4 when it says nothing. A
// method the native protocol does not have is a DSN error (exit 2).
func TestDSNChoosesTheNetworkCompression(t *testing.T) {
	for dsn, want := range map[string]ch.CompressionMethod{
		"clickhouse://h:9000/db":               ch.CompressionLZ4,
		"clickhouse://h:9000/db?compress=none": ch.CompressionNone,
		"clickhouse://h:9000/db?compress=zstd": ch.CompressionZSTD,
		"clickhouse://h:9000/db?compress=true": ch.CompressionLZ4,
	} {
		o, _, err := parseDSN(dsn)
		require.NoError(t, err, dsn)
		require.NotNil(t, o.Compression, dsn)
		assert.Equal(t, want, o.Compression.Method, dsn)
	}
	_, _, err := parseDSN("clickhouse://h:9000/db?compress=gzip")
	var dsnErr *DSNError
	require.True(t, errors.As(err, &dsnErr), "%v", err)
	assert.Contains(t, err.Error(), "compress=gzip is not a method of the native protocol")
}
