package sessionpage

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTopLevelReadsOnlyTheOuterKeys(t *testing.T) {
	tests := []struct {
		name string
		body string
		want map[string]string
	}{
		{"list page", `{"object":"list","data":[{"id":"a","next_page_url":"inner"}],"has_more":true,"next_page_url":"/x?starting_after=a"}`,
			map[string]string{"object": `"list"`, "has_more": `true`, "next_page_url": `"/x?starting_after=a"`}},
		{"cursor before the data", `{"next_page_url":"/y","data":[{"next_page_url":"inner"}]}`,
			map[string]string{"next_page_url": `"/y"`}},
		{"brackets and quotes inside strings", `{"data":[{"t":"a ] } \" [ {"}],"has_more":false}`,
			map[string]string{"has_more": `false`}},
		{"whitespace and null", " {\n \"next_page_url\" : null ,\t\"has_more\":false }\n",
			map[string]string{"next_page_url": `null`, "has_more": `false`}},
		{"escaped key", `{"next_page\u005furl":"/yes","has_more":true}`,
			map[string]string{"next_page_url": `"/yes"`, "has_more": `true`}},
		{"last of a repeated key", `{"has_more":true,"has_more":false}`, map[string]string{"has_more": `false`}},
		{"empty object", `{}`, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TopLevel([]byte(tt.body), "object", "has_more", "next_page_url")
			require.NoError(t, err)
			gotText := map[string]string{}
			for k, v := range got {
				gotText[k] = string(v)
			}
			assert.Equal(t, tt.want, gotText)
		})
	}
}

// A body TopLevel refuses must read as malformed JSON to the client, which
// retries it; one it accepts must have the outer shape encoding/json sees.
func TestTopLevelRefusesMalformedBodies(t *testing.T) {
	for _, body := range []string{
		``, `[]`, `{"a":1`, `{"a":[1,2}`, `{"a" 1}`, `{"a":"x}`, `{"a":1,}`, `{"a":1} x`,
		`{"data":[{"id":"a"},{"id":"b"`, `{a:1}`, `{"a":}`,
	} {
		_, err := TopLevel([]byte(body), "a")
		var syn *json.SyntaxError
		require.Error(t, err, "%q", body)
		assert.True(t, errors.As(err, &syn), "%q: %v is a *json.SyntaxError", body, err)
		assert.NotEmpty(t, err.Error())
	}
}

func TestTopLevelAgreesWithEncodingJSON(t *testing.T) {
	body := []byte(`{"object":"list","data":[{"id":"1","answers":[{"v":"[\"x\",\"y\"]"}],"n":1.5e3},{"id":"2","answers":null}],` +
		`"has_more":true,"url":"/content_sessions","next_page_url":"/content_sessions?limit=2\u0026starting_after=2"}`)
	var want map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &want))
	got, err := TopLevel(body, "object", "data", "has_more", "url", "next_page_url")
	require.NoError(t, err)
	assert.Equal(t, want, got)

	last, err := LastElement(got["data"])
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"2","answers":null}`, string(last))
}

func TestLastElement(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`[]`, ``}, {` [ ] `, ``}, {`[1]`, `1`}, {`[1, "a]", {"b":[2]}]`, `{"b":[2]}`}, {`[[1],[2,[3]]]`, `[2,[3]]`},
	} {
		got, err := LastElement([]byte(tt.in))
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, string(got), tt.in)
	}
	// What lies before the last element is not read: a malformed one
	// there is for the page's decoder to refuse.
	for _, bad := range []string{`{}`, `[1,`, `[1 2]`, `[1,2`, `[{"a":1]`} {
		_, err := LastElement([]byte(bad))
		assert.Error(t, err, bad)
	}
}

// ListEnds must give what a full parse gives whenever it answers, and say
// so (ok false) when the body is not a list of the expected shape.
func TestListEndsAgreesWithAFullParse(t *testing.T) {
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"cursor after the items", `{"object":"list","data":[{"id":"1","t":"]}\""},{"id":"2","x":[1,{"y":"}"}]}],"has_more":true,"url":"/s","next_page_url":"/s?starting_after=2"}`, true},
		{"cursor before the items", ` { "next_page_url" : "/n" , "has_more" : false , "data" : [ 1 , 2 ] } `, true},
		{"empty items", `{"object":"list","data":[],"has_more":false,"next_page_url":null}`, true},
		{"repeated key after the items", `{"has_more":true,"data":[{}],"has_more":false,"next_page_url":"/a","next_page_url":"/b"}`, true},
		{"numbers and literals", `{"data":[3],"count":12.5e3,"has_more":true,"object":"list"}`, true},
		{"another container after the items", `{"data":[{"id":"1"}],"meta":{"has_more":true},"has_more":false}`, false},
		{"another container before the items", `{"meta":[1],"data":[{"id":"1"}],"has_more":false}`, false},
		{"no items", `{"object":"list","has_more":false}`, false},
		{"escaped key", `{"data":[1],"has\u005fmore":true}`, false},
		{"not an object", `[1,2]`, false},
	}
	keys := []string{"object", "has_more", "next_page_url"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields, last, ok := ListEnds([]byte(tt.body), "data", keys...)
			require.Equal(t, tt.ok, ok)
			if !ok {
				return
			}
			full, err := TopLevel([]byte(tt.body), append(keys, "data")...)
			require.NoError(t, err)
			wantLast, err := LastElement(full["data"])
			require.NoError(t, err)
			delete(full, "data")
			assert.Equal(t, full, fields)
			assert.Equal(t, wantLast, last)
		})
	}
}
