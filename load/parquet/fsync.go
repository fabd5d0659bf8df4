package parquet

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/adoptionlabs/etl/atomicfile"
)

// errExchangeUnsupported says the filesystem cannot swap two directories
// atomically; the commit then goes through the trash.
var errExchangeUnsupported = errors.New("atomic directory exchange not supported")

// exchangeDirs swaps two directories atomically where the OS can; a variable
// so tests can take the trash path.
var exchangeDirs = exchangeDirsOS

// syncFile makes a copied file durable and commitPart a finished part
// file; variables so tests can fail them as a full disk would.
var (
	syncFile   = func(f *os.File) error { return f.Sync() }
	commitPart = func() func(*atomicfile.File) error {
		if syncOnce {
			return func(f *atomicfile.File) error {
				startWriteback(f.File)
				return f.CommitUnsynced()
			}
		}
		return (*atomicfile.File).Commit
	}()
)

// syncFS makes everything written to dir's filesystem durable (syncOnce);
// a variable so tests can fail it as a full disk would.
var syncFS = syncFSOS

// syncStaged makes a staged directory durable where each one is synced on
// its own; under syncOnce, Prepare's syncFS covers it.
func syncStaged(dir string) error {
	if syncOnce {
		return nil
	}
	return syncDir(dir)
}

// syncDir makes the entries of dir (files created, renamed, removed)
// durable.
var syncDir = atomicfile.SyncDir

// linkOrCopy gives dst the content of src: a hard link (staging lives in the
// output directory, so the same filesystem), or a durable copy where the
// filesystem has no hard links.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = syncFile(out)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return nil
}
