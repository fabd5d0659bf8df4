package transform

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

var fieldsTable = &schemas.Table{
	Name: "f",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String},
		schemas.Column{Name: "opt", Type: schemas.String, Nullable: true},
		schemas.Column{Name: "n", Type: schemas.Float64, Nullable: true},
		schemas.Column{Name: "i", Type: schemas.Int64, Nullable: true},
		schemas.Column{Name: "ok", Type: schemas.Bool},
		schemas.Column{Name: "at", Type: schemas.Timestamp},
		schemas.Column{Name: "done_at", Type: schemas.Timestamp, Nullable: true},
		schemas.Column{Name: "tags", Type: schemas.StringList},
		schemas.Column{Name: "doc", Type: schemas.JSON, Nullable: true},
	),
	Disposition: schemas.Merge, Key: []string{"id"}, Version: "at", Day: "at",
}

var fieldsLayout = MustLayout(fieldsTable, "id", "opt", "n", "i", "ok", "at", "done_at", "tags", "doc")

// A row given by layout must load, and fail, exactly as the same row given
// as a map: the two forms are interchangeable for every extractor.
func TestAppendFieldsMatchesAppend(t *testing.T) {
	at := "2026-11-03T10:00:00.123+00:00"
	cases := []struct {
		name string
		vals []Value
	}{
		{"plain", []Value{Str("a"), Null(), Num(1.5), Any(json.Number("7")), Bool(true), Str(at), Null(), Any([]any{"x", 2.0}), Any(map[string]any{"k": "v"})}},
		{"numbers as text", []Value{Str("b"), Str("o"), Str("0.25"), Str("1,234"), Str("yes"), Str("2026-11-03T11:00:00Z"), Str("2026-11-03 12:00:00"), Str("solo"), Str(`{"a":1}`)}},
		{"float into int", []Value{Str("c"), Null(), Num(2), Num(3), Bool(false), Str("2026-11-03T10:30:00-02:00"), Str(""), Null(), Null()}},
		{"epoch time", []Value{Str("d"), Null(), Null(), Null(), Bool(false), Num(1.7622e9), Null(), Null(), Null()}},
		{"bad number", []Value{Str("e"), Null(), Str("abc"), Null(), Bool(false), Str(at), Null(), Null(), Null()}},
		{"fraction into int", []Value{Str("f"), Null(), Null(), Num(1.5), Bool(false), Str(at), Null(), Null(), Null()}},
		{"bad time", []Value{Str("g"), Null(), Null(), Null(), Bool(false), Str("2026-02-30T10:00:00Z"), Null(), Null(), Null()}},
		{"time out of range", []Value{Str("h"), Null(), Null(), Null(), Bool(false), Str("1969-12-31T23:59:59Z"), Null(), Null(), Null()}},
		{"missing key", []Value{Null(), Null(), Null(), Null(), Bool(false), Str(at), Null(), Null(), Null()}},
		{"empty key", []Value{Str(""), Null(), Null(), Null(), Bool(false), Str(at), Null(), Null(), Null()}},
		{"missing time", []Value{Str("i"), Null(), Null(), Null(), Bool(false), Null(), Null(), Null(), Null()}},
		{"outside window", []Value{Str("j"), Null(), Null(), Null(), Bool(false), Str("2026-12-03T10:00:00Z"), Null(), Null(), Null()}},
		{"NaN", []Value{Str("k"), Null(), Num(nan()), Null(), Bool(false), Str(at), Null(), Null(), Null()}},
	}
	w := window.New(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	meta := Meta{RunID: "r", ExtractedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			byMap := NewBatcher(mem, fieldsTable, meta, 10, &w)
			defer byMap.Release()
			byLayout := NewBatcher(mem, fieldsTable, meta, 10, &w)
			defer byLayout.Release()

			errMap := byMap.Append(fieldsLayout.Map(tc.vals))
			errLayout := byLayout.AppendFields(fieldsLayout, tc.vals)
			if errMap != nil {
				require.Error(t, errLayout)
				assert.Equal(t, errMap.Error(), errLayout.Error())
				assert.Zero(t, byLayout.Len())
				return
			}
			require.NoError(t, errLayout)
			a, b := byMap.Flush(), byLayout.Flush()
			defer a.Release()
			defer b.Release()
			require.True(t, array.RecordEqual(a, b), "map form:\n%v\nlayout form:\n%v", a, b)
		})
	}
}

func nan() float64 { var z float64; return z / z }

func TestLayoutRefusesWhatItCannotFill(t *testing.T) {
	for _, names := range [][]string{{"id", "nope"}, {"id", "id"}, {"id", schemas.RunID}} {
		_, err := NewLayout(fieldsTable, names...)
		assert.Error(t, err, "%v", names)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := NewBatcher(mem, fieldsTable, Meta{}, 10, nil)
	defer b.Release()
	assert.Error(t, b.AppendFields(fieldsLayout, []Value{Str("short")}), "a row must give every value of its layout")
	assert.Error(t, b.AppendFields(MustLayout(testTable, "id"), []Value{Str("a")}), "a layout of another table")
}

// parseISOTime is a shortcut past time.Parse: wherever it answers, it must
// answer what time.Parse(time.RFC3339Nano) does.
func TestParseISOTimeAgreesWithTimeParse(t *testing.T) {
	inputs := []string{
		"2026-11-26T03:59:04.000+00:00", "2026-11-26T03:59:04Z", "2026-11-26T03:59:04.5-07:30",
		"2024-02-29T23:59:59.999999999Z", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-26T24:00:00Z",
		"2026-11-26T03:59:60Z", "2026-11-26 03:59:04Z", "2026-11-26T03:59:04", "2026-11-26T03:59:04.Z",
		"2026-11-26T03:59:04.1234567891Z", "2026-11-26T03:59:04+0100", "2026-11-26T03:59:04+01:60", "x026-11-26T03:59:04Z",
		"2026-11-26T03:59:04z", "0000-01-01T00:00:00Z", "0000-03-01T00:00:00+01:00", "1600-02-29T12:00:00Z",
		"1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "1969-12-31T23:59:59.999-00:30",
		"9999-12-31T23:59:59.999999999Z", "2026-04-31T00:00:00Z", "2026-12-31T00:00:00Z",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		ts := time.Unix(r.Int64N(4e9), r.Int64N(1e9)).In(time.FixedZone("", (r.IntN(48)-24)*1800))
		inputs = append(inputs, ts.Format(time.RFC3339Nano), ts.Format("2006-01-02T15:04:05.000Z07:00"))
	}
	for _, s := range inputs {
		got, ok := parseISOTime(s)
		want, err := time.Parse(time.RFC3339Nano, s)
		if !ok {
			continue
		}
		require.NoError(t, err, "parseISOTime accepted %q, which time.Parse refuses", s)
		assert.True(t, want.Equal(got), "%s: %v, time.Parse %v", s, got, want)
	}
	// The shapes APIs send must take the shortcut, or it buys nothing.
	for _, s := range inputs[:3] {
		_, ok := parseISOTime(s)
		assert.True(t, ok, fmt.Sprintf("%q takes the general route", s))
	}
}

func BenchmarkParseISOTime(b *testing.B) {
	for range b.N {
		if _, ok := parseISOTime("2026-11-26T03:59:04.000+00:00"); !ok {
			b.Fatal("not parsed")
		}
	}
}
