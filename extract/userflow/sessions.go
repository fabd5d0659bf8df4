package userflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/schemas"
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

type sessionItem struct {
	ID                string            `json:"id"`
	ContentID         string            `json:"content_id"`
	UserID            string            `json:"user_id"`
	GroupID           *string           `json:"group_id"`
	VersionID         string            `json:"version_id"`
	CreatedAt         string            `json:"created_at"`
	LastActivityAt    string            `json:"last_activity_at"`
	Completed         bool              `json:"completed"`
	CompletedAt       *string           `json:"completed_at"`
	Progress          any               `json:"progress"`
	IsPreview         bool              `json:"is_preview"`
	LauncherActivated bool              `json:"launcher_activated"`
	Answers           []json.RawMessage `json:"answers"`
}

type answerItem struct {
	ID           string          `json:"id"`
	AnswerType   string          `json:"answer_type"`
	AnswerValue  json.RawMessage `json:"answer_value"`
	CreatedAt    string          `json:"created_at"`
	QuestionCVID string          `json:"question_cvid"`
	QuestionName string          `json:"question_name"`
}

// sessionPosition is what places a session in a window.
type sessionPosition struct {
	ID             string `json:"id"`
	LastActivityAt string `json:"last_activity_at"`
}

// decodeSession and decodeAnswer decode with goccy/go-json, several times
// faster than encoding/json on these items (BENCHMARKS.md, issue 14). An
// item goccy refuses is decoded again by encoding/json, so what becomes a
// reject, and the reason it gives, are encoding/json's as before.
func decodeSession(raw json.RawMessage) (sessionItem, error) {
	var it sessionItem
	if gojson.Unmarshal(raw, &it) == nil {
		return it, nil
	}
	return decodeItem[sessionItem](raw)
}

func decodeAnswer(raw json.RawMessage) (answerItem, error) {
	var a answerItem
	if gojson.Unmarshal(raw, &a) == nil {
		return a, nil
	}
	return decodeItem[answerItem](raw)
}

func (s *source) extractSessions(ctx context.Context, w window.Window, out engine.Emitter) error {
	q := url.Values{"expand": {"answers"}, "order_by": {"-last_activity_at"}}
	where := fmt.Sprintf("userflow content_sessions window %s", w)
	// A session touched while we walk can be served twice (its cursor
	// position moves); one row per session per load is enough.
	seen := map[string]bool{}
	// CursorWalk fetches the next page while this one is decoded and
	// emitted, so fetching and decoding overlap across cores: one page
	// ahead, never more.
	return s.walk(ctx, where, s.cfg.Paths.ContentSessions, q, func(page int, items []json.RawMessage) error {
		return s.sessionsPage(ctx, w, out, seen, page, items)
	})
}

// olderThan says whether the session's last activity is before t; false
// when the item cannot tell (sessionsPage then decodes and rejects it).
func olderThan(raw json.RawMessage, t time.Time) bool {
	var pos sessionPosition
	if gojson.Unmarshal(raw, &pos) != nil {
		return false
	}
	last, err := time.Parse(time.RFC3339Nano, pos.LastActivityAt)
	return err == nil && last.Before(t)
}

// sessionsPage emits one page's sessions in the window. errStopWalk says the
// walk passed the window's start.
func (s *source) sessionsPage(ctx context.Context, w window.Window, out engine.Emitter, seen map[string]bool, page int, items []json.RawMessage) error {
	at := fmt.Sprintf("page %d", page)
	// A walk's pages newer than the window (the list has no date filter)
	// are placed item by item from the cursor field alone; a page that
	// starts inside the window holds nothing newer, so its items are
	// decoded once.
	newer := len(items) > 0 && !olderThan(items[0], w.End)
	for _, raw := range items {
		var pos sessionPosition
		if newer && gojson.Unmarshal(raw, &pos) == nil && pos.LastActivityAt != "" {
			if last, err := time.Parse(time.RFC3339Nano, pos.LastActivityAt); err == nil && (!last.Before(w.End) || seen[pos.ID]) {
				continue
			}
		}
		it, err := decodeSession(raw)
		if err != nil {
			if err := out.Reject(ctx, SessionsTable.Name, "not a content session object: "+err.Error(), engine.Row{Raw: string(raw), Where: at}); err != nil {
				return err
			}
			continue
		}
		last, err := time.Parse(time.RFC3339Nano, it.LastActivityAt)
		if err != nil {
			// Without its cursor value a session cannot be placed in a
			// window; keep it visible instead of guessing.
			if err := out.Reject(ctx, SessionsTable.Name, fmt.Sprintf("last_activity_at %q is not an ISO 8601 time", it.LastActivityAt), engine.Row{Raw: string(raw), Where: at}); err != nil {
				return err
			}
			continue
		}
		if !last.Before(w.End) || seen[it.ID] {
			continue
		}
		if last.Before(w.Start) {
			// Newest first: everything after this is older still.
			return errStopWalk
		}
		// One walk may serve several chunks: the engine commits each chunk
		// the walk has passed below before this row lands.
		if err := engine.At(ctx, out, last); err != nil {
			return err
		}
		// A copy: goccy's strings share the decoded item's buffer, which
		// the map would otherwise keep alive for the whole window.
		seen[strings.Clone(it.ID)] = true
		if err := emitSession(ctx, out, it, raw, at); err != nil {
			return err
		}
	}
	return nil
}

func emitSession(ctx context.Context, out engine.Emitter, it sessionItem, raw json.RawMessage, at string) error {
	row := engine.Row{RawJSON: raw, Where: at, Values: map[string]any{
		"id":                 it.ID,
		"content_id":         it.ContentID,
		"user_id":            it.UserID,
		"group_id":           optional(it.GroupID),
		"version_id":         it.VersionID,
		"created_at":         it.CreatedAt,
		"last_activity_at":   it.LastActivityAt,
		"completed":          it.Completed,
		"completed_at":       optional(it.CompletedAt),
		"progress":           it.Progress,
		"is_preview":         it.IsPreview,
		"launcher_activated": it.LauncherActivated,
	}}
	if err := out.Emit(ctx, SessionsTable.Name, row); err != nil {
		return err
	}
	for _, rawAnswer := range it.Answers {
		a, err := decodeAnswer(rawAnswer)
		if err != nil {
			if err := out.Reject(ctx, AnswersTable.Name, fmt.Sprintf("answer of session %s is not an answer object: %v", it.ID, err), engine.Row{Raw: string(rawAnswer), Where: at}); err != nil {
				return err
			}
			continue
		}
		value, values := answerValue(a.AnswerValue)
		var number any
		if a.AnswerType == "number" {
			// A numeric string; the transform parses it and rejects the
			// row if it is not a number.
			number = value
		}
		if err := out.Emit(ctx, AnswersTable.Name, engine.Row{RawJSON: rawAnswer, Where: at, Values: map[string]any{
			"id":                       a.ID,
			"session_id":               it.ID,
			"content_id":               it.ContentID,
			"user_id":                  it.UserID,
			"question_cvid":            a.QuestionCVID,
			"question_name":            a.QuestionName,
			"answer_type":              a.AnswerType,
			"answer_value":             value,
			"answer_values":            values,
			"answer_number":            number,
			"created_at":               a.CreatedAt,
			"session_last_activity_at": it.LastActivityAt,
		}}); err != nil {
			return err
		}
	}
	return nil
}

// answerValue renders answer_value for the String column (a string as is,
// anything else as compact JSON text) and, for arrays, its items.
func answerValue(raw json.RawMessage) (value any, items []any) {
	items = []any{}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, items
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, items
	}
	var compact bytes.Buffer
	if json.Compact(&compact, raw) != nil {
		return string(raw), items
	}
	var list []any
	if json.Unmarshal(raw, &list) == nil {
		items = list
	}
	return compact.String(), items
}
