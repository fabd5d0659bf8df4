//go:build !unix

package parquet

import "os"

// lockDir is a no-op where flock does not exist: one process per directory
// is then the operator's responsibility.
func lockDir(path string) (*os.File, error) { return nil, nil }

func unlockDir(f *os.File) error { return nil }
