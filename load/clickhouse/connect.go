package clickhouse

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
)

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
