// Package logging builds the program's slog logger (text or JSON, a level)
// and keeps credentials out of everything it prints.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
)

// Redactor replaces known secret values with [REDACTED].
type Redactor struct{ r *strings.Replacer }

// NewRedactor redacts the given values; empty and very short values are
// ignored (redacting "a" would mangle every line).
func NewRedactor(secrets []string) *Redactor {
	uniq := map[string]bool{}
	for _, s := range secrets {
		if len(s) >= 4 {
			uniq[s] = true
		}
	}
	list := make([]string, 0, len(uniq))
	for s := range uniq {
		list = append(list, s)
	}
	// Longest first, so a secret containing another is replaced whole.
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	var pairs []string
	for _, s := range list {
		pairs = append(pairs, s, "[REDACTED]")
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// String redacts s.
func (r *Redactor) String(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Writer redacts everything written through it.
func (r *Redactor) Writer(w io.Writer) io.Writer { return redactingWriter{r: r, w: w} }

type redactingWriter struct {
	r *Redactor
	w io.Writer
}

func (rw redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// New returns a logger writing to w in format "text" or "json" at level
// ("debug", "info", "warn", "error"), redacting secrets in every record.
func New(w io.Writer, format, level string, r *Redactor) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	out := r.Writer(w)
	var h slog.Handler
	switch format {
	case "text", "":
		h = slog.NewTextHandler(out, opts)
	case "json":
		h = slog.NewJSONHandler(out, opts)
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
	return slog.New(h), nil
}

// Discard is a logger that drops everything.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
