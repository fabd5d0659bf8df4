package parquet

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/objectstore"
)

// The commit protocol on an object store. A load's commit is one swap of
// the partitions it replaces, recorded as an intent, a JSON document at
// _etl/swaps/<id>.json beside the state (state/objectstate), in phases:
//
//  1. ready (the load's Prepare): the intent is written in phase "adding"
//     with the keys to add and the keys they replace, then the new files
//     are uploaded. A failure deletes what was uploaded and the intent.
//  2. swap: the intent is rewritten in phase "deleting" (conditional on
//     its version, so a second writer could never flip it too). That is
//     the commit point: from here the new set is the partition.
//  3. The replaced files are deleted, then the intent.
//
// A run killed in between leaves the intent, and the next run resolves it
// before its first load (recoverSwaps, holding the run lock):
//
//   - phase "adding": rolled back, the files it added deleted. Some may be
//     missing, so the new set is not whole, and nothing of the old set was
//     deleted: rolling back restores exactly the partitions as they were,
//     and the load, whose window never reached the state (a window is
//     marked done only after its commit returns), is loaded again by the
//     rerun. Rolling forward would need the missing files, which only the
//     killed process had.
//   - phase "deleting": finished, the replaced files deleted. The new set
//     is whole and readers may already have read it, and some replaced
//     files may be gone, so the old set cannot come back.
//
// Between the first upload and the last delete a reader listing the
// partition finds both the old files and the new ones: the window
// BENCHMARKS.md measures (both_parts_ms in the commit's log line). A run
// killed in that window leaves both until the next run.
type swapIntent struct {
	Version int       `json:"version"`
	Phase   string    `json:"phase"`
	Table   string    `json:"table"`
	Stream  string    `json:"stream"`
	RunID   string    `json:"run_id"`
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	// Add are the keys the swap adds, Delete the keys they replace,
	// relative to the store's root.
	Add    []string `json:"add"`
	Delete []string `json:"delete"`

	key  string
	etag string
	// firstAdd is when the first upload started, lastAdd when the last
	// one ended; deleted when the last replaced file went.
	firstAdd, lastAdd, deleted time.Time
}

const (
	phaseAdding   = "adding"
	phaseDeleting = "deleting"
	// swapsDir is where intents live, beside the state: a reader globbing
	// <table>/**/*.parquet never reaches it.
	swapsDir      = StateDir + "/swaps/"
	intentVersion = 1
	// uploadWorkers is how many files a commit uploads at once: a part is
	// sent from its file, so each costs a connection, not memory.
	uploadWorkers = 4
)

// swapStep is called as a commit passes each step of its swap: "staged"
// (Prepare is done: on a local disk the new partitions are durable in
// staging; on an object store the new files are up beside the old and
// the intent says adding) and "swapping" (a local disk has renamed the
// first partition in, not the others; an object store's intent says
// deleting, the replaced files are not deleted yet). An error stops the
// commit there as a killed process would. ETL_TEST_SWAP_PAUSE=<step>:<duration>
// makes the built binary wait there, saying so on stderr, so that a test
// can kill it at that step; a variable, so that tests in this package can
// stop there.
var swapStep = pauseAt(os.Getenv("ETL_TEST_SWAP_PAUSE"))

// pauseAt reads ETL_TEST_SWAP_PAUSE.
func pauseAt(setting string) func(step string) error {
	at, d, _ := strings.Cut(setting, ":")
	wait, err := time.ParseDuration(d)
	if at == "" || err != nil {
		return func(string) error { return nil }
	}
	var once sync.Once
	return func(step string) error {
		if step == at {
			once.Do(func() {
				fmt.Fprintf(os.Stderr, "parquet: ETL_TEST_SWAP_PAUSE: pausing a commit %s at swap step %s\n", wait, step)
				time.Sleep(wait)
			})
		}
		return nil
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ready records the swap's intent, then uploads the stages' new files. On
// failure, what was uploaded is deleted again.
func (s objectStore) ready(ctx context.Context, table string, stages []partStage, dirs loadDirs) error {
	host, _ := os.Hostname()
	in := &swapIntent{Version: intentVersion, Phase: phaseAdding, Table: table, Stream: dirs.stream, RunID: dirs.run,
		Host: host, PID: os.Getpid(), Started: time.Now().UTC()}
	var uploads []localAdd // path, and the key it goes to
	for _, st := range stages {
		ost := st.(*objectStage)
		live := ost.liveNames()
		for i, a := range ost.adds {
			name := uniqueName(a.name, func(n string) bool { return live[n] })
			live[name] = true
			ost.adds[i].name = name
			uploads = append(uploads, localAdd{path: a.path, name: s.key(table, ost.part, name)})
			in.Add = append(in.Add, s.key(table, ost.part, name))
		}
		for _, name := range ost.replaced() {
			in.Delete = append(in.Delete, s.key(table, ost.part, name))
		}
		ost.intent = in
	}
	if len(in.Add) == 0 && len(in.Delete) == 0 {
		for _, st := range stages {
			st.(*objectStage).intent = nil
		}
		return nil
	}
	in.key = swapsDir + randomHex(8) + ".json"
	if err := s.writeIntent(ctx, in, objectstore.PutOptions{IfNoneMatch: true}); err != nil {
		return fmt.Errorf("record the commit's intent: %w", err)
	}
	in.firstAdd = time.Now()
	if err := s.upload(ctx, uploads); err != nil {
		return errors.Join(err, s.rollback(context.WithoutCancel(ctx), in))
	}
	in.lastAdd = time.Now()
	return swapStep("staged")
}

// upload puts each local file at its key, uploadWorkers at a time; the
// first error stops the others.
func (s objectStore) upload(ctx context.Context, files []localAdd) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan localAdd)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range min(uploadWorkers, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				if err := s.uploadFile(ctx, f.path, f.name); err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, f := range files {
		select {
		case next <- f:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// uploadFile sends a local file in sections of itself (a multipart upload
// above the store's part size), holding none of it in memory.
func (s objectStore) uploadFile(ctx context.Context, path, key string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = s.objs.Put(ctx, key, io.NewSectionReader(f, 0, st.Size()), objectstore.PutOptions{ContentType: parquetContentType})
	return err
}

func (s objectStore) writeIntent(ctx context.Context, in *swapIntent, opts objectstore.PutOptions) error {
	body, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		return err
	}
	opts.ContentType = "application/json"
	info, err := s.objs.Put(ctx, in.key, bytes.NewReader(append(body, '\n')), opts)
	if errors.Is(err, objectstore.ErrPreconditionFailed) && opts.IfMatch != "" {
		// A retried request whose first attempt landed fails its own
		// condition: the intent as it is now tells.
		var cur swapIntent
		b, info2, rerr := objectstore.ReadAll(ctx, s.objs, in.key)
		if rerr == nil && json.Unmarshal(b, &cur) == nil && cur.Phase == in.Phase && cur.Started.Equal(in.Started) && cur.PID == in.PID {
			in.etag = info2.ETag
			return nil
		}
	}
	if err != nil {
		return err
	}
	in.etag = info.ETag
	return nil
}

// swap marks the intent complete (the commit point), deletes the files the
// swap replaces, then the intent. It returns how many partitions were
// replaced: all of them once the intent is marked, none before.
func (s objectStore) swap(ctx context.Context, stages []partStage, warn func(error)) (int, error) {
	var in *swapIntent
	for _, st := range stages {
		if ost := st.(*objectStage); ost.intent != nil {
			in = ost.intent
		}
	}
	if in == nil {
		return len(stages), nil
	}
	// Once started, a swap finishes whatever the caller's context says: a
	// partition with both sets is worse than a commit that took longer.
	ctx = context.WithoutCancel(ctx)
	in.Phase = phaseDeleting
	if err := s.writeIntent(ctx, in, objectstore.PutOptions{IfMatch: in.etag}); err != nil {
		in.Phase = phaseAdding
		return 0, errors.Join(fmt.Errorf("mark the commit's intent complete: %w", err), s.rollback(ctx, in))
	}
	if err := swapStep("swapping"); err != nil {
		return len(stages), err
	}
	if err := s.objs.Delete(ctx, in.Delete...); err != nil {
		return len(stages), fmt.Errorf("delete the %d files the new ones replace (%w); the next run deletes them (%s/%s)",
			len(in.Delete), err, s.objs.Location(), in.key)
	}
	in.deleted = time.Now()
	if err := s.objs.Delete(ctx, in.key); err != nil {
		warn(fmt.Errorf("delete the intent of a finished commit (the next run does): %w", err))
	}
	return len(stages), nil
}

// abort rolls back a swap that ready recorded and that will not happen.
func (s objectStore) abort(ctx context.Context, stages []partStage) error {
	for _, st := range stages {
		if in := st.(*objectStage).intent; in != nil && in.Phase == phaseAdding {
			st.(*objectStage).intent = nil
			return s.rollback(context.WithoutCancel(ctx), in)
		}
	}
	return nil
}

// rollback deletes what a swap added, then its intent: the partitions are
// as before. If it fails, the intent stays for the next run to roll back.
func (s objectStore) rollback(ctx context.Context, in *swapIntent) error {
	if err := s.objs.Delete(ctx, in.Add...); err != nil {
		return fmt.Errorf("delete the files of a commit that did not happen (the next run does, %s/%s): %w", s.objs.Location(), in.key, err)
	}
	if err := s.objs.Delete(ctx, in.key); err != nil {
		return fmt.Errorf("delete the intent of a commit that did not happen (the next run does): %w", err)
	}
	return nil
}

// bothParts is how long readers could see both the old and the new files
// of the swap's partitions (first upload to last delete), and how long
// after the last upload the last delete came; ok is false when the swap
// replaced nothing.
func (in *swapIntent) bothParts() (window, afterAdds time.Duration, ok bool) {
	if in == nil || in.deleted.IsZero() || len(in.Delete) == 0 {
		return 0, 0, false
	}
	return in.deleted.Sub(in.firstAdd), in.deleted.Sub(in.lastAdd), true
}

// recoverSwaps resolves the intents a killed run left: rolled back while
// adding, finished while deleting (see above). The caller holds the run
// lock, so no live commit has an intent here. It returns how many it
// rolled back and how many it finished.
func recoverSwaps(ctx context.Context, objs objectstore.Store, log *slog.Logger) (rolledBack, finished int, err error) {
	keys, err := objectstore.Keys(ctx, objs, swapsDir)
	if err != nil {
		return 0, 0, fmt.Errorf("list the intents of interrupted commits: %w", err)
	}
	s := objectStore{objs: objs}
	for _, key := range keys {
		if path.Ext(key) != ".json" {
			continue
		}
		b, _, err := objectstore.ReadAll(ctx, objs, key)
		if notFound(err) {
			continue
		}
		if err != nil {
			return rolledBack, finished, err
		}
		var in swapIntent
		if err := json.Unmarshal(b, &in); err != nil || (in.Phase != phaseAdding && in.Phase != phaseDeleting) {
			return rolledBack, finished, fmt.Errorf("%s/%s is not the intent of a commit (%v): etl writes only intents under %s; move it away", objs.Location(), key, err, swapsDir)
		}
		if in.Version > intentVersion {
			return rolledBack, finished, fmt.Errorf("%s/%s has version %d, this etl understands up to %d: upgrade etl", objs.Location(), key, in.Version, intentVersion)
		}
		in.key = key
		who := []any{"table", in.Table, "stream", in.Stream, "run", in.RunID, "host", in.Host, "pid", in.PID, "started", in.Started}
		if in.Phase == phaseAdding {
			if err := s.rollback(ctx, &in); err != nil {
				return rolledBack, finished, err
			}
			rolledBack++
			log.Warn("parquet: rolled back a commit a stopped run left half uploaded: its partitions are as before, and its window loads again",
				append(who, "files_deleted", len(in.Add))...)
			continue
		}
		if err := objs.Delete(ctx, in.Delete...); err != nil {
			return rolledBack, finished, fmt.Errorf("finish a commit a stopped run left (%s/%s): %w", objs.Location(), key, err)
		}
		if err := objs.Delete(ctx, key); err != nil {
			return rolledBack, finished, err
		}
		finished++
		log.Warn("parquet: finished a commit a stopped run left half done: the files its new ones replace are deleted",
			append(who, "files_deleted", len(in.Delete))...)
	}
	return rolledBack, finished, nil
}

// bothParts is bothParts of the load's swap, on an object store.
func (w *Writer) bothParts() (window, afterAdds time.Duration, ok bool) {
	for _, st := range w.stages {
		if ost, isObject := st.(*objectStage); isObject && ost.intent != nil {
			return ost.intent.bothParts()
		}
	}
	return 0, 0, false
}
