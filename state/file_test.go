package state_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/state/statetest"
)

// fileStores opens stores that share one directory per test.
func fileStores() func(t *testing.T) state.Store {
	var mu sync.Mutex
	dirs := map[*testing.T]string{}
	return func(t *testing.T) state.Store {
		dir := func() string {
			mu.Lock()
			defer mu.Unlock()
			if _, ok := dirs[t]; !ok {
				dirs[t] = t.TempDir()
			}
			return dirs[t]
		}()
		s, err := state.OpenFile(dir)
		require.NoError(t, err)
		return s
	}
}

func TestFileStoreContract(t *testing.T) {
	statetest.StoreContract(t, fileStores())
}

func open(t *testing.T, dir string) *state.FileStore {
	t.Helper()
	s, err := state.OpenFile(dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var (
	t0  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	run = time.Date(2026, 1, 9, 3, 0, 0, 0, time.UTC)
)

func TestLockOfADeadProcessOnThisHostIsTakenOverAtOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	// A PID that surely belongs to no process: one that has exited and been reaped.
	cmd := exec.Command("sleep", "0")
	require.NoError(t, cmd.Run())
	dead := cmd.ProcessState.Pid()

	killed := open(t, dir)
	me := state.Holder{Host: state.Hostname(), PID: dead, RunID: "killed-run", Command: "etl run"}
	_, _, err := killed.Lock(ctx, "nightly", time.Hour, me)
	require.NoError(t, err)
	require.NoError(t, killed.Close()) // heartbeat stops, the file stays: a kill -9

	next := open(t, dir)
	l, stale, err := next.Lock(ctx, "nightly", time.Hour, state.Holder{RunID: "next-run"})
	require.NoError(t, err, "a lock whose process is gone on this host is taken over without waiting for the ttl")
	require.NotNil(t, stale)
	assert.Equal(t, dead, stale.PID)
	assert.Equal(t, "killed-run", stale.RunID)
	assert.Equal(t, os.Getpid(), l.Holder().PID, "zero PID means this process")
	assert.Equal(t, state.Hostname(), l.Holder().Host)
	require.NoError(t, l.Release(ctx))
}

// The refusal says what is true of this host: the holder is alive, and
// once it is gone its lock is taken over at once (no TTL to wait for).
func TestRefusalOnThisHostSaysADeadHolderIsTakenOverAtOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	holder := exec.Command("sleep", "60")
	require.NoError(t, holder.Start())
	t.Cleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })

	held := open(t, dir)
	_, _, err := held.Lock(ctx, "nightly", time.Hour, state.Holder{Host: state.Hostname(), PID: holder.Process.Pid, Command: "etl run"})
	require.NoError(t, err)
	require.NoError(t, held.Close()) // the file stays, as the holder's would

	_, _, err = open(t, dir).Lock(ctx, "nightly", time.Hour, state.Holder{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("; wait for it to finish: pid %d is running on this host (once it is gone, its lock is taken over at once)", holder.Process.Pid))
	assert.NotContains(t, err.Error(), "remove ", "nothing to delete by hand while the holder runs")

	require.NoError(t, holder.Process.Kill())
	_ = holder.Wait()
	l, stale, err := open(t, dir).Lock(ctx, "nightly", time.Hour, state.Holder{})
	require.NoError(t, err, "as the message said: taken over at once, an hour before the ttl")
	require.NotNil(t, stale)
	assert.Equal(t, holder.Process.Pid, stale.PID)
	require.NoError(t, l.Release(ctx))
}

func TestLockOfALiveProcessOnThisHostWaitsForTheTTL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first := open(t, dir)
	_, _, err := first.Lock(ctx, "nightly", time.Hour, state.Holder{}) // this very process: alive
	require.NoError(t, err)
	require.NoError(t, first.Close())

	_, _, err = open(t, dir).Lock(ctx, "nightly", time.Hour, state.Holder{})
	var locked *state.LockedError
	require.ErrorAs(t, err, &locked)
	assert.Equal(t, os.Getpid(), locked.Holder.PID)
}

func TestLockedErrorSaysWhichFileToRemove(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	l, _, err := s.Lock(ctx, "nightly", 10*time.Minute, state.Holder{Host: "cron-box", PID: 123, RunID: "20261124T030000Z", Command: "etl run"})
	require.NoError(t, err)
	defer l.Release(ctx)

	_, _, err = s.Lock(ctx, "nightly", 10*time.Minute, state.Holder{})
	var locked *state.LockedError
	require.ErrorAs(t, err, &locked)
	lockFile := filepath.Join(dir, "locks", "nightly", "000000000001.lock")
	assert.Equal(t, lockFile, locked.Remove)
	assert.FileExists(t, lockFile)
	assert.Regexp(t, `^another etl run holds the lock "nightly": host cron-box pid 123 since \S+Z \(run 20261124T030000Z, `+"`etl run`"+`\), last heartbeat \S+Z; wait for it to finish: if that process is gone, a run on cron-box takes its lock over at once, a run elsewhere once it has had no heartbeat for 10m0s, or remove `+regexpQuote(lockFile)+`$`, err.Error())

	// Doing what the message says works.
	require.NoError(t, os.Remove(lockFile))
	l2, stale, err := s.Lock(ctx, "nightly", 10*time.Minute, state.Holder{})
	require.NoError(t, err)
	assert.Nil(t, stale)
	require.NoError(t, l2.Release(ctx))
}

func regexpQuote(s string) string {
	r := strings.NewReplacer(`.`, `\.`, `(`, `\(`, `)`, `\)`, `+`, `\+`)
	return r.Replace(s)
}

func TestLockReportsLossWhenItsFileGoes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	l, _, err := s.Lock(ctx, "nightly", 200*time.Millisecond, state.Holder{})
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(dir, "locks", "nightly", "000000000001.lock")))
	select {
	case <-l.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("Lost not closed after the lock file was removed")
	}
	require.NoError(t, l.Release(ctx))
}

func TestReleaseDoesNotRemoveALockTakenOver(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	const ttl = 300 * time.Millisecond
	l, _, err := s.Lock(ctx, "nightly", ttl, state.Holder{Host: "stalled-host", PID: 1})
	require.NoError(t, err)
	// Simulate a process stalled past its ttl: age the file by hand (again
	// on every try, as its heartbeat still runs).
	path := filepath.Join(dir, "locks", "nightly", "000000000001.lock")
	old := time.Now().Add(-time.Hour)
	other := open(t, dir)
	var (
		taker state.Lock
		stale *state.Holder
	)
	require.Eventually(t, func() bool {
		require.NoError(t, os.Chtimes(path, old, old))
		taker, stale, err = other.Lock(ctx, "nightly", time.Hour, state.Holder{Host: "taker", PID: 2})
		return err == nil
	}, 5*time.Second, 5*time.Millisecond)
	require.NotNil(t, stale)
	assert.Equal(t, "stalled-host", stale.Host)
	select {
	case <-l.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("the stalled holder was not told it lost the lock")
	}
	require.NoError(t, l.Release(ctx))
	_, _, err = s.Lock(ctx, "nightly", time.Hour, state.Holder{})
	var locked *state.LockedError
	require.ErrorAs(t, err, &locked, "the stalled holder's Release removed the taker's lock")
	assert.Equal(t, "taker", locked.Holder.Host)
	require.NoError(t, taker.Release(ctx))
}

func TestStrayTempFileOfAKilledWriterIsIgnored(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	require.NoError(t, s.Advance(ctx, state.Entry{Source: "userflow", Stream: "users", Watermark: t0, LastRun: run}))
	require.NoError(t, s.MarkDone(ctx, "plan", state.TaskKey("userflow", "users", t0, t0.Add(24*time.Hour))))
	require.NoError(t, s.Close())

	// What a writer killed between write and rename leaves: a half temp file.
	strays := []string{
		filepath.Join(dir, ".state.json.tmp-123456"),
		filepath.Join(dir, "backfill", ".plan.json.tmp-987"),
	}
	for _, p := range strays {
		require.NoError(t, os.WriteFile(p, []byte(`{"version":1,"streams":[{"source":"userf`), 0o644))
	}

	s = open(t, dir)
	got, ok, err := s.Get(ctx, "userflow", "users")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, t0, got.Watermark)
	done, err := s.DoneTasks(ctx, "plan")
	require.NoError(t, err)
	assert.Len(t, done, 1)
	for _, p := range strays {
		assert.NoFileExists(t, p, "Open removes stray temp files")
	}
}

func TestCorruptStateFileIsReportedAtOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o644))
	_, err := state.OpenFile(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "restore")
}

func TestNewerStateVersionIsRefused(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "state.json"), []byte(`{"version": 2, "streams": []}`), 0o644))
	_, err := state.OpenFile(dir)
	require.ErrorContains(t, err, "upgrade etl")
}

func TestStateFileIsReadableJSON(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	require.NoError(t, s.Advance(ctx, state.Entry{Source: "userflow", Stream: "users", Watermark: t0, LastRun: run, RunID: "r1"}))
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	assert.Equal(t, float64(1), doc["version"])
	streams := doc["streams"].([]any)
	require.Len(t, streams, 1)
	assert.Equal(t, "2026-01-01T00:00:00Z", streams[0].(map[string]any)["watermark"])
	info, err := os.Stat(filepath.Join(dir, "state.json"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())
}

func TestClosedStoreRefusesWork(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.Advance(ctx, state.Entry{Source: "a", Stream: "b"}), state.ErrClosed)
	_, _, err := s.Lock(ctx, "nightly", time.Minute, state.Holder{})
	require.ErrorIs(t, err, state.ErrClosed)
}

const writerDirEnv = "STATE_TEST_WRITER_DIR"

// TestHelperWriter is the child of TestKillDashNineNeverCorruptsState: it
// advances a watermark and marks tasks as fast as it can until killed.
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv(writerDirEnv)
	if dir == "" {
		return // only meaningful as a child process
	}
	ctx := context.Background()
	s, err := state.OpenFile(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	e, _, _ := s.Get(ctx, "userflow", "users")
	w := e.Watermark
	if w.IsZero() {
		w = t0
	}
	for i := 0; ; i++ {
		w = w.Add(time.Hour)
		if err := s.Advance(ctx, state.Entry{Source: "userflow", Stream: "users", Watermark: w, LastRun: run, RunID: strconv.Itoa(i)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		if err := s.MarkDone(ctx, "plan", state.TaskKey("userflow", "users", w.Add(-time.Hour), w)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(5)
		}
		fmt.Println(w.Format(time.RFC3339)) // the parent's proof that writes happen
	}
}

func TestKillDashNineNeverCorruptsState(t *testing.T) {
	if os.Getenv(writerDirEnv) != "" {
		t.Skip("running as the writer child")
	}
	ctx := context.Background()
	dir := t.TempDir()
	var last time.Time
	for round := 0; round < 5; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), writerDirEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		// Let it write a while, then kill it wherever it is.
		buf := make([]byte, 4096)
		read := 0
		deadline := time.Now().Add(10 * time.Second)
		for read < 1500 && time.Now().Before(deadline) {
			n, err := out.Read(buf)
			read += n
			if err != nil {
				break
			}
		}
		time.Sleep(time.Duration(round*7) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		require.Greater(t, read, 0, "the writer wrote nothing")

		s, err := state.OpenFile(dir)
		require.NoError(t, err, "round %d: state unreadable after kill -9", round)
		e, ok, err := s.Get(ctx, "userflow", "users")
		require.NoError(t, err)
		require.True(t, ok)
		require.True(t, e.Watermark.After(last), "round %d: the watermark went from %s to %s", round, last, e.Watermark)
		last = e.Watermark
		done, err := s.DoneTasks(ctx, "plan")
		require.NoError(t, err)
		assert.NotEmpty(t, done)
		require.NoError(t, s.Close())
		leftovers, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
		require.NoError(t, err)
		assert.Empty(t, leftovers, "Open removed the temp files of the killed writer")
	}
}

const lockerDirEnv = "STATE_TEST_LOCKER_DIR"

// TestHelperLocker, as a child process, takes and releases the run lock in a
// loop until it is killed.
func TestHelperLocker(t *testing.T) {
	dir := os.Getenv(lockerDirEnv)
	if dir == "" {
		return // only meaningful as a child process
	}
	ctx := context.Background()
	s, err := state.OpenFile(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	for i := 0; ; i++ {
		l, _, err := s.Lock(ctx, "etl", time.Hour, state.Holder{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		if i == 0 {
			fmt.Println("locking") // the parent's proof that the loop runs
		}
		if err := l.Release(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(5)
		}
	}
}

// A run killed while it takes the lock must never leave a lock file that
// names no holder: the next run on this host would wait the whole ttl
// (an hour by default) instead of taking over from the dead PID at once.
func TestKillDashNineWhileLockingNeverBlocksTheNextRun(t *testing.T) {
	if os.Getenv(lockerDirEnv) != "" {
		t.Skip("running as the locker child")
	}
	ctx := context.Background()
	dir := t.TempDir()
	for round := 0; round < 25; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLocker$", "-test.count=1")
		cmd.Env = append(os.Environ(), lockerDirEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		buf := make([]byte, 64)
		_, err = out.Read(buf)
		require.NoError(t, err, "round %d: the locker never started", round)
		time.Sleep(time.Duration(round%7) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()

		s := open(t, dir)
		l, _, err := s.Lock(ctx, "etl", time.Hour, state.Holder{})
		require.NoError(t, err, "round %d: a lock left by a killed process of this host is taken over at once", round)
		require.NoError(t, l.Release(ctx))
		require.NoError(t, s.Close())
	}
}
