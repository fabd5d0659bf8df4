-- source whatfix
-- Generated from the table declarations by `make generate`; do not edit.
-- {database} is replaced by the target database when `etl migrate` applies it.

-- whatfix_report_engagement (replace-window, key: )
CREATE TABLE IF NOT EXISTS {database}.`whatfix_report_engagement`
(
    `report_date` Date COMMENT 'the UTC day the figures are for (one request per day)',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `date` Nullable(Date),
    `active_users` Nullable(Int64),
    `new_users` Nullable(Int64),
    `flows_played` Nullable(Int64),
    `flows_completed` Nullable(Int64),
    `self_help_opens` Nullable(Int64),
    `smart_tips_shown` Nullable(Int64),
    `engagement_rate_pct` Nullable(Float64) COMMENT 'percentage, 0..100',
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
    `flow_id` Nullable(String),
    `flow_name` Nullable(String),
    `views` Nullable(Int64),
    `completions` Nullable(Int64),
    `completion_rate` Nullable(Float64) COMMENT 'percentage, 0..100',
    `avg_time_to_complete` Nullable(Float64) COMMENT 'seconds',
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
    `date` Nullable(Date),
    `self_help_queries` Nullable(Int64),
    `popups_shown` Nullable(Int64),
    `task_list_tasks_started` Nullable(Int64),
    `flows_played` Nullable(Int64),
    `smart_tips_shown` Nullable(Int64),
    `beacons_shown` Nullable(Int64),
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
    `content_id` Nullable(String),
    `content_name` Nullable(String),
    `content_type` Nullable(String),
    `views` Nullable(Int64),
    `unique_users` Nullable(Int64),
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
    `date` Nullable(Date),
    `queries_served` Nullable(Int64),
    `peak_hour_queries` Nullable(Int64),
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
    `total_searches` Nullable(Int64),
    `successful_searches` Nullable(Int64),
    `unsuccessful_searches` Nullable(Int64),
    `success_rate_pct` Nullable(Float64) COMMENT 'percentage, 0..100',
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
    `search_term` Nullable(String),
    `search_count` Nullable(Int64),
    `clicks` Nullable(Int64),
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
    `search_term` Nullable(String),
    `search_count` Nullable(Int64),
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
    `search_term` Nullable(String),
    `user_name` Nullable(String),
    `user_email` Nullable(String),
    `searched_at` Nullable(DateTime('UTC')) COMMENT 'UTC',
    `clicked_content` Nullable(String),
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
    `search_term` Nullable(String),
    `user_name` Nullable(String),
    `user_email` Nullable(String),
    `searched_at` Nullable(DateTime('UTC')) COMMENT 'UTC',
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
    `task_list_name` Nullable(String),
    `segment` Nullable(String),
    `user_name` Nullable(String),
    `user_email` Nullable(String),
    `tasks_completed` Nullable(Int64),
    `total_tasks` Nullable(Int64),
    `completion_rate_pct` Nullable(Float64) COMMENT 'percentage, 0..100',
    `last_activity` Nullable(DateTime('UTC')) COMMENT 'UTC',
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
    `popup_name` Nullable(String),
    `times_shown` Nullable(Int64),
    `flow_played` Nullable(Int64),
    `dismissed` Nullable(Int64),
    `play_rate_pct` Nullable(Float64) COMMENT 'percentage, 0..100',
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
    `popup_name` Nullable(String),
    `times_shown` Nullable(Int64),
    `clicks` Nullable(Int64),
    `click_rate_pct` Nullable(Float64) COMMENT 'percentage, 0..100',
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
    `popup_name` Nullable(String),
    `user_name` Nullable(String),
    `user_email` Nullable(String),
    `times_shown` Nullable(Int64),
    `clicks` Nullable(Int64),
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
    `popup_name` Nullable(String),
    `times_shown` Nullable(Int64),
    `unique_users` Nullable(Int64),
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
    `flow_id` Nullable(String),
    `flow_name` Nullable(String),
    `user_name` Nullable(String),
    `user_email` Nullable(String),
    `started_at` Nullable(DateTime('UTC')) COMMENT 'UTC',
    `completed_at` Nullable(DateTime('UTC')) COMMENT 'UTC',
    `time_taken_s` Nullable(Float64) COMMENT 'seconds',
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
    `flow_id` Nullable(String),
    `flow_name` Nullable(String),
    `started` Nullable(Int64),
    `completed` Nullable(Int64),
    `not_completed` Nullable(Int64),
    `completion_rate_pct` Nullable(Float64) COMMENT 'percentage, 0..100',
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
    `flow_id` Nullable(String),
    `flow_name` Nullable(String),
    `user_name` Nullable(String),
    `user_email` Nullable(String),
    `failed_step` Nullable(String),
    `failed_at` Nullable(DateTime('UTC')) COMMENT 'UTC',
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
    `flow_id` Nullable(String),
    `flow_name` Nullable(String),
    `useful` Nullable(Int64),
    `not_useful` Nullable(Int64),
    `useful_pct` Nullable(Float64) COMMENT 'percentage, 0..100',
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
    `flow_name` Nullable(String),
    `user_email` Nullable(String),
    `comment` Nullable(String),
    `submitted_at` Nullable(DateTime('UTC')) COMMENT 'UTC',
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
    `flow_name` Nullable(String),
    `user_email` Nullable(String),
    `comment` Nullable(String),
    `submitted_at` Nullable(DateTime('UTC')) COMMENT 'UTC',
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
    `flow_id` Nullable(String),
    `flow_name` Nullable(String),
    `step` Nullable(String),
    `times_closed` Nullable(Int64),
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
    `widget` Nullable(String),
    `flows_played` Nullable(Int64),
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
    `date` Nullable(Date),
    `flow_name` Nullable(String),
    `times_played` Nullable(Int64),
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
    `smart_tip_name` Nullable(String),
    `times_played` Nullable(Int64),
    `unique_users` Nullable(Int64),
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
    `date` Nullable(Date),
    `times_played` Nullable(Int64),
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
    `smart_tip_name` Nullable(String),
    `user_name` Nullable(String),
    `user_email` Nullable(String),
    `times_played` Nullable(Int64),
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
    `beacon_name` Nullable(String),
    `users_shown` Nullable(Int64),
    `users_clicked` Nullable(Int64),
    `click_rate_pct` Nullable(Float64) COMMENT 'percentage, 0..100',
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
    `beacon_name` Nullable(String),
    `user_name` Nullable(String),
    `user_email` Nullable(String),
    `shown` Nullable(Int64),
    `clicked` Nullable(Int64),
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
    `user_action` Nullable(String),
    `occurrences` Nullable(Int64),
    `unique_users` Nullable(Int64),
    `last_occurred_at` Nullable(DateTime('UTC')) COMMENT 'UTC',
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
    `started` Nullable(Int64),
    `completed` Nullable(Int64),
    `not_completed` Nullable(Int64),
    `completion_rate_pct` Nullable(Float64) COMMENT 'percentage, 0..100',
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
    `useful` Nullable(Int64),
    `not_useful` Nullable(Int64),
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
    `user_email` Nullable(String),
    `feedback` Nullable(String),
    `comment` Nullable(String),
    `submitted_at` Nullable(DateTime('UTC')) COMMENT 'UTC',
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
    `version` Nullable(Int64),
    `edited_by` Nullable(String),
    `edited_at` Nullable(DateTime('UTC')) COMMENT 'UTC',
    `change` Nullable(String),
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
    `step_number` Nullable(Int64),
    `step_title` Nullable(String),
    `exits` Nullable(Int64),
    `failures` Nullable(Int64),
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
    `widget` Nullable(String),
    `times_played` Nullable(Int64),
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
    `date` Nullable(Date),
    `times_played` Nullable(Int64),
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
    `email` Nullable(String),
    `content_viewed` Nullable(Int64),
    `flows_completed` Nullable(Int64),
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
    `content_name` Nullable(String),
    `content_type` Nullable(String),
    `views` Nullable(Int64),
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
    `user_email` Nullable(String),
    `task_list_id` String COMMENT 'taskListId',
    `task_list_name` Nullable(String),
    `completed_tasks` Nullable(Int64),
    `total_tasks` Nullable(Int64),
    `completion_rate` Nullable(Float64),
    `last_activity_at` Nullable(DateTime('UTC')) COMMENT 'lastActivityAt',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `user_id`, `task_list_id`);

-- whatfix_content (merge, key: content_id)
CREATE TABLE IF NOT EXISTS {database}.`whatfix_content_raw`
(
    `content_id` String COMMENT 'contentId',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `name` Nullable(String),
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
ENGINE = ReplacingMergeTree(`modified_at`)
PARTITION BY toYYYYMM(`created_at`)
ORDER BY (`content_id`);
CREATE VIEW IF NOT EXISTS {database}.`whatfix_content` AS
SELECT `content_id`, `account_id`, `name`, `type`, `status`, `target_url`, `created_at`, `modified_at`, `view_count`, `_extra`, `_extracted_at`, `_run_id`
FROM {database}.`whatfix_content_raw` FINAL;

-- whatfix_end_users (replace-all, key: user_id)
CREATE TABLE IF NOT EXISTS {database}.`whatfix_end_users`
(
    `user_id` String COMMENT 'userId',
    `account_id` String COMMENT 'Whatfix account the row came from',
    `email` Nullable(String),
    `name` Nullable(String),
    `attributes` String COMMENT 'custom attributes (role, department, …) kept whole',
    `created_at` Nullable(DateTime('UTC')),
    `last_seen_at` Nullable(DateTime('UTC')),
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
    `name` Nullable(String),
    `description` Nullable(String),
    `user_count` Nullable(Int64) COMMENT 'users matching at extraction time',
    `rules` String COMMENT '[{attribute, operator, value}]',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`segment_id`);

-- whatfix_audit_logs (merge, key: id)
CREATE TABLE IF NOT EXISTS {database}.`whatfix_audit_logs_raw`
(
    `id` String,
    `account_id` String COMMENT 'Whatfix account the row came from',
    `user_id` Nullable(String),
    `user_email` Nullable(String),
    `action` Nullable(String),
    `entity_type` Nullable(String),
    `entity_id` Nullable(String),
    `timestamp` DateTime('UTC') COMMENT 'when the action happened (UTC)',
    `details` String COMMENT 'action details kept whole',
    `_extra` String COMMENT 'fields the declaration does not know, as JSON',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = ReplacingMergeTree(`_extracted_at`)
PARTITION BY toYYYYMM(`timestamp`)
ORDER BY (`id`);
CREATE VIEW IF NOT EXISTS {database}.`whatfix_audit_logs` AS
SELECT `id`, `account_id`, `user_id`, `user_email`, `action`, `entity_type`, `entity_id`, `timestamp`, `details`, `_extra`, `_extracted_at`, `_run_id`
FROM {database}.`whatfix_audit_logs_raw` FINAL;
