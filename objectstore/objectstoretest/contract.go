// Package objectstoretest is the behaviour every objectstore.Store must
// have, written once and run against each store (a directory, MinIO), so
// that what is built on the interface behaves the same on both.
package objectstoretest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/objectstore"
)

// Options describe the store under test.
type Options struct {
	// BigSize is the size of the body that must take the store's
	// multipart path (more than two parts on S3).
	BigSize int64
	// ListPage is the store's page size for List, so that the listing
	// test spans several pages (0: a single page is fine).
	ListPage int
}

// StoreContract runs the contract. open returns a fresh, empty store for
// each call, rooted where no other test writes.
func StoreContract(t *testing.T, open func(t *testing.T) objectstore.Store, opts Options) {
	t.Run("put get stat", func(t *testing.T) { putGetStat(t, open(t)) })
	t.Run("missing keys", func(t *testing.T) { missing(t, open(t)) })
	t.Run("if none match", func(t *testing.T) { ifNoneMatch(t, open(t)) })
	t.Run("if match", func(t *testing.T) { ifMatch(t, open(t)) })
	t.Run("racing conditional puts", func(t *testing.T) { racingPuts(t, open(t)) })
	t.Run("list", func(t *testing.T) { list(t, open(t), opts.ListPage) })
	t.Run("delete", func(t *testing.T) { deleteKeys(t, open(t)) })
	t.Run("delete if", func(t *testing.T) { deleteIf(t, open(t)) })
	t.Run("big body", func(t *testing.T) { bigBody(t, open(t), opts.BigSize) })
	t.Run("failed body leaves nothing", func(t *testing.T) { failedBody(t, open(t), opts.BigSize) })
	t.Run("ranged reads", func(t *testing.T) { rangedReads(t, open(t)) })
	t.Run("invalid keys", func(t *testing.T) { invalidKeys(t, open(t)) })
	t.Run("access check", func(t *testing.T) { accessCheck(t, open(t)) })
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func put(t *testing.T, s objectstore.Store, key, body string) objectstore.ObjectInfo {
	t.Helper()
	info, err := s.Put(ctxFor(t), key, strings.NewReader(body), objectstore.PutOptions{})
	require.NoError(t, err)
	return info
}

func read(t *testing.T, s objectstore.Store, key string) string {
	t.Helper()
	b, _, err := objectstore.ReadAll(ctxFor(t), s, key)
	require.NoError(t, err)
	return string(b)
}

func putGetStat(t *testing.T, s objectstore.Store) {
	ctx := ctxFor(t)
	before := time.Now()
	info, err := s.Put(ctx, "a/b/c.json", strings.NewReader(`{"x":1}`), objectstore.PutOptions{ContentType: "application/json"})
	require.NoError(t, err)
	assert.Equal(t, "a/b/c.json", info.Key)
	assert.EqualValues(t, 7, info.Size)
	assert.NotEmpty(t, info.ETag)

	r, got, err := s.Get(ctx, "a/b/c.json")
	require.NoError(t, err)
	b, err := io.ReadAll(r)
	require.NoError(t, r.Close())
	require.NoError(t, err)
	assert.Equal(t, `{"x":1}`, string(b))
	assert.Equal(t, info.ETag, got.ETag)
	assert.EqualValues(t, 7, got.Size)

	st, err := s.Stat(ctx, "a/b/c.json")
	require.NoError(t, err)
	assert.Equal(t, info.ETag, st.ETag)
	assert.EqualValues(t, 7, st.Size)
	// Both clocks are the store's; S3's are whole seconds.
	assert.WithinDuration(t, before, st.LastModified, time.Minute)
	age := st.ServerTime.Sub(st.LastModified)
	assert.True(t, age > -time.Second && age < time.Minute, "age by the store's clock: %s", age)

	again := put(t, s, "a/b/c.json", `{"x":2}`)
	assert.NotEqual(t, info.ETag, again.ETag, "a new version has a new ETag")
	assert.Equal(t, `{"x":2}`, read(t, s, "a/b/c.json"))

	empty := put(t, s, "empty", "")
	assert.EqualValues(t, 0, empty.Size)
	assert.Equal(t, "", read(t, s, "empty"))
}

func missing(t *testing.T, s objectstore.Store) {
	ctx := ctxFor(t)
	_, _, err := s.Get(ctx, "nope/x")
	assert.ErrorIs(t, err, objectstore.ErrNotFound)
	_, err = s.Stat(ctx, "nope/x")
	assert.ErrorIs(t, err, objectstore.ErrNotFound)
	_, err = s.Open(ctx, "nope/x")
	assert.ErrorIs(t, err, objectstore.ErrNotFound)
	assert.NoError(t, s.Delete(ctx, "nope/x"), "deleting a missing key is fine")
	put(t, s, "dir/x", "1")
	_, err = s.Stat(ctx, "dir")
	assert.ErrorIs(t, err, objectstore.ErrNotFound, "a prefix is no object")
}

func ifNoneMatch(t *testing.T, s objectstore.Store) {
	ctx := ctxFor(t)
	first, err := s.Put(ctx, "lock", strings.NewReader("first"), objectstore.PutOptions{IfNoneMatch: true})
	require.NoError(t, err)
	_, err = s.Put(ctx, "lock", strings.NewReader("second"), objectstore.PutOptions{IfNoneMatch: true})
	require.ErrorIs(t, err, objectstore.ErrPreconditionFailed)
	st, err := s.Stat(ctx, "lock")
	require.NoError(t, err)
	assert.Equal(t, first.ETag, st.ETag)
	assert.Equal(t, "first", read(t, s, "lock"))

	_, err = s.Put(ctx, "x", strings.NewReader("1"), objectstore.PutOptions{IfNoneMatch: true, IfMatch: first.ETag})
	assert.Error(t, err, "both conditions at once")
}

func ifMatch(t *testing.T, s objectstore.Store) {
	ctx := ctxFor(t)
	v1 := put(t, s, "doc", "v1")
	v2, err := s.Put(ctx, "doc", strings.NewReader("v2"), objectstore.PutOptions{IfMatch: v1.ETag})
	require.NoError(t, err)
	_, err = s.Put(ctx, "doc", strings.NewReader("v3"), objectstore.PutOptions{IfMatch: v1.ETag})
	require.ErrorIs(t, err, objectstore.ErrPreconditionFailed, "a stale ETag")
	assert.Equal(t, "v2", read(t, s, "doc"))
	_, err = s.Put(ctx, "doc", strings.NewReader("v3"), objectstore.PutOptions{IfMatch: v2.ETag})
	require.NoError(t, err)
	assert.Equal(t, "v3", read(t, s, "doc"))

	_, err = s.Put(ctx, "never", strings.NewReader("x"), objectstore.PutOptions{IfMatch: v2.ETag})
	require.ErrorIs(t, err, objectstore.ErrPreconditionFailed, "If-Match on a missing key")
	_, err = s.Stat(ctx, "never")
	assert.ErrorIs(t, err, objectstore.ErrNotFound)
}

// racingPuts: of writers racing with the same condition, exactly one wins.
func racingPuts(t *testing.T, s objectstore.Store) {
	ctx := ctxFor(t)
	const writers = 8
	// Each race writes bodies of its own: S3's ETag is the MD5 of the bytes,
	// so a writer that wrote the very bytes already there would leave the
	// ETag as it was, and a second If-Match on it would rightly succeed.
	race := func(what, key string, opts objectstore.PutOptions) (winners int, body string) {
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			start = make(chan struct{})
		)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				mine := fmt.Sprintf("%s by writer %d", what, i)
				_, err := s.Put(ctx, key, strings.NewReader(mine), opts)
				if err != nil {
					assert.ErrorIs(t, err, objectstore.ErrPreconditionFailed)
					return
				}
				mu.Lock()
				winners++
				body = mine
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		return winners, body
	}
	for round := range 3 {
		key := fmt.Sprintf("create-%d", round)
		n, body := race("create", key, objectstore.PutOptions{IfNoneMatch: true})
		require.Equal(t, 1, n, "round %d: exactly one create wins", round)
		assert.Equal(t, body, read(t, s, key))

		st, err := s.Stat(ctx, key)
		require.NoError(t, err)
		n, body = race("replace", key, objectstore.PutOptions{IfMatch: st.ETag})
		require.Equal(t, 1, n, "round %d: exactly one replace of one version wins", round)
		assert.Equal(t, body, read(t, s, key))
	}
}

func list(t *testing.T, s objectstore.Store, page int) {
	ctx := ctxFor(t)
	keys := []string{
		"t/dt=2026-01-01/part-1.parquet", "t/dt=2026-01-01/part-2.parquet", "t/dt=2026-01-02/part-1.parquet",
		"t-other/x", "u/y", "top",
	}
	// Enough keys for several pages of the store's page size.
	for i := range max(page*2+1, 3) {
		keys = append(keys, fmt.Sprintf("many/%04d", i))
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := s.Put(ctx, k, strings.NewReader(k), objectstore.PutOptions{})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()

	cases := []struct {
		prefix string
		want   []string
	}{
		{"t/", []string{"t/dt=2026-01-01/part-1.parquet", "t/dt=2026-01-01/part-2.parquet", "t/dt=2026-01-02/part-1.parquet"}},
		// Byte order of whole keys: '-' sorts before '/'.
		{"t", []string{"t-other/x", "t/dt=2026-01-01/part-1.parquet", "t/dt=2026-01-01/part-2.parquet", "t/dt=2026-01-02/part-1.parquet", "top"}},
		{"t/dt=2026-01-0", []string{"t/dt=2026-01-01/part-1.parquet", "t/dt=2026-01-01/part-2.parquet", "t/dt=2026-01-02/part-1.parquet"}},
		{"t/dt=2026-01-02/", []string{"t/dt=2026-01-02/part-1.parquet"}},
		{"to", []string{"top"}},
		{"nope/", nil},
		{"nope/deeper/", nil},
	}
	for _, tc := range cases {
		got, err := objectstore.Keys(ctx, s, tc.prefix)
		require.NoError(t, err, tc.prefix)
		assert.Equal(t, tc.want, got, "prefix %q", tc.prefix)
	}

	all, err := objectstore.Keys(ctx, s, "")
	require.NoError(t, err)
	want := append([]string(nil), keys...)
	sortStrings(want)
	assert.Equal(t, want, all, "everything, in key order, across pages")

	many, err := objectstore.Keys(ctx, s, "many/")
	require.NoError(t, err)
	assert.Len(t, many, max(page*2+1, 3))

	for info, err := range s.List(ctx, "t/") {
		require.NoError(t, err)
		assert.EqualValues(t, len(info.Key), info.Size)
		assert.NotEmpty(t, info.ETag)
		break // stopping early is fine
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func deleteKeys(t *testing.T, s objectstore.Store) {
	ctx := ctxFor(t)
	// More keys than one DeleteObjects request takes (1000), few of which
	// exist, spread over both batches.
	var keys []string
	for i := range 1100 {
		keys = append(keys, fmt.Sprintf("d/%04d", i))
	}
	exist := []int{0, 999, 1000, 1099}
	for _, i := range exist {
		put(t, s, keys[i], "x")
	}
	put(t, s, "keep/me", "x")
	require.NoError(t, s.Delete(ctx, keys...))
	left, err := objectstore.Keys(ctx, s, "")
	require.NoError(t, err)
	assert.Equal(t, []string{"keep/me"}, left)
	require.NoError(t, s.Delete(ctx), "nothing to delete")
}

func deleteIf(t *testing.T, s objectstore.Store) {
	ctx := ctxFor(t)
	v1 := put(t, s, "lock", "v1")
	v2, err := s.Put(ctx, "lock", strings.NewReader("v2"), objectstore.PutOptions{IfMatch: v1.ETag})
	require.NoError(t, err)
	err = s.DeleteIf(ctx, "lock", v1.ETag)
	if errors.Is(err, objectstore.ErrNotSupported) {
		t.Skipf("%s: conditional delete not supported", s.Location())
	}
	require.ErrorIs(t, err, objectstore.ErrPreconditionFailed, "a stale ETag")
	assert.Equal(t, "v2", read(t, s, "lock"))
	require.NoError(t, s.DeleteIf(ctx, "lock", v2.ETag))
	_, err = s.Stat(ctx, "lock")
	require.ErrorIs(t, err, objectstore.ErrNotFound)
	err = s.DeleteIf(ctx, "lock", v2.ETag)
	assert.True(t, errors.Is(err, objectstore.ErrNotFound) || errors.Is(err, objectstore.ErrPreconditionFailed),
		"a missing key: not found or precondition failed, got %v", err)
}

// patterned is n bytes of a pattern no two parts share, without holding them.
func patterned(n int64, seed uint64) io.Reader {
	return io.LimitReader(&prng{r: rand.New(rand.NewPCG(seed, seed))}, n)
}

type prng struct{ r *rand.Rand }

func (p *prng) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(p.r.Uint32())
	}
	return len(b), nil
}

func digest(t *testing.T, r io.Reader) [32]byte {
	t.Helper()
	h := sha256.New()
	_, err := io.Copy(h, r)
	require.NoError(t, err)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func bigBody(t *testing.T, s objectstore.Store, size int64) {
	ctx := ctxFor(t)
	info, err := s.Put(ctx, "big/part-1.parquet", patterned(size, 1), objectstore.PutOptions{IfNoneMatch: true})
	require.NoError(t, err)
	assert.Equal(t, size, info.Size)
	r, got, err := s.Get(ctx, "big/part-1.parquet")
	require.NoError(t, err)
	assert.Equal(t, size, got.Size)
	assert.Equal(t, info.ETag, got.ETag)
	assert.Equal(t, digest(t, patterned(size, 1)), digest(t, r))
	require.NoError(t, r.Close())

	// The condition holds for a body of many parts too.
	_, err = s.Put(ctx, "big/part-1.parquet", patterned(size, 2), objectstore.PutOptions{IfNoneMatch: true})
	require.ErrorIs(t, err, objectstore.ErrPreconditionFailed)
	_, err = s.Put(ctx, "big/part-1.parquet", patterned(size, 2), objectstore.PutOptions{IfMatch: `"0-not-it"`})
	require.ErrorIs(t, err, objectstore.ErrPreconditionFailed)
	r, _, err = s.Get(ctx, "big/part-1.parquet")
	require.NoError(t, err)
	assert.Equal(t, digest(t, patterned(size, 1)), digest(t, r), "a failed condition changed nothing")
	require.NoError(t, r.Close())

	replaced, err := s.Put(ctx, "big/part-1.parquet", patterned(size, 2), objectstore.PutOptions{IfMatch: info.ETag})
	require.NoError(t, err)
	assert.NotEqual(t, info.ETag, replaced.ETag)
}

// failing yields n bytes, then fails.
type failing struct {
	r   io.Reader
	err error
}

func (f *failing) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, f.err
	}
	return n, err
}

func failedBody(t *testing.T, s objectstore.Store, size int64) {
	ctx := ctxFor(t)
	boom := errors.New("source went away")
	for _, n := range []int64{10, size - 1} {
		_, err := s.Put(ctx, "half", &failing{r: patterned(n, 3), err: boom}, objectstore.PutOptions{})
		require.ErrorIs(t, err, boom, "after %d bytes", n)
	}
	cancelled, cancel := context.WithCancel(ctx)
	body := io.MultiReader(patterned(size/2, 4), readerFunc(func(p []byte) (int, error) {
		cancel()
		return 0, cancelled.Err()
	}), patterned(size, 5))
	_, err := s.Put(cancelled, "half", body, objectstore.PutOptions{})
	require.ErrorIs(t, err, context.Canceled)

	_, err = s.Stat(ctx, "half")
	require.ErrorIs(t, err, objectstore.ErrNotFound, "a failed put leaves no object")
	keys, err := objectstore.Keys(ctx, s, "")
	require.NoError(t, err)
	assert.Empty(t, keys, "nor anything else")

	// An existing object survives a failed replacement.
	put(t, s, "half", "whole")
	_, err = s.Put(ctx, "half", &failing{r: patterned(size-1, 3), err: boom}, objectstore.PutOptions{})
	require.ErrorIs(t, err, boom)
	assert.Equal(t, "whole", read(t, s, "half"))
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func rangedReads(t *testing.T, s objectstore.Store) {
	ctx := ctxFor(t)
	body := []byte("PAR1 rows rows rows FOOTER\x1a\x00\x00\x00PAR1")
	put(t, s, "f.parquet", string(body))
	o, err := s.Open(ctx, "f.parquet")
	require.NoError(t, err)
	defer o.Close()
	assert.EqualValues(t, len(body), o.Size())
	assert.Equal(t, "f.parquet", o.Info().Key)

	tail := make([]byte, 8)
	n, err := o.ReadAt(tail, o.Size()-8)
	require.NoError(t, err)
	assert.Equal(t, 8, n)
	assert.Equal(t, body[len(body)-8:], tail)

	head := make([]byte, 4)
	_, err = o.ReadAt(head, 0)
	require.NoError(t, err)
	assert.Equal(t, "PAR1", string(head))

	over := make([]byte, 10)
	n, err = o.ReadAt(over, o.Size()-4)
	assert.Equal(t, 4, n)
	assert.ErrorIs(t, err, io.EOF, "a read past the end")
	n, err = o.ReadAt(over, o.Size())
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF)

	// Replaced after Open: the old version, or a clear failure, never a
	// mix of the two.
	put(t, s, "f.parquet", strings.Repeat("Z", len(body)))
	n, err = o.ReadAt(head, 0)
	if err != nil {
		assert.ErrorIs(t, err, objectstore.ErrPreconditionFailed)
	} else {
		assert.Equal(t, "PAR1", string(head[:n]))
	}
}

func invalidKeys(t *testing.T, s objectstore.Store) {
	ctx := ctxFor(t)
	for _, key := range []string{"", "/abs", "a//b", "a/../b", "./a", "a/", "a\\b", strings.Repeat("k", 1025)} {
		_, err := s.Put(ctx, key, bytes.NewReader(nil), objectstore.PutOptions{})
		assert.ErrorIs(t, err, objectstore.ErrInvalidKey, "put %q", key)
		_, err = s.Stat(ctx, key)
		assert.ErrorIs(t, err, objectstore.ErrInvalidKey, "stat %q", key)
		assert.ErrorIs(t, s.Delete(ctx, key), objectstore.ErrInvalidKey, "delete %q", key)
	}
}

func accessCheck(t *testing.T, s objectstore.Store) {
	ctx := ctxFor(t)
	put(t, s, "data/x", "x")
	r := objectstore.CheckAccess(ctx, s)
	require.NoError(t, r.Err())
	assert.True(t, r.Reachable)
	var rights []string
	for _, c := range r.Checks {
		rights = append(rights, c.Right)
	}
	assert.Equal(t, []string{"list", "put", "delete"}, rights)
	keys, err := objectstore.Keys(ctx, s, "")
	require.NoError(t, err)
	assert.Equal(t, []string{"data/x"}, keys, "the check leaves nothing behind")
}
