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
		Source:      "bot",
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
	months := w.Months()
	total := len(months) * len(a.cfg.Channels)
	done := 0
	out.Progress(0, total)
	for _, month := range months {
		for _, ch := range a.cfg.Channels {
			md := month.Format(time.DateOnly)
			q := url.Values{"monthDate": {md}, "channelId": {strconv.Itoa(ch)}}
			var r usageResponse
			if err := a.call(ctx, http.MethodGet, a.cfg.Paths.Usage, q, nil, &r); err != nil {
				return fmt.Errorf("usage of %s for channel %d (%s): %w", month.Format("2006-01"), ch, a.channelName(ch), err)
			}
			err := out.Emit(ctx, TableUsage, engine.Row{Values: map[string]any{
				"month":          month,
				"channel_id":     ch,
				"channel_name":   a.channelName(ch),
				"total_messages": rawNumber(r.TotalMessages),
				"total_users":    rawNumber(r.TotalUsers),
			}, Where: fmt.Sprintf("usage monthDate=%s channelId=%d", md, ch)})
			if err != nil {
				return err
			}
			done++
			out.Progress(done, total)
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
