package sessionpage

import (
	"bytes"
	"encoding/json"
	"unsafe"

	"github.com/adoptionlabs/etl/transform"
)

// AnswerValue renders answer_value for the String column (a string as is,
// anything else as compact JSON text) and, for arrays, its items. Strings
// and lists of strings, nearly every answer, are read by the page
// decoder's own string reader (exactly encoding/json's unescaping); the
// rest, and anything that reader refuses, by encoding/json.
func AnswerValue(raw json.RawMessage) (value, items transform.Value) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return transform.Null(), transform.Null()
	}
	switch raw[0] {
	case '"':
		d := pageDecoder{b: raw}
		if s, err := d.stringValue(); err == nil && d.i == len(raw) {
			return transform.Str(s), transform.Null()
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return transform.Str(s), transform.Null()
		}
	case '[':
		if list, ok := stringList(raw); ok {
			text := unsafe.String(&raw[0], len(raw))
			if bytes.IndexAny(raw, " \t\r\n") >= 0 {
				var compact bytes.Buffer
				_ = json.Compact(&compact, raw) // valid: stringList read it whole
				text = compact.String()
			}
			return transform.Str(text), transform.Any(list)
		}
	}
	var compact bytes.Buffer
	if json.Compact(&compact, raw) != nil {
		return transform.Str(string(raw)), transform.Null()
	}
	if raw[0] == '[' {
		var list []any
		if json.Unmarshal(raw, &list) == nil {
			items = transform.Any(list)
		}
	}
	return transform.Str(compact.String()), items
}

// stringList reads a JSON array of strings whole; ok is false for any
// other value (an element of another type included).
func stringList(raw []byte) (list []string, ok bool) {
	d := pageDecoder{b: raw, i: 1}
	list = []string{}
	if d.next() == ']' {
		d.i++
		return list, d.i == len(raw)
	}
	for {
		if d.next() != '"' {
			return nil, false
		}
		s, err := d.stringValue()
		if err != nil {
			return nil, false
		}
		list = append(list, s)
		switch d.next() {
		case ',':
			d.i++
		case ']':
			d.i++
			return list, d.i == len(raw)
		default:
			return nil, false
		}
	}
}
