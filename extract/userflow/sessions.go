package userflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

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

func (s *source) extractSessions(ctx context.Context, w window.Window, out engine.Emitter) error {
	q := url.Values{"expand": {"answers"}, "order_by": {"-last_activity_at"}}
	where := fmt.Sprintf("userflow content_sessions window %s", w)
	// A session touched while we walk can be served twice (its cursor
	// position moves); one row per session per load is enough.
	seen := map[string]bool{}
	return s.walk(ctx, where, s.cfg.Paths.ContentSessions, q, func(page int, items []json.RawMessage) error {
		at := fmt.Sprintf("page %d", page)
		for _, raw := range items {
			it, err := decodeItem[sessionItem](raw)
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
			if err := engine.At(ctx, out, last); err != nil {
				return err
			}
			seen[it.ID] = true
			if err := emitSession(ctx, out, it, raw, at); err != nil {
				return err
			}
		}
		return nil
	})
}

func emitSession(ctx context.Context, out engine.Emitter, it sessionItem, raw json.RawMessage, at string) error {
	row := engine.Row{Raw: string(raw), Where: at, Values: map[string]any{
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
		a, err := decodeItem[answerItem](rawAnswer)
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
		if err := out.Emit(ctx, AnswersTable.Name, engine.Row{Raw: string(rawAnswer), Where: at, Values: map[string]any{
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
