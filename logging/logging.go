// Package logging builds the program's slog logger (text or JSON, a level
// per output: the terminal and a log file) and keeps credentials out of
// everything it prints.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/adoptionlabs/etl/redact"
)

// Output is one place the log goes and the least level it gets there: a
// terminal shows warnings while a log file keeps the detail.
type Output struct {
	W     io.Writer
	Level slog.Level
	// Live is a terminal a person watches: the time of each line is the
	// present, so it is left out and a line fits in fewer rows.
	Live bool
}

// ParseLevel reads a --log-level value.
func ParseLevel(s string) (slog.Level, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
	}
	return lv, nil
}

// New returns a logger writing each record, in format "text" or "json", to
// every output whose level it reaches, redacting secrets in all of them.
func New(format string, r *redact.Redactor, outs ...Output) (*slog.Logger, error) {
	var hs []slog.Handler
	for _, o := range outs {
		opts := &slog.HandlerOptions{Level: o.Level}
		if o.Live {
			opts.ReplaceAttr = dropTime
		}
		w := r.Writer(o.W)
		switch format {
		case "text", "":
			hs = append(hs, slog.NewTextHandler(w, opts))
		case "json":
			hs = append(hs, slog.NewJSONHandler(w, opts))
		default:
			return nil, fmt.Errorf("--log-format %q: want text or json", format)
		}
	}
	if len(hs) == 1 {
		return slog.New(hs[0]), nil
	}
	return slog.New(slog.NewMultiHandler(hs...)), nil
}

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// OpenFile opens a --log-file for appending, creating it readable by its
// owner only: it names hosts, accounts and paths even with secrets redacted.
func OpenFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--log-file: %w", err)
	}
	return f, nil
}

// Discard is a logger that drops everything.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
