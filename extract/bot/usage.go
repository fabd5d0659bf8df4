package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

func (a *api) usageStream() *engine.Stream {
	return &engine.Stream{
		Source:      SourceName,
		Name:        StreamUsage,
		Doc:         "Monthly totals per configured channel (GET /usage per month and channel); windows widen to whole months.",
		Tables:      []*schemas.Table{UsageTable},
		Windowed:    true,
		WindowField: "monthDate",
		Chunk:       92 * window.Day,
		Align:       window.MonthAligned,
		Extract:     a.extractUsage,
	}
}

type usageResponse struct {
	TotalMessages json.RawMessage `json:"totalMessages"`
	TotalUsers    json.RawMessage `json:"totalUsers"`
}

// extractUsage emits one row per month the window touches and channel,
// zeros included: a month without traffic is a fact, and a missing row
// would leave an older value in place.
func (a *api) extractUsage(ctx context.Context, w window.Window, out engine.Emitter) error {
	type unit struct {
		month   time.Time
		channel int
		resp    usageResponse
	}
	var units []*unit
	for _, month := range w.Months() {
		for _, ch := range a.cfg.Channels {
			units = append(units, &unit{month: month, channel: ch})
		}
	}
	// One request per month and channel, at once (one after another they
	// would leave the rate limit idle for each answer); the rows are
	// emitted afterwards in month and channel order.
	err := engine.ForEach(ctx, units, a.cfg.UserConcurrency, out.Progress, func(ctx context.Context, u *unit) error {
		q := url.Values{"monthDate": {u.month.Format(time.DateOnly)}, "channelId": {strconv.Itoa(u.channel)}}
		if err := a.call(ctx, http.MethodGet, a.cfg.Paths.Usage, q, nil, &u.resp); err != nil {
			return fmt.Errorf("usage of %s for channel %d (%s): %w", u.month.Format("2006-01"), u.channel, a.channelName(u.channel), err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, u := range units {
		err := out.Emit(ctx, TableUsage, engine.Row{Values: map[string]any{
			"month":          u.month,
			"channel_id":     u.channel,
			"channel_name":   a.channelName(u.channel),
			"total_messages": rawNumber(u.resp.TotalMessages),
			"total_users":    rawNumber(u.resp.TotalUsers),
		}, Where: fmt.Sprintf("usage monthDate=%s channelId=%d", u.month.Format(time.DateOnly), u.channel)})
		if err != nil {
			return err
		}
	}
	return nil
}

// rawNumber hands the transform a JSON number exactly as sent (or the text
// of a numeric string), so large counts are not rounded through float64.
func rawNumber(raw json.RawMessage) any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return json.Number(raw)
}
