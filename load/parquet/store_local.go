package parquet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/adoptionlabs/etl/atomicfile"
)

// localStore keeps each partition as a directory of the output directory
// and swaps a complete new directory in: renameat2(RENAME_EXCHANGE) where
// the filesystem has it, else the live directory goes to the trash and the
// new one is renamed in (New puts a trashed directory back if a crash fell
// between the two renames). Staging lives in the output directory, so the
// files that stay are hard-linked and the new ones renamed in.
type localStore struct{ dir string }

// tableLevel names an unpartitioned table's directory in staging and trash
// (its partitions are the table directory). fileSafe never writes "~t".
const tableLevel = "~table"

func (s localStore) where() string { return s.dir }

func (s localStore) partDir(table, part string) string { return filepath.Join(s.dir, table, part) }

func (s localStore) location(table, part, name string) string {
	return filepath.Join(s.dir, table, part, name)
}

func (s localStore) partitions(_ context.Context, table string) ([]string, error) {
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

func (s localStore) list(_ context.Context, table, part string) ([]partEntry, error) {
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

func (s localStore) lists(ctx context.Context, table string, parts []string) (map[string][]partEntry, error) {
	return listEach(ctx, s, table, parts)
}

// files reads the table directory and its partition directories
// (key=value): empty partitions are removed, so with first the first one
// read usually answers.
func (s localStore) files(_ context.Context, table string, first bool) ([]tableFile, error) {
	tableDir := filepath.Join(s.dir, table)
	entries, err := os.ReadDir(tableDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []tableFile
	for _, e := range entries {
		switch {
		case e.Type().IsRegular() && isParquet(e.Name()):
			if !(first && isSchemaOnly(e.Name())) {
				out = append(out, tableFile{name: e.Name()})
			}
		case e.IsDir() && isPartitionDir(e.Name()):
			files, err := os.ReadDir(filepath.Join(tableDir, e.Name()))
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				if f.Type().IsRegular() && isParquet(f.Name()) && !(first && isSchemaOnly(f.Name())) {
					out = append(out, tableFile{part: e.Name(), name: f.Name()})
				}
			}
		}
		if first && len(out) > 0 {
			return out[:1], nil
		}
	}
	slices.SortFunc(out, func(a, b tableFile) int {
		return strings.Compare(s.location(table, a.part, a.name), s.location(table, b.part, b.name))
	})
	return out, nil
}

type localReader struct {
	*os.File
	size int64
}

func (r localReader) Size() int64 { return r.size }

func (s localStore) open(_ context.Context, table, part, name string, _ loadDirs) (partReader, error) {
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

func (s localStore) stage(table, part string, _ []partEntry, dirs loadDirs) partStage {
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

// ready makes sure the table's directory exists for the swaps to rename
// into, and, where the load's files and staged directories are made
// durable at once (syncOnce), does that: the swaps rename them into the
// live tree only once they are durable.
func (s localStore) ready(_ context.Context, table string, stages []partStage, _ loadDirs) error {
	tableDir := filepath.Join(s.dir, table)
	if _, err := os.Stat(tableDir); errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(tableDir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		if err := syncDir(s.dir); err != nil {
			return err
		}
	}
	if syncOnce && len(stages) > 0 {
		if err := syncFS(tableDir); err != nil {
			return err
		}
	}
	return swapStep("staged")
}

// swap swaps each stage's directory in, then makes the renames durable and
// only then drops what they replaced.
func (s localStore) swap(_ context.Context, stages []partStage, warn func(error)) (int, error) {
	for i, st := range stages {
		if err := st.(*localStage).swap(); err != nil {
			return i, err
		}
		if i == 0 && len(stages) > 1 {
			if err := swapStep("swapping"); err != nil {
				return 1, err
			}
		}
	}
	return len(stages), s.settle(stages, warn)
}

// abort has nothing to undo: nothing of a stage is visible before swap.
func (s localStore) abort(context.Context, []partStage) error { return nil }

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
	if !slices.ContainsFunc(entries, func(e os.DirEntry) bool { return isParquet(e.Name()) }) {
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
		if isParquet(e.Name()) {
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

// put writes the file in staging, makes it durable and renames it in, or
// renames in the partition directory it was staged in when the partition
// does not exist yet.
func (s localStore) put(_ context.Context, table, part, name string, body []byte) error {
	tableDir := filepath.Join(s.dir, table)
	if _, err := os.Stat(tableDir); errors.Is(err, os.ErrNotExist) && part != "" {
		if err := os.Mkdir(tableDir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		if err := syncDir(s.dir); err != nil {
			return err
		}
	}
	staging := filepath.Join(s.dir, stagingDir, putStaging, table)
	defer os.RemoveAll(staging)
	stagedPart := filepath.Join(staging, part, tableLevel)
	if part != "" {
		stagedPart = filepath.Join(staging, part)
	}
	if err := os.MkdirAll(stagedPart, 0o755); err != nil {
		return err
	}
	staged := filepath.Join(stagedPart, name)
	f, err := atomicfile.Create(staged, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(body); err != nil {
		f.Abort()
		return err
	}
	if err := f.Commit(); err != nil {
		return err
	}
	if err := syncDir(stagedPart); err != nil {
		return err
	}
	live := filepath.Join(tableDir, part)
	if _, err := os.Stat(live); err == nil {
		// An older version of the file, or the table's directory: one
		// rename.
		if err := os.Rename(staged, filepath.Join(live, name)); err != nil {
			return err
		}
		return syncDir(live)
	}
	if err := os.Rename(stagedPart, live); err != nil {
		return err
	}
	return syncDir(filepath.Dir(live))
}

// putStaging is where put stages, under .staging, so New deletes what a
// crash left. fileSafe never writes "~s", so no load's run directory has
// this name.
const putStaging = "~put"

// remove deletes the file, then the partition directory if that left it
// empty.
func (s localStore) remove(_ context.Context, table, part, name string) error {
	partPath := s.partDir(table, part)
	switch err := os.Remove(filepath.Join(partPath, name)); {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	}
	tableDir := filepath.Join(s.dir, table)
	if part == "" {
		return syncDir(tableDir)
	}
	if err := os.Remove(partPath); err == nil { // fails, as wanted, when the partition holds more
		return syncDir(tableDir)
	}
	return syncDir(partPath)
}
