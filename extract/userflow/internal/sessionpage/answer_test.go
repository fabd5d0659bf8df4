package sessionpage

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/adoptionlabs/etl/transform"
)

// answerValueByEncodingJSON is AnswerValue as it was before strings and
// lists took the page decoder's reader: the reference it must agree with.
func answerValueByEncodingJSON(raw json.RawMessage) (value, items transform.Value) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return transform.Null(), transform.Null()
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return transform.Str(s), transform.Null()
	}
	var compact bytes.Buffer
	if json.Compact(&compact, raw) != nil {
		return transform.Str(string(raw)), transform.Null()
	}
	var list []any
	if json.Unmarshal(raw, &list) == nil {
		items = transform.Any(list)
	}
	return transform.Str(compact.String()), items
}

func TestAnswerValueAgreesWithEncodingJSON(t *testing.T) {
	inputs := []string{
		`"plain"`, `""`, `"使いやすいです"`, `"\u4f7f\u3044"`, `"tab\there \"quoted\" back\\slash \/"`,
		`"\ud83d\ude00"`, `"\ud83d"`, `"\ude00x"`, "\"bad \xff utf8\"", `"ctrl ` + "\x01" + `"`, `"unterminated`,
		`"a" `, ` "a"`, `"a""b"`, `"a" x`,
		`[]`, `[ ]`, `["a"]`, `["a","b"]`, `[ "a" , "b" ]`, "[\n\"a\",\n\"b\"\n]", `["\u00e9", "x\"y"]`,
		`["a",1]`, `[1,2]`, `["a",null]`, `[null]`, `[["a"]]`, `[{"k":"v"}]`, `["a",]`, `["a"`, `["a"]x`, `[,"a"]`,
		"[\"bad \xff\"]", `[true]`,
		`5`, `-1.5e3`, `true`, `false`, `{"k":"v"}`, `{ "k" : [1, 2] }`, `nul`, `{`, ``, `null`, ` null `,
	}
	for _, in := range inputs {
		gotValue, gotItems := AnswerValue(json.RawMessage(in))
		wantValue, wantItems := answerValueByEncodingJSON(json.RawMessage(in))
		assert.Equal(t, wantValue.Any(), gotValue.Any(), "value of %q", in)
		want, wantOK := transformList(wantItems)
		got, gotOK := transformList(gotItems)
		assert.Equal(t, wantOK, gotOK, "items of %q", in)
		assert.Equal(t, want, got, "items of %q", in)
	}
}

// transformList is the list a StringList column gets from items.
func transformList(v transform.Value) ([]string, bool) {
	switch x := v.Any().(type) {
	case nil:
		return nil, false
	case []string:
		return x, true
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			if e != nil {
				b, _ := json.Marshal(e)
				if s, ok := e.(string); ok {
					out[i] = s
				} else {
					out[i] = string(b)
				}
			}
		}
		return out, true
	}
	return nil, false
}

func FuzzAnswerValue(f *testing.F) {
	for _, s := range []string{`"a"`, `["a","b"]`, `[ "\u00e9" ]`, `5`, `{"k":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		gotValue, gotItems := AnswerValue(raw)
		wantValue, wantItems := answerValueByEncodingJSON(raw)
		if gotValue.Any() != wantValue.Any() {
			t.Fatalf("value of %q: %q, encoding/json %q", raw, gotValue.Any(), wantValue.Any())
		}
		want, wantOK := transformList(wantItems)
		got, gotOK := transformList(gotItems)
		if wantOK != gotOK || !assert.ObjectsAreEqual(want, got) {
			t.Fatalf("items of %q: %q (%v), encoding/json %q (%v)", raw, got, gotOK, want, wantOK)
		}
	})
}
