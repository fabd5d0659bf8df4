package userflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unsafe"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/extract/userflow/internal/ahead"
	"github.com/adoptionlabs/etl/extract/userflow/internal/idset"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

// Sessions change after creation (progress, completion), so both tables
// merge by id with the newest last_activity_at winning. They are partitioned
// by created_at, which never changes for a session or an answer, so every
// version of a row lands in the same ClickHouse partition and collapses.
// last_activity_at is the Day column: a session's files sit in the dt= of
// its latest activity, and the answers follow their session there.

// SessionsChunk is the default backfill chunk. The API has no date filter:
// a window is a walk from the newest session down to the window's start,
// so the stream is a DescendingWalk: a backfill's chunks share one walk and
// each commits as the walk passes its start (120 days: ~1,700 pages in any
// chunk size, where one re-walk per chunk took 14,983 pages in 7-day
// chunks). The chunk size only sets how much a failure costs to redo.
const SessionsChunk = 30 * window.Day

func (s *source) contentSessionsStream() *engine.Stream {
	return &engine.Stream{
		Source:      SourceName,
		Name:        "content_sessions",
		Doc:         "content sessions with their survey answers, newest activity first, stopping at the window start",
		Tables:      []*schemas.Table{SessionsTable, AnswersTable},
		Windowed:    true,
		WindowField: "last_activity_at",
		Chunk:       SessionsChunk,
		// The walk's position is last_activity_at, the Day of both tables
		// (answers carry their session's), so each chunk gets its rows.
		DescendingWalk: true,
		Extract:        s.extractSessions,
	}
}

// sessionFields are a session's own fields.
type sessionFields struct {
	ID                string  `json:"id"`
	ContentID         string  `json:"content_id"`
	UserID            string  `json:"user_id"`
	GroupID           *string `json:"group_id"`
	VersionID         string  `json:"version_id"`
	CreatedAt         string  `json:"created_at"`
	LastActivityAt    string  `json:"last_activity_at"`
	Completed         bool    `json:"completed"`
	CompletedAt       *string `json:"completed_at"`
	Progress          any     `json:"progress"`
	IsPreview         bool    `json:"is_preview"`
	LauncherActivated bool    `json:"launcher_activated"`
}

// sessionItem is a session decoded with its answers, as a whole page of
// them is in the common case.
type sessionItem struct {
	sessionFields
	Answers []answerItem `json:"answers"`
}

// rawSessionItem keeps each answer raw, so that on a page that did not
// decode whole, one odd answer becomes a reject and not its session.
type rawSessionItem struct {
	sessionFields
	Answers []json.RawMessage `json:"answers"`
}

type answerItem struct {
	ID           string          `json:"id"`
	AnswerType   string          `json:"answer_type"`
	AnswerValue  json.RawMessage `json:"answer_value"`
	CreatedAt    string          `json:"created_at"`
	QuestionCVID string          `json:"question_cvid"`
	QuestionName string          `json:"question_name"`
}

// sessionsPage is a page of the session list. The walk reads only its
// cursor fields (httpclient.TopLevel) and asks for the next page at once;
// the page is decoded afterwards, off the walk (httpclient.DecodeAhead).
// The whole page is decoded in one pass into typed sessions and answers
// (items) where it can be: one JSON parse per page and no copy per item,
// where decoding items one by one parsed every byte twice and copied it
// three times. A page that does not decode whole (an item of another
// shape) keeps its items raw in Data, and each is decoded on its own, so
// the odd one becomes a reject and the rest load.
type sessionsPage struct {
	listPage
	items  []sessionItem
	body   []byte // until decoded
	number int    // 1-based, in walk order
	// fromEnds says the cursor fields were read from the body's ends
	// (httpclient.ListEnds): decode checks them against the full parse.
	fromEnds bool
	// hasMore is has_more as read with the cursor: the walk may clear
	// HasMore (endsBefore), and check compares this one.
	hasMore bool
	// oldest is the last item's last_activity_at, read with the cursor:
	// the list is newest first, so the walk fetches nothing after a page
	// that reaches below the window (issue 14: no page is fetched ahead
	// in vain, whatever is decoding).
	oldest string
	// buf is the pooled buffer the body was read into (BodyBuffer); it
	// goes back to pageBodies once the page's rows are built.
	buf []byte
	// arrays hold items, when the page decoder made them; they go back to
	// pageArrayPool once the page is emitted (the rows' values point into
	// the body, not into them).
	arrays *pageArrays
}

// BodyBuffer implements httpclient.BodyBufferer: the body is read into a
// recycled buffer (bodyPool says why). A retried request reads into the
// same one.
func (p *sessionsPage) BodyBuffer(n int) []byte {
	if cap(p.buf) < n {
		p.buf = pageBodies.get(n)
	}
	return p.buf[:n]
}

// hold returns what keeps the page's buffer from reuse while rows point
// into it (nil when the body was not read into one); the caller releases
// it once the page is emitted.
func (p *sessionsPage) hold() *engine.Hold {
	buf := p.buf
	if buf == nil {
		return nil
	}
	p.buf = nil
	return engine.NewHold(func() { pageBodies.put(buf) })
}

// DecodeJSONBody implements httpclient.BodyDecoder: the cursor fields now,
// the items later (decode).
func (p *sessionsPage) DecodeJSONBody(data []byte) error {
	// The ends of the body hold the cursor fields and the last item; read
	// from there unless the page is of another shape or has no item.
	var l listPage
	top, last, fromEnds := httpclient.ListEnds(data, "data", "object", "has_more", "next_page_url")
	if fromEnds && last != nil {
		for key, dst := range map[string]any{"object": &l.Object, "has_more": &l.HasMore, "next_page_url": &l.NextPageURL} {
			if raw, ok := top[key]; ok && string(raw) != "null" {
				if err := json.Unmarshal(raw, dst); err != nil {
					return fmt.Errorf("list field %s: %w", key, err)
				}
			}
		}
	} else {
		// Rare (a key with escapes, another array or object at the top),
		// or small (no item, which no decoding checks later): read as
		// encoding/json reads it, keys spelt in another case included, so
		// that the walk and the decoded page agree on the items and the
		// cursor (a malformed body is retried, not taken for an empty page).
		if err := json.Unmarshal(data, &l); err != nil {
			return fmt.Errorf("list page (%d bytes): %w", len(data), err)
		}
		last = nil
		if n := len(l.Data); n > 0 {
			last = l.Data[n-1]
		}
		l.Data = nil
		fromEnds = false
	}
	*p = sessionsPage{listPage: l, body: data, fromEnds: fromEnds, hasMore: l.HasMore, buf: p.buf}
	if last == nil {
		p.body = nil
		return nil
	}
	// The last item's id is the cursor when the walk builds the next page
	// (nextPage). One without a readable last_activity_at leaves oldest
	// empty: the walk goes on and the emitting decides (and rejects it).
	p.lastID, p.oldest = lastItem(last)
	return nil
}

// endsBefore says whether the page reaches below t.
func (p *sessionsPage) endsBefore(t time.Time) bool {
	last, err := time.Parse(time.RFC3339Nano, p.oldest)
	return err == nil && last.Before(t)
}

// count is how many items the walk should hand on: unknown until decoded,
// so 1 for a page with a non-empty data array.
func (p *sessionsPage) count() int {
	if p.body != nil {
		return 1
	}
	return len(p.items) + len(p.Data)
}

// decode turns the body into items, with the decoder specialised to the
// page's shape (decodeSessionsList) when it reads the page; any page it
// refuses takes the general path. The items' strings may share the body's
// memory: they are copied into Arrow builders and not kept (the walk's
// seen-set and the fallback cursor keep their own copy).
func (p *sessionsPage) decode() error {
	if p.body == nil {
		return nil
	}
	body := p.body
	p.body = nil
	arr := pageArrayPool.get()
	if l, err := decodeSessionsListInto(body, arr); err == nil {
		p.arrays = arr
		return p.typed(l)
	}
	pageArrayPool.put(arr)
	return p.decodeGeneral(body)
}

// decodeGeneral decodes a page whole with encoding/json or, if it does not
// decode whole, keeps its items raw to be decoded one by one. It is the
// reference reading, which the specialised decoder mirrors: a faster
// general-purpose decoder (goccy/go-json) read some of the pages it refuses
// otherwise (an escaped unknown key taken for answers, invalid UTF-8 kept,
// a case-folded key ignored), and refused pages are rare enough for
// encoding/json's pace not to matter.
func (p *sessionsPage) decodeGeneral(body []byte) error {
	var typed sessionsList
	if json.Unmarshal(body, &typed) == nil {
		return p.typed(typed)
	}
	var raw listPage
	if err := json.Unmarshal(body, &raw); err != nil {
		return fmt.Errorf("malformed JSON body (%d bytes): %w", len(body), err)
	}
	p.Data = raw.Data
	last := ""
	if n := len(raw.Data); n > 0 {
		// Read as the walk read it ahead: an odd field elsewhere in the
		// item (a numeric id) makes it a reject, not a mismatch.
		_, last = lastItem(raw.Data[n-1])
	}
	return p.check(raw.Object, raw.HasMore, raw.NextPageURL, last)
}

// lastItem is an item's id and last_activity_at, each "" when the item has
// none that is a string. They are copies: the item is in a page's body,
// whose memory is reused.
func lastItem(item []byte) (id, at string) {
	fields, err := httpclient.TopLevel(item, "id", "last_activity_at")
	if err != nil {
		return "", ""
	}
	return stringField(fields["id"]), stringField(fields["last_activity_at"])
}

// stringField is a JSON string's value in memory of its own ("" for any
// other value), read as encoding/json reads it by the page decoder's
// string reader: on the walk's path, without a reflective decode.
func stringField(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	d := pageDecoder{b: raw}
	s, err := d.stringValue()
	if err != nil || d.i != len(raw) {
		return ""
	}
	return strings.Clone(s)
}

// typed takes a page decoded whole.
func (p *sessionsPage) typed(l sessionsList) error {
	p.items = l.Data
	last := ""
	if n := len(l.Data); n > 0 {
		last = l.Data[n-1].LastActivityAt
	}
	return p.check(l.Object, l.HasMore, l.NextPageURL, last)
}

// check compares what the walk went by (read from the body's ends) with
// the page's full parse. They agree for any valid list; a difference means
// the walk may have asked for the wrong next page or stopped early, so the
// window fails rather than load what it cannot vouch for.
func (p *sessionsPage) check(object string, hasMore bool, next, last string) error {
	if !p.fromEnds {
		return nil
	}
	if object != p.Object || hasMore != p.hasMore || next != p.NextPageURL || (p.oldest != "" && last != p.oldest) {
		return fmt.Errorf("the list's cursor fields read ahead (object %q, has_more %t, next_page_url %q, last item at %q) differ from the page's (%q, %t, %q, %q): rerun; if it persists, report it with this message",
			p.Object, p.hasMore, p.NextPageURL, p.oldest, object, hasMore, next, last)
	}
	return nil
}

// sessionPosition is what places a session in a window.
type sessionPosition struct {
	ID             string `json:"id"`
	LastActivityAt string `json:"last_activity_at"`
}

var (
	sessionLayout = transform.MustLayout(SessionsTable, "id", "content_id", "user_id", "group_id", "version_id",
		"created_at", "last_activity_at", "completed", "completed_at", "progress", "is_preview", "launcher_activated")
	answerLayout = transform.MustLayout(AnswersTable, "id", "session_id", "content_id", "user_id", "question_cvid",
		"question_name", "answer_type", "answer_value", "answer_values", "answer_number", "created_at", "session_last_activity_at")
)

// sessionWalk is one walk's state: the window, the sessions already
// loaded, and the row buffers reused for every row.
type sessionWalk struct {
	w    window.Window
	out  engine.Emitter
	seen idset.Set
	// A session touched while we walk can be served twice (its cursor
	// position moves); one row per session per load is enough.
	sess, ans []transform.Value
	// hold keeps the body of the page being emitted (its rows' strings
	// point into it) until the engine has built them.
	hold *engine.Hold
}

func (s *source) extractSessions(ctx context.Context, w window.Window, out engine.Emitter) error {
	q := url.Values{"order_by": {"-last_activity_at"}}
	s.expand(q, "answers")
	where := fmt.Sprintf("userflow content_sessions window %s", w)
	sw := &sessionWalk{w: w, out: out, seen: idset.New(),
		sess: make([]transform.Value, sessionLayout.Len()), ans: make([]transform.Value, answerLayout.Len())}
	// The walk asks for each next page as soon as the previous one's
	// cursor is read; two pages decode in parallel while an earlier one is
	// emitted, so fetching, decoding and emitting overlap across cores.
	// At most decodeAhead pages wait between the walk and the emitting.
	err := ahead.Decode(ctx, 2, decodeAhead,
		func(ctx context.Context, emit func(*sessionsPage) error) error {
			return walkList(ctx, s, where, s.cfg.Paths.ContentSessions, q,
				func(p *sessionsPage) (*listPage, int) {
					if p.endsBefore(w.Start) {
						// Nothing after this page is in the window.
						p.HasMore = false
					}
					return &p.listPage, p.count()
				},
				func(page int, p *sessionsPage) error {
					p.number = page
					return emit(p)
				})
		},
		func(p *sessionsPage) (*sessionsPage, error) {
			if err := p.decode(); err != nil {
				return nil, fmt.Errorf("%s page %d: %w", where, p.number, err)
			}
			return p, nil
		},
		func(p *sessionsPage) error {
			at := fmt.Sprintf("page %d", p.number)
			sw.hold = p.hold()
			var err error
			if p.Data != nil {
				err = sw.rawPage(ctx, at, p.Data)
			} else {
				err = sw.page(ctx, at, p.items)
			}
			if sw.hold != nil {
				sw.hold.Release()
				sw.hold = nil
			}
			if p.arrays != nil {
				p.items = nil
				pageArrayPool.put(p.arrays)
				p.arrays = nil
			}
			if err != nil && !errors.Is(err, errStopWalk) {
				return fmt.Errorf("%s %s: %w", where, at, err)
			}
			return err
		})
	if errors.Is(err, errStopWalk) {
		return nil
	}
	return err
}

// decodeAhead bounds the pages between the session walk and the emitting
// (about 80 KB of JSON each, a few hundred KB decoded).
const decodeAhead = 4

// place says where a session stands against the window: skip it (newer
// than the window, or loaded already), stop the walk (older than the
// window: newest first, everything after it is older still), or load it.
// Before a session loads, the engine commits each chunk the walk has
// passed below (one walk may serve several chunks).
func (sw *sessionWalk) place(ctx context.Context, id string, last time.Time) (load bool, err error) {
	if !last.Before(sw.w.End) {
		return false, nil
	}
	// Marked seen before it is placed (one parse of the id, not two): a
	// session that stops the walk or fails it is never looked up again.
	if !sw.seen.Add(id) {
		return false, nil
	}
	if last.Before(sw.w.Start) {
		return false, errStopWalk
	}
	if err := engine.At(ctx, sw.out, last); err != nil {
		return false, err
	}
	return true, nil
}

// page emits the sessions of a page that decoded whole.
func (sw *sessionWalk) page(ctx context.Context, at string, items []sessionItem) error {
	for i := range items {
		it := &items[i]
		if load, err := sw.admit(ctx, at, &it.sessionFields, func() string { return jsonText(it) }); !load {
			if err == nil {
				continue
			}
			return err
		}
		if err := sw.session(ctx, &it.sessionFields, nil, at); err != nil {
			return err
		}
		for j := range it.Answers {
			if err := sw.answer(ctx, &it.sessionFields, &it.Answers[j], nil, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// rawPage emits the sessions of a page that did not decode whole, item by
// item. A walk's items newer than the window (the list has no date filter)
// are placed from the cursor field alone.
func (sw *sessionWalk) rawPage(ctx context.Context, at string, items []json.RawMessage) error {
	for _, raw := range items {
		var pos sessionPosition
		if json.Unmarshal(raw, &pos) == nil && pos.LastActivityAt != "" {
			if last, err := time.Parse(time.RFC3339Nano, pos.LastActivityAt); err == nil && (!last.Before(sw.w.End) || sw.seen.Has(pos.ID)) {
				continue
			}
		}
		it, err := decodeItem[rawSessionItem](raw)
		if err != nil {
			if err := sw.out.Reject(ctx, SessionsTable.Name, "not a content session object: "+err.Error(), engine.Row{Raw: string(raw), Where: at}); err != nil {
				return err
			}
			continue
		}
		if load, err := sw.admit(ctx, at, &it.sessionFields, func() string { return string(raw) }); !load {
			if err == nil {
				continue
			}
			return err
		}
		if err := sw.session(ctx, &it.sessionFields, raw, at); err != nil {
			return err
		}
		for _, rawAnswer := range it.Answers {
			a, err := decodeItem[answerItem](rawAnswer)
			if err != nil {
				if err := sw.out.Reject(ctx, AnswersTable.Name, fmt.Sprintf("answer of session %s is not an answer object: %v", it.ID, err), engine.Row{Raw: string(rawAnswer), Where: at}); err != nil {
					return err
				}
				continue
			}
			if err := sw.answer(ctx, &it.sessionFields, &a, rawAnswer, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// admit says whether a session loads (see place). One whose cursor value
// is not a time cannot be placed in a window: it is rejected, to stay
// visible, instead of guessed at; raw gives its text for the reject.
func (sw *sessionWalk) admit(ctx context.Context, at string, it *sessionFields, raw func() string) (bool, error) {
	last, err := transform.ParseRFC3339(it.LastActivityAt)
	if err != nil {
		return false, sw.out.Reject(ctx, SessionsTable.Name, fmt.Sprintf("last_activity_at %q is not an ISO 8601 time", it.LastActivityAt), engine.Row{Raw: raw(), Where: at})
	}
	return sw.place(ctx, it.ID, last)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// session emits a session's row; raw, when known, is its source text for a
// reject.
func (sw *sessionWalk) session(ctx context.Context, it *sessionFields, raw json.RawMessage, at string) error {
	v := sw.sess
	v[0], v[1], v[2], v[3] = transform.Str(it.ID), transform.Str(it.ContentID), transform.Str(it.UserID), transform.OptStr(it.GroupID)
	v[4], v[5], v[6] = transform.Str(it.VersionID), transform.Str(it.CreatedAt), transform.Str(it.LastActivityAt)
	v[7], v[8], v[9] = transform.Bool(it.Completed), transform.OptStr(it.CompletedAt), transform.Any(it.Progress)
	v[10], v[11] = transform.Bool(it.IsPreview), transform.Bool(it.LauncherActivated)
	return sw.out.Emit(ctx, SessionsTable.Name, engine.Row{Layout: sessionLayout, Fields: v, RawJSON: raw, Where: at, Hold: sw.hold})
}

// answer emits one answer of session s.
func (sw *sessionWalk) answer(ctx context.Context, s *sessionFields, a *answerItem, raw json.RawMessage, at string) error {
	value, values := answerValue(a.AnswerValue)
	number := transform.Null()
	if a.AnswerType == "number" {
		// A numeric string; the transform parses it and rejects the row
		// if it is not a number.
		number = value
	}
	v := sw.ans
	v[0], v[1], v[2], v[3] = transform.Str(a.ID), transform.Str(s.ID), transform.Str(s.ContentID), transform.Str(s.UserID)
	v[4], v[5], v[6] = transform.Str(a.QuestionCVID), transform.Str(a.QuestionName), transform.Str(a.AnswerType)
	v[7], v[8], v[9] = value, values, number
	v[10], v[11] = transform.Str(a.CreatedAt), transform.Str(s.LastActivityAt)
	return sw.out.Emit(ctx, AnswersTable.Name, engine.Row{Layout: answerLayout, Fields: v, RawJSON: raw, Where: at, Hold: sw.hold})
}

// answerValue renders answer_value for the String column (a string as is,
// anything else as compact JSON text) and, for arrays, its items. Strings
// and lists of strings, nearly every answer, are read by the page
// decoder's own string reader (exactly encoding/json's unescaping); the
// rest, and anything that reader refuses, by encoding/json.
func answerValue(raw json.RawMessage) (value, items transform.Value) {
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
