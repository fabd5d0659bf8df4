package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"github.com/apache/arrow/go/v15/arrow"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// Options tune the sink.
type Options struct {
	Logger *slog.Logger
	// QueryTimeout bounds every statement: clickhouse-go can wait forever on
	// a server that stopped answering.
	QueryTimeout time.Duration
}

// Sink loads into one ClickHouse database.
type Sink struct {
	conn     driver.Conn
	db       string
	opts     Options
	mu       sync.Mutex
	tableMus map[string]*sync.Mutex
	ensured  map[string]bool
}

var _ load.Sink = (*Sink)(nil)

// Open connects to the DSN (clickhouse://user:pass@host:9000/db) over the
// native protocol and checks the server answers.
func Open(ctx context.Context, dsn string, opts Options) (*Sink, error) {
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = 10 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	conn, db, err := Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &Sink{conn: conn, db: db, opts: opts, tableMus: map[string]*sync.Mutex{}, ensured: map[string]bool{}}, nil
}

// DSNError is a CLICKHOUSE_DSN that cannot be used as written: a
// configuration error, found before any connection.
type DSNError struct{ msg string }

func (e *DSNError) Error() string { return e.msg }

// AuthError is the server refusing the DSN's user or password.
type AuthError struct {
	Addr string
	User string
	Err  error
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("ClickHouse at %s refused user %q: authentication failed (%v); check the user and password in CLICKHOUSE_DSN", e.Addr, e.User, e.Err)
}

func (e *AuthError) Unwrap() error { return e.Err }

// authCodes are the server's exception codes for a bad user or password:
// UNKNOWN_USER (192), WRONG_PASSWORD (193), REQUIRED_PASSWORD (194) and
// AUTHENTICATION_FAILED (516, what current releases answer for all of them).
var authCodes = map[int32]bool{192: true, 193: true, 194: true, 516: true}

// parseDSN reads the DSN and returns the options and the database it loads.
func parseDSN(dsn string) (*ch.Options, string, error) {
	o, err := ch.ParseDSN(dsn)
	if err != nil {
		return nil, "", &DSNError{fmt.Sprintf("CLICKHOUSE_DSN is not a valid DSN (want clickhouse://user:password@host:9000/database): %v", redactDSNError(err, dsn))}
	}
	if o.Protocol != ch.Native {
		return nil, "", &DSNError{"CLICKHOUSE_DSN must use the native protocol (clickhouse://host:9000/db); HTTP does not work with ClickHouse 18.16"}
	}
	if len(o.Addr) == 0 || o.Addr[0] == "" {
		return nil, "", &DSNError{"CLICKHOUSE_DSN names no host (want clickhouse://user:password@host:9000/database)"}
	}
	db := o.Auth.Database
	if db == "" {
		db = "default"
	}
	return o, db, nil
}

// Destination names what a DSN loads, "clickhouse://host:port/database",
// without its user or password: two DSNs with the same destination load the
// same tables.
func Destination(dsn string) (string, error) {
	o, db, err := parseDSN(dsn)
	if err != nil {
		return "", err
	}
	addrs := append([]string(nil), o.Addr...)
	sort.Strings(addrs)
	return "clickhouse://" + strings.Join(addrs, ",") + "/" + db, nil
}

// Connect opens a native connection and returns the DSN's database name.
func Connect(ctx context.Context, dsn string) (driver.Conn, string, error) {
	o, db, err := parseDSN(dsn)
	if err != nil {
		return nil, "", err
	}
	// Connect without the database so a first `etl migrate` can create it.
	o.Auth.Database = "default"
	o.Compression = &ch.Compression{Method: ch.CompressionLZ4}
	if o.DialTimeout == 0 {
		o.DialTimeout = 10 * time.Second
	}
	addr := strings.Join(o.Addr, ",")
	conn, err := ch.Open(o)
	if err != nil {
		return nil, "", fmt.Errorf("connect to ClickHouse at %s: %w", addr, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		_ = conn.Close()
		var exc *proto.Exception
		if errors.As(err, &exc) && authCodes[exc.Code] {
			user := o.Auth.Username
			if user == "" {
				user = "default"
			}
			return nil, "", &AuthError{Addr: addr, User: user, Err: err}
		}
		return nil, "", fmt.Errorf("ClickHouse at %s does not answer: %w (is the server running and CLICKHOUSE_DSN right?)", addr, err)
	}
	return conn, db, nil
}

// redactDSNError keeps a password in the DSN out of the message.
func redactDSNError(err error, dsn string) error {
	msg := err.Error()
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if at := strings.Index(rest, "@"); at >= 0 {
			if c := strings.Index(rest[:at], ":"); c >= 0 {
				if pw := rest[c+1 : at]; pw != "" {
					msg = strings.ReplaceAll(msg, pw, "[REDACTED]")
				}
			}
		}
	}
	return fmt.Errorf("%s", msg)
}

// Name is "clickhouse".
func (s *Sink) Name() string { return "clickhouse" }

// Database is the target database.
func (s *Sink) Database() string { return s.db }

// Conn exposes the connection (state store, tests).
func (s *Sink) Conn() driver.Conn { return s.conn }

// Close closes the connection.
func (s *Sink) Close() error { return s.conn.Close() }

func (s *Sink) exec(ctx context.Context, q string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	return s.conn.Exec(ctx, q, args...)
}

func (s *Sink) tableLock(name string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.tableMus[name]
	if !ok {
		m = &sync.Mutex{}
		s.tableMus[name] = m
	}
	return m
}

func (s *Sink) qualified(name string) string { return quoteIdent(s.db) + "." + quoteIdent(name) }

// Begin ensures the table exists with every declared column, then returns a
// writer: merge tables are written in place (a newer version supersedes,
// a rerun is harmless), the others through a staging table swapped in at
// Commit.
func (s *Sink) Begin(ctx context.Context, t *schemas.Table, w window.Window, stream, runID string) (load.Writer, error) {
	if err := s.Ensure(ctx, t); err != nil {
		return nil, err
	}
	wr := &writer{sink: s, table: t, window: w, target: StorageTable(t)}
	if t.Disposition == schemas.Merge {
		wr.insertInto = wr.target
		return wr, nil
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	wr.staging = fmt.Sprintf("_stg_%s_%s", t.Name, hex.EncodeToString(suffix))
	if err := s.exec(ctx, fmt.Sprintf("CREATE TABLE %s AS %s", s.qualified(wr.staging), s.qualified(wr.target))); err != nil {
		return nil, fmt.Errorf("create staging table for %s: %w", t.Name, err)
	}
	wr.insertInto = wr.staging
	return wr, nil
}

type writer struct {
	sink       *Sink
	table      *schemas.Table
	window     window.Window
	target     string
	staging    string
	insertInto string
	done       bool
}

func (w *writer) Write(ctx context.Context, rec arrow.Record) error {
	return w.sink.insert(ctx, w.table, w.insertInto, rec)
}

func (w *writer) Commit(ctx context.Context) error {
	if w.done {
		return nil
	}
	w.done = true
	if w.staging == "" {
		return nil
	}
	defer w.dropStaging()
	lock := w.sink.tableLock(w.target)
	lock.Lock()
	defer lock.Unlock()
	switch w.table.Disposition {
	case schemas.ReplaceAll:
		return w.sink.swapPartition(ctx, w.target, w.staging, "tuple()", "tuple()")
	case schemas.ReplaceWindow:
		return w.replaceWindow(ctx)
	}
	return nil
}

// replaceWindow rebuilds every month the window touches in staging (the
// window's new rows plus the live rows of that month outside the window) and
// swaps each month in whole.
func (w *writer) replaceWindow(ctx context.Context) error {
	s, day := w.sink, quoteIdent(w.table.Day)
	lo, hi := literal(w.table, w.window.Start), literal(w.table, w.window.End)
	for _, m := range w.window.Months() {
		id := m.Format("200601")
		keep := fmt.Sprintf("INSERT INTO %s SELECT * FROM %s WHERE toYYYYMM(%s) = %s AND NOT (%s >= %s AND %s < %s)",
			s.qualified(w.staging), s.qualified(w.target), day, id, day, lo, day, hi)
		if err := s.exec(ctx, keep); err != nil {
			return fmt.Errorf("keep rows of %s outside the window in month %s: %w", w.table.Name, id, err)
		}
		if err := s.swapPartition(ctx, w.target, w.staging, id, "toYYYYMM("+day+") = "+id); err != nil {
			return err
		}
	}
	return nil
}

// swapPartition makes the target's partition equal the staging one. REPLACE
// PARTITION from a partition staging does not have is not reliable across
// versions, so an empty one becomes a DROP.
func (s *Sink) swapPartition(ctx context.Context, target, staging, partition, filter string) error {
	n, err := s.count(ctx, staging, filter)
	if err != nil {
		return err
	}
	if n == 0 {
		if err := s.exec(ctx, fmt.Sprintf("ALTER TABLE %s DROP PARTITION %s", s.qualified(target), partition)); err != nil {
			return fmt.Errorf("empty partition %s of %s: %w", partition, target, err)
		}
		return nil
	}
	if err := s.exec(ctx, fmt.Sprintf("ALTER TABLE %s REPLACE PARTITION %s FROM %s", s.qualified(target), partition, s.qualified(staging))); err != nil {
		return fmt.Errorf("swap partition %s into %s: %w", partition, target, err)
	}
	return nil
}

func (s *Sink) count(ctx context.Context, table, filter string) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	var n uint64
	q := fmt.Sprintf("SELECT count() FROM %s WHERE %s", s.qualified(table), filter)
	if filter == "tuple()" {
		q = fmt.Sprintf("SELECT count() FROM %s", s.qualified(table))
	}
	if err := s.conn.QueryRow(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}

func literal(t *schemas.Table, v time.Time) string {
	if c, _ := t.Column(t.Day); c.Type == schemas.Date {
		return fmt.Sprintf("toDate('%s')", v.UTC().Format(time.DateOnly))
	}
	return fmt.Sprintf("toDateTime('%s', 'UTC')", v.UTC().Format(time.DateTime))
}

func (w *writer) Abort(ctx context.Context) error {
	if w.done {
		return nil
	}
	w.done = true
	if w.staging != "" {
		return w.sink.exec(ctx, "DROP TABLE IF EXISTS "+w.sink.qualified(w.staging))
	}
	return nil
}

func (w *writer) dropStaging() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.sink.exec(ctx, "DROP TABLE IF EXISTS "+w.sink.qualified(w.staging)); err != nil {
		w.sink.opts.Logger.Warn("could not drop staging table", "table", w.staging, "err", err)
	}
}

// CountRows counts the rows a dashboard sees under the table's name.
func (s *Sink) CountRows(ctx context.Context, table string) (int64, error) {
	n, err := s.count(ctx, table, "tuple()")
	return int64(n), err
}

// DropStaleStaging removes staging tables a killed run left behind. Call it
// only while holding the run lock: then no live load owns one.
func (s *Sink) DropStaleStaging(ctx context.Context) (int, error) {
	qctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	rows, err := s.conn.Query(qctx, "SELECT name FROM system.tables WHERE database = ? AND startsWith(name, '_stg_')", s.db)
	if err != nil {
		cancel()
		return 0, fmt.Errorf("list staging tables in %s: %w", s.db, err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			cancel()
			return 0, err
		}
		names = append(names, n)
	}
	rows.Close()
	cancel()
	for _, n := range names {
		if err := s.exec(ctx, "DROP TABLE IF EXISTS "+s.qualified(n)); err != nil {
			return 0, fmt.Errorf("drop staging table %s: %w", n, err)
		}
	}
	return len(names), nil
}
