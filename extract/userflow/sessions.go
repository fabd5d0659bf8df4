package userflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/userflow/internal/ahead"
	"github.com/adoptionlabs/etl/extract/userflow/internal/idset"
	"github.com/adoptionlabs/etl/extract/userflow/internal/sessionpage"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

// Sessions change after creation (progress, completion), so both tables
// merge by id with the newest last_activity_at winning. They are partitioned
// by created_at, which never changes for a session or an answer, so every
// version of a row lands in the same partition (ClickHouse's, and the
// Parquet files' created_at_month=) and collapses. last_activity_at is the
// Day column: it places a session in the window of its latest activity,
// and the answers follow their session there.

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
	hold engine.Hold
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
		func(ctx context.Context, emit func(*sessionpage.Page) error) error {
			return walkList(ctx, s, where, s.cfg.Paths.ContentSessions, q,
				func(p *sessionpage.Page) (*listPage, int) {
					if p.EndsBefore(w.Start) {
						// Nothing after this page is in the window.
						p.HasMore = false
					}
					return &listPage{Object: p.Object, Data: p.Data, HasMore: p.HasMore, NextPageURL: p.NextPageURL, lastID: p.LastID}, p.Count()
				},
				func(page int, p *sessionpage.Page) error {
					p.Number = page
					return emit(p)
				})
		},
		func(p *sessionpage.Page) (*sessionpage.Page, error) {
			if err := p.Decode(); err != nil {
				return nil, fmt.Errorf("%s page %d: %w", where, p.Number, err)
			}
			return p, nil
		},
		func(p *sessionpage.Page) error {
			at := fmt.Sprintf("page %d", p.Number)
			sw.hold = p.Hold()
			var err error
			if p.Data != nil {
				err = sw.rawPage(ctx, at, p.Data)
			} else {
				err = sw.page(ctx, at, p.Items)
			}
			if sw.hold != nil {
				sw.hold.Release()
				sw.hold = nil
			}
			p.Recycle()
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
func (sw *sessionWalk) page(ctx context.Context, at string, items []sessionpage.Item) error {
	for i := range items {
		it := &items[i]
		if load, err := sw.admit(ctx, at, &it.Fields, func() string { return jsonText(it) }); !load {
			if err == nil {
				continue
			}
			return err
		}
		if err := sw.session(ctx, &it.Fields, nil, at); err != nil {
			return err
		}
		for j := range it.Answers {
			if err := sw.answer(ctx, &it.Fields, &it.Answers[j], nil, at); err != nil {
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
		it, err := decodeItem[sessionpage.RawItem](raw)
		if err != nil {
			if err := sw.out.Reject(ctx, SessionsTable.Name, "not a content session object: "+err.Error(), engine.Row{Raw: string(raw), Where: at}); err != nil {
				return err
			}
			continue
		}
		if load, err := sw.admit(ctx, at, &it.Fields, func() string { return string(raw) }); !load {
			if err == nil {
				continue
			}
			return err
		}
		if err := sw.session(ctx, &it.Fields, raw, at); err != nil {
			return err
		}
		for _, rawAnswer := range it.Answers {
			a, err := decodeItem[sessionpage.Answer](rawAnswer)
			if err != nil {
				if err := sw.out.Reject(ctx, AnswersTable.Name, fmt.Sprintf("answer of session %s is not an answer object: %v", it.ID, err), engine.Row{Raw: string(rawAnswer), Where: at}); err != nil {
					return err
				}
				continue
			}
			if err := sw.answer(ctx, &it.Fields, &a, rawAnswer, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// admit says whether a session loads (see place). One whose cursor value
// is not a time cannot be placed in a window: it is rejected, to stay
// visible, instead of guessed at; raw gives its text for the reject.
func (sw *sessionWalk) admit(ctx context.Context, at string, it *sessionpage.Fields, raw func() string) (bool, error) {
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
func (sw *sessionWalk) session(ctx context.Context, it *sessionpage.Fields, raw json.RawMessage, at string) error {
	v := sw.sess
	v[0], v[1], v[2], v[3] = transform.Str(it.ID), transform.Str(it.ContentID), transform.Str(it.UserID), transform.OptStr(it.GroupID)
	v[4], v[5], v[6] = transform.Str(it.VersionID), transform.Str(it.CreatedAt), transform.Str(it.LastActivityAt)
	v[7], v[8], v[9] = transform.Bool(it.Completed), transform.OptStr(it.CompletedAt), transform.Any(it.Progress)
	v[10], v[11] = transform.Bool(it.IsPreview), transform.Bool(it.LauncherActivated)
	return sw.out.Emit(ctx, SessionsTable.Name, engine.Row{Layout: sessionLayout, Fields: v, RawJSON: raw, Where: at, Hold: sw.hold})
}

// answer emits one answer of session s.
func (sw *sessionWalk) answer(ctx context.Context, s *sessionpage.Fields, a *sessionpage.Answer, raw json.RawMessage, at string) error {
	value, values := sessionpage.AnswerValue(a.AnswerValue)
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
