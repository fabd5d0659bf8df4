// Package statetest is the behaviour every state.Store must have, written
// once and run against each store, so that switching the sink never changes
// what a nightly run or a resumed backfill does.
package statetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/state"
)

// StoreContract runs the contract against the stores open returns. open is
// called one or more times per subtest; the stores it returns for the same
// t must share their storage (like two processes on one state directory or
// one ClickHouse database) and must be fresh for every t. Stores are closed
// by the contract.
func StoreContract(t *testing.T, open func(t *testing.T) state.Store) {
	opened := func(t *testing.T) state.Store {
		s := open(t)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	t.Run("watermarks", func(t *testing.T) { watermarks(t, opened) })
	t.Run("reset", func(t *testing.T) { reset(t, opened) })
	t.Run("backfill progress", func(t *testing.T) { backfillProgress(t, opened) })
	t.Run("backfill plans", func(t *testing.T) { backfillPlans(t, opened) })
	t.Run("last rows", func(t *testing.T) { lastRows(t, opened) })
	t.Run("bad arguments", func(t *testing.T) { badArguments(t, opened) })
	t.Run("lock exclusion", func(t *testing.T) { lockExclusion(t, opened) })
	t.Run("stale lock takeover", func(t *testing.T) { staleTakeover(t, opened) })
	t.Run("racing contenders", func(t *testing.T) { racing(t, opened) })
}

var (
	day = 24 * time.Hour
	t0  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	run = time.Date(2026, 1, 9, 3, 0, 0, 0, time.UTC)
)

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

type step struct {
	failure bool
	entry   state.Entry
}

func watermarks(t *testing.T, open func(*testing.T) state.Store) {
	berlin := time.FixedZone("CET", 3600)
	cases := []struct {
		name  string
		steps []step
		want  state.Entry
	}{
		{
			name:  "first advance",
			steps: []step{{entry: state.Entry{Source: "userflow", Stream: "users", Watermark: t0.Add(7 * day), LastRun: run, RunID: "r1"}}},
			want:  state.Entry{Source: "userflow", Stream: "users", Watermark: t0.Add(7 * day), LastRun: run, LastSuccess: run, LastStatus: "ok", RunID: "r1"},
		},
		{
			name: "advance moves forward",
			steps: []step{
				{entry: state.Entry{Source: "userflow", Stream: "users", Watermark: t0.Add(7 * day), LastRun: run, RunID: "r1"}},
				{entry: state.Entry{Source: "userflow", Stream: "users", Watermark: t0.Add(8 * day), LastRun: run.Add(day), RunID: "r2"}},
			},
			want: state.Entry{Source: "userflow", Stream: "users", Watermark: t0.Add(8 * day), LastRun: run.Add(day), LastSuccess: run.Add(day), LastStatus: "ok", RunID: "r2"},
		},
		{
			name: "a backfill of older days never rewinds the watermark but updates the run",
			steps: []step{
				{entry: state.Entry{Source: "userflow", Stream: "users", Watermark: t0.Add(8 * day), LastRun: run, RunID: "nightly"}},
				{entry: state.Entry{Source: "userflow", Stream: "users", Watermark: t0.Add(-30 * day), LastRun: run.Add(time.Hour), RunID: "backfill"}},
			},
			want: state.Entry{Source: "userflow", Stream: "users", Watermark: t0.Add(8 * day), LastRun: run.Add(time.Hour), LastSuccess: run.Add(time.Hour), LastStatus: "ok", RunID: "backfill"},
		},
		{
			name: "a failure keeps the watermark and the last success",
			steps: []step{
				{entry: state.Entry{Source: "userflow", Stream: "users", Watermark: t0.Add(7 * day), LastRun: run, RunID: "r1"}},
				{failure: true, entry: state.Entry{Source: "userflow", Stream: "users", Watermark: t0.Add(9 * day), LastRun: run.Add(day), LastError: "page 3: 503", RunID: "r2"}},
			},
			want: state.Entry{Source: "userflow", Stream: "users", Watermark: t0.Add(7 * day), LastRun: run.Add(day), LastSuccess: run, LastStatus: "failed", LastError: "page 3: 503", RunID: "r2"},
		},
		{
			name: "a success after a failure clears the error",
			steps: []step{
				{failure: true, entry: state.Entry{Source: "userflow", Stream: "users", LastRun: run, LastError: "boom", RunID: "r1"}},
				{entry: state.Entry{Source: "userflow", Stream: "users", Watermark: t0.Add(7 * day), LastRun: run.Add(day), RunID: "r2"}},
			},
			want: state.Entry{Source: "userflow", Stream: "users", Watermark: t0.Add(7 * day), LastRun: run.Add(day), LastSuccess: run.Add(day), LastStatus: "ok", RunID: "r2"},
		},
		{
			name:  "a failure of a stream never committed records it without a watermark",
			steps: []step{{failure: true, entry: state.Entry{Source: "whatfix", Stream: "events", LastRun: run, LastError: "401", RunID: "r1"}}},
			want:  state.Entry{Source: "whatfix", Stream: "events", LastRun: run, LastStatus: "failed", LastError: "401", RunID: "r1"},
		},
		{
			name:  "times come back in UTC rounded down to the second",
			steps: []step{{entry: state.Entry{Source: "bot", Stream: "chats", Watermark: t0.Add(2*time.Hour + 900*time.Millisecond).In(berlin), LastRun: run.Add(400 * time.Millisecond).In(berlin), RunID: "r1"}}},
			want:  state.Entry{Source: "bot", Stream: "chats", Watermark: t0.Add(2 * time.Hour), LastRun: run, LastSuccess: run, LastStatus: "ok", RunID: "r1"},
		},
		{
			name:  "an explicit status is kept",
			steps: []step{{entry: state.Entry{Source: "bot", Stream: "chats", Watermark: t0, LastRun: run, LastStatus: "partial", RunID: "r1"}}},
			want:  state.Entry{Source: "bot", Stream: "chats", Watermark: t0, LastRun: run, LastSuccess: run, LastStatus: "partial", RunID: "r1"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxFor(t)
			s := open(t)
			for _, st := range tc.steps {
				if st.failure {
					require.NoError(t, s.RecordFailure(ctx, st.entry))
				} else {
					require.NoError(t, s.Advance(ctx, st.entry))
				}
			}
			got, ok, err := s.Get(ctx, tc.want.Source, tc.want.Stream)
			require.NoError(t, err)
			require.True(t, ok)
			assertEntry(t, tc.want, got)

			// Another store on the same storage (the next run) sees it.
			again, ok, err := open(t).Get(ctx, tc.want.Source, tc.want.Stream)
			require.NoError(t, err)
			require.True(t, ok)
			assertEntry(t, tc.want, again)
		})
	}

	t.Run("get of an unknown stream", func(t *testing.T) {
		ctx := ctxFor(t)
		s := open(t)
		require.NoError(t, s.Advance(ctx, state.Entry{Source: "userflow", Stream: "users", Watermark: t0, LastRun: run}))
		for _, key := range [][2]string{{"userflow", "content"}, {"whatfix", "users"}, {"userflow", ""}} {
			_, ok, err := s.Get(ctx, key[0], key[1])
			require.NoError(t, err)
			assert.False(t, ok, "%s.%s", key[0], key[1])
		}
	})

	t.Run("list is ordered by source then stream", func(t *testing.T) {
		ctx := ctxFor(t)
		s := open(t)
		list, err := s.List(ctx)
		require.NoError(t, err)
		assert.Empty(t, list)
		for _, id := range [][2]string{{"whatfix", "users"}, {"bot", "messages"}, {"userflow", "users"}, {"bot", "chats"}} {
			require.NoError(t, s.Advance(ctx, state.Entry{Source: id[0], Stream: id[1], Watermark: t0, LastRun: run, RunID: "r"}))
		}
		list, err = s.List(ctx)
		require.NoError(t, err)
		var ids []string
		for _, e := range list {
			ids = append(ids, e.Source+"."+e.Stream)
			assert.Equal(t, t0, e.Watermark.UTC(), e.Source+"."+e.Stream)
		}
		assert.Equal(t, []string{"bot.chats", "bot.messages", "userflow.users", "whatfix.users"}, ids)
	})
}

func assertEntry(t *testing.T, want, got state.Entry) {
	t.Helper()
	assert.Equal(t, want.Source, got.Source)
	assert.Equal(t, want.Stream, got.Stream)
	assertTime(t, want.Watermark, got.Watermark, "Watermark")
	assertTime(t, want.LastRun, got.LastRun, "LastRun")
	assertTime(t, want.LastSuccess, got.LastSuccess, "LastSuccess")
	assert.Equal(t, want.LastStatus, got.LastStatus, "LastStatus")
	assert.Equal(t, want.LastError, got.LastError, "LastError")
	assert.Equal(t, want.RunID, got.RunID, "RunID")
}

// assertTime wants the same instant, in UTC (zero stays zero).
func assertTime(t *testing.T, want, got time.Time, field string) {
	t.Helper()
	if want.IsZero() {
		assert.True(t, got.IsZero(), "%s: want zero, got %s", field, got)
		return
	}
	assert.Equal(t, want.UTC().Format(time.RFC3339Nano), got.Format(time.RFC3339Nano), field)
	assert.Equal(t, time.UTC, got.Location(), "%s in UTC", field)
}

func task(source, stream string, weeks int) string {
	start := t0.Add(time.Duration(weeks) * 7 * day)
	return state.TaskKey(source, stream, start, start.Add(7*day))
}

func reset(t *testing.T, open func(*testing.T) state.Store) {
	streams := [][2]string{{"userflow", "users"}, {"userflow", "content_sessions"}, {"whatfix", "users"}, {"userflows", "users"}}
	tasks := map[string][]string{
		"plan-a": {task("userflow", "users", 0), task("userflow", "content_sessions", 0), task("whatfix", "users", 0), task("userflows", "users", 0)},
		"plan-b": {task("userflow", "users", 1), task("userflow", "users", 2), task("whatfix", "users", 1)},
	}
	cases := []struct {
		name, source, stream string
		wantN                int
		wantLeft             []string
		wantTasks            map[string][]string
	}{
		{
			name: "one stream", source: "userflow", stream: "users", wantN: 1,
			wantLeft: []string{"userflow.content_sessions", "userflows.users", "whatfix.users"},
			wantTasks: map[string][]string{
				"plan-a": {task("userflow", "content_sessions", 0), task("whatfix", "users", 0), task("userflows", "users", 0)},
				"plan-b": {task("whatfix", "users", 1)},
			},
		},
		{
			name: "a whole source", source: "userflow", wantN: 2,
			wantLeft: []string{"userflows.users", "whatfix.users"},
			wantTasks: map[string][]string{
				"plan-a": {task("whatfix", "users", 0), task("userflows", "users", 0)},
				"plan-b": {task("whatfix", "users", 1)},
			},
		},
		{
			name: "an unknown stream", source: "userflow", stream: "nope", wantN: 0,
			wantLeft:  []string{"userflow.content_sessions", "userflow.users", "userflows.users", "whatfix.users"},
			wantTasks: tasks,
		},
		{
			name: "an unknown source", source: "technowiz", wantN: 0,
			wantLeft:  []string{"userflow.content_sessions", "userflow.users", "userflows.users", "whatfix.users"},
			wantTasks: tasks,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxFor(t)
			s := open(t)
			for _, id := range streams {
				require.NoError(t, s.Advance(ctx, state.Entry{Source: id[0], Stream: id[1], Watermark: t0, LastRun: run}))
			}
			for plan, keys := range tasks {
				for _, k := range keys {
					require.NoError(t, s.MarkDone(ctx, plan, k))
				}
			}
			n, err := s.Reset(ctx, tc.source, tc.stream)
			require.NoError(t, err)
			assert.Equal(t, tc.wantN, n)

			list, err := open(t).List(ctx)
			require.NoError(t, err)
			var left []string
			for _, e := range list {
				left = append(left, e.Source+"."+e.Stream)
			}
			assert.Equal(t, tc.wantLeft, left)
			for plan, keys := range tc.wantTasks {
				done, err := s.DoneTasks(ctx, plan)
				require.NoError(t, err)
				assert.Equal(t, set(keys), done, plan)
			}

			// A reset stream starts over: a new Advance may go anywhere.
			if tc.wantN > 0 {
				stream := tc.stream
				if stream == "" {
					stream = "users"
				}
				require.NoError(t, s.Advance(ctx, state.Entry{Source: tc.source, Stream: stream, Watermark: t0.Add(-day), LastRun: run}))
				got, ok, err := s.Get(ctx, tc.source, stream)
				require.NoError(t, err)
				require.True(t, ok)
				assertTime(t, t0.Add(-day), got.Watermark, "Watermark after reset")
				// And its backfill tasks can be marked again.
				require.NoError(t, s.MarkDone(ctx, "plan-b", task(tc.source, stream, 1)))
				done, err := s.DoneTasks(ctx, "plan-b")
				require.NoError(t, err)
				assert.True(t, done[task(tc.source, stream, 1)])
			}
		})
	}
}

func set(keys []string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func backfillProgress(t *testing.T, open func(*testing.T) state.Store) {
	ctx := ctxFor(t)
	s := open(t)
	done, err := s.DoneTasks(ctx, "never-ran")
	require.NoError(t, err)
	require.NotNil(t, done)
	assert.Empty(t, done)

	a1, a2, b1 := task("userflow", "users", 0), task("userflow", "users", 1), task("whatfix", "users", 0)
	require.NoError(t, s.MarkDone(ctx, "plan-a", a1))
	require.NoError(t, s.MarkDone(ctx, "plan-a", a2))
	require.NoError(t, s.MarkDone(ctx, "plan-a", a1)) // a rerun marks it again: harmless
	require.NoError(t, s.MarkDone(ctx, "plan-b", b1))

	other := open(t) // the resumed backfill
	got, err := other.DoneTasks(ctx, "plan-a")
	require.NoError(t, err)
	assert.Equal(t, set([]string{a1, a2}), got)
	got, err = other.DoneTasks(ctx, "plan-b")
	require.NoError(t, err)
	assert.Equal(t, set([]string{b1}), got)

	// Plans do not see each other's tasks, and watermarks are not touched.
	_, ok, err := other.Get(ctx, "userflow", "users")
	require.NoError(t, err)
	assert.False(t, ok)
}

// backfillPlans: a plan's record survives its progress being cleared, and a
// completed plan is told apart from an unfinished one by another process.
func backfillPlans(t *testing.T, open func(*testing.T) state.Store) {
	ctx := ctxFor(t)
	s := open(t)
	plans, err := s.Plans(ctx)
	require.NoError(t, err)
	assert.Empty(t, plans)

	a := state.Plan{ID: "plan-a", Command: "etl backfill --from 2026-01-01 --to 2026-01-14", Destination: "parquet:/data/a", Tasks: 2, Started: run}
	b := state.Plan{ID: "plan-b", Command: "etl backfill --from 2026-01-01 --to 2026-01-07", Destination: "clickhouse:h:9000/db", Tasks: 1, Started: run}
	require.NoError(t, s.SavePlan(ctx, a))
	require.NoError(t, s.SavePlan(ctx, b))
	require.NoError(t, s.MarkDone(ctx, "plan-a", task("userflow", "users", 0)))

	other := open(t)
	plans, err = other.Plans(ctx)
	require.NoError(t, err)
	require.Len(t, plans, 2)
	assert.Equal(t, "plan-a", plans[0].ID)
	assert.Equal(t, a.Command, plans[0].Command)
	assert.Equal(t, a.Destination, plans[0].Destination)
	assert.Equal(t, 2, plans[0].Tasks)
	assert.Equal(t, 1, plans[0].Done)
	assertTime(t, run, plans[0].Started, "Started")
	assert.True(t, plans[0].Unfinished())
	assert.Equal(t, 0, plans[1].Done)

	// Completing retires it: progress cleared, the record says when.
	a.Completed = run.Add(time.Hour)
	require.NoError(t, other.SavePlan(ctx, a))
	require.NoError(t, other.ClearProgress(ctx, "plan-a"))
	require.NoError(t, other.ClearProgress(ctx, "never-ran"))
	done, err := s.DoneTasks(ctx, "plan-a")
	require.NoError(t, err)
	assert.Empty(t, done)
	plans, err = s.Plans(ctx)
	require.NoError(t, err)
	require.Len(t, plans, 2)
	assert.False(t, plans[0].Unfinished())
	assertTime(t, run.Add(time.Hour), plans[0].Completed, "Completed")
	assert.Equal(t, 0, plans[0].Done)

	// Started again: unfinished, and tasks can be marked anew.
	a.Completed, a.Started = time.Time{}, run.Add(2*time.Hour)
	require.NoError(t, s.SavePlan(ctx, a))
	require.NoError(t, s.MarkDone(ctx, "plan-a", task("userflow", "users", 1)))
	plans, err = open(t).Plans(ctx)
	require.NoError(t, err)
	assert.True(t, plans[0].Unfinished())
	assert.Equal(t, 1, plans[0].Done)
}

// lastRows: the rows of the last committed run are kept; a failure keeps them.
func lastRows(t *testing.T, open func(*testing.T) state.Store) {
	ctx := ctxFor(t)
	s := open(t)
	require.NoError(t, s.Advance(ctx, state.Entry{Source: "userflow", Stream: "users", Watermark: t0, LastRun: run, LastRows: 2709}))
	require.NoError(t, s.RecordFailure(ctx, state.Entry{Source: "userflow", Stream: "users", LastRun: run.Add(time.Hour)}))
	got, ok, err := open(t).Get(ctx, "userflow", "users")
	require.NoError(t, err)
	require.True(t, ok)
	assert.EqualValues(t, 2709, got.LastRows)
	require.NoError(t, s.Advance(ctx, state.Entry{Source: "userflow", Stream: "users", Watermark: t0, LastRun: run.Add(2 * time.Hour)}))
	got, _, err = s.Get(ctx, "userflow", "users")
	require.NoError(t, err)
	assert.EqualValues(t, 0, got.LastRows)
}

func badArguments(t *testing.T, open func(*testing.T) state.Store) {
	ctx := ctxFor(t)
	s := open(t)
	me := state.Holder{Host: "contract-host", PID: 4242}
	cases := []struct {
		name string
		call func() error
	}{
		{"advance without a stream", func() error { return s.Advance(ctx, state.Entry{Source: "userflow"}) }},
		{"failure without a source", func() error { return s.RecordFailure(ctx, state.Entry{Stream: "users"}) }},
		{"reset without a source", func() error { _, err := s.Reset(ctx, "", ""); return err }},
		{"plan id with a slash", func() error { return s.MarkDone(ctx, "../etc", task("a", "b", 0)) }},
		{"empty task key", func() error { return s.MarkDone(ctx, "plan", "") }},
		{"done tasks of a bad plan id", func() error { _, err := s.DoneTasks(ctx, ""); return err }},
		{"lock name with a slash", func() error { _, _, err := s.Lock(ctx, "a/b", time.Minute, me); return err }},
		{"lock without a ttl", func() error { _, _, err := s.Lock(ctx, "nightly", 0, me); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Error(t, tc.call())
		})
	}
}

func holder(host string, pid int) state.Holder {
	return state.Holder{Host: host, PID: pid, Since: time.Now().UTC().Truncate(time.Millisecond), RunID: fmt.Sprintf("run-%s-%d", host, pid), Command: "etl run --sink x"}
}

func lockExclusion(t *testing.T, open func(*testing.T) state.Store) {
	ctx := ctxFor(t)
	s1, s2 := open(t), open(t)
	a := holder("contract-host-a", 1111)
	b := holder("contract-host-b", 2222)

	la, stale, err := s1.Lock(ctx, "nightly", time.Minute, a)
	require.NoError(t, err)
	require.Nil(t, stale)
	assert.Equal(t, a.Host, la.Holder().Host)
	assert.Equal(t, a.PID, la.Holder().PID)

	for name, s := range map[string]state.Store{"same store": s1, "other store": s2} {
		_, _, err := s.Lock(ctx, "nightly", time.Minute, b)
		var locked *state.LockedError
		require.ErrorAs(t, err, &locked, name)
		assert.Equal(t, "nightly", locked.Name, name)
		assert.Equal(t, a.Host, locked.Holder.Host, name)
		assert.Equal(t, a.PID, locked.Holder.PID, name)
		assert.Equal(t, a.RunID, locked.Holder.RunID, name)
		assert.Equal(t, a.Command, locked.Holder.Command, name)
		assert.WithinDuration(t, a.Since, locked.Holder.Since, time.Millisecond, name)
		assert.Equal(t, time.Minute, locked.TTL, name)
		msg := err.Error()
		for _, want := range []string{`"nightly"`, "contract-host-a", "pid 1111", a.Since.Format(time.RFC3339), a.RunID, "`etl run --sink x`"} {
			assert.Contains(t, msg, want, name)
		}
	}

	// Another name is another lock.
	lo, _, err := s2.Lock(ctx, "backfill-x", time.Minute, b)
	require.NoError(t, err)
	require.NoError(t, lo.Release(ctx))

	select {
	case <-la.Lost():
		t.Fatal("a held lock reports itself lost")
	default:
	}
	// Release is cleanup after Ctrl-C: a cancelled context must not stop it.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.NoError(t, la.Release(cancelled))
	require.NoError(t, la.Release(ctx), "releasing twice is harmless")

	lb, stale, err := s2.Lock(ctx, "nightly", time.Minute, b)
	require.NoError(t, err, "released, the lock can be taken again")
	assert.Nil(t, stale, "a released lock is not a stale one")
	assert.Equal(t, b.Host, lb.Holder().Host)

	_, _, err = s1.Lock(ctx, "nightly", time.Minute, a)
	var locked *state.LockedError
	require.ErrorAs(t, err, &locked)
	assert.Equal(t, b.Host, locked.Holder.Host)
	require.NoError(t, lb.Release(ctx))
}

func staleTakeover(t *testing.T, open func(*testing.T) state.Store) {
	ctx := ctxFor(t)
	const ttl = time.Second
	crashed, alive, other := open(t), open(t), open(t)
	a := holder("contract-host-crashed", 3333)
	b := holder("contract-host-alive", 4444)
	c := holder("contract-host-c", 5555)

	_, _, err := crashed.Lock(ctx, "crashed", ttl, a)
	require.NoError(t, err)
	live, _, err := alive.Lock(ctx, "alive", ttl, b)
	require.NoError(t, err)
	taken := time.Now()
	// Close stops the heartbeat without releasing: what kill -9 leaves.
	require.NoError(t, crashed.Close())

	_, _, err = other.Lock(ctx, "crashed", ttl, c)
	var locked *state.LockedError
	require.ErrorAs(t, err, &locked, "before the ttl a silent lock is still held")

	var (
		got   state.Lock
		stale *state.Holder
	)
	require.Eventually(t, func() bool {
		l, h, err := other.Lock(ctx, "crashed", ttl, c)
		if err != nil {
			require.ErrorAs(t, err, &locked)
			return false
		}
		got, stale = l, h
		return true
	}, 10*ttl, 100*time.Millisecond)
	require.GreaterOrEqual(t, time.Since(taken), ttl, "taken over before the ttl")
	require.NotNil(t, stale, "a takeover names the stale holder")
	assert.Equal(t, a.Host, stale.Host)
	assert.Equal(t, a.PID, stale.PID)
	assert.Equal(t, a.RunID, stale.RunID)
	assert.Equal(t, c.Host, got.Holder().Host)

	// The taken-over lock is exclusive again.
	_, _, err = alive.Lock(ctx, "crashed", ttl, b)
	require.ErrorAs(t, err, &locked)
	assert.Equal(t, c.Host, locked.Holder.Host)

	// Longer than the ttl has passed: the heartbeat kept "alive" held.
	_, _, err = other.Lock(ctx, "alive", ttl, c)
	require.ErrorAs(t, err, &locked, "a lock with a heartbeat is never stale")
	assert.Equal(t, b.Host, locked.Holder.Host)
	select {
	case <-live.Lost():
		t.Fatal("a lock with a heartbeat reports itself lost")
	default:
	}
	require.NoError(t, live.Release(ctx))
	require.NoError(t, got.Release(ctx))
}

func racing(t *testing.T, open func(*testing.T) state.Store) {
	ctx := ctxFor(t)
	stores := []state.Store{open(t), open(t)}
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("race-%d", i)
		var (
			wg     sync.WaitGroup
			won    = make([]state.Lock, len(stores))
			errs   = make([]error, len(stores))
			starts = make(chan struct{})
		)
		for j, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-starts
				won[j], _, errs[j] = s.Lock(ctx, name, time.Minute, holder(fmt.Sprintf("racer-%d", j), 100+j))
			}()
		}
		close(starts)
		wg.Wait()
		winners := 0
		for j := range stores {
			if errs[j] == nil {
				winners++
				continue
			}
			var locked *state.LockedError
			if !errors.As(errs[j], &locked) {
				t.Fatalf("round %d: racer %d failed with something else than LockedError: %v", i, j, errs[j])
			}
		}
		require.Equal(t, 1, winners, "round %d: exactly one racer wins (errors %v)", i, errs)
		for _, l := range won {
			if l != nil {
				require.NoError(t, l.Release(ctx))
			}
		}
	}
}
