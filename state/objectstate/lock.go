package objectstate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/state"
)

// Locks.
//
// A lock is one object, _etl/locks/<name>.json, and every change to it is a
// conditional put, so the store itself decides every race:
//
//   - Take a free lock: create it with If-None-Match "*". Of contenders, one
//     succeeds; the others read the winner and fail with LockedError.
//   - Heartbeat: rewrite it with If-Match on the ETag of our last write. If
//     that fails, someone else wrote it (took it over): Lost is closed.
//   - Take over a stale lock (no write for the ttl) or a released one:
//     rewrite it with If-Match on the ETag we judged. If the holder beat
//     meanwhile, or another contender took it first, the ETag changed and
//     the put fails: two takers never both win, and a live holder is never
//     displaced by a decision made on an old read.
//   - Release: rewrite it as released, with If-Match on our last ETag (a
//     lock taken over meanwhile is not ours to release). The released
//     object stays: deleting it would need a conditional delete, which not
//     every S3-compatible store honours, and an unconditional one could
//     remove a lock taken right after.
//
// Every write carries our token and a beat count, so no two writes have the
// same bytes: S3's ETag is the MD5 of the bytes, and a heartbeat that wrote
// the same bytes again would keep its ETag and let a stale decision through.
//
// Staleness is judged by the store's clock alone: the age of the last write
// is the Date of the store's answer minus the object's Last-Modified, so the
// clocks of the machines running etl do not matter. Both are whole seconds on
// S3, so a lock is stale when that age exceeds the ttl by more than a second.
// A holder on this very host whose process is gone is stale at once, as with
// the other stores. A put whose answer was lost and that the SDK retried
// fails its own condition; reading the lock back and finding our token tells
// that the write was ours.
type lockDoc struct {
	Holder     state.Holder `json:"holder"`
	Token      string       `json:"token"`
	TTLSeconds float64      `json:"ttl_seconds"`
	// Beat counts our writes; Heartbeat is the writer's clock, for people.
	Beat      int64     `json:"beat"`
	Heartbeat time.Time `json:"heartbeat"`
	Released  bool      `json:"released,omitempty"`
}

// clockResolution is the precision of S3's Last-Modified and Date.
const clockResolution = time.Second

// maxLockRounds bounds Lock's loop: each round saw the lock change.
const maxLockRounds = 50

func lockKey(name string) string { return locksDir + name + ".json" }

// Lock implements state.Store.
func (s *Store) Lock(ctx context.Context, name string, ttl time.Duration, me state.Holder) (state.Lock, *state.Holder, error) {
	if err := state.CheckLock(name, ttl); err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, nil, state.ErrClosed
	}
	me = state.Me(me, s.now())
	key := lockKey(name)
	l := &objectLock{store: s, key: key, name: name, ttl: ttl,
		doc: lockDoc{Holder: me, Token: state.NewLockToken(), TTLSeconds: ttl.Seconds()}}

	for round := 0; round < maxLockRounds; round++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("lock %q: %w", name, err)
		}
		cur, info, exists, err := s.readLock(ctx, key)
		if err != nil {
			return nil, nil, fmt.Errorf("lock %q: %w", name, err)
		}
		var (
			opts  objectstore.PutOptions
			stale *state.Holder
		)
		switch {
		case !exists:
			opts.IfNoneMatch = true
		case cur.Released:
			opts.IfMatch = info.ETag
		case s.isStale(cur, info, ttl):
			opts.IfMatch = info.ETag
			h := cur.Holder
			stale = &h
		default:
			return nil, nil, &state.LockedError{
				Name: name, Holder: cur.Holder, Age: s.now().Sub(cur.Holder.Since),
				LastHeartbeat: info.LastModified, TTL: ttl, Remove: s.where(key),
			}
		}
		ok, err := l.write(ctx, opts)
		if err != nil {
			return nil, nil, fmt.Errorf("lock %q: %w", name, err)
		}
		if !ok {
			continue // changed since we read it: judge it again
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = l.release(ctx)
			return nil, nil, state.ErrClosed
		}
		s.locks[l] = struct{}{}
		// Under mu: Close stops the heartbeat of every lock in the map.
		l.hb = state.StartHeartbeat(ttl, l.beat)
		s.mu.Unlock()
		return l, stale, nil
	}
	return nil, nil, fmt.Errorf("lock %q: %s kept changing while taking the lock; retry", name, s.where(key))
}

// readLock reads the lock object. An object that is not a lock document
// (edited by hand) is reported as held by an unknown holder, judged by its
// age alone.
func (s *Store) readLock(ctx context.Context, key string) (lockDoc, objectstore.ObjectInfo, bool, error) {
	b, info, err := objectstore.ReadAll(ctx, s.objs, key)
	if errors.Is(err, objectstore.ErrNotFound) {
		return lockDoc{}, info, false, nil
	}
	if err != nil {
		return lockDoc{}, info, false, err
	}
	var doc lockDoc
	if json.Unmarshal(b, &doc) != nil || doc.Token == "" {
		doc = lockDoc{Holder: state.Holder{Host: "unknown (unreadable lock object)", Since: info.LastModified}}
	}
	return doc, info, true, nil
}

// isStale: no write for longer than the ttl by the store's clock, or a
// holder on this host whose process is gone.
func (s *Store) isStale(cur lockDoc, info objectstore.ObjectInfo, ttl time.Duration) bool {
	if info.ServerTime.Sub(info.LastModified) > ttl+clockResolution {
		return true
	}
	h := cur.Holder
	return h.Host == s.host && h.PID > 0 && h.PID != os.Getpid() && !state.ProcessAlive(h.PID)
}

type objectLock struct {
	store *Store
	key   string
	name  string
	ttl   time.Duration
	hb    *state.Heartbeat

	mu   sync.Mutex
	doc  lockDoc
	etag string
	gone bool // released or lost: never written again
}

func (l *objectLock) Holder() state.Holder  { return l.doc.Holder }
func (l *objectLock) Lost() <-chan struct{} { return l.hb.Lost() }

// write puts the next version of our document under opts. ok is false when
// the condition failed because someone else wrote the lock.
func (l *objectLock) write(ctx context.Context, opts objectstore.PutOptions) (ok bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	next := l.doc
	next.Beat++
	next.Heartbeat = l.store.now().UTC()
	body, err := json.Marshal(next)
	if err != nil {
		return false, err
	}
	opts.ContentType = "application/json"
	info, err := l.store.objs.Put(ctx, l.key, bytes.NewReader(body), opts)
	if err == nil {
		l.doc, l.etag = next, info.ETag
		return true, nil
	}
	if !errors.Is(err, objectstore.ErrPreconditionFailed) {
		return false, err
	}
	// Was the write ours after all (an answer lost, the request retried)?
	cur, info, exists, rerr := l.store.readLock(ctx, l.key)
	if rerr == nil && exists && cur.Token == next.Token && cur.Beat == next.Beat && cur.Released == next.Released {
		l.doc, l.etag = next, info.ETag
		return true, nil
	}
	return false, nil
}

// beat renews the lock; false when it is no longer ours.
func (l *objectLock) beat(every time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), every)
	defer cancel()
	l.mu.Lock()
	etag, gone := l.etag, l.gone
	l.mu.Unlock()
	if gone {
		return false
	}
	ok, err := l.write(ctx, objectstore.PutOptions{IfMatch: etag})
	if err != nil {
		return true // passing trouble: the next tick retries, the ttl spans several
	}
	if !ok {
		l.mu.Lock()
		l.gone = true
		l.mu.Unlock()
	}
	return ok
}

// Release implements state.Lock.
func (l *objectLock) Release(ctx context.Context) error {
	l.hb.Stop()
	l.store.mu.Lock()
	_, held := l.store.locks[l]
	delete(l.store.locks, l)
	l.store.mu.Unlock()
	if !held {
		return nil
	}
	// Release is cleanup after Ctrl-C: a cancelled context must not stop it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	return l.release(ctx)
}

func (l *objectLock) release(ctx context.Context) error {
	l.mu.Lock()
	if l.gone {
		l.mu.Unlock()
		return nil
	}
	l.doc.Released = true
	etag := l.etag
	l.mu.Unlock()
	_, err := l.write(ctx, objectstore.PutOptions{IfMatch: etag})
	l.mu.Lock()
	l.gone = true
	l.mu.Unlock()
	if err != nil && !errors.Is(err, objectstore.ErrNotFound) {
		return fmt.Errorf("release lock %q (%s): %w", l.name, l.store.where(l.key), err)
	}
	// A failed condition: taken over meanwhile, not ours to release.
	return nil
}
