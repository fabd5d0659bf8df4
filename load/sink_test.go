package load

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// events records what a window's writers were asked, in order.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, s)
}

func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.got...)
}

type stagedWriter struct {
	name string
	ev   *events
}

func (w *stagedWriter) Write(context.Context, arrow.Record) error { return nil }
func (w *stagedWriter) Commit(context.Context) error              { w.ev.add("commit " + w.name); return nil }
func (w *stagedWriter) Abort(context.Context) error               { return nil }
func (w *stagedWriter) Prepare(context.Context) error             { w.ev.add("prepare " + w.name); return nil }
func (w *stagedWriter) Swap(context.Context) error                { w.ev.add("swap " + w.name); return nil }

// sealingWriter's Seal returns only once every writer of barrier has
// entered its Seal: sealed one after the other, they would wait forever.
type sealingWriter struct {
	stagedWriter
	barrier *sync.WaitGroup
	err     error
}

func (w *sealingWriter) Seal(ctx context.Context) error {
	if err := meet(w.barrier, "sealed"); err != nil {
		return err
	}
	w.ev.add("seal " + w.name)
	return w.err
}

// meet returns once every writer of barrier has reached it, or an error
// after 5 s: the others were not doing the same meanwhile.
func meet(barrier *sync.WaitGroup, what string) error {
	barrier.Done()
	done := make(chan struct{})
	go func() { barrier.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("the other tables were not %s meanwhile", what)
	}
}

// swappingWriter's Swap returns only once every writer of barrier has
// entered its Swap, and then fails with err if set.
type swappingWriter struct {
	stagedWriter
	barrier *sync.WaitGroup
	err     error
}

func (w *swappingWriter) Swap(ctx context.Context) error {
	if err := meet(w.barrier, "swapped"); err != nil {
		return err
	}
	w.ev.add("swap " + w.name)
	return w.err
}

func TestCommitWindowSealsTheTablesTogetherThenPreparesInOrderAndSwapsTogether(t *testing.T) {
	ev := &events{}
	var barrier sync.WaitGroup
	barrier.Add(2)
	a := &sealingWriter{stagedWriter: stagedWriter{"a", ev}, barrier: &barrier}
	b := &sealingWriter{stagedWriter: stagedWriter{"b", ev}, barrier: &barrier}
	c := &stagedWriter{"c", ev} // stages but has nothing to seal
	committed, err := CommitWindow(context.Background(), []TableWriter{{"a", a}, {"b", b}, {"c", c}})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, committed)
	got := ev.list()
	require.Len(t, got, 8)
	assert.ElementsMatch(t, []string{"seal a", "seal b"}, got[:2], "both seals come first")
	assert.Equal(t, []string{"prepare a", "prepare b", "prepare c"}, got[2:5], "every table is prepared before the first swap")
	assert.ElementsMatch(t, []string{"swap a", "swap b", "swap c"}, got[5:])
}

// The tables swap side by side (each Swap waits for the others to have
// started); a table whose swap fails is named, and the others are listed
// as committed: they are visible.
func TestCommitWindowSwapsTogetherAndNamesWhatFailed(t *testing.T) {
	ev := &events{}
	var barrier sync.WaitGroup
	barrier.Add(3)
	a := &swappingWriter{stagedWriter: stagedWriter{"a", ev}, barrier: &barrier}
	b := &swappingWriter{stagedWriter: stagedWriter{"b", ev}, barrier: &barrier, err: errors.New("server went away")}
	c := &swappingWriter{stagedWriter: stagedWriter{"c", ev}, barrier: &barrier}
	committed, err := CommitWindow(context.Background(), []TableWriter{{"a", a}, {"b", b}, {"c", c}})
	require.Error(t, err)
	assert.Equal(t, "swap in b: server went away", err.Error())
	assert.Equal(t, []string{"a", "c"}, committed)
	assert.ElementsMatch(t, []string{"prepare a", "prepare b", "prepare c", "swap a", "swap b", "swap c"}, ev.list())
}

func TestCommitWindowWhoseSealFailsPreparesNothing(t *testing.T) {
	ev := &events{}
	var barrier sync.WaitGroup
	barrier.Add(2)
	a := &sealingWriter{stagedWriter: stagedWriter{"a", ev}, barrier: &barrier}
	b := &sealingWriter{stagedWriter: stagedWriter{"b", ev}, barrier: &barrier, err: errors.New("server went away")}
	committed, err := CommitWindow(context.Background(), []TableWriter{{"a", a}, {"b", b}})
	require.Error(t, err)
	assert.Empty(t, committed)
	assert.Equal(t, "stage b: server went away", err.Error())
	assert.ElementsMatch(t, []string{"seal a", "seal b"}, ev.list(), "no prepare, no swap")
}
