package clickhouse

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/adoptionlabs/etl/redact"
)

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
		// memory, and LZ4 costs etl's CPU to do and the server's to undo
		// (BENCHMARKS.md, "Defaults these figures chose").
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
