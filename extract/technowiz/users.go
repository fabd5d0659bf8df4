package technowiz

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// twUser is a user matched by one or more filters.
type twUser struct {
	ID      string
	Fields  map[string]any
	Filters []UserFilter
}

func (u *twUser) filterList() []string {
	out := make([]string, len(u.Filters))
	for i, f := range u.Filters {
		out[i] = f.AttributeName + "=" + f.AttributeValue
	}
	return out
}

// matchedUsers asks the users API once per filter and merges the answers:
// a user matched by several filters is returned once, with every filter
// that matched it (in configuration order). Entries without a userId are
// returned apart, to be rejected.
func (a *api) matchedUsers(ctx context.Context, out engine.Emitter) ([]*twUser, []map[string]any, error) {
	byID := map[string]*twUser{}
	var users []*twUser
	var noID []map[string]any
	for _, f := range a.cfg.filters() {
		var resp struct {
			ResponseObject json.RawMessage `json:"responseObject"`
		}
		q := url.Values{"attribute_name": {f.AttributeName}, "attribute_value": {f.AttributeValue}}
		if err := a.get(ctx, a.cfg.Paths.Users, q, &resp); err != nil {
			return nil, nil, fmt.Errorf("users with %s: %w", f, err)
		}
		var list []map[string]any
		if err := json.Unmarshal(resp.ResponseObject, &list); err != nil {
			return nil, nil, fmt.Errorf("users with %s: responseObject is not a list of users (got %.80s): check paths.users", f, string(resp.ResponseObject))
		}
		if len(list) == 0 {
			out.Notice(fmt.Sprintf("technowiz: filter %s matched no users", f))
		}
		for _, fields := range list {
			id := idString(fields["userId"])
			if id == "" {
				noID = append(noID, fields)
				continue
			}
			u, ok := byID[id]
			if !ok {
				u = &twUser{ID: id, Fields: fields}
				byID[id] = u
				users = append(users, u)
			}
			u.Filters = append(u.Filters, f)
		}
	}
	return users, noID, nil
}

// idString renders an id sent as a string or a number.
func idString(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	}
	return ""
}

func (a *api) usersStream() *engine.Stream {
	return &engine.Stream{
		Source: SourceName,
		Name:   StreamUsers,
		Doc:    "Users matched by the configured attribute filters (GET /users per filter), merged; a full snapshot.",
		Tables: []*schemas.Table{UsersTable},
		// The users API has no date filter: every run takes the whole set.
		Windowed: false,
		Extract:  a.extractUsers,
	}
}

// userFields maps the API's names to columns.
var userFields = map[string]string{
	"userId":     "user_id",
	"userName":   "user_name",
	"channel":    "channel",
	"attributes": "attributes",
	"createdAt":  "created_at",
}

func (a *api) extractUsers(ctx context.Context, _ window.Window, out engine.Emitter) error {
	users, noID, err := a.matchedUsers(ctx, out)
	if err != nil {
		return err
	}
	for _, fields := range noID {
		if err := out.Reject(ctx, TableUsers, "user without a userId", engine.Row{Values: fields, Where: "users"}); err != nil {
			return err
		}
	}
	for i, u := range users {
		row := map[string]any{}
		for k, v := range u.Fields {
			col, ok := userFields[k]
			switch {
			case ok:
				row[col] = v
			case UsersTable.Index(k) >= 0:
				row["user."+k] = v // a field named like a column: keep it apart in _extra
			default:
				row[k] = v
			}
		}
		row["user_id"] = u.ID
		row["matched_filters"] = u.filterList()
		if err := out.Emit(ctx, TableUsers, engine.Row{Values: row, Where: "user " + u.ID}); err != nil {
			return err
		}
		out.Progress(i+1, len(users))
	}
	return nil
}
