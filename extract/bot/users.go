package bot

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// botUser is one entry of the users list, raw fields kept for the row.
type botUser struct {
	ID      string
	Channel int
	Fields  map[string]any
	Page    int
}

type usersPage struct {
	Users       []map[string]any   `json:"users"`
	Page        httpclient.FlexInt `json:"page"`
	Pages       httpclient.FlexInt `json:"pages"`
	Total       httpclient.FlexInt `json:"total"`
	Limit       httpclient.FlexInt `json:"limit"`
	HasNextPage flexBool           `json:"hasNextPage"`
}

// maxPages stops a walk whose API keeps saying "more" (a bug there must not
// become an endless loop here).
const maxPages = 100000

// listUsers walks the users active in w for one channel. One channel per
// call, so that a user's channel is known for sure rather than guessed back
// from channelName.
func (a *api) listUsers(ctx context.Context, channel int, w window.Window, notice func(string), fn func(botUser) error) error {
	body := map[string]any{"channelIds": []int{channel}, "startDate": isoUTC(w.Start), "endDate": isoUTC(w.End)}
	// hasNextPage is documented; total is shown but not described. Without
	// hasNextPage, a full page or a total not yet read reads on until an
	// empty or short page, and the longer reading wins.
	var pageErr error // from a request or fn: returned as is
	_, err := httpclient.WalkPageNumbers(ctx, httpclient.PageNumbers{Size: a.cfg.UsersLimit, MaxPages: maxPages,
		TotalName: fmt.Sprintf("bot users: channel %d window %s: total", channel, w), Notice: notice},
		func(ctx context.Context, page int) (httpclient.PageInfo, error) {
			q := url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(a.cfg.UsersLimit)}}
			var p usersPage
			if err := a.call(ctx, http.MethodPost, a.cfg.Paths.Users, q, body, &p); err != nil {
				pageErr = fmt.Errorf("channel %d (%s): users page %d: %w", channel, a.channelName(channel), page, err)
				return httpclient.PageInfo{}, pageErr
			}
			for _, u := range p.Users {
				id, _ := u["userId"].(string)
				if n, ok := u["userId"].(float64); ok { // a numeric id (telegram, facebook)
					id = strconv.FormatFloat(n, 'f', -1, 64)
				}
				if pageErr = fn(botUser{ID: id, Channel: channel, Fields: u, Page: page}); pageErr != nil {
					return httpclient.PageInfo{}, pageErr
				}
			}
			info := httpclient.PageInfo{Items: len(p.Users), Total: -1, More: bool(p.HasNextPage)}
			if p.Total > 0 {
				info.Total = int(p.Total)
			}
			return info, nil
		})
	if err != nil && pageErr == nil {
		// The walk's own verdict (an endless or inconsistent paging).
		return fmt.Errorf("channel %d (%s): users: %w", channel, a.channelName(channel), err)
	}
	return err
}

func (a *api) usersStream() *engine.Stream {
	return &engine.Stream{
		Source:      SourceName,
		Name:        StreamUsers,
		Doc:         "Users of each configured channel active in the window (POST /users, one call per channel).",
		Tables:      []*schemas.Table{UsersTable},
		Windowed:    true,
		WindowField: "last interacted date",
		Chunk:       30 * window.Day,
		Extract:     a.extractUsers,
	}
}

func (a *api) extractUsers(ctx context.Context, w window.Window, out engine.Emitter) error {
	for i, ch := range a.cfg.Channels {
		out.Progress(i, len(a.cfg.Channels))
		err := a.listUsers(ctx, ch, w, out.Notice, func(u botUser) error {
			row, reason := a.userRow(u, w)
			where := fmt.Sprintf("channel %d users page %d", ch, u.Page)
			if reason != "" {
				return out.Reject(ctx, TableUsers, reason, engine.Row{Values: u.Fields, Where: where})
			}
			return out.Emit(ctx, TableUsers, engine.Row{Values: row, Where: where})
		})
		if err != nil {
			return err
		}
	}
	out.Progress(len(a.cfg.Channels), len(a.cfg.Channels))
	return nil
}

// userFields maps the API's names (some with spaces) to columns.
var userFields = map[string]string{
	"userId":                "user_id",
	"userName":              "user_name",
	"channelName":           "channel_name",
	"createdDate":           "created_at",
	"first interacted date": "first_interacted_at",
	"last interacted date":  "last_interacted_at",
}

// userRow maps one users entry; a non-empty reason rejects it.
func (a *api) userRow(u botUser, w window.Window) (map[string]any, string) {
	if u.ID == "" {
		return nil, "user without a userId"
	}
	row := map[string]any{"channel_id": u.Channel, "channel_name": a.channelName(u.Channel)}
	for k, v := range u.Fields {
		col, ok := userFields[k]
		switch {
		case ok:
			row[col] = v
		case UsersTable.Index(k) >= 0:
			row["user."+k] = v // named like a column: kept apart in _extra
		default:
			row[k] = v // lands in _extra
		}
	}
	row["user_id"] = u.ID
	if name, ok := u.Fields["channelName"].(string); ok && name != "" {
		if id, known := a.channelID(name); known && id != u.Channel {
			return nil, fmt.Sprintf("the API returned a user of channel %q (%d) when asked for channel %d", name, id, u.Channel)
		}
		row["channel_name"] = name
	}
	row["seen_at"] = seenAt(u.Fields["last interacted date"], w)
	return row, ""
}

// seenAt puts the row in the window that listed the user: its last
// interaction when that lies in the window, otherwise the window's last
// second. Some APIs report "last interacted date" over the user's whole
// history; keying the day on it would push a daily-active user past every
// nightly window and never load it.
func seenAt(raw any, w window.Window) time.Time {
	if t, ok := parseTime(raw); ok && w.Contains(t) {
		return t
	}
	if last := w.End.Add(-time.Second); !last.Before(w.Start) {
		return last
	}
	return w.Start
}

// parseTime reads the API's timestamps: ISO 8601 text (zone optional, UTC
// assumed) or epoch seconds/milliseconds.
func parseTime(raw any) (time.Time, bool) {
	switch v := raw.(type) {
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
			if t, err := time.Parse(layout, strings.TrimSpace(v)); err == nil {
				return t.UTC(), true
			}
		}
	case float64:
		if v >= 1e11 {
			return time.UnixMilli(int64(v)).UTC(), true
		}
		if v > 0 {
			return time.Unix(int64(v), 0).UTC(), true
		}
	}
	return time.Time{}, false
}
