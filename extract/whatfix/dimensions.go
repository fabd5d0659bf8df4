package whatfix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// contentStream pulls content incrementally: the v1 reference's "content
// updated after fromTime" gives what changed since the window start, and
// only items whose modifiedAt lies in the window are emitted (later edits
// belong to later windows; the merge keeps the newest modifiedAt). A
// deployment without that endpoint (404/501), or one whose items carry no
// modification time (the v1 reference's Content has none), gets the full
// list instead, filtered the same way.
func (s *source) contentStream() *engine.Stream {
	var fallbackOnce sync.Once
	return &engine.Stream{
		Source:      SourceName,
		Name:        "content",
		Doc:         "content items changed in the window (GET " + s.cfg.Paths.ContentUpdated + "?fromTime=, falling back to GET " + s.cfg.Paths.Content + ")",
		Tables:      []*schemas.Table{Content},
		Windowed:    true,
		WindowField: "modifiedAt",
		Chunk:       30 * window.Day,
		Extract: func(ctx context.Context, w window.Window, out engine.Emitter) error {
			where := "content window " + w.String()
			// fromTime is "after": one millisecond earlier keeps an item
			// modified exactly at the window start.
			q := url.Values{"fromTime": {strconv.FormatInt(w.Start.UnixMilli()-1, 10)}, "limit": {strconv.Itoa(s.cfg.PageSize)}}
			path := s.v1path(s.cfg.Paths.ContentUpdated)
			err := s.walkCursor(ctx, where, httpclient.Request{Path: path, Query: q}, s.cfg.PageSize, s.contentEmitter(ctx, w, out, true))
			var nt *noTimeError
			switch {
			case err == nil:
				return nil
			case errors.As(err, &nt):
				fallbackOnce.Do(func() {
					out.Notice(fmt.Sprintf("whatfix content: GET %s answers items without a modification time (keys: %s); reading the full content list (%s) instead and keeping the items modified in the window: map the item's time key with content_fields (e.g. {updatedAt: modified_at}) to use the incremental endpoint",
						path, strings.Join(nt.keys, ", "), s.path(s.cfg.Paths.Content)))
				})
			case httpclient.IsStatus(err, 404, 501):
				fallbackOnce.Do(func() {
					out.Notice(fmt.Sprintf("whatfix content: GET %s is not available (%s); reading the full content list (%s) instead and keeping the items modified in the window: set paths.content_updated (or v1.base_url, v1.path_prefix) if the endpoint lives elsewhere",
						path, statusOf(err), s.path(s.cfg.Paths.Content)))
				})
			default:
				return err
			}
			return s.walkPages(ctx, where+" (full list)", s.path(s.cfg.Paths.Content), url.Values{}, out.Notice, s.contentEmitter(ctx, w, out, false))
		},
	}
}

func statusOf(err error) string {
	if httpclient.IsStatus(err, 404) {
		return "404 Not Found"
	}
	return "501 Not Implemented"
}

// noTimeError is a first content-updated page whose items have no
// modification time to window them by.
type noTimeError struct{ keys []string }

func (e *noTimeError) Error() string {
	return "content items without modifiedAt (keys: " + strings.Join(e.keys, ", ") + ")"
}

// contentV1Renames maps the v1 reference's Content keys (id, title, url)
// to the columns the OpenAPI's (contentId, name, targetUrl) fill.
var contentV1Renames = map[string]string{"id": "content_id", "title": "name", "url": "target_url"}

// contentValues maps one content item to columns: the OpenAPI shape as is,
// the v1 reference's shape through contentV1Renames, and content_fields
// over both.
func (s *source) contentValues(obj map[string]any) map[string]any {
	var renames map[string]string
	if _, openapi := obj["contentId"]; !openapi {
		if _, v1 := obj["id"]; v1 {
			renames = maps.Clone(contentV1Renames)
		}
	}
	if len(s.cfg.ContentFields) > 0 {
		if renames == nil {
			renames = map[string]string{}
		}
		maps.Copy(renames, s.cfg.ContentFields)
	}
	values := renamed(obj, renames)
	values[AccountID] = s.cfg.AccountID
	return values
}

// contentEmitter emits the items of a page modified in w. incremental marks
// content-updated pages: there, a page whose items carry no modification
// time cannot be windowed, so it is refused whole before anything of it is
// emitted (the first page: the caller reads the full list instead; a later
// one: the error stands, rather than rows rejected or lost).
func (s *source) contentEmitter(ctx context.Context, w window.Window, out engine.Emitter, incremental bool) func(page int, items []json.RawMessage) error {
	table := Content.Name
	return func(page int, items []json.RawMessage) error {
		objs := make([]map[string]any, len(items))
		for i, raw := range items {
			obj, err := decodeObject(raw)
			if err != nil {
				continue
			}
			objs[i] = s.contentValues(obj)
			if _, ok := objs[i]["modified_at"]; !ok && incremental {
				keys := slices.Sorted(maps.Keys(obj))
				if page == 1 {
					return &noTimeError{keys: keys}
				}
				return fmt.Errorf("content page %d item %d: no modifiedAt (keys: %s) where page 1 had one: map the time key with content_fields", page, i+1, strings.Join(keys, ", "))
			}
		}
		for i, raw := range items {
			at := fmt.Sprintf("content page %d item %d", page, i+1)
			values := objs[i]
			if values == nil {
				_, err := decodeObject(raw)
				if err := out.Reject(ctx, table, "not an object: "+err.Error(), engine.Row{Raw: string(raw), Where: at}); err != nil {
					return fmt.Errorf("%s: %w", at, err)
				}
				continue
			}
			if t, ok := parseInstant(values["modified_at"]); ok && !w.Contains(t) {
				continue
			}
			// An unreadable modifiedAt is emitted anyway: the transform
			// rejects it with the value, instead of it vanishing here.
			if err := out.Emit(ctx, table, engine.Row{Values: values, Raw: string(raw), Where: at}); err != nil {
				return fmt.Errorf("%s: %w", at, err)
			}
		}
		return nil
	}
}

func (s *source) endUsersStream() *engine.Stream {
	return s.snapshotStream("end_users", "every end user with attributes kept whole", s.cfg.Paths.EndUsers, EndUsers)
}

func (s *source) segmentsStream() *engine.Stream {
	return s.snapshotStream("segments", "every segment with its rules kept whole", s.cfg.Paths.Segments, Segments)
}

// snapshotStream lists a paged endpoint in full; the load replaces the table.
func (s *source) snapshotStream(name, doc, path string, table *schemas.Table) *engine.Stream {
	return &engine.Stream{
		Source: SourceName,
		Name:   name,
		Doc:    doc + " (GET " + path + ", full snapshot)",
		Tables: []*schemas.Table{table},
		Extract: func(ctx context.Context, _ window.Window, out engine.Emitter) error {
			return s.walkPages(ctx, name, s.path(path), url.Values{}, out.Notice, func(page int, items []json.RawMessage) error {
				for i, raw := range items {
					at := fmt.Sprintf("%s page %d item %d", name, page, i+1)
					obj, err := decodeObject(raw)
					if err != nil {
						if err := out.Reject(ctx, table.Name, "not an object: "+err.Error(), engine.Row{Raw: string(raw), Where: at}); err != nil {
							return fmt.Errorf("%s: %w", at, err)
						}
						continue
					}
					values := renamed(obj, nil)
					values[AccountID] = s.cfg.AccountID
					if err := out.Emit(ctx, table.Name, engine.Row{Values: values, Raw: string(raw), Where: at}); err != nil {
						return fmt.Errorf("%s: %w", at, err)
					}
				}
				return nil
			})
		},
	}
}

// AuditDateLayout is the audit-log body's date format (UTC, minutes).
const AuditDateLayout = "2006-01-02 15:04"

// auditLogsStream POSTs the window as startDate/endDate and follows the
// cursor. The body's dates are minutes and the reference does not say
// whether endDate is inclusive, so endDate is the window end rounded up to
// the minute and every entry at or after the window end is dropped here: the
// next window fetches it. Entries never change: a rerun rewrites the same
// rows, and the merge on id keeps one.
func (s *source) auditLogsStream() *engine.Stream {
	table := AuditLogs.Name
	return &engine.Stream{
		Source:      SourceName,
		Name:        "audit_logs",
		Doc:         "audit log entries of the window (POST " + s.cfg.Paths.AuditLogs + ", cursor paged)",
		Tables:      []*schemas.Table{AuditLogs},
		Windowed:    true,
		WindowField: "timestamp",
		Chunk:       7 * window.Day,
		Extract: func(ctx context.Context, w window.Window, out engine.Emitter) error {
			end := w.End.UTC()
			if t := end.Truncate(time.Minute); !t.Equal(end) {
				end = t.Add(time.Minute)
			}
			body := map[string]string{
				"startDate": w.Start.UTC().Truncate(time.Minute).Format(AuditDateLayout),
				"endDate":   end.Format(AuditDateLayout),
			}
			req := httpclient.Request{Method: "POST", Path: s.v1path(s.cfg.Paths.AuditLogs),
				Query: url.Values{"limit": {strconv.Itoa(s.cfg.AuditLogLimit)}}, JSON: body}
			return s.walkCursor(ctx, "audit_logs window "+w.String(), req, s.cfg.AuditLogLimit, func(page int, items []json.RawMessage) error {
				for i, raw := range items {
					at := fmt.Sprintf("audit_logs page %d item %d", page, i+1)
					obj, err := decodeObject(raw)
					if err != nil {
						if err := out.Reject(ctx, table, "not an object: "+err.Error(), engine.Row{Raw: string(raw), Where: at}); err != nil {
							return fmt.Errorf("%s: %w", at, err)
						}
						continue
					}
					values := renamed(obj, nil)
					values[AccountID] = s.cfg.AccountID
					if t, ok := parseInstant(values["timestamp"]); ok && !w.Contains(t) {
						continue
					}
					if err := out.Emit(ctx, table, engine.Row{Values: values, Raw: string(raw), Where: at}); err != nil {
						return fmt.Errorf("%s: %w", at, err)
					}
				}
				return nil
			})
		},
	}
}
