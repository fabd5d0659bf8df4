package whatfix

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/engine/enginetest"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/whatfix/whatfixfake"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

// testNow anchors the fake's data; windows below are days before it.
var testNow = time.Date(2026, 3, 15, 10, 30, 0, 0, time.UTC)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func days(from, to string) window.Window {
	w, err := window.ParseDays(from, to)
	if err != nil {
		panic(err)
	}
	return w
}

type fixture struct {
	fake *whatfixfake.Fake
	srv  *httptest.Server
	cfg  *Config
}

// newFixture serves a fake on loopback and returns a config pointed at it
// with demo credentials and retries that do not really sleep.
func newFixture(t *testing.T, wrap ...func(http.Handler) http.Handler) *fixture {
	t.Helper()
	fake := whatfixfake.New(whatfixfake.Options{Seed: 7, Now: testNow})
	var h http.Handler = fake
	for _, w := range wrap {
		h = w(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := NewConfig()
	cfg.BaseURL = srv.URL + whatfixfake.APIPrefix
	cfg.RateLimit = "unlimited"
	cfg.Timeout = 10 * time.Second
	cfg.MaxRetries = 3
	cfg.AccountID = fake.AccountID()
	cfg.IntegrationKey = fake.IntegrationKey()
	cfg.User = fake.User()
	cfg.backoffBase, cfg.backoffMax = time.Millisecond, 2*time.Millisecond
	return &fixture{fake: fake, srv: srv, cfg: cfg}
}

// stream opens the config and returns the named stream.
func (fx *fixture) stream(t *testing.T, name string) *engine.Stream {
	t.Helper()
	streams, err := fx.cfg.Open(extract.Env{UserAgent: "etl-test"})
	require.NoError(t, err)
	for _, s := range streams {
		require.NoError(t, s.Validate(), s.Name)
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no stream %q", name)
	return nil
}

// recorder is an enginetest.Recorder that also runs each row through the
// transform, so a value that would be rejected at load time fails the test
// that produced it.
type recorder struct {
	*enginetest.Recorder
	mu       sync.Mutex
	tables   map[string]*schemas.Table
	window   window.Window
	batchers map[string]*transform.Batcher
	coerce   []string // transform errors
}

func newRecorder(s *engine.Stream, w window.Window) *recorder {
	r := &recorder{Recorder: enginetest.NewRecorder(), tables: map[string]*schemas.Table{}, window: w, batchers: map[string]*transform.Batcher{}}
	for _, t := range s.Tables {
		r.tables[t.Name] = t
		var win *window.Window
		if s.Windowed {
			win = &r.window
		}
		r.batchers[t.Name] = transform.NewBatcher(memory.NewGoAllocator(), t, transform.Meta{RunID: "test", ExtractedAt: testNow}, 1<<30, win)
	}
	return r
}

func (r *recorder) Emit(ctx context.Context, table string, row engine.Row) error {
	r.mu.Lock()
	b, ok := r.batchers[table]
	if !ok {
		r.mu.Unlock()
		return errors.New("undeclared table " + table)
	}
	if err := b.Append(row.Values); err != nil {
		r.coerce = append(r.coerce, row.Where+": "+err.Error())
	}
	r.mu.Unlock()
	return r.Recorder.Emit(ctx, table, row)
}

// run extracts one window into a fresh recorder.
func run(t *testing.T, s *engine.Stream, w window.Window) (*recorder, error) {
	t.Helper()
	rec := newRecorder(s, w)
	err := s.Extract(context.Background(), w, rec)
	return rec, err
}

// mustRun is run that fails the test on an extraction error or on a value
// the transform would reject.
func mustRun(t *testing.T, s *engine.Stream, w window.Window) *recorder {
	t.Helper()
	rec, err := run(t, s, w)
	require.NoError(t, err)
	require.Empty(t, rec.coerce, "values the transform would reject")
	return rec
}

// canonical renders emitted values so that a CSV "12" and a JSON 12 compare
// equal: what matters is that the transform sees the same text.
func canonical(rows []engine.Row) []map[string]any {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		m := make(map[string]any, len(r.Values))
		for k, v := range r.Values {
			switch x := v.(type) {
			case json.Number:
				m[k] = x.String()
			default:
				m[k] = x
			}
		}
		out[i] = m
	}
	sort.SliceStable(out, func(i, j int) bool { return sortKey(out[i]) < sortKey(out[j]) })
	return out
}

func sortKey(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case json.Number:
		return x.String()
	case string:
		return x
	case time.Time:
		return x.Format(time.RFC3339)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func assertNoSecret(t *testing.T, key string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		require.NotContains(t, s, key, "the integration key leaked")
	}
}

func contains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	var b strings.Builder
	_, err := io.Copy(&b, resp.Body)
	require.NoError(t, err)
	return b.String()
}

// fieldsUnknownTo lists the emitted keys the table does not declare.
func (r *recorder) fieldsUnknownTo(table string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.batchers[table].UnknownNames()
}

// captureBodies records request bodies and passes them on.
func captureBodies(into *[]string) func(http.Handler) http.Handler {
	var mu sync.Mutex
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			*into = append(*into, string(b))
			mu.Unlock()
			r.Body = io.NopCloser(strings.NewReader(string(b)))
			next.ServeHTTP(w, r)
		})
	}
}
