package whatfix

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// The analytics endpoints aggregate over the range they are asked for, like
// the reports: one request per UTC day, stored under report_date, and each
// day of a window replaced whole.

type daily struct {
	name, doc, path string
	table           *schemas.Table
	paged           bool
	// renames maps API keys whose snake_case is not the column name.
	renames map[string]string
}

func (s *source) flowAnalyticsStream() *engine.Stream {
	return s.dailyStream(daily{name: "flow_analytics", doc: "flow views, completions and time to complete per day",
		path: s.cfg.Paths.FlowAnalytics, table: FlowAnalytics})
}

func (s *source) endUserEngagementStream() *engine.Stream {
	return s.dailyStream(daily{name: "end_user_engagement", doc: "content viewed and flows completed per end user and day",
		path: s.cfg.Paths.EndUserEngagement, table: EndUserEngagement, paged: true,
		renames: map[string]string{"lastActive": "last_active_at"}})
}

func (s *source) selfHelpStream() *engine.Stream {
	return s.dailyStream(daily{name: "self_help_analytics", doc: "Self Help content views per day",
		path: s.cfg.Paths.SelfHelpAnalytics, table: SelfHelpAnalytics})
}

func (s *source) taskCompletionStream() *engine.Stream {
	return s.dailyStream(daily{name: "task_completion", doc: "task list progress per end user and day",
		path: s.cfg.Paths.TaskCompletion, table: TaskCompletion, paged: true})
}

func (s *source) dailyStream(d daily) *engine.Stream {
	return &engine.Stream{
		Source:      SourceName,
		Name:        d.name,
		Doc:         d.doc + " (GET " + d.path + ", startDate = endDate = the day)",
		Tables:      []*schemas.Table{d.table},
		Windowed:    true,
		WindowField: "day (startDate = endDate = the day)",
		Chunk:       7 * window.Day,
		Extract: func(ctx context.Context, w window.Window, out engine.Emitter) error {
			// One request (or page walk) per day, overlapped: one after
			// another they would leave the rate limit idle for each answer.
			return engine.ForEach(ctx, reportDays(w), s.cfg.FlowConcurrency, out.Progress, func(ctx context.Context, day time.Time) error {
				return s.fetchDaily(ctx, d, day, out)
			})
		},
	}
}

func (s *source) fetchDaily(ctx context.Context, d daily, day time.Time, out engine.Emitter) error {
	where := d.name + " day " + day.Format(time.DateOnly)
	path := s.path(d.path)
	emit := func(page int, items []json.RawMessage) error {
		for i, raw := range items {
			at := fmt.Sprintf("%s page %d item %d", where, page, i+1)
			obj, err := decodeObject(raw)
			if err != nil {
				if err := out.Reject(ctx, d.table.Name, "not an object: "+err.Error(), engine.Row{Raw: string(raw), Where: at}); err != nil {
					return fmt.Errorf("%s: %w", at, err)
				}
				continue
			}
			values := renamed(obj, d.renames)
			values[ReportDate] = day
			values[AccountID] = s.cfg.AccountID
			if err := out.Emit(ctx, d.table.Name, engine.Row{Values: values, Raw: string(raw), Where: at}); err != nil {
				return fmt.Errorf("%s: %w", at, err)
			}
		}
		return nil
	}
	if d.paged {
		return s.walkPages(ctx, where, path, s.analyticsDayQuery(day), out.Notice, emit)
	}
	var body struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := s.client.JSON(ctx, httpclient.Request{Path: path, Query: s.analyticsDayQuery(day)}, &body); err != nil {
		return fmt.Errorf("%s: %w", where, s.explain(s.client, err))
	}
	if body.Data == nil {
		return fmt.Errorf("%s: GET %s answered without a data array: check base_url, path_prefix and paths", where, path)
	}
	return emit(1, body.Data)
}
