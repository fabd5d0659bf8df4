package clickhouse

import (
	"errors"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The DSN chooses the network compression; when it says nothing, none to a
// server on this machine (the bytes only cross memory) and LZ4 across a
// network. A method the native protocol does not have is a DSN error (exit 2).
func TestDSNChoosesTheNetworkCompression(t *testing.T) {
	for dsn, want := range map[string]ch.CompressionMethod{
		"clickhouse://h:9000/db":                      ch.CompressionLZ4,
		"clickhouse://10.0.0.7:9000/db":               ch.CompressionLZ4,
		"clickhouse://h:9000/db?compress=none":        ch.CompressionNone,
		"clickhouse://h:9000/db?compress=zstd":        ch.CompressionZSTD,
		"clickhouse://h:9000/db?compress=true":        ch.CompressionLZ4,
		"clickhouse://127.0.0.1:9000/db":              ch.CompressionNone,
		"clickhouse://127.0.0.2:9000/db":              ch.CompressionNone,
		"clickhouse://localhost:9000/db":              ch.CompressionNone,
		"clickhouse://[::1]:9000/db":                  ch.CompressionNone,
		"clickhouse://127.0.0.1:9000/db?compress=lz4": ch.CompressionLZ4,
		"clickhouse://127.0.0.1:9000,h:9000/db":       ch.CompressionLZ4,
		"clickhouse://127.0.0.1:9000,[::1]:9001/db":   ch.CompressionNone,
		"clickhouse://localhost.example.com:9000/db":  ch.CompressionLZ4,
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

func TestOnThisMachineIsEveryServerOnLoopback(t *testing.T) {
	for dsn, want := range map[string]bool{
		"clickhouse://127.0.0.1:9000/db":             true,
		"clickhouse://localhost:9000/db":             true,
		"clickhouse://[::1]:9000/db":                 true,
		"clickhouse://127.0.0.1:9000,[::1]:9001/db":  true,
		"clickhouse://127.0.0.1:9000,h:9000/db":      false,
		"clickhouse://h:9000/db":                     false,
		"clickhouse://localhost.example.com:9000/db": false,
		"http://127.0.0.1:8123/db":                   false, // not a DSN the sink takes
	} {
		assert.Equal(t, want, OnThisMachine(dsn), dsn)
	}
}
