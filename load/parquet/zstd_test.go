package parquet

import (
	"bytes"
	"math/rand"
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

// A page of random ids has no repeats for zstd's match finder, only a
// skewed alphabet (16 hex digits and '-'). Both levels must still
// entropy-code it: at the fastest level klauspost's encoder stores such a
// block raw unless told otherwise, and the id columns of a Userflow
// backfill then took twice their size (DuckDB's files were half ours).
func TestZstdCodecCompressesPagesWithoutRepeats(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var page []byte
	for len(page) < 64<<10 {
		page = append(page, benchUUID(rng)...)
	}
	for _, tc := range []struct {
		name  string
		codec *zstdCodec
	}{
		{"zstd-fast", defaultCodec},
		{"zstd", defaultLevelZstd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := tc.codec.Encode(nil, page)
			require.NoError(t, err)
			// ~4.1 bits of entropy per character.
			assert.Less(t, float64(len(enc))/float64(len(page)), 0.6, "compressed %d of %d bytes", len(enc), len(page))
			dec, err := new(zstd.Codec).Decode(nil, enc)
			require.NoError(t, err)
			assert.Equal(t, page, dec)
		})
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
