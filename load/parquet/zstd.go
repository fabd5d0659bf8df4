package parquet

import (
	"sync/atomic"

	kzstd "github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// zstdWindow is the window of the zstd encoders that compress pages. A
// page is at most PageBufferSize (64 KiB) plus one call's strings
// (writeColumn), so a larger window finds no match a 256 KiB one misses.
// klauspost's default window (8 MiB) made each pooled encoder hold a 16
// MiB history buffer for pages of 64 KiB: three of them were 24 MiB of a
// Userflow backfill's ~85 MiB live heap, counted against etl's soft memory
// limit.
const zstdWindow = 256 << 10

// zstdCodec is parquet-go's zstd codec with page-sized encoders that
// outlive garbage collections. parquet-go keeps its encoders in a
// sync.Pool, which drops them at every collection, so each collection
// cost a fresh encoder (and its history buffer) per goroutine that
// compresses. Decoding, the name and the format code are parquet-go's.
type zstdCodec struct {
	zstd.Codec
	// free holds idle encoders; one is made when none is idle, and one
	// that does not fit is left to the collector, so the encoders kept are
	// bounded by its capacity.
	free chan *kzstd.Encoder
	// made counts the encoders made, for tests.
	made atomic.Int64
}

// idleZstdEncoders bounds the encoders a codec keeps: a load compresses
// on its writer goroutines (one per table) and its finishing goroutines.
const idleZstdEncoders = 8

func newZstdCodec(level zstd.Level) *zstdCodec {
	return &zstdCodec{Codec: zstd.Codec{Level: level}, free: make(chan *kzstd.Encoder, idleZstdEncoders)}
}

// Encode implements compress.Codec.
func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	var e *kzstd.Encoder
	select {
	case e = <-c.free:
	default:
		var err error
		e, err = kzstd.NewWriter(nil,
			kzstd.WithEncoderConcurrency(1),
			kzstd.WithEncoderLevel(c.Level),
			kzstd.WithWindowSize(zstdWindow),
			kzstd.WithLowerEncoderMem(true),
			kzstd.WithZeroFrames(true),
			kzstd.WithEncoderCRC(false),
			// Without it, a block where the match finder finds nothing is
			// stored raw, even when its bytes would entropy-code well: the
			// random hex ids of every table (half of a sessions file) went
			// to disk uncompressed. With it, BenchmarkCompression's files
			// are 36-39% smaller for the same CPU (zstd_test.go).
			kzstd.WithAllLitEntropyCompression(true),
		)
		if err != nil {
			return dst[:0], err
		}
		c.made.Add(1)
	}
	out := e.EncodeAll(src, dst[:0])
	select {
	case c.free <- e:
	default:
	}
	return out, nil
}
