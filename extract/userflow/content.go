package userflow

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// Content, versions and questions are small dimensions that the API can
// only list in full: each run takes a snapshot that replaces the table.

func (s *source) contentStream() *engine.Stream {
	return &engine.Stream{
		Source:  SourceName,
		Name:    "content",
		Doc:     "content objects, then each one's versions with questions and tasks (full snapshot)",
		Tables:  []*schemas.Table{ContentTable, VersionsTable, QuestionsTable, TasksTable},
		Extract: s.extractContent,
	}
}

type contentItem struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Type               string  `json:"type"`
	CreatedAt          string  `json:"created_at"`
	DraftVersionID     *string `json:"draft_version_id"`
	PublishedVersionID *string `json:"published_version_id"`
}

type versionItem struct {
	ID          string      `json:"id"`
	Number      json.Number `json:"number"`
	Description *string     `json:"description"`
	CreatedAt   string      `json:"created_at"`
	EditedAt    *string     `json:"edited_at"`
	Questions   []struct {
		ID   string `json:"id"`
		CVID string `json:"cvid"`
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"questions"`
	Tasks []struct {
		ID   string `json:"id"`
		CVID string `json:"cvid"`
		Name string `json:"name"`
	} `json:"tasks"`
}

func (s *source) extractContent(ctx context.Context, _ window.Window, out engine.Emitter) error {
	var ids []string
	_, err := s.snapshot(ctx, "userflow content", s.cfg.Paths.Content, ContentTable, out, func(raw json.RawMessage) (map[string]any, error) {
		c, err := decodeItem[contentItem](raw)
		if err != nil {
			return nil, err
		}
		if c.ID == "" {
			return nil, fmt.Errorf("no id")
		}
		ids = append(ids, c.ID)
		return map[string]any{
			"id":                   c.ID,
			"name":                 c.Name,
			"type":                 c.Type,
			"created_at":           c.CreatedAt,
			"draft_version_id":     optional(c.DraftVersionID),
			"published_version_id": optional(c.PublishedVersionID),
		}, nil
	})
	if err != nil {
		return err
	}
	return engine.ForEach(ctx, ids, s.cfg.ParallelContentWalks, out.Progress, func(ctx context.Context, contentID string) error {
		return s.extractVersions(ctx, contentID, out)
	})
}

func (s *source) extractVersions(ctx context.Context, contentID string, out engine.Emitter) error {
	q := url.Values{"content_id": {contentID}}
	s.expand(q, "questions", "tasks")
	where := "userflow content: versions of content " + contentID
	return walkList(ctx, s, where, s.cfg.Paths.ContentVersions, q, (*listPage).items, func(page int, p *listPage) error {
		at := fmt.Sprintf("versions of content %s page %d", contentID, page)
		for _, raw := range p.Data {
			v, err := decodeItem[versionItem](raw)
			if err != nil || v.ID == "" {
				if err := out.Reject(ctx, VersionsTable.Name, fmt.Sprintf("not a content version object: %v", err), engine.Row{Raw: string(raw), Where: at}); err != nil {
					return err
				}
				continue
			}
			if err := out.Emit(ctx, VersionsTable.Name, engine.Row{Raw: string(raw), Where: at, Values: map[string]any{
				"id":          v.ID,
				"content_id":  contentID,
				"number":      v.Number,
				"description": optional(v.Description),
				"created_at":  v.CreatedAt,
				"edited_at":   optional(v.EditedAt),
			}}); err != nil {
				return err
			}
			for _, q := range v.Questions {
				if err := out.Emit(ctx, QuestionsTable.Name, engine.Row{Where: at, Values: map[string]any{
					"id": q.ID, "content_id": contentID, "version_id": v.ID, "cvid": q.CVID, "name": q.Name, "type": q.Type,
				}}); err != nil {
					return err
				}
			}
			for _, t := range v.Tasks {
				if err := out.Emit(ctx, TasksTable.Name, engine.Row{Where: at, Values: map[string]any{
					"id": t.ID, "content_id": contentID, "version_id": v.ID, "cvid": t.CVID, "name": t.Name,
				}}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// expand adds the paths to expand to q: one as expand=<path>, several in
// the expand_form (the reference shows expand[]=a&expand[]=b, the array
// form, for several; repeated is expand=a&expand=b).
func (s *source) expand(q url.Values, paths ...string) {
	if len(paths) > 1 && s.cfg.ExpandForm == ExpandArray {
		q["expand[]"] = paths
		return
	}
	q["expand"] = paths
}
