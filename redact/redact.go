// Package redact keeps credentials out of everything etl prints or writes:
// log lines, error messages, the run report. A secret is hidden raw and in
// the encodings under which it reappears in text: URL-escaped in a path or
// query, and JSON-escaped in a JSON log line or an error body a server
// echoes back.
package redact

import (
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strings"
)

// Marker replaces every secret.
const Marker = "[REDACTED]"

// Redactor hides a fixed set of secrets. A nil *Redactor hides nothing.
// It is safe for concurrent use.
type Redactor struct {
	rep *strings.Replacer
}

// New hides secrets. Every non-blank value counts, however short: a leaked
// short key is worse than a mangled line, and configured keys are long.
func New(secrets []string) *Redactor {
	vs := variants(secrets)
	if len(vs) == 0 {
		return &Redactor{}
	}
	pairs := make([]string, 0, 2*len(vs))
	for _, v := range vs {
		pairs = append(pairs, v, Marker)
	}
	return &Redactor{rep: strings.NewReplacer(pairs...)}
}

// String hides the secrets in s.
func (r *Redactor) String(s string) string {
	if r == nil || r.rep == nil {
		return s
	}
	return r.rep.Replace(s)
}

// WithExtra hides the secrets in s plus extra ones known only for this
// text (credentials an authenticator set on one request).
func (r *Redactor) WithExtra(s string, extra []string) string {
	s = r.String(s)
	for _, v := range variants(extra) {
		s = strings.ReplaceAll(s, v, Marker)
	}
	return s
}

// Writer hides the secrets in everything written through it. Each Write is
// redacted on its own, so a writer of whole lines (slog) is what it is for.
func (r *Redactor) Writer(w io.Writer) io.Writer { return writer{r: r, w: w} }

type writer struct {
	r *Redactor
	w io.Writer
}

// Unwrap returns the writer underneath, so callers can still ask whether it
// is a terminal.
func (rw writer) Unwrap() io.Writer { return rw.w }

func (rw writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// variants returns the distinct non-empty encodings of secrets, longest
// first so that a secret containing another is replaced whole. JSON escaping
// is applied twice as well: an error body a server echoed back, quoted again
// in a JSON log line.
func variants(secrets []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		for _, j := range jsonEscapes(s) {
			add(j)
			for _, jj := range jsonEscapes(j) {
				add(jj)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// jsonEscapes returns s as it stands inside a JSON string: encoding/json
// escapes <, > and & by default, slog's JSON handler does not, so both.
func jsonEscapes(s string) []string {
	var out []string
	for _, html := range []bool{true, false} {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if enc.Encode(s) == nil {
			j := strings.TrimSuffix(b.String(), "\n")
			out = append(out, j[1:len(j)-1])
		}
	}
	return out
}
