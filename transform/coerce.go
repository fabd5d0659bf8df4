package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/schemas"
)

// ValueError says why a value does not fit its column; the row becomes a reject.
type ValueError struct {
	Column string
	Type   schemas.Type
	Value  any
	Reason string
}

func (e *ValueError) Error() string {
	v := fmt.Sprint(e.Value)
	if len(v) > 80 {
		v = v[:80] + "…"
	}
	if e.Reason != "" {
		return fmt.Sprintf("column %s: %s", e.Column, e.Reason)
	}
	return fmt.Sprintf("column %s: cannot read %q as %s", e.Column, v, e.Type)
}

// ClickHouse DateTime is a UInt32 of seconds: anything outside this range
// would wrap around silently, so it is a reject instead.
var (
	minTime = time.Unix(0, 0).UTC()
	maxTime = time.Date(2105, 12, 31, 23, 59, 59, 0, time.UTC)
)

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	time.DateOnly,
}

func isNull(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case json.RawMessage:
		return len(x) == 0 || string(x) == "null"
	}
	return false
}

// toTime reads ISO-8601 text and epoch numbers (seconds or milliseconds).
func toTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case *time.Time:
		if x == nil {
			return time.Time{}, false
		}
		return x.UTC(), true
	case string:
		s := strings.TrimSpace(x)
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC(), true
			}
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return epoch(f), true
		}
		return time.Time{}, false
	case json.Number:
		f, err := x.Float64()
		return epoch(f), err == nil
	}
	if f, ok := toFloat(v); ok {
		return epoch(f), true
	}
	return time.Time{}, false
}

// epoch guesses the unit the way APIs use it: values past ~5138 AD in
// seconds are milliseconds.
func epoch(f float64) time.Time {
	if math.Abs(f) >= 1e11 {
		return time.UnixMilli(int64(f)).UTC()
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

var thousands = regexp.MustCompile(`^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$`)

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		s := strings.TrimSpace(x)
		s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
		if thousands.MatchString(s) {
			s = strings.ReplaceAll(s, ",", "")
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
	case string:
		s := strings.TrimSpace(x)
		if thousands.MatchString(s) {
			s = strings.ReplaceAll(s, ",", "")
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, true
		}
	}
	f, ok := toFloat(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "t", "yes", "y", "1":
			return true, true
		case "false", "f", "no", "n", "0":
			return false, true
		}
		return false, false
	}
	if f, ok := toFloat(v); ok && (f == 0 || f == 1) {
		return f == 1, true
	}
	return false, false
}

// toText renders scalars as people write them and anything nested as JSON.
func toText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case json.RawMessage:
		return string(x)
	}
	return toJSON(v)
}

// toJSON keeps a value whole as compact JSON without HTML escaping, so
// "<b>" stays readable in the warehouse.
func toJSON(v any) string {
	switch x := v.(type) {
	case json.RawMessage:
		var buf bytes.Buffer
		if json.Compact(&buf, x) == nil {
			return buf.String()
		}
		return string(x)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func toList(v any) ([]string, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case []string:
		return x, true
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			if e == nil {
				out[i] = ""
				continue
			}
			out[i] = toText(e)
		}
		return out, true
	case string:
		s := strings.TrimSpace(x)
		if strings.HasPrefix(s, "[") {
			var items []any
			if json.Unmarshal([]byte(s), &items) == nil {
				return toList(items)
			}
		}
		if s == "" {
			return nil, true
		}
		return []string{x}, true
	}
	return nil, false
}

// cell holds one coerced value in the field its column type uses, so a row
// is checked whole before anything is appended without boxing each value
// into an interface (an allocation per string, number and time).
type cell struct {
	null bool
	s    string
	i    int64
	f    float64
	b    bool
	t    time.Time
	l    []string
}

// coerce converts one raw value to the Go value the column builder takes:
// string, int64, float64, bool, time.Time (UTC) or []string; nil is null.
func coerce(c schemas.Column, v any) (any, error) {
	var out cell
	if err := coerceCell(c, v, &out); err != nil {
		return nil, err
	}
	if out.null {
		return nil, nil
	}
	switch c.Type {
	case schemas.String, schemas.JSON:
		return out.s, nil
	case schemas.Int64:
		return out.i, nil
	case schemas.Float64:
		return out.f, nil
	case schemas.Bool:
		return out.b, nil
	case schemas.Timestamp, schemas.Date:
		return out.t, nil
	case schemas.StringList:
		if out.l == nil {
			return []string(nil), nil
		}
		return out.l, nil
	}
	return nil, fmt.Errorf("column %s: unsupported type %s", c.Name, c.Type)
}

// coerceCell is coerce into out's field for c.Type (out.null for null).
func coerceCell(c schemas.Column, v any, out *cell) error {
	*out = cell{}
	if c.Type == schemas.String {
		// The common case first: text into a text column, no checks to make.
		if x, ok := v.(string); ok {
			out.s = x
			return nil
		}
	}
	if c.Type == schemas.Timestamp {
		if x, ok := v.(string); ok {
			// Fast path for the ISO 8601 text APIs send; anything else takes
			// the general route below.
			if t, ok := parseISOTime(x); ok {
				if !t.Before(minTime) && !t.After(maxTime) {
					out.t = t
					return nil
				}
			}
		}
	}
	if isNull(v) && c.Type != schemas.String && c.Type != schemas.StringList {
		if c.Nullable {
			out.null = true
			return nil
		}
		switch c.Type {
		case schemas.JSON:
			out.s = "null"
			return nil
		case schemas.Bool:
			return nil
		}
		return &ValueError{Column: c.Name, Type: c.Type, Value: v, Reason: "value is missing and the column is not nullable"}
	}
	bad := func() error { return &ValueError{Column: c.Name, Type: c.Type, Value: v} }
	switch c.Type {
	case schemas.String:
		if v == nil {
			out.null = c.Nullable
			return nil
		}
		out.s = toText(v)
		return nil
	case schemas.JSON:
		if s, ok := v.(string); ok {
			t := strings.TrimSpace(s)
			if (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)) {
				out.s = toJSON(json.RawMessage(t))
				return nil
			}
		}
		out.s = toJSON(v)
		return nil
	case schemas.Int64:
		if i, ok := toInt(v); ok {
			out.i = i
			return nil
		}
		return bad()
	case schemas.Float64:
		if f, ok := toFloat(v); ok {
			out.f = f
			return nil
		}
		return bad()
	case schemas.Bool:
		if b, ok := toBool(v); ok {
			out.b = b
			return nil
		}
		return bad()
	case schemas.Timestamp, schemas.Date:
		t, ok := toTime(v)
		if !ok {
			return bad()
		}
		if t.Before(minTime) || t.After(maxTime) {
			return &ValueError{Column: c.Name, Type: c.Type, Value: v, Reason: fmt.Sprintf("%s is outside 1970..2105, which the warehouse cannot store", t.Format(time.RFC3339))}
		}
		if c.Type == schemas.Date {
			y, m, d := t.Date()
			t = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
		out.t = t
		return nil
	case schemas.StringList:
		if l, ok := toList(v); ok {
			// Never null: a missing list is an empty one.
			out.l = l
			return nil
		}
		return bad()
	}
	return fmt.Errorf("column %s: unsupported type %s", c.Name, c.Type)
}

// DayValue reads v as t's day column the way a load of the row does (its
// window check uses the same instant); ok is false when t has no day column
// or v is missing or does not read as one.
func DayValue(t *schemas.Table, v any) (time.Time, bool) {
	c, ok := t.Column(t.Day)
	if !ok || (c.Type != schemas.Timestamp && c.Type != schemas.Date) {
		return time.Time{}, false
	}
	var cl cell
	if err := coerceCell(c, v, &cl); err != nil || cl.null {
		return time.Time{}, false
	}
	return cl.t, true
}
