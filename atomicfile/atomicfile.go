// Package atomicfile replaces files so that a reader, or the disk after a
// crash, sees the old content or the new one and never a torn mix: the data
// is written under a temp name in the target's directory, synced, renamed
// over the target, and the directory is synced so the rename survives a
// power cut. Reports, the file state store and Parquet part files use it.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// tempMarker is part of every temp file name (after a leading dot), so a
// temp left by a writer killed before its rename can be recognised, and
// globs for the final names (*.parquet, *.prom, *.json) never match it.
const tempMarker = ".tmp-"

// IsTemp reports whether name (a base name) is a temp file of this package.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tempMarker)
}

// File is a file being written under a temp name beside its final path.
// Commit gives it the final name; Abort throws it away.
type File struct {
	*os.File
	path string
	done bool
}

// Create opens a new temp file in path's directory with permission perm
// (not reduced by the umask, so a reader running as another user, such as
// node_exporter, can read it).
func Create(path string, perm os.FileMode) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+tempMarker+"*")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(perm); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, err
	}
	return &File{File: f, path: path}, nil
}

// Commit syncs the file, closes it and renames it over the final path. It
// does not sync the directory: a caller publishing many files into one
// directory syncs it once with SyncDir. On error the temp file is removed.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: already committed or aborted", f.path)
	}
	f.done = true
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// CommitUnsynced closes the file and renames it over the final path without
// syncing it: for a caller that makes many files durable at once (syncfs)
// before anything depends on them. On error the temp file is removed.
func (f *File) CommitUnsynced() error {
	if f.done {
		return fmt.Errorf("commit %s: already committed or aborted", f.path)
	}
	f.done = true
	err := f.Close()
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// Abort closes and removes the temp file; after Commit it does nothing, so
// it can be deferred.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	_ = f.Close()
	_ = os.Remove(f.Name())
}

// WriteFile replaces path with data, atomically and durably.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	if err := f.Commit(); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir makes the entries of dir (files created, renamed or removed)
// durable. A filesystem that cannot sync a directory (EINVAL) and a
// directory this user may write but not open for reading are accepted: the
// rename is atomic there all the same, only its durability is the kernel's.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if errors.Is(err, os.ErrPermission) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// RemoveStrayTemps deletes the temp files in dir that writers killed before
// their rename left behind. The caller must know that no writer of dir is
// mid-write (it holds the directory's lock).
func RemoveStrayTemps(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !IsTemp(e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove stray temp file: %w", err)
		}
	}
	return nil
}
