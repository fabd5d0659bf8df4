package main

import (
	"log/slog"
	"os"
	"runtime"

	"github.com/adoptionlabs/etl/load"
)

// procsBeside is how many processors (GOMAXPROCS) etl takes when the
// ClickHouse server it loads runs on this machine: one fewer than it would
// otherwise, so the server, which parses, sorts and writes every block etl
// sends, keeps a core. With all of them, the Go scheduler's idle
// processors spin looking for work on the core the server needs, and a
// backfill into a local server is faster and cheaper on one processor fewer
// (BENCHMARKS.md, "Defaults these figures chose"). GOMAXPROCS in the
// environment decides instead, and a machine with one processor keeps it.
func procsBeside(current int, env string, serverHere bool) int {
	if env != "" || !serverHere || current < 2 {
		return current
	}
	return current - 1
}

// leaveACoreToALocalServer applies procsBeside for a run that loads into
// the sink sc configures.
func leaveACoreToALocalServer(sc load.Config, log *slog.Logger) {
	current := runtime.GOMAXPROCS(0)
	server, serverHere := sc.(load.LocalServer)
	serverHere = serverHere && server.OnThisMachine()
	if n := procsBeside(current, os.Getenv("GOMAXPROCS"), serverHere); n != current {
		runtime.GOMAXPROCS(n)
		log.Debug("the sink's server runs on this machine: leaving it a processor", "gomaxprocs", n, "sink", sc.Place())
	}
}
