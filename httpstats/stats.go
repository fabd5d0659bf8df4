// Package httpstats counts the HTTP work done on behalf of a context. It sits
// below both the engine, which puts the counters in a stream's context and
// reads them, and the HTTP layer, which updates them, so neither imports the
// other.
package httpstats

import (
	"context"
	"sync/atomic"
)

// Stats counts what the HTTP client did on behalf of a context. The engine
// puts one per stream (and may nest a run-wide one around it); every Stats
// in the context chain is updated.
type Stats struct {
	// Requests counts calls to JSON/Download, i.e. pages or files.
	Requests atomic.Int64
	// Retries counts extra attempts, so HTTP round trips = Requests+Retries.
	Retries atomic.Int64
	// Bytes counts response body bytes received, failed attempts included,
	// because that is what the API metered.
	Bytes atomic.Int64
	// Throttled counts 429 responses.
	Throttled atomic.Int64
}

type key struct{}

// Chain is every Stats a context counts into, outermost first.
type Chain []*Stats

// With returns a context whose requests are also counted in s, in addition
// to any Stats already in ctx.
func With(ctx context.Context, s *Stats) context.Context {
	if s == nil {
		return ctx
	}
	parent := ChainFrom(ctx)
	// Copy rather than append in place: sibling contexts share the parent's
	// backing array.
	chain := make(Chain, 0, len(parent)+1)
	chain = append(chain, parent...)
	chain = append(chain, s)
	return context.WithValue(ctx, key{}, chain)
}

// From returns the innermost Stats in ctx, or nil.
func From(ctx context.Context) *Stats {
	chain := ChainFrom(ctx)
	if len(chain) == 0 {
		return nil
	}
	return chain[len(chain)-1]
}

// ChainFrom returns every Stats in ctx.
func ChainFrom(ctx context.Context) Chain {
	chain, _ := ctx.Value(key{}).(Chain)
	return chain
}

// Add adds n to the counter field picks, in every Stats of the chain.
func (sc Chain) Add(field func(*Stats) *atomic.Int64, n int64) {
	for _, s := range sc {
		field(s).Add(n)
	}
}
