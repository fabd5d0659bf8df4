// Package objectstate is state.Store in an object store, beside the data a
// sink writes there: a job in a fresh container (a Kubernetes CronJob, a CI
// runner) continues where the last one stopped, with nothing on local disk.
//
// Layout under the store's root (s3://lake/etl → s3://lake/etl/_etl/…):
//
//	_etl/state.json               watermarks, one JSON document
//	_etl/backfill/<plan id>.json  a backfill plan and its tasks already committed
//	_etl/locks/<name>.json        run locks (lock.go)
//
// The documents have the shape of the file store's. Every change is a
// read-modify-write made safe by a conditional put: the new version is
// written only if the document is still the version read (If-Match on its
// ETag, or If-None-Match "*" when there was none), and is read and applied
// again otherwise. So two processes sharing the state never lose each
// other's updates, and a kill at any instant leaves the old or the new
// document (a put is atomic), never a torn one.
package objectstate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/state"
)

const (
	// Dir is the folder of the state under the store's root.
	Dir         = "_etl"
	stateKey    = Dir + "/state.json"
	backfillDir = Dir + "/backfill/"
	locksDir    = Dir + "/locks/"
	// docVersion is written into every document; a newer one is refused
	// rather than half understood and rewritten without its new fields.
	docVersion = 1
	// maxAttempts bounds the read-modify-write loop of one update: each
	// retry means another writer's update landed in between.
	maxAttempts = 50
)

// Store is state.Store in an objectstore.Store.
type Store struct {
	objs objectstore.Store
	host string
	now  func() time.Time

	// mu serialises this process's updates (fewer lost conditional puts
	// to retry) and guards closed and locks.
	mu     sync.Mutex
	closed bool
	locks  map[*objectLock]struct{}
}

var _ state.Store = (*Store)(nil)

type stateDoc struct {
	Version int           `json:"version"`
	Streams []state.Entry `json:"streams"`
}

type backfillDoc struct {
	Version int                  `json:"version"`
	PlanID  string               `json:"plan_id"`
	Done    map[string]time.Time `json:"done"`
	Plan    *state.Plan          `json:"plan,omitempty"`
}

// Open returns the state kept in objs and checks that its watermarks are
// readable, so that a broken or newer state is reported at start, not in
// the middle of a run.
func Open(ctx context.Context, objs objectstore.Store) (*Store, error) {
	s := &Store{objs: objs, host: state.Hostname(), now: time.Now, locks: map[*objectLock]struct{}{}}
	var doc stateDoc
	if _, _, err := s.read(ctx, stateKey, &doc); err != nil {
		return nil, err
	}
	return s, nil
}

// Location is where the state lives, for messages: s3://lake/etl/_etl.
func (s *Store) Location() string { return s.objs.Location() + "/" + Dir }

func (s *Store) where(key string) string { return s.objs.Location() + "/" + key }

// read decodes key into doc; exists is false (and doc untouched) when the
// document is not there.
func (s *Store) read(ctx context.Context, key string, doc any) (etag string, exists bool, err error) {
	b, info, err := objectstore.ReadAll(ctx, s.objs, key)
	if errors.Is(err, objectstore.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if err := json.Unmarshal(b, doc); err != nil {
		// Puts are atomic, so this is not a torn write of ours: someone
		// edited the object.
		return "", false, fmt.Errorf("state %s is not valid JSON (%v): fix or restore it; deleting it forgets that state (watermarks restart from the initial period, backfills redo every chunk)", s.where(key), err)
	}
	var v struct {
		Version int `json:"version"`
	}
	_ = json.Unmarshal(b, &v)
	if v.Version > docVersion {
		return "", false, fmt.Errorf("state %s has version %d, this etl understands up to %d: upgrade etl", s.where(key), v.Version, docVersion)
	}
	return info.ETag, true, nil
}

// update applies fn to the document at key and writes it back if fn says
// so, conditionally on the version read; a lost race reads and applies
// again.
func update[T any](ctx context.Context, s *Store, key string, fn func(doc *T, exists bool) (write bool, err error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return state.ErrClosed
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		var doc T
		etag, exists, err := s.read(ctx, key, &doc)
		if err != nil {
			return err
		}
		write, err := fn(&doc, exists)
		if err != nil || !write {
			return err
		}
		body, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		opts := objectstore.PutOptions{IfNoneMatch: !exists, IfMatch: etag, ContentType: "application/json"}
		_, err = s.objs.Put(ctx, key, bytes.NewReader(append(body, '\n')), opts)
		if !errors.Is(err, objectstore.ErrPreconditionFailed) {
			return err
		}
		// Another writer got there first: back off a little, at random, so
		// that contenders do not collide again.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(rand.Int64N(int64(20*time.Millisecond) << min(attempt, 4)))):
		}
	}
	return fmt.Errorf("state %s kept changing under %d attempts to update it: another etl run is writing it; retry", s.where(key), maxAttempts)
}

// view reads the document at key.
func view[T any](ctx context.Context, s *Store, key string) (T, bool, error) {
	var doc T
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return doc, false, state.ErrClosed
	}
	_, exists, err := s.read(ctx, key, &doc)
	return doc, exists, err
}

func entryLess(a, b state.Entry) bool {
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

// Get implements state.Store.
func (s *Store) Get(ctx context.Context, source, stream string) (state.Entry, bool, error) {
	doc, _, err := view[stateDoc](ctx, s, stateKey)
	if err != nil {
		return state.Entry{}, false, fmt.Errorf("read state of %s.%s: %w", source, stream, err)
	}
	if i := find(doc, source, stream); i >= 0 {
		return doc.Streams[i], true, nil
	}
	return state.Entry{}, false, nil
}

// Advance implements state.Store.
func (s *Store) Advance(ctx context.Context, e state.Entry) error { return s.record(ctx, e, true) }

// RecordFailure implements state.Store.
func (s *Store) RecordFailure(ctx context.Context, e state.Entry) error {
	return s.record(ctx, e, false)
}

func (s *Store) record(ctx context.Context, e state.Entry, committed bool) error {
	if err := state.CheckEntry(e); err != nil {
		return err
	}
	err := update(ctx, s, stateKey, func(doc *stateDoc, _ bool) (bool, error) {
		i := find(*doc, e.Source, e.Stream)
		var prev state.Entry
		if i >= 0 {
			prev = doc.Streams[i]
		}
		next := state.Merge(prev, i >= 0, e, committed, s.now())
		if i >= 0 {
			doc.Streams[i] = next
		} else {
			doc.Streams = append(doc.Streams, next)
		}
		doc.Version = docVersion
		sort.Slice(doc.Streams, func(i, j int) bool { return entryLess(doc.Streams[i], doc.Streams[j]) })
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("save state of %s.%s: %w", e.Source, e.Stream, err)
	}
	return nil
}

// List implements state.Store.
func (s *Store) List(ctx context.Context) ([]state.Entry, error) {
	doc, _, err := view[stateDoc](ctx, s, stateKey)
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	sort.Slice(doc.Streams, func(i, j int) bool { return entryLess(doc.Streams[i], doc.Streams[j]) })
	return doc.Streams, nil
}

// Reset implements state.Store.
func (s *Store) Reset(ctx context.Context, source, stream string) (int, error) {
	if source == "" {
		return 0, errors.New("state reset needs a source")
	}
	what := source
	if stream != "" {
		what = source + "." + stream
	} else {
		what = "source " + source
	}
	n := 0
	err := update(ctx, s, stateKey, func(doc *stateDoc, _ bool) (bool, error) {
		n = 0
		kept := doc.Streams[:0]
		for _, e := range doc.Streams {
			if e.Source == source && (stream == "" || e.Stream == stream) {
				n++
				continue
			}
			kept = append(kept, e)
		}
		doc.Streams = kept
		doc.Version = docVersion
		return n > 0, nil
	})
	if err != nil {
		return 0, fmt.Errorf("reset state of %s: %w", what, err)
	}
	keys, err := s.planKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("reset state of %s: %w", what, err)
	}
	for _, key := range keys {
		err := update(ctx, s, key, func(doc *backfillDoc, _ bool) (bool, error) {
			changed := false
			for k := range doc.Done {
				src, str, ok := state.SplitTaskKey(k)
				if ok && src == source && (stream == "" || str == stream) {
					delete(doc.Done, k)
					changed = true
				}
			}
			return changed, nil
		})
		if err != nil {
			return 0, fmt.Errorf("reset backfill progress of %s: %w", what, err)
		}
	}
	return n, nil
}

func planKey(planID string) string { return backfillDir + planID + ".json" }

// planKeys lists the plan documents.
func (s *Store) planKeys(ctx context.Context) ([]string, error) {
	var keys []string
	for info, err := range s.objs.List(ctx, backfillDir) {
		if err != nil {
			return nil, err
		}
		if path.Ext(info.Key) == ".json" && !strings.Contains(strings.TrimPrefix(info.Key, backfillDir), "/") {
			keys = append(keys, info.Key)
		}
	}
	return keys, nil
}

// MarkDone implements state.Store.
func (s *Store) MarkDone(ctx context.Context, planID, taskKey string) error {
	if err := state.CheckPlanID(planID); err != nil {
		return err
	}
	if taskKey == "" {
		return errors.New("backfill task key is empty")
	}
	err := update(ctx, s, planKey(planID), func(doc *backfillDoc, _ bool) (bool, error) {
		if _, ok := doc.Done[taskKey]; ok {
			return false, nil
		}
		if doc.Done == nil {
			doc.Done = map[string]time.Time{}
		}
		doc.Version, doc.PlanID = docVersion, planID
		doc.Done[taskKey] = s.now().UTC().Truncate(time.Second)
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("save backfill progress (plan %s, task %s): %w; a rerun redoes that task harmlessly", planID, taskKey, err)
	}
	return nil
}

// DoneTasks implements state.Store.
func (s *Store) DoneTasks(ctx context.Context, planID string) (map[string]bool, error) {
	if err := state.CheckPlanID(planID); err != nil {
		return nil, err
	}
	doc, _, err := view[backfillDoc](ctx, s, planKey(planID))
	if err != nil {
		return nil, fmt.Errorf("read backfill progress (plan %s): %w", planID, err)
	}
	out := make(map[string]bool, len(doc.Done))
	for k := range doc.Done {
		out[k] = true
	}
	return out, nil
}

// SavePlan implements state.Store.
func (s *Store) SavePlan(ctx context.Context, p state.Plan) error {
	if err := state.CheckPlanID(p.ID); err != nil {
		return err
	}
	p.Done = 0
	p.Started, p.Completed = second(p.Started), second(p.Completed)
	err := update(ctx, s, planKey(p.ID), func(doc *backfillDoc, _ bool) (bool, error) {
		doc.Version, doc.PlanID, doc.Plan = docVersion, p.ID, &p
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("save backfill plan %s: %w", p.ID, err)
	}
	return nil
}

func second(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Second)
}

// Plans implements state.Store.
func (s *Store) Plans(ctx context.Context) ([]state.Plan, error) {
	keys, err := s.planKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("read backfill plans in %s: %w", s.where(backfillDir), err)
	}
	var out []state.Plan
	for _, key := range keys {
		doc, _, err := view[backfillDoc](ctx, s, key)
		if err != nil {
			return nil, fmt.Errorf("read backfill plans: %w", err)
		}
		if doc.Plan == nil {
			continue
		}
		p := *doc.Plan
		p.Done = len(doc.Done)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ClearProgress implements state.Store.
func (s *Store) ClearProgress(ctx context.Context, planID string) error {
	if err := state.CheckPlanID(planID); err != nil {
		return err
	}
	err := update(ctx, s, planKey(planID), func(doc *backfillDoc, _ bool) (bool, error) {
		if len(doc.Done) == 0 {
			return false, nil
		}
		doc.Done = map[string]time.Time{}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("clear backfill progress (plan %s): %w", planID, err)
	}
	return nil
}

// Close implements state.Store: heartbeats stop, locks not released stay
// behind (and are taken over after their ttl), as after a crash.
func (s *Store) Close() error {
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
		l.hb.Stop()
	}
	return nil
}
