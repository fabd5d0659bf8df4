package whatfix

import (
	"strings"

	"github.com/adoptionlabs/etl/schemas"
)

// Report is a report this project knows: the typed columns of its rows,
// named as the extractor names the report's own columns (snake_case of
// "Flow Name", "Completion Rate (%)", …). Report columns are nullable: an
// empty cell is a missing figure, not a zero.
type Report struct {
	// Name is the report's path under reports/, e.g. "summary/mostPopularFlows".
	Name string
	// Table is the default table name.
	Table string
	// PerFlow reports need flowId and are requested once per flow.
	PerFlow bool
	Doc     string
	Columns []schemas.Column
}

// Declaration is the report's table under its default name.
func (r Report) Declaration() *schemas.Table {
	return ReportTable(r.Table, r.Doc, r.PerFlow, r.Columns)
}

// LookupReport returns the known report with that name.
func LookupReport(name string) (Report, bool) {
	for _, r := range Reports {
		if r.Name == name {
			return r, true
		}
	}
	return Report{}, false
}

func strCol(name string) schemas.Column   { return col(name, schemas.String, reportColumn(name)) }
func numCol(name string) schemas.Column   { return col(name, schemas.Int64, reportColumn(name)) }
func floatCol(name string) schemas.Column { return col(name, schemas.Float64, reportColumn(name)) }
func pctCol(name string) schemas.Column {
	return col(name, schemas.Float64, reportColumn(name)+": percentage, 0..100")
}
func dayCol(name string) schemas.Column { return col(name, schemas.Date, reportColumn(name)) }
func atCol(name string) schemas.Column {
	return col(name, schemas.Timestamp, reportColumn(name)+" (UTC)")
}

// reportColumn names the report's own column a declared column comes from,
// as the extractor's snake_case undoes it ("completion_rate_pct" is
// "Completion Rate (%)"), for the COMMENT BI tools show.
func reportColumn(name string) string {
	words := strings.Split(name, "_")
	for i, w := range words {
		switch {
		case w == "pct":
			words[i] = "(%)"
		case w == "id":
			words[i] = "ID"
		case w != "":
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return `report column "` + strings.Join(words, " ") + `"`
}

// Reports are the known reports: every report of the API reference. The
// columns are this project's reading of the reports (the reference shows no
// sample); a column the vendor adds lands in _extra and is reported until it
// is declared here.
var Reports = []Report{
	// Summary.
	{Name: "summary/engagement", Table: "whatfix_report_engagement", Doc: "Engagement by end users per day.",
		Columns: []schemas.Column{dayCol("date"), numCol("active_users"), numCol("new_users"), numCol("flows_played"), numCol("flows_completed"), numCol("self_help_opens"), numCol("smart_tips_shown"), pctCol("engagement_rate_pct")}},
	{Name: "summary/mostPopularFlows", Table: "whatfix_report_most_popular_flows", Doc: "Flows ranked by views.",
		Columns: []schemas.Column{strCol("flow_id"), strCol("flow_name"), numCol("views"), numCol("completions"), pctCol("completion_rate"), col("avg_time_to_complete", schemas.Float64, reportColumn("avg_time_to_complete")+" in seconds")}},
	{Name: "summary/usage", Table: "whatfix_report_usage", Doc: "Self Help queries, popups, task list starts, flows, smart tips and beacons shown.",
		Columns: []schemas.Column{dayCol("date"), numCol("self_help_queries"), numCol("popups_shown"), numCol("task_list_tasks_started"), numCol("flows_played"), numCol("smart_tips_shown"), numCol("beacons_shown")}},

	// Self Help.
	{Name: "selfHelp/contentEffectiveness", Table: "whatfix_report_self_help_content_effectiveness", Doc: "Views of content played from Self Help.",
		Columns: []schemas.Column{strCol("content_id"), strCol("content_name"), strCol("content_type"), numCol("views"), numCol("unique_users")}},
	{Name: "selfHelp/queriesByDay", Table: "whatfix_report_self_help_queries_by_day", Doc: "Self Help queries served per day.",
		Columns: []schemas.Column{dayCol("date"), numCol("queries_served"), numCol("peak_hour_queries")}},
	{Name: "selfHelp/searchSummary", Table: "whatfix_report_self_help_search_summary", Doc: "Successful vs unsuccessful Self Help searches.",
		Columns: []schemas.Column{numCol("total_searches"), numCol("successful_searches"), numCol("unsuccessful_searches"), pctCol("success_rate_pct")}},
	{Name: "selfHelp/successfulSearchTerms", Table: "whatfix_report_self_help_successful_search_terms", Doc: "Search terms that found results.",
		Columns: []schemas.Column{strCol("search_term"), numCol("search_count"), numCol("clicks")}},
	{Name: "selfHelp/unsuccessfulSearchTerms", Table: "whatfix_report_self_help_unsuccessful_search_terms", Doc: "Search terms that found nothing.",
		Columns: []schemas.Column{strCol("search_term"), numCol("search_count")}},
	{Name: "selfHelp/successfulSearchTermsWithUsers", Table: "whatfix_report_self_help_successful_search_terms_with_users", Doc: "Successful searches with the user who searched.",
		Columns: []schemas.Column{strCol("search_term"), strCol("user_name"), strCol("user_email"), atCol("searched_at"), strCol("clicked_content")}},
	{Name: "selfHelp/unsuccessfulSearchTermsWithUsers", Table: "whatfix_report_self_help_unsuccessful_search_terms_with_users", Doc: "Unsuccessful searches with the user who searched.",
		Columns: []schemas.Column{strCol("search_term"), strCol("user_name"), strCol("user_email"), atCol("searched_at")}},

	// Task list.
	{Name: "taskList/completionByUser", Table: "whatfix_report_task_list_completion_by_user", Doc: "Task list completion by segment and user.",
		Columns: []schemas.Column{strCol("task_list_name"), strCol("segment"), strCol("user_name"), strCol("user_email"), numCol("tasks_completed"), numCol("total_tasks"), pctCol("completion_rate_pct"), atCol("last_activity")}},

	// Pop-ups.
	{Name: "popup/guidedPopupEffectiveness", Table: "whatfix_report_guided_popup_effectiveness", Doc: "Guided pop-ups shown and flows played from them.",
		Columns: []schemas.Column{strCol("popup_name"), numCol("times_shown"), numCol("flow_played"), numCol("dismissed"), pctCol("play_rate_pct")}},
	{Name: "popup/popupEffectiveness", Table: "whatfix_report_popup_effectiveness", Doc: "Pop-ups shown and clicked.",
		Columns: []schemas.Column{strCol("popup_name"), numCol("times_shown"), numCol("clicks"), pctCol("click_rate_pct")}},
	{Name: "popup/popupEffectivenessWithUsers", Table: "whatfix_report_popup_effectiveness_with_users", Doc: "Pop-ups shown and clicked per user.",
		Columns: []schemas.Column{strCol("popup_name"), strCol("user_name"), strCol("user_email"), numCol("times_shown"), numCol("clicks")}},
	{Name: "popup/smartPopupEffectiveness", Table: "whatfix_report_smart_popup_effectiveness", Doc: "Smart pop-ups shown.",
		Columns: []schemas.Column{strCol("popup_name"), numCol("times_shown"), numCol("unique_users")}},

	// Flow summary (all flows).
	{Name: "flowSummary/completionWithUsers", Table: "whatfix_report_flow_summary_completion_with_users", Doc: "Flow completions with the user.",
		Columns: []schemas.Column{strCol("flow_id"), strCol("flow_name"), strCol("user_name"), strCol("user_email"), atCol("started_at"), atCol("completed_at"), col("time_taken_s", schemas.Float64, reportColumn("time_taken")+" in seconds")}},
	{Name: "flowSummary/completionRate", Table: "whatfix_report_flow_summary_completion_rate", Doc: "Flows started, completed and not completed.",
		Columns: []schemas.Column{strCol("flow_id"), strCol("flow_name"), numCol("started"), numCol("completed"), numCol("not_completed"), pctCol("completion_rate_pct")}},
	{Name: "flowSummary/failureWithUsers", Table: "whatfix_report_flow_summary_failure_with_users", Doc: "Flow failures with the user and step.",
		Columns: []schemas.Column{strCol("flow_id"), strCol("flow_name"), strCol("user_name"), strCol("user_email"), strCol("failed_step"), atCol("failed_at")}},
	{Name: "flowSummary/feedback", Table: "whatfix_report_flow_summary_feedback", Doc: "Users who found flows useful vs not.",
		Columns: []schemas.Column{strCol("flow_id"), strCol("flow_name"), numCol("useful"), numCol("not_useful"), pctCol("useful_pct")}},
	{Name: "flowSummary/feedbackCommentsYes", Table: "whatfix_report_flow_summary_feedback_comments_yes", Doc: "Feedback comments of users who answered Yes.",
		Columns: []schemas.Column{strCol("flow_name"), strCol("user_email"), strCol("comment"), atCol("submitted_at")}},
	{Name: "flow/feedbackCommentsNo", Table: "whatfix_report_flow_feedback_comments_no", Doc: "Feedback comments of users who answered No (all flows, no flowId).",
		Columns: []schemas.Column{strCol("flow_name"), strCol("user_email"), strCol("comment"), atCol("submitted_at")}},
	{Name: "flowSummary/closeMissed", Table: "whatfix_report_flow_summary_close_missed", Doc: "Times flows were exited, by step.",
		Columns: []schemas.Column{strCol("flow_id"), strCol("flow_name"), strCol("step"), numCol("times_closed")}},
	{Name: "flowSummary/playedByWidgets", Table: "whatfix_report_flow_summary_played_by_widgets", Doc: "Flows played per widget (Self Help, Task List, Beacon, Guided Popup).",
		Columns: []schemas.Column{strCol("widget"), numCol("flows_played")}},
	{Name: "flowSummary/usageByDay", Table: "whatfix_report_flow_summary_usage_by_day", Doc: "Times each flow was played per day.",
		Columns: []schemas.Column{dayCol("date"), strCol("flow_name"), numCol("times_played")}},

	// Smart tips.
	{Name: "smartTip/mostPopular", Table: "whatfix_report_smart_tip_most_popular", Doc: "Times each smart tip was played.",
		Columns: []schemas.Column{strCol("smart_tip_name"), numCol("times_played"), numCol("unique_users")}},
	{Name: "smartTip/playedByDay", Table: "whatfix_report_smart_tip_played_by_day", Doc: "Smart tips played per day.",
		Columns: []schemas.Column{dayCol("date"), numCol("times_played")}},
	{Name: "smartTip/withUsers", Table: "whatfix_report_smart_tip_with_users", Doc: "Smart tips played per user.",
		Columns: []schemas.Column{strCol("smart_tip_name"), strCol("user_name"), strCol("user_email"), numCol("times_played")}},

	// Beacons.
	{Name: "beacon/effectiveness", Table: "whatfix_report_beacon_effectiveness", Doc: "Users each beacon was shown to and who clicked it.",
		Columns: []schemas.Column{strCol("beacon_name"), numCol("users_shown"), numCol("users_clicked"), pctCol("click_rate_pct")}},
	{Name: "beacon/effectivenessWithUsers", Table: "whatfix_report_beacon_effectiveness_with_users", Doc: "Beacon engagement per user.",
		Columns: []schemas.Column{strCol("beacon_name"), strCol("user_name"), strCol("user_email"), numCol("shown"), numCol("clicked")}},

	// User actions.
	{Name: "userAction/details", Table: "whatfix_report_user_action_details", Doc: "User actions and how often they occurred.",
		Columns: []schemas.Column{strCol("user_action"), numCol("occurrences"), numCol("unique_users"), atCol("last_occurred_at")}},

	// Per flow (flowId required; requested once per flow of the content list).
	{Name: "flow/completionRate", Table: "whatfix_report_flow_completion_rate", PerFlow: true, Doc: "Times the flow was started and completed vs not.",
		Columns: []schemas.Column{numCol("started"), numCol("completed"), numCol("not_completed"), pctCol("completion_rate_pct")}},
	{Name: "flow/feedback", Table: "whatfix_report_flow_feedback", PerFlow: true, Doc: "Users who found the flow useful vs not.",
		Columns: []schemas.Column{numCol("useful"), numCol("not_useful")}},
	{Name: "flow/feedbackComments", Table: "whatfix_report_flow_feedback_comments", PerFlow: true, Doc: "Feedback comments verbatim.",
		Columns: []schemas.Column{strCol("user_email"), strCol("feedback"), strCol("comment"), atCol("submitted_at")}},
	{Name: "flow/history", Table: "whatfix_report_flow_history", PerFlow: true, Doc: "Who edited the flow and when.",
		Columns: []schemas.Column{numCol("version"), strCol("edited_by"), atCol("edited_at"), strCol("change")}},
	{Name: "flow/exitedSteps", Table: "whatfix_report_flow_exited_steps", PerFlow: true, Doc: "Drop-outs and failures per step.",
		Columns: []schemas.Column{numCol("step_number"), strCol("step_title"), numCol("exits"), numCol("failures")}},
	{Name: "flow/playedByWidgets", Table: "whatfix_report_flow_played_by_widgets", PerFlow: true, Doc: "Times the flow was played from each widget.",
		Columns: []schemas.Column{strCol("widget"), numCol("times_played")}},
	{Name: "flow/usageByDay", Table: "whatfix_report_flow_usage_by_day", PerFlow: true, Doc: "Times the flow was played per day.",
		Columns: []schemas.Column{dayCol("date"), numCol("times_played")}},
}
