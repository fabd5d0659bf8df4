package sessionpage

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/httpclient"
)

// rawList is the API's list object, its items raw.
type rawList struct {
	Object      string            `json:"object"`
	Data        []json.RawMessage `json:"data"`
	HasMore     bool              `json:"has_more"`
	NextPageURL string            `json:"next_page_url"`
}

// Fields are a session's own fields.
type Fields struct {
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

// Item is a session decoded with its answers, as a whole page of them is
// in the common case.
type Item struct {
	Fields
	Answers []Answer `json:"answers"`
}

// RawItem keeps each answer raw, so that on a page that did not decode
// whole, one odd answer becomes a reject and not its session.
type RawItem struct {
	Fields
	Answers []json.RawMessage `json:"answers"`
}

// Answer is one survey answer of a session.
type Answer struct {
	ID           string          `json:"id"`
	AnswerType   string          `json:"answer_type"`
	AnswerValue  json.RawMessage `json:"answer_value"`
	CreatedAt    string          `json:"created_at"`
	QuestionCVID string          `json:"question_cvid"`
	QuestionName string          `json:"question_name"`
}

// Page is a page of the session list. The walk reads only its cursor
// fields and its last item, from the body's ends (ListEnds), and asks for
// the next page at once; the page is decoded afterwards, off the walk
// (Decode, on ahead.Decode's workers).
// The whole page is decoded in one pass into typed sessions and answers
// (items) where it can be: one JSON parse per page and no copy per item,
// where decoding items one by one parsed every byte twice and copied it
// three times. A page that does not decode whole (an item of another
// shape) keeps its items raw in Data, and each is decoded on its own, so
// the odd one becomes a reject and the rest load.
type Page struct {
	rawList
	// LastID is the last item's id, read with the cursor: the next
	// page's starting_after when the walk does not follow next_page_url.
	LastID string
	Items  []Item
	body   []byte // until decoded
	Number int    // 1-based, in walk order
	// fromEnds says the cursor fields were read from the body's ends
	// (ListEnds): Decode checks them against the full parse.
	fromEnds bool
	// hasMore is has_more as read with the cursor: the walk may clear
	// HasMore (EndsBefore), and check compares this one.
	hasMore bool
	// oldest is the last item's last_activity_at, read with the cursor:
	// the list is newest first, so the walk fetches nothing after a page
	// that reaches below the window (no page is fetched ahead in vain,
	// whatever is decoding).
	oldest string
	// buf is the pooled buffer the body was read into (BodyBuffer); it
	// goes back to pageBodies once the page's rows are built.
	buf []byte
	// arrays hold items, when the page decoder made them; they go back to
	// pageArrayPool once the page is emitted (the rows' values point into
	// the body, not into them).
	arrays *pageArrays
}

// The client finds the hook by type assertion: a signature that drifted
// would silently put every page through the general decoder.
var _ httpclient.BodyDecoder = (*Page)(nil)

// BodyBuffer implements httpclient.BodyDecoder: the body is read into a
// recycled buffer (bodyPool says why). A retried request reads into the
// same one.
func (p *Page) BodyBuffer(n int) []byte {
	if cap(p.buf) < n {
		p.buf = pageBodies.get(n)
	}
	return p.buf[:n]
}

// Hold returns what keeps the page's buffer from reuse while rows point
// into it (nil when the body was not read into one); the caller releases
// it once the page is emitted.
func (p *Page) Hold() engine.Hold {
	buf := p.buf
	if buf == nil {
		return nil
	}
	p.buf = nil
	return newHold(func() { pageBodies.put(buf) })
}

// DecodeJSONBody implements httpclient.BodyDecoder: the cursor fields now,
// the items later (Decode).
func (p *Page) DecodeJSONBody(data []byte) error {
	// The ends of the body hold the cursor fields and the last item; read
	// from there unless the page is of another shape or has no item.
	var l rawList
	top, last, fromEnds := ListEnds(data, "data", "object", "has_more", "next_page_url")
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
	*p = Page{rawList: l, body: data, fromEnds: fromEnds, hasMore: l.HasMore, buf: p.buf}
	if last == nil {
		p.body = nil
		return nil
	}
	// The last item's id is the cursor when the walk builds the next page
	// (nextPage). One without a readable last_activity_at leaves oldest
	// empty: the walk goes on and the emitting decides (and rejects it).
	p.LastID, p.oldest = Position(last)
	return nil
}

// Recycle gives the arrays the page's items were decoded into back for
// the next page, once the page is emitted (its rows' values point into the
// body, which its Hold keeps, not into them).
func (p *Page) Recycle() {
	if p.arrays != nil {
		p.Items = nil
		pageArrayPool.put(p.arrays)
		p.arrays = nil
	}
}

// EndsBefore says whether the page reaches below t.
func (p *Page) EndsBefore(t time.Time) bool {
	last, err := time.Parse(time.RFC3339Nano, p.oldest)
	return err == nil && last.Before(t)
}

// Count is how many items the walk should hand on: unknown until decoded,
// so 1 for a page with a non-empty data array.
func (p *Page) Count() int {
	if p.body != nil {
		return 1
	}
	return len(p.Items) + len(p.Data)
}

// Decode turns the body into items, with the decoder specialised to the
// page's shape (DecodeList) when it reads the page; any page it
// refuses takes the general path. The items' strings may share the body's
// memory: they are copied into Arrow builders and not kept (the walk's
// seen-set and the fallback cursor keep their own copy).
func (p *Page) Decode() error {
	if p.body == nil {
		return nil
	}
	body := p.body
	p.body = nil
	arr := pageArrayPool.get()
	if l, err := decodeListInto(body, arr); err == nil {
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
func (p *Page) decodeGeneral(body []byte) error {
	var typed List
	if json.Unmarshal(body, &typed) == nil {
		return p.typed(typed)
	}
	var raw rawList
	if err := json.Unmarshal(body, &raw); err != nil {
		return fmt.Errorf("malformed JSON body (%d bytes): %w", len(body), err)
	}
	p.Data = raw.Data
	last := ""
	if n := len(raw.Data); n > 0 {
		// Read as the walk read it ahead: an odd field elsewhere in the
		// item (a numeric id) makes it a reject, not a mismatch.
		_, last = Position(raw.Data[n-1])
	}
	return p.check(raw.Object, raw.HasMore, raw.NextPageURL, last)
}

// Position is an item's id and last_activity_at, each "" when the item has
// none that is a string. They are copies: the item is in a page's body,
// whose memory is reused.
func Position(item []byte) (id, at string) {
	fields, err := TopLevel(item, "id", "last_activity_at")
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
func (p *Page) typed(l List) error {
	p.Items = l.Data
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
func (p *Page) check(object string, hasMore bool, next, last string) error {
	if !p.fromEnds {
		return nil
	}
	if object != p.Object || hasMore != p.hasMore || next != p.NextPageURL || (p.oldest != "" && last != p.oldest) {
		return fmt.Errorf("the list's cursor fields read ahead (object %q, has_more %t, next_page_url %q, last item at %q) differ from the page's (%q, %t, %q, %q): rerun; if it persists, report it with this message",
			p.Object, p.hasMore, p.NextPageURL, p.oldest, object, hasMore, next, last)
	}
	return nil
}
