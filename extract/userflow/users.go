package userflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// Users and groups carry free-form attributes of mixed types. The whole
// attributes object is kept as JSON text; email and name, which nearly every
// dashboard joins on, are lifted into columns of their own.

func (s *source) usersStream() *engine.Stream {
	return &engine.Stream{
		Source:  SourceName,
		Name:    "users",
		Doc:     "users and their attributes (full snapshot)",
		Tables:  []*schemas.Table{UsersTable},
		Extract: s.extractUsers,
	}
}

func (s *source) groupsStream() *engine.Stream {
	return &engine.Stream{
		Source:  SourceName,
		Name:    "groups",
		Doc:     "groups/companies and their attributes (full snapshot; skipped with a notice on plans without Groups)",
		Tables:  []*schemas.Table{GroupsTable},
		Extract: s.extractGroups,
	}
}

type attributedItem struct {
	ID         string          `json:"id"`
	CreatedAt  string          `json:"created_at"`
	Attributes json.RawMessage `json:"attributes"`
}

// attributed maps a user or group; lifted names the attributes that also
// get their own column.
func attributed(raw json.RawMessage, lifted ...string) (map[string]any, error) {
	it, err := decodeItem[attributedItem](raw)
	if err != nil {
		return nil, err
	}
	if it.ID == "" {
		return nil, fmt.Errorf("no id")
	}
	var attrs map[string]any
	if err := json.Unmarshal(it.Attributes, &attrs); err != nil && len(it.Attributes) > 0 {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	text := "{}"
	if attrs != nil {
		var compact bytes.Buffer
		if err := json.Compact(&compact, it.Attributes); err != nil {
			return nil, fmt.Errorf("attributes: %w", err)
		}
		text = compact.String()
	}
	values := map[string]any{"id": it.ID, "created_at": it.CreatedAt, "attributes": text}
	for _, name := range lifted {
		values[name] = attrs[name] // nil when absent
	}
	return values, nil
}

func (s *source) snapshot(ctx context.Context, where, path string, t *schemas.Table, out engine.Emitter,
	mapItem func(json.RawMessage) (map[string]any, error)) (emitted int, err error) {
	err = walkList(ctx, s, where, path, url.Values{}, (*listPage).items, func(page int, p *listPage) error {
		at := fmt.Sprintf("page %d", page)
		for _, raw := range p.Data {
			values, err := mapItem(raw)
			if err != nil {
				if err := out.Reject(ctx, t.Name, fmt.Sprintf("unreadable %s item: %v", t.Name, err), engine.Row{Raw: string(raw), Where: at}); err != nil {
					return err
				}
				continue
			}
			if err := out.Emit(ctx, t.Name, engine.Row{Raw: string(raw), Where: at, Values: values}); err != nil {
				return err
			}
			emitted++
		}
		return nil
	})
	return emitted, err
}

func (s *source) extractUsers(ctx context.Context, _ window.Window, out engine.Emitter) error {
	_, err := s.snapshot(ctx, "userflow users", s.cfg.Paths.Users, UsersTable, out, func(raw json.RawMessage) (map[string]any, error) {
		return attributed(raw, "email", "name")
	})
	return err
}

func (s *source) extractGroups(ctx context.Context, _ window.Window, out engine.Emitter) error {
	n, err := s.snapshot(ctx, "userflow groups", s.cfg.Paths.Groups, GroupsTable, out, func(raw json.RawMessage) (map[string]any, error) {
		return attributed(raw, "name")
	})
	var se *httpclient.StatusError
	// Groups are a paid feature: the API refuses the endpoint on other
	// plans. Only a refusal before any row is that; a 403 mid-walk is not.
	if n == 0 && errors.As(err, &se) && (se.Status == http.StatusForbidden || se.Status == http.StatusNotFound) {
		return engine.Skip(fmt.Sprintf("not available on this plan (HTTP %d)", se.Status))
	}
	return err
}
