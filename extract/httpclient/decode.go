package httpclient

import (
	"encoding/json"
	"io"
	"reflect"
	"strings"

	gojson "github.com/goccy/go-json"
)

// BodyDecoder is a response type that reads its body itself, for the pages
// that move most rows. JSON reads the body into the buffer BodyBuffer
// lends, so that the type can reuse the memory once nothing points into
// it, and hands it to DecodeJSONBody, which can decode in one pass into
// what it needs and let its strings share the body, where decodeJSON gives
// each string its own (a reflection walk and an allocation per value).
//
// BodyBuffer is asked for n bytes (the Content-Length and one more) before
// each attempt's read; a body without a length is read as usual.
// DecodeJSONBody must leave the value as it was, or return an error a
// caller can act on: a *json.SyntaxError for a malformed body makes the
// request retried.
type BodyDecoder interface {
	BodyBuffer(n int) []byte
	DecodeJSONBody(data []byte) error
}

// decodeJSON is json.Unmarshal at several times its speed: a JSON page is
// most of an extraction's CPU (BENCHMARKS.md, "Per stage"), and encoding/json
// scans every body twice (validation, then decoding). goccy/go-json decodes
// into a copy of *out that replaces it only on success, so a malformed body
// still leaves out as it was for the next attempt; on any error the body is
// decoded again by encoding/json, whose errors (*json.SyntaxError decides
// whether a body is retried) and partial results callers already rely on.
func decodeJSON(data []byte, out any) error {
	if d, ok := out.(BodyDecoder); ok {
		return d.DecodeJSONBody(data)
	}
	ptr := reflect.ValueOf(out)
	if ptr.Kind() != reflect.Pointer || ptr.IsNil() {
		return json.Unmarshal(data, out)
	}
	tmp := reflect.New(ptr.Elem().Type())
	tmp.Elem().Set(ptr.Elem())
	if gojson.Unmarshal(data, tmp.Interface()) == nil {
		// goccy's strings and raw messages point into one copy of the
		// whole body: a cursor kept in a map would pin every page's body
		// for the whole walk. Each gets its own memory, as with
		// encoding/json.
		unshare(tmp.Elem())
		ptr.Elem().Set(tmp.Elem())
		return nil
	}
	return json.Unmarshal(data, out)
}

// unshare gives every string under v its own copy.
func unshare(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() && v.Len() > 0 {
			v.SetString(strings.Clone(v.String()))
		}
	case reflect.Slice:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			// json.RawMessage (its UnmarshalJSON, which goccy calls, already
			// copies) and []byte (decoded from base64 into new memory).
			return
		}
		for i := 0; i < v.Len(); i++ {
			unshare(v.Index(i))
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			unshare(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				unshare(v.Field(i))
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			unshare(v.Elem())
		}
	case reflect.Interface:
		if !v.IsNil() && v.CanSet() {
			// Values in an interface cannot be set in place: copy, fix, put back.
			c := reflect.New(v.Elem().Type()).Elem()
			c.Set(v.Elem())
			unshare(c)
			v.Set(c)
		}
	case reflect.Map:
		if v.IsNil() || !v.CanSet() {
			return
		}
		// A new map: storing a cloned key over an equal one keeps the old key.
		m := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			k := reflect.New(iter.Key().Type()).Elem()
			k.Set(iter.Key())
			val := reflect.New(iter.Value().Type()).Elem()
			val.Set(iter.Value())
			unshare(k)
			unshare(val)
			m.SetMapIndex(k, val)
		}
		v.Set(m)
	}
}

// readBody reads at most limit bytes of body into one buffer sized from the
// response's Content-Length when it has one (io.ReadAll grows its buffer by
// doubling: twice the body allocated and copied for every page).
func readBody(body io.Reader, contentLength, limit int64, lend func(n int) []byte) ([]byte, error) {
	if contentLength <= 0 || contentLength >= limit {
		return io.ReadAll(io.LimitReader(body, limit))
	}
	// One byte more than announced, so that a body longer than its
	// Content-Length is noticed (read whole, the caller's length check
	// refuses it).
	r := io.LimitReader(body, limit)
	var buf []byte
	if lend != nil {
		buf = lend(int(contentLength + 1))
	} else {
		buf = make([]byte, contentLength+1)
	}
	n, err := io.ReadFull(r, buf)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return buf[:n], nil
	case err != nil:
		return buf[:n], err
	}
	rest, err := io.ReadAll(r)
	return append(buf, rest...), err
}
