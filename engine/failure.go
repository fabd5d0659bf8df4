package engine

import (
	"fmt"
	"strings"

	"github.com/adoptionlabs/etl/window"
)

// windowError is a failed window's error as people read it (see failure);
// the cause stays in the chain.
type windowError struct {
	msg string
	err error
}

func (e *windowError) Error() string { return e.msg }
func (e *windowError) Unwrap() error { return e.err }

// failure words a failed window's error: where (stream and window), then
// what to change when a rerun cannot cure it, then the cause, without the
// source's own repeat of where. It returns the fix too ("" when transient).
// windows are those the cause may name in its own prefix (a walk's span).
func failure(s *Stream, where string, err error, windows ...window.Window) (error, string) {
	head := s.Source + " " + s.Name
	msg := err.Error()
	for _, prefix := range append(windowNames(head, windows), head) {
		rest, ok := strings.CutPrefix(msg, prefix)
		if ok && (rest == "" || rest[0] == ' ' || rest[0] == ':') {
			msg = strings.TrimLeft(rest, ": ")
			break
		}
	}
	fix := FixOf(err)
	if fix != "" {
		msg = fix + ": " + strings.Replace(msg, fix+": ", "", 1)
	}
	return &windowError{msg: where + ": " + msg, err: err}, fix
}

func windowNames(head string, windows []window.Window) []string {
	out := make([]string, len(windows))
	for i, w := range windows {
		out[i] = head + " window " + w.String()
	}
	return out
}

// where names a stream's window in errors.
func where(s *Stream, w window.Window) string {
	return fmt.Sprintf("%s %s window %s", s.Source, s.Name, w)
}

// interrupted words the error of window w of s when the run was cancelled
// (cause) while it ended: which tables were committed before err, if any,
// and that a rerun of the window loads the rest.
func interrupted(s *Stream, w window.Window, committed []string, err, cause error) error {
	what := "nothing of this window was committed"
	if len(committed) > 0 {
		what = fmt.Sprintf("tables %s of this window were committed, the others were not (%v): rerun the window", strings.Join(committed, ", "), err)
	}
	return fmt.Errorf("%s %s window %s: interrupted, %s: %w", s.Source, s.Name, w, what, cause)
}
