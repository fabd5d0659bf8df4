package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// File locks are numbered generations: locks/<name>/<gen>.lock. The holder
// is whoever created the highest generation, as long as that file's mtime
// (its heartbeat) is younger than the ttl. Files are created with O_EXCL,
// so of the contenders that compute the same next generation exactly one
// succeeds. Taking over a stale generation g means creating g+1 — nothing
// live is ever renamed or deleted on the strength of a check that another
// process could invalidate in between, which is what makes takeover
// race-free for any number of contenders. A contender that created a
// generation from an outdated view finds a higher one when it lists the
// directory again, and withdraws. Release deletes the holder's own file,
// whose name nobody else can create while it exists.

const lockSuffix = ".lock"

type lockDoc struct {
	Holder Holder `json:"holder"`
	// Token tells two locks of one process apart.
	Token      string    `json:"token"`
	TTLSeconds float64   `json:"ttl_seconds"`
	Created    time.Time `json:"created"`
}

// Lock implements Store.
func (s *FileStore) Lock(ctx context.Context, name string, ttl time.Duration, me Holder) (Lock, *Holder, error) {
	if err := CheckLock(name, ttl); err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, nil, ErrClosed
	}
	me = Me(me, s.now())
	dir := filepath.Join(s.dir, locksDir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("lock %q: %w", name, err)
	}
	token := NewLockToken()
	body, err := json.Marshal(lockDoc{Holder: me, Token: token, TTLSeconds: ttl.Seconds(), Created: s.now().UTC()})
	if err != nil {
		return nil, nil, err
	}
	// Each round either returns or saw the directory change under it;
	// a bound keeps a livelock (or a bug) from spinning forever.
	for round := 0; round < 200; round++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("lock %q: %w", name, err)
		}
		gens, err := listGenerations(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("lock %q: %w", name, err)
		}
		next := int64(1)
		var stale *Holder
		if len(gens) > 0 {
			top := gens[len(gens)-1]
			cur, err := s.inspect(ctx, dir, top)
			if errors.Is(err, fs.ErrNotExist) {
				continue // released meanwhile
			}
			if err != nil {
				return nil, nil, fmt.Errorf("lock %q: %w", name, err)
			}
			if !s.isStale(cur, ttl) {
				return nil, nil, &LockedError{
					Name: name, Holder: cur.doc.Holder, Age: s.now().Sub(cur.doc.Holder.Since),
					LastHeartbeat: cur.heartbeat, TTL: ttl, Remove: genPath(dir, top),
				}
			}
			h := cur.doc.Holder
			stale = &h
			next = top + 1
		}
		f, err := createGeneration(dir, next, body)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("lock %q: %w", name, err)
		}
		after, err := listGenerations(dir)
		if err != nil {
			_ = f.Close()
			_ = os.Remove(genPath(dir, next))
			return nil, nil, fmt.Errorf("lock %q: %w", name, err)
		}
		if len(after) == 0 || after[len(after)-1] != next {
			_ = f.Close()
			_ = os.Remove(genPath(dir, next))
			continue
		}
		// Ours. Older generations are stale holders or withdrawn contenders.
		for _, g := range after[:len(after)-1] {
			_ = os.Remove(genPath(dir, g))
		}
		removeAbandonedGenerations(dir, s.now())
		l := &fileLock{store: s, dir: dir, gen: next, file: f, holder: me, ttl: ttl}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = f.Close()
			_ = os.Remove(genPath(dir, next))
			return nil, nil, ErrClosed
		}
		s.locks[l] = struct{}{}
		// Under mu: Close stops the heartbeat of every lock in the map.
		l.hb = StartHeartbeat(ttl, l.beat)
		s.mu.Unlock()
		return l, stale, nil
	}
	return nil, nil, fmt.Errorf("lock %q: the lock directory %s kept changing while taking the lock; retry", name, dir)
}

type inspected struct {
	doc       lockDoc
	heartbeat time.Time
	readable  bool
}

// inspect reads generation gen. Its content is written just after O_EXCL
// created it, so an empty or partial file is re-read briefly before being
// judged by its mtime alone.
func (s *FileStore) inspect(ctx context.Context, dir string, gen int64) (inspected, error) {
	path := genPath(dir, gen)
	var out inspected
	for try := 0; ; try++ {
		st, err := os.Stat(path)
		if err != nil {
			return out, err
		}
		out.heartbeat = st.ModTime()
		b, err := os.ReadFile(path)
		if err != nil {
			return out, err
		}
		if json.Unmarshal(b, &out.doc) == nil && out.doc.Token != "" {
			out.readable = true
			return out, nil
		}
		if try >= 20 || s.now().Sub(out.heartbeat) > time.Second {
			out.doc.Holder = Holder{Host: "unknown (unreadable lock file)", Since: out.heartbeat}
			return out, nil
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// isStale: no heartbeat for ttl, or the holder ran on this host and its
// process is gone (a run killed here is taken over at once).
func (s *FileStore) isStale(cur inspected, ttl time.Duration) bool {
	if s.now().Sub(cur.heartbeat) > ttl {
		return true
	}
	return cur.readable && cur.doc.Holder.Host == s.host && !processAlive(cur.doc.Holder.PID)
}

// ProcessAlive reports whether a process of this machine is running: a
// lock whose holder is on this host with a dead PID is taken over at once.
func ProcessAlive(pid int) bool { return processAlive(pid) }

func processAlive(pid int) bool {
	if pid <= 0 {
		return true // unknown: leave it to the ttl; Kill(0) would signal our group
	}
	err := syscall.Kill(pid, 0)
	return !errors.Is(err, syscall.ESRCH)
}

func genPath(dir string, gen int64) string {
	return filepath.Join(dir, fmt.Sprintf("%012d%s", gen, lockSuffix))
}

func listGenerations(dir string) ([]int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var gens []int64
	for _, e := range entries {
		n, ok := strings.CutSuffix(e.Name(), lockSuffix)
		if !ok {
			continue
		}
		g, err := strconv.ParseInt(n, 10, 64)
		if err != nil || g <= 0 {
			continue
		}
		gens = append(gens, g)
	}
	sort.Slice(gens, func(i, j int) bool { return gens[i] < gens[j] })
	return gens, nil
}

func createGeneration(dir string, gen int64, body []byte) (*os.File, error) {
	path := genPath(dir, gen)
	// The holder is written and synced under a private name, then linked
	// into place: link(2) fails if the generation exists, as O_EXCL would,
	// and a run killed at any instant leaves either no generation or one
	// that names its holder, never an empty file only the ttl can clear.
	tmp, err := os.CreateTemp(dir, ".gen-*.tmp")
	if err != nil {
		return nil, err
	}
	discard := func(err error) (*os.File, error) {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, err
	}
	if _, err := tmp.Write(body); err != nil {
		return discard(err)
	}
	if err := tmp.Sync(); err != nil {
		return discard(err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return discard(err)
	}
	_ = os.Remove(tmp.Name())
	return tmp, nil
}

// removeAbandonedGenerations deletes the private files of contenders killed
// before they linked their generation in. Young ones may belong to a live
// contender between its write and its link, so they are left alone.
func removeAbandonedGenerations(dir string, now time.Time) {
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".gen-*.tmp"))
	for _, p := range leftovers {
		if st, err := os.Stat(p); err == nil && now.Sub(st.ModTime()) > time.Minute {
			_ = os.Remove(p)
		}
	}
}

// NewLockToken is a random token that tells one holder's claim of a lock
// from another's (the file lock and the ClickHouse claim protocol).
func NewLockToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type fileLock struct {
	store  *FileStore
	dir    string
	gen    int64
	file   *os.File
	holder Holder
	ttl    time.Duration
	hb     *Heartbeat
}

func (l *fileLock) Holder() Holder        { return l.holder }
func (l *fileLock) Lost() <-chan struct{} { return l.hb.Lost() }

// beat touches our file's mtime through its descriptor, so it refreshes our
// inode and never whatever a path might point to by then.
func (l *fileLock) beat(time.Duration) bool {
	if !l.stillOurs() {
		return false
	}
	now := l.store.now()
	tv := syscall.NsecToTimeval(now.UnixNano())
	// A failed touch is retried at the next tick; the ttl is several ticks.
	_ = syscall.Futimes(int(l.file.Fd()), []syscall.Timeval{tv, tv})
	return true
}

// stillOurs: our file is still at its path and no later generation exists.
func (l *fileLock) stillOurs() bool {
	mine, err := l.file.Stat()
	if err != nil {
		return false
	}
	there, err := os.Stat(genPath(l.dir, l.gen))
	if err != nil || !os.SameFile(mine, there) {
		return false
	}
	gens, err := listGenerations(l.dir)
	if err != nil {
		return true // cannot tell; the next tick will
	}
	return len(gens) > 0 && gens[len(gens)-1] == l.gen
}

func (l *fileLock) stopHeartbeat() { l.hb.Stop() }

// Release implements Lock.
func (l *fileLock) Release(ctx context.Context) error {
	l.stopHeartbeat()
	l.store.mu.Lock()
	_, held := l.store.locks[l]
	delete(l.store.locks, l)
	l.store.mu.Unlock()
	if !held {
		return nil
	}
	defer l.file.Close()
	mine, err := l.file.Stat()
	if err != nil {
		return fmt.Errorf("release lock %s: %w", l.dir, err)
	}
	path := genPath(l.dir, l.gen)
	there, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release lock %s: %w", path, err)
	}
	if !os.SameFile(mine, there) {
		return nil // taken over and the name reused: not ours to remove
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("release lock %s: %w", path, err)
	}
	return nil
}

// abandon stops the heartbeat and leaves the file, as a crash would.
func (l *fileLock) abandon() {
	l.stopHeartbeat()
	_ = l.file.Close()
}
