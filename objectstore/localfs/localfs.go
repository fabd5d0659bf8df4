// Package localfs is objectstore.Store on a local directory: the same
// contract as S3, so that what is built on object storage (a sink's commits,
// the state store) runs and is tested without a server.
//
// A key is a file under the root ("a/b.parquet" is <root>/a/b.parquet).
// Writes go to a temp file beside the target, are synced, and are renamed
// into place, so a reader sees the old or the new object, never part of one.
// Renames and deletes are serialised by a mutex within the process and by
// flock(2) on <root>/.localfs.lock between processes, so a conditional put
// or delete checks and acts as one step. An ETag is the file's inode,
// modification time and size: a new one for every write, since every write
// is a new file. Directories left empty by a delete are removed, as S3 has
// none. Unlike S3, a key cannot also be the folder of other keys ("a/b" and
// "a/b/c"): a table layout never needs both.
package localfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/adoptionlabs/etl/objectstore"
)

const (
	lockName = ".localfs.lock"
	// tmpMark is in the name of every temp file: List skips them, and a
	// key cannot contain it.
	tmpMark = ".localfs-tmp-"
)

// Store is objectstore.Store on a directory.
type Store struct {
	root string
	mu   sync.Mutex
	lock *os.File
}

var _ objectstore.Store = (*Store)(nil)

// Open returns a Store on dir, creating it if needed. Close releases it.
func Open(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("object store directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fail("mkdir", abs, "", err)
	}
	f, err := os.OpenFile(filepath.Join(abs, lockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fail("open", abs, lockName, err)
	}
	return &Store{root: abs, lock: f}, nil
}

// Close releases the directory's lock file.
func (s *Store) Close() error { return s.lock.Close() }

// Location implements objectstore.Store.
func (s *Store) Location() string { return s.root }

// Dir is the root directory.
func (s *Store) Dir() string { return s.root }

func (s *Store) path(key string) string { return filepath.Join(s.root, filepath.FromSlash(key)) }

func (s *Store) checkKey(op, key string) error {
	err := objectstore.CheckKey(key)
	if err == nil && (strings.Contains(key, tmpMark) || key == lockName) {
		err = fmt.Errorf("%w %q: names containing %q are the store's own", objectstore.ErrInvalidKey, key, tmpMark)
	}
	if err != nil {
		return &objectstore.Error{Op: op, Location: s.root, Key: key, Kind: objectstore.ErrInvalidKey, Err: err}
	}
	return nil
}

// fail wraps an OS error with the operation, the key and its kind.
func fail(op, root, key string, err error) error {
	e := &objectstore.Error{Op: op, Location: root, Key: key, Err: err}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		e.Kind = objectstore.ErrNotFound
	case errors.Is(err, fs.ErrPermission):
		e.Kind = objectstore.ErrAccessDenied
		e.Hint = "check the permissions of " + root + " and the directories under it"
	}
	return e
}

// exclusive runs fn holding the process mutex and the directory's flock.
func (s *Store) exclusive(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fd := int(s.lock.Fd())
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EINTR) {
			return fail("flock", s.root, lockName, err)
		}
	}
	defer func() { _ = syscall.Flock(fd, syscall.LOCK_UN) }()
	return fn()
}

func etag(st fs.FileInfo) string {
	var ino uint64
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = sys.Ino
	}
	return fmt.Sprintf("\"%x-%x-%x\"", ino, st.ModTime().UnixNano(), st.Size())
}

func (s *Store) info(key string, st fs.FileInfo) objectstore.ObjectInfo {
	return objectstore.ObjectInfo{Key: key, Size: st.Size(), ETag: etag(st), LastModified: st.ModTime().UTC(), ServerTime: time.Now().UTC()}
}

// Put implements objectstore.Store.
func (s *Store) Put(ctx context.Context, key string, body io.Reader, opts objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	if err := s.checkKey("put", key); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if err := opts.Check(); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	target := s.path(key)
	tmp, err := s.createTemp(target)
	if err != nil {
		return objectstore.ObjectInfo{}, fail("put", s.root, key, err)
	}
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
			s.pruneDirs(filepath.Dir(target)) // a failed put leaves no directory it made
		}
	}()
	if _, err := io.Copy(tmp, &ctxReader{ctx: ctx, r: body}); err != nil {
		return objectstore.ObjectInfo{}, fail("put", s.root, key, err)
	}
	if err := tmp.Sync(); err != nil {
		return objectstore.ObjectInfo{}, fail("put", s.root, key, err)
	}
	if err := tmp.Close(); err != nil {
		return objectstore.ObjectInfo{}, fail("put", s.root, key, err)
	}
	var info objectstore.ObjectInfo
	err = s.exclusive(func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.precondition(key, opts); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), target); err != nil {
			return fail("rename", s.root, key, err)
		}
		done = true
		st, err := os.Stat(target)
		if err != nil {
			return fail("stat", s.root, key, err)
		}
		info = s.info(key, st)
		return nil
	})
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if d, err := os.Open(filepath.Dir(target)); err == nil {
		_ = d.Sync() // the rename survives a crash
		_ = d.Close()
	}
	return info, nil
}

// createTemp makes the temp file beside target, creating its directory. A
// concurrent delete may remove a directory it just made empty: retry.
func (s *Store) createTemp(target string) (*os.File, error) {
	dir := filepath.Dir(target)
	var err error
	for try := 0; try < 10; try++ {
		if err = os.MkdirAll(dir, 0o755); err != nil {
			continue
		}
		var f *os.File
		f, err = os.CreateTemp(dir, filepath.Base(target)+tmpMark+"*")
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return nil, err
}

// precondition checks opts against key's current version; called holding
// the lock.
func (s *Store) precondition(key string, opts objectstore.PutOptions) error {
	if !opts.IfNoneMatch && opts.IfMatch == "" {
		return nil
	}
	st, err := os.Stat(s.path(key))
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail("stat", s.root, key, err)
	}
	switch {
	case opts.IfNoneMatch && exists:
		return &objectstore.Error{Op: "put", Location: s.root, Key: key, Kind: objectstore.ErrPreconditionFailed, Err: errors.New("the object exists")}
	case opts.IfMatch != "" && !exists:
		return &objectstore.Error{Op: "put", Location: s.root, Key: key, Kind: objectstore.ErrPreconditionFailed, Err: errors.New("the object does not exist")}
	case opts.IfMatch != "" && etag(st) != opts.IfMatch:
		return &objectstore.Error{Op: "put", Location: s.root, Key: key, Kind: objectstore.ErrPreconditionFailed, Err: errors.New("the object has another ETag")}
	}
	return nil
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Get implements objectstore.Store.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, objectstore.ObjectInfo, error) {
	f, info, err := s.open(key)
	if err != nil {
		return nil, info, err
	}
	return f, info, nil
}

func (s *Store) open(key string) (*os.File, objectstore.ObjectInfo, error) {
	if err := s.checkKey("get", key); err != nil {
		return nil, objectstore.ObjectInfo{}, err
	}
	f, err := os.Open(s.path(key))
	if err != nil {
		return nil, objectstore.ObjectInfo{}, fail("get", s.root, key, err)
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		err = fs.ErrNotExist
	}
	if err != nil {
		_ = f.Close()
		return nil, objectstore.ObjectInfo{}, fail("get", s.root, key, err)
	}
	return f, s.info(key, st), nil
}

// Open implements objectstore.Store. The open file keeps reading the
// version it found, even if the key is replaced meanwhile.
func (s *Store) Open(ctx context.Context, key string) (objectstore.Object, error) {
	f, info, err := s.open(key)
	if err != nil {
		return nil, err
	}
	return &object{File: f, info: info}, nil
}

type object struct {
	*os.File
	info objectstore.ObjectInfo
}

func (o *object) Info() objectstore.ObjectInfo { return o.info }
func (o *object) Size() int64                  { return o.info.Size }

// Stat implements objectstore.Store.
func (s *Store) Stat(ctx context.Context, key string) (objectstore.ObjectInfo, error) {
	if err := s.checkKey("stat", key); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	st, err := os.Stat(s.path(key))
	if err == nil && st.IsDir() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return objectstore.ObjectInfo{}, fail("stat", s.root, key, err)
	}
	return s.info(key, st), nil
}

// List implements objectstore.Store. The keys are collected and sorted
// before the first is yielded: S3's order (byte order of the whole key) is
// not the order of a directory walk.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[objectstore.ObjectInfo, error] {
	return func(yield func(objectstore.ObjectInfo, error) bool) {
		// Walk only the deepest directory the prefix names in full.
		base := s.root
		if i := strings.LastIndex(prefix, "/"); i >= 0 {
			base = s.path(prefix[:i])
		}
		var out []objectstore.ObjectInfo
		err := filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil // deleted meanwhile, or the prefix names nothing
				}
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(s.root, path)
			if err != nil {
				return err
			}
			key := filepath.ToSlash(rel)
			if key == lockName || strings.Contains(d.Name(), tmpMark) || !strings.HasPrefix(key, prefix) {
				return nil
			}
			st, err := d.Info()
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			out = append(out, objectstore.ObjectInfo{Key: key, Size: st.Size(), ETag: etag(st), LastModified: st.ModTime().UTC()})
			return nil
		})
		if err != nil {
			yield(objectstore.ObjectInfo{}, fail("list", s.root, prefix, err))
			return
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
		for _, info := range out {
			if !yield(info, nil) {
				return
			}
		}
	}
}

// Delete implements objectstore.Store.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if err := s.checkKey("delete", k); err != nil {
			return err
		}
	}
	return s.exclusive(func() error {
		for _, k := range keys {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := s.remove(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// remove deletes key and the directories that it leaves empty; called
// holding the lock.
func (s *Store) remove(key string) error {
	path := s.path(key)
	if st, err := os.Lstat(path); err == nil && st.IsDir() {
		return nil // a "directory" is no object
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail("delete", s.root, key, err)
	}
	s.pruneDirs(filepath.Dir(path))
	return nil
}

// pruneDirs removes dir and its parents below the root while they are
// empty. A put racing with it retries creating its directory (createTemp).
func (s *Store) pruneDirs(dir string) {
	for ; dir != s.root && strings.HasPrefix(dir, s.root+string(filepath.Separator)); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			return // not empty (or not ours to remove)
		}
	}
}

// DeleteIf implements objectstore.Store.
func (s *Store) DeleteIf(ctx context.Context, key, tag string) error {
	if err := s.checkKey("delete", key); err != nil {
		return err
	}
	return s.exclusive(func() error {
		st, err := os.Stat(s.path(key))
		if err != nil {
			return fail("delete", s.root, key, err)
		}
		if etag(st) != tag {
			return &objectstore.Error{Op: "delete", Location: s.root, Key: key, Kind: objectstore.ErrPreconditionFailed, Err: errors.New("the object has another ETag")}
		}
		return s.remove(key)
	})
}
