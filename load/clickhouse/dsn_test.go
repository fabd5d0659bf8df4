package clickhouse

import (
	"context"
	"errors"
	"net"
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
	for _, dsn := range []string{"clickhouse://h:9000/db?compress=false", "clickhouse://h:9000/db?compress=0"} {
		o, _, err := parseDSN(dsn)
		require.NoError(t, err, dsn)
		assert.Equal(t, ch.CompressionNone, o.Compression.Method, "%s says none, not the network default", dsn)
	}
	// The driver ignores a value it does not know: etl refuses it before
	// any connection (Destination is what the sink kind's Check runs).
	for _, v := range []string{"gzip", "foo", "br", ""} {
		_, err := Destination("clickhouse://u:pw@h:9000/db?compress=" + v)
		var dsnErr *DSNError
		require.True(t, errors.As(err, &dsnErr), "compress=%s: %v", v, err)
		assert.Contains(t, err.Error(), "compress="+v+" is not a method of the native protocol (want none, lz4, lz4hc or zstd)")
	}
}

// A server's HTTP port never answers the native hello; a probe tells it
// from a native port, which answers an HTTP request with 400 and "is for
// clickhouse-client program" (18.16 as current releases).
func TestAnswersHTTPTellsTheHTTPPortFromTheNativePort(t *testing.T) {
	for name, tc := range map[string]struct {
		reply string
		want  bool
	}{
		"ClickHouse's HTTP port": {"HTTP/1.0 200 OK\r\nConnection: Close\r\nContent-Length: 4\r\n\r\nOk.\n", true},
		"another HTTP server":    {"HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n", true},
		"a native port":          {"HTTP/1.0 400 Bad Request\r\n\r\nPort 9000 is for clickhouse-client program.\r\nYou must use port 8123 for HTTP.\r\n", false},
		"not HTTP":               {"\x00\x01garbage", false},
		"silence":                {"", false},
	} {
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer ln.Close()
			got := make(chan string, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				buf := make([]byte, 64)
				n, _ := c.Read(buf)
				got <- string(buf[:n])
				_, _ = c.Write([]byte(tc.reply))
			}()
			assert.Equal(t, tc.want, answersHTTP(context.Background(), ln.Addr().String(), nil))
			assert.Equal(t, "GET /ping HTTP/1.0\r\n\r\n", <-got)
		})
	}
	assert.False(t, answersHTTP(context.Background(), "127.0.0.1:9", nil), "nothing listening")
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
