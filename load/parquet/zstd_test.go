package parquet

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestZstdCodecRoundTripsPagesOfEverySize(t *testing.T) {
	c := newZstdCodec(zstd.SpeedFastest)
	for _, size := range []int{0, 1, 4 << 10, 64 << 10, zstdWindow, 3 * zstdWindow} {
		src := bytes.Repeat([]byte(`{"id":"4f1c2b9e","progress":0.5},`), size/32+1)[:size]
		enc, err := c.Encode(nil, src)
		require.NoError(t, err, "size %d", size)
		// Decoded by parquet-go's own codec, as a reader of the files would.
		dec, err := new(zstd.Codec).Decode(nil, enc)
		require.NoError(t, err, "size %d", size)
		assert.Equal(t, src, dec, "size %d", size)
	}
}

// The reason for the codec: parquet-go's pool loses its encoders at each
// garbage collection, and each new one costs its buffers again.
func TestZstdCodecKeepsItsEncodersAcrossCollections(t *testing.T) {
	c := newZstdCodec(zstd.SpeedFastest)
	page := bytes.Repeat([]byte("session answer "), 4000)
	for range 20 {
		_, err := c.Encode(nil, page)
		require.NoError(t, err)
		runtime.GC()
	}
	assert.Equal(t, int64(1), c.made.Load(), "encoders made for 20 pages compressed one at a time")
}
