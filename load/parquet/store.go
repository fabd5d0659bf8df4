package parquet

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"

	"github.com/adoptionlabs/etl/objectstore"
)

// partStore is where the partitions of the tables live and how a
// partition's new set of files replaces its old one. What a commit decides
// (which days a load replaces, which rows of a merge partition survive, the
// rejects seen again) reads the live files and stages the new ones only
// through it, so the same commit logic runs on a local directory
// (localStore: a new directory swapped in by rename, store_local.go) and on
// an object store, which has no rename (objectStore: new parts under unique
// names, the swap's intent recorded, then the replaced parts deleted,
// store_object.go). A load's own files are first written to local scratch
// (Writer.staging) on either.
type partStore interface {
	// where names the root for messages: a directory or s3://bucket/prefix.
	where() string
	// location names a partition's file for messages, and for readers
	// (ListFiles): a path, or an s3:// URL.
	location(table, part, name string) string
	// partitions lists the partition directory names of a table (every
	// key=value directory), sorted; none for a table not loaded yet.
	partitions(ctx context.Context, table string) ([]string, error)
	// list returns the entries of one partition, sorted by name; none when
	// it does not exist. part "" is an unpartitioned table's directory.
	list(ctx context.Context, table, part string) ([]partEntry, error)
	// lists is list of each of parts, keyed by part, in as few requests
	// as the store allows (a load of etl_rejects replaces every day of its
	// window).
	lists(ctx context.Context, table string, parts []string) (map[string][]partEntry, error)
	// files lists what a reader globbing <table>/**/*.parquet finds, sorted
	// (the table directory's files and its partitions'); with first, only
	// the first one that is not the schema-only file.
	files(ctx context.Context, table string, first bool) ([]tableFile, error)
	// open opens a live file of a partition for reading. Within a load
	// (dirs.work set) a file read through is fetched once into its scratch;
	// without, only what is read is fetched (a footer). A missing file is
	// an error that errors.Is fs.ErrNotExist.
	open(ctx context.Context, table, part, name string, dirs loadDirs) (partReader, error)
	// stage starts the new set of files of one partition, whose live
	// entries (list) are live, with the load's private directories.
	stage(table, part string, live []partEntry, dirs loadDirs) partStage
	// ready makes the stages of one load of table ready to swap, once
	// every one is built: durable on a local disk; uploaded, with the
	// swap's intent recorded first, on an object store. A failure leaves
	// nothing of it visible.
	ready(ctx context.Context, table string, stages []partStage, dirs loadDirs) error
	// swap puts the ready stages in place of their partitions' live files
	// and drops what they replaced (a replaced file that cannot be dropped
	// and only costs space goes to warn); it returns how many partitions
	// were replaced when it fails.
	swap(ctx context.Context, stages []partStage, warn func(error)) (swapped int, err error)
	// abort undoes what ready made visible, for a load that will not swap.
	abort(ctx context.Context, stages []partStage) error
	// put writes a small file of a partition whole, replacing one of the
	// same name: a reader sees the old file or the new one.
	put(ctx context.Context, table, part, name string, body []byte) error
	// remove deletes a file of a partition, and the partition with it
	// once it holds nothing else; a missing file is not an error.
	remove(ctx context.Context, table, part, name string) error
}

// loadDirs are a load's private local directories: work for what it
// stages, trash for what a local swap moves away until it is durable (New
// puts back a trashed partition whose live directory is missing, so the
// trash is not under the staging New deletes); and, for an object store's
// record of the swap, the load's stream and run. Zero outside a load.
type loadDirs struct{ work, trash, stream, run string }

type partEntry struct {
	name    string
	regular bool
}

// isPart reports whether a partition entry is a Parquet file a reader
// globbing *.parquet finds.
func (e partEntry) isPart() bool { return e.regular && strings.HasSuffix(e.name, ".parquet") }

// tableFile is a file of a table: its partition directory ("" for the
// table directory) and its name.
type tableFile struct{ part, name string }

type partReader interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// partStage builds the new set of files of one partition. Nothing of it is
// visible before the store's ready (object store) or swap (local disk).
type partStage interface {
	// keep carries a live file of the partition over unchanged.
	keep(name string) error
	// adoptDir makes every Parquet file of dir, a finished scratch
	// directory of the load, a new file of the partition.
	adoptDir(dir string) error
	// create starts a new file of the partition.
	create(name string) (stagedFile, error)
	// ready makes what was staged durable where each stage does so on its
	// own; where a load's files are made durable at once (syncOnce) the
	// store's ready does that.
	ready() error
	// staged reports whether anything was staged: a stage with nothing
	// staged removes the partition.
	staged() bool
}

// stagedFile is a file being written; commit gives it its final name.
type stagedFile interface {
	io.Writer
	Name() string
	commit() error
	abort()
}

// notFound reports whether err says a file or object does not exist, on
// either store.
func notFound(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, objectstore.ErrNotFound)
}

// isParquet reports whether a file name is one a reader's *.parquet glob
// finds.
func isParquet(name string) bool { return strings.HasSuffix(name, ".parquet") }

// listEach is lists by a list of each part: what a directory does, and
// what an object store does for a few.
func listEach(ctx context.Context, s partStore, table string, parts []string) (map[string][]partEntry, error) {
	out := make(map[string][]partEntry, len(parts))
	for _, part := range parts {
		entries, err := s.list(ctx, table, part)
		if err != nil {
			return nil, err
		}
		out[part] = entries
	}
	return out, nil
}
