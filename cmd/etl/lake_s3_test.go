package main

import (
	"context"
	"fmt"
	"maps"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/sandbox"
	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
	pqsink "github.com/adoptionlabs/etl/load/parquet"
	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/objectstore/s3"
	"github.com/adoptionlabs/etl/pipeline"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/state/objectstate"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

// A lake is where a test's loads go: a local directory, or a prefix of
// the MinIO bucket of make test. The scenarios below run the built binary
// against both alike.
type lake struct {
	out string
	// env is what the binary needs to reach it: the S3 endpoint and root
	// credentials through the AWS SDK's standard variables.
	env map[string]string
	srv testsupport.S3Server
	// objs is the bucket's prefix (nil on a local disk).
	objs objectstore.Store
}

var lakeKinds = []string{"local disk", "minio"}

func newLake(t *testing.T, kind string) lake {
	t.Helper()
	if kind == "local disk" {
		return lake{out: t.TempDir(), env: map[string]string{}}
	}
	srv := testsupport.S3(t)
	prefix := srv.Prefix(t)
	return lake{out: srv.URL(prefix), env: awsEnv(t, srv, srv.Root), srv: srv, objs: bucketPrefix(t, srv, prefix)}
}

func (l lake) onS3() bool { return l.objs != nil }

// awsEnv is the environment the binary reaches the test server with.
func awsEnv(t *testing.T, srv testsupport.S3Server, creds testsupport.S3Credentials) map[string]string {
	env := map[string]string{}
	for _, kv := range srv.Env(t, creds) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}

// bucketPrefix reads a prefix of the test bucket as root.
func bucketPrefix(t *testing.T, srv testsupport.S3Server, prefix string) *s3.Store {
	t.Helper()
	objs, err := s3.Open(context.Background(), objectstore.URL{Bucket: srv.Bucket, Prefix: prefix}, s3.Options{Config: &aws.Config{
		Region:       srv.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(srv.Root.AccessKeyID, srv.Root.SecretAccessKey, ""),
		BaseEndpoint: aws.String(srv.Endpoint),
	}})
	require.NoError(t, err)
	return objs
}

// dir is a local directory holding the lake's tables as they are now: the
// directory itself, or a copy of the bucket's prefix (DuckDB's httpfs does
// not install offline, so DuckDB reads copies).
func (l lake) dir(t *testing.T) string {
	t.Helper()
	if !l.onS3() {
		return l.out
	}
	ctx := context.Background()
	dir := t.TempDir()
	for info, err := range l.objs.List(ctx, "") {
		require.NoError(t, err)
		if strings.HasPrefix(info.Key, pqsink.StateDir+"/") {
			continue
		}
		b, _, err := objectstore.ReadAll(ctx, l.objs, info.Key)
		require.NoError(t, err)
		path := filepath.Join(dir, filepath.FromSlash(info.Key))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, b, 0o644))
	}
	return dir
}

// keys lists everything the lake holds, state included.
func (l lake) keys(t *testing.T) []string {
	t.Helper()
	if l.onS3() {
		keys, err := objectstore.Keys(context.Background(), l.objs, "")
		require.NoError(t, err)
		return keys
	}
	var out []string
	require.NoError(t, filepath.WalkDir(l.out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(l.out, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	}))
	return out
}

// intents are the commits on S3 a stopped run left to resolve.
func (l lake) intents(t *testing.T) []string {
	var out []string
	for _, k := range l.keys(t) {
		if strings.HasPrefix(k, pqsink.StateDir+"/swaps/") {
			out = append(out, k)
		}
	}
	return out
}

// chCount counts a table's rows and distinct ids with chdb, a reader that
// did not write the files: file() on a local disk, s3() on MinIO, as
// ClickHouse users query a lake, with hive partitioning.
func (l lake) chCount(t *testing.T, table string) map[string]any {
	t.Helper()
	src := fmt.Sprintf("file('%s/%s/**/*.parquet', Parquet)", l.out, table)
	if l.onS3() {
		u, err := objectstore.ParseURL(l.out)
		require.NoError(t, err)
		src = fmt.Sprintf("s3('%s/%s/%s/%s/**/*.parquet', '%s', '%s', 'Parquet')",
			l.srv.Endpoint, u.Bucket, u.Prefix, table, l.srv.Root.AccessKeyID, l.srv.Root.SecretAccessKey)
	}
	return testsupport.ChDB(t, "SELECT count() AS n, uniqExact(id) AS k FROM "+src+" SETTINGS use_hive_partitioning = 1")[0][0]
}

// runBin runs the built binary in a directory of its own, as a job in a
// fresh container would: nothing on local disk but what the lake holds.
func runBin(t *testing.T, bin string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = environ(env)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errb.String()
}

// userflowConfig is a pipelines.yaml with the Userflow source of the
// sandbox's environment, and extra.
func userflowConfig(t *testing.T, extra string) string {
	path := filepath.Join(t.TempDir(), "pipelines.yaml")
	base := "version: 1\nsources:\n  userflow:\n    base_url: ${USERFLOW_BASE_URL}\n    api_key: ${USERFLOW_API_KEY}\n    rate_limit: ${USERFLOW_RATE_LIMIT:-unlimited}\n"
	require.NoError(t, os.WriteFile(path, []byte(base+extra), 0o644))
	return path
}

func merged(maps_ ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps_ {
		maps.Copy(out, m)
	}
	return out
}

// userflowLake serves Userflow from a fake the test can change, and says
// what the lake should hold of it.
type userflowLake struct {
	fake     *userflowfake.Fake
	env      map[string]string
	from, to time.Time
	today    time.Time
}

func newUserflowLake(t *testing.T, seed int64, days int) *userflowLake {
	now := time.Now().UTC()
	fake := userflowfake.New(userflowfake.Options{Seed: seed, Now: now, Scale: 0.3})
	srv, err := sandbox.Start(fake)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	today := window.Floor(now)
	return &userflowLake{fake: fake, today: today, from: today.AddDate(0, 0, -days), to: today.AddDate(0, 0, -1),
		env: map[string]string{"USERFLOW_BASE_URL": srv.URL, "USERFLOW_API_KEY": userflowfake.DemoAPIKey, "USERFLOW_RATE_LIMIT": "unlimited"}}
}

func (u *userflowLake) backfill(chunk string, extra ...string) []string {
	return append([]string{"backfill", "--stream", "content_sessions", "--from", u.from.Format(time.DateOnly), "--to", u.to.Format(time.DateOnly), "--chunk", chunk}, extra...)
}

// exact asserts the lake holds the source's sessions of the range, each
// once, in its latest state, as DuckDB (on a copy) and chdb read them.
func (u *userflowLake) exact(t *testing.T, l lake, step string) {
	t.Helper()
	var want []string
	for _, s := range u.fake.SessionsBetween(u.from, u.today) {
		p, err := strconv.ParseFloat(s.Progress, 64)
		require.NoError(t, err)
		want = append(want, fmt.Sprintf("%s %s %d", s.ID, s.LastActivityAt.UTC().Format(time.DateTime), int64(p*1000+0.5)))
	}
	slices.Sort(want)
	require.Greater(t, len(want), 100, "the source has sessions in the range")
	assert.Equal(t, want, sessionLines(t, l.dir(t)), "%s: the files hold the source's sessions, each once, in its latest state", step)
	assert.Equal(t, map[string]any{"n": int64(len(want)), "k": int64(len(want))}, l.chCount(t, "userflow_content_sessions"), "%s: chdb", step)
	assert.Empty(t, l.intents(t), "%s: no commit left to resolve", step)
}

// comeBack gives a share of the range's sessions later activity within the
// range, as users return.
func (u *userflowLake) comeBack(t *testing.T, rng *rand.Rand, share float64) {
	n := 0
	latest := u.today.Add(-time.Minute)
	for _, s := range u.fake.SessionsBetween(u.from, latest) {
		if rng.Float64() < share {
			later := s.LastActivityAt.Add(time.Duration(1+rng.Int63n(int64(latest.Sub(s.LastActivityAt)/time.Minute))) * time.Minute)
			require.NoError(t, u.fake.TouchSession(s.ID, later, fmt.Sprint(0.5+rng.Float64()/2), false))
			n++
		}
	}
	require.Positive(t, n)
}

// The same backfill twice, a source change and the same command again,
// windows in any order into a second place, and a nightly run: after each
// the lake holds every session once, on a local disk and on S3 alike; and
// the second place's loads leave the first one's progress as it was.
func TestLakeLoadsAreExact(t *testing.T) {
	bin := buildBinary(t)
	for _, kind := range lakeKinds {
		t.Run(kind, func(t *testing.T) {
			u := newUserflowLake(t, 27, 12)
			first, second := newLake(t, kind), newLake(t, kind)
			run := func(l lake, args ...string) {
				t.Helper()
				code, stdout, stderr := runBin(t, bin, merged(u.env, l.env), append(args, "--out", l.out)...)
				require.Equal(t, exitOK, code, "etl %s: %s%s", strings.Join(args, " "), stdout, stderr)
			}
			stateOf := func(l lake) string {
				code, stdout, stderr := runBin(t, bin, l.env, "state", "show", "--out", l.out)
				require.Equal(t, exitOK, code, stderr)
				return stdout
			}
			run(first, u.backfill("1d")...)
			u.exact(t, first, "a backfill in 1-day chunks")
			run(first, u.backfill("1d")...)
			u.exact(t, first, "the same backfill twice")
			u.comeBack(t, rand.New(rand.NewSource(4)), 0.15)
			run(first, u.backfill("1d")...)
			u.exact(t, first, "the same command after sessions came back")
			firstState := stateOf(first)
			require.Contains(t, firstState, "content_sessions")

			for _, w := range [][2]int{{-4, -1}, {-12, -9}, {-8, -5}, {-6, -2}} {
				run(second, "backfill", "--stream", "content_sessions", "--from", u.today.AddDate(0, 0, w[0]).Format(time.DateOnly),
					"--to", u.today.AddDate(0, 0, w[1]).Format(time.DateOnly), "--chunk", "2d")
			}
			u.exact(t, second, "windows in any order, in a second place")
			assert.Equal(t, firstState, stateOf(first), "loading a second place leaves the first one's progress as it was")

			run(first, "run", "--stream", "content_sessions", "--lookback", "2d")
			u.exact(t, first, "a nightly run")
		})
	}
}

// kill -9 in the middle of a commit's swap, at each of its steps, then the
// same command: the lake is exact. On S3 the killed run leaves its intent,
// which the rerun rolls back (the new files were only uploaded) or
// finishes (the intent said the new set was complete).
func TestLakeKilledMidSwapIsExact(t *testing.T) {
	bin := buildBinary(t)
	for _, kind := range lakeKinds {
		for _, step := range []string{"staged", "swapping"} {
			t.Run(kind+" at "+step, func(t *testing.T) {
				u := newUserflowLake(t, 31, 12)
				// The range spans the start of a month, so that one commit
				// of the whole range replaces two partitions (a local disk
				// swaps them one after the other).
				month := time.Date(u.today.Year(), u.today.Month(), 1, 0, 0, 0, 0, time.UTC)
				if u.today.Sub(month) < 3*window.Day {
					month = month.AddDate(0, -1, 0)
				}
				u.from, u.to = month.AddDate(0, 0, -6), month.AddDate(0, 0, 5)
				if yesterday := u.today.AddDate(0, 0, -1); u.to.After(yesterday) {
					u.to = yesterday
				}
				l := newLake(t, kind)
				// Load the range once, then change the source so that the
				// killed commit replaces files.
				code, _, stderr := runBin(t, bin, merged(u.env, l.env), append(u.backfill("3d"), "--out", l.out)...)
				require.Equal(t, exitOK, code, stderr)
				u.comeBack(t, rand.New(rand.NewSource(9)), 0.3)

				cmd := exec.Command(bin, append(u.backfill("31d"), "--out", l.out)...)
				cmd.Dir = t.TempDir()
				cmd.Env = environ(merged(u.env, l.env, map[string]string{"ETL_TEST_SWAP_PAUSE": step + ":2m"}))
				pipe, err := cmd.StderrPipe()
				require.NoError(t, err)
				require.NoError(t, cmd.Start())
				var seen strings.Builder
				paused := waitForLine(pipe, "ETL_TEST_SWAP_PAUSE: pausing", 1, &seen)
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				_ = cmd.Wait()
				require.True(t, paused, "the commit reached step %s: %s", step, seen.String())
				if l.onS3() {
					// One table's at staged (a window's tables prepare in
					// turn); at swapping both of the window's tables may be
					// waiting there.
					require.NotEmpty(t, l.intents(t), "the killed commit's intent is left in the bucket")
				}

				code, _, stderr = runBin(t, bin, merged(u.env, l.env), append(u.backfill("31d"), "--out", l.out)...)
				require.Equal(t, exitOK, code, stderr)
				if l.onS3() {
					want := map[string]string{"staged": "rolled back a commit a stopped run left half uploaded", "swapping": "finished a commit a stopped run left half done"}[step]
					assert.Contains(t, stderr, want)
				}
				u.exact(t, l, "killed at "+step+", then the same command")
			})
		}
	}
}

// Two runs at once into one place: the second is refused, naming the
// holder, whichever lock refuses it (the directory's, or the run lock in
// the bucket).
func TestLakeTwoRunsAtOnce(t *testing.T) {
	bin := buildBinary(t)
	for _, kind := range lakeKinds {
		t.Run(kind, func(t *testing.T) {
			env := slowSandbox(t)
			l := newLake(t, kind)
			cmd := exec.Command(bin, "backfill", "--stream", "content_sessions", "--from", daysAgo(14), "--to", daysAgo(1), "--chunk", "1d", "--parallel", "1", "--out", l.out)
			cmd.Dir = t.TempDir()
			cmd.Env = environ(merged(env, l.env))
			pipe, err := cmd.StderrPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() })
			var seen strings.Builder
			require.True(t, waitForLine(pipe, "run started", 1, &seen), seen.String())

			code, _, stderr := runBin(t, bin, merged(env, l.env), "run", "--stream", "content_sessions", "--out", l.out)
			assert.Equal(t, exitFailed, code, stderr)
			assert.Contains(t, stderr, fmt.Sprintf("host %s pid %d since ", state.Hostname(), cmd.Process.Pid), "the refusal names the holder")
		})
	}
}

// A run that stopped without releasing its lock, on another host: runs are
// refused, naming it, until it has had no heartbeat for state.lock_ttl;
// then the next run takes the lock over and says so.
func TestLakeLockOfAStoppedRunIsTakenOverAfterItsTTL(t *testing.T) {
	bin := buildBinary(t)
	for _, kind := range lakeKinds {
		t.Run(kind, func(t *testing.T) {
			env := userflowSandbox(t)
			l := newLake(t, kind)
			ctx := context.Background()
			var store state.Store
			if l.onS3() {
				st, err := objectstate.Open(ctx, l.objs)
				require.NoError(t, err)
				store = st
			} else {
				st, err := state.OpenFile(filepath.Join(l.out, pqsink.StateDir))
				require.NoError(t, err)
				store = st
			}
			const ttl = 2 * time.Second
			_, _, err := store.Lock(ctx, pipeline.LockName, ttl, state.Holder{Host: "other-host", PID: 4242, Command: "etl run"})
			require.NoError(t, err)
			require.NoError(t, store.Close()) // stops the heartbeat, as a crash would
			taken := time.Now()

			config := userflowConfig(t, "state:\n  lock_ttl: 2s\n")
			args := []string{"--config", config, "run", "--stream", "content_sessions", "--out", l.out}
			code, _, stderr := runBin(t, bin, merged(env, l.env), args...)
			assert.Equal(t, exitFailed, code, stderr)
			assert.Contains(t, stderr, `another etl run holds the lock "etl": host other-host pid 4242`)

			time.Sleep(time.Until(taken.Add(ttl + 2*time.Second)))
			code, _, stderr = runBin(t, bin, merged(env, l.env), args...)
			assert.Equal(t, exitOK, code, stderr)
			assert.Contains(t, stderr, "taking over a stale lock")
			assert.Contains(t, stderr, "other-host")
		})
	}
}

// Bad places are bad configuration, said before any request, and never a
// local directory named "s3:"; a missing bucket, rejected credentials and
// a read-only key fail the run with a line naming the bucket, the prefix
// and what was denied, and nothing is written.
func TestLakeBadPlacesAndKeys(t *testing.T) {
	bin := buildBinary(t)
	env, requests := countedUserflowSandbox(t)
	for _, out := range []string{"s3:/lake/etl", "gs://lake/etl", "s3://Lake/etl", "S3://lake/etl"} {
		cmd := exec.Command(bin, "backfill", "--stream", "content_sessions", "--from", daysAgo(3), "--to", daysAgo(1), "--out", out)
		cmd.Dir = t.TempDir()
		cmd.Env = environ(env)
		b, err := cmd.CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "%s: %s", out, b)
		assert.Equal(t, exitUsage, ee.ExitCode(), "%s: %s", out, b)
		assert.Contains(t, string(b), "take a local directory, or s3://BUCKET/PREFIX", out)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(string(b)), "\n")+1, "one line: %s", b)
		entries, err := os.ReadDir(cmd.Dir)
		require.NoError(t, err)
		assert.Empty(t, entries, "%s: nothing written locally", out)
	}
	config := filepath.Join(t.TempDir(), "pipelines.yaml")
	require.NoError(t, os.WriteFile(config, []byte("version: 1\nsink:\n  parquet:\n    dir: s3:/lake/etl\n"), 0o644))
	code, _, stderr := runBin(t, bin, env, "--config", config, "run", "--stream", "content_sessions")
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, `object storage URL "s3:/lake/etl"`)
	assert.Zero(t, requests.Load(), "no request to the source")

	srv := testsupport.S3(t)
	l := newLake(t, "minio")
	u, err := objectstore.ParseURL(l.out)
	require.NoError(t, err)
	ro := awsEnv(t, srv, srv.ReadOnly)
	wrong := merged(l.env, map[string]string{"AWS_SECRET_ACCESS_KEY": "not-the-secret-" + strconv.Itoa(rand.Int())})
	for _, tc := range []struct {
		name string
		env  map[string]string
		out  string
		want []string
	}{
		{"read-only key", ro, l.out, []string{l.out + ": cannot put, delete", "PutObject denied", "s3:PutObject on " + u.Bucket + "/" + u.Prefix + "/*"}},
		{"wrong credentials", wrong, l.out, []string{l.out, "rejected the credentials"}},
		{"missing bucket", l.env, "s3://no-such-bucket-for-etl/" + u.Prefix, []string{"s3://no-such-bucket-for-etl/" + u.Prefix, `bucket "no-such-bucket-for-etl" does not exist at this endpoint`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBin(t, bin, merged(env, tc.env), "backfill", "--stream", "content_sessions", "--from", daysAgo(3), "--to", daysAgo(1), "--out", tc.out)
			assert.Equal(t, exitFailed, code, stdout+stderr)
			for _, w := range tc.want {
				assert.Contains(t, stderr, w)
			}
			assert.NotContains(t, stderr, tc.env["AWS_SECRET_ACCESS_KEY"], "no secret in the error")
			assert.Empty(t, l.keys(t), "nothing half-written")
		})
	}

	config = userflowConfig(t, "state:\n  location: file\n")
	code, _, stderr = runBin(t, bin, merged(env, l.env), "--config", config, "run", "--stream", "content_sessions", "--out", l.out)
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "state.location file: Parquet under "+l.out+" keeps its state in "+l.out+"/_etl")
}

// With an S3 sink the state lives in the bucket: a job in a fresh
// container (nothing on local disk) sees the watermark the last one left
// and continues from it; etl check tests the bucket; etl views reads it.
func TestLakeStateLivesInTheBucket(t *testing.T) {
	bin := buildBinary(t)
	env := userflowSandbox(t)
	l := newLake(t, "minio")
	code, _, stderr := runBin(t, bin, merged(env, l.env), "backfill", "--stream", "content_sessions", "--from", daysAgo(8), "--to", daysAgo(4), "--chunk", "2d", "--out", l.out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, l.keys(t), "_etl/state.json")

	code, stdout, stderr := runBin(t, bin, l.env, "state", "show", "--out", l.out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "kept in the destination itself, "+l.out+"/_etl")
	assert.Regexp(t, `userflow\s+content_sessions\s+`+daysAgo(3)+`T00:00:00Z`, stdout)

	// The nightly run starts at the watermark less the lookback (2d); with
	// no state it would start at the initial period (yesterday).
	code, stdout, stderr = runBin(t, bin, merged(env, l.env), "run", "--stream", "content_sessions", "--out", l.out)
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `content_sessions\s+`+daysAgo(5)+`\.\.`, stdout, "the run continues from the watermark in the bucket")

	code, stdout, stderr = runBin(t, bin, merged(env, l.env), "check", "--out", l.out)
	assert.Equal(t, exitOK, code, stdout+stderr)
	for _, right := range []string{"list", "put", "delete"} {
		assert.Contains(t, stdout, "sink parquet "+right+" under "+l.out+"/: ok")
	}
	code, stdout, _ = runBin(t, bin, merged(env, awsEnv(t, l.srv, l.srv.ReadOnly)), "check", "--out", l.out)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stdout, "sink parquet list under "+l.out+"/: ok")
	assert.Contains(t, stdout, "sink parquet put under "+l.out+"/: WRONG: ")
	assert.Contains(t, stdout, "PutObject denied")

	code, stdout, stderr = runBin(t, bin, l.env, "views", "--dialect", "duckdb", "--data", l.out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "read_parquet('"+l.out+"/userflow_content_sessions/**/*.parquet', hive_partitioning = true")
	assert.Contains(t, stdout, "-- bot_usage_monthly (replace-window): no files under "+l.out+" yet")
}
