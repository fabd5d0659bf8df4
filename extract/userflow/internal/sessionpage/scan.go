package sessionpage

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// TopLevel returns the raw values of the given keys of the JSON object in
// data, skipping every other value without decoding it. A cursor walk needs
// only the next-page fields to ask for the next page; reading them this way
// costs a scan of the body (tens of microseconds for a 80 KB page) where a
// full decode costs a parse, so the next request goes out while the page is
// decoded elsewhere (ahead.Decode).
//
// The outer structure is checked (an object, keys, balanced brackets,
// terminated strings); a body that fails it returns a *json.SyntaxError, so
// the client retries it as malformed. Values inside (control characters,
// numbers, literals) are checked by the decoder that reads them later. A
// key given twice keeps its last value, as encoding/json does.
func TopLevel(data []byte, keys ...string) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(keys))
	want := keyMatcher(keys)
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, syntaxError("expected a JSON object", i)
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return out, trailing(data, i+1)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return nil, syntaxError("expected an object key", i)
		}
		end, escaped, err := stringEnd(data, i)
		if err != nil {
			return nil, err
		}
		key, quoted := data[i+1:end-1], data[i:end]
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return nil, syntaxError("expected ':' after an object key", i)
		}
		i = skipSpace(data, i+1)
		vend, err := valueEnd(data, i)
		if err != nil {
			return nil, err
		}
		if escaped {
			// Rare: a key spelled with escapes means what it decodes to.
			var k string
			if err := json.Unmarshal(quoted, &k); err != nil {
				return nil, syntaxError("malformed object key", i)
			}
			key = []byte(k)
		}
		if name, ok := want(key); ok {
			out[name] = json.RawMessage(data[i:vend])
		}
		i = skipSpace(data, vend)
		if i >= len(data) {
			return nil, syntaxError("unexpected end of the object", i)
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return out, trailing(data, i+1)
		default:
			return nil, syntaxError("expected ',' or '}' after an object value", i)
		}
	}
}

// malformedJSON says what is wrong where; it unwraps to the
// *json.SyntaxError the client retries on (whose message cannot be set
// outside encoding/json).
type malformedJSON struct {
	msg string
	syn *json.SyntaxError
}

func (e *malformedJSON) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.syn.Offset) }
func (e *malformedJSON) Unwrap() error { return e.syn }

// keyMatcher returns which of keys a key read from a body is, if any.
func keyMatcher(keys []string) func(k []byte) (string, bool) {
	return func(k []byte) (string, bool) {
		for _, w := range keys {
			if string(k) == w {
				return w, true
			}
		}
		return "", false
	}
}

func syntaxError(msg string, at int) error {
	return &malformedJSON{msg: msg, syn: &json.SyntaxError{Offset: int64(at)}}
}

func trailing(data []byte, i int) error {
	if i = skipSpace(data, i); i != len(data) {
		return syntaxError("data after the top-level object", i)
	}
	return nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd returns the index just past the string starting at data[i]
// (a '"'), and whether it holds an escape. It jumps from quote to quote
// (bytes.IndexByte): most of a page is text inside strings.
func stringEnd(data []byte, i int) (int, bool, error) {
	escaped := false
	j := i + 1
	for {
		k := bytes.IndexByte(data[j:], '"')
		if k < 0 {
			return 0, false, syntaxError("unterminated string", len(data))
		}
		q := j + k
		// A quote after an odd run of backslashes is escaped.
		n := 0
		for b := q - 1; b > i && data[b] == '\\'; b-- {
			n++
		}
		if !escaped && bytes.IndexByte(data[j:q], '\\') >= 0 {
			escaped = true
		}
		if n%2 == 0 {
			return q + 1, escaped, nil
		}
		j = q + 1
	}
}

// valueEnd returns the index just past the value starting at data[i]. A
// nested object or array is skipped by its brackets (strings respected);
// a scalar runs to the next delimiter.
func valueEnd(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, syntaxError("expected a value", i)
	}
	switch data[i] {
	case '"':
		end, _, err := stringEnd(data, i)
		return end, err
	case '{', '[':
		depth := 0
		for j := i; j < len(data); {
			k := bytes.IndexAny(data[j:], "\"{}[]")
			if k < 0 {
				break
			}
			j += k
			switch data[j] {
			case '"':
				end, _, err := stringEnd(data, j)
				if err != nil {
					return 0, err
				}
				j = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
			j++
		}
		return 0, syntaxError("unterminated object or array", len(data))
	}
	j := i
	for j < len(data) {
		switch data[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if j == i {
				return 0, syntaxError("expected a value", i)
			}
			return j, nil
		}
		j++
	}
	return 0, syntaxError(fmt.Sprintf("unexpected end after %q", data[i:j]), j)
}

// LastElement returns the last element of the JSON array in data (nil for
// an empty array) without reading the others: it walks back from the
// closing bracket over the last element alone (a few hundred bytes of an
// 80 KB page), so a walk ordered by a field learns where a page ends.
func LastElement(data []byte) (json.RawMessage, error) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return nil, syntaxError("expected a JSON array", i)
	}
	end := len(data) - 1
	for end > i && isSpace(data[end]) {
		end--
	}
	if end <= i || data[end] != ']' {
		return nil, syntaxError("expected ']' at the end of the array", end)
	}
	last := end - 1
	for last > i && isSpace(data[last]) {
		last--
	}
	if last == i {
		return nil, nil
	}
	start, err := valueStart(data, i, last)
	if err != nil {
		return nil, err
	}
	before := start - 1
	for before > i && isSpace(data[before]) {
		before--
	}
	if before != i && data[before] != ',' {
		return nil, syntaxError("expected ',' before the last array element", before)
	}
	return json.RawMessage(data[start : last+1]), nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// valueStart returns where the value ending at data[last] starts, walking
// back no further than floor. In JSON a string holds no unescaped quote, so
// a string is skipped back to its opening quote, and brackets inside
// strings are never counted.
func valueStart(data []byte, floor, last int) (int, error) {
	openingQuote := func(q int) (int, error) {
		for j := q - 1; j > floor; j-- {
			if data[j] != '"' {
				continue
			}
			n := 0
			for b := j - 1; b > floor && data[b] == '\\'; b-- {
				n++
			}
			if n%2 == 0 {
				return j, nil
			}
		}
		return 0, syntaxError("unterminated string", q)
	}
	switch data[last] {
	case '"':
		return openingQuote(last)
	case '}', ']':
		depth := 0
		for j := last; j > floor; j-- {
			switch data[j] {
			case '"':
				o, err := openingQuote(j)
				if err != nil {
					return 0, err
				}
				j = o
			case '}', ']':
				depth++
			case '{', '[':
				depth--
				if depth == 0 {
					return j, nil
				}
			}
		}
		return 0, syntaxError("unbalanced brackets in the last array element", last)
	}
	j := last
	for j > floor && !isSpace(data[j-1]) && !bytes.ContainsRune([]byte(`,[]{}:"`), rune(data[j-1])) {
		j--
	}
	return j, nil
}

// ListEnds reads a list page the way a cursor walk needs it, from the ends
// of the body only: the top-level scalar fields named by keys, and the last
// element of the array under arrayKey. A list object keeps its items in one
// array and its cursor fields in scalars before or after it, so the array,
// most of the body, is never scanned: a forward parse stops at the first
// container value (which must be arrayKey's), a backward parse at the last
// one. ok is false when the body is not of that shape (another container at
// the top, a wanted key between two containers, anything unexpected); the
// caller then reads it with TopLevel, which scans everything. A body that
// is not valid JSON may read wrong here: what ListEnds gives is a hint the
// caller checks against the page's full decode.
func ListEnds(data []byte, arrayKey string, keys ...string) (fields map[string]json.RawMessage, last json.RawMessage, ok bool) {
	fields = map[string]json.RawMessage{}
	wanted := keyMatcher(keys)
	// Forward, up to the array.
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, nil, false
	}
	i = skipSpace(data, i+1)
	arrStart := -1
	for arrStart < 0 {
		if i >= len(data) || data[i] != '"' {
			return nil, nil, false
		}
		end, escaped, err := stringEnd(data, i)
		if err != nil || escaped {
			return nil, nil, false
		}
		key := data[i+1 : end-1]
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return nil, nil, false
		}
		i = skipSpace(data, i+1)
		if i >= len(data) {
			return nil, nil, false
		}
		if data[i] == '[' || data[i] == '{' {
			if string(key) != arrayKey || data[i] != '[' {
				return nil, nil, false
			}
			arrStart = i
			break
		}
		vend, err := valueEnd(data, i)
		if err != nil {
			return nil, nil, false
		}
		if name, ok := wanted(key); ok {
			fields[name] = json.RawMessage(data[i:vend])
		}
		i = skipSpace(data, vend)
		if i >= len(data) || data[i] != ',' {
			// No array at all: not a list page of this shape.
			return nil, nil, false
		}
		i = skipSpace(data, i+1)
	}
	// Backward, down to the array; later values win, as in encoding/json:
	// over the forward ones, and over earlier ones met after them here.
	fromBack := map[string]bool{}
	j := len(data) - 1
	for j > arrStart && isSpace(data[j]) {
		j--
	}
	if j <= arrStart || data[j] != '}' {
		return nil, nil, false
	}
	j--
	for j > arrStart && isSpace(data[j]) {
		j--
	}
	arrEnd := -1
	for arrEnd < 0 {
		if j <= arrStart {
			return nil, nil, false
		}
		if data[j] == ']' || data[j] == '}' {
			if data[j] != ']' {
				return nil, nil, false
			}
			arrEnd = j
			break
		}
		vstart, err := valueStart(data, arrStart, j)
		if err != nil || vstart <= arrStart {
			return nil, nil, false
		}
		value := data[vstart : j+1]
		k := vstart - 1
		for k > arrStart && isSpace(data[k]) {
			k--
		}
		if data[k] != ':' {
			return nil, nil, false
		}
		k--
		for k > arrStart && isSpace(data[k]) {
			k--
		}
		if data[k] != '"' {
			return nil, nil, false
		}
		kstart, err := valueStart(data, arrStart, k)
		if err != nil || kstart <= arrStart {
			return nil, nil, false
		}
		key := data[kstart+1 : k]
		if bytes.IndexByte(key, '\\') >= 0 {
			return nil, nil, false
		}
		if name, ok := wanted(key); ok && !fromBack[name] {
			fields[name] = json.RawMessage(value)
			fromBack[name] = true
		}
		j = kstart - 1
		for j > arrStart && isSpace(data[j]) {
			j--
		}
		if data[j] != ',' {
			return nil, nil, false
		}
		j--
		for j > arrStart && isSpace(data[j]) {
			j--
		}
	}
	last, err := LastElement(data[arrStart : arrEnd+1])
	if err != nil {
		return nil, nil, false
	}
	return fields, last, true
}
