package state

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/atomicfile"
)

// Progress belongs to a destination: a directory shared by several of them
// (state.dir, ETL_STATE_DIR) keeps each one's state in a directory of its
// own, named by DirName. Before that, one flat directory held every
// destination's watermarks together, and a backfill into a scratch
// directory moved the nightly run's watermark; CarryOver moves such a
// directory's state into the destination that first asks for it.

// movedNote is the file CarryOver leaves in the flat directory, one line per
// file it moved, so a person finds where the state went.
const movedNote = "MOVED.txt"

// DirName names the directory of one destination's state under a shared
// state directory: the destination's kind and a readable tail of where it
// writes, then a hash of the whole destination, so that two destinations
// never share a directory however their names read once shortened
// ("parquet-srv-etl-prod-1f2e3d4c").
func DirName(destination string) string {
	kind, where, _ := strings.Cut(destination, ":")
	clean := func(s string) string {
		var b strings.Builder
		dash := false
		for _, c := range strings.ToLower(s) {
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '_':
				b.WriteRune(c)
				dash = false
			case !dash:
				b.WriteByte('-')
				dash = true
			}
		}
		return strings.Trim(b.String(), "-.")
	}
	kind, where = clean(kind), clean(where)
	if len(where) > 48 {
		where = strings.TrimLeft(where[len(where)-48:], "-.")
	}
	name := kind
	if where != "" {
		name += "-" + where
	}
	if name == "" {
		name = "destination"
	}
	return name + "-" + shortHash(destination)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// HasFlatState reports whether dir holds state in the flat layout, where
// CarryOver finds it: watermarks (state.json), backfill plans, or a carry
// that stopped half way. A missing directory holds none.
func HasFlatState(dir string) bool {
	return anyEntry(dir, func(n string) bool { return n == stateFile || strings.HasPrefix(n, stateFile+carryingSuffix) }) ||
		anyEntry(filepath.Join(dir, backfillDir), func(n string) bool {
			return strings.HasSuffix(n, ".json") || strings.Contains(n, ".json"+carryingSuffix)
		})
}

// CarriedElsewhere reports whether the watermarks of the flat directory dir
// were carried over to some destination already (see CarryOver).
func CarriedElsewhere(dir string) bool {
	return anyEntry(dir, func(n string) bool { return strings.HasPrefix(n, stateFile+carriedSuffix) })
}

// anyEntry says whether a file of dir has a name match accepts.
func anyEntry(dir string, match func(name string) bool) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && match(e.Name()) {
			return true
		}
	}
	return false
}

// A file being carried over is first claimed by a rename beside it (no
// other destination can take it after that), copied, then renamed once
// more: the copy left under its carried name is the record of what moved,
// and is never carried again, so state a person deletes on purpose at the
// new place does not come back.
const (
	carryingSuffix = ".carrying-"
	carriedSuffix  = ".carried-"
)

// Carried says what CarryOver moved.
type Carried struct {
	Watermarks int // streams whose state moved (state.json)
	Plans      int // backfill plans whose record and progress moved
}

// Empty says nothing moved.
func (c Carried) Empty() bool { return c.Watermarks == 0 && c.Plans == 0 }

func (c Carried) String() string {
	return fmt.Sprintf("%d stream watermark(s), %d backfill plan(s)", c.Watermarks, c.Plans)
}

// CarryOver moves into s, the state of destination, what old holds for it
// in the flat layout: the watermarks (state.json) when s has none yet, with
// the backfill records that name no destination, and every backfill plan
// recorded for destination that s does not already have. Plans of other
// destinations stay for them. The watermarks go to whichever destination
// asks first: a second one finds them gone (CarriedElsewhere) instead of
// sharing them. Each file moved gets a line in old's MOVED.txt.
//
// Both directories' flocks are held throughout; the caller holds old's run
// lock, so that neither an older etl still running on old nor another
// destination's carry interleaves.
func (s *FileStore) CarryOver(old *FileStore, destination string) (Carried, error) {
	var out Carried
	if same, err := sameDir(old.dir, s.dir); err != nil || same {
		return out, err
	}
	err := old.update(func() error {
		return s.update(func() error {
			tag, items, err := s.toCarry(old.dir, destination)
			if err != nil {
				return err
			}
			var notes []string
			for _, it := range items {
				if err := carryFile(filepath.Join(old.dir, it.rel), filepath.Join(s.dir, it.rel), tag); err != nil {
					return fmt.Errorf("carry %s over from %s to %s: %w", it.rel, old.dir, s.dir, err)
				}
				notes = append(notes, fmt.Sprintf("%s %s (%s) moved to %s, the state of %s; the original is kept as %s",
					time.Now().UTC().Format(time.RFC3339), it.rel, it.what, s.dir, destination, it.rel+carriedSuffix+tag))
				if it.rel == stateFile {
					out.Watermarks = it.streams
				} else {
					out.Plans++
				}
			}
			return appendNote(filepath.Join(old.dir, movedNote), notes)
		})
	})
	return out, err
}

// CarryPending says whether CarryOver would move anything from the flat
// directory old into s, reading only: the caller takes old's run lock
// just when there is something to carry.
func (s *FileStore) CarryPending(old, destination string) (bool, error) {
	_, items, err := s.toCarry(old, destination)
	return len(items) > 0, err
}

// carryItem is a file CarryOver moves: its path under both directories.
type carryItem struct {
	rel, what string
	streams   int // state.json: how many streams it holds
}

// toCarry lists what old holds for destination that s lacks, and the tag
// that marks s's claims in old.
func (s *FileStore) toCarry(old, destination string) (string, []carryItem, error) {
	dst, err := filepath.Abs(s.dir)
	if err != nil {
		return "", nil, err
	}
	tag := shortHash(dst)
	var items []carryItem
	oldPath := filepath.Join(old, stateFile)
	claimed := exists(oldPath + carryingSuffix + tag)
	if claimed || (!exists(s.statePath()) && exists(oldPath)) {
		src := oldPath
		if claimed {
			src += carryingSuffix + tag
		}
		var doc stateDoc
		if err := readJSON(src, &doc); err != nil {
			return "", nil, err
		}
		if doc.Version > docVersion {
			return "", nil, fmt.Errorf("state file %s has version %d, this etl understands up to %d: upgrade etl", src, doc.Version, docVersion)
		}
		items = append(items, carryItem{rel: stateFile, what: fmt.Sprintf("the watermarks of %d stream(s)", len(doc.Streams)), streams: len(doc.Streams)})
	}
	orphans := len(items) > 0
	entries, err := os.ReadDir(filepath.Join(old, backfillDir))
	if errors.Is(err, fs.ErrNotExist) {
		return tag, items, nil
	}
	if err != nil {
		return "", nil, err
	}
	for _, e := range entries {
		name := e.Name()
		claimed := strings.HasSuffix(name, ".json"+carryingSuffix+tag)
		if e.IsDir() || !(strings.HasSuffix(name, ".json") || claimed) {
			continue
		}
		rel := filepath.Join(backfillDir, strings.TrimSuffix(name, carryingSuffix+tag))
		if !claimed {
			if exists(filepath.Join(s.dir, rel)) {
				continue
			}
			var doc backfillDoc
			if err := readJSON(filepath.Join(old, rel), &doc); err != nil {
				return "", nil, err
			}
			mine := doc.Plan != nil && doc.Plan.Destination == destination
			if !mine && !(doc.Plan == nil && orphans) {
				continue
			}
		}
		items = append(items, carryItem{rel: rel, what: "a backfill plan's record and progress"})
	}
	return tag, items, nil
}

// carryFile moves oldPath to newPath across filesystems without a moment
// where another destination could take it too: claim, copy, mark carried.
// A claim a crash left is finished; a newPath already there (the crash
// came after the copy) is kept.
func carryFile(oldPath, newPath, tag string) error {
	claim := oldPath + carryingSuffix + tag
	if !exists(claim) {
		if err := os.Rename(oldPath, claim); err != nil {
			return err
		}
		if err := atomicfile.SyncDir(filepath.Dir(oldPath)); err != nil {
			return err
		}
	}
	if !exists(newPath) {
		b, err := os.ReadFile(claim)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(newPath, b, 0o644); err != nil {
			return err
		}
	}
	if err := os.Rename(claim, oldPath+carriedSuffix+tag); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(oldPath))
}

func appendNote(path string, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b = []byte("etl keeps each destination's state (watermarks, backfill plans, run lock) beside it now.\n" +
			"This directory held the state of every destination together; what was moved, and where to:\n")
	} else if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, []byte(strings.Join(lines, "\n")+"\n")...), 0o644)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func sameDir(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	ib, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ia, ib), nil
}
