package whatfix

// The Whatfix tables: the report tables of the reports this project knows
// (typed columns named after the report's own column names, reporttables.go)
// and the tables of the JSON endpoints (analytics, content, end users,
// segments, audit logs).

import "github.com/adoptionlabs/etl/schemas"

// Columns every report table carries besides the report's own.
const (
	ReportDate = "report_date"
	AccountID  = "account_id"
	FlowID     = "flow_id"
)

func col(name string, t schemas.Type, doc string) schemas.Column {
	return schemas.Column{Name: name, Type: t, Nullable: true, Doc: doc}
}

func required(name string, t schemas.Type, doc string) schemas.Column {
	return schemas.Column{Name: name, Type: t, Doc: doc}
}

func extra() schemas.Column {
	return schemas.Column{Name: schemas.Extra, Type: schemas.JSON, Doc: "fields the declaration does not know, as JSON"}
}

func reportDate() schemas.Column {
	return required(ReportDate, schemas.Date, "the UTC day the figures are for (one request per day)")
}

func accountID() schemas.Column {
	return required(AccountID, schemas.String, "Whatfix account the row came from")
}

// ReportTable is the table of one report: report_date, account_id, flow_id
// (per-flow reports only), the report's own columns, _extra and the meta
// columns. Each day of a window replaces that day, so a rerun or a
// differently chunked backfill leaves every figure as it was.
func ReportTable(name, doc string, perFlow bool, cols []schemas.Column) *schemas.Table {
	all := []schemas.Column{reportDate(), accountID()}
	order := []string{ReportDate}
	if perFlow {
		all = append(all, required(FlowID, schemas.String, "the flow the report was requested for (flowId)"))
		order = append(order, FlowID)
	}
	all = append(all, cols...)
	all = append(all, extra())
	return &schemas.Table{
		Name:        name,
		Doc:         doc,
		Columns:     schemas.WithMeta(all...),
		Disposition: schemas.ReplaceWindow,
		Day:         ReportDate,
		Partition:   ReportDate,
		OrderBy:     order,
	}
}

// ReservedReportColumns are the names a report's own columns may not take
// (they get a _2 suffix instead).
func ReservedReportColumns(perFlow bool) []string {
	r := []string{ReportDate, AccountID, schemas.Extra, schemas.ExtractedAt, schemas.RunID}
	if perFlow {
		r = append(r, FlowID)
	}
	return r
}

// FlowAnalytics is GET /{accountId}/analytics/flows, one request per day.
var FlowAnalytics = &schemas.Table{
	Name: "whatfix_flow_analytics",
	Doc:  "Views, completions and time to complete per flow and UTC day (analytics/flows).",
	Columns: schemas.WithMeta(
		reportDate(), accountID(),
		required("flow_id", schemas.String, "flowId"),
		col("flow_name", schemas.String, "flowName"),
		col("views", schemas.Int64, "times the flow was viewed"),
		col("completions", schemas.Int64, "times the flow was completed"),
		col("completion_rate", schemas.Float64, "percentage of views completed, 0..100"),
		col("avg_time_to_complete", schemas.Float64, "average seconds to complete"),
		extra(),
	),
	Disposition: schemas.ReplaceWindow,
	Key:         []string{ReportDate, "flow_id"},
	Day:         ReportDate,
	Partition:   ReportDate,
}

// EndUserEngagement is GET /{accountId}/analytics/end-users, paged, per day.
var EndUserEngagement = &schemas.Table{
	Name: "whatfix_end_user_engagement",
	Doc:  "Content viewed and flows completed per end user and UTC day (analytics/end-users).",
	Columns: schemas.WithMeta(
		reportDate(), accountID(),
		required("user_id", schemas.String, "userId"),
		col("email", schemas.String, "email"),
		col("content_viewed", schemas.Int64, "contentViewed"),
		col("flows_completed", schemas.Int64, "flowsCompleted"),
		col("last_active_at", schemas.Timestamp, "lastActive"),
		extra(),
	),
	Disposition: schemas.ReplaceWindow,
	Key:         []string{ReportDate, "user_id"},
	Day:         ReportDate,
	Partition:   ReportDate,
}

// SelfHelpAnalytics is GET /{accountId}/analytics/self-help (not paged), per day.
var SelfHelpAnalytics = &schemas.Table{
	Name: "whatfix_self_help_analytics",
	Doc:  "Self Help content views per UTC day (analytics/self-help).",
	Columns: schemas.WithMeta(
		reportDate(), accountID(),
		required("content_id", schemas.String, "contentId"),
		col("content_name", schemas.String, "contentName"),
		col("content_type", schemas.String, "contentType"),
		col("views", schemas.Int64, "views"),
		extra(),
	),
	Disposition: schemas.ReplaceWindow,
	Key:         []string{ReportDate, "content_id"},
	Day:         ReportDate,
	Partition:   ReportDate,
}

// TaskCompletion is GET /{accountId}/analytics/task-completion, paged, per day.
var TaskCompletion = &schemas.Table{
	Name: "whatfix_task_completion",
	Doc:  "Task list progress per end user, task list and UTC day (analytics/task-completion).",
	Columns: schemas.WithMeta(
		reportDate(), accountID(),
		required("user_id", schemas.String, "userId"),
		col("user_email", schemas.String, "userEmail"),
		required("task_list_id", schemas.String, "taskListId"),
		col("task_list_name", schemas.String, "taskListName"),
		col("completed_tasks", schemas.Int64, "completedTasks"),
		col("total_tasks", schemas.Int64, "totalTasks"),
		col("completion_rate", schemas.Float64, "completionRate: percentage of tasks completed, 0..100"),
		col("last_activity_at", schemas.Timestamp, "lastActivityAt"),
		extra(),
	),
	Disposition: schemas.ReplaceWindow,
	Key:         []string{ReportDate, "user_id", "task_list_id"},
	Day:         ReportDate,
	Partition:   ReportDate,
}

// Content holds every content item, pulled incrementally by modification
// time; the newest modified_at of an item wins.
var Content = &schemas.Table{
	Name: "whatfix_content",
	Doc:  "Whatfix content items (flows, tooltips, task lists, …), newest version of each.",
	Columns: schemas.WithMeta(
		required("content_id", schemas.String, "contentId"),
		accountID(),
		col("name", schemas.String, "name"),
		col("type", schemas.String, "Flow, Tooltip, TaskList, SmartTip, Beacon, Popup, Survey, Article, Video"),
		col("status", schemas.String, "Draft, Published, Archived"),
		col("target_url", schemas.String, "URL pattern the content shows on"),
		required("created_at", schemas.Timestamp, "createdAt; never changes, so it partitions the table"),
		required("modified_at", schemas.Timestamp, "modifiedAt; the newest wins"),
		col("view_count", schemas.Int64, "total views at extraction time"),
		extra(),
	),
	Disposition: schemas.Merge,
	Key:         []string{"content_id"},
	Version:     "modified_at",
	Day:         "modified_at",
	Partition:   "created_at",
}

// EndUsers is a full snapshot of GET /{accountId}/end-users.
var EndUsers = &schemas.Table{
	Name: "whatfix_end_users",
	Doc:  "End users tracked by Whatfix (full snapshot).",
	Columns: schemas.WithMeta(
		required("user_id", schemas.String, "userId"),
		accountID(),
		col("email", schemas.String, "email"),
		col("name", schemas.String, "name"),
		required("attributes", schemas.JSON, "custom attributes (role, department, …) kept whole"),
		col("created_at", schemas.Timestamp, "createdAt (UTC)"),
		col("last_seen_at", schemas.Timestamp, "lastSeenAt (UTC)"),
		extra(),
	),
	Disposition: schemas.ReplaceAll,
	Key:         []string{"user_id"},
}

// Segments is a full snapshot of GET /{accountId}/segments.
var Segments = &schemas.Table{
	Name: "whatfix_segments",
	Doc:  "User segments (full snapshot); rules kept whole as JSON.",
	Columns: schemas.WithMeta(
		required("segment_id", schemas.String, "segmentId"),
		accountID(),
		col("name", schemas.String, "name"),
		col("description", schemas.String, "description"),
		col("user_count", schemas.Int64, "users matching at extraction time"),
		required("rules", schemas.JSON, "[{attribute, operator, value}]"),
		extra(),
	),
	Disposition: schemas.ReplaceAll,
	Key:         []string{"segment_id"},
}

// AuditLogs is POST /{accountId}/auditlogs. An entry never changes, so the
// version is the extraction time and a rerun only rewrites the same rows.
var AuditLogs = &schemas.Table{
	Name: "whatfix_audit_logs",
	Doc:  "Audit log entries (who did what to which entity, when).",
	Columns: schemas.WithMeta(
		required("id", schemas.String, "id of the audit log entry"),
		accountID(),
		col("user_id", schemas.String, "userId"),
		col("user_email", schemas.String, "userEmail"),
		col("action", schemas.String, "action"),
		col("entity_type", schemas.String, "entityType"),
		col("entity_id", schemas.String, "entityId"),
		required("timestamp", schemas.Timestamp, "when the action happened (UTC)"),
		required("details", schemas.JSON, "action details kept whole"),
		extra(),
	),
	Disposition: schemas.Merge,
	Key:         []string{"id"},
	Version:     schemas.ExtractedAt,
	Day:         "timestamp",
	Partition:   "timestamp",
}

// Tables lists every Whatfix table with its default name: the fixed ones and
// one per known report (for sql/ generation and docs).
func Tables() []*schemas.Table {
	out := fixedTables()
	for _, r := range Reports {
		out = append(out, r.Declaration())
	}
	return out
}
