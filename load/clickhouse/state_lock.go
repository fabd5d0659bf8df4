package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/state"
)

// Locks.
//
// ClickHouse has no compare-and-set, so a lock is a claim protocol over
// etl_locks, one row per (name, token), newest version wins:
//
//  1. Look: if a live claim exists (released = 0 and a heartbeat within the
//     ttl), fail with LockedError naming it.
//  2. Claim: insert (name, token, holder, claimed_ms = now, heartbeat_ms =
//     now, released = 0). If that insert took more than half the settle
//     time, withdraw and try again (up to 3 times): a slow insert could
//     become visible only after a later claimant already decided.
//  3. Settle: wait DefaultClaimSettle (300 ms) so that claims made at about
//     the same time by other machines become visible.
//  4. Decide: read the live claims; the first by (claimed_ms, token) wins.
//     Everyone reads the same rows, so everyone agrees on the first. A loser
//     marks its claim released and fails with LockedError naming the winner.
//     A winner marks the stale claims it passed over as released and
//     reports the latest of them as taken over.
//  5. Hold: insert a newer version of the claim (fresh heartbeat_ms) every
//     min(ttl/4, 1 min). Before each heartbeat the holder checks that it is
//     still the first live claim and that its own last heartbeat is within
//     the ttl; otherwise it stops and closes Lost (and never revives a
//     claim others may have taken over).
//  6. Release: insert a version with released = 1. It concerns only our own
//     token, so it can never remove somebody else's lock.
//
// Guarantee: two contenders whose claims are both visible to each other
// within the settle time never both win. It holds when (a) an insert is
// visible to every client once it returned (true for one server or
// synchronous replication; with asynchronous replicas, point every etl run
// at the same replica), (b) the clocks of the machines differ by well under
// half the settle time (claimed_ms comes from the claimant's clock; NTP is
// enough), and (c) the ttl is long compared with the heartbeat interval and
// with any pause of a holder (a holder stalled for longer than the ttl is
// taken over and learns it only at its next heartbeat, through Lost).
// Limits: a contender can lose spuriously to a claim that is withdrawn right
// after (the run then says the lock is held and exits: the safe direction);
// a claim costs the settle time plus three round trips.

// claim is the latest version of one token's row.
type claim struct {
	token     string
	holder    state.Holder
	claimed   uint64
	heartbeat uint64
	released  bool
	version   uint64
}

func (c claim) live(nowMs uint64, ttl time.Duration) bool {
	return !c.released && !c.staleAt(nowMs, ttl)
}

// staleAt: no heartbeat for ttl, or a holder on this very host whose process
// is gone (a run killed with SIGKILL is taken over at once, not after ttl).
// Hosts are told apart by hostname, which containers and VMs keep unique.
func (c claim) staleAt(nowMs uint64, ttl time.Duration) bool {
	if c.holder.Host == state.Hostname() && c.holder.PID > 0 && c.holder.PID != os.Getpid() && !state.ProcessAlive(c.holder.PID) {
		return true
	}
	return nowMs > c.heartbeat && nowMs-c.heartbeat > uint64(ttl.Milliseconds())
}

const lockColumns = "name, token, host, pid, run_id, command, since_ms, claimed_ms, heartbeat_ms, released, version"

// claims returns the latest version of every claim of name, ordered by
// (claimed_ms, token): the order that decides who holds the lock.
func (st *StateStore) claims(ctx context.Context, name string) ([]claim, error) {
	ctx, cancel := context.WithTimeout(ctx, st.queryTimeout())
	defer cancel()
	rows, err := st.sink.conn.Query(ctx, `SELECT token,
    argMax(host, version), argMax(pid, version), argMax(run_id, version), argMax(command, version),
    argMax(since_ms, version), argMax(claimed_ms, version), argMax(heartbeat_ms, version),
    argMax(released, version), max(version)
FROM `+st.table(LocksTable)+`
WHERE name = ?
GROUP BY token`, name)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, LocksTable, err)
	}
	defer rows.Close()
	var out []claim
	for rows.Next() {
		var (
			c        claim
			pid      int64
			sinceMs  uint64
			released uint8
		)
		if err := rows.Scan(&c.token, &c.holder.Host, &pid, &c.holder.RunID, &c.holder.Command, &sinceMs, &c.claimed, &c.heartbeat, &released, &c.version); err != nil {
			return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, LocksTable, err)
		}
		c.holder.PID = int(pid)
		c.holder.Since = time.UnixMilli(int64(sinceMs)).UTC()
		c.released = released == 1
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, LocksTable, err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].claimed != out[j].claimed {
			return out[i].claimed < out[j].claimed
		}
		return out[i].token < out[j].token
	})
	return out, nil
}

func (st *StateStore) writeClaim(ctx context.Context, name string, c claim) error {
	batch, _, done, err := prepareBatch(ctx, st.sink.conn, "INSERT INTO "+st.table(LocksTable)+" ("+lockColumns+")", st.queryTimeout())
	if err != nil {
		return fmt.Errorf("write %s.%s: %w", st.sink.db, LocksTable, err)
	}
	defer func() { _ = batch.Abort(); done() }()
	var released uint8
	if c.released {
		released = 1
	}
	h := c.holder
	if err := batch.Append(name, c.token, h.Host, int64(h.PID), h.RunID, h.Command, uint64(h.Since.UnixMilli()), c.claimed, c.heartbeat, released, c.version); err != nil {
		return fmt.Errorf("write %s.%s: %w", st.sink.db, LocksTable, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("write %s.%s: %w", st.sink.db, LocksTable, err)
	}
	return nil
}

func (st *StateStore) nowMs() uint64 { return uint64(st.now().UnixMilli()) }

func (st *StateStore) locked(name string, c claim, ttl time.Duration) *state.LockedError {
	return &state.LockedError{
		Name: name, Holder: c.holder, Age: st.now().Sub(c.holder.Since),
		LastHeartbeat: time.UnixMilli(int64(c.heartbeat)).UTC(), TTL: ttl,
	}
}

func firstLive(cs []claim, nowMs uint64, ttl time.Duration) (claim, bool) {
	for _, c := range cs {
		if c.live(nowMs, ttl) {
			return c, true
		}
	}
	return claim{}, false
}

// Lock implements state.Store with the claim protocol described above.
func (st *StateStore) Lock(ctx context.Context, name string, ttl time.Duration, me state.Holder) (state.Lock, *state.Holder, error) {
	return st.LockSettling(ctx, name, ttl, me, nil)
}

// LockSettling is Lock calling settling (once, in the caller's goroutine)
// when the settle of step 3 starts: no live holder was seen and the claim is
// stored, so the lock is only undecided, not held by another run. The
// pipeline extracts during the wait and writes once the lock is won (early
// start); a lock visibly held is refused before settling is called.
func (st *StateStore) LockSettling(ctx context.Context, name string, ttl time.Duration, me state.Holder, settling func()) (state.Lock, *state.Holder, error) {
	if err := state.CheckLock(name, ttl); err != nil {
		return nil, nil, err
	}
	st.mu.Lock()
	err := st.checkOpen()
	st.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	me = state.Me(me, st.now())
	var once sync.Once
	settle := func() {
		if settling != nil {
			once.Do(settling)
		}
	}
	for attempt := 0; attempt < 3; attempt++ {
		l, stale, retry, err := st.tryLock(ctx, name, ttl, me, settle)
		if !retry {
			return l, stale, err
		}
	}
	return nil, nil, fmt.Errorf("lock %q: ClickHouse took longer than %s to store a claim three times in a row; a lock cannot be decided safely that slowly (is the server overloaded?)", name, st.settle/2)
}

func (st *StateStore) tryLock(ctx context.Context, name string, ttl time.Duration, me state.Holder, settling func()) (l state.Lock, stale *state.Holder, retry bool, err error) {
	fail := func(err error) (state.Lock, *state.Holder, bool, error) {
		return nil, nil, false, fmt.Errorf("lock %q in %s.%s: %w", name, st.sink.db, LocksTable, err)
	}
	cs, err := st.claims(ctx, name)
	if err != nil {
		return fail(err)
	}
	if c, ok := firstLive(cs, st.nowMs(), ttl); ok {
		return nil, nil, false, st.locked(name, c, ttl)
	}

	start := st.nowMs()
	mine := claim{token: state.NewLockToken(), holder: me, claimed: start, heartbeat: start, version: st.nextVersion(0)}
	if err := st.writeClaim(ctx, name, mine); err != nil {
		return fail(err)
	}
	withdraw := func() error {
		mine.released, mine.version = true, st.nextVersion(mine.version)
		// A fresh context: a cancelled caller must not leave a live claim.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), st.queryTimeout())
		defer cancel()
		return st.writeClaim(wctx, name, mine)
	}
	if took := time.Duration(st.nowMs()-start) * time.Millisecond; took > st.settle/2 {
		if err := withdraw(); err != nil {
			return fail(err)
		}
		return nil, nil, true, nil
	}
	settling()
	select {
	case <-ctx.Done():
		_ = withdraw()
		return fail(ctx.Err())
	case <-time.After(st.settle):
	}

	cs, err = st.claims(ctx, name)
	if err != nil {
		_ = withdraw()
		return fail(err)
	}
	now := st.nowMs()
	first, ok := firstLive(cs, now, ttl)
	if !ok || first.token != mine.token {
		if err := withdraw(); err != nil {
			return fail(err)
		}
		if !ok {
			return fail(errors.New("our own claim is not visible after the settle time; retry"))
		}
		return nil, nil, false, st.locked(name, first, ttl)
	}

	// Won. Claims passed over as stale are closed so the table reads clearly
	// and each is reported once.
	var passed []claim
	for _, c := range cs {
		if !c.released && c.token != mine.token && c.staleAt(now, ttl) {
			passed = append(passed, c)
		}
	}
	for _, c := range passed {
		c.released, c.version = true, st.nextVersion(c.version)
		if err := st.writeClaim(ctx, name, c); err != nil {
			_ = withdraw()
			return fail(err)
		}
	}
	if len(passed) > 0 {
		latest := passed[0]
		for _, c := range passed[1:] {
			if c.heartbeat > latest.heartbeat {
				latest = c
			}
		}
		h := latest.holder
		stale = &h
	}

	cl := &claimLock{
		store: st, name: name, ttl: ttl, holder: mine.holder, claim: mine,
		// What others judge us by: the heartbeat stored, not when we won.
		lastBeat: time.UnixMilli(int64(mine.heartbeat)),
	}
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		_ = withdraw()
		return nil, nil, false, state.ErrClosed
	}
	st.locks[cl] = struct{}{}
	// Under mu: Close stops the heartbeat of every lock in the map.
	cl.hb = state.StartHeartbeat(ttl, cl.beat)
	st.mu.Unlock()
	return cl, stale, false, nil
}

type claimLock struct {
	store  *StateStore
	name   string
	ttl    time.Duration
	holder state.Holder

	mu       sync.Mutex // guards claim and lastBeat
	claim    claim
	lastBeat time.Time

	hb *state.Heartbeat
}

func (l *claimLock) Holder() state.Holder  { return l.holder }
func (l *claimLock) Lost() <-chan struct{} { return l.hb.Lost() }

// beat renews the claim; false means the lock is no longer ours.
func (l *claimLock) beat(every time.Duration) bool {
	st := l.store
	l.mu.Lock()
	lapsed := st.now().Sub(l.lastBeat) > l.ttl
	c := l.claim
	l.mu.Unlock()
	if lapsed {
		return false // others may have taken over: never revive the claim
	}
	ctx, cancel := context.WithTimeout(context.Background(), every)
	defer cancel()
	cs, err := st.claims(ctx, l.name)
	if err != nil {
		return true // try again at the next tick; the ttl spans several
	}
	now := st.nowMs()
	if first, ok := firstLive(cs, now, l.ttl); !ok || first.token != c.token {
		return false
	}
	c.heartbeat, c.version = now, st.nextVersion(c.version)
	if err := st.writeClaim(ctx, l.name, c); err != nil {
		return true
	}
	l.mu.Lock()
	l.claim, l.lastBeat = c, time.UnixMilli(int64(now))
	l.mu.Unlock()
	return true
}

func (l *claimLock) stopHeartbeat() { l.hb.Stop() }

// Release implements state.Lock. It runs even when ctx is already cancelled
// (Ctrl-C): leaving the claim would block the next run for the ttl.
func (l *claimLock) Release(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	l.stopHeartbeat()
	st := l.store
	st.mu.Lock()
	_, held := st.locks[l]
	delete(st.locks, l)
	st.mu.Unlock()
	if !held {
		return nil
	}
	l.mu.Lock()
	c := l.claim
	l.mu.Unlock()
	c.released, c.heartbeat, c.version = true, st.nowMs(), st.nextVersion(c.version)
	if err := st.writeClaim(ctx, l.name, c); err != nil {
		return fmt.Errorf("release lock %q: %w (it is taken over once its heartbeat is %s old)", l.name, err, l.ttl)
	}
	return nil
}
