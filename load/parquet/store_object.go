package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/adoptionlabs/etl/atomicfile"
	"github.com/adoptionlabs/etl/objectstore"
)

// objectStore keeps the tables in an object store (an S3 bucket under a
// prefix), under the keys a local directory has as paths:
// <table>/<partition>/<file>. An object store has no rename, so a
// partition's new set of files cannot be swapped in whole. Instead
// (swap_intent.go): the new files are uploaded under names no live file
// has, with the swap's intent (the keys to add and the keys they replace)
// recorded under _etl/swaps/ before the first upload; the intent is then
// marked complete, and only then are the replaced files deleted and the
// intent dropped. A run killed in the middle leaves the intent, which the
// next run resolves before it loads anything (recoverSwaps).
//
// A reader never sees a partition without its rows: the old files go only
// once every new one is in place. It may, for the moment between the first
// upload and the last delete, see both (a key of a merge table twice).
type objectStore struct {
	objs objectstore.Store
}

func (s objectStore) where() string { return s.objs.Location() }

// key is the object key of a partition's file under the store's root.
func (s objectStore) key(table, part, name string) string {
	if part == "" {
		return table + "/" + name
	}
	return table + "/" + part + "/" + name
}

func (s objectStore) location(table, part, name string) string {
	return s.objs.Location() + "/" + s.key(table, part, name)
}

// partitions lists the table's objects and keeps the partition directory
// of each.
func (s objectStore) partitions(ctx context.Context, table string) ([]string, error) {
	var out []string
	for info, err := range s.objs.List(ctx, table+"/") {
		if err != nil {
			return nil, err
		}
		part, _, nested := strings.Cut(strings.TrimPrefix(info.Key, table+"/"), "/")
		if nested && isPartitionDir(part) && (len(out) == 0 || out[len(out)-1] != part) {
			out = append(out, part)
		}
	}
	return out, nil
}

func (s objectStore) list(ctx context.Context, table, part string) ([]partEntry, error) {
	prefix := table + "/"
	if part != "" {
		prefix += part + "/"
	}
	var out []partEntry
	for info, err := range s.objs.List(ctx, prefix) {
		if err != nil {
			return nil, err
		}
		name := strings.TrimPrefix(info.Key, prefix)
		if strings.Contains(name, "/") {
			continue // an unpartitioned table's "directory" holds its files only
		}
		out = append(out, partEntry{name: name, regular: true})
	}
	return out, nil
}

// listEachUpTo is how many partitions lists asks for one by one; for
// more, one listing of the table (1,000 keys a request) costs fewer
// requests than a listing of each.
const listEachUpTo = 4

func (s objectStore) lists(ctx context.Context, table string, parts []string) (map[string][]partEntry, error) {
	if len(parts) <= listEachUpTo {
		return listEach(ctx, s, table, parts)
	}
	out := make(map[string][]partEntry, len(parts))
	want := map[string]bool{}
	for _, part := range parts {
		want[part] = true
	}
	for info, err := range s.objs.List(ctx, table+"/") {
		if err != nil {
			return nil, err
		}
		rel := strings.TrimPrefix(info.Key, table+"/")
		part, name, nested := strings.Cut(rel, "/")
		if !nested {
			part, name = "", rel
		}
		if want[part] && !strings.Contains(name, "/") {
			out[part] = append(out[part], partEntry{name: name, regular: true})
		}
	}
	return out, nil
}

func (s objectStore) files(ctx context.Context, table string, first bool) ([]tableFile, error) {
	var out []tableFile
	for info, err := range s.objs.List(ctx, table+"/") {
		if err != nil {
			return nil, err
		}
		rel := strings.TrimPrefix(info.Key, table+"/")
		f := tableFile{name: rel}
		if part, name, nested := strings.Cut(rel, "/"); nested {
			if !isPartitionDir(part) || strings.Contains(name, "/") {
				continue
			}
			f = tableFile{part: part, name: name}
		}
		if !isParquet(f.name) || (first && isSchemaOnly(f.name)) {
			continue
		}
		out = append(out, f)
		if first {
			return out, nil
		}
	}
	return out, nil
}

// open reads a footer with ranged reads outside a load. Within one, the
// file is fetched whole into the load's scratch (one request), once: a
// merge reads a live file's footer, then its keys, then maybe every
// column, and rejects are read twice.
func (s objectStore) open(ctx context.Context, table, part, name string, dirs loadDirs) (partReader, error) {
	key := s.key(table, part, name)
	if dirs.work == "" {
		o, err := s.objs.Open(ctx, key)
		if err != nil {
			return nil, missing(err)
		}
		return o, nil
	}
	local := filepath.Join(dirs.work, "live", filepath.FromSlash(key))
	if r, err := openLocal(local); err == nil {
		return r, nil
	}
	if err := s.fetch(ctx, key, local); err != nil {
		return nil, err
	}
	return openLocal(local)
}

// fetch copies an object into a local file, written under a temp name and
// renamed, so that a cached file is always whole.
func (s objectStore) fetch(ctx context.Context, key, local string) error {
	body, _, err := s.objs.Get(ctx, key)
	if err != nil {
		return missing(err)
	}
	defer body.Close()
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		return err
	}
	f, err := atomicfile.Create(local, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, body); err != nil {
		f.Abort()
		return fmt.Errorf("fetch %s/%s: %w", s.objs.Location(), key, err)
	}
	// Scratch needs no durability: a crash loses the load anyway.
	return f.CommitUnsynced()
}

// missing lets a store's ErrNotFound be tested like a missing file.
func missing(err error) error {
	if errors.Is(err, objectstore.ErrNotFound) && !errors.Is(err, fs.ErrNotExist) {
		return errors.Join(err, fs.ErrNotExist)
	}
	return err
}

func (s objectStore) stage(table, part string, live []partEntry, dirs loadDirs) partStage {
	name := part
	if part == "" {
		name = tableLevel
	}
	return &objectStage{table: table, part: part, live: live, kept: map[string]bool{},
		build: filepath.Join(dirs.work, "swap", name)}
}

// objectStage collects a partition's new set of files: the live files kept
// (nothing to do), and the local files to upload.
type objectStage struct {
	table, part string
	live        []partEntry
	kept        map[string]bool
	// adds are the local files that become the partition's new files,
	// under their names there; keys are their keys once ready chose them.
	adds  []localAdd
	build string
	any   bool
	// intent is the swap this stage is part of, once ready recorded it.
	intent *swapIntent
}

type localAdd struct{ path, name string }

func (st *objectStage) staged() bool { return st.any }
func (st *objectStage) ready() error { return nil }

func (st *objectStage) keep(name string) error {
	st.kept[name] = true
	st.any = true
	return nil
}

func (st *objectStage) adoptDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Type().IsRegular() && isParquet(e.Name()) {
			st.adds = append(st.adds, localAdd{path: filepath.Join(dir, e.Name()), name: e.Name()})
			st.any = true
		}
	}
	return nil
}

func (st *objectStage) create(name string) (stagedFile, error) {
	if err := os.MkdirAll(st.build, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(st.build, name)
	f, err := createScratch(path)
	if err != nil {
		return nil, err
	}
	st.adds = append(st.adds, localAdd{path: path, name: name})
	st.any = true
	return f, nil
}

// scratchFile is a part file in scratch: it is uploaded, so it needs no
// fsync.
type scratchFile struct{ localFile }

func createScratch(path string) (stagedFile, error) {
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return nil, err
	}
	return scratchFile{localFile{f, path}}, nil
}

func (f scratchFile) commit() error { return f.CommitUnsynced() }

// put writes a small file in one request: S3 replaces an object whole.
func (s objectStore) put(ctx context.Context, table, part, name string, body []byte) error {
	_, err := s.objs.Put(ctx, s.key(table, part, name), strings.NewReader(string(body)),
		objectstore.PutOptions{ContentType: parquetContentType})
	return err
}

func (s objectStore) remove(ctx context.Context, table, part, name string) error {
	return s.objs.Delete(ctx, s.key(table, part, name))
}

// parquetContentType is the media type of Parquet files.
const parquetContentType = "application/vnd.apache.parquet"

// uniqueName returns name, or name with a random suffix when taken is
// true of it: an object store has no rename, so a new file must not take
// the name of a live file it replaces (a rerun in the same run of a
// rejects day).
func uniqueName(name string, taken func(string) bool) string {
	for taken(name) {
		name = strings.TrimSuffix(name, ".parquet") + "-" + randomHex(4) + ".parquet"
	}
	return name
}

// liveNames is the set of a stage's live file names.
func (st *objectStage) liveNames() map[string]bool {
	out := make(map[string]bool, len(st.live))
	for _, e := range st.live {
		out[e.name] = true
	}
	return out
}

// replaced are the live files the stage does not keep, sorted.
func (st *objectStage) replaced() []string {
	var out []string
	for _, e := range st.live {
		if !st.kept[e.name] {
			out = append(out, e.name)
		}
	}
	slices.Sort(out)
	return out
}
