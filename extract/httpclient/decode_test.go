package httpclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type decodePage struct {
	Data []json.RawMessage `json:"data"`
	Next string            `json:"next"`
	Meta map[string]string `json:"meta"`
	Any  any               `json:"any"`
}

func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	body := []byte(`{"data":[{"id":"a","n":1},{"id":"b\u00e9"}],"next":"c\"ur","meta":{"k":"v"},"any":{"x":[1,"two",null]}}`)
	var got, want decodePage
	require.NoError(t, decodeJSON(body, &got))
	require.NoError(t, json.Unmarshal(body, &want))
	assert.Equal(t, want, got)
}

func TestDecodeJSONLeavesOutAsItWasOnABadBody(t *testing.T) {
	out := decodePage{Next: "kept"}
	err := decodeJSON([]byte(`{"data":[{"id":"a"}],"next":"x"`), &out)
	var syn *json.SyntaxError
	require.True(t, errors.As(err, &syn), "a truncated body is a *json.SyntaxError, which the client retries: %v", err)
	assert.Equal(t, decodePage{Next: "kept"}, out)
}

// A walk keeps each page's cursor (to detect loops): the cursor must not pin
// the page's whole body, or a long walk holds every page it fetched.
func TestDecodeJSONKeepsNoBodyAliveThroughAKeptString(t *testing.T) {
	filler := strings.Repeat("x", 1<<20)
	kept := make([]string, 0, 64)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < 64; i++ {
		body := []byte(fmt.Sprintf(`{"data":[{"f":%q}],"next":"cursor-%d"}`, filler, i))
		var p decodePage
		require.NoError(t, decodeJSON(body, &p))
		kept = append(kept, p.Next)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	assert.Less(t, grown, int64(16<<20), "64 cursors of 1 MiB pages kept %d MiB alive", grown>>20)
	assert.Equal(t, "cursor-63", kept[63])
}

// BenchmarkDecodePage decodes a list page of 100 raw items (about 80 KB) the
// way every cursor walk does, with encoding/json (what every page took before) and with
// decodeJSON.
func BenchmarkDecodePage(b *testing.B) {
	item := `{"id":"cs_%d","content_id":"c_1","user_id":"u_%d","group_id":null,"created_at":"2026-11-01T10:00:00Z","last_activity_at":"2026-11-02T10:00:00.123Z","completed":true,"progress":0.5,` +
		`"answers":[{"id":"a_%d","answer_type":"text","answer_value":"a fairly long free-text answer to a survey question, with \"quotes\" and unicode \u00e9","question_name":"What did you think?"}]}`
	var sb strings.Builder
	sb.WriteString(`{"object":"list","has_more":true,"next_page_url":"/content_sessions?starting_after=cs_99","data":[`)
	for i := 0; i < 100; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, item, i, i, i)
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	type page struct {
		Object      string            `json:"object"`
		Data        []json.RawMessage `json:"data"`
		HasMore     bool              `json:"has_more"`
		NextPageURL string            `json:"next_page_url"`
	}
	for _, bc := range []struct {
		name   string
		decode func([]byte, any) error
	}{{"encoding-json", json.Unmarshal}, {"decodeJSON", decodeJSON}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var p page
				if err := bc.decode(body, &p); err != nil || len(p.Data) != 100 {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestReadBodyReadsWhatWasSent(t *testing.T) {
	body := strings.Repeat("x", 1000)
	for _, tc := range []struct {
		name          string
		contentLength int64
		limit         int64
		want          int
	}{
		{"announced length", 1000, 5000, 1000},
		{"no length", -1, 5000, 1000},
		{"announced shorter than sent: all of it, for the length check", 10, 5000, 1000},
		{"announced longer than sent: what came", 2000, 5000, 1000},
		{"over the limit: the limit", 1000, 100, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readBody(strings.NewReader(body), tc.contentLength, tc.limit, nil)
			require.NoError(t, err)
			assert.Len(t, got, tc.want)
		})
		t.Run(tc.name+", into a lent buffer", func(t *testing.T) {
			var lent []byte
			got, err := readBody(strings.NewReader(body), tc.contentLength, tc.limit, func(n int) []byte {
				lent = make([]byte, n)
				return lent
			})
			require.NoError(t, err)
			assert.Equal(t, body[:tc.want], string(got))
			if tc.contentLength > 0 && tc.contentLength < tc.limit && tc.contentLength >= int64(tc.want) {
				require.NotNil(t, lent, "a body with a length is read into the lent buffer")
				assert.Same(t, &lent[0], &got[0])
			}
		})
	}
}
