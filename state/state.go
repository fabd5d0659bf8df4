// Package state keeps what must survive between runs: each stream's watermark
// (where the next nightly run starts), the chunks of a backfill already
// committed (so an interrupted backfill resumes where it stopped), and the run
// lock that keeps two runs from working on the same state at once.
//
// Two stores implement Store: a directory of JSON files (OpenFile, the default:
// nothing to run) and ClickHouse tables beside the data (load/clickhouse
// StateStore), so that whichever machine runs the job sees the same state.
// Both pass the same contract suite (state/statetest).
package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// Statuses of Entry.LastStatus.
const (
	StatusOK     = "ok"
	StatusFailed = "failed"
)

// Entry is the state of one stream.
//
// Times are kept in UTC to the whole second (ClickHouse's DateTime cannot hold
// more). A watermark is only ever rounded down, so a rerun re-pulls at most
// one extra second, never skips one.
type Entry struct {
	Source string `json:"source"`
	Stream string `json:"stream"`
	// Watermark is the end (exclusive) of the last committed window; zero when
	// the stream never committed one (only failures were recorded).
	Watermark time.Time `json:"watermark"`
	LastRun   time.Time `json:"last_run"`
	// LastSuccess is the LastRun of the last Advance: RecordFailure leaves it,
	// so an alert can say how long a stream has been failing.
	LastSuccess time.Time `json:"last_success"`
	LastStatus  string    `json:"last_status"`
	LastError   string    `json:"last_error"`
	RunID       string    `json:"run_id"`
	// LastRows is how many rows the stream's last committed run loaded (all
	// its windows so far): a later run that loads 0 where this was not 0
	// is flagged, since a silent empty pull is how data goes missing.
	LastRows int64 `json:"last_rows"`
}

// Plan is a backfill: which streams and chunks into which destination, and
// how far it got. A plan that completed is retired: the same command starts
// it over instead of resuming it.
type Plan struct {
	// ID hashes the task keys and the destination (PlanID).
	ID string `json:"plan_id"`
	// Command is what the user typed, to show in `etl state show`.
	Command string `json:"command"`
	// Destination is the sink kind and where it writes.
	Destination string `json:"destination"`
	// Tasks is how many chunks the plan has; Done how many committed
	// (filled in by Plans).
	Tasks   int       `json:"tasks"`
	Done    int       `json:"-"`
	Started time.Time `json:"started"`
	// Completed is when every chunk had committed; zero while unfinished.
	Completed time.Time `json:"completed"`
}

// Unfinished says the plan started and has not completed.
func (p Plan) Unfinished() bool { return p.Completed.IsZero() }

// Holder says who holds a run lock.
type Holder struct {
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Since   time.Time `json:"since"`
	RunID   string    `json:"run_id"`
	Command string    `json:"command"`
}

func (h Holder) String() string {
	s := fmt.Sprintf("host %s pid %d since %s", h.Host, h.PID, h.Since.UTC().Format(time.RFC3339))
	var extra []string
	if h.RunID != "" {
		extra = append(extra, "run "+h.RunID)
	}
	if h.Command != "" {
		extra = append(extra, "`"+h.Command+"`")
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

// Lock is a held run lock. It heartbeats in the background until Release.
type Lock interface {
	// Release gives the lock up. It removes the lock only while it is still
	// ours, and releasing twice is harmless.
	Release(ctx context.Context) error
	// Holder is who we said we are when taking the lock.
	Holder() Holder
	// Lost is closed when the heartbeat finds the lock is no longer ours
	// (another run took it over because this process stalled for longer than
	// the ttl, or someone removed it by hand). A run should stop committing.
	Lost() <-chan struct{}
}

// Store keeps watermarks, backfill progress and run locks.
type Store interface {
	// Get returns the stream's entry; ok is false when nothing was recorded.
	Get(ctx context.Context, source, stream string) (e Entry, ok bool, err error)
	// Advance records a committed window. The watermark never moves backwards
	// (a backfill of old days does not rewind the nightly watermark) but
	// LastRun, LastSuccess, LastStatus ("ok" when empty), LastError and RunID
	// always update.
	Advance(ctx context.Context, e Entry) error
	// RecordFailure updates LastRun, LastStatus ("failed" when empty),
	// LastError and RunID without touching the watermark or LastSuccess.
	RecordFailure(ctx context.Context, e Entry) error
	// List returns every entry, ordered by source then stream.
	List(ctx context.Context) ([]Entry, error)
	// Reset forgets a stream (stream "" = every stream of the source),
	// including its backfill progress in every plan, and returns how many
	// entries went (backfill tasks are not counted).
	Reset(ctx context.Context, source, stream string) (int, error)
	// MarkDone records that a backfill task committed. planID identifies the
	// backfill (a hash of its arguments), taskKey the task (TaskKey).
	MarkDone(ctx context.Context, planID, taskKey string) error
	// DoneTasks returns the task keys marked done for the plan (never nil).
	DoneTasks(ctx context.Context, planID string) (map[string]bool, error)
	// SavePlan records a plan's description and whether it completed
	// (replacing what was recorded for p.ID; its done tasks stay).
	SavePlan(ctx context.Context, p Plan) error
	// Plans returns every recorded plan with Done counted, ordered by ID.
	Plans(ctx context.Context) ([]Plan, error)
	// ClearProgress forgets the plan's done tasks (its record stays), so
	// the next run of the plan does every chunk again.
	ClearProgress(ctx context.Context, planID string) error
	// Lock takes the run lock name, or fails with *LockedError naming the
	// holder. A lock whose heartbeat is older than ttl is stale: it is taken
	// over and its holder returned (the caller logs "taking over a stale
	// lock held by …"). me's zero Host, PID and Since are filled in.
	Lock(ctx context.Context, name string, ttl time.Duration, me Holder) (Lock, *Holder, error)
	// Close stops the heartbeats of locks still held without releasing them,
	// as a crash would: Release first.
	Close() error
}

// LockedError says another run holds the lock.
type LockedError struct {
	Name   string
	Holder Holder
	// Age is how long the holder has held the lock.
	Age time.Duration
	// LastHeartbeat is when the holder last said it is alive.
	LastHeartbeat time.Time
	// TTL is how long without a heartbeat before the lock is taken over.
	TTL time.Duration
	// Remove is what to delete by hand when the holder is gone ("" when the
	// store has nothing a person should remove).
	Remove string
}

func (e *LockedError) Error() string {
	msg := fmt.Sprintf("another etl run holds the lock %q: %s", e.Name, e.Holder)
	if !e.LastHeartbeat.IsZero() {
		msg += fmt.Sprintf(", last heartbeat %s", e.LastHeartbeat.UTC().Format(time.RFC3339))
	}
	msg += "; wait for it to finish"
	remove := ""
	if e.Remove != "" {
		remove = ", or remove " + e.Remove
	}
	switch {
	case e.Holder.PID > 0 && e.Holder.Host == Hostname():
		// Both stores take over at once a holder of this host whose
		// process is gone: this one is alive.
		return msg + fmt.Sprintf(": pid %d is running on this host (once it is gone, its lock is taken over at once)", e.Holder.PID)
	case e.Holder.PID > 0:
		return msg + fmt.Sprintf(": if that process is gone, a run on %s takes its lock over at once, a run elsewhere once it has had no heartbeat for %s%s", e.Holder.Host, e.TTL, remove)
	}
	return msg + fmt.Sprintf(": if that process is gone, its lock is taken over once it has had no heartbeat for %s%s", e.TTL, remove)
}

// TaskKey names a backfill task: "userflow.content_sessions@2026-01-01T00:00:00Z/2026-01-08T00:00:00Z",
// the stream's ID and its window in RFC 3339 UTC.
func TaskKey(source, stream string, start, end time.Time) string {
	return source + "." + stream + "@" + start.UTC().Format(time.RFC3339) + "/" + end.UTC().Format(time.RFC3339)
}

// SplitTaskKey returns the source and stream of a TaskKey; ok is false for
// a key of another shape (such a task is never cleared by Reset).
func SplitTaskKey(key string) (source, stream string, ok bool) {
	id, _, found := strings.Cut(key, "@")
	if !found {
		return "", "", false
	}
	source, stream, found = strings.Cut(id, ".")
	if !found || source == "" || stream == "" {
		return "", "", false
	}
	return source, stream, true
}

var lockName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)

// CheckLock rejects what no store can lock: a name that could not be a
// file name, or a ttl that is not positive.
func CheckLock(name string, ttl time.Duration) error {
	if !lockName.MatchString(name) {
		return fmt.Errorf("lock name %q: use letters, digits, '.', '_' or '-' (at most 100, not starting with a symbol)", name)
	}
	if ttl <= 0 {
		return fmt.Errorf("lock %q: ttl must be positive, got %s", name, ttl)
	}
	return nil
}

// planID is checked the same way: it becomes a file name in the file store.
var planIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// CheckPlanID rejects plan ids that could not be a file name.
func CheckPlanID(id string) error {
	if !planIDPattern.MatchString(id) {
		return fmt.Errorf("backfill plan id %q: use letters, digits, '.', '_' or '-' (at most 128, not starting with a symbol)", id)
	}
	return nil
}

// Normalize rounds the entry's times down to the second in UTC, the
// precision both stores keep.
func Normalize(e Entry) Entry {
	e.Watermark = second(e.Watermark)
	e.LastRun = second(e.LastRun)
	e.LastSuccess = second(e.LastSuccess)
	return e
}

func second(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Second)
}

// Merge applies an Advance (committed true) or a RecordFailure to the
// previous entry (zero when none): the one rule both stores share.
func Merge(prev Entry, exists bool, e Entry, committed bool, now time.Time) Entry {
	e = Normalize(e)
	if e.LastRun.IsZero() {
		e.LastRun = second(now)
	}
	out := prev
	if !exists {
		out = Entry{Source: e.Source, Stream: e.Stream}
	}
	out.LastRun, out.LastError, out.RunID = e.LastRun, e.LastError, e.RunID
	if committed {
		out.LastStatus = orDefault(e.LastStatus, StatusOK)
		out.LastSuccess = e.LastRun
		out.LastRows = e.LastRows
		if e.Watermark.After(out.Watermark) {
			out.Watermark = e.Watermark
		}
	} else {
		out.LastStatus = orDefault(e.LastStatus, StatusFailed)
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// CheckEntry rejects an entry without a source or stream.
func CheckEntry(e Entry) error {
	if e.Source == "" || e.Stream == "" {
		return fmt.Errorf("state entry needs a source and a stream (got source %q, stream %q)", e.Source, e.Stream)
	}
	return nil
}

// Me fills the zero fields of h with this process: host name, PID, now.
func Me(h Holder, now time.Time) Holder {
	if h.Host == "" {
		h.Host = Hostname()
	}
	if h.PID == 0 {
		h.PID = os.Getpid()
	}
	if h.Since.IsZero() {
		h.Since = now
	}
	// Milliseconds: what the ClickHouse store keeps, so both report the same.
	h.Since = h.Since.UTC().Truncate(time.Millisecond)
	return h
}

// Hostname is os.Hostname, or "unknown-host" when the system has none.
func Hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown-host"
	}
	return h
}

// ErrClosed is returned by a store used after Close.
var ErrClosed = errors.New("state store is closed")
