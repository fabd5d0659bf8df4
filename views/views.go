// Package views declares the curated views dashboards start from: one row
// per fact (a flow and day, a conversation, a question and day), with the
// rules an analyst would otherwise have to know (no preview sessions, NPS
// as promoters minus detractors over respondents, rates computed from
// sums rather than averaged) written once.
//
// A view is declared once, in a small template language, and rendered for
// two dialects: ClickHouse (18.16 and current releases, applied by
// `etl migrate`) and DuckDB over the Parquet layout (`etl views --dialect
// duckdb`). Views read the tables by the names dashboards query, so they
// do not care how a table keeps itself exact.
package views

// Column is one output column of a view. Type is the ClickHouse type the
// SELECT produces: it is declared in the view's column list (where 18.16
// and current releases keep the COMMENT BI tools show) and a test checks
// it against what the server computes.
type Column struct {
	Name string
	Type string
	Doc  string
}

// View is one curated view.
type View struct {
	Name    string
	Doc     string
	Columns []Column
	// Body is the SELECT, a text/template with the dialect functions of
	// render.go ({{t "table"}}, {{day "x"}}, {{int "x"}}, ...).
	Body string
}

const (
	dateT   = "Date"
	int64T  = "Int64"
	floatN  = "Nullable(Float64)"
	stringT = "String"
	timeT   = "DateTime('UTC')"
)

// All are the curated views in creation order: a view may read the views
// before it.
var All = []View{
	{
		Name: "userflow_flow_daily",
		Doc:  "Userflow flows per UTC day of session start: sessions started and completed, preview sessions excluded.",
		Columns: []Column{
			{"day", dateT, "UTC day the session started (userflow_content_sessions.created_at)"},
			{"content_id", stringT, "the flow (userflow_content_sessions.content_id = userflow_content.id)"},
			{"flow_name", stringT, "userflow_content.name"},
			{"starts", int64T, "sessions started that day (count of userflow_content_sessions.id)"},
			{"completions", int64T, "of those, sessions completed so far (userflow_content_sessions.completed)"},
			{"completion_rate", floatN, "completions / starts, 0..1; NULL without starts"},
		},
		Body: `SELECT day, content_id, flow_name, starts, completions, {{ratio "completions" "starts"}} AS completion_rate
FROM (
    SELECT {{day "created_at"}} AS day, content_id,
           {{int "count(*)"}} AS starts,
           {{countIf (yes "completed")}} AS completions
    FROM {{t "userflow_content_sessions"}}
    WHERE NOT {{yes "is_preview"}}
      AND content_id IN (SELECT id FROM {{t "userflow_content"}} WHERE type = 'flow')
    GROUP BY {{day "created_at"}}, content_id
) AS s
{{join}} (SELECT id AS content_id, name AS flow_name FROM {{t "userflow_content"}}) AS c USING (content_id)`,
	},
	{
		Name: "whatfix_flow_daily",
		Doc:  "Whatfix flows per report day: starts and completions from the per-flow completion-rate report, rate recomputed from the counts.",
		Columns: []Column{
			{"day", dateT, "whatfix_report_flow_completion_rate.report_date"},
			{"flow_id", stringT, "whatfix_report_flow_completion_rate.flow_id (flowId)"},
			{"flow_name", stringT, "flow_name (Flow Name) of the flow's latest whatfix_flow_analytics row; empty if none"},
			{"starts", int64T, "report column Started, summed"},
			{"completions", int64T, "report column Completed, summed"},
			{"completion_rate", floatN, "completions / starts, 0..1; NULL without starts"},
		},
		Body: `SELECT day, flow_id, flow_name, starts, completions, {{ratio "completions" "starts"}} AS completion_rate
FROM (
    SELECT report_date AS day, flow_id,
           {{int "coalesce(sum(started), 0)"}} AS starts,
           {{int "coalesce(sum(completed), 0)"}} AS completions
    FROM {{t "whatfix_report_flow_completion_rate"}}
    GROUP BY report_date, flow_id
) AS r
{{join}} (
    SELECT flow_id, {{argMax "coalesce(flow_name, '')" "report_date"}} AS flow_name
    FROM {{t "whatfix_flow_analytics"}}
    GROUP BY flow_id
) AS c USING (flow_id)`,
	},
	{
		Name: "userflow_checklist_daily",
		Doc:  "Userflow checklists per UTC day of session start: sessions, completed checklists and tasks done out of tasks shown, preview sessions excluded.",
		Columns: []Column{
			{"day", dateT, "UTC day the checklist session started (userflow_content_sessions.created_at)"},
			{"content_id", stringT, "the checklist (userflow_content.id)"},
			{"checklist_name", stringT, "userflow_content.name"},
			{"sessions", int64T, "checklist sessions started that day"},
			{"completed_sessions", int64T, "of those, sessions with every task done (userflow_content_sessions.completed)"},
			{"tasks_total", int64T, "tasks shown: per session, the tasks of its version (userflow_checklist_tasks), summed"},
			{"tasks_completed", int64T, "tasks done: per session, progress x tasks of its version, summed"},
			{"task_completion_rate", floatN, "tasks_completed / tasks_total, 0..1; NULL without tasks"},
		},
		Body: `SELECT day, content_id, checklist_name, sessions, completed_sessions, tasks_total, tasks_completed,
       {{ratio "tasks_completed" "tasks_total"}} AS task_completion_rate
FROM (
    SELECT {{day "created_at"}} AS day, content_id,
           {{int "count(*)"}} AS sessions,
           {{countIf (yes "completed")}} AS completed_sessions,
           {{int "sum(tasks)"}} AS tasks_total,
           {{int "sum(round(progress * tasks))"}} AS tasks_completed
    FROM (
        SELECT created_at, content_id, version_id, completed, progress
        FROM {{t "userflow_content_sessions"}}
        WHERE NOT {{yes "is_preview"}}
          AND content_id IN (SELECT id FROM {{t "userflow_content"}} WHERE type = 'checklist')
    ) AS s
    {{join}} (SELECT version_id, {{int "count(*)"}} AS tasks FROM {{t "userflow_checklist_tasks"}} GROUP BY version_id) AS k USING (version_id)
    GROUP BY {{day "created_at"}}, content_id
) AS d
{{join}} (SELECT id AS content_id, name AS checklist_name FROM {{t "userflow_content"}}) AS c USING (content_id)`,
	},
	{
		Name: "whatfix_task_list_daily",
		Doc:  "Whatfix task lists per report day: users, tasks completed out of tasks (analytics/task-completion).",
		Columns: []Column{
			{"day", dateT, "whatfix_task_completion.report_date"},
			{"task_list_id", stringT, "whatfix_task_completion.task_list_id (taskListId)"},
			{"task_list_name", stringT, "whatfix_task_completion.task_list_name (taskListName); empty if absent"},
			{"users", int64T, "users with a row that day (distinct user_id)"},
			{"users_all_done", int64T, "users whose completed_tasks reached total_tasks"},
			{"tasks_completed", int64T, "completed_tasks (completedTasks), summed"},
			{"tasks_total", int64T, "total_tasks (totalTasks), summed"},
			{"task_completion_rate", floatN, "tasks_completed / tasks_total, 0..1; NULL without tasks"},
		},
		Body: `SELECT day, task_list_id, task_list_name, users, users_all_done, tasks_completed, tasks_total,
       {{ratio "tasks_completed" "tasks_total"}} AS task_completion_rate
FROM (
    SELECT report_date AS day, task_list_id,
           max(coalesce(task_list_name, '')) AS task_list_name,
           {{int "count(DISTINCT user_id)"}} AS users,
           {{countIf "total_tasks > 0 AND completed_tasks >= total_tasks"}} AS users_all_done,
           {{int "coalesce(sum(completed_tasks), 0)"}} AS tasks_completed,
           {{int "coalesce(sum(total_tasks), 0)"}} AS tasks_total
    FROM {{t "whatfix_task_completion"}}
    GROUP BY report_date, task_list_id
) AS d`,
	},
	{
		Name: "userflow_nps_daily",
		Doc:  "NPS per survey question and UTC day of the answer: promoters (9-10) minus detractors (0-6) over respondents, x100; questions of type nps only, preview sessions excluded.",
		Columns: []Column{
			{"day", dateT, "UTC day of the answer (userflow_session_answers.created_at)"},
			{"content_id", stringT, "the flow holding the survey (userflow_session_answers.content_id)"},
			{"question_cvid", stringT, "cross-version question id (userflow_session_answers.question_cvid = userflow_questions.cvid)"},
			{"question_name", stringT, "userflow_session_answers.question_name"},
			{"respondents", int64T, "answers with a score (answer_number not NULL)"},
			{"promoters", int64T, "answers scoring 9 or 10"},
			{"passives", int64T, "answers scoring 7 or 8"},
			{"detractors", int64T, "answers scoring 0 to 6"},
			{"nps", floatN, "(promoters - detractors) / respondents x 100, -100..100; NULL without respondents"},
		},
		Body: `SELECT day, content_id, question_cvid, question_name, respondents, promoters, passives, detractors,
       {{ratio "(promoters - detractors) * 100" "respondents"}} AS nps
FROM (
    SELECT {{day "created_at"}} AS day, content_id, question_cvid,
           max(question_name) AS question_name,
           {{int "count(*)"}} AS respondents,
           {{countIf "answer_number >= 9"}} AS promoters,
           {{countIf "answer_number >= 7 AND answer_number < 9"}} AS passives,
           {{countIf "answer_number < 7"}} AS detractors
    FROM {{t "userflow_session_answers"}}
    WHERE answer_number IS NOT NULL
      AND question_cvid IN (SELECT cvid FROM {{t "userflow_questions"}} WHERE type = 'nps')
      AND session_id NOT IN (SELECT id FROM {{t "userflow_content_sessions"}} WHERE {{yes "is_preview"}})
    GROUP BY {{day "created_at"}}, content_id, question_cvid
) AS d`,
	},
	{
		Name: "userflow_star_ratings_daily",
		Doc:  "Star ratings per survey question and UTC day of the answer: respondents and average stars; questions of type stars only, preview sessions excluded.",
		Columns: []Column{
			{"day", dateT, "UTC day of the answer (userflow_session_answers.created_at)"},
			{"content_id", stringT, "the flow holding the survey (userflow_session_answers.content_id)"},
			{"question_cvid", stringT, "cross-version question id (userflow_questions.cvid)"},
			{"question_name", stringT, "userflow_session_answers.question_name"},
			{"respondents", int64T, "answers with a rating (answer_number not NULL)"},
			{"avg_stars", floatN, "average of answer_number, 1..5"},
		},
		Body: `SELECT {{day "created_at"}} AS day, content_id, question_cvid,
       max(question_name) AS question_name,
       {{int "count(*)"}} AS respondents,
       {{ratio "sum(answer_number)" "count(*)"}} AS avg_stars
FROM {{t "userflow_session_answers"}}
WHERE answer_number IS NOT NULL
  AND question_cvid IN (SELECT cvid FROM {{t "userflow_questions"}} WHERE type = 'stars')
  AND session_id NOT IN (SELECT id FROM {{t "userflow_content_sessions"}} WHERE {{yes "is_preview"}})
GROUP BY {{day "created_at"}}, content_id, question_cvid`,
	},
	{
		Name: "whatfix_self_help_search_daily",
		Doc:  "Whatfix Self Help searches per report day and their success rate (selfHelp/searchSummary), rate recomputed from the counts.",
		Columns: []Column{
			{"day", dateT, "whatfix_report_self_help_search_summary.report_date"},
			{"searches", int64T, "report column Total Searches, summed over accounts"},
			{"successful_searches", int64T, "report column Successful Searches, summed"},
			{"unsuccessful_searches", int64T, "report column Unsuccessful Searches, summed"},
			{"success_rate", floatN, "successful_searches / searches, 0..1; NULL without searches"},
		},
		Body: `SELECT day, searches, successful_searches, unsuccessful_searches,
       {{ratio "successful_searches" "searches"}} AS success_rate
FROM (
    SELECT report_date AS day,
           {{int "coalesce(sum(total_searches), 0)"}} AS searches,
           {{int "coalesce(sum(successful_searches), 0)"}} AS successful_searches,
           {{int "coalesce(sum(unsuccessful_searches), 0)"}} AS unsuccessful_searches
    FROM {{t "whatfix_report_self_help_search_summary"}}
    GROUP BY report_date
) AS d`,
	},
	{
		Name: "bot_channel_daily",
		Doc:  "Bot messages and active users per channel and UTC day (transcripts), preview users excluded.",
		Columns: []Column{
			{"day", dateT, "UTC day of the message (bot_transcript_messages.created_at)"},
			{"channel_id", int64T, "bot_transcript_messages.channel_id (1010 webchat, 1014 whatsapp, ...)"},
			{"channel_name", stringT, "bot_transcript_messages.channel_name"},
			{"messages", int64T, "messages of any sender"},
			{"user_messages", int64T, "messages with from = User"},
			{"bot_messages", int64T, "messages with from = Bot"},
			{"agent_messages", int64T, "messages with from = Agent"},
			{"active_users", int64T, "users who sent at least one message that day (distinct bot_user_id)"},
			{"conversations", int64T, "users with any message that day: one conversation per user, channel and day"},
		},
		Body: `SELECT {{day "created_at"}} AS day, channel_id,
       max(channel_name) AS channel_name,
       {{int "count(*)"}} AS messages,
       {{countIf (printf "lower(%s) = 'user'" (q "from"))}} AS user_messages,
       {{countIf (printf "lower(%s) = 'bot'" (q "from"))}} AS bot_messages,
       {{countIf (printf "lower(%s) = 'agent'" (q "from"))}} AS agent_messages,
       {{distinctIf "bot_user_id" (printf "lower(%s) = 'user'" (q "from"))}} AS active_users,
       {{int "count(DISTINCT bot_user_id)"}} AS conversations
FROM {{t "bot_transcript_messages"}}
WHERE NOT {{yes "is_preview_user"}}
GROUP BY {{day "created_at"}}, channel_id`,
	},
	{
		Name: "bot_conversations",
		Doc:  "Bot conversations: one row per user, channel and UTC day with its messages and length, preview users excluded.",
		Columns: []Column{
			{"day", dateT, "UTC day of the messages (bot_transcript_messages.created_at)"},
			{"channel_id", int64T, "bot_transcript_messages.channel_id"},
			{"channel_name", stringT, "bot_transcript_messages.channel_name"},
			{"bot_user_id", stringT, "bot_transcript_messages.bot_user_id"},
			{"messages", int64T, "messages of any sender"},
			{"user_messages", int64T, "messages with from = User"},
			{"started_at", timeT, "first message (min created_at), UTC, to the second"},
			{"ended_at", timeT, "last message (max created_at), UTC, to the second"},
			{"duration_s", int64T, "ended_at - started_at in seconds"},
		},
		Body: `SELECT {{day "created_at"}} AS day, channel_id,
       max(channel_name) AS channel_name,
       bot_user_id,
       {{int "count(*)"}} AS messages,
       {{countIf (printf "lower(%s) = 'user'" (q "from"))}} AS user_messages,
       {{seconds "min(created_at)"}} AS started_at,
       {{seconds "max(created_at)"}} AS ended_at,
       {{epoch "max(created_at)"}} - {{epoch "min(created_at)"}} AS duration_s
FROM {{t "bot_transcript_messages"}}
WHERE NOT {{yes "is_preview_user"}}
GROUP BY {{day "created_at"}}, channel_id, bot_user_id`,
	},
	{
		Name: "technowiz_conversations",
		Doc:  "Technowiz conversations: one row per user and UTC day with its messages and length.",
		Columns: []Column{
			{"day", dateT, "UTC day of the messages (technowiz_messages.timestamp)"},
			{"user_id", stringT, "technowiz_messages.user_id"},
			{"messages", int64T, "messages of any sender"},
			{"user_messages", int64T, "messages with from = user"},
			{"started_at", timeT, "first message (min timestamp), UTC, to the second"},
			{"ended_at", timeT, "last message (max timestamp), UTC, to the second"},
			{"duration_s", int64T, "ended_at - started_at in seconds"},
		},
		Body: `SELECT {{day (q "timestamp")}} AS day, user_id,
       {{int "count(*)"}} AS messages,
       {{countIf (printf "lower(%s) = 'user'" (q "from"))}} AS user_messages,
       {{seconds (printf "min(%s)" (q "timestamp"))}} AS started_at,
       {{seconds (printf "max(%s)" (q "timestamp"))}} AS ended_at,
       {{epoch (printf "max(%s)" (q "timestamp"))}} - {{epoch (printf "min(%s)" (q "timestamp"))}} AS duration_s
FROM {{t "technowiz_messages"}}
GROUP BY {{day (q "timestamp")}}, user_id`,
	},
	{
		Name: "daily_overview",
		Doc:  "One row per UTC day across sources, summed from the curated views above; a source without data that day shows 0.",
		Columns: []Column{
			{"day", dateT, "UTC day"},
			{"userflow_flow_starts", int64T, "userflow_flow_daily.starts, summed over flows"},
			{"userflow_flow_completions", int64T, "userflow_flow_daily.completions, summed"},
			{"userflow_completion_rate", floatN, "userflow_flow_completions / userflow_flow_starts, 0..1"},
			{"userflow_nps_respondents", int64T, "userflow_nps_daily.respondents, summed over questions"},
			{"userflow_nps", floatN, "NPS over every NPS answer of the day, -100..100"},
			{"whatfix_flow_starts", int64T, "whatfix_flow_daily.starts, summed over flows"},
			{"whatfix_flow_completions", int64T, "whatfix_flow_daily.completions, summed"},
			{"whatfix_completion_rate", floatN, "whatfix_flow_completions / whatfix_flow_starts, 0..1"},
			{"whatfix_searches", int64T, "whatfix_self_help_search_daily.searches"},
			{"whatfix_search_success_rate", floatN, "successful / all Self Help searches, 0..1"},
			{"bot_messages", int64T, "bot_channel_daily.messages, summed over channels"},
			{"bot_active_users", int64T, "bot_channel_daily.active_users, summed over channels (a user id is per channel)"},
			{"technowiz_messages", int64T, "technowiz_conversations.messages, summed"},
			{"technowiz_conversations", int64T, "technowiz_conversations rows (users with messages that day)"},
		},
		Body: `SELECT day,
       {{int "sum(uf_starts)"}} AS userflow_flow_starts,
       {{int "sum(uf_completions)"}} AS userflow_flow_completions,
       {{ratio "sum(uf_completions)" "sum(uf_starts)"}} AS userflow_completion_rate,
       {{int "sum(nps_respondents)"}} AS userflow_nps_respondents,
       {{ratio "(sum(nps_promoters) - sum(nps_detractors)) * 100" "sum(nps_respondents)"}} AS userflow_nps,
       {{int "sum(wf_starts)"}} AS whatfix_flow_starts,
       {{int "sum(wf_completions)"}} AS whatfix_flow_completions,
       {{ratio "sum(wf_completions)" "sum(wf_starts)"}} AS whatfix_completion_rate,
       {{int "sum(wf_searches)"}} AS whatfix_searches,
       {{ratio "sum(wf_searches_ok)" "sum(wf_searches)"}} AS whatfix_search_success_rate,
       {{int "sum(bot_msgs)"}} AS bot_messages,
       {{int "sum(bot_users)"}} AS bot_active_users,
       {{int "sum(tw_msgs)"}} AS technowiz_messages,
       {{int "sum(tw_convs)"}} AS technowiz_conversations
FROM (
    SELECT day, starts AS uf_starts, completions AS uf_completions, {{zeros "nps_respondents" "nps_promoters" "nps_detractors" "wf_starts" "wf_completions" "wf_searches" "wf_searches_ok" "bot_msgs" "bot_users" "tw_msgs" "tw_convs"}}
    FROM {{t "userflow_flow_daily"}}
    UNION ALL
    SELECT day, {{zeros "uf_starts" "uf_completions"}}, respondents AS nps_respondents, promoters AS nps_promoters, detractors AS nps_detractors, {{zeros "wf_starts" "wf_completions" "wf_searches" "wf_searches_ok" "bot_msgs" "bot_users" "tw_msgs" "tw_convs"}}
    FROM {{t "userflow_nps_daily"}}
    UNION ALL
    SELECT day, {{zeros "uf_starts" "uf_completions" "nps_respondents" "nps_promoters" "nps_detractors"}}, starts AS wf_starts, completions AS wf_completions, {{zeros "wf_searches" "wf_searches_ok" "bot_msgs" "bot_users" "tw_msgs" "tw_convs"}}
    FROM {{t "whatfix_flow_daily"}}
    UNION ALL
    SELECT day, {{zeros "uf_starts" "uf_completions" "nps_respondents" "nps_promoters" "nps_detractors" "wf_starts" "wf_completions"}}, searches AS wf_searches, successful_searches AS wf_searches_ok, {{zeros "bot_msgs" "bot_users" "tw_msgs" "tw_convs"}}
    FROM {{t "whatfix_self_help_search_daily"}}
    UNION ALL
    SELECT day, {{zeros "uf_starts" "uf_completions" "nps_respondents" "nps_promoters" "nps_detractors" "wf_starts" "wf_completions" "wf_searches" "wf_searches_ok"}}, messages AS bot_msgs, active_users AS bot_users, {{zeros "tw_msgs" "tw_convs"}}
    FROM {{t "bot_channel_daily"}}
    UNION ALL
    SELECT day, {{zeros "uf_starts" "uf_completions" "nps_respondents" "nps_promoters" "nps_detractors" "wf_starts" "wf_completions" "wf_searches" "wf_searches_ok" "bot_msgs" "bot_users"}}, messages AS tw_msgs, {{int "1"}} AS tw_convs
    FROM {{t "technowiz_conversations"}}
) AS u
GROUP BY day`,
	},
}
