-- source whatfix
-- Generated from the table declarations by `make generate`; do not edit.
-- {database} is replaced by the target database when `etl migrate` applies it.

-- whatfix_report_engagement (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_engagement`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `date` Nullable(Date) COMMENT 'report column "Date"',
    `active_users` Nullable(Int64) COMMENT 'report column "Active Users"',
    `new_users` Nullable(Int64) COMMENT 'report column "New Users"',
    `flows_played` Nullable(Int64) COMMENT 'report column "Flows Played"',
    `flows_completed` Nullable(Int64) COMMENT 'report column "Flows Completed"',
    `self_help_opens` Nullable(Int64) COMMENT 'report column "Self Help Opens"',
    `smart_tips_shown` Nullable(Int64) COMMENT 'report column "Smart Tips Shown"',
    `engagement_rate_pct` Nullable(Float64) COMMENT 'report column "Engagement Rate (%)": percentage, 0..100',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_most_popular_flows (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_most_popular_flows`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` Nullable(String) COMMENT 'report column "Flow ID"',
    `flow_name` Nullable(String) COMMENT 'report column "Flow Name"',
    `views` Nullable(Int64) COMMENT 'report column "Views"',
    `completions` Nullable(Int64) COMMENT 'report column "Completions"',
    `completion_rate` Nullable(Float64) COMMENT 'report column "Completion Rate": percentage, 0..100',
    `avg_time_to_complete` Nullable(Float64) COMMENT 'report column "Avg Time To Complete" in seconds',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_usage (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_usage`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `date` Nullable(Date) COMMENT 'report column "Date"',
    `self_help_queries` Nullable(Int64) COMMENT 'report column "Self Help Queries"',
    `popups_shown` Nullable(Int64) COMMENT 'report column "Popups Shown"',
    `task_list_tasks_started` Nullable(Int64) COMMENT 'report column "Task List Tasks Started"',
    `flows_played` Nullable(Int64) COMMENT 'report column "Flows Played"',
    `smart_tips_shown` Nullable(Int64) COMMENT 'report column "Smart Tips Shown"',
    `beacons_shown` Nullable(Int64) COMMENT 'report column "Beacons Shown"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_self_help_content_effectiveness (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_self_help_content_effectiveness`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `content_id` Nullable(String) COMMENT 'report column "Content ID"',
    `content_name` Nullable(String) COMMENT 'report column "Content Name"',
    `content_type` Nullable(String) COMMENT 'report column "Content Type"',
    `views` Nullable(Int64) COMMENT 'report column "Views"',
    `unique_users` Nullable(Int64) COMMENT 'report column "Unique Users"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_self_help_queries_by_day (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_self_help_queries_by_day`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `date` Nullable(Date) COMMENT 'report column "Date"',
    `queries_served` Nullable(Int64) COMMENT 'report column "Queries Served"',
    `peak_hour_queries` Nullable(Int64) COMMENT 'report column "Peak Hour Queries"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_self_help_search_summary (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_self_help_search_summary`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `total_searches` Nullable(Int64) COMMENT 'report column "Total Searches"',
    `successful_searches` Nullable(Int64) COMMENT 'report column "Successful Searches"',
    `unsuccessful_searches` Nullable(Int64) COMMENT 'report column "Unsuccessful Searches"',
    `success_rate_pct` Nullable(Float64) COMMENT 'report column "Success Rate (%)": percentage, 0..100',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_self_help_successful_search_terms (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_self_help_successful_search_terms`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `search_term` Nullable(String) COMMENT 'report column "Search Term"',
    `search_count` Nullable(Int64) COMMENT 'report column "Search Count"',
    `clicks` Nullable(Int64) COMMENT 'report column "Clicks"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_self_help_unsuccessful_search_terms (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_self_help_unsuccessful_search_terms`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `search_term` Nullable(String) COMMENT 'report column "Search Term"',
    `search_count` Nullable(Int64) COMMENT 'report column "Search Count"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_self_help_successful_search_terms_with_users (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_self_help_successful_search_terms_with_users`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `search_term` Nullable(String) COMMENT 'report column "Search Term"',
    `user_name` Nullable(String) COMMENT 'report column "User Name"',
    `user_email` Nullable(String) COMMENT 'report column "User Email"',
    `searched_at` Nullable(DateTime('UTC')) COMMENT 'report column "Searched At" (UTC)',
    `clicked_content` Nullable(String) COMMENT 'report column "Clicked Content"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_self_help_unsuccessful_search_terms_with_users (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_self_help_unsuccessful_search_terms_with_users`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `search_term` Nullable(String) COMMENT 'report column "Search Term"',
    `user_name` Nullable(String) COMMENT 'report column "User Name"',
    `user_email` Nullable(String) COMMENT 'report column "User Email"',
    `searched_at` Nullable(DateTime('UTC')) COMMENT 'report column "Searched At" (UTC)',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_task_list_completion_by_user (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_task_list_completion_by_user`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `task_list_name` Nullable(String) COMMENT 'report column "Task List Name"',
    `segment` Nullable(String) COMMENT 'report column "Segment"',
    `user_name` Nullable(String) COMMENT 'report column "User Name"',
    `user_email` Nullable(String) COMMENT 'report column "User Email"',
    `tasks_completed` Nullable(Int64) COMMENT 'report column "Tasks Completed"',
    `total_tasks` Nullable(Int64) COMMENT 'report column "Total Tasks"',
    `completion_rate_pct` Nullable(Float64) COMMENT 'report column "Completion Rate (%)": percentage, 0..100',
    `last_activity` Nullable(DateTime('UTC')) COMMENT 'report column "Last Activity" (UTC)',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_guided_popup_effectiveness (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_guided_popup_effectiveness`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `popup_name` Nullable(String) COMMENT 'report column "Popup Name"',
    `times_shown` Nullable(Int64) COMMENT 'report column "Times Shown"',
    `flow_played` Nullable(Int64) COMMENT 'report column "Flow Played"',
    `dismissed` Nullable(Int64) COMMENT 'report column "Dismissed"',
    `play_rate_pct` Nullable(Float64) COMMENT 'report column "Play Rate (%)": percentage, 0..100',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_popup_effectiveness (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_popup_effectiveness`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `popup_name` Nullable(String) COMMENT 'report column "Popup Name"',
    `times_shown` Nullable(Int64) COMMENT 'report column "Times Shown"',
    `clicks` Nullable(Int64) COMMENT 'report column "Clicks"',
    `click_rate_pct` Nullable(Float64) COMMENT 'report column "Click Rate (%)": percentage, 0..100',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_popup_effectiveness_with_users (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_popup_effectiveness_with_users`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `popup_name` Nullable(String) COMMENT 'report column "Popup Name"',
    `user_name` Nullable(String) COMMENT 'report column "User Name"',
    `user_email` Nullable(String) COMMENT 'report column "User Email"',
    `times_shown` Nullable(Int64) COMMENT 'report column "Times Shown"',
    `clicks` Nullable(Int64) COMMENT 'report column "Clicks"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_smart_popup_effectiveness (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_smart_popup_effectiveness`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `popup_name` Nullable(String) COMMENT 'report column "Popup Name"',
    `times_shown` Nullable(Int64) COMMENT 'report column "Times Shown"',
    `unique_users` Nullable(Int64) COMMENT 'report column "Unique Users"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_flow_summary_completion_with_users (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_summary_completion_with_users`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` Nullable(String) COMMENT 'report column "Flow ID"',
    `flow_name` Nullable(String) COMMENT 'report column "Flow Name"',
    `user_name` Nullable(String) COMMENT 'report column "User Name"',
    `user_email` Nullable(String) COMMENT 'report column "User Email"',
    `started_at` Nullable(DateTime('UTC')) COMMENT 'report column "Started At" (UTC)',
    `completed_at` Nullable(DateTime('UTC')) COMMENT 'report column "Completed At" (UTC)',
    `time_taken_s` Nullable(Float64) COMMENT 'report column "Time Taken" in seconds',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_flow_summary_completion_rate (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_summary_completion_rate`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` Nullable(String) COMMENT 'report column "Flow ID"',
    `flow_name` Nullable(String) COMMENT 'report column "Flow Name"',
    `started` Nullable(Int64) COMMENT 'report column "Started"',
    `completed` Nullable(Int64) COMMENT 'report column "Completed"',
    `not_completed` Nullable(Int64) COMMENT 'report column "Not Completed"',
    `completion_rate_pct` Nullable(Float64) COMMENT 'report column "Completion Rate (%)": percentage, 0..100',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_flow_summary_failure_with_users (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_summary_failure_with_users`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` Nullable(String) COMMENT 'report column "Flow ID"',
    `flow_name` Nullable(String) COMMENT 'report column "Flow Name"',
    `user_name` Nullable(String) COMMENT 'report column "User Name"',
    `user_email` Nullable(String) COMMENT 'report column "User Email"',
    `failed_step` Nullable(String) COMMENT 'report column "Failed Step"',
    `failed_at` Nullable(DateTime('UTC')) COMMENT 'report column "Failed At" (UTC)',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_flow_summary_feedback (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_summary_feedback`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` Nullable(String) COMMENT 'report column "Flow ID"',
    `flow_name` Nullable(String) COMMENT 'report column "Flow Name"',
    `useful` Nullable(Int64) COMMENT 'report column "Useful"',
    `not_useful` Nullable(Int64) COMMENT 'report column "Not Useful"',
    `useful_pct` Nullable(Float64) COMMENT 'report column "Useful (%)": percentage, 0..100',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_flow_summary_feedback_comments_yes (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_summary_feedback_comments_yes`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_name` Nullable(String) COMMENT 'report column "Flow Name"',
    `user_email` Nullable(String) COMMENT 'report column "User Email"',
    `comment` Nullable(String) COMMENT 'report column "Comment"',
    `submitted_at` Nullable(DateTime('UTC')) COMMENT 'report column "Submitted At" (UTC)',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_flow_feedback_comments_no (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_feedback_comments_no`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_name` Nullable(String) COMMENT 'report column "Flow Name"',
    `user_email` Nullable(String) COMMENT 'report column "User Email"',
    `comment` Nullable(String) COMMENT 'report column "Comment"',
    `submitted_at` Nullable(DateTime('UTC')) COMMENT 'report column "Submitted At" (UTC)',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_flow_summary_close_missed (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_summary_close_missed`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` Nullable(String) COMMENT 'report column "Flow ID"',
    `flow_name` Nullable(String) COMMENT 'report column "Flow Name"',
    `step` Nullable(String) COMMENT 'report column "Step"',
    `times_closed` Nullable(Int64) COMMENT 'report column "Times Closed"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_flow_summary_played_by_widgets (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_summary_played_by_widgets`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `widget` Nullable(String) COMMENT 'report column "Widget"',
    `flows_played` Nullable(Int64) COMMENT 'report column "Flows Played"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_flow_summary_usage_by_day (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_summary_usage_by_day`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `date` Nullable(Date) COMMENT 'report column "Date"',
    `flow_name` Nullable(String) COMMENT 'report column "Flow Name"',
    `times_played` Nullable(Int64) COMMENT 'report column "Times Played"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_smart_tip_most_popular (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_smart_tip_most_popular`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `smart_tip_name` Nullable(String) COMMENT 'report column "Smart Tip Name"',
    `times_played` Nullable(Int64) COMMENT 'report column "Times Played"',
    `unique_users` Nullable(Int64) COMMENT 'report column "Unique Users"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_smart_tip_played_by_day (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_smart_tip_played_by_day`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `date` Nullable(Date) COMMENT 'report column "Date"',
    `times_played` Nullable(Int64) COMMENT 'report column "Times Played"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_smart_tip_with_users (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_smart_tip_with_users`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `smart_tip_name` Nullable(String) COMMENT 'report column "Smart Tip Name"',
    `user_name` Nullable(String) COMMENT 'report column "User Name"',
    `user_email` Nullable(String) COMMENT 'report column "User Email"',
    `times_played` Nullable(Int64) COMMENT 'report column "Times Played"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_beacon_effectiveness (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_beacon_effectiveness`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `beacon_name` Nullable(String) COMMENT 'report column "Beacon Name"',
    `users_shown` Nullable(Int64) COMMENT 'report column "Users Shown"',
    `users_clicked` Nullable(Int64) COMMENT 'report column "Users Clicked"',
    `click_rate_pct` Nullable(Float64) COMMENT 'report column "Click Rate (%)": percentage, 0..100',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_beacon_effectiveness_with_users (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_beacon_effectiveness_with_users`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `beacon_name` Nullable(String) COMMENT 'report column "Beacon Name"',
    `user_name` Nullable(String) COMMENT 'report column "User Name"',
    `user_email` Nullable(String) COMMENT 'report column "User Email"',
    `shown` Nullable(Int64) COMMENT 'report column "Shown"',
    `clicked` Nullable(Int64) COMMENT 'report column "Clicked"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_user_action_details (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_user_action_details`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `user_action` Nullable(String) COMMENT 'report column "User Action"',
    `occurrences` Nullable(Int64) COMMENT 'report column "Occurrences"',
    `unique_users` Nullable(Int64) COMMENT 'report column "Unique Users"',
    `last_occurred_at` Nullable(DateTime('UTC')) COMMENT 'report column "Last Occurred At" (UTC)',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`);

-- whatfix_report_flow_completion_rate (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_completion_rate`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` String COMMENT 'the flow the report was requested for (flowId)',
    `started` Nullable(Int64) COMMENT 'report column "Started"',
    `completed` Nullable(Int64) COMMENT 'report column "Completed"',
    `not_completed` Nullable(Int64) COMMENT 'report column "Not Completed"',
    `completion_rate_pct` Nullable(Float64) COMMENT 'report column "Completion Rate (%)": percentage, 0..100',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `flow_id`);

-- whatfix_report_flow_feedback (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_feedback`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` String COMMENT 'the flow the report was requested for (flowId)',
    `useful` Nullable(Int64) COMMENT 'report column "Useful"',
    `not_useful` Nullable(Int64) COMMENT 'report column "Not Useful"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `flow_id`);

-- whatfix_report_flow_feedback_comments (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_feedback_comments`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` String COMMENT 'the flow the report was requested for (flowId)',
    `user_email` Nullable(String) COMMENT 'report column "User Email"',
    `feedback` Nullable(String) COMMENT 'report column "Feedback"',
    `comment` Nullable(String) COMMENT 'report column "Comment"',
    `submitted_at` Nullable(DateTime('UTC')) COMMENT 'report column "Submitted At" (UTC)',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `flow_id`);

-- whatfix_report_flow_history (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_history`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` String COMMENT 'the flow the report was requested for (flowId)',
    `version` Nullable(Int64) COMMENT 'report column "Version"',
    `edited_by` Nullable(String) COMMENT 'report column "Edited By"',
    `edited_at` Nullable(DateTime('UTC')) COMMENT 'report column "Edited At" (UTC)',
    `change` Nullable(String) COMMENT 'report column "Change"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `flow_id`);

-- whatfix_report_flow_exited_steps (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_exited_steps`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` String COMMENT 'the flow the report was requested for (flowId)',
    `step_number` Nullable(Int64) COMMENT 'report column "Step Number"',
    `step_title` Nullable(String) COMMENT 'report column "Step Title"',
    `exits` Nullable(Int64) COMMENT 'report column "Exits"',
    `failures` Nullable(Int64) COMMENT 'report column "Failures"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `flow_id`);

-- whatfix_report_flow_played_by_widgets (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_played_by_widgets`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` String COMMENT 'the flow the report was requested for (flowId)',
    `widget` Nullable(String) COMMENT 'report column "Widget"',
    `times_played` Nullable(Int64) COMMENT 'report column "Times Played"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `flow_id`);

-- whatfix_report_flow_usage_by_day (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_flow_usage_by_day`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` String COMMENT 'the flow the report was requested for (flowId)',
    `date` Nullable(Date) COMMENT 'report column "Date"',
    `times_played` Nullable(Int64) COMMENT 'report column "Times Played"',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `flow_id`);

-- whatfix_flow_analytics (replace-window, key: report_date, flow_id)
CREATE TABLE IF NOT EXISTS {database}.`whatfix_flow_analytics`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `flow_id` String COMMENT 'flowId',
    `flow_name` Nullable(String) COMMENT 'flowName',
    `views` Nullable(Int64) COMMENT 'times the flow was viewed',
    `completions` Nullable(Int64) COMMENT 'times the flow was completed',
    `completion_rate` Nullable(Float64) COMMENT 'percentage of views completed, 0..100',
    `avg_time_to_complete` Nullable(Float64) COMMENT 'average seconds to complete',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `flow_id`);

-- whatfix_end_user_engagement (replace-window, key: report_date, user_id)
CREATE TABLE IF NOT EXISTS {database}.`whatfix_end_user_engagement`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `user_id` String COMMENT 'userId',
    `email` Nullable(String) COMMENT 'email',
    `content_viewed` Nullable(Int64) COMMENT 'contentViewed',
    `flows_completed` Nullable(Int64) COMMENT 'flowsCompleted',
    `last_active_at` Nullable(DateTime('UTC')) COMMENT 'lastActive',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `user_id`);

-- whatfix_self_help_analytics (replace-window, key: report_date, content_id)
CREATE TABLE IF NOT EXISTS {database}.`whatfix_self_help_analytics`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `content_id` String COMMENT 'contentId',
    `content_name` Nullable(String) COMMENT 'contentName',
    `content_type` Nullable(String) COMMENT 'contentType',
    `views` Nullable(Int64) COMMENT 'views',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `content_id`);

-- whatfix_task_completion (replace-window, key: report_date, user_id, task_list_id)
CREATE TABLE IF NOT EXISTS {database}.`whatfix_task_completion`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `user_id` String COMMENT 'userId',
    `user_email` Nullable(String) COMMENT 'userEmail',
    `task_list_id` String COMMENT 'taskListId',
    `task_list_name` Nullable(String) COMMENT 'taskListName',
    `completed_tasks` Nullable(Int64) COMMENT 'completedTasks',
    `total_tasks` Nullable(Int64) COMMENT 'totalTasks',
    `completion_rate` Nullable(Float64) COMMENT 'completionRate: percentage of tasks completed, 0..100',
    `last_activity_at` Nullable(DateTime('UTC')) COMMENT 'lastActivityAt',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `user_id`, `task_list_id`);

-- whatfix_content (merge, key: content_id)
CREATE TABLE IF NOT EXISTS {database}.`whatfix_content`
(
    `content_id` String COMMENT 'contentId',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `name` Nullable(String) COMMENT 'name',
    `type` Nullable(String) COMMENT 'Flow, Tooltip, TaskList, SmartTip, Beacon, Popup, Survey, Article, Video',
    `status` Nullable(String) COMMENT 'Draft, Published, Archived',
    `target_url` Nullable(String) COMMENT 'URL pattern the content shows on',
    `created_at` DateTime('UTC') COMMENT 'createdAt; never changes, so it partitions the table',
    `modified_at` DateTime('UTC') COMMENT 'modifiedAt; the newest wins',
    `view_count` Nullable(Int64) COMMENT 'total views at extraction time',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`created_at`)
ORDER BY (`content_id`);

-- whatfix_end_users (replace-all, key: user_id)
CREATE TABLE IF NOT EXISTS {database}.`whatfix_end_users`
(
    `user_id` String COMMENT 'userId',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `email` Nullable(String) COMMENT 'email',
    `name` Nullable(String) COMMENT 'name',
    `attributes` String COMMENT 'custom attributes (role, department, …) kept whole',
    `created_at` Nullable(DateTime('UTC')) COMMENT 'createdAt (UTC)',
    `last_seen_at` Nullable(DateTime('UTC')) COMMENT 'lastSeenAt (UTC)',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`user_id`);

-- whatfix_segments (replace-all, key: segment_id)
CREATE TABLE IF NOT EXISTS {database}.`whatfix_segments`
(
    `segment_id` String COMMENT 'segmentId',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `name` Nullable(String) COMMENT 'name',
    `description` Nullable(String) COMMENT 'description',
    `user_count` Nullable(Int64) COMMENT 'users matching at extraction time',
    `rules` String COMMENT '[{attribute, operator, value}]',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`segment_id`);

-- whatfix_audit_logs (merge, key: id)
CREATE TABLE IF NOT EXISTS {database}.`whatfix_audit_logs`
(
    `id` String COMMENT 'id of the audit log entry',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `user_id` Nullable(String) COMMENT 'userId',
    `user_email` Nullable(String) COMMENT 'userEmail',
    `action` Nullable(String) COMMENT 'action',
    `entity_type` Nullable(String) COMMENT 'entityType',
    `entity_id` Nullable(String) COMMENT 'entityId',
    `timestamp` DateTime('UTC') COMMENT 'when the action happened (UTC)',
    `details` String COMMENT 'action details kept whole',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`timestamp`)
ORDER BY (`id`);
