package bot

import (
	"context"
	"encoding/json"
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

// transcriptsMonths is the API's limit: "startDate ... must not be older
// than 3 months from current date".
const transcriptsMonths = 3

func (a *api) transcriptsStream() *engine.Stream {
	return &engine.Stream{
		Source: SourceName,
		Name:   StreamTranscripts,
		Doc: "Transcript messages and custom fields of every user active in the window " +
			"(POST /users per channel, then POST /transcripts per user, user_concurrency at a time).",
		Tables:      []*schemas.Table{MessagesTable, CustomFieldsTable},
		Windowed:    true,
		WindowField: "createdAt",
		Chunk:       30 * window.Day,
		Earliest:    a.transcriptsEarliest,
		Extract:     a.extractTranscripts,
	}
}

// transcriptsEarliest is the oldest instant the API serves. "3 months" is
// taken as the later of three calendar months and 90 days (the API may count
// either way: from Aug 31, 90 days reach back only to Jun 2), plus a margin
// so that a request sent a little later, by a clock a little ahead, passes.
func (a *api) transcriptsEarliest(now time.Time) time.Time {
	months := now.AddDate(0, -transcriptsMonths, 0)
	if days := now.Add(-90 * 24 * time.Hour); days.After(months) {
		months = days
	}
	return months.Add(a.cfg.TranscriptsMargin)
}

func (a *api) extractTranscripts(ctx context.Context, w window.Window, out engine.Emitter) error {
	// The channels' user lists are requested at once (one after another
	// they would leave the rate limit idle for each answer) and kept in
	// channel order, so the users are handed out as before.
	perChannel := make([][]botUser, len(a.cfg.Channels))
	index := make([]int, len(a.cfg.Channels))
	for i := range index {
		index[i] = i
	}
	err := engine.ForEach(ctx, index, a.cfg.UserConcurrency, nil, func(ctx context.Context, i int) error {
		seen := map[string]bool{}
		return a.listUsers(ctx, a.cfg.Channels[i], w, out.Notice, func(u botUser) error {
			// A user active while the list was paged can shift onto the
			// next page and be listed twice.
			if u.ID != "" && !seen[u.ID] {
				seen[u.ID] = true
				perChannel[i] = append(perChannel[i], u)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	var users []botUser
	seen := map[string]bool{}
	for _, list := range perChannel {
		for _, u := range list {
			// The same channel configured twice lists its users twice.
			if k := strconv.Itoa(u.Channel) + "\x00" + u.ID; !seen[k] {
				seen[k] = true
				users = append(users, u)
			}
		}
	}
	var tally httpclient.Tally
	err = engine.ForEach(ctx, users, a.cfg.UserConcurrency, out.Progress, func(ctx context.Context, u botUser) error {
		return a.userTranscripts(ctx, u, w, out, &tally)
	})
	if s := tally.Summary(len(users)); s != "" {
		out.Notice(s)
	}
	return err
}

type transcriptsPage struct {
	BotUser *struct {
		CustomFields json.RawMessage `json:"customFields"`
	} `json:"botUser"`
	Transcripts       []map[string]json.RawMessage `json:"transcripts"`
	PaginationDetails struct {
		Page  httpclient.FlexInt `json:"page"`
		Pages httpclient.FlexInt `json:"pages"`
		Total httpclient.FlexInt `json:"total"`
		Limit httpclient.FlexInt `json:"limit"`
	} `json:"paginationDetails"`
}

// userTranscripts pages through one user's transcript for the window and
// emits its messages, then the user's custom fields once.
func (a *api) userTranscripts(ctx context.Context, u botUser, w window.Window, out engine.Emitter, tally *httpclient.Tally) error {
	body := map[string]any{"botUserId": u.ID, "channelId": u.Channel, "startDate": isoUTC(w.Start), "endDate": isoUTC(w.End)}
	var (
		custom     json.RawMessage
		haveCustom bool
		lastSeen   time.Time
		// Messages per createdAt: the index of a message among those
		// sharing its timestamp, counted across pages.
		sameInstant = map[int64]int{}
	)
	last := 0
	// paginationDetails' pages and total are shown but not described: a
	// page count or total covering one page must not end the walk, so a
	// full page is always followed by one more request.
	_, err := httpclient.WalkPageNumbers(ctx, httpclient.PageNumbers{Size: a.cfg.TranscriptsLimit, MaxPages: maxPages,
		TotalName: fmt.Sprintf("bot transcripts: user %s channel %d window %s: paginationDetails.total", u.ID, u.Channel, w),
		Notice:    tally.Notice},
		func(ctx context.Context, page int) (httpclient.PageInfo, error) {
			last = page
			q := url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(a.cfg.TranscriptsLimit)}}
			var p transcriptsPage
			if err := a.call(ctx, http.MethodPost, a.cfg.Paths.Transcripts, q, body, &p); err != nil {
				return httpclient.PageInfo{}, a.transcriptsError(u, w, page, err)
			}
			if !haveCustom && p.BotUser != nil {
				custom, haveCustom = p.BotUser.CustomFields, true
			}
			where := fmt.Sprintf("user %s channel %d transcripts page %d", u.ID, u.Channel, page)
			for _, m := range p.Transcripts {
				row, created, reason := a.messageRow(u, m, sameInstant)
				if reason != "" {
					raw, _ := json.Marshal(m)
					if err := out.Reject(ctx, TableMessages, reason, engine.Row{Raw: string(raw), Where: where}); err != nil {
						return httpclient.PageInfo{}, err
					}
					continue
				}
				// endDate may be inclusive at the API: a message at the window's
				// end belongs to the next window.
				if !w.Contains(created) {
					continue
				}
				if created.After(lastSeen) {
					lastSeen = created
				}
				if err := out.Emit(ctx, TableMessages, engine.Row{Values: row, Where: where}); err != nil {
					return httpclient.PageInfo{}, err
				}
			}
			info := httpclient.PageInfo{Items: len(p.Transcripts), Total: -1}
			if p.PaginationDetails.Total > 0 || len(p.Transcripts) == 0 {
				info.Total = int(p.PaginationDetails.Total)
			}
			return info, nil
		})
	if err != nil {
		if strings.Contains(err.Error(), "still more pages after") {
			return fmt.Errorf("user %s (channel %d): transcripts page %d: %w", u.ID, u.Channel, last, err)
		}
		return err
	}
	if !haveCustom || lastSeen.IsZero() {
		// No message in the window: nothing places the row in it.
		return nil
	}
	return out.Emit(ctx, TableCustomFields, engine.Row{Values: map[string]any{
		"channel_id":    u.Channel,
		"channel_name":  a.channelName(u.Channel),
		"bot_user_id":   u.ID,
		"custom_fields": custom,
		"seen_at":       lastSeen,
	}, Where: fmt.Sprintf("user %s channel %d transcripts page 1", u.ID, u.Channel)})
}

// transcriptsError explains a failed transcripts call, in particular the
// API's refusal of a startDate older than three months.
func (a *api) transcriptsError(u botUser, w window.Window, page int, err error) error {
	at := fmt.Sprintf("user %s (channel %d %s) transcripts page %d", u.ID, u.Channel, a.channelName(u.Channel), page)
	if httpclient.IsStatus(err, http.StatusBadRequest) {
		msg := apiMessage(err)
		limit := a.now().AddDate(0, -transcriptsMonths, 0)
		if strings.Contains(strings.ToLower(msg), "3 months") || strings.Contains(strings.ToLower(msg), "three months") || w.Start.Before(limit) {
			return fmt.Errorf("%s: the API serves transcripts for the last %d months only and refused startDate %s (the limit is about %s): "+
				"the stream declares this limit so the engine clips older days; if this still happens the API counts the months differently or the clocks disagree: raise transcripts_earliest_margin: %w",
				at, transcriptsMonths, isoUTC(w.Start), limit.Format(time.DateOnly), err)
		}
		return fmt.Errorf("%s: the API refused the request (%s): %w", at, msg, err)
	}
	return fmt.Errorf("%s: %w", at, err)
}
