// Package window is the half-open UTC time interval every extraction and
// load is scoped to, and the arithmetic on it (days, months, chunks).
package window

import (
	"fmt"
	"time"
)

// Window is the half-open interval [Start, End) in UTC.
type Window struct {
	Start time.Time
	End   time.Time
}

// Day is the length of a UTC day; windows are built from whole days so that
// a rerun replaces exactly the day partitions it covers.
const Day = 24 * time.Hour

// New returns [start, end) in UTC.
func New(start, end time.Time) Window {
	return Window{Start: start.UTC(), End: end.UTC()}
}

// ParseDays turns the CLI's inclusive --from/--to dates into
// [from 00:00, to+1 00:00) UTC. An impossible date (2026-02-30) is an error.
func ParseDays(from, to string) (Window, error) {
	f, err := ParseDate(from)
	if err != nil {
		return Window{}, fmt.Errorf("--from: %w", err)
	}
	t, err := ParseDate(to)
	if err != nil {
		return Window{}, fmt.Errorf("--to: %w", err)
	}
	if t.Before(f) {
		return Window{}, fmt.Errorf("--from %s is after --to %s", from, to)
	}
	return Window{Start: f, End: t.Add(Day)}, nil
}

// ParseDate parses YYYY-MM-DD strictly (time.Parse rejects 2026-02-30).
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a valid date (want YYYY-MM-DD, a real calendar day)", s)
	}
	return d.UTC(), nil
}

// Floor truncates t to its UTC day.
func Floor(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Contains reports whether t lies in [Start, End).
func (w Window) Contains(t time.Time) bool {
	return !t.Before(w.Start) && t.Before(w.End)
}

// Empty reports whether the window holds no instant.
func (w Window) Empty() bool { return !w.End.After(w.Start) }

// Duration is End - Start.
func (w Window) Duration() time.Duration { return w.End.Sub(w.Start) }

// Days lists the UTC days the window touches, first to last.
func (w Window) Days() []time.Time {
	var out []time.Time
	for d := Floor(w.Start); d.Before(w.End); d = d.Add(Day) {
		out = append(out, d)
	}
	return out
}

// Months lists the first day of every UTC month the window touches.
func (w Window) Months() []time.Time {
	var out []time.Time
	y, m, _ := w.Start.UTC().Date()
	for d := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC); d.Before(w.End); d = d.AddDate(0, 1, 0) {
		out = append(out, d)
	}
	return out
}

// Split cuts the window into consecutive chunks of at most size, aligned to
// the window start. size <= 0 returns the window whole.
func (w Window) Split(size time.Duration) []Window {
	if size <= 0 || w.Duration() <= size {
		return []Window{w}
	}
	var out []Window
	for s := w.Start; s.Before(w.End); s = s.Add(size) {
		e := s.Add(size)
		if e.After(w.End) {
			e = w.End
		}
		out = append(out, Window{Start: s, End: e})
	}
	return out
}

// String shows whole-day windows the way the CLI takes them (inclusive end
// day) and anything else as an explicit half-open interval.
func (w Window) String() string {
	if w.Start.Equal(Floor(w.Start)) && w.End.Equal(Floor(w.End)) {
		last := w.End.Add(-Day)
		if last.Equal(w.Start) {
			return w.Start.Format(time.DateOnly)
		}
		return w.Start.Format(time.DateOnly) + ".." + last.Format(time.DateOnly)
	}
	return "[" + w.Start.Format(time.RFC3339) + ", " + w.End.Format(time.RFC3339) + ")"
}

// ParseDayCount reads a whole number of days, "0d", "1d", "30d": windows are
// built from whole days because a load replaces whole day partitions.
func ParseDayCount(s string) (time.Duration, error) {
	var n int
	if _, err := fmt.Sscanf(s, "%dd", &n); err == nil && fmt.Sprintf("%dd", n) == s && n >= 0 {
		return time.Duration(n) * Day, nil
	}
	return 0, fmt.Errorf("%q: want a whole number of days such as 0d, 1d, 7d, 30d", s)
}

// ParseChunk reads a chunk size: a positive number of days.
func ParseChunk(s string) (time.Duration, error) {
	d, err := ParseDayCount(s)
	if err == nil && d == 0 {
		err = fmt.Errorf("%q: a chunk must be at least 1d", s)
	}
	return d, err
}

// MonthAligned widens w to whole UTC months.
func MonthAligned(w Window) Window {
	months := w.Months()
	if len(months) == 0 {
		return w
	}
	return Window{Start: months[0], End: months[len(months)-1].AddDate(0, 1, 0)}
}
