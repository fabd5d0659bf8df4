//go:build unix

package parquet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"
)

// lockDir takes an exclusive lock on path for the life of the Sink: New
// deletes stale staging and restores trashed days, which is only safe when
// no other process is committing into the same directory. The OS drops the
// lock when a process dies, so a crash never leaves the directory locked.
// The holder (host, pid, since) is written into the file, so whoever is
// refused can say who to wait for.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another etl process is writing here (%s, lock %s): wait for it to finish", lockHolder(path), path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	host, _ := os.Hostname()
	holder := fmt.Sprintf("host %s pid %d since %s\n", host, os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	// Best effort: the flock is what excludes, the text only names.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(holder), 0)
	}
	return f, nil
}

// lockHolder reads who holds the lock, as the holder wrote it.
func lockHolder(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "holder unknown"
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 512))
	if h := strings.TrimSpace(string(b)); strings.HasPrefix(h, "host ") {
		return h
	}
	return "holder unknown: it started before etl named lock holders"
}

func unlockDir(f *os.File) error {
	if f == nil {
		return nil
	}
	return f.Close() // closing the descriptor releases the flock
}
