package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"

	"github.com/urfave/cli/v2"
)

var cpuProfile, traceOut *os.File

// startProfiles starts the CPU profile and the execution trace that
// --cpuprofile and --trace ask for. A profile that cannot be written is a
// usage error: the run it was meant to measure would be wasted.
func startProfiles(c *cli.Context) error {
	if path := c.String("trace"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return cli.Exit(fmt.Sprintf("--trace: %v", err), exitUsage)
		}
		if err := trace.Start(f); err != nil {
			_ = f.Close()
			return cli.Exit(fmt.Sprintf("--trace %s: %v", path, err), exitUsage)
		}
		traceOut = f
	}
	path := c.String("cpuprofile")
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return cli.Exit(fmt.Sprintf("--cpuprofile: %v", err), exitUsage)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return cli.Exit(fmt.Sprintf("--cpuprofile %s: %v", path, err), exitUsage)
	}
	cpuProfile = f
	return nil
}

// stopProfiles ends the CPU profile and writes the allocation profile
// (every allocation since the start, as `go tool pprof -sample_index=alloc_space` reads it).
func stopProfiles(c *cli.Context) error {
	if traceOut != nil {
		trace.Stop()
		_ = traceOut.Close()
		traceOut = nil
	}
	if cpuProfile != nil {
		pprof.StopCPUProfile()
		_ = cpuProfile.Close()
		cpuProfile = nil
	}
	if path := c.String("memprofile"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
		defer f.Close()
		runtime.GC()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return fmt.Errorf("--memprofile %s: %w", path, err)
		}
	}
	return nil
}
