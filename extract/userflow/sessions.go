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

// SessionsTable holds one row per content session.
var SessionsTable = &schemas.Table{
	Name: "userflow_content_sessions",
	Doc:  "Userflow content sessions: one user's run through one flow, checklist or launcher; latest state wins",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String, Doc: "content session id"},
		schemas.Column{Name: "content_id", Type: schemas.String, Doc: "flow, checklist or launcher (userflow_content.id)"},
		schemas.Column{Name: "user_id", Type: schemas.String, Doc: "user_id (userflow_users.id)"},
		schemas.Column{Name: "group_id", Type: schemas.String, Nullable: true, Doc: "group the session ran under, if any"},
		schemas.Column{Name: "version_id", Type: schemas.String, Doc: "userflow_content_versions.id"},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp, Doc: "session start (UTC); never changes"},
		schemas.Column{Name: "last_activity_at", Type: schemas.Timestamp, Doc: "last interaction (UTC); the incremental cursor"},
		schemas.Column{Name: "completed", Type: schemas.Bool, Doc: "completed: 1 once the user finished it"},
		schemas.Column{Name: "completed_at", Type: schemas.Timestamp, Nullable: true, Doc: "completed_at (UTC); NULL until completed"},
		schemas.Column{Name: "progress", Type: schemas.Float64, Doc: "0..1, 1 = fully completed"},
		schemas.Column{Name: "is_preview", Type: schemas.Bool, Doc: "started by a team member previewing a draft"},
		schemas.Column{Name: "launcher_activated", Type: schemas.Bool, Doc: "launcher_activated: 1 once the launcher was clicked"},
	),
	Disposition: schemas.Merge,
	Key:         []string{"id"},
	Version:     "last_activity_at",
	Day:         "last_activity_at",
	Partition:   "created_at",
	// Dashboards read per flow (completion of X over time), so content_id
	// leads for index pruning. It never changes for a session, so
	// (content_id, id) deduplicates exactly like id alone.
	OrderBy: []string{"content_id", "id"},
}

// AnswersTable holds one row per survey answer of a flow session.
var AnswersTable = &schemas.Table{
	Name: "userflow_session_answers",
	Doc:  "Userflow survey answers, one row per answered question of a flow session",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String, Doc: "answer id"},
		schemas.Column{Name: "session_id", Type: schemas.String, Doc: "userflow_content_sessions.id"},
		schemas.Column{Name: "content_id", Type: schemas.String, Doc: "content_id of the session (userflow_content.id)"},
		schemas.Column{Name: "user_id", Type: schemas.String, Doc: "user_id of the session (userflow_users.id)"},
		schemas.Column{Name: "question_cvid", Type: schemas.String, Doc: "cross-version question id (userflow_questions.cvid)"},
		schemas.Column{Name: "question_name", Type: schemas.String, Doc: "question_name: the question as shown when answered"},
		schemas.Column{Name: "answer_type", Type: schemas.String, Doc: "text, number or list"},
		schemas.Column{Name: "answer_value", Type: schemas.String, Doc: "the answer as given; a list answer as compact JSON text"},
		schemas.Column{Name: "answer_values", Type: schemas.StringList, Doc: "items of a list answer; empty otherwise"},
		schemas.Column{Name: "answer_number", Type: schemas.Float64, Nullable: true, Doc: "value of a number answer (NPS, stars)"},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp, Doc: "when the answer was given (UTC)"},
		schemas.Column{Name: "session_last_activity_at", Type: schemas.Timestamp, Doc: "the session's last_activity_at when fetched"},
	),
	Disposition: schemas.Merge,
	Key:         []string{"id"},
	// The session's activity, not the answer's: answers are re-fetched
	// with their session, and must follow it to the same dt= partition.
	Version:   "session_last_activity_at",
	Day:       "session_last_activity_at",
	Partition: "created_at",
	// "Answers to question Q of flow F": both never change for an answer.
	OrderBy: []string{"content_id", "question_cvid", "id"},
}

// SessionsChunk is the default backfill chunk. The API has no date filter:
// every window is a walk from the newest session down to the window's
// start, so a backfill of N days in chunks of C costs about N²/2C days of
// pages. Measured on the sandbox, 120 days in 7-day chunks took 14,983
// pages against ~1,600 for one walk; 30-day chunks keep the overhead near
// 2.5x while a failed chunk still retries only a month. Nightly runs cover
// a few days and are one chunk anyway.
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
		Extract:     s.extractSessions,
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
