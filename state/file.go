package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/adoptionlabs/etl/atomicfile"
)

// Layout of a state directory:
//
//	state.json               watermarks, one JSON document
//	backfill/<plan id>.json  tasks of one backfill plan already committed
//	locks/<name>/<gen>.lock  run locks (see lockfile.go)
//	.flock                   serialises read-modify-write between processes
const (
	stateFile   = "state.json"
	backfillDir = "backfill"
	locksDir    = "locks"
	flockFile   = ".flock"
	// docVersion is written into every document; a newer one is refused
	// rather than half understood and rewritten without its new fields.
	docVersion = 1
)

// FileStore keeps state in a local directory. Every document is replaced
// atomically (temp file, fsync, rename, fsync of the directory), so a kill -9
// at any instant leaves either the old or the new document, never a torn one.
// Read-modify-write is serialised by a mutex between goroutines and by flock
// on <dir>/.flock between processes sharing the directory.
type FileStore struct {
	dir  string
	host string
	now  func() time.Time

	mu     sync.Mutex
	flock  *os.File
	closed bool
	locks  map[*fileLock]struct{}
}

var _ Store = (*FileStore)(nil)

type stateDoc struct {
	Version int     `json:"version"`
	Streams []Entry `json:"streams"`
}

type backfillDoc struct {
	Version int    `json:"version"`
	PlanID  string `json:"plan_id"`
	// Done maps a task key to when it committed.
	Done map[string]time.Time `json:"done"`
	// Plan describes the backfill (zero for a document written before
	// plans were recorded, or when only MarkDone was called).
	Plan *Plan `json:"plan,omitempty"`
}

// OpenFile opens (creating it if needed) the state directory dir. It removes
// temp files a killed writer left behind and checks state.json is readable,
// so a broken state is reported at start, not in the middle of a run.
func OpenFile(dir string) (*FileStore, error) {
	for _, d := range []string{dir, filepath.Join(dir, backfillDir), filepath.Join(dir, locksDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("state directory %s: %w (choose another state directory or fix its permissions)", dir, err)
		}
	}
	fl, err := os.OpenFile(filepath.Join(dir, flockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("state directory %s: %w", dir, err)
	}
	s := &FileStore{dir: dir, host: Hostname(), now: time.Now, flock: fl, locks: map[*fileLock]struct{}{}}
	err = s.update(func() error {
		for _, d := range []string{dir, filepath.Join(dir, backfillDir)} {
			if err := atomicfile.RemoveStrayTemps(d); err != nil {
				return err
			}
		}
		_, err := s.readState()
		return err
	})
	if err != nil {
		_ = fl.Close()
		return nil, err
	}
	return s, nil
}

// Dir is the state directory.
func (s *FileStore) Dir() string { return s.dir }

// update runs fn holding the process mutex and the directory's flock.
func (s *FileStore) update(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	fd := int(s.flock.Fd())
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EINTR) {
			return fmt.Errorf("lock state directory %s: %w", s.dir, err)
		}
	}
	defer func() { _ = syscall.Flock(fd, syscall.LOCK_UN) }()
	return fn()
}

func (s *FileStore) statePath() string { return filepath.Join(s.dir, stateFile) }

func (s *FileStore) readState() (stateDoc, error) {
	doc := stateDoc{Version: docVersion}
	if err := readJSON(s.statePath(), &doc); err != nil {
		return doc, err
	}
	if doc.Version > docVersion {
		return doc, fmt.Errorf("state file %s has version %d, this etl understands up to %d: upgrade etl", s.statePath(), doc.Version, docVersion)
	}
	return doc, nil
}

func (s *FileStore) writeState(doc stateDoc) error {
	doc.Version = docVersion
	sort.Slice(doc.Streams, func(i, j int) bool { return entryLess(doc.Streams[i], doc.Streams[j]) })
	return writeJSON(s.statePath(), doc)
}

func entryLess(a, b Entry) bool {
	if a.Source != b.Source {
		return a.Source < b.Source
	}
	return a.Stream < b.Stream
}

func find(doc stateDoc, source, stream string) int {
	for i, e := range doc.Streams {
		if e.Source == source && e.Stream == stream {
			return i
		}
	}
	return -1
}

// Get implements Store.
func (s *FileStore) Get(ctx context.Context, source, stream string) (Entry, bool, error) {
	var (
		out Entry
		ok  bool
	)
	err := s.update(func() error {
		doc, err := s.readState()
		if err != nil {
			return err
		}
		if i := find(doc, source, stream); i >= 0 {
			out, ok = doc.Streams[i], true
		}
		return nil
	})
	return out, ok, err
}

// Advance implements Store.
func (s *FileStore) Advance(ctx context.Context, e Entry) error {
	return s.record(e, true)
}

// RecordFailure implements Store.
func (s *FileStore) RecordFailure(ctx context.Context, e Entry) error {
	return s.record(e, false)
}

func (s *FileStore) record(e Entry, committed bool) error {
	if err := CheckEntry(e); err != nil {
		return err
	}
	err := s.update(func() error {
		doc, err := s.readState()
		if err != nil {
			return err
		}
		i := find(doc, e.Source, e.Stream)
		var prev Entry
		if i >= 0 {
			prev = doc.Streams[i]
		}
		next := Merge(prev, i >= 0, e, committed, s.now())
		if i >= 0 {
			doc.Streams[i] = next
		} else {
			doc.Streams = append(doc.Streams, next)
		}
		return s.writeState(doc)
	})
	if err != nil {
		return fmt.Errorf("save state of %s.%s: %w", e.Source, e.Stream, err)
	}
	return nil
}

// List implements Store.
func (s *FileStore) List(ctx context.Context) ([]Entry, error) {
	var out []Entry
	err := s.update(func() error {
		doc, err := s.readState()
		out = doc.Streams
		return err
	})
	sort.Slice(out, func(i, j int) bool { return entryLess(out[i], out[j]) })
	return out, err
}

// Reset implements Store.
func (s *FileStore) Reset(ctx context.Context, source, stream string) (int, error) {
	if source == "" {
		return 0, errors.New("state reset needs a source")
	}
	n := 0
	err := s.update(func() error {
		doc, err := s.readState()
		if err != nil {
			return err
		}
		kept := doc.Streams[:0]
		for _, e := range doc.Streams {
			if e.Source == source && (stream == "" || e.Stream == stream) {
				n++
				continue
			}
			kept = append(kept, e)
		}
		doc.Streams = kept
		if n > 0 {
			if err := s.writeState(doc); err != nil {
				return err
			}
		}
		return s.resetBackfills(source, stream)
	})
	if err != nil {
		return 0, fmt.Errorf("reset state of %s: %w", describe(source, stream), err)
	}
	return n, nil
}

func describe(source, stream string) string {
	if stream == "" {
		return "source " + source
	}
	return source + "." + stream
}

// resetBackfills drops the source's (or stream's) tasks from every plan.
func (s *FileStore) resetBackfills(source, stream string) error {
	files, err := filepath.Glob(filepath.Join(s.dir, backfillDir, "*.json"))
	if err != nil {
		return err
	}
	for _, path := range files {
		var doc backfillDoc
		if err := readJSON(path, &doc); err != nil {
			return err
		}
		changed := false
		for key := range doc.Done {
			src, str, ok := SplitTaskKey(key)
			if ok && src == source && (stream == "" || str == stream) {
				delete(doc.Done, key)
				changed = true
			}
		}
		if !changed {
			continue
		}
		if len(doc.Done) == 0 && doc.Plan == nil {
			if err := os.Remove(path); err != nil {
				return err
			}
			if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
				return err
			}
			continue
		}
		if err := writeJSON(path, doc); err != nil {
			return err
		}
	}
	return nil
}

func (s *FileStore) planPath(planID string) string {
	return filepath.Join(s.dir, backfillDir, planID+".json")
}

// MarkDone implements Store.
func (s *FileStore) MarkDone(ctx context.Context, planID, taskKey string) error {
	if err := CheckPlanID(planID); err != nil {
		return err
	}
	if taskKey == "" {
		return errors.New("backfill task key is empty")
	}
	err := s.update(func() error {
		path := s.planPath(planID)
		doc := backfillDoc{PlanID: planID}
		if err := readJSON(path, &doc); err != nil {
			return err
		}
		if doc.Done == nil {
			doc.Done = map[string]time.Time{}
		}
		if _, ok := doc.Done[taskKey]; ok {
			return nil
		}
		doc.Version, doc.PlanID = docVersion, planID
		doc.Done[taskKey] = s.now().UTC().Truncate(time.Second)
		return writeJSON(path, doc)
	})
	if err != nil {
		return fmt.Errorf("save backfill progress (plan %s, task %s): %w; a rerun redoes that task harmlessly", planID, taskKey, err)
	}
	return nil
}

// DoneTasks implements Store.
func (s *FileStore) DoneTasks(ctx context.Context, planID string) (map[string]bool, error) {
	if err := CheckPlanID(planID); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	err := s.update(func() error {
		var doc backfillDoc
		if err := readJSON(s.planPath(planID), &doc); err != nil {
			return err
		}
		for k := range doc.Done {
			out[k] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read backfill progress (plan %s): %w", planID, err)
	}
	return out, nil
}

// SavePlan implements Store.
func (s *FileStore) SavePlan(ctx context.Context, p Plan) error {
	if err := CheckPlanID(p.ID); err != nil {
		return err
	}
	err := s.update(func() error {
		path := s.planPath(p.ID)
		doc := backfillDoc{PlanID: p.ID}
		if err := readJSON(path, &doc); err != nil {
			return err
		}
		p.Done = 0
		p.Started, p.Completed = second(p.Started), second(p.Completed)
		doc.Version, doc.PlanID, doc.Plan = docVersion, p.ID, &p
		return writeJSON(path, doc)
	})
	if err != nil {
		return fmt.Errorf("save backfill plan %s: %w", p.ID, err)
	}
	return nil
}

// Plans implements Store.
func (s *FileStore) Plans(ctx context.Context) ([]Plan, error) {
	var out []Plan
	err := s.update(func() error {
		files, err := filepath.Glob(filepath.Join(s.dir, backfillDir, "*.json"))
		if err != nil {
			return err
		}
		for _, path := range files {
			var doc backfillDoc
			if err := readJSON(path, &doc); err != nil {
				return err
			}
			if doc.Plan == nil {
				continue
			}
			p := *doc.Plan
			p.Done = len(doc.Done)
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read backfill plans in %s: %w", filepath.Join(s.dir, backfillDir), err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ClearProgress implements Store.
func (s *FileStore) ClearProgress(ctx context.Context, planID string) error {
	if err := CheckPlanID(planID); err != nil {
		return err
	}
	err := s.update(func() error {
		path := s.planPath(planID)
		var doc backfillDoc
		if err := readJSON(path, &doc); err != nil {
			return err
		}
		if len(doc.Done) == 0 {
			return nil
		}
		doc.Done = map[string]time.Time{}
		return writeJSON(path, doc)
	})
	if err != nil {
		return fmt.Errorf("clear backfill progress (plan %s): %w", planID, err)
	}
	return nil
}

// Close implements Store: heartbeats stop, locks not released stay behind.
func (s *FileStore) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	locks := s.locks
	s.locks = nil
	s.mu.Unlock()
	for l := range locks {
		l.abandon()
	}
	return s.flock.Close()
}

// readJSON decodes path into v; a missing file leaves v as it is.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		// Writes are atomic, so this is not a torn write of ours: someone
		// edited the file or the disk lost it.
		return fmt.Errorf("state file %s is not valid JSON (%v): fix or restore it; deleting it forgets that state (watermarks restart from the initial period, backfills redo every chunk)", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}
