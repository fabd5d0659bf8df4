package parquet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/adoptionlabs/etl/atomicfile"
)

// partStore is where the partitions of the tables live and how a
// partition's new set of files replaces its old one. What a commit decides
// (which days a load replaces, which rows of a merge partition survive, the
// rejects seen again) reads the live files and stages the new ones only
// through it, so a store without rename, an object store (new parts under
// unique names, the swap's intent recorded, then the replaced parts
// deleted), is a second implementation beside localStore with the same
// commit logic. A load's own files are first written to local scratch
// (Writer.staging) on either.
type partStore interface {
	// partitions lists the partition directory names of a table (every
	// key=value directory), sorted; none for a table not loaded yet.
	partitions(table string) ([]string, error)
	// list returns the entries of one partition, sorted by name; none when
	// it does not exist. part "" is an unpartitioned table's directory.
	list(table, part string) ([]partEntry, error)
	// open opens a live file of a partition for reading.
	open(table, part, name string) (partReader, error)
	// stage starts the new set of files of one partition, with the load's
	// private directories.
	stage(table, part string, dirs loadDirs) partStage
	// settle makes the swaps of a commit durable once the last stage
	// swapped, then drops what they replaced; a replaced file that cannot
	// be dropped only costs space, and goes to warn.
	settle(stages []partStage, warn func(error)) error
	// location names a partition's file for messages.
	location(table, part, name string) string
}

// loadDirs are a load's private directories: work for what it stages,
// trash for what a swap moves away until it is durable (New puts back a
// trashed partition whose live directory is missing, so the trash is not
// under the staging New deletes).
type loadDirs struct{ work, trash string }

type partEntry struct {
	name    string
	regular bool
}

// isPart reports whether a partition entry is a Parquet file a reader
// globbing *.parquet finds.
func (e partEntry) isPart() bool { return e.regular && strings.HasSuffix(e.name, ".parquet") }

type partReader interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// partStage builds the new set of files of one partition. Nothing of it is
// visible before swap.
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
	// caller does that before the first swap.
	ready() error
	// swap replaces the partition's live files with the staged set, an
	// empty set removing the partition. A reader listing the partition
	// sees the old set or the new one.
	swap() error
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

// localStore keeps each partition as a directory of the output directory
// and swaps a complete new directory in: renameat2(RENAME_EXCHANGE) where
// the filesystem has it, else the live directory goes to the trash and the
// new one is renamed in (New puts a trashed directory back if a crash fell
// between the two renames).
type localStore struct{ dir string }

// tableLevel names an unpartitioned table's directory in staging and trash
// (its partitions are the table directory). fileSafe never writes "~t".
const tableLevel = "~table"

func (s localStore) partDir(table, part string) string { return filepath.Join(s.dir, table, part) }

func (s localStore) location(table, part, name string) string {
	return filepath.Join(s.dir, table, part, name)
}

func (s localStore) partitions(table string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, table))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && isPartitionDir(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func (s localStore) list(table, part string) ([]partEntry, error) {
	entries, err := os.ReadDir(s.partDir(table, part))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]partEntry, 0, len(entries))
	for _, e := range entries {
		if part == "" && e.IsDir() {
			continue // an unpartitioned table's directory holds its files only
		}
		out = append(out, partEntry{name: e.Name(), regular: e.Type().IsRegular()})
	}
	return out, nil
}

type localReader struct {
	*os.File
	size int64
}

func (r localReader) Size() int64 { return r.size }

func (s localStore) open(table, part, name string) (partReader, error) {
	return openLocal(s.location(table, part, name))
}

func openLocal(path string) (partReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return localReader{f, st.Size()}, nil
}

func (s localStore) stage(table, part string, dirs loadDirs) partStage {
	name := part
	parent := filepath.Join(s.dir, table)
	if part == "" {
		name, parent = tableLevel, s.dir
	}
	return &localStage{
		live:   s.partDir(table, part),
		parent: parent,
		build:  filepath.Join(dirs.work, "swap", name),
		trash:  filepath.Join(dirs.trash, name),
	}
}

// localStage builds the new directory of one partition in the load's
// staging and swaps it with the live one.
type localStage struct {
	live, parent string
	// build is where next is created when no scratch directory is adopted
	// as it is; trash is where the fallback swap moves live.
	build, trash string
	// next is the new directory: build, or an adopted scratch directory.
	next string
	// old is what swap replaced, deleted by settle.
	old string
	any bool
}

func (st *localStage) staged() bool { return st.any }

func (st *localStage) mkNext() error {
	if st.next != "" {
		return nil
	}
	if err := os.MkdirAll(st.build, 0o755); err != nil {
		return err
	}
	st.next = st.build
	return nil
}

func (st *localStage) keep(name string) error {
	if err := st.mkNext(); err != nil {
		return err
	}
	st.any = true
	return linkOrCopy(filepath.Join(st.live, name), filepath.Join(st.next, name))
}

func (st *localStage) adoptDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(entries, func(e os.DirEntry) bool { return strings.HasSuffix(e.Name(), ".parquet") }) {
		return nil
	}
	st.any = true
	if st.next == "" {
		// Only the load's files so far: its scratch directory is the new
		// set as it stands.
		st.next = dir
		return nil
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".parquet") {
			if err := os.Rename(filepath.Join(dir, e.Name()), filepath.Join(st.next, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func (st *localStage) create(name string) (stagedFile, error) {
	if err := st.mkNext(); err != nil {
		return nil, err
	}
	st.any = true
	return createLocal(filepath.Join(st.next, name))
}

// localFile is a part file written under a temp name beside its final one.
type localFile struct {
	*atomicfile.File
	final string
}

func createLocal(path string) (stagedFile, error) {
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return nil, err
	}
	return localFile{f, path}, nil
}

// Name is the file's final path.
func (f localFile) Name() string  { return f.final }
func (f localFile) commit() error { return commitPart(f.File) }
func (f localFile) abort()        { f.Abort() }

func (st *localStage) ready() error {
	if st.next == "" {
		return nil
	}
	return syncStaged(st.next)
}

// swap puts the new directory in place. Where the filesystem can exchange
// two directories atomically (Linux renameat2) there is not even an
// instant without the partition; elsewhere the old directory is renamed
// into the trash first and New puts it back if a crash falls between the
// two renames.
func (st *localStage) swap() error {
	_, err := os.Lstat(st.live)
	liveExists := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if st.next == "" {
		if !liveExists {
			return nil
		}
		return st.toTrash()
	}
	if !liveExists {
		return os.Rename(st.next, st.live)
	}
	switch err := exchangeDirs(st.next, st.live); {
	case err == nil:
		// next now holds the old partition; it goes with the staging.
		st.old = st.next
		return nil
	case !errors.Is(err, errExchangeUnsupported):
		return err
	}
	if err := st.toTrash(); err != nil {
		return err
	}
	if err := os.Rename(st.next, st.live); err != nil {
		if rerr := os.Rename(st.old, st.live); rerr != nil {
			return fmt.Errorf("%w; putting the old partition back failed too (%v): the next run restores it from %s", err, rerr, st.old)
		}
		st.old = ""
		return err
	}
	return nil
}

func (st *localStage) toTrash() error {
	if err := os.MkdirAll(filepath.Dir(st.trash), 0o755); err != nil {
		return err
	}
	if err := os.Rename(st.live, st.trash); err != nil {
		return err
	}
	st.old = st.trash
	return nil
}

func (st *localStage) drop() error {
	if st.old == "" {
		return nil
	}
	old := st.old
	st.old = ""
	return os.RemoveAll(old)
}

// settle makes the renames of the swapped stages durable, one sync per
// directory they renamed in, and only then drops what they replaced: New
// needs a trashed partition until its replacement is durable.
func (s localStore) settle(stages []partStage, warn func(error)) error {
	synced := map[string]bool{}
	for _, st := range stages {
		l := st.(*localStage)
		if !synced[l.parent] {
			synced[l.parent] = true
			if err := syncDir(l.parent); err != nil {
				return err
			}
		}
	}
	for _, st := range stages {
		if err := st.(*localStage).drop(); err != nil {
			warn(err)
		}
	}
	return nil
}
