package transform

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/adoptionlabs/etl/schemas"
)

// Layout names, once per stream, the columns an extractor gives by position.
// A row built as a map boxes every value into an interface and hashes every
// name; at hundreds of thousands of rows a window that was most of a
// backfill's CPU (BENCHMARKS.md, "Per stage"). With a layout the extractor
// fills a []Value in the layout's order and nothing is allocated per row.
type Layout struct {
	table *schemas.Table
	names []string
	// pos[c] is the position of table column c in the values, -1 when the
	// layout does not give it (a meta column, _extra, or a column left null).
	pos []int
}

// NewLayout returns the layout giving names, in that order, of table t.
func NewLayout(t *schemas.Table, names ...string) (*Layout, error) {
	l := &Layout{table: t, names: names, pos: make([]int, len(t.Columns))}
	for i := range l.pos {
		l.pos[i] = -1
	}
	for p, n := range names {
		c := t.Index(n)
		switch {
		case c < 0:
			return nil, fmt.Errorf("layout of %s: no column %q", t.Name, n)
		case n == schemas.ExtractedAt || n == schemas.RunID || n == schemas.Extra:
			return nil, fmt.Errorf("layout of %s: %s is filled by the engine", t.Name, n)
		case l.pos[c] >= 0:
			return nil, fmt.Errorf("layout of %s: column %q given twice", t.Name, n)
		}
		l.pos[c] = p
	}
	return l, nil
}

// MustLayout is NewLayout for package-level declarations, whose names are
// constants checked by the package's tests.
func MustLayout(t *schemas.Table, names ...string) *Layout {
	l, err := NewLayout(t, names...)
	if err != nil {
		panic(err)
	}
	return l
}

// Table is the table the layout fills.
func (l *Layout) Table() *schemas.Table { return l.table }

// Len is the number of values a row of this layout has.
func (l *Layout) Len() int { return len(l.names) }

// Map turns values back into the map form (rejects show it as JSON).
func (l *Layout) Map(vals []Value) map[string]any {
	m := make(map[string]any, len(l.names))
	for p, n := range l.names {
		if p < len(vals) {
			m[n] = vals[p].Any()
		}
	}
	return m
}

type valueKind uint8

const (
	kindNull valueKind = iota
	kindString
	kindFloat
	kindBool
	kindAny
)

// Value is one field as the source gave it: a string, a number, a bool,
// null, or anything else (coerced as a map value would be). It is a plain
// struct so a row of them lives in a reused slice.
type Value struct {
	kind valueKind
	b    bool
	f    float64
	s    string
	v    any
}

// Str is a text value.
func Str(s string) Value { return Value{kind: kindString, s: s} }

// OptStr is a text value, or null when s is nil.
func OptStr(s *string) Value {
	if s == nil {
		return Value{}
	}
	return Value{kind: kindString, s: *s}
}

// Num is a number.
func Num(f float64) Value { return Value{kind: kindFloat, f: f} }

// Bool is a bool.
func Bool(b bool) Value { return Value{kind: kindBool, b: b} }

// Null is a missing value.
func Null() Value { return Value{} }

// Any is a value of any other shape (a list, an object, a number given as
// text or as a number by the same field).
func Any(v any) Value {
	switch x := v.(type) {
	case nil:
		return Value{}
	case string:
		return Str(x)
	case float64:
		return Num(x)
	case bool:
		return Bool(x)
	}
	return Value{kind: kindAny, v: v}
}

// Any returns the value boxed, as the map form holds it.
func (v Value) Any() any {
	switch v.kind {
	case kindString:
		return v.s
	case kindFloat:
		return v.f
	case kindBool:
		return v.b
	case kindAny:
		return v.v
	}
	return nil
}

// AppendFields is Append for a row given by layout: the same coercion, the
// same errors, without the map. Fields of the layout are all known, so
// nothing goes to _extra.
func (b *Batcher) AppendFields(l *Layout, vals []Value) error {
	if l.table != b.table {
		return fmt.Errorf("row of %s's layout appended to %s", l.table.Name, b.table.Name)
	}
	if len(vals) != len(l.names) {
		return fmt.Errorf("row of %s has %d values, its layout %d", b.table.Name, len(vals), len(l.names))
	}
	cells := b.cells
	cols := b.table.Columns
	for i := range cols {
		c := &cols[i]
		cl := &cells[i]
		var err error
		switch p := l.pos[i]; {
		case i == b.extractedIdx:
			*cl = cell{t: b.meta.ExtractedAt}
		case i == b.runIdx:
			*cl = cell{s: b.meta.RunID}
		case i == b.extra:
			*cl = cell{s: "{}"}
		case p < 0:
			err = coerceCell(*c, nil, cl)
		default:
			err = coerceValue(c, &vals[p], cl)
		}
		if err != nil {
			return err
		}
		if err := b.checkKey(i, cl); err != nil {
			return err
		}
	}
	return b.appendCells()
}

// coerceValue is coerceCell for a Value, taking the direct route for the
// shapes that need no conversion and the general one for the rest, so both
// forms of a row load the same and reject the same.
//
// The direct routes set only the fields appendCells reads for the column's
// type (and null): a whole cell is ~100 bytes with pointers, and zeroing it
// for every value was a tenth of a row's cost.
func coerceValue(c *schemas.Column, v *Value, out *cell) error {
	switch {
	case v.kind == kindString && c.Type == schemas.String:
		out.null, out.s = false, v.s
		return nil
	case v.kind == kindString && c.Type == schemas.Timestamp:
		if t, ok := parseISOTime(v.s); ok && !t.Before(minTime) && !t.After(maxTime) {
			out.null, out.t = false, t
			return nil
		}
	case v.kind == kindFloat && c.Type == schemas.Float64:
		if finite(v.f) {
			out.null, out.f = false, v.f
			return nil
		}
	case v.kind == kindFloat && c.Type == schemas.Int64:
		if v.f == math.Trunc(v.f) && math.Abs(v.f) <= 1<<53 {
			out.null, out.i = false, int64(v.f)
			return nil
		}
	case v.kind == kindBool && c.Type == schemas.Bool:
		out.null, out.b = false, v.b
		return nil
	case v.kind == kindString && c.Type == schemas.Float64:
		if f, err := strconv.ParseFloat(v.s, 64); err == nil && finite(f) {
			out.null, out.f = false, f
			return nil
		}
	}
	return coerceCell(*c, v.Any(), out)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// ParseRFC3339 is time.Parse(time.RFC3339Nano, s), without its cost for
// the fixed shape APIs send most.
func ParseRFC3339(s string) (time.Time, error) {
	if t, ok := parseISOTime(s); ok {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// parseISOTime reads the fixed shape APIs send most,
// "2006-01-02T15:04:05[.fff][Z|+hh:mm]", without time.Parse's generality;
// anything else returns false and takes the general route.
func parseISOTime(s string) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits2(s, 0)
	y2, ok2 := digits2(s, 2)
	year = year*100 + y2
	month, ok3 := digits2(s, 5)
	day, ok4 := digits2(s, 8)
	hour, ok5 := digits2(s, 11)
	minute, ok6 := digits2(s, 14)
	sec, ok7 := digits2(s, 17)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	i, nanos := 19, 0
	if s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		digits := j - i - 1
		if digits == 0 || digits > 9 {
			return time.Time{}, false
		}
		n := 0
		for k := i + 1; k < j; k++ {
			n = n*10 + int(s[k]-'0')
		}
		for k := digits; k < 9; k++ {
			n *= 10
		}
		nanos, i = n, j
	}
	offset := 0
	switch rest := s[i:]; {
	case rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		h, okh := digits2(s, i+1)
		m, okm := digits2(s, i+4)
		if !okh || !okm || h > 23 || m > 59 {
			return time.Time{}, false
		}
		offset = h*3600 + m*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	if day > daysIn(year, month) {
		// February 30th and the like: time.Parse refuses them.
		return time.Time{}, false
	}
	// time.Date normalises and looks the zone up; this is the same
	// instant at a third of its cost (a timestamp or two per row).
	secs := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec-offset)
	return time.Unix(secs, int64(nanos)).UTC(), true
}

// digits2 reads the two decimal digits at s[i:i+2].
func digits2(s string, i int) (int, bool) {
	a, b := s[i]-'0', s[i+1]-'0'
	return int(a)*10 + int(b), a <= 9 && b <= 9
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (H. Hinnant's days_from_civil).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 { // January and February of year 0
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}
