package clickhouse

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"github.com/apache/arrow/go/v15/arrow"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/redact"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// Options tune the sink.
type Options struct {
	Logger *slog.Logger
	// QueryTimeout bounds every statement: clickhouse-go can wait forever on
	// a server that stopped answering.
	QueryTimeout time.Duration
	// Cluster, when its Name is set, loads a sharded and replicated
	// cluster (cluster.go); otherwise the DSN's server alone.
	Cluster ClusterOptions
}

// Sink loads into one ClickHouse database.
type Sink struct {
	conn     driver.Conn
	db       string
	opts     Options
	mu       sync.Mutex
	tableMus map[string]*sync.Mutex
	ensured  map[string]bool
	// failPrepare, set by tests, fails the Prepare of a table as a server
	// error or a full disk would.
	failPrepare func(table string) error
	// cluster is set in cluster mode.
	cluster *cluster
	// insertSlots holds a token per INSERT kept open across records
	// (openInserts at most).
	insertSlots chan struct{}
	// insertIdle, when set (tests), replaces defaultInsertIdle.
	insertIdle time.Duration
	// squashRows is the staging INSERTs' min_insert_block_size_rows; 0
	// when the DSN sets it (a query's setting would override the DSN's).
	squashRows int
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
	o, db, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	squash := insertSquashRows
	if _, set := o.Settings["min_insert_block_size_rows"]; set {
		squash = 0
	}
	if o.Auth.Database == "" {
		noteDefaultDatabase(opts.Logger, o.Addr)
	}
	conn, err := connect(ctx, o)
	if err != nil {
		return nil, err
	}
	s := &Sink{conn: conn, db: db, opts: opts, tableMus: map[string]*sync.Mutex{}, ensured: map[string]bool{}, insertSlots: make(chan struct{}, openInserts), squashRows: squash}
	if opts.Cluster.Name != "" {
		if err := s.discoverCluster(ctx, dsn, opts.Cluster); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	return s, nil
}

// defaultNoted holds the loggers (one per command) that have said a DSN
// names no database: a command opens the sink and its state store, and
// says it once.
var defaultNoted sync.Map

// noteDefaultDatabase says, once per logger, that the DSN loads the
// server's default database: a DSN that forgot its /database must not load
// somewhere unexpected in silence.
func noteDefaultDatabase(log *slog.Logger, addrs []string) {
	if _, said := defaultNoted.LoadOrStore(log, true); said {
		return
	}
	log.Warn(fmt.Sprintf("CLICKHOUSE_DSN names no database: loading ClickHouse's default database at %s (end the DSN with /DATABASE to choose one, or /default to say so)", strings.Join(addrs, ",")))
}

// DSNError is a CLICKHOUSE_DSN that cannot be used as written: a
// configuration error, found before any connection (or, for a DSN that
// names ClickHouse's HTTP port, by the first one).
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
	if err := checkCompress(dsn, o); err != nil {
		return nil, "", err
	}
	switch {
	case o.Compression == nil && loopbackOnly(o.Addr):
		// Uncompressed to a server on this machine: the bytes only cross
		// memory, and LZ4 cost 11% of etl's CPU in a 395k-row Userflow
		// backfill (and the server's to undo it).
		o.Compression = &ch.Compression{Method: ch.CompressionNone}
	case o.Compression == nil:
		// LZ4 across a network unless the DSN says otherwise: cheap, and
		// most of a load's bytes are text.
		o.Compression = &ch.Compression{Method: ch.CompressionLZ4}
	case !nativeCompression[o.Compression.Method]:
		return nil, "", &DSNError{fmt.Sprintf("CLICKHOUSE_DSN: compress=%s is not a method of the native protocol (want none, lz4, lz4hc or zstd)", o.Compression.Method)}
	}
	db := o.Auth.Database
	if db == "" {
		db = "default"
	}
	return o, db, nil
}

// loopbackOnly tells whether every address is this machine's: localhost or
// a loopback IP. A name is not resolved: one that only happens to point here
// keeps LZ4.
func loopbackOnly(addrs []string) bool {
	for _, a := range addrs {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			host = a
		}
		if strings.EqualFold(host, "localhost") {
			continue
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return false
		}
	}
	return len(addrs) > 0
}

var nativeCompression = map[ch.CompressionMethod]bool{
	ch.CompressionNone: true, ch.CompressionLZ4: true, ch.CompressionLZ4HC: true, ch.CompressionZSTD: true,
}

// checkCompress reads compress= from the DSN itself: the driver ignores a
// value it does not know (compress=foo) and its DSN error would only show
// up as a failed connection, or not at all. A false value means none
// rather than the default, which is LZ4 across a network.
func checkCompress(dsn string, o *ch.Options) error {
	q := ""
	if i := strings.IndexByte(dsn, '?'); i >= 0 {
		q = dsn[i+1:]
	}
	if j := strings.IndexByte(q, '#'); j >= 0 {
		q = q[:j]
	}
	params, err := url.ParseQuery(q)
	if err != nil || !params.Has("compress") {
		return nil // the driver has parsed the query already
	}
	v := params.Get("compress")
	if on, err := strconv.ParseBool(v); err == nil {
		if !on {
			o.Compression = &ch.Compression{Method: ch.CompressionNone}
		}
		return nil
	}
	switch strings.ToLower(v) {
	case "none", "lz4", "lz4hc", "zstd":
		return nil
	}
	return &DSNError{fmt.Sprintf("CLICKHOUSE_DSN: compress=%s is not a method of the native protocol (want none, lz4, lz4hc or zstd)", v)}
}

// OnThisMachine tells whether every server the DSN names is this machine
// (localhost or a loopback IP): that server then shares this process's
// cores. A DSN that does not parse is not.
func OnThisMachine(dsn string) bool {
	o, _, err := parseDSN(dsn)
	return err == nil && loopbackOnly(o.Addr)
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
	conn, err := connect(ctx, o)
	return conn, db, err
}

// connect opens a native connection with parsed DSN options and pings it.
func connect(ctx context.Context, o *ch.Options) (driver.Conn, error) {
	// Connect without the database so a first `etl migrate` can create it.
	o.Auth.Database = "default"
	if o.DialTimeout == 0 {
		o.DialTimeout = 10 * time.Second
	}
	addr := strings.Join(o.Addr, ",")
	conn, err := ch.Open(o)
	if err != nil {
		return nil, fmt.Errorf("connect to ClickHouse at %s: %w", addr, err)
	}
	if err := ping(ctx, conn, o); err != nil {
		_ = conn.Close()
		var exc *proto.Exception
		var dsnErr *DSNError
		switch {
		case errors.As(err, &exc) && authCodes[exc.Code]:
			user := o.Auth.Username
			if user == "" {
				user = "default"
			}
			return nil, &AuthError{Addr: addr, User: user, Err: err}
		case errors.As(err, &dsnErr):
			return nil, err
		}
		return nil, fmt.Errorf("ClickHouse at %s does not answer: %w (is the server running and CLICKHOUSE_DSN right?)", addr, err)
	}
	return conn, nil
}

// httpProbeAfter is how long a ping waits for the server's hello before
// asking whether the port speaks HTTP: a native port answers the hello in
// milliseconds, while ClickHouse's HTTP port (8123) waits for a request
// line and never answers it, until the dial timeout (10 s) ends in a bare
// "i/o timeout".
const httpProbeAfter = time.Second

// ping pings the server. When the hello goes unanswered for
// httpProbeAfter, or the ping fails, each address is asked whether it is an
// HTTP port: a DSN pointing there is a DSNError naming the native port.
func ping(ctx context.Context, conn driver.Conn, o *ch.Options) error {
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- conn.Ping(pctx) }()
	timer := time.NewTimer(httpProbeAfter)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
		var exc *proto.Exception
		if err == nil || errors.As(err, &exc) {
			return err // the server answered in its own protocol
		}
	case <-timer.C:
	}
	if addr := httpPortAmong(pctx, o); addr != "" {
		return &DSNError{fmt.Sprintf("CLICKHOUSE_DSN: %s answers HTTP: that looks like ClickHouse's HTTP port (8123 by default); etl speaks the native protocol: use the server's native TCP port (tcp_port, 9000 by default; 9440 with secure=true) in CLICKHOUSE_DSN", addr)}
	}
	if err != nil {
		return err
	}
	return <-done
}

// httpPortAmong returns the first of the DSN's addresses that answers an
// HTTP request, "" when none does. A native port of any release answers
// one too, with 400 and "Port N is for clickhouse-client program": that is
// not an HTTP port.
func httpPortAmong(ctx context.Context, o *ch.Options) string {
	found := make(chan string, len(o.Addr))
	for _, a := range o.Addr {
		go func() {
			if answersHTTP(ctx, a, o.TLS) {
				found <- a
				return
			}
			found <- ""
		}()
	}
	for range o.Addr {
		if a := <-found; a != "" {
			return a
		}
	}
	return ""
}

// answersHTTP sends GET /ping to addr (over TLS when the DSN asks for it)
// and tells whether an HTTP server answered it.
func answersHTTP(ctx context.Context, addr string, tlsConf *tls.Config) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(deadline)
	}
	if tlsConf != nil {
		host, _, _ := net.SplitHostPort(addr)
		cfg := tlsConf.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		tc := tls.Client(c, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return false
		}
		c = tc
	}
	if _, err := io.WriteString(c, "GET /ping HTTP/1.0\r\n\r\n"); err != nil {
		return false
	}
	resp, err := io.ReadAll(io.LimitReader(c, 512))
	if len(resp) == 0 && err != nil {
		return false
	}
	return strings.HasPrefix(string(resp), "HTTP/1.") && !strings.Contains(string(resp), "is for clickhouse-client program")
}

// redactDSNError keeps a password in the DSN out of the message.
func redactDSNError(err error, dsn string) error {
	msg := err.Error()
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if at := strings.Index(rest, "@"); at >= 0 {
			if c := strings.Index(rest[:at], ":"); c >= 0 {
				if pw := rest[c+1 : at]; pw != "" {
					// The DSN holds the password URL-escaped; a message may quote either form.
					decoded, _ := url.PathUnescape(pw)
					msg = redact.New([]string{pw, decoded}).String(msg)
				}
			}
		}
	}
	return fmt.Errorf("%s", msg)
}

// Name is "clickhouse".
func (s *Sink) Name() string { return Kind }

// Database is the target database.
func (s *Sink) Database() string { return s.db }

// Conn exposes the connection (state store, tests).
func (s *Sink) Conn() driver.Conn { return s.conn }

// Close closes the connection (and those to the cluster's nodes).
func (s *Sink) Close() error {
	if s.cluster != nil {
		s.cluster.close()
	}
	return s.conn.Close()
}

// Cluster is the cluster the sink loads, "" for a single server.
func (s *Sink) Cluster() string {
	if s.cluster == nil {
		return ""
	}
	return s.cluster.names.Cluster
}

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
// writer that inserts into a staging table; nothing is visible before the
// window's swap (load.CommitWindow), whatever the disposition.
func (s *Sink) Begin(ctx context.Context, t *schemas.Table, w window.Window, stream, runID string) (load.Writer, error) {
	if err := s.Ensure(ctx, t); err != nil {
		return nil, err
	}
	if s.cluster != nil {
		return s.beginCluster(ctx, t, w, stream)
	}
	wr := &writer{sink: s, table: t, window: w, stream: stream, target: StorageTable(t)}
	wr.staging = stagingName(t.Name)
	wr.stager = newStager(s, t, wr.staging, nil)
	if err := s.exec(ctx, fmt.Sprintf("CREATE TABLE %s AS %s", s.qualified(wr.staging), s.qualified(wr.target))); err != nil {
		return nil, fmt.Errorf("create staging table for %s: %w", t.Name, err)
	}
	return wr, nil
}

// stagingPrefix starts every staging table name; config validation reserves
// it, and DropStaleStaging drops only names of the exact stagingName form.
const stagingPrefix = schemas.StagingPrefix

// stagingName is a fresh staging table name for table:
// _stg_<table>_<12 lowercase hex>.
func stagingName(table string) string {
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	return stagingPrefix + table + "_" + hex.EncodeToString(suffix)
}

var stagingPattern = regexp.MustCompile(`^_stg_([A-Za-z0-9_]+)_([0-9a-f]{12})$`)

// stagingOf returns the table a staging name was made for, if the name has
// the exact stagingName form.
func stagingOf(name string) (string, bool) {
	m := stagingPattern.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	return m[1], true
}

type writerState int

const (
	writing writerState = iota
	prepared
	done
)

type writer struct {
	sink    *Sink
	table   *schemas.Table
	window  window.Window
	stream  string
	target  string
	staging string
	// stager sends the written rows to staging; nil for the per-shard
	// writers of a cluster load, whose rows come through the Distributed
	// staging table.
	stager *stager
	state  writerState
	// lock is the target's lock, held from Prepare to Swap or Abort: the
	// partitions Prepare rebuilt from live rows must not change before
	// they are swapped in.
	lock  *sync.Mutex
	swaps []partitionSwap
	// sealed: Seal closed the INSERT; nothing more may be written.
	sealed bool
	// staged is what a sealed merge load read of its own staging, for
	// Prepare (nothing else writes there).
	staged *stagedPartitions
	// rebuilt, for merge tables, holds the partitions Prepare rebuilt from
	// the live and the staged rows; Swap moves them from there.
	rebuilt string
	// whole: the load replaces all of its stream's rejects (snapshot streams).
	whole bool
	// rebuildEngine, on a cluster, is the engine of the table a merge load
	// rebuilds partitions in: CREATE TABLE ... AS a Replicated target would
	// copy its ZooKeeper path and join the live table as a replica.
	rebuildEngine string
}

// ReplaceWholeStream implements load.WholeStream.
func (w *writer) ReplaceWholeStream() { w.whole = true }

// partitionSwap is one partition of the target that Swap replaces with the
// one of from (staging or rebuilt), or drops when from has no row there,
// or, attach set, adds from's rows to.
type partitionSwap struct {
	partition string
	from      string
	empty     bool
	attach    bool
}

var _ load.Staged = (*writer)(nil)

func (w *writer) Write(ctx context.Context, rec arrow.Record) error {
	if w.state != writing || w.sealed {
		return fmt.Errorf("write to %s after its load was sealed, prepared or finished", w.table.Name)
	}
	return w.stager.write(ctx, rec)
}

// flush waits until every row written so far is in staging.
func (w *writer) flush() error {
	if w.stager == nil {
		return nil
	}
	return w.stager.flush()
}

// stagedPartitions is what a merge load reads of its staging table: its
// partitions, and those with one row per key.
type stagedPartitions struct {
	parts []string
	asIs  map[string]bool
}

var _ load.Sealer = (*writer)(nil)

// Seal implements load.Sealer: it closes the open INSERT, waiting until
// the server holds every row, and for a merge table reads what Prepare
// needs of staging, which no other load touches, so no lock is needed yet.
func (w *writer) Seal(ctx context.Context) error {
	if w.state != writing || w.sealed {
		return nil
	}
	w.sealed = true
	if err := w.flush(); err != nil {
		return fmt.Errorf("stage %s window %s: %w", w.table.Name, w.window, err)
	}
	if w.table.Disposition == schemas.Merge && !w.isRejects() {
		staged, err := w.stagedPartitions(ctx)
		if err != nil {
			return fmt.Errorf("stage %s window %s: %w", w.table.Name, w.window, err)
		}
		w.staged = staged
	}
	return nil
}

func (w *writer) isRejects() bool {
	return w.table == schemas.Rejects || w.table.Name == schemas.Rejects.Name
}

func (w *writer) stagedPartitions(ctx context.Context) (*stagedPartitions, error) {
	if w.staged != nil {
		return w.staged, nil
	}
	parts, err := w.sink.partitions(ctx, w.staging)
	if err != nil {
		return nil, err
	}
	asIs := map[string]bool{}
	if len(parts) > 0 {
		if asIs, err = w.oneRowPerKey(ctx); err != nil {
			return nil, err
		}
	}
	return &stagedPartitions{parts: parts, asIs: asIs}, nil
}

// Commit prepares and swaps this table alone.
func (w *writer) Commit(ctx context.Context) error {
	if w.state == done {
		return nil
	}
	if err := w.Prepare(ctx); err != nil {
		_ = w.Abort(ctx)
		return err
	}
	return w.Swap(ctx)
}

// Prepare makes the staging table hold, for every partition the load
// replaces, exactly what that partition must hold afterwards. Everything
// that writes data happens here; Swap only moves partitions.
func (w *writer) Prepare(ctx context.Context) error {
	if w.state != writing {
		return fmt.Errorf("prepare %s: the load was already prepared or finished", w.table.Name)
	}
	w.state = prepared
	if err := w.flush(); err != nil {
		return fmt.Errorf("stage %s window %s: %w", w.table.Name, w.window, err)
	}
	w.lock = w.sink.tableLock(w.target)
	w.lock.Lock()
	if w.sink.failPrepare != nil {
		if err := w.sink.failPrepare(w.table.Name); err != nil {
			return err
		}
	}
	var err error
	switch {
	case w.isRejects():
		err = w.prepareRejects(ctx)
	case w.table.Disposition == schemas.ReplaceAll:
		err = w.addSwap(ctx, "tuple()", "tuple()")
	case w.table.Disposition == schemas.ReplaceWindow:
		err = w.prepareWindow(ctx)
	case w.table.Disposition == schemas.Merge:
		err = w.prepareMerge(ctx)
	}
	if err != nil {
		return fmt.Errorf("stage %s window %s: %w", w.table.Name, w.window, err)
	}
	return nil
}

func (w *writer) addSwap(ctx context.Context, partition, filter string) error {
	n, err := w.sink.count(ctx, w.staging, filter)
	if err != nil {
		return err
	}
	w.swaps = append(w.swaps, partitionSwap{partition: partition, from: w.staging, empty: n == 0})
	return nil
}

// prepareWindow rebuilds every month the window touches in staging: the
// window's new rows plus the live rows of that month outside the window.
func (w *writer) prepareWindow(ctx context.Context) error {
	s, day := w.sink, quoteIdent(w.table.Day)
	lo, hi := literal(w.table, w.window.Start), literal(w.table, w.window.End)
	var ids []string
	for _, m := range w.window.Months() {
		id := m.Format("200601")
		keep := fmt.Sprintf("INSERT INTO %s SELECT * FROM %s WHERE toYYYYMM(%s) = %s AND NOT (%s >= %s AND %s < %s)",
			s.qualified(w.staging), s.qualified(w.target), day, id, day, lo, day, hi)
		if err := s.exec(ctx, keep); err != nil {
			return fmt.Errorf("keep rows of %s outside the window in month %s: %w", w.table.Name, id, err)
		}
		ids = append(ids, id)
	}
	return w.addMonthSwaps(ctx, ids)
}

// prepareRejects rebuilds the months of etl_rejects this load changes. A
// stream's rejects are keyed by the row (source, stream, table_name,
// row_hash) and replaced over the days the window reloads: the rebuilt
// months keep the other streams' rows, this stream's rows outside the
// window, minus those the window saw again (they now carry this window).
func (w *writer) prepareRejects(ctx context.Context) error {
	s, day := w.sink, quoteIdent(w.table.Day)
	lo, hi := literal(w.table, w.window.Start), literal(w.table, w.window.End)
	source, name, _ := strings.Cut(w.stream, ".")
	mine := fmt.Sprintf("source = %s AND stream = %s", quoteString(source), quoteString(name))
	// The new rows are the staged rows of this stream that start at the
	// window's start (the engine stamps it on every reject); a kept row of
	// this stream never does, since the rows of the window's days go.
	seenAgain := fmt.Sprintf("(source, stream, table_name, row_hash) IN (SELECT source, stream, table_name, row_hash FROM %s WHERE %s AND %s = %s)",
		s.qualified(w.staging), mine, day, lo)
	inWindow := fmt.Sprintf("(%s >= %s AND %s < %s)", day, lo, day, hi)
	if w.whole {
		inWindow = "1"
	}
	// A month where nothing is staged and no live row of this stream goes
	// would be rebuilt as it is: only the others are. One query finds both.
	ids, err := s.strings(ctx, fmt.Sprintf("SELECT DISTINCT toString(toYYYYMM(%s)) FROM %s WHERE %s AND (%s OR %s) UNION ALL SELECT DISTINCT toString(toYYYYMM(%s)) FROM %s",
		day, s.qualified(w.target), mine, inWindow, seenAgain, day, s.qualified(w.staging)))
	if err != nil {
		return fmt.Errorf("find the months of new rejects and of earlier ones that go: %w", err)
	}
	months := map[string]bool{}
	for _, id := range ids {
		months[id] = true
	}
	sorted := slices.Sorted(maps.Keys(months))
	for _, id := range sorted {
		keep := fmt.Sprintf("INSERT INTO %s SELECT * FROM %s WHERE toYYYYMM(%s) = %s AND NOT (%s AND (%s OR %s))",
			s.qualified(w.staging), s.qualified(w.target), day, id, mine, inWindow, seenAgain)
		if err := s.exec(ctx, keep); err != nil {
			return fmt.Errorf("keep the rejects month %s does not reload: %w", id, err)
		}
	}
	return w.addMonthSwaps(ctx, sorted)
}

// addMonthSwaps adds a swap of each month (a toYYYYMM partition id) of
// staging, counting the rows of all of them in one query: a month staging
// has no row of becomes a DROP.
func (w *writer) addMonthSwaps(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	s := w.sink
	qctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(qctx, fmt.Sprintf("SELECT toString(toYYYYMM(%s)) AS m, count() FROM %s GROUP BY m", quoteIdent(w.table.Day), s.qualified(w.staging)))
	if err != nil {
		return fmt.Errorf("count %s by month: %w", w.staging, err)
	}
	defer rows.Close()
	counts := map[string]uint64{}
	for rows.Next() {
		var (
			m string
			n uint64
		)
		if err := rows.Scan(&m, &n); err != nil {
			return fmt.Errorf("count %s by month: %w", w.staging, err)
		}
		counts[m] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count %s by month: %w", w.staging, err)
	}
	for _, id := range ids {
		w.swaps = append(w.swaps, partitionSwap{partition: id, from: w.staging, empty: counts[id] == 0})
	}
	return nil
}

// prepareMerge dedupes at load time. The new rows sit in staging; each
// partition they touch must read afterwards:
//   - the live rows whose key the load does not touch, as they are;
//   - for each touched key, its newest row by version among the live row and
//     the new ones: a backfill of an older window never replaces a newer
//     row, and on a tie the new load wins.
//
// When the staged rows of a partition hold one row per key, two cases need
// no rebuild: the target does not have the partition yet (every partition
// of a first backfill), and staging replaces it with REPLACE PARTITION; or
// the target's partition holds none of the staged keys (the later chunks of
// a backfill: a key lives in the one chunk its version falls in), and
// ATTACH PARTITION adds the staged rows. Any other partition is rebuilt in
// a second staging table (rebuilt), sorting only the touched keys, so a
// nightly load costs a copy of the partitions it touches, not of the table,
// and REPLACE PARTITION swaps it in.
func (w *writer) prepareMerge(ctx context.Context) error {
	s, t := w.sink, w.table
	staged, err := w.stagedPartitions(ctx)
	if err != nil {
		return err
	}
	parts, asIs := staged.parts, staged.asIs
	live, err := s.partitions(ctx, w.target)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, p := range live {
		have[p] = true
	}
	// A live partition none of whose keys the load brings (each key of a
	// backfill lives in the one chunk its version falls in) gains the
	// staged rows and loses none: they are attached, not rebuilt.
	var candidates []string
	for _, p := range parts {
		if have[p] && asIs[p] {
			candidates = append(candidates, p)
		}
	}
	touched := map[string]bool{}
	if len(candidates) > 0 {
		if touched, err = w.liveKeysTouched(ctx, candidates); err != nil {
			return err
		}
	}
	for _, p := range parts {
		switch {
		case !have[p] && asIs[p]:
			w.swaps = append(w.swaps, partitionSwap{partition: p, from: w.staging})
			continue
		case have[p] && asIs[p] && !touched[p]:
			w.swaps = append(w.swaps, partitionSwap{partition: p, from: w.staging, attach: true})
			continue
		}
		if w.rebuilt == "" {
			w.rebuilt = stagingName(t.Name)
			create := fmt.Sprintf("CREATE TABLE %s AS %s", s.qualified(w.rebuilt), s.qualified(w.target))
			if w.rebuildEngine != "" {
				create += "\n" + w.rebuildEngine
			}
			if err := s.exec(ctx, create); err != nil {
				return fmt.Errorf("create the table %s's partitions are rebuilt in: %w", t.Name, err)
			}
		}
		q := mergeRebuild(t, s.qualified(w.target), s.qualified(w.staging), s.qualified(w.rebuilt), p, have[p])
		if err := s.exec(ctx, q); err != nil {
			return fmt.Errorf("rebuild partition %s (untouched rows, newest row of each touched key): %w", p, err)
		}
		// Never empty: every touched key keeps a row, and a partition
		// staging lists holds at least one.
		w.swaps = append(w.swaps, partitionSwap{partition: p, from: w.rebuilt})
	}
	return nil
}

// liveKeysTouched returns the partitions among parts (live in the target)
// where the target holds a key the staged rows of the same partition carry.
func (w *writer) liveKeysTouched(ctx context.Context, parts []string) (map[string]bool, error) {
	t := w.table
	return w.sink.partitionFlags(ctx, liveKeysTouchedQuery(t, w.sink.qualified(w.target), w.sink.qualified(w.staging), parts),
		"find the live keys of "+t.Name+" this load brings again")
}

// partitionFlags runs q, which returns (partition, UInt64) rows, and says
// per partition whether its number is above zero; what names the query in
// errors.
func (s *Sink) partitionFlags(ctx context.Context, q, what string) (map[string]bool, error) {
	qctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(qctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var (
			p string
			n uint64
		)
		if err := rows.Scan(&p, &n); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out[p] = n > 0
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// liveKeysTouchedQuery returns, per partition p among parts, the rows of
// target (a qualified name) whose key staging carries in p; a partition
// without such rows has no row. The same on 18.16 and current releases.
func liveKeysTouchedQuery(t *schemas.Table, target, staging string, parts []string) string {
	part, in := partitionID(t), "1"
	if t.Partition != "" {
		in = fmt.Sprintf("toYYYYMM(%s) IN (%s)", quoteIdent(t.Partition), strings.Join(parts, ", "))
	}
	keys := identList(t.Key)
	return fmt.Sprintf("SELECT %s AS p, count() AS touched FROM %s WHERE %s AND (%s) IN (SELECT %s FROM %s WHERE %s) GROUP BY p",
		part, target, in, keys, keys, staging, in)
}

// partitionID is the expression of a row's partition as system.parts
// names it.
func partitionID(t *schemas.Table) string {
	if t.Partition == "" {
		return "'tuple()'"
	}
	return fmt.Sprintf("toString(toYYYYMM(%s))", quoteIdent(t.Partition))
}

// oneRowPerKey returns the partitions of staging whose rows have one row
// per key, as system.parts names them, in one pass over staging. A key with
// a NULL part hashes to NULL, which uniqExact does not count, so its
// partition is rebuilt. The keys are counted by their 64-bit hash: half the
// time of counting the strings (200k session ids: 20-50 ms against
// 50-110 ms, in the serial end of a load), and two keys that collide only
// make a partition look duplicated, which a rebuild then handles exactly.
func (w *writer) oneRowPerKey(ctx context.Context) (map[string]bool, error) {
	return w.sink.partitionFlags(ctx, oneRowPerKeyQuery(w.table, w.sink.qualified(w.staging)), "count the keys staged for "+w.table.Name)
}

// oneRowPerKeyQuery returns, per partition p of staging (a qualified
// name), one_row_per_key 1 when its rows have one row per key. The same
// on 18.16 and current releases.
func oneRowPerKeyQuery(t *schemas.Table, staging string) string {
	return fmt.Sprintf("SELECT %s AS p, toUInt64(count() = uniqExact(cityHash64(%s))) AS one_row_per_key FROM %s GROUP BY p", partitionID(t), identList(t.Key), staging)
}

// mergeRebuild returns the statement that fills partition p of rebuilt
// (qualified names): the live rows of keys the staged rows do not touch
// (none when the target has no such partition, live false), then each
// touched key's newest row among the live and the staged ones, the staged
// row winning a tie. One INSERT, so the partition is swapped in as one part
// where it fits one block: readers do not pay for a part per load. The same
// on 18.16 and current releases.
func mergeRebuild(t *schemas.Table, target, staging, rebuilt, p string, live bool) string {
	cols, keys := identList(columnNames(t)), identList(t.Key)
	order := keys + ", " + quoteIdent(t.Version) + " DESC, _etl_new DESC"
	if t.Version != schemas.ExtractedAt {
		order += ", " + quoteIdent(schemas.ExtractedAt) + " DESC"
	}
	in := partitionFilter(t, p)
	touched := fmt.Sprintf("(%s) IN (SELECT %s FROM %s WHERE %s)", keys, keys, staging, in)
	candidates := fmt.Sprintf("SELECT %s, 1 AS _etl_new FROM %s WHERE %s", cols, staging, in)
	keep := ""
	if live {
		keep = fmt.Sprintf("SELECT %s FROM %s WHERE %s AND NOT (%s) UNION ALL ", cols, target, in, touched)
		candidates = fmt.Sprintf("SELECT %s, 0 AS _etl_new FROM %s WHERE %s AND %s UNION ALL %s", cols, target, in, touched, candidates)
	}
	return fmt.Sprintf("INSERT INTO %s (%s) %sSELECT %s FROM (SELECT %s FROM (%s) ORDER BY %s LIMIT 1 BY %s)",
		rebuilt, cols, keep, cols, cols, candidates, order, keys)
}

// partitionFilter selects the rows of t in partition p (as system.parts
// names it).
func partitionFilter(t *schemas.Table, p string) string {
	if t.Partition == "" {
		return "1"
	}
	return fmt.Sprintf("toYYYYMM(%s) = %s", quoteIdent(t.Partition), p)
}

// Swap moves every prepared partition into the target, then drops staging.
// Each REPLACE PARTITION is atomic; the window's tables follow one another.
func (w *writer) Swap(ctx context.Context) error {
	if w.state == done {
		return nil
	}
	if w.state != prepared {
		return fmt.Errorf("swap %s: the load was not prepared", w.table.Name)
	}
	defer w.finish()
	for i, sw := range w.swaps {
		if err := w.sink.swapPartition(ctx, w.target, sw); err != nil {
			return fmt.Errorf("%w (%d of %d partitions of %s were swapped in)", err, i, len(w.swaps), w.table.Name)
		}
	}
	return nil
}

// swapPartition makes the target's partition equal the staging one. REPLACE
// PARTITION from a partition staging does not have is not reliable across
// versions, so an empty one becomes a DROP.
func (s *Sink) swapPartition(ctx context.Context, target string, sw partitionSwap) error {
	if sw.empty {
		if err := s.exec(ctx, fmt.Sprintf("ALTER TABLE %s DROP PARTITION %s", s.qualified(target), sw.partition)); err != nil {
			return fmt.Errorf("empty partition %s of %s: %w", sw.partition, target, err)
		}
		return nil
	}
	if sw.attach {
		if err := s.exec(ctx, fmt.Sprintf("ALTER TABLE %s ATTACH PARTITION %s FROM %s", s.qualified(target), sw.partition, s.qualified(sw.from))); err != nil {
			return fmt.Errorf("add the rows of partition %s to %s: %w", sw.partition, target, err)
		}
		return nil
	}
	if err := s.exec(ctx, fmt.Sprintf("ALTER TABLE %s REPLACE PARTITION %s FROM %s", s.qualified(target), sw.partition, s.qualified(sw.from))); err != nil {
		return fmt.Errorf("swap partition %s into %s: %w", sw.partition, target, err)
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

// partitions lists the partitions (as ALTER ... PARTITION takes them) that
// hold active parts of table.
func (s *Sink) partitions(ctx context.Context, table string) ([]string, error) {
	out, err := s.strings(ctx, "SELECT DISTINCT partition FROM system.parts WHERE database = ? AND table = ? AND active ORDER BY partition", s.db, table)
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", table, err)
	}
	return out, nil
}

// strings runs a query whose single column is a String; a query of system
// tables is retried after a concurrent DROP broke it (retryCatalog).
func (s *Sink) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	if !strings.Contains(q, "FROM system.") {
		return s.stringsOnce(ctx, q, args...)
	}
	return catalogRead(ctx, func() ([]string, error) { return s.stringsOnce(ctx, q, args...) })
}

func (s *Sink) stringsOnce(ctx context.Context, q string, args ...any) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func literal(t *schemas.Table, v time.Time) string {
	if c, _ := t.Column(t.Day); c.Type == schemas.Date {
		return fmt.Sprintf("toDate('%s')", v.UTC().Format(time.DateOnly))
	}
	return fmt.Sprintf("toDateTime('%s', 'UTC')", v.UTC().Format(time.DateTime))
}

// Abort drops staging and releases the table; a no-op after Swap.
func (w *writer) Abort(ctx context.Context) error {
	if w.state == done {
		return nil
	}
	w.state = done
	if w.stager != nil {
		w.stager.discard()
	}
	if w.lock != nil {
		w.lock.Unlock()
		w.lock = nil
	}
	return w.dropStaging(ctx)
}

func (w *writer) dropStaging(ctx context.Context) error {
	for _, n := range []string{w.staging, w.rebuilt} {
		if n == "" {
			continue
		}
		if err := w.sink.exec(ctx, "DROP TABLE IF EXISTS "+w.sink.qualified(n)); err != nil {
			return fmt.Errorf("drop staging table %s: %w", n, err)
		}
	}
	return nil
}

func (w *writer) finish() {
	w.state = done
	if w.lock != nil {
		w.lock.Unlock()
		w.lock = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.dropStaging(ctx); err != nil {
		w.sink.opts.Logger.Warn("could not drop a staging table", "table", w.table.Name, "err", err)
	}
}

// CountRows counts the rows a dashboard sees under the table's name.
func (s *Sink) CountRows(ctx context.Context, table string) (int64, error) {
	n, err := s.count(ctx, table, "tuple()")
	return int64(n), err
}

// DropStaleStaging removes staging tables a killed run left behind. Call it
// only while holding the run lock: then no live load owns one. It drops
// only names of the exact stagingName form whose table (or its _raw
// storage) exists with the same columns: a user's table that merely starts
// with _stg_ is never touched.
func (s *Sink) DropStaleStaging(ctx context.Context) (int, error) {
	if s.cluster != nil {
		// Each node has its own staging tables (the DSN's node also the
		// Distributed ones); one that does not answer keeps them until the
		// next run that reaches it.
		total := 0
		for _, ns := range s.clusterNodes(ctx) {
			n, err := ns.DropStaleStaging(ctx)
			total += n
			if err != nil {
				return total, err
			}
		}
		return total, nil
	}
	names, err := s.strings(ctx, "SELECT name FROM system.tables WHERE database = ? AND startsWith(name, ?)", s.db, stagingPrefix)
	if err != nil {
		return 0, fmt.Errorf("list staging tables in %s: %w", s.db, err)
	}
	dropped := 0
	for _, n := range names {
		ok, err := s.isStaging(ctx, n)
		if err != nil {
			return dropped, err
		}
		if !ok {
			s.opts.Logger.Info("kept a table whose name starts with the staging prefix but is not an etl staging table", "table", n)
			continue
		}
		if err := s.exec(ctx, "DROP TABLE IF EXISTS "+s.qualified(n)); err != nil {
			return dropped, fmt.Errorf("drop staging table %s: %w", n, err)
		}
		dropped++
	}
	return dropped, nil
}

// isStaging reports whether name is a staging table of a live table: the
// exact name form, and the same columns as <table> or <table>_raw (CREATE
// TABLE ... AS copies them).
func (s *Sink) isStaging(ctx context.Context, name string) (bool, error) {
	table, ok := stagingOf(name)
	if !ok {
		return false, nil
	}
	have, err := s.columns(ctx, name)
	if err != nil {
		return false, err
	}
	for _, target := range []string{table + "_raw", table} {
		want, err := s.columns(ctx, target)
		if err != nil {
			return false, err
		}
		if len(want) > 0 && maps.Equal(have, want) {
			return true, nil
		}
	}
	return false, nil
}
