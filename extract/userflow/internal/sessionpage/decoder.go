package sessionpage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// List is a session list page decoded whole.
type List struct {
	Object      string `json:"object"`
	Data        []Item `json:"data"`
	HasMore     bool   `json:"has_more"`
	NextPageURL string `json:"next_page_url"`
}

// DecodeList decodes a session list page in one pass, specialised
// to its shape: decoding pages was the largest stage of a sessions
// backfill, and a general-purpose decoder copies the body and finds every
// field by name. The result is exactly what encoding/json gives for the
// page: keys are unescaped before they are matched, and invalid UTF-8 in a
// string becomes U+FFFD, as there. What it does not mirror is an error,
// and the caller then decodes the page with encoding/json itself: a value
// of another type, a key that encoding/json would match
// case-insensitively, a repeated data or answers array, malformed JSON. It
// may refuse more than encoding/json, never accept more or decode
// differently (the differential and fuzz tests in decoder_test.go hold it
// to that).
//
// Strings without escapes or invalid UTF-8, and answer_value, share body's
// memory instead of being copied: body must not be modified while they are
// in use (a page's buffer is reused only once its Hold is released), and
// whatever keeps one of them beyond the page (the walk's seen-set, the
// fallback cursor) clones it.
func DecodeList(body []byte) (List, error) {
	return decodeListInto(body, nil)
}

// pageArrays are the arrays a page's sessions and answers decode into,
// reused from page to page once the page is emitted: decoded afresh they
// were an eighth of a backfill's allocations, and memory the collector
// had to scan (their strings are pointers).
type pageArrays struct {
	sessions []Item
	answers  []Answer
}

// recycle empties the arrays for the next page: the decoder lengthens
// them into memory it expects zeroed, and the strings must not keep old
// bodies alive.
func (a *pageArrays) recycle() {
	clear(a.sessions[:cap(a.sessions)])
	clear(a.answers[:cap(a.answers)])
	a.sessions, a.answers = a.sessions[:0], a.answers[:0]
}

// decodeListInto is DecodeList into arr's arrays (when
// not nil, and recycled), which keep what they grew to.
func decodeListInto(body []byte, arr *pageArrays) (List, error) {
	d := pageDecoder{b: body}
	if arr != nil {
		d.sessionsBuf, d.answers = arr.sessions, arr.answers
	}
	var l List
	if err := d.list(&l); err != nil {
		return List{}, err
	}
	if arr != nil {
		if cap(l.Data) > cap(arr.sessions) {
			arr.sessions = l.Data[:0]
		}
		arr.answers = d.answers[:0]
	}
	return l, nil
}

// maxSkipDepth bounds the nesting of skipped values (encoding/json refuses
// beyond 10000); deeper is refused, not recursed into.
const maxSkipDepth = 1000

// pageDecoder reads b from offset i.
type pageDecoder struct {
	b []byte
	i int
	// strs holds the strings that *string fields point to, a block at a
	// time, so a nullable field costs no allocation of its own.
	strs []string
	// answers holds every answer of the page; each session's Answers is a
	// slice of it.
	answers []Answer
	// sessionsBuf, when it has room, is the data array to decode into
	// (zeroed, empty).
	sessionsBuf []Item
	// The keys of the previous session and answer, in order: the next
	// object most likely has the same, and a key found where expected is
	// not scanned nor looked up.
	sessionKeys, answerKeys keyOrder
	// progressBox keeps progress values boxed as any (boxed).
	progressBox [16]struct {
		s string
		v any
	}
}

// keyOrder is the keys of an object as they stood in the body, each as
// its bytes from its opening quote to the colon after it, so that equal
// bytes elsewhere are the same key. It holds keys of up to 24 such bytes,
// as three words compared at once.
type keyOrder [24]keySlot

type keySlot struct {
	w, mask [3]uint64 // mask: the bytes of w that are the key's
	n       uint8     // how many (0: not known)
	id      fieldID
}

// fieldID names a field of the list, a session or an answer.
type fieldID uint8

const (
	fieldUnknown fieldID = iota // skipped

	listObject
	listData
	listHasMore
	listNextPageURL

	sessID
	sessContentID
	sessUserID
	sessGroupID
	sessVersionID
	sessCreatedAt
	sessLastActivityAt
	sessCompleted
	sessCompletedAt
	sessProgress
	sessIsPreview
	sessLauncherActivated
	sessAnswers

	ansID
	ansAnswerType
	ansAnswerValue
	ansCreatedAt
	ansQuestionCVID
	ansQuestionName
)

type fieldName struct {
	name string
	id   fieldID
}

// The json tags of List, Item and Answer.
var (
	listFields = []fieldName{{"object", listObject}, {"data", listData}, {"has_more", listHasMore},
		{"next_page_url", listNextPageURL}}
	sessionFieldNames = []fieldName{{"id", sessID}, {"content_id", sessContentID}, {"user_id", sessUserID},
		{"group_id", sessGroupID}, {"version_id", sessVersionID}, {"created_at", sessCreatedAt},
		{"last_activity_at", sessLastActivityAt}, {"completed", sessCompleted}, {"completed_at", sessCompletedAt},
		{"progress", sessProgress}, {"is_preview", sessIsPreview}, {"launcher_activated", sessLauncherActivated},
		{"answers", sessAnswers}}
	answerFieldNames = []fieldName{{"id", ansID}, {"answer_type", ansAnswerType}, {"answer_value", ansAnswerValue},
		{"created_at", ansCreatedAt}, {"question_cvid", ansQuestionCVID}, {"question_name", ansQuestionName}}
)

// lookup finds key among fields as encoding/json does: exactly, or else
// case-insensitively. A key it would take for a field only
// case-insensitively is refused (rare enough not to mirror); any other is
// fieldUnknown.
func (d *pageDecoder) lookup(key string, fields []fieldName) (fieldID, error) {
	for _, f := range fields {
		if key == f.name {
			return f.id, nil
		}
	}
	// The names are lowercase ASCII: only a key with an uppercase or a
	// non-ASCII letter (U+017F and U+212A fold to s and k) can fold to one.
	for i := 0; i < len(key); i++ {
		if c := key[i]; ('A' <= c && c <= 'Z') || c >= utf8.RuneSelf {
			for _, f := range fields {
				if strings.EqualFold(key, f.name) {
					return 0, d.fail(fmt.Sprintf("key %q, which encoding/json takes for %q", key, f.name))
				}
			}
			break
		}
	}
	return fieldUnknown, nil
}

// errPageShape is wrapped by every refusal, for tests to tell them from
// a panic or a bug.
var errPageShape = errors.New("not a session list page the specialised decoder reads")

func (d *pageDecoder) fail(what string) error {
	return fmt.Errorf("%w: %s at offset %d", errPageShape, what, d.i)
}

// ws skips JSON whitespace; compact JSON has none, hence the first test.
func (d *pageDecoder) ws() {
	if d.i < len(d.b) && d.b[d.i] > ' ' {
		return
	}
	d.spaces()
}

func (d *pageDecoder) spaces() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\n', '\r', '\t':
			d.i++
		default:
			return
		}
	}
}

// next skips whitespace and returns the byte there (0 at the end, which
// no caller takes for anything it expects).
func (d *pageDecoder) next() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// field reads the n-th key of an object whose '{' is consumed and leaves
// d.i at its value, or passes the closing '}' and returns more false.
// order, when not nil, is the keys of the previous object of the kind,
// and learns this one's.
func (d *pageDecoder) field(n int, order *keyOrder, fields []fieldName) (id fieldID, more bool, err error) {
	// Compact JSON and the key expected: the comma (before any key but
	// the first), the key and its colon as learned, and a value at once.
	if order != nil && n < len(order) && order[n].n != 0 {
		k, i := &order[n], d.i
		if n > 0 {
			if i >= len(d.b) || d.b[i] != ',' {
				goto scan
			}
			i++
		}
		if len(d.b)-i > 24 {
			b := d.b[i : i+25]
			if binary.LittleEndian.Uint64(b)&k.mask[0] == k.w[0] &&
				binary.LittleEndian.Uint64(b[8:])&k.mask[1] == k.w[1] &&
				binary.LittleEndian.Uint64(b[16:])&k.mask[2] == k.w[2] && b[k.n] > ' ' {
				d.i = i + int(k.n)
				return k.id, true, nil
			}
		}
	}
scan:
	c := d.next()
	switch {
	case c == '}':
		d.i++
		return 0, false, nil
	case n == 0:
	case c == ',':
		d.i++
		c = d.next()
	default:
		return 0, false, d.fail("expected ',' or '}' in an object")
	}
	if c != '"' {
		return 0, false, d.fail("expected a key")
	}
	start := d.i
	if fields == nil {
		// The keys of a value skipped are only checked.
		if err := d.skipString(); err != nil {
			return 0, false, err
		}
	} else {
		// Like encoding/json, fields are matched by the key's unescaped
		// value.
		key, err := d.key()
		if err != nil {
			return 0, false, err
		}
		if id, err = d.lookup(key, fields); err != nil {
			return 0, false, err
		}
	}
	if order != nil && n < len(order) {
		k := &order[n]
		*k = keySlot{id: id}
		if d.i < len(d.b) && d.b[d.i] == ':' && d.i+1-start <= 24 {
			var pat, m [24]byte
			k.n = uint8(copy(pat[:], d.b[start:d.i+1]))
			for j := range k.n {
				m[j] = 0xff
			}
			for j := range 3 {
				k.w[j] = binary.LittleEndian.Uint64(pat[8*j:])
				k.mask[j] = binary.LittleEndian.Uint64(m[8*j:])
			}
		}
	}
	if d.next() != ':' {
		return 0, false, d.fail("expected ':' after a key")
	}
	d.i++
	return id, true, d.value()
}

// value moves to the value after a key: the readers of values can then
// look at its first byte.
func (d *pageDecoder) value() error {
	d.ws()
	if d.i >= len(d.b) {
		return d.fail("unexpected end of input")
	}
	return nil
}

// list reads the whole body: one object, then only whitespace.
func (d *pageDecoder) list(l *List) error {
	if d.next() != '{' {
		return d.fail("not a JSON object")
	}
	d.i++
	seenData := false
	for n := 0; ; n++ {
		id, more, err := d.field(n, nil, listFields)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		switch id {
		case listObject:
			err = d.str(&l.Object)
		case listHasMore:
			err = d.boolean(&l.HasMore)
		case listNextPageURL:
			err = d.str(&l.NextPageURL)
		case listData:
			// encoding/json decodes a repeated array into the elements of
			// the first, merging them; not worth mirroring.
			if seenData {
				return d.fail("data repeated")
			}
			seenData = true
			err = d.sessions(&l.Data)
		default:
			err = d.skip(0)
		}
		if err != nil {
			return err
		}
	}
	if d.ws(); d.i != len(d.b) {
		return d.fail("data after the top-level value")
	}
	return nil
}

// sessions reads the data array (or null, which leaves it nil as it does
// for encoding/json).
func (d *pageDecoder) sessions(items *[]Item) error {
	switch d.b[d.i] {
	case 'n':
		*items = nil
		return d.null()
	case '[':
	default:
		return d.fail("data is not an array")
	}
	d.i++
	// About 700 bytes a session with its answers (the API's 100 a page in
	// ~70 KB): one allocation for most pages. Bounded: a page of long
	// answers must not reserve room for sessions it does not hold (a page
	// has at most 100).
	list := d.sessionsBuf[:0]
	if cap(list) == 0 {
		list = make([]Item, 0, min(len(d.b)/600+1, 128))
	}
	if c := d.next(); c == ']' {
		d.i++
		*items = list
		return nil
	}
	if d.answers == nil {
		d.answers = make([]Answer, 0, min(len(d.b)/1200+1, 256))
	}
	for {
		if d.next() != '{' {
			return d.fail("a data item is not an object")
		}
		// Past its length a slice is zeroed memory (never shrunk here):
		// lengthened, not appended to, which would copy a zero item in.
		if len(list) == cap(list) {
			list = slices.Grow(list, 1)
		}
		list = list[:len(list)+1]
		if err := d.session(&list[len(list)-1]); err != nil {
			return err
		}
		switch d.next() {
		case ',':
			d.i++
		case ']':
			d.i++
			*items = list
			return nil
		default:
			return d.fail("expected ',' or ']' in data")
		}
	}
}

func (d *pageDecoder) session(it *Item) error {
	d.i++
	seenAnswers := false
	for n := 0; ; n++ {
		id, more, err := d.field(n, &d.sessionKeys, sessionFieldNames)
		if err != nil || !more {
			return err
		}
		switch id {
		case sessID:
			err = d.str(&it.ID)
		case sessContentID:
			err = d.str(&it.ContentID)
		case sessUserID:
			err = d.str(&it.UserID)
		case sessGroupID:
			err = d.optStr(&it.GroupID)
		case sessVersionID:
			err = d.str(&it.VersionID)
		case sessCreatedAt:
			err = d.str(&it.CreatedAt)
		case sessLastActivityAt:
			err = d.str(&it.LastActivityAt)
		case sessCompleted:
			err = d.boolean(&it.Completed)
		case sessCompletedAt:
			err = d.optStr(&it.CompletedAt)
		case sessProgress:
			err = d.progress(&it.Progress)
		case sessIsPreview:
			err = d.boolean(&it.IsPreview)
		case sessLauncherActivated:
			err = d.boolean(&it.LauncherActivated)
		case sessAnswers:
			// As data: a repeated array would be merged into the first.
			if seenAnswers {
				return d.fail("answers repeated")
			}
			seenAnswers = true
			err = d.answerList(&it.Answers)
		default:
			// Mostly null (content, group, user, version).
			if d.b[d.i] == 'n' {
				err = d.null()
			} else {
				err = d.skip(0)
			}
		}
		if err != nil {
			return err
		}
	}
}

// answerList reads a session's answers into the page's answer block.
func (d *pageDecoder) answerList(out *[]Answer) error {
	switch d.b[d.i] {
	case 'n':
		*out = nil
		return d.null()
	case '[':
	default:
		return d.fail("answers is not an array")
	}
	d.i++
	if d.answers == nil {
		d.answers = make([]Answer, 0, 8)
	}
	start := len(d.answers)
	if d.next() == ']' {
		d.i++
		// Empty, not nil, as encoding/json leaves it.
		*out = d.answers[start:start:start]
		return nil
	}
	for {
		if d.next() != '{' {
			return d.fail("an answer is not an object")
		}
		if len(d.answers) == cap(d.answers) {
			d.answers = slices.Grow(d.answers, 1)
		}
		d.answers = d.answers[:len(d.answers)+1]
		if err := d.answer(&d.answers[len(d.answers)-1]); err != nil {
			return err
		}
		switch d.next() {
		case ',':
			d.i++
		case ']':
			d.i++
			// Capped: an append to one session's answers must not run
			// into the next session's.
			end := len(d.answers)
			*out = d.answers[start:end:end]
			return nil
		default:
			return d.fail("expected ',' or ']' in answers")
		}
	}
}

func (d *pageDecoder) answer(a *Answer) error {
	d.i++
	for n := 0; ; n++ {
		id, more, err := d.field(n, &d.answerKeys, answerFieldNames)
		if err != nil || !more {
			return err
		}
		switch id {
		case ansID:
			err = d.str(&a.ID)
		case ansAnswerType:
			err = d.str(&a.AnswerType)
		case ansAnswerValue:
			// The value's text as json.RawMessage holds it: from its first
			// byte to its last, null included.
			start := d.i
			if err = d.skip(0); err == nil {
				a.AnswerValue = d.b[start:d.i:d.i]
			}
		case ansCreatedAt:
			err = d.str(&a.CreatedAt)
		case ansQuestionCVID:
			err = d.str(&a.QuestionCVID)
		case ansQuestionName:
			err = d.str(&a.QuestionName)
		default:
			err = d.skip(0)
		}
		if err != nil {
			return err
		}
	}
}

// str reads a string into *dst; null leaves *dst as it was (encoding/json
// does the same for a string field).
func (d *pageDecoder) str(dst *string) error {
	switch d.b[d.i] {
	case '"':
		s, err := d.stringValue()
		if err != nil {
			return err
		}
		*dst = s
		return nil
	case 'n':
		return d.null()
	}
	return d.fail("expected a string")
}

// optStr reads a string or null into a *string field.
func (d *pageDecoder) optStr(dst **string) error {
	switch d.b[d.i] {
	case '"':
		s, err := d.stringValue()
		if err != nil {
			return err
		}
		if len(d.strs) == cap(d.strs) {
			d.strs = make([]string, 0, 64)
		}
		d.strs = append(d.strs, s)
		*dst = &d.strs[len(d.strs)-1]
		return nil
	case 'n':
		*dst = nil
		return d.null()
	}
	return d.fail("expected a string or null")
}

// boolean reads true or false; null leaves *dst as it was.
func (d *pageDecoder) boolean(dst *bool) error {
	switch {
	case d.literal("true"):
		d.i += 4
		*dst = true
	case d.literal("false"):
		d.i += 5
		*dst = false
	case d.b[d.i] == 'n':
		return d.null()
	default:
		return d.fail("expected a boolean")
	}
	return nil
}

// boxed returns s as an any. A flow has few steps, so progress values
// repeat: the last boxed per slot (by length and last byte) is reused, an
// allocation less per session.
func (d *pageDecoder) boxed(s string) any {
	if s == "" {
		return s
	}
	slot := &d.progressBox[(len(s)+int(s[len(s)-1]))%len(d.progressBox)]
	if slot.v == nil || slot.s != s {
		slot.s, slot.v = s, s
	}
	return slot.v
}

// progress reads the any-typed progress as encoding/json does: a string,
// a float64, a bool or nil (objects and arrays are refused).
func (d *pageDecoder) progress(dst *any) error {
	switch c := d.b[d.i]; {
	case c == '"':
		s, err := d.stringValue()
		if err != nil {
			return err
		}
		*dst = d.boxed(s)
		return nil
	case c == 'n':
		*dst = nil
		return d.null()
	case c == 't' || c == 'f':
		var b bool
		if err := d.boolean(&b); err != nil {
			return err
		}
		*dst = b
		return nil
	case c == '-' || ('0' <= c && c <= '9'):
		start := d.i
		if err := d.number(); err != nil {
			return err
		}
		f, err := strconv.ParseFloat(unsafe.String(&d.b[start], d.i-start), 64)
		if err != nil {
			return d.fail("progress is a number out of float64's range")
		}
		*dst = f
		return nil
	}
	return d.fail("progress is not a string, number, boolean or null")
}

// literal says whether the body goes on with lit at d.i (bytes.HasPrefix,
// without its call).
func (d *pageDecoder) literal(lit string) bool {
	return len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit
}

// null passes over null. As after true, false and numbers, the byte that
// follows is checked by the caller, which expects ',', '}' or ']' there
// ("nullx" is refused).
func (d *pageDecoder) null() error {
	if len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return nil
	}
	return d.fail("invalid literal")
}

// number checks a number's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *pageDecoder) number() error {
	b, i := d.b, d.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	default:
		return d.fail("invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return d.fail("invalid number")
		}
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return d.fail("invalid number")
		}
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	}
	d.i = i
	return nil
}

// skip checks and passes over any value; depth counts the enclosing
// arrays and objects being skipped.
func (d *pageDecoder) skip(depth int) error {
	if d.i >= len(d.b) {
		return d.fail("unexpected end of input")
	}
	switch c := d.b[d.i]; {
	case c == '"':
		return d.skipString()
	case c == 'n':
		return d.null()
	case c == 't' || c == 'f':
		var b bool
		return d.boolean(&b)
	case c == '-' || ('0' <= c && c <= '9'):
		return d.number()
	case c == '{':
		if depth >= maxSkipDepth {
			return d.fail("nested too deep")
		}
		d.i++
		for n := 0; ; n++ {
			_, more, err := d.field(n, nil, nil)
			if err != nil || !more {
				return err
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
		}
	case c == '[':
		if depth >= maxSkipDepth {
			return d.fail("nested too deep")
		}
		d.i++
		if d.next() == ']' {
			d.i++
			return nil
		}
		for {
			d.ws()
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			switch d.next() {
			case ',':
				d.i++
			case ']':
				d.i++
				return nil
			default:
				return d.fail("expected ',' or ']' in an array")
			}
		}
	}
	return d.fail("invalid character")
}

// stringSpecial flags (0x80), in each byte of x, those that end the plain
// run of a string: '"', '\\', a control character or a non-ASCII byte. A
// flag may also be set above a flagged byte (borrows), never below the
// first one, which is all plainRun needs.
func stringSpecial(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	return (((q - ones) &^ q) | ((bs - ones) &^ bs) | ((x - ones*0x20) &^ x) | x) & highs
}

// plainRun returns the offset of the first byte from i that is '"', '\\',
// a control character or non-ASCII (len(b) if none), 8 bytes at a time.
func plainRun(b []byte, i int) int {
	// Two words at a time: ids and times are 29 to 36 bytes long.
	for i+16 <= len(b) {
		m0 := stringSpecial(binary.LittleEndian.Uint64(b[i:]))
		m1 := stringSpecial(binary.LittleEndian.Uint64(b[i+8:]))
		if m0|m1 != 0 {
			if m0 != 0 {
				return i + bits.TrailingZeros64(m0)/8
			}
			return i + 8 + bits.TrailingZeros64(m1)/8
		}
		i += 16
	}
	for i+8 <= len(b) {
		if m := stringSpecial(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	for i < len(b) {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return i
		}
		i++
	}
	return i
}

// skipRun is plainRun for a string skipped, where non-ASCII bytes are
// plain: '"', '\\' or a control character ends it.
func skipRun(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (ones * '"')
		bs := x ^ (ones * '\\')
		if m := (((q - ones) &^ q) | ((bs - ones) &^ bs) | ((x - ones*0x20) &^ x)) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	for i < len(b) {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
		i++
	}
	return i
}

// stringValue reads the string at d.i ('"'). Without escapes or invalid
// UTF-8, it is the body's own bytes; otherwise it is unquoted into new
// memory, exactly as encoding/json does.
func (d *pageDecoder) stringValue() (string, error) {
	b := d.b
	start := d.i + 1
	i := start
	for {
		i = plainRun(b, i)
		if i >= len(b) {
			return "", d.fail("unterminated string")
		}
		c := b[i]
		if c == '"' {
			d.i = i + 1
			if i == start {
				return "", nil
			}
			return unsafe.String(&b[start], i-start), nil
		}
		if c < utf8.RuneSelf { // '\\' or a control character
			return d.unquote(start, i)
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return d.unquote(start, i)
		}
		i += size
	}
}

// keyChars are the bytes of the keys the list has: lowercase ASCII, digits
// and '_'.
var keyChars = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['_'] = true
	return t
}()

// key reads an object key. Keys are short and plain: a byte loop finds
// their end sooner than plainRun. Any other key is unquoted whole (escapes
// undone, invalid UTF-8 made U+FFFD), and matched by what it decodes to,
// as encoding/json matches it.
func (d *pageDecoder) key() (string, error) {
	b := d.b
	start := d.i + 1
	i := start
	for i < len(b) && keyChars[b[i]] {
		i++
	}
	if i < len(b) && b[i] == '"' && i > start {
		d.i = i + 1
		return unsafe.String(&b[start], i-start), nil
	}
	return d.unquote(start, start)
}

// unquote finishes a string from start whose plain run ends at i, as
// encoding/json's unquote does: escapes are undone, and each byte of
// invalid UTF-8 becomes U+FFFD.
func (d *pageDecoder) unquote(start, i int) (string, error) {
	b := d.b
	out := make([]byte, 0, i-start+16)
	out = append(out, b[start:i]...)
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			d.i = i + 1
			if len(out) == 0 {
				return "", nil
			}
			// out is not written again: the string can be it.
			return unsafe.String(&out[0], len(out)), nil
		case c < 0x20:
			d.i = i
			return "", d.fail("control character in a string")
		case c == '\\':
			if i+1 >= len(b) {
				d.i = i
				return "", d.fail("unterminated string")
			}
			switch e := b[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
				i += 2
			case 'b':
				out = append(out, '\b')
				i += 2
			case 'f':
				out = append(out, '\f')
				i += 2
			case 'n':
				out = append(out, '\n')
				i += 2
			case 'r':
				out = append(out, '\r')
				i += 2
			case 't':
				out = append(out, '\t')
				i += 2
			case 'u':
				r := hex4(b[i:])
				if r < 0 {
					d.i = i
					return "", d.fail(`invalid \u escape`)
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// A pair makes one rune; any other surrogate is U+FFFD,
					// and what follows it is read on its own.
					if dec := utf16.DecodeRune(r, hex4(b[i:])); dec != unicode.ReplacementChar {
						out = utf8.AppendRune(out, dec)
						i += 6
						break
					}
					r = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, r)
			default:
				// Including \', which encoding/json's scanner refuses.
				d.i = i
				return "", d.fail("invalid escape in a string")
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			out = utf8.AppendRune(out, r) // RuneError for an invalid byte
			i += size
		}
	}
	d.i = i
	return "", d.fail("unterminated string")
}

// hex4 reads \uXXXX at the start of b, or returns -1.
func hex4(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range b[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// skipString checks and passes over a string whose value is not needed:
// any byte from 0x20 up is allowed, escapes must be valid.
func (d *pageDecoder) skipString() error {
	b := d.b
	i := d.i + 1
	for {
		i = skipRun(b, i)
		if i >= len(b) {
			d.i = i
			return d.fail("unterminated string")
		}
		switch c := b[i]; {
		case c == '"':
			d.i = i + 1
			return nil
		case c == '\\':
			if i+1 >= len(b) {
				d.i = i
				return d.fail("unterminated string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(b[i:]) < 0 {
					d.i = i
					return d.fail(`invalid \u escape`)
				}
				i += 6
			default:
				d.i = i
				return d.fail("invalid escape in a string")
			}
		default:
			d.i = i
			return d.fail("control character in a string")
		}
	}
}
