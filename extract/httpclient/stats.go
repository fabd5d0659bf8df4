package httpclient

import (
	"context"
	"sync/atomic"

	"github.com/adoptionlabs/etl/httpstats"
)

// Stats counts what the Client did on behalf of a context (see httpstats,
// where the engine reads it without importing this package).
type Stats = httpstats.Stats

type statsChain = httpstats.Chain

// WithStats returns a context whose requests are also counted in s, in
// addition to any Stats already in ctx.
func WithStats(ctx context.Context, s *Stats) context.Context { return httpstats.With(ctx, s) }

// StatsFrom returns the innermost Stats in ctx, or nil.
func StatsFrom(ctx context.Context) *Stats { return httpstats.From(ctx) }

func statsFrom(ctx context.Context) statsChain { return httpstats.ChainFrom(ctx) }

func requestsOf(s *Stats) *atomic.Int64  { return &s.Requests }
func retriesOf(s *Stats) *atomic.Int64   { return &s.Retries }
func bytesOf(s *Stats) *atomic.Int64     { return &s.Bytes }
func throttledOf(s *Stats) *atomic.Int64 { return &s.Throttled }
