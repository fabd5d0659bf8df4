package technowiz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// maxPages stops a walk whose API never runs out of pages.
const maxPages = 100000

func (a *api) messagesStream() *engine.Stream {
	return &engine.Stream{
		Source: SourceName,
		Name:   StreamMessages,
		Doc: "Conversation messages in the window of every user the filters match " +
			"(GET /users/{userId}/conversation, paged, user_concurrency users at a time).",
		Tables:      []*schemas.Table{MessagesTable},
		Windowed:    true,
		WindowField: "timestamp",
		Chunk:       30 * window.Day,
		Extract:     a.extractMessages,
	}
}

func (a *api) extractMessages(ctx context.Context, w window.Window, out engine.Emitter) error {
	users, _, err := a.matchedUsers(ctx, out)
	if err != nil {
		return err
	}
	var unknown atomic.Int64
	var tally httpclient.Tally
	err = engine.ForEach(ctx, users, a.cfg.UserConcurrency, out.Progress, func(ctx context.Context, u *twUser) error {
		return a.userMessages(ctx, u, w, out, &unknown, &tally)
	})
	if s := tally.Summary(len(users)); s != "" {
		out.Notice(s)
	}
	if n := unknown.Load(); n > 0 {
		out.Notice(fmt.Sprintf("technowiz messages: %d of %d users are unknown to the conversation API (1002): they were rejected, the others extracted", n, len(users)))
	}
	return err
}

type conversationResponse struct {
	ResponseObject struct {
		Messages     []map[string]json.RawMessage `json:"messages"`
		PageNumber   httpclient.FlexInt           `json:"page_number"`
		PageSize     httpclient.FlexInt           `json:"page_size"`
		TotalRecords *httpclient.FlexInt          `json:"total_records"`
	} `json:"responseObject"`
}

// userMessages pages through one user's conversation for the window. The
// window is sent as [start, end] in epoch ms; whether the API's end is
// inclusive is not documented, so rows outside [start, end) are dropped
// here and picked up by the window that holds them.
func (a *api) userMessages(ctx context.Context, u *twUser, w window.Window, out engine.Emitter, unknown *atomic.Int64, tally *httpclient.Tally) error {
	path := strings.ReplaceAll(a.cfg.Paths.Conversation, "{userId}", url.PathEscape(u.ID))
	start, end := w.Start.UnixMilli(), w.End.UnixMilli()
	read, last := 0, 0
	// total_records is not described by the reference: it may count the
	// whole conversation or the page. It never ends the walk alone; a short
	// or empty page does, and a disagreement is a notice.
	_, err := httpclient.WalkPageNumbers(ctx, httpclient.PageNumbers{Size: a.cfg.PageSize, MaxPages: maxPages,
		TotalName: "technowiz messages: user " + u.ID + " window " + w.String() + ": total_records",
		Notice:    tally.Notice,
		// Asked only after a full page that completed total_records: a 1004,
		// or a 400 whose body was cut before its code, is the end.
		PastEnd: func(err error) bool {
			ae, ok := parseAPIError(err)
			return (ok && ae.Code == codeInvalidPage) || (!ok && httpclient.IsStatus(err, http.StatusBadRequest))
		}},
		func(ctx context.Context, page int) (httpclient.PageInfo, error) {
			last = page
			q := url.Values{
				"start_date":        {strconv.FormatInt(start, 10)},
				"end_date":          {strconv.FormatInt(end, 10)},
				"page_number":       {strconv.Itoa(page)},
				a.cfg.PageSizeParam: {strconv.Itoa(a.cfg.PageSize)},
			}
			var resp conversationResponse
			if err := a.get(ctx, path, q, &resp); err != nil {
				return httpclient.PageInfo{}, err
			}
			msgs := resp.ResponseObject.Messages
			where := fmt.Sprintf("user %s conversation page %d", u.ID, page)
			for _, m := range msgs {
				row, at, reason := messageRow(u.ID, m)
				if reason != "" {
					raw, _ := json.Marshal(m)
					if err := out.Reject(ctx, TableMessages, reason, engine.Row{Raw: string(raw), Where: where}); err != nil {
						return httpclient.PageInfo{}, errStop{err}
					}
					continue
				}
				if !w.Contains(at) {
					continue
				}
				if err := out.Emit(ctx, TableMessages, engine.Row{Values: row, Where: where}); err != nil {
					return httpclient.PageInfo{}, errStop{err}
				}
			}
			read += len(msgs)
			info := httpclient.PageInfo{Items: len(msgs), Total: -1}
			if t := resp.ResponseObject.TotalRecords; t != nil {
				info.Total = int(*t)
			}
			return info, nil
		})
	var stop errStop
	switch {
	case err == nil:
		return nil
	case errors.As(err, &stop):
		return stop.err
	case httpclient.IsStatus(err):
		return a.conversationError(ctx, u, w, last, read, err, out, unknown)
	}
	return fmt.Errorf("user %s: conversation: %w", u.ID, err)
}

// errStop carries an emitter's error through the walk unchanged.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }
func (e errStop) Unwrap() error { return e.err }

// conversationError turns Technowiz's error codes into sentences: which
// user, which filter it came from, which dates, which page. An unknown user
// (1002) is rejected and the walk of the other users goes on.
func (a *api) conversationError(ctx context.Context, u *twUser, w window.Window, page, read int, err error, out engine.Emitter, unknown *atomic.Int64) error {
	ae, ok := parseAPIError(err)
	if !ok {
		return fmt.Errorf("user %s: conversation page %d: %w", u.ID, page, err)
	}
	filters := strings.Join(u.filterList(), ", ")
	switch ae.Code {
	case codeInvalidID:
		unknown.Add(1)
		reason := fmt.Sprintf("user %s: %s: the user id is not known to Technowiz's conversation API — it came from filter %s",
			u.ID, ae.label(), strings.Join(filterSentences(u.Filters), " and "))
		raw, _ := json.Marshal(map[string]any{"user_id": u.ID, "matched_filters": u.filterList()})
		return out.Reject(ctx, TableMessages, reason, engine.Row{Raw: string(raw), Where: fmt.Sprintf("user %s conversation page %d", u.ID, page)})
	case codeInvalidDates:
		return fmt.Errorf("user %s (filter %s): %s: Technowiz refused start_date=%d (%s) end_date=%d (%s): the end must be after the start, both in epoch milliseconds: %w",
			u.ID, filters, ae.label(), w.Start.UnixMilli(), w.Start.Format(time.RFC3339), w.End.UnixMilli(), w.End.Format(time.RFC3339), err)
	case codeInvalidPage:
		return fmt.Errorf("user %s (filter %s): %s: Technowiz refused page_number=%d (%s=%d, %d records read before it): the conversation changed while it was paged, or the API counts pages differently; rerun the window: %w",
			u.ID, filters, ae.label(), page, a.cfg.PageSizeParam, a.cfg.PageSize, read, err)
	}
	return fmt.Errorf("user %s: conversation page %d: %s: %w", u.ID, page, ae.label(), err)
}

func filterSentences(fs []UserFilter) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.String()
	}
	return out
}

// messageFields are the keys a row consumes.
var messageFields = map[string]string{
	"messageId": "message_id",
	"from":      "from",
	"type":      "type",
	"text":      "text",
	"timestamp": "timestamp",
	"payload":   "payload",
}

// messageRow maps one message; a non-empty reason rejects it.
func messageRow(userID string, m map[string]json.RawMessage) (map[string]any, time.Time, string) {
	var id, ts any
	_ = json.Unmarshal(m["messageId"], &id)
	if idString(id) == "" {
		return nil, time.Time{}, "message without a messageId"
	}
	_ = json.Unmarshal(m["timestamp"], &ts)
	at, ok := parseTimestamp(ts)
	if !ok {
		return nil, time.Time{}, "message with an unreadable timestamp " + string(m["timestamp"])
	}
	row := map[string]any{"message_id": idString(id), "user_id": userID, "timestamp": at, "payload": nil, "text": nil}
	for k, raw := range m {
		switch col, known := messageFields[k]; {
		case k == "messageId" || k == "timestamp":
		case k == "payload":
			row[col] = raw // kept byte for byte
		case known:
			var v any
			_ = json.Unmarshal(raw, &v)
			row[col] = v
		case MessagesTable.Index(k) >= 0:
			row["message."+k] = raw
		default:
			row[k] = raw
		}
	}
	return row, at, ""
}

// parseTimestamp reads epoch milliseconds (the reference's form, as a
// number or numeric string), epoch seconds, or ISO 8601 text.
func parseTimestamp(v any) (time.Time, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case string:
		s := strings.TrimSpace(x)
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC(), true
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}, false
		}
		f = n
	default:
		return time.Time{}, false
	}
	switch {
	case f >= 1e11:
		return time.UnixMilli(int64(f)).UTC(), true
	case f > 0:
		return time.Unix(int64(f), 0).UTC(), true
	}
	return time.Time{}, false
}
