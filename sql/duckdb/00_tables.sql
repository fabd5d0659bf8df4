-- Base views over the Parquet files under data/<table>/, named like the ClickHouse tables.
-- Generated from the table declarations by `make generate`; do not edit.
-- A merge table's files hold one row per key, as its ClickHouse name does.

-- bot_transcript_messages (merge)
CREATE OR REPLACE VIEW "bot_transcript_messages" AS
SELECT "message_key", "bot_user_id", "channel_id", "channel_name", "message_index", "from", "type", "created_at", "updated_at", "is_preview_user", "text", "buttons", "payload", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/bot_transcript_messages/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "bot_transcript_messages" IS 'Transcript messages (POST /transcripts), one row per message.';

-- bot_usage_monthly (replace-window)
CREATE OR REPLACE VIEW "bot_usage_monthly" AS
SELECT "month", "channel_id", "channel_name", "total_messages", "total_users", "_extracted_at", "_run_id" FROM read_parquet('data/bot_usage_monthly/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "bot_usage_monthly" IS 'Monthly bot usage per channel (GET /usage).';

-- bot_user_custom_fields (merge)
CREATE OR REPLACE VIEW "bot_user_custom_fields" AS
SELECT "channel_id", "channel_name", "bot_user_id", "custom_fields", "seen_at", "_extracted_at", "_run_id" FROM read_parquet('data/bot_user_custom_fields/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "bot_user_custom_fields" IS 'Bot user custom fields (botUser.customFields of POST /transcripts), newest fetch wins.';

-- bot_users (merge)
CREATE OR REPLACE VIEW "bot_users" AS
SELECT "channel_id", "channel_name", "user_id", "user_name", "created_at", "first_interacted_at", "last_interacted_at", "seen_at", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/bot_users/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "bot_users" IS 'Bot users per channel (POST /users), latest state per user.';

-- technowiz_messages (merge)
CREATE OR REPLACE VIEW "technowiz_messages" AS
SELECT "message_id", "user_id", "from", "type", "text", "timestamp", "payload", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/technowiz_messages/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "technowiz_messages" IS 'Technowiz conversation messages of the matched users (GET /users/{userId}/conversation).';

-- technowiz_users (replace-all)
CREATE OR REPLACE VIEW "technowiz_users" AS
SELECT "user_id", "user_name", "channel", "attributes", "created_at", "matched_filters", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/technowiz_users/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "technowiz_users" IS 'Technowiz users matched by the configured attribute filters (GET /users), full snapshot.';

-- userflow_attribute_definitions (replace-all)
CREATE OR REPLACE VIEW "userflow_attribute_definitions" AS
SELECT "id", "name", "display_name", "description", "data_type", "scope", "created_at", "_extracted_at", "_run_id" FROM read_parquet('data/userflow_attribute_definitions/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "userflow_attribute_definitions" IS 'Userflow attribute definitions (names, display names and types of attributes), full snapshot';

-- userflow_checklist_tasks (replace-all)
CREATE OR REPLACE VIEW "userflow_checklist_tasks" AS
SELECT "id", "content_id", "version_id", "cvid", "name", "_extracted_at", "_run_id" FROM read_parquet('data/userflow_checklist_tasks/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "userflow_checklist_tasks" IS 'Userflow checklist tasks per checklist version; cvid is stable across versions, id is not';

-- userflow_content (replace-all)
CREATE OR REPLACE VIEW "userflow_content" AS
SELECT "id", "name", "type", "created_at", "draft_version_id", "published_version_id", "_extracted_at", "_run_id" FROM read_parquet('data/userflow_content/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "userflow_content" IS 'Userflow content objects (flows, checklists, launchers), full snapshot';

-- userflow_content_sessions (merge)
CREATE OR REPLACE VIEW "userflow_content_sessions" AS
SELECT "id", "content_id", "user_id", "group_id", "version_id", "created_at", "last_activity_at", "completed", "completed_at", "progress", "is_preview", "launcher_activated", "_extracted_at", "_run_id" FROM read_parquet('data/userflow_content_sessions/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "userflow_content_sessions" IS 'Userflow content sessions: one user''s run through one flow, checklist or launcher; latest state wins';

-- userflow_content_versions (replace-all)
CREATE OR REPLACE VIEW "userflow_content_versions" AS
SELECT "id", "content_id", "number", "description", "created_at", "edited_at", "_extracted_at", "_run_id" FROM read_parquet('data/userflow_content_versions/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "userflow_content_versions" IS 'Userflow content versions, full snapshot';

-- userflow_event_definitions (replace-all)
CREATE OR REPLACE VIEW "userflow_event_definitions" AS
SELECT "id", "name", "display_name", "description", "created_at", "_extracted_at", "_run_id" FROM read_parquet('data/userflow_event_definitions/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "userflow_event_definitions" IS 'Userflow event definitions (event names tracked in the account), full snapshot';

-- userflow_groups (replace-all)
CREATE OR REPLACE VIEW "userflow_groups" AS
SELECT "id", "created_at", "name", "attributes", "_extracted_at", "_run_id" FROM read_parquet('data/userflow_groups/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "userflow_groups" IS 'Userflow groups (companies) with their attributes, full snapshot; empty on plans without Groups';

-- userflow_questions (replace-all)
CREATE OR REPLACE VIEW "userflow_questions" AS
SELECT "id", "content_id", "version_id", "cvid", "name", "type", "_extracted_at", "_run_id" FROM read_parquet('data/userflow_questions/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "userflow_questions" IS 'Userflow survey questions per flow version; cvid is stable across versions, id is not';

-- userflow_session_answers (merge)
CREATE OR REPLACE VIEW "userflow_session_answers" AS
SELECT "id", "session_id", "content_id", "user_id", "question_cvid", "question_name", "answer_type", "answer_value", "answer_values", "answer_number", "created_at", "session_last_activity_at", "_extracted_at", "_run_id" FROM read_parquet('data/userflow_session_answers/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "userflow_session_answers" IS 'Userflow survey answers, one row per answered question of a flow session';

-- userflow_users (replace-all)
CREATE OR REPLACE VIEW "userflow_users" AS
SELECT "id", "created_at", "email", "name", "attributes", "_extracted_at", "_run_id" FROM read_parquet('data/userflow_users/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "userflow_users" IS 'Userflow users with their attributes, full snapshot';

-- whatfix_audit_logs (merge)
CREATE OR REPLACE VIEW "whatfix_audit_logs" AS
SELECT "id", "account_id", "user_id", "user_email", "action", "entity_type", "entity_id", "timestamp", "details", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_audit_logs/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_audit_logs" IS 'Audit log entries (who did what to which entity, when).';

-- whatfix_content (merge)
CREATE OR REPLACE VIEW "whatfix_content" AS
SELECT "content_id", "account_id", "name", "type", "status", "target_url", "created_at", "modified_at", "view_count", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_content/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_content" IS 'Whatfix content items (flows, tooltips, task lists, …), newest version of each.';

-- whatfix_end_user_engagement (replace-window)
CREATE OR REPLACE VIEW "whatfix_end_user_engagement" AS
SELECT "report_date", "account_id", "user_id", "email", "content_viewed", "flows_completed", "last_active_at", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_end_user_engagement/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_end_user_engagement" IS 'Content viewed and flows completed per end user and UTC day (analytics/end-users).';

-- whatfix_end_users (replace-all)
CREATE OR REPLACE VIEW "whatfix_end_users" AS
SELECT "user_id", "account_id", "email", "name", "attributes", "created_at", "last_seen_at", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_end_users/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_end_users" IS 'End users tracked by Whatfix (full snapshot).';

-- whatfix_flow_analytics (replace-window)
CREATE OR REPLACE VIEW "whatfix_flow_analytics" AS
SELECT "report_date", "account_id", "flow_id", "flow_name", "views", "completions", "completion_rate", "avg_time_to_complete", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_flow_analytics/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_flow_analytics" IS 'Views, completions and time to complete per flow and UTC day (analytics/flows).';

-- whatfix_report_beacon_effectiveness (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_beacon_effectiveness" AS
SELECT "report_date", "account_id", "beacon_name", "users_shown", "users_clicked", "click_rate_pct", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_beacon_effectiveness/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_beacon_effectiveness" IS 'Users each beacon was shown to and who clicked it.';

-- whatfix_report_beacon_effectiveness_with_users (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_beacon_effectiveness_with_users" AS
SELECT "report_date", "account_id", "beacon_name", "user_name", "user_email", "shown", "clicked", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_beacon_effectiveness_with_users/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_beacon_effectiveness_with_users" IS 'Beacon engagement per user.';

-- whatfix_report_engagement (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_engagement" AS
SELECT "report_date", "account_id", "date", "active_users", "new_users", "flows_played", "flows_completed", "self_help_opens", "smart_tips_shown", "engagement_rate_pct", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_engagement/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_engagement" IS 'Engagement by end users per day.';

-- whatfix_report_flow_completion_rate (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_completion_rate" AS
SELECT "report_date", "account_id", "flow_id", "started", "completed", "not_completed", "completion_rate_pct", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_completion_rate/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_completion_rate" IS 'Times the flow was started and completed vs not.';

-- whatfix_report_flow_exited_steps (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_exited_steps" AS
SELECT "report_date", "account_id", "flow_id", "step_number", "step_title", "exits", "failures", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_exited_steps/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_exited_steps" IS 'Drop-outs and failures per step.';

-- whatfix_report_flow_feedback (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_feedback" AS
SELECT "report_date", "account_id", "flow_id", "useful", "not_useful", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_feedback/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_feedback" IS 'Users who found the flow useful vs not.';

-- whatfix_report_flow_feedback_comments (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_feedback_comments" AS
SELECT "report_date", "account_id", "flow_id", "user_email", "feedback", "comment", "submitted_at", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_feedback_comments/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_feedback_comments" IS 'Feedback comments verbatim.';

-- whatfix_report_flow_feedback_comments_no (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_feedback_comments_no" AS
SELECT "report_date", "account_id", "flow_name", "user_email", "comment", "submitted_at", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_feedback_comments_no/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_feedback_comments_no" IS 'Feedback comments of users who answered No (all flows, no flowId).';

-- whatfix_report_flow_history (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_history" AS
SELECT "report_date", "account_id", "flow_id", "version", "edited_by", "edited_at", "change", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_history/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_history" IS 'Who edited the flow and when.';

-- whatfix_report_flow_played_by_widgets (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_played_by_widgets" AS
SELECT "report_date", "account_id", "flow_id", "widget", "times_played", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_played_by_widgets/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_played_by_widgets" IS 'Times the flow was played from each widget.';

-- whatfix_report_flow_summary_close_missed (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_summary_close_missed" AS
SELECT "report_date", "account_id", "flow_id", "flow_name", "step", "times_closed", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_summary_close_missed/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_summary_close_missed" IS 'Times flows were exited, by step.';

-- whatfix_report_flow_summary_completion_rate (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_summary_completion_rate" AS
SELECT "report_date", "account_id", "flow_id", "flow_name", "started", "completed", "not_completed", "completion_rate_pct", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_summary_completion_rate/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_summary_completion_rate" IS 'Flows started, completed and not completed.';

-- whatfix_report_flow_summary_completion_with_users (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_summary_completion_with_users" AS
SELECT "report_date", "account_id", "flow_id", "flow_name", "user_name", "user_email", "started_at", "completed_at", "time_taken_s", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_summary_completion_with_users/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_summary_completion_with_users" IS 'Flow completions with the user.';

-- whatfix_report_flow_summary_failure_with_users (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_summary_failure_with_users" AS
SELECT "report_date", "account_id", "flow_id", "flow_name", "user_name", "user_email", "failed_step", "failed_at", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_summary_failure_with_users/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_summary_failure_with_users" IS 'Flow failures with the user and step.';

-- whatfix_report_flow_summary_feedback (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_summary_feedback" AS
SELECT "report_date", "account_id", "flow_id", "flow_name", "useful", "not_useful", "useful_pct", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_summary_feedback/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_summary_feedback" IS 'Users who found flows useful vs not.';

-- whatfix_report_flow_summary_feedback_comments_yes (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_summary_feedback_comments_yes" AS
SELECT "report_date", "account_id", "flow_name", "user_email", "comment", "submitted_at", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_summary_feedback_comments_yes/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_summary_feedback_comments_yes" IS 'Feedback comments of users who answered Yes.';

-- whatfix_report_flow_summary_played_by_widgets (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_summary_played_by_widgets" AS
SELECT "report_date", "account_id", "widget", "flows_played", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_summary_played_by_widgets/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_summary_played_by_widgets" IS 'Flows played per widget (Self Help, Task List, Beacon, Guided Popup).';

-- whatfix_report_flow_summary_usage_by_day (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_summary_usage_by_day" AS
SELECT "report_date", "account_id", "date", "flow_name", "times_played", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_summary_usage_by_day/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_summary_usage_by_day" IS 'Times each flow was played per day.';

-- whatfix_report_flow_usage_by_day (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_flow_usage_by_day" AS
SELECT "report_date", "account_id", "flow_id", "date", "times_played", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_flow_usage_by_day/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_flow_usage_by_day" IS 'Times the flow was played per day.';

-- whatfix_report_guided_popup_effectiveness (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_guided_popup_effectiveness" AS
SELECT "report_date", "account_id", "popup_name", "times_shown", "flow_played", "dismissed", "play_rate_pct", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_guided_popup_effectiveness/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_guided_popup_effectiveness" IS 'Guided pop-ups shown and flows played from them.';

-- whatfix_report_most_popular_flows (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_most_popular_flows" AS
SELECT "report_date", "account_id", "flow_id", "flow_name", "views", "completions", "completion_rate", "avg_time_to_complete", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_most_popular_flows/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_most_popular_flows" IS 'Flows ranked by views.';

-- whatfix_report_popup_effectiveness (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_popup_effectiveness" AS
SELECT "report_date", "account_id", "popup_name", "times_shown", "clicks", "click_rate_pct", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_popup_effectiveness/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_popup_effectiveness" IS 'Pop-ups shown and clicked.';

-- whatfix_report_popup_effectiveness_with_users (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_popup_effectiveness_with_users" AS
SELECT "report_date", "account_id", "popup_name", "user_name", "user_email", "times_shown", "clicks", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_popup_effectiveness_with_users/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_popup_effectiveness_with_users" IS 'Pop-ups shown and clicked per user.';

-- whatfix_report_self_help_content_effectiveness (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_self_help_content_effectiveness" AS
SELECT "report_date", "account_id", "content_id", "content_name", "content_type", "views", "unique_users", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_self_help_content_effectiveness/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_self_help_content_effectiveness" IS 'Views of content played from Self Help.';

-- whatfix_report_self_help_queries_by_day (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_self_help_queries_by_day" AS
SELECT "report_date", "account_id", "date", "queries_served", "peak_hour_queries", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_self_help_queries_by_day/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_self_help_queries_by_day" IS 'Self Help queries served per day.';

-- whatfix_report_self_help_search_summary (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_self_help_search_summary" AS
SELECT "report_date", "account_id", "total_searches", "successful_searches", "unsuccessful_searches", "success_rate_pct", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_self_help_search_summary/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_self_help_search_summary" IS 'Successful vs unsuccessful Self Help searches.';

-- whatfix_report_self_help_successful_search_terms (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_self_help_successful_search_terms" AS
SELECT "report_date", "account_id", "search_term", "search_count", "clicks", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_self_help_successful_search_terms/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_self_help_successful_search_terms" IS 'Search terms that found results.';

-- whatfix_report_self_help_successful_search_terms_with_users (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_self_help_successful_search_terms_with_users" AS
SELECT "report_date", "account_id", "search_term", "user_name", "user_email", "searched_at", "clicked_content", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_self_help_successful_search_terms_with_users/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_self_help_successful_search_terms_with_users" IS 'Successful searches with the user who searched.';

-- whatfix_report_self_help_unsuccessful_search_terms (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_self_help_unsuccessful_search_terms" AS
SELECT "report_date", "account_id", "search_term", "search_count", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_self_help_unsuccessful_search_terms/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_self_help_unsuccessful_search_terms" IS 'Search terms that found nothing.';

-- whatfix_report_self_help_unsuccessful_search_terms_with_users (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_self_help_unsuccessful_search_terms_with_users" AS
SELECT "report_date", "account_id", "search_term", "user_name", "user_email", "searched_at", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_self_help_unsuccessful_search_terms_with_users/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_self_help_unsuccessful_search_terms_with_users" IS 'Unsuccessful searches with the user who searched.';

-- whatfix_report_smart_popup_effectiveness (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_smart_popup_effectiveness" AS
SELECT "report_date", "account_id", "popup_name", "times_shown", "unique_users", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_smart_popup_effectiveness/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_smart_popup_effectiveness" IS 'Smart pop-ups shown.';

-- whatfix_report_smart_tip_most_popular (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_smart_tip_most_popular" AS
SELECT "report_date", "account_id", "smart_tip_name", "times_played", "unique_users", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_smart_tip_most_popular/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_smart_tip_most_popular" IS 'Times each smart tip was played.';

-- whatfix_report_smart_tip_played_by_day (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_smart_tip_played_by_day" AS
SELECT "report_date", "account_id", "date", "times_played", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_smart_tip_played_by_day/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_smart_tip_played_by_day" IS 'Smart tips played per day.';

-- whatfix_report_smart_tip_with_users (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_smart_tip_with_users" AS
SELECT "report_date", "account_id", "smart_tip_name", "user_name", "user_email", "times_played", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_smart_tip_with_users/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_smart_tip_with_users" IS 'Smart tips played per user.';

-- whatfix_report_task_list_completion_by_user (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_task_list_completion_by_user" AS
SELECT "report_date", "account_id", "task_list_name", "segment", "user_name", "user_email", "tasks_completed", "total_tasks", "completion_rate_pct", "last_activity", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_task_list_completion_by_user/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_task_list_completion_by_user" IS 'Task list completion by segment and user.';

-- whatfix_report_usage (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_usage" AS
SELECT "report_date", "account_id", "date", "self_help_queries", "popups_shown", "task_list_tasks_started", "flows_played", "smart_tips_shown", "beacons_shown", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_usage/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_usage" IS 'Self Help queries, popups, task list starts, flows, smart tips and beacons shown.';

-- whatfix_report_user_action_details (replace-window)
CREATE OR REPLACE VIEW "whatfix_report_user_action_details" AS
SELECT "report_date", "account_id", "user_action", "occurrences", "unique_users", "last_occurred_at", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_report_user_action_details/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_report_user_action_details" IS 'User actions and how often they occurred.';

-- whatfix_segments (replace-all)
CREATE OR REPLACE VIEW "whatfix_segments" AS
SELECT "segment_id", "account_id", "name", "description", "user_count", "rules", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_segments/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_segments" IS 'User segments (full snapshot); rules kept whole as JSON.';

-- whatfix_self_help_analytics (replace-window)
CREATE OR REPLACE VIEW "whatfix_self_help_analytics" AS
SELECT "report_date", "account_id", "content_id", "content_name", "content_type", "views", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_self_help_analytics/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_self_help_analytics" IS 'Self Help content views per UTC day (analytics/self-help).';

-- whatfix_task_completion (replace-window)
CREATE OR REPLACE VIEW "whatfix_task_completion" AS
SELECT "report_date", "account_id", "user_id", "user_email", "task_list_id", "task_list_name", "completed_tasks", "total_tasks", "completion_rate", "last_activity_at", "_extra", "_extracted_at", "_run_id" FROM read_parquet('data/whatfix_task_completion/**/*.parquet', hive_partitioning = true, union_by_name = true);

COMMENT ON VIEW "whatfix_task_completion" IS 'Task list progress per end user, task list and UTC day (analytics/task-completion).';
