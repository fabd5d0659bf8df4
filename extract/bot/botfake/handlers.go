package botfake

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// intParam reads an optional integer query parameter within [lo, hi]
// (hi < 0: no upper bound).
func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s must be an integer, got %q", name, s)
	}
	if n < lo || (hi >= 0 && n > hi) {
		if hi < 0 {
			return 0, fmt.Errorf("%s must be >= %d, got %d", name, lo, n)
		}
		return 0, fmt.Errorf("%s must be between %d and %d, got %d", name, lo, hi, n)
	}
	return n, nil
}

// isoUTC parses the reference's "ISO format string in UTC": a zone other
// than Z/+00:00, or none, is refused.
func isoUTC(name, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s must be an ISO 8601 date string in UTC (e.g. 2021-10-01T00:00:00.000Z), got %q", name, s)
	}
	if _, off := t.Zone(); off != 0 {
		return time.Time{}, fmt.Errorf("%s must be in UTC, got %q", name, s)
	}
	return t.UTC(), nil
}

var monthDate = regexp.MustCompile(`^\d{4}-\d{2}-01$`)

func (f *Fake) serveUsage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	md := q.Get("monthDate")
	month, err := time.Parse(time.DateOnly, md)
	if !monthDate.MatchString(md) || err != nil {
		f.writeError(w, r, http.StatusBadRequest, fmt.Sprintf("monthDate must be the first day of a month as YYYY-MM-01, got %q", md), nil)
		return
	}
	ch, err := strconv.Atoi(q.Get("channelId"))
	if err != nil || ChannelNames[ch] == "" {
		f.writeError(w, r, http.StatusBadRequest, fmt.Sprintf("channelId must be one of the channel codes, got %q", q.Get("channelId")), nil)
		return
	}
	msgs, users := f.Usage(month, ch)
	writeJSON(w, map[string]any{"totalMessages": msgs, "totalUsers": users})
}

// Usage returns what /usage answers for a month (its first day) and channel.
func (f *Fake) Usage(month time.Time, channel int) (messages, users int) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	end := month.AddDate(0, 1, 0)
	for _, u := range f.data.users {
		if u.ChannelID != channel {
			continue
		}
		n := 0
		for _, m := range u.Messages {
			if !m.CreatedAt.Before(month) && m.CreatedAt.Before(end) {
				n++
			}
		}
		messages += n
		if n > 0 {
			users++
		}
	}
	return messages, users
}

const isoMillis = "2006-01-02T15:04:05.000Z"

func (f *Fake) serveUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	// The reference prints "page > 1" and "limit > 25"; page 1 is the first page,
	// so both are read as lower bounds (>= 1, >= 25), the latter capped at
	// 1000 as transcripts are.
	page, err := intParam(q, "page", 1, 1, -1)
	if err == nil {
		var limit int
		limit, err = intParam(q, "limit", 25, 25, 1000)
		if err == nil {
			f.users(w, r, page, limit)
			return
		}
	}
	f.writeError(w, r, http.StatusBadRequest, err.Error(), nil)
}

func (f *Fake) users(w http.ResponseWriter, r *http.Request, page, limit int) {
	var body struct {
		ChannelIDs []int  `json:"channelIds"`
		StartDate  string `json:"startDate"`
		EndDate    string `json:"endDate"`
	}
	if err := decodeBody(r, &body); err != nil {
		f.writeError(w, r, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if len(body.ChannelIDs) == 0 {
		f.writeError(w, r, http.StatusBadRequest, "channelIds must be a non-empty array", body)
		return
	}
	want := map[int]bool{}
	for _, ch := range body.ChannelIDs {
		ok := false
		for _, c := range UsersChannels {
			ok = ok || c == ch
		}
		if !ok {
			f.writeError(w, r, http.StatusBadRequest, fmt.Sprintf("channelIds: %d is not one of 1010, 1014, 1016, 1017", ch), body)
			return
		}
		if want[ch] {
			f.writeError(w, r, http.StatusBadRequest, fmt.Sprintf("channelIds must be unique: %d repeated", ch), body)
			return
		}
		want[ch] = true
	}
	start, err := isoUTC("startDate", body.StartDate)
	if err == nil {
		var end time.Time
		end, err = isoUTC("endDate", body.EndDate)
		if err == nil && !end.After(start) {
			err = fmt.Errorf("endDate must be after startDate")
		}
		if err == nil {
			f.usersPage(w, want, start, end, page, limit)
			return
		}
	}
	f.writeError(w, r, http.StatusBadRequest, err.Error(), body)
}

func (f *Fake) usersPage(w http.ResponseWriter, channels map[int]bool, start, end time.Time, page, limit int) {
	f.mu.RLock()
	var matched []map[string]any
	for _, u := range f.data.users {
		if !channels[u.ChannelID] || !u.activeIn(start, end) {
			continue
		}
		matched = append(matched, map[string]any{
			"userId":                u.ID,
			"channelName":           ChannelNames[u.ChannelID],
			"userName":              u.Name,
			"createdDate":           u.CreatedAt.Format(isoMillis),
			"first interacted date": u.FirstAt.Format(isoMillis),
			"last interacted date":  u.LastAt.Format(isoMillis),
		})
	}
	f.mu.RUnlock()
	total := len(matched)
	pages := (total + limit - 1) / limit
	from := min((page-1)*limit, total)
	to := min(from+limit, total)
	users := matched[from:to]
	if users == nil {
		users = []map[string]any{}
	}
	hasNext := 0
	if page < pages {
		hasNext = 1
	}
	if f.opts.PerPageTotal {
		total, pages = len(users), 1
	}
	writeJSON(w, map[string]any{"users": users, "page": page, "pages": pages, "total": total, "limit": limit, "hasNextPage": hasNext})
}

func (f *Fake) serveTranscripts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err := intParam(q, "page", 1, 1, -1)
	if err != nil {
		f.writeError(w, r, http.StatusBadRequest, err.Error(), nil)
		return
	}
	limit, err := intParam(q, "limit", 50, 25, 1000)
	if err != nil {
		f.writeError(w, r, http.StatusBadRequest, err.Error(), nil)
		return
	}
	var body struct {
		BotUserID *string `json:"botUserId"`
		ChannelID *int    `json:"channelId"`
		StartDate *string `json:"startDate"`
		EndDate   *string `json:"endDate"`
	}
	if err := decodeBody(r, &body); err != nil {
		f.writeError(w, r, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if body.BotUserID == nil || strings.TrimSpace(*body.BotUserID) == "" {
		f.writeError(w, r, http.StatusBadRequest, "botUserId is required", body)
		return
	}
	if body.ChannelID == nil || ChannelNames[*body.ChannelID] == "" {
		f.writeError(w, r, http.StatusBadRequest, "channelId must be one of the channel codes", body)
		return
	}
	now := f.Clock()
	earliest := now.AddDate(0, -3, 0)
	start, end := earliest, now
	if body.StartDate != nil {
		if start, err = isoUTC("startDate", *body.StartDate); err != nil {
			f.writeError(w, r, http.StatusBadRequest, err.Error(), body)
			return
		}
	}
	if body.EndDate != nil {
		if end, err = isoUTC("endDate", *body.EndDate); err != nil {
			f.writeError(w, r, http.StatusBadRequest, err.Error(), body)
			return
		}
	}
	if start.Before(earliest) {
		f.writeError(w, r, http.StatusBadRequest, fmt.Sprintf("startDate must not be older than 3 months from current date (earliest %s)", earliest.Format(isoMillis)), body)
		return
	}
	if !end.After(start) {
		f.writeError(w, r, http.StatusBadRequest, "endDate must be after startDate", body)
		return
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	u := f.user(*body.ChannelID, *body.BotUserID)
	if u == nil {
		f.writeError(w, r, http.StatusBadRequest, fmt.Sprintf("botUserId %q is not a user of channel %d", *body.BotUserID, *body.ChannelID), nil)
		return
	}
	var msgs []map[string]any
	for _, m := range u.Messages {
		if !m.CreatedAt.Before(start) && m.CreatedAt.Before(end) {
			msgs = append(msgs, m.Wire(u.IsPreviewUser))
		}
	}
	total := len(msgs)
	pages := (total + limit - 1) / limit
	from := min((page-1)*limit, total)
	to := min(from+limit, total)
	out := msgs[from:to]
	if out == nil {
		out = []map[string]any{}
	}
	if f.opts.PerPageTotal {
		total, pages = len(out), 1
	}
	writeJSON(w, map[string]any{
		"botUser":           map[string]any{"customFields": u.CustomFields},
		"transcripts":       out,
		"paginationDetails": map[string]any{"page": page, "pages": pages, "total": total, "limit": limit},
	})
}
