package state

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDirNameKeepsDestinationsApart(t *testing.T) {
	long := "parquet:/srv/" + strings.Repeat("deep/", 30) + "prod"
	cases := []struct {
		destination string
		prefix      string
	}{
		{"parquet:/srv/etl/prod", "parquet-srv-etl-prod-"},
		{"parquet:/srv/etl/scratch", "parquet-srv-etl-scratch-"},
		{"parquet:/srv/etl/Prod", "parquet-srv-etl-prod-"}, // case folds in the name, not in the hash
		{"clickhouse://127.0.0.1:9000/analytics", "clickhouse-127.0.0.1-9000-analytics-"},
		{"clickhouse://127.0.0.1:9000/analytics_test", "clickhouse-127.0.0.1-9000-analytics_test-"},
		{long, "parquet-"},
	}
	seen := map[string]string{}
	for _, tc := range cases {
		name := DirName(tc.destination)
		assert.True(t, strings.HasPrefix(name, tc.prefix), "%s: %s", tc.destination, name)
		assert.NotContains(t, name, "/")
		assert.LessOrEqual(t, len(name), 80, name)
		assert.Equal(t, name, DirName(tc.destination), "stable")
		if prev, dup := seen[name]; dup {
			t.Errorf("%s and %s share the directory %s", prev, tc.destination, name)
		}
		seen[name] = tc.destination
	}
	assert.True(t, strings.HasSuffix(strings.TrimSuffix(DirName(long), "-"+shortHash(long)), "deep-prod"), "the most specific part is kept")
}

// flatState writes what an etl before per-destination state left in one
// directory: two streams' watermarks, a plan into prod, a plan into
// scratch and the progress of a plan recorded before plans named their
// destination.
func flatState(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	old, err := OpenFile(dir)
	require.NoError(t, err)
	defer old.Close()
	ctx := context.Background()
	for _, s := range []string{"content_sessions", "users"} {
		require.NoError(t, old.Advance(ctx, Entry{Source: "userflow", Stream: s, Watermark: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}))
	}
	require.NoError(t, old.SavePlan(ctx, Plan{ID: "planprod", Destination: "parquet:/prod", Tasks: 2}))
	require.NoError(t, old.MarkDone(ctx, "planprod", "userflow.content_sessions@2026-11-01T00:00:00Z/2026-11-02T00:00:00Z"))
	require.NoError(t, old.SavePlan(ctx, Plan{ID: "planscratch", Destination: "parquet:/scratch", Tasks: 2}))
	require.NoError(t, old.MarkDone(ctx, "orphan", "userflow.users@2026-11-01T00:00:00Z/2026-11-02T00:00:00Z"))
	return dir
}

func carry(t *testing.T, oldDir, newDir, destination string) (*FileStore, Carried) {
	t.Helper()
	old, err := OpenFile(oldDir)
	require.NoError(t, err)
	defer old.Close()
	s, err := OpenFile(newDir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	c, err := s.CarryOver(old, destination)
	require.NoError(t, err)
	return s, c
}

func TestCarryOverMovesStateToTheFirstDestinationOnly(t *testing.T) {
	ctx := context.Background()
	oldDir := flatState(t)
	require.True(t, HasFlatState(oldDir))

	prod, c := carry(t, oldDir, t.TempDir(), "parquet:/prod")
	assert.Equal(t, Carried{Watermarks: 2, Plans: 2}, c, "the watermarks, prod's plan and the plan that names no destination")
	e, ok, err := prod.Get(ctx, "userflow", "content_sessions")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), e.Watermark)
	done, err := prod.DoneTasks(ctx, "planprod")
	require.NoError(t, err)
	assert.Len(t, done, 1, "the plan's progress came along")
	plans, err := prod.Plans(ctx)
	require.NoError(t, err)
	require.Len(t, plans, 1)
	assert.Equal(t, "planprod", plans[0].ID)

	note, err := os.ReadFile(filepath.Join(oldDir, movedNote))
	require.NoError(t, err)
	assert.Contains(t, string(note), "state.json (the watermarks of 2 stream(s)) moved to "+prod.Dir()+", the state of parquet:/prod")
	assert.NoFileExists(t, filepath.Join(oldDir, stateFile))
	assert.True(t, CarriedElsewhere(oldDir))
	assert.True(t, HasFlatState(oldDir), "scratch's plan is still there for scratch")

	// A second destination takes its own plan, not prod's watermarks.
	scratch, c := carry(t, oldDir, t.TempDir(), "parquet:/scratch")
	assert.Equal(t, Carried{Plans: 1}, c)
	entries, err := scratch.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, entries, "scratch does not inherit prod's watermarks")
	plans, err = scratch.Plans(ctx)
	require.NoError(t, err)
	require.Len(t, plans, 1)
	assert.Equal(t, "planscratch", plans[0].ID)
	assert.False(t, HasFlatState(oldDir), "everything moved")

	// Once only: prod's state deleted on purpose does not come back.
	require.NoError(t, os.Remove(filepath.Join(prod.Dir(), stateFile)))
	_, c = carry(t, oldDir, prod.Dir(), "parquet:/prod")
	assert.True(t, c.Empty())
}

func TestCarryOverLeavesStateAlreadyAtTheNewPlace(t *testing.T) {
	ctx := context.Background()
	oldDir := flatState(t)
	newDir := t.TempDir()
	s, err := OpenFile(newDir)
	require.NoError(t, err)
	require.NoError(t, s.Advance(ctx, Entry{Source: "userflow", Stream: "content_sessions", Watermark: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)}))
	require.NoError(t, s.SavePlan(ctx, Plan{ID: "planprod", Destination: "parquet:/prod", Tasks: 5}))
	require.NoError(t, s.Close())

	s, c := carry(t, oldDir, newDir, "parquet:/prod")
	assert.True(t, c.Empty(), "%s", c)
	e, _, err := s.Get(ctx, "userflow", "content_sessions")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), e.Watermark, "the destination's own watermark stays")
	assert.FileExists(t, filepath.Join(oldDir, stateFile), "the old watermarks stay where they were: nothing is lost")
	assert.NoFileExists(t, filepath.Join(oldDir, movedNote))
}

// A carry killed between its claim and its copy is finished by the next
// one into the same place, and no other destination can take it meanwhile.
func TestCarryOverFinishesAClaimACrashLeft(t *testing.T) {
	ctx := context.Background()
	oldDir := flatState(t)
	newDir := t.TempDir()
	abs, err := filepath.Abs(newDir)
	require.NoError(t, err)
	claim := filepath.Join(oldDir, stateFile) + carryingSuffix + shortHash(abs)
	require.NoError(t, os.Rename(filepath.Join(oldDir, stateFile), claim))

	other, c := carry(t, oldDir, t.TempDir(), "parquet:/scratch")
	assert.Zero(t, c.Watermarks, "claimed by another destination")
	entries, err := other.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, entries)

	s, c := carry(t, oldDir, newDir, "parquet:/prod")
	assert.Equal(t, 2, c.Watermarks)
	entries, err = s.List(ctx)
	require.NoError(t, err)
	assert.Len(t, entries, 2)
	assert.NoFileExists(t, claim)
}

func TestHasFlatState(t *testing.T) {
	assert.False(t, HasFlatState(filepath.Join(t.TempDir(), "missing")))
	empty := t.TempDir()
	s, err := OpenFile(empty)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.False(t, HasFlatState(empty), "the directories OpenFile makes are no state")
	assert.True(t, HasFlatState(flatState(t)))
}
