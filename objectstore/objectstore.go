// Package objectstore is what etl needs of a place that holds objects: an S3
// bucket under a prefix (objectstore/s3) or a local directory
// (objectstore/localfs), behind one interface so that a sink and the state
// store beside its data work the same on both, and their tests run without a
// server.
//
// An object store has no rename and no directory swap. What it offers instead,
// and what this interface keeps, is conditional writes: a put that succeeds
// only if the object does not exist yet (IfNoneMatch) or is still the version
// the caller read (IfMatch). Locks and read-modify-write of small documents
// are built on those; data is committed by writing new objects under unique
// names and deleting the ones they replace.
package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"
)

// Store holds objects under one root: a bucket and prefix, or a directory.
// Keys are relative to the root, '/'-separated, and never start with '/'.
type Store interface {
	// Put writes body to key and returns what was written. A body larger
	// than the store's part size is uploaded in parts, holding one part in
	// memory at a time, or none for a SizedReaderAt (a file), which is sent
	// in sections of itself; if Put fails or ctx ends, nothing of it stays
	// visible (an unfinished multipart upload is aborted). The conditions of
	// opts apply to the whole object: a failed one is ErrPreconditionFailed
	// and writes nothing.
	Put(ctx context.Context, key string, body io.Reader, opts PutOptions) (ObjectInfo, error)
	// Get opens key for reading; the caller closes the reader.
	Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)
	// Open returns key as an io.ReaderAt (ranged reads: a Parquet footer
	// without the whole file). Reads see the version Open found: if the
	// object is replaced meanwhile, they fail with ErrPreconditionFailed
	// (S3) or go on reading the old version (a local file).
	Open(ctx context.Context, key string) (Object, error)
	// Stat returns key's metadata, with ServerTime set.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List yields the objects whose keys start with prefix, in key order,
	// fetching pages as it goes. It stops at the first error, yielded last.
	List(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error]
	// Delete removes keys, in batches the store accepts. A key that does
	// not exist is not an error. On failure the error names the first key
	// that could not be deleted; others may have gone.
	Delete(ctx context.Context, keys ...string) error
	// DeleteIf removes key only while its ETag is etag: ErrPreconditionFailed
	// otherwise, ErrNotFound when it is gone. ErrNotSupported where the
	// store cannot make a delete conditional (see the store's doc).
	DeleteIf(ctx context.Context, key, etag string) error
	// Location is the root as a user would write it ("s3://lake/etl",
	// "/data/lake"), for messages. It never holds credentials.
	Location() string
}

// SizedReaderAt is a body Put can read in sections, as often as a request
// needs (a checksum, then the send, then a retry), instead of holding a
// part in memory: io.NewSectionReader over a file.
type SizedReaderAt interface {
	io.ReaderAt
	Size() int64
}

// PutOptions are the conditions and metadata of a Put. At most one of
// IfNoneMatch and IfMatch may be set.
type PutOptions struct {
	// IfNoneMatch: create only; ErrPreconditionFailed if key exists.
	IfNoneMatch bool
	// IfMatch: replace only the version with this ETag;
	// ErrPreconditionFailed if key has another one or does not exist.
	IfMatch string
	// ContentType is stored with the object where the store keeps one.
	ContentType string
}

// Check rejects options that ask for both conditions.
func (o PutOptions) Check() error {
	if o.IfNoneMatch && o.IfMatch != "" {
		return errors.New("objectstore: a put can be IfNoneMatch or IfMatch, not both")
	}
	return nil
}

// ObjectInfo describes one version of an object.
type ObjectInfo struct {
	Key  string
	Size int64
	// ETag identifies this version of the object: any write gives a new one
	// unless the bytes are the same (S3's ETag of a single-part object is
	// its MD5). Opaque: compare, never parse.
	ETag string
	// LastModified is when this version was written, by the store's clock.
	LastModified time.Time
	// ServerTime is the store's clock when it answered (S3: the Date
	// header), set by Stat and Get. ServerTime-LastModified is how long ago
	// the object was written, without trusting this machine's clock. On S3
	// both are whole seconds.
	ServerTime time.Time
}

// Object is an open object for ranged reads.
type Object interface {
	io.ReaderAt
	io.Closer
	Info() ObjectInfo
	Size() int64
}

// Errors a Store returns, wrapped in *Error: test with errors.Is.
var (
	ErrNotFound           = errors.New("not found")
	ErrPreconditionFailed = errors.New("precondition failed (the object changed or exists)")
	ErrAccessDenied       = errors.New("access denied")
	ErrCredentials        = errors.New("credentials missing or rejected")
	ErrNoSuchBucket       = errors.New("no such bucket")
	ErrNotSupported       = errors.New("not supported by this store")
	ErrInvalidKey         = errors.New("invalid key")
)

// Error is a failed store operation: which, on what, and what to change.
type Error struct {
	// Op is the store's operation ("PutObject", "ListObjectsV2", "rename").
	Op string
	// Location is the root (s3://bucket/prefix or a directory).
	Location string
	// Key is the object's key under the root, "" for the root itself.
	Key string
	// Kind is one of the Err* values above, or nil for any other failure.
	Kind error
	// Hint says what to change, "" when there is nothing to say.
	Hint string
	// Err is the underlying error (the SDK's, the OS's).
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Location)
	if e.Key != "" {
		b.WriteString(" key ")
		b.WriteString(e.Key)
	}
	b.WriteString(": ")
	switch {
	case errors.Is(e.Kind, ErrAccessDenied):
		fmt.Fprintf(&b, "%s denied", e.Op)
	case e.Kind != nil:
		fmt.Fprintf(&b, "%s: %v", e.Op, e.Kind)
	default:
		b.WriteString(e.Op)
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	if e.Err != nil && e.Err != e.Kind {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is find both the kind and the underlying error.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil && e.Err != e.Kind {
		out = append(out, e.Err)
	}
	return out
}

// CheckKey rejects keys that would escape the root or that S3 and a file
// system would not both hold: empty, absolute, with empty, "." or ".."
// segments, with a NUL or a backslash, or over 1024 bytes.
func CheckKey(key string) error {
	if key == "" || len(key) > 1024 || strings.HasPrefix(key, "/") || strings.ContainsAny(key, "\x00\\") {
		return fmt.Errorf("%w %q: keys are relative '/'-separated paths of at most 1024 bytes", ErrInvalidKey, key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w %q: empty, '.' and '..' path segments are not allowed", ErrInvalidKey, key)
		}
	}
	return nil
}

// ReadAll reads key whole: for small documents (state, manifests).
func ReadAll(ctx context.Context, s Store, key string) ([]byte, ObjectInfo, error) {
	r, info, err := s.Get(ctx, key)
	if err != nil {
		return nil, info, err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, info, &Error{Op: "read", Location: s.Location(), Key: key, Err: err}
	}
	return b, info, nil
}

// Keys collects the keys under prefix (for tests and small listings).
func Keys(ctx context.Context, s Store, prefix string) ([]string, error) {
	var out []string
	for info, err := range s.List(ctx, prefix) {
		if err != nil {
			return out, err
		}
		out = append(out, info.Key)
	}
	return out, nil
}
