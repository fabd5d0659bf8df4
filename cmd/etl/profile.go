package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/urfave/cli/v2"
)

var cpuProfile *os.File

// startProfiles starts the CPU profile that --cpuprofile asks for. A profile
// that cannot be written is a usage error: the run it was meant to measure
// would be wasted.
func startProfiles(c *cli.Context) error {
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
