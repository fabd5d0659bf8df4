package httpclient

import (
	"context"
	"sync/atomic"
)

// Stats counts what the Client did on behalf of a context. The engine puts
// one per stream (and may nest a run-wide one around it); every Stats in the
// context chain is updated.
type Stats struct {
	// Requests counts calls to JSON/DownloadFile, i.e. pages or files.
	Requests atomic.Int64
	// Retries counts extra attempts, so HTTP round trips = Requests+Retries.
	Retries atomic.Int64
	// Bytes counts response body bytes received, failed attempts included,
	// because that is what the API metered.
	Bytes atomic.Int64
	// Throttled counts 429 responses.
	Throttled atomic.Int64
}

type statsKey struct{}

type statsChain []*Stats

// WithStats returns a context whose requests are also counted in s, in
// addition to any Stats already in ctx.
func WithStats(ctx context.Context, s *Stats) context.Context {
	if s == nil {
		return ctx
	}
	parent := statsFrom(ctx)
	// Copy rather than append in place: sibling contexts share the parent's
	// backing array.
	chain := make(statsChain, 0, len(parent)+1)
	chain = append(chain, parent...)
	chain = append(chain, s)
	return context.WithValue(ctx, statsKey{}, chain)
}

// StatsFrom returns the innermost Stats in ctx, or nil.
func StatsFrom(ctx context.Context) *Stats {
	chain := statsFrom(ctx)
	if len(chain) == 0 {
		return nil
	}
	return chain[len(chain)-1]
}

func statsFrom(ctx context.Context) statsChain {
	chain, _ := ctx.Value(statsKey{}).(statsChain)
	return chain
}

func (sc statsChain) add(field func(*Stats) *atomic.Int64, n int64) {
	for _, s := range sc {
		field(s).Add(n)
	}
}

func requestsOf(s *Stats) *atomic.Int64  { return &s.Requests }
func retriesOf(s *Stats) *atomic.Int64   { return &s.Retries }
func bytesOf(s *Stats) *atomic.Int64     { return &s.Bytes }
func throttledOf(s *Stats) *atomic.Int64 { return &s.Throttled }
