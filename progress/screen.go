package progress

import (
	"bytes"
	"io"
	"sync"
)

// Screen shares one terminal between the live view and the lines printed
// above it (warnings, errors). Every write erases the live view, prints whole
// lines, then draws the view again below them, in one write under one lock,
// so a redraw never tears a log line and a log line never lands inside the
// view. Without a live view it is a plain writer.
type Screen struct {
	mu      sync.Mutex
	out     io.Writer
	live    []string
	drawn   int
	partial []byte
}

// NewScreen returns a screen drawing on out.
func NewScreen(out io.Writer) *Screen { return &Screen{out: out} }

// Unwrap returns the writer underneath, so callers can still ask whether it
// is a terminal.
func (s *Screen) Unwrap() io.Writer { return s.out }

// Write prints complete lines above the live view. While the view is drawn,
// a trailing partial line waits for its newline: printed alone it would leave
// the cursor mid-line, where the view is drawn next.
func (s *Screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drawn == 0 && len(s.partial) == 0 {
		return s.out.Write(p) // no view to keep clear of: nothing is held back
	}
	s.partial = append(s.partial, p...)
	i := bytes.LastIndexByte(s.partial, '\n')
	if i < 0 {
		return len(p), nil
	}
	var b bytes.Buffer
	s.erase(&b)
	b.Write(s.partial[:i+1])
	s.partial = append(s.partial[:0], s.partial[i+1:]...)
	s.draw(&b)
	if _, err := s.out.Write(b.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Draw replaces the live view with lines.
func (s *Screen) Draw(lines []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b bytes.Buffer
	s.erase(&b)
	s.live = append(s.live[:0], lines...)
	s.draw(&b)
	_, _ = s.out.Write(b.Bytes())
}

// Clear erases the live view for good and prints a pending partial line.
func (s *Screen) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b bytes.Buffer
	s.erase(&b)
	s.live = s.live[:0]
	if len(s.partial) > 0 {
		b.Write(s.partial)
		b.WriteByte('\n')
		s.partial = s.partial[:0]
	}
	if b.Len() > 0 {
		_, _ = s.out.Write(b.Bytes())
	}
}

func (s *Screen) erase(b *bytes.Buffer) {
	for ; s.drawn > 0; s.drawn-- {
		b.WriteString("\x1b[1A\x1b[2K")
	}
}

// draw prints the view with the terminal's line wrap off: a line wider than
// the terminal is cut at the edge instead of wrapping onto a second row,
// which erase, counting one row per line, would leave behind.
func (s *Screen) draw(b *bytes.Buffer) {
	if len(s.live) == 0 {
		return
	}
	b.WriteString("\x1b[?7l")
	for _, l := range s.live {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString("\x1b[?7h")
	s.drawn = len(s.live)
}
