-- daily_overview: One row per UTC day across sources, summed from the curated views above; a source without data that day shows 0.
-- Generated from views/views.go by `make generate`; do not edit.
-- {database} is replaced by the target database. `etl migrate` applies it (on 18.16 as DROP + CREATE,
-- on current releases as CREATE OR REPLACE VIEW when the definition changed).

CREATE VIEW IF NOT EXISTS {database}.`daily_overview`
(
    `day` Date COMMENT 'UTC day',
    `userflow_flow_starts` Int64 COMMENT 'userflow_flow_daily.starts, summed over flows',
    `userflow_flow_completions` Int64 COMMENT 'userflow_flow_daily.completions, summed',
    `userflow_completion_rate` Nullable(Float64) COMMENT 'userflow_flow_completions / userflow_flow_starts, 0..1',
    `userflow_nps_respondents` Int64 COMMENT 'userflow_nps_daily.respondents, summed over questions',
    `userflow_nps` Nullable(Float64) COMMENT 'NPS over every NPS answer of the day, -100..100',
    `whatfix_flow_starts` Int64 COMMENT 'whatfix_flow_daily.starts, summed over flows',
    `whatfix_flow_completions` Int64 COMMENT 'whatfix_flow_daily.completions, summed',
    `whatfix_completion_rate` Nullable(Float64) COMMENT 'whatfix_flow_completions / whatfix_flow_starts, 0..1',
    `whatfix_searches` Int64 COMMENT 'whatfix_self_help_search_daily.searches',
    `whatfix_search_success_rate` Nullable(Float64) COMMENT 'successful / all Self Help searches, 0..1',
    `bot_messages` Int64 COMMENT 'bot_channel_daily.messages, summed over channels',
    `bot_active_users` Int64 COMMENT 'bot_channel_daily.active_users, summed over channels (a user id is per channel)',
    `technowiz_messages` Int64 COMMENT 'technowiz_conversations.messages, summed',
    `technowiz_conversations` Int64 COMMENT 'technowiz_conversations rows (users with messages that day)'
) AS
SELECT day,
       toInt64(sum(uf_starts)) AS userflow_flow_starts,
       toInt64(sum(uf_completions)) AS userflow_flow_completions,
       CASE WHEN (sum(uf_starts)) = 0 THEN NULL ELSE toFloat64(sum(uf_completions)) / (sum(uf_starts)) END AS userflow_completion_rate,
       toInt64(sum(nps_respondents)) AS userflow_nps_respondents,
       CASE WHEN (sum(nps_respondents)) = 0 THEN NULL ELSE toFloat64((sum(nps_promoters) - sum(nps_detractors)) * 100) / (sum(nps_respondents)) END AS userflow_nps,
       toInt64(sum(wf_starts)) AS whatfix_flow_starts,
       toInt64(sum(wf_completions)) AS whatfix_flow_completions,
       CASE WHEN (sum(wf_starts)) = 0 THEN NULL ELSE toFloat64(sum(wf_completions)) / (sum(wf_starts)) END AS whatfix_completion_rate,
       toInt64(sum(wf_searches)) AS whatfix_searches,
       CASE WHEN (sum(wf_searches)) = 0 THEN NULL ELSE toFloat64(sum(wf_searches_ok)) / (sum(wf_searches)) END AS whatfix_search_success_rate,
       toInt64(sum(bot_msgs)) AS bot_messages,
       toInt64(sum(bot_users)) AS bot_active_users,
       toInt64(sum(tw_msgs)) AS technowiz_messages,
       toInt64(sum(tw_convs)) AS technowiz_conversations
FROM (
    SELECT day, starts AS uf_starts, completions AS uf_completions, toInt64(0) AS nps_respondents, toInt64(0) AS nps_promoters, toInt64(0) AS nps_detractors, toInt64(0) AS wf_starts, toInt64(0) AS wf_completions, toInt64(0) AS wf_searches, toInt64(0) AS wf_searches_ok, toInt64(0) AS bot_msgs, toInt64(0) AS bot_users, toInt64(0) AS tw_msgs, toInt64(0) AS tw_convs
    FROM {database}.`userflow_flow_daily`
    UNION ALL
    SELECT day, toInt64(0) AS uf_starts, toInt64(0) AS uf_completions, respondents AS nps_respondents, promoters AS nps_promoters, detractors AS nps_detractors, toInt64(0) AS wf_starts, toInt64(0) AS wf_completions, toInt64(0) AS wf_searches, toInt64(0) AS wf_searches_ok, toInt64(0) AS bot_msgs, toInt64(0) AS bot_users, toInt64(0) AS tw_msgs, toInt64(0) AS tw_convs
    FROM {database}.`userflow_nps_daily`
    UNION ALL
    SELECT day, toInt64(0) AS uf_starts, toInt64(0) AS uf_completions, toInt64(0) AS nps_respondents, toInt64(0) AS nps_promoters, toInt64(0) AS nps_detractors, starts AS wf_starts, completions AS wf_completions, toInt64(0) AS wf_searches, toInt64(0) AS wf_searches_ok, toInt64(0) AS bot_msgs, toInt64(0) AS bot_users, toInt64(0) AS tw_msgs, toInt64(0) AS tw_convs
    FROM {database}.`whatfix_flow_daily`
    UNION ALL
    SELECT day, toInt64(0) AS uf_starts, toInt64(0) AS uf_completions, toInt64(0) AS nps_respondents, toInt64(0) AS nps_promoters, toInt64(0) AS nps_detractors, toInt64(0) AS wf_starts, toInt64(0) AS wf_completions, searches AS wf_searches, successful_searches AS wf_searches_ok, toInt64(0) AS bot_msgs, toInt64(0) AS bot_users, toInt64(0) AS tw_msgs, toInt64(0) AS tw_convs
    FROM {database}.`whatfix_self_help_search_daily`
    UNION ALL
    SELECT day, toInt64(0) AS uf_starts, toInt64(0) AS uf_completions, toInt64(0) AS nps_respondents, toInt64(0) AS nps_promoters, toInt64(0) AS nps_detractors, toInt64(0) AS wf_starts, toInt64(0) AS wf_completions, toInt64(0) AS wf_searches, toInt64(0) AS wf_searches_ok, messages AS bot_msgs, active_users AS bot_users, toInt64(0) AS tw_msgs, toInt64(0) AS tw_convs
    FROM {database}.`bot_channel_daily`
    UNION ALL
    SELECT day, toInt64(0) AS uf_starts, toInt64(0) AS uf_completions, toInt64(0) AS nps_respondents, toInt64(0) AS nps_promoters, toInt64(0) AS nps_detractors, toInt64(0) AS wf_starts, toInt64(0) AS wf_completions, toInt64(0) AS wf_searches, toInt64(0) AS wf_searches_ok, toInt64(0) AS bot_msgs, toInt64(0) AS bot_users, messages AS tw_msgs, toInt64(1) AS tw_convs
    FROM {database}.`technowiz_conversations`
) AS u
GROUP BY day;
