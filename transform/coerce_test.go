package transform

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
)

func TestCoerce(t *testing.T) {
	ts := time.Date(2022, 10, 17, 12, 34, 56, 0, time.UTC)
	col := func(ty schemas.Type, nullable bool) schemas.Column {
		return schemas.Column{Name: "c", Type: ty, Nullable: nullable}
	}
	cases := []struct {
		name    string
		col     schemas.Column
		in      any
		want    any
		wantErr string
	}{
		{"string as is", col(schemas.String, false), "a, \"b\"\nc", "a, \"b\"\nc", ""},
		{"number to string keeps digits", col(schemas.String, false), json.Number("12.50"), "12.50", ""},
		{"float to string without exponent", col(schemas.String, false), 1234567.0, "1234567", ""},
		{"nil to non-nullable string is empty", col(schemas.String, false), nil, "", ""},
		{"nil to nullable string is null", col(schemas.String, true), nil, nil, ""},
		{"decimal string to float", col(schemas.Float64, false), "0.4", 0.4, ""},
		{"percent string to float", col(schemas.Float64, true), " 45.5% ", 45.5, ""},
		{"thousands separators", col(schemas.Float64, false), "1,234.5", 1234.5, ""},
		{"json number to float", col(schemas.Float64, false), json.Number("3"), 3.0, ""},
		{"garbage float is an error", col(schemas.Float64, true), "n/a", nil, "cannot read \"n/a\" as float64"},
		{"empty float nullable is null", col(schemas.Float64, true), "", nil, ""},
		{"missing non-nullable float is an error", col(schemas.Float64, false), nil, nil, "value is missing"},
		{"int from string", col(schemas.Int64, false), "42", int64(42), ""},
		{"int from integral float", col(schemas.Int64, false), 42.0, int64(42), ""},
		{"int from fraction is an error", col(schemas.Int64, false), 4.2, nil, "as int64"},
		{"bool from string", col(schemas.Bool, false), "true", true, ""},
		{"bool from 0", col(schemas.Bool, false), json.Number("0"), false, ""},
		{"bool missing is false", col(schemas.Bool, false), nil, false, ""},
		{"bool garbage", col(schemas.Bool, false), "maybe", nil, "as bool"},
		{"iso timestamp with offset", col(schemas.Timestamp, false), "2022-10-17T14:34:56.000+02:00", ts, ""},
		{"iso timestamp Z with millis", col(schemas.Timestamp, false), "2022-10-17T12:34:56.789Z", ts.Add(789 * time.Millisecond), ""},
		{"space separated timestamp", col(schemas.Timestamp, false), "2022-10-17 12:34:56", ts, ""},
		{"minute timestamp", col(schemas.Timestamp, false), "2022-10-17 12:34", ts.Add(-56 * time.Second), ""},
		{"epoch millis", col(schemas.Timestamp, false), json.Number("1666010096000"), ts, ""},
		{"epoch seconds", col(schemas.Timestamp, false), float64(1666010096), ts, ""},
		{"timestamp before 1970 rejected", col(schemas.Timestamp, false), "1969-12-31T23:59:59Z", nil, "outside 1970..2105"},
		{"timestamp garbage", col(schemas.Timestamp, true), "yesterday", nil, "as timestamp"},
		{"nullable timestamp null", col(schemas.Timestamp, true), nil, nil, ""},
		{"date from day", col(schemas.Date, false), "2022-10-17", time.Date(2022, 10, 17, 0, 0, 0, 0, time.UTC), ""},
		{"date from timestamp floors to UTC day", col(schemas.Date, false), "2022-10-17T23:30:00-02:00", time.Date(2022, 10, 18, 0, 0, 0, 0, time.UTC), ""},
		{"list from any slice", col(schemas.StringList, false), []any{"a", json.Number("2"), true}, []string{"a", "2", "true"}, ""},
		{"list from nil is empty", col(schemas.StringList, false), nil, []string(nil), ""},
		{"list from json text", col(schemas.StringList, false), `["x","y"]`, []string{"x", "y"}, ""},
		{"list from scalar string", col(schemas.StringList, false), "solo", []string{"solo"}, ""},
		{"json keeps map whole without html escaping", col(schemas.JSON, false), map[string]any{"b": "<i>", "a": 1}, `{"a":1,"b":"<i>"}`, ""},
		{"json text object kept compact", col(schemas.JSON, false), "{ \"a\" : 1 }", `{"a":1}`, ""},
		{"json plain string quoted", col(schemas.JSON, false), "hello", `"hello"`, ""},
		{"json missing is null", col(schemas.JSON, false), nil, "null", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := coerce(tc.col, tc.in)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				var ve *ValueError
				assert.ErrorAs(t, err, &ve)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
