package sessionpage

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
)

// testNow anchors the fake's data, as in the stream's tests.
var testNow = time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)

// fakeSessionPages walks the fake's session list (newest first, with
// answers) and returns up to max pages' bodies.
func fakeSessionPages(t testing.TB, seed int64, scale float64, limit, max int) [][]byte {
	t.Helper()
	fake := userflowfake.New(userflowfake.Options{Seed: seed, Now: testNow, Scale: scale})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	var pages [][]byte
	next := fmt.Sprintf("/content_sessions?expand=answers&limit=%d&order_by=-last_activity_at", limit)
	for next != "" && len(pages) < max {
		req, err := http.NewRequest(http.MethodGet, srv.URL+next, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+fake.APIKey())
		req.Header.Set("Userflow-Version", "2020-01-03")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, resp.Body.Close())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		pages = append(pages, body)
		var l rawList
		require.NoError(t, json.Unmarshal(body, &l))
		next = ""
		if l.HasMore {
			next = l.NextPageURL
		}
	}
	return pages
}

// matchesReference fails t unless DecodeList refuses body or
// gives exactly what encoding/json gives for it. It reports whether the
// decoder accepted body.
func matchesReference(t *testing.T, body []byte) bool {
	t.Helper()
	// A copy: the result shares the body's memory, which must stay as it
	// was while the references decode it.
	in := append([]byte(nil), body...)
	got, err := DecodeList(in)
	if err != nil {
		require.ErrorIs(t, err, errPageShape, "a refusal, not another failure")
		return false
	}
	var want List
	require.NoError(t, json.Unmarshal(body, &want), "accepted a page encoding/json refuses: %q", body)
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("decoded differently from encoding/json:\nbody %q\nwant %#v\ngot  %#v", body, want, got)
	}
	require.Equal(t, string(body), string(in), "the body is left as it was")
	return true
}

func TestSessionsListDecoderMatchesEncodingJSONOnFakePages(t *testing.T) {
	pages := 0
	for _, c := range []struct {
		seed         int64
		scale        float64
		limit, pages int
	}{
		{seed: 11, scale: 4, limit: 100, pages: 20},
		{seed: 1, scale: 1, limit: 100, pages: 60}, // the whole history
		{seed: 7, scale: 0.5, limit: 17, pages: 30},
		{seed: 42, scale: 2, limit: 1, pages: 30},
		{seed: 3, scale: 0.1, limit: 100, pages: 10},
	} {
		for i, body := range fakeSessionPages(t, c.seed, c.scale, c.limit, c.pages) {
			require.True(t, matchesReference(t, body), "seed %d scale %v page %d is read by the specialised decoder", c.seed, c.scale, i+1)
			pages++
		}
	}
	require.Greater(t, pages, 100)
}

// session is a session object with every field the API sends, in its
// order; the edge cases below vary it.
const session = `{"id":"228d18e8-03ba-46b2-85b7-a3b89cada5ef","object":"content_session",` +
	`"answers":[{"id":"7e0683dd-0004-4901-8a33-c08bcd23f006","object":"content_session_answer","answer_type":"number",` +
	`"answer_value":"5","created_at":"2026-11-19T23:57:30.000+00:00","question_cvid":"dd93b00c-6695-419e-a803-6e95fc4317de",` +
	`"question_name":"How likely are you to recommend us?"}],"completed_at":null,"completed":false,` +
	`"content_id":"1ac3ab28-a0d3-478d-b304-4905f19e95e4","content":null,"created_at":"2026-11-19T23:55:21.000+00:00",` +
	`"group_id":null,"group":null,"is_preview":false,"last_activity_at":"2026-11-19T23:58:23.000+00:00",` +
	`"launcher_activated":false,"progress":"0.2","user_id":"3552addf-6876-4585-ae80-2d7c22a0fb56","user":null,` +
	`"version_id":"55cee2c1-c9f9-4950-afe6-f72a0ae1ccd5","version":null}`

// page wraps items as a list page.
func page(items ...string) string {
	return `{"object":"list","data":[` + strings.Join(items, ",") + `],"has_more":true,` +
		`"url":"/content_sessions?expand=answers\u0026limit=3","next_page_url":"/content_sessions?starting_after=x\u0026limit=3"}`
}

// sessionsListCases are pages the specialised decoder must read exactly
// as encoding/json does (accept) or refuse.
var sessionsListCases = []struct {
	name   string
	body   string
	accept bool
}{
	{"plain", page(session, session), true},
	{"empty data", `{"object":"list","data":[],"has_more":false,"next_page_url":null}`, true},
	{"null data", `{"object":"list","data":null,"has_more":false}`, true},
	{"no data", `{"object":"list","has_more":false,"next_page_url":"/x"}`, true},
	{"empty object", `{}`, true},
	{"empty session", page(`{}`), true},
	{"escapes", page(`{"id":"a\"b\\c\/d\b\f\n\r\te","content_id":"\u00e9\u00E9\u4e2d","user_id":"\ud83d\ude00!",` +
		`"group_id":"\u0000x","completed_at":"","progress":"\u0030.5","answers":[{"question_name":"\"quoted\" \\ \/",` +
		`"answer_value":"a\nb","answer_type":"\u006eumber"}]}`), true},
	{"invalid surrogates", page(`{"id":"\ud800","content_id":"\udc00x","user_id":"\ud800\u0041","version_id":"\ud800\ud800",` +
		`"created_at":"\ud83d\ude00\udc00","last_activity_at":"\udbff\udfff\ud800\udc00","group_id":"\ud800\n"}`), true},
	{"raw unicode", page(`{"id":"héllo ✓ 😀","question_name":"x","answers":[{"question_name":"¿Qué tal? 👍🏽","answer_value":"日本"}]}`), true},
	{"invalid UTF-8 in unknown key and value", page("{\"id\":\"x\",\"\xff\xfe\":\"\xff\",\"content\":{\"\xc3\":[\"\xe2\x82\"]},\"i\xffd\":1}"), true},
	{"invalid UTF-8 in answer_value", page("{\"answers\":[{\"answer_value\":\"\xff\\u00e9\"},{\"answer_value\":[\"\xc3\"]}]}"), true},
	{"nulls", page(`{"id":null,"content_id":null,"group_id":null,"completed_at":null,"progress":null,"completed":null,`+
		`"answers":null,"is_preview":null,"launcher_activated":null}`, `{"answers":[{"id":null,"answer_value":null,"answer_type":null}]}`), true},
	{"reordered keys", page(`{"version":null,"version_id":"v","user_id":"u","progress":"1","launcher_activated":true,`+
		`"last_activity_at":"2026-11-19T23:58:23.000+00:00","is_preview":true,"group_id":"g","created_at":"c",`+
		`"content_id":"ci","completed_at":"2026-11-19T23:58:23.000+00:00","completed":true,`+
		`"answers":[{"question_name":"q","question_cvid":"qc","created_at":"c","answer_value":["a","b"],"answer_type":"list","id":"a1"}],"id":"s"}`, session), true},
	{"keys vary between items", page(session, `{"id":"s2","answers":[],"progress":"0.5"}`, session, `{"progress":0.25,"id":"s3"}`, session), true},
	{"unknown nested fields", page(`{"id":"x","content":{"a":[1,{"b":"\u0022x\\"}],"c":-1.5e+10,"d":[[[]]],"e":{}},` +
		`"user":[[[{"id":"not me"}]]],"url":"a\\\"b","object":true,"future":false,"n":0,"m":-0.0e-0,"answers":[{"extra":{"id":"no"},"id":"yes"}]}`), true},
	{"unknown list fields", `{"meta":{"data":[1]},"object":"list","data":[{"id":"x"}],"url":"\ud800","has_more":false,"total":12}`, true},
	{"unknown keys near known ones", page(`{"id":"x","contentID":"no","Content":"no","ids":"no","i d":"no","":"no","GROUP":1,"ÿ":2}`), true},
	{"prefixes and extensions of keys", page(`{"an":[],"answer":[1],"answers_x":[2],"progres":"1","progresss":"2","i":"x","user_":"u",` +
		`"answers":[{"answer":"1","answer_values":[2],"question":"q","question_cvidx":"c"}],"d":[],"dat":[]}`), true},
	{"prefixes of list keys", `{"obj":"x","data_":[],"has":true,"next_page":"n","data":[{"id":"x"}],"object":"list"}`, true},
	{"duplicate keys: last wins", page(`{"id":"a","id":"b","progress":"0.1","progress":null,"group_id":"g","group_id":null,` +
		`"completed_at":null,"completed_at":"c","completed":true,"completed":null,"is_preview":true,"is_preview":false,` +
		`"user_id":"u","user_id":null,"answers":[{"id":"1","id":"2","answer_value":1,"answer_value":[2]}]}`),
		true},
	{"duplicate list fields", `{"object":"nope","object":"list","has_more":true,"has_more":false,"next_page_url":"a","next_page_url":null,"data":[]}`, true},
	{"whitespace everywhere", " \r\n\t{ \"object\" :\t\"list\" ,\n \"data\" : [ \r\n { \"id\" : \"x\" , \"answers\" : [ { \"answer_value\" : [ 1 , { \"a\" : null } ] ,\"id\":\"a\" } , { } ] ,\n" +
		" \"progress\" : 0.5 , \"group_id\" : null , \"completed\" : true } , { } ] , \"has_more\" : false } \n\r\t ", true},
	{"progress kinds", page(`{"progress":0.5}`, `{"progress":1}`, `{"progress":-0}`, `{"progress":1e-400}`, `{"progress":12345678901234567890}`,
		`{"progress":true}`, `{"progress":false}`, `{"progress":""}`, `{"progress":"x"}`, `{"progress":2.5E+3}`,
		`{"progress":2.2250738585072011e-308}`, `{"progress":4.9e-324}`, `{"progress":1.7976931348623157e308}`,
		`{"progress":9007199254740993}`, `{"progress":0.30000000000000004}`, `{"progress":1e+05}`, `{"progress":-1.5e-10}`,
		`{"progress":123456789012345678901234567890.123456789e-5}`, `{"progress":0.1000000000000000055511151231257827}`), true},
	{"answer values", page(`{"answers":[{"answer_value":"s"},{"answer_value":-12.5e3},{"answer_value":[ "a" , "b" ]},` +
		`{"answer_value":{"k":[true,false,null]}},{"answer_value":true},{"answer_value":"\u00e9\n"},{"answer_value":[]},{"answer_value":{}},{}]}`), true},
	{"empty answers", page(`{"id":"a","answers":[]}`, `{"id":"b"}`, `{"id":"c","answers":null}`), true},
	{"deeply nested unknown", page(`{"content":` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `}`), true},

	// Where goccy/go-json, once the general path, reads otherwise: it took
	// "\u0061n" for "answers" (a phantom answer row), kept invalid UTF-8
	// where encoding/json makes each byte U+FFFD.
	{"escaped keys", page(`{"\u0069d":"x","completed\u005fat":"c","\u0061nswers":[{"answer\u005fvalue":7,"\u0069d":"a"}]}`), true},
	{"escaped unknown key", page(`{"\u0061n":[]}`), true},
	{"escaped unknown key holding an answer", page(`{"id":"s","\u0061n":[{"id":"phantom","answer_value":"x"}],"answers":[{"id":"real"}]}`), true},
	{"escaped unknown answer key", page(`{"answers":[{"\u0061":"x","id\u0000":"y","answer_valu\u0065s":[1]}]}`), true},
	{"escaped list keys", `{"\u006fbject":"list","d\u0061ta":[{"id":"x"}],"has\u005fmore":true,"next_page_url":"\/x"}`, true},
	{"escaped surrogates in keys", page(`{"\ud800":1,"\ud83d\ude00":2,"i\ud800d":3,"id":"x"}`), true},
	{"escaped key in a skipped object", page(`{"id":"x","content":{"\u0061":1}}`), true},
	{"invalid UTF-8", page("{\"id\":\"\xff\"}"), true},
	{"invalid UTF-8 after an escape", page("{\"id\":\"\\n\xc3(\"}"), true},
	{"invalid UTF-8 after valid non-ASCII", page("{\"id\":\"é✓\xe2\x82\"}"), true},
	{"truncated UTF-8", page("{\"version_id\":\"ok\xf0\x9f\x98\"}"), true},
	{"UTF-8 surrogate", page("{\"user_id\":\"\xed\xa0\x80\"}"), true},
	{"overlong UTF-8", page("{\"progress\":\"\xc0\xaf\"}"), true},
	{"invalid UTF-8 in an answer", page("{\"answers\":[{\"question_name\":\"\xff\"}]}"), true},
	{"invalid UTF-8 in a list field", "{\"object\":\"li\xffst\"}", true},
	{"invalid UTF-8 in a known key", page("{\"i\xffd\":\"x\",\"answers\xff\":[{}]}"), true},
	{"encoded U+FFFD", page("{\"id\":\"\xef\xbf\xbd\"}"), true},

	// Refused: the general path reads them.
	{"escaped key folding onto a field", page(`{"\u0049D":"x"}`), false},
	{"folded key after the exact one", page(`{"id":"a","ID":"b"}`), false},
	// A page refused for its folded key, with the readings goccy/go-json
	// gave otherwise: the general path must read all of them as
	// encoding/json does.
	{"folded key among escaped keys and invalid UTF-8", page(`{"iſ_preview":true,"\u0061n":[{"id":"phantom"}]}`, "{\"id\":\"\xff\"}"), false},
	{"key folding onto a field", page(`{"ID":"x"}`), false},
	{"key folding with U+017F", page(`{"iſ_preview":true}`), false},
	{"answer key folding", page(`{"answers":[{"Answer_Value":1}]}`), false},
	{"list key folding", `{"Data":[],"object":"list"}`, false},
	{"data repeated", `{"object":"list","data":[{"id":"a","progress":"1"}],"data":[{"id":"b"}]}`, false},
	{"answers repeated", page(`{"answers":[{"id":"a","answer_type":"x"}],"answers":[{"id":"b"}]}`), false},
	{"progress object", page(`{"progress":{"done":1}}`), false},
	{"progress array", page(`{"progress":[1]}`), false},
	{"progress out of range", page(`{"progress":1e400}`), false},
	{"number for a string", page(`{"id":5}`), false},
	{"string for a bool", page(`{"completed":"true"}`), false},
	{"object for a nullable string", page(`{"group_id":{}}`), false},
	{"data not an array", `{"object":"list","data":{}}`, false},
	{"item not an object", page(`"x"`), false},
	{"null item", page(`null`), false},
	{"answer not an object", page(`{"answers":[1]}`), false},
	{"answers not an array", page(`{"answers":{}}`), false},
	{"not an object", `[]`, false},
	{"null page", `null`, false},
	{"has_more as string", `{"object":"list","has_more":"true"}`, false},
	{"too deeply nested", page(`{"content":` + strings.Repeat("[", 1100) + strings.Repeat("]", 1100) + `}`), false},
	// Malformed: refused here, refused by encoding/json too.
	{"empty body", ``, false},
	{"truncated", page(session)[:200], false},
	{"truncated in a string", `{"object":"li`, false},
	{"trailing comma", page(session + `,`), false},
	{"trailing comma in object", page(`{"id":"x",}`), false},
	{"trailing data", page(session) + `{}`, false},
	{"trailing garbage", page(session) + ` x`, false},
	{"trailing NUL", "{}\x00", false},
	{"missing colon", page(`{"id" "x"}`), false},
	{"missing comma", page(`{"id":"x" "content_id":"y"}`), false},
	{"bad literal", page(`{"group":nul}`), false},
	{"literal run on", page(`{"group":nullx}`), false},
	{"literal run on into a comma-less key", page(`{"completed":true"id":"x"}`), false},
	{"bad number", page(`{"content":01}`), false},
	{"bad number fraction", page(`{"content":1.}`), false},
	{"bad number exponent", page(`{"content":1e}`), false},
	{"plus number", page(`{"content":+1}`), false},
	{"control character", page("{\"id\":\"a\tb\"}"), false},
	{"control character skipped", page("{\"url\":\"a\nb\"}"), false},
	{"bad escape", page(`{"id":"\x41"}`), false},
	{"single quote escape", page(`{"id":"\'"}`), false},
	{"short unicode escape", page(`{"id":"\u12"}`), false},
	{"bad unicode escape skipped", page(`{"url":"\u12g4"}`), false},
	{"byte order mark", "\xef\xbb\xbf" + page(session), false},
	{"single quotes", `{'object':'list'}`, false},
	{"unquoted key", `{object:"list"}`, false},
}

func TestSessionsListDecoderMatchesEncodingJSON(t *testing.T) {
	for _, c := range sessionsListCases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.accept, matchesReference(t, []byte(c.body)), "accepted")
		})
	}
}

// readsAsEncodingJSON fails t unless a page read as the walk reads it (the
// cursor fields, then decode: the specialised decoder or, for a page it
// refuses, the general path) holds what encoding/json reads in it: its
// sessions with their answers when encoding/json decodes the page whole,
// and otherwise its items raw, each to be decoded on its own.
func readsAsEncodingJSON(t *testing.T, body []byte) {
	t.Helper()
	var p Page
	if p.DecodeJSONBody(append([]byte(nil), body...)) != nil {
		return // the walk fails on the page: none of it loads
	}
	decodeErr := p.Decode()
	if decodeErr != nil && strings.Contains(decodeErr.Error(), "differ from the page's") {
		// The cursor the walk went by is not the page's (duplicate keys):
		// the window fails, loudly.
		return
	}
	var want List
	if json.Unmarshal(body, &want) != nil {
		var raw rawList
		if json.Unmarshal(body, &raw) != nil {
			require.Error(t, decodeErr, "a page encoding/json cannot read at all fails: %q", body)
			return
		}
		require.NoError(t, decodeErr, "%q", body)
		require.Nil(t, p.Items, "%q", body)
		require.Equal(t, raw.Data, p.Data, "items kept raw, to be decoded one by one: %q", body)
		return
	}
	require.NoError(t, decodeErr, "%q", body)
	require.Nil(t, p.Data, "decoded whole: %q", body)
	if len(want.Data) == 0 {
		require.Empty(t, p.Items, "%q", body)
		return
	}
	if !reflect.DeepEqual(want.Data, p.Items) {
		t.Fatalf("read differently from encoding/json:\nbody %q\nwant %#v\ngot  %#v", body, want.Data, p.Items)
	}
}

// Every page, whichever path decodes it, reads as encoding/json reads it:
// those the specialised decoder refuses included (an escaped unknown key
// is no answer, invalid UTF-8 becomes U+FFFD, a case-folded key is a
// field's).
func TestSessionsPageReadsAsEncodingJSON(t *testing.T) {
	for _, c := range sessionsListCases {
		t.Run(c.name, func(t *testing.T) { readsAsEncodingJSON(t, []byte(c.body)) })
	}
	for i, body := range fakeSessionPages(t, 7, 0.5, 17, 5) {
		t.Run(fmt.Sprintf("fake page %d", i+1), func(t *testing.T) { readsAsEncodingJSON(t, body) })
	}
}

// shares says whether s is in body's memory.
func shares(body []byte, s string) bool {
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	start := uintptr(unsafe.Pointer(&body[0]))
	return p >= start && p < start+uintptr(len(body))
}

// Strings without escapes are the body's own bytes, not copies, and an
// answer_value cannot be appended to over the rest of the body.
func TestSessionsListDecoderSharesTheBody(t *testing.T) {
	body := []byte(page(session, `{"id":"a\nb","answers":[{"answer_value":[1,2]}]}`))
	l, err := DecodeList(body)
	require.NoError(t, err)
	in := func(s string) bool { return shares(body, s) }
	s := l.Data[0]
	for _, v := range []string{s.ID, s.ContentID, s.UserID, s.LastActivityAt, s.Progress.(string), s.Answers[0].QuestionName} {
		assert.True(t, in(v), "%q shares the body", v)
	}
	assert.False(t, in(l.Data[1].ID), "an unescaped string is new memory")
	assert.Equal(t, "a\nb", l.Data[1].ID)
	assert.False(t, in(l.NextPageURL), "next_page_url has escapes")

	v := l.Data[1].Answers[0].AnswerValue
	assert.Equal(t, "[1,2]", string(v))
	assert.Equal(t, len(v), cap(v), "capped: an append copies")
	answers := l.Data[0].Answers
	assert.Equal(t, len(answers), cap(answers), "capped: an append does not overwrite the next session's answers")
}

// decode reads a page with the specialised decoder when it can and with
// the general path when it refuses the page: the same items either way,
// and an odd item still becomes a reject of its own.
func TestSessionsPageDecodeFallsBackToTheGeneralPath(t *testing.T) {
	var lastBody []byte
	decoded := func(body string) *Page {
		t.Helper()
		var p Page
		lastBody = []byte(body)
		require.NoError(t, p.DecodeJSONBody(lastBody))
		require.NoError(t, p.Decode())
		return &p
	}
	general := func(body string) *Page {
		t.Helper()
		var p Page
		require.NoError(t, p.DecodeJSONBody([]byte(body)))
		b := p.body
		p.body = nil
		require.NoError(t, p.decodeGeneral(b))
		return &p
	}

	// Read by the specialised decoder: its strings share the body.
	body := page(session, session)
	p := decoded(body)
	require.Len(t, p.Items, 2)
	assert.Equal(t, general(body).Items, p.Items)
	assert.Equal(t, "228d18e8-03ba-46b2-85b7-a3b89cada5ef", p.Items[1].ID)
	assert.True(t, shares(lastBody, p.Items[1].ID), "read by the specialised decoder")

	// Refused by it (a progress object), read whole by encoding/json.
	body = page(session, `{"id":"s2","progress":{"done":1},"last_activity_at":"2026-11-19T23:58:23.000+00:00"}`)
	_, err := DecodeList([]byte(body))
	require.Error(t, err)
	p = decoded(body)
	require.Len(t, p.Items, 2)
	assert.Equal(t, map[string]any{"done": float64(1)}, p.Items[1].Progress)
	assert.False(t, shares(lastBody, p.Items[1].ID), "read by encoding/json, into strings of its own")

	// Refused by both: items kept raw, decoded one by one later.
	body = page(`{"id":5,"last_activity_at":"2026-11-19T23:58:23.000+00:00"}`, session)
	p = decoded(body)
	assert.Nil(t, p.Items)
	require.Len(t, p.Data, 2)
	assert.JSONEq(t, `{"id":5,"last_activity_at":"2026-11-19T23:58:23.000+00:00"}`, string(p.Data[0]))
}

// FuzzSessionsPageDecoder: whatever the body, the specialised decoder
// refuses it or decodes it exactly as encoding/json does, and the page,
// whichever path decodes it, reads as encoding/json reads it.
func FuzzSessionsPageDecoder(f *testing.F) {
	for _, c := range sessionsListCases {
		f.Add([]byte(c.body))
	}
	for _, body := range fakeSessionPages(f, 5, 0.5, 3, 2) {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		matchesReference(t, body)
		readsAsEncodingJSON(t, body)
	})
}

// The decoder's field names are the json tags of the types it fills: a
// field added to Fields or Answer and not to the decoder would
// otherwise be left empty on every page. They are lowercase ASCII, which
// lookup's fold check relies on.
func TestSessionsListDecoderKnowsEveryField(t *testing.T) {
	tags := func(typ reflect.Type) []string {
		var out []string
		for f := range typ.Fields() {
			if f.Anonymous {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			out = append(out, name)
		}
		return out
	}
	names := func(fields []fieldName) []string {
		var out []string
		for _, f := range fields {
			assert.Equal(t, strings.ToLower(f.name), f.name)
			for _, c := range f.name {
				assert.Less(t, c, rune(utf8.RuneSelf), f.name)
			}
			out = append(out, f.name)
		}
		return out
	}
	assert.ElementsMatch(t, tags(reflect.TypeFor[List]()), names(listFields))
	assert.ElementsMatch(t, append(tags(reflect.TypeFor[Fields]()), tags(reflect.TypeFor[Item]())...), names(sessionFieldNames))
	assert.ElementsMatch(t, tags(reflect.TypeFor[Answer]()), names(answerFieldNames))
}

// plainRun and skipRun find the first byte that ends a plain run, 8 bytes
// at a time, wherever it is and whatever comes after it.
func TestStringRunsStopAtTheFirstSpecialByte(t *testing.T) {
	naive := func(b []byte, i int, special func(byte) bool) int {
		for i < len(b) && !special(b[i]) {
			i++
		}
		return i
	}
	plain := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 }
	skipped := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	// Bytes around each boundary the word tricks could get wrong.
	fill := []byte{'a', ' ', '!', '#', '[', ']', '~', 0x7f, 0x80, 0x9f, 0xa0, 0xff, 0x1f, 0x00, 0x01, '"', '\\', 0x21, 0x23, 0x5b, 0x5d}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 40; n++ {
		for range 200 {
			b := make([]byte, n)
			for j := range b {
				// Mostly plain bytes, so that runs are long.
				if rng.IntN(4) == 0 {
					b[j] = fill[rng.IntN(len(fill))]
				} else {
					b[j] = byte(0x20 + rng.IntN(0x5f))
				}
			}
			for i := 0; i <= n; i++ {
				require.Equal(t, naive(b, i, plain), plainRun(b, i), "plainRun(%q, %d)", b, i)
				require.Equal(t, naive(b, i, skipped), skipRun(b, i), "skipRun(%q, %d)", b, i)
			}
		}
	}
}

// Pages decoded one after another into the same recycled arrays decode as
// each does alone: nothing of a longer page before it (more sessions, more
// answers) shows through a shorter one, and an array that grew is kept.
func TestSessionsListDecoderReusesArraysWithoutMixingPages(t *testing.T) {
	long := fakeSessionPages(t, 5, 0.3, 100, 2)
	short := fakeSessionPages(t, 7, 0.3, 7, 2)
	require.Len(t, long, 2)
	require.Len(t, short, 2)
	arr := &pageArrays{}
	// Items without most keys leave those fields as the decoder found them.
	sparse := []byte(page(`{"id":"x1","last_activity_at":"2026-11-01T00:00:00.000+00:00"}`, `{"id":"x2","answers":[{"id":"a1"}]}`))
	for i, body := range [][]byte{short[0], long[0], sparse, short[1], long[1], []byte(page()), sparse, short[0]} {
		want, err := DecodeList(body)
		require.NoError(t, err)
		got, err := decodeListInto(body, arr)
		require.NoError(t, err)
		assert.Equal(t, want, got, "page %d", i)
		if len(got.Data) > 0 {
			assert.Same(t, &arr.sessions[:1][0], &got.Data[0], "page %d decoded into the arrays", i)
		}
		arr.recycle()
	}
	assert.GreaterOrEqual(t, cap(arr.sessions), 100, "the arrays kept what they grew to")
}
