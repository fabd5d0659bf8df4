package userflow

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// Attribute and event definitions are the account's catalogue: what the
// attributes JSON of users and groups may hold, and which event names exist
// (events themselves cannot be listed through the API).

func (s *source) attributeDefinitionsStream() *engine.Stream {
	return &engine.Stream{
		Source: SourceName, Name: "attribute_definitions",
		Doc:    "attribute definitions (full snapshot)",
		Tables: []*schemas.Table{AttributeDefinitionsTable},
		Extract: func(ctx context.Context, _ window.Window, out engine.Emitter) error {
			_, err := s.snapshot(ctx, "userflow attribute_definitions", s.cfg.Paths.AttributeDefinitions, AttributeDefinitionsTable, out,
				definitionValues("name", "display_name", "description", "data_type", "scope"))
			return err
		},
	}
}

func (s *source) eventDefinitionsStream() *engine.Stream {
	return &engine.Stream{
		Source: SourceName, Name: "event_definitions",
		Doc:    "event definitions (full snapshot)",
		Tables: []*schemas.Table{EventDefinitionsTable},
		Extract: func(ctx context.Context, _ window.Window, out engine.Emitter) error {
			_, err := s.snapshot(ctx, "userflow event_definitions", s.cfg.Paths.EventDefinitions, EventDefinitionsTable, out,
				definitionValues("name", "display_name", "description"))
			return err
		},
	}
}

// definitionValues maps a definition object whose fields are named like
// the columns; an empty description is stored as NULL.
func definitionValues(fields ...string) func(json.RawMessage) (map[string]any, error) {
	return func(raw json.RawMessage) (map[string]any, error) {
		var obj map[string]any
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, err
		}
		id, _ := obj["id"].(string)
		if id == "" {
			return nil, fmt.Errorf("no id")
		}
		values := map[string]any{"id": id, "created_at": obj["created_at"]}
		for _, f := range fields {
			values[f] = obj[f]
		}
		if values["description"] == "" {
			values["description"] = nil
		}
		return values, nil
	}
}
