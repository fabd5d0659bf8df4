-- daily_overview: One row per UTC day across sources, summed from the curated views above; a source without data that day shows 0.
-- Generated from views/views.go by `make generate`; do not edit.
-- Run after 00_tables.sql (`etl views --dialect duckdb --data DIR` prints both for a data directory).

CREATE OR REPLACE VIEW "daily_overview" ("day", "userflow_flow_starts", "userflow_flow_completions", "userflow_completion_rate", "userflow_nps_respondents", "userflow_nps", "whatfix_flow_starts", "whatfix_flow_completions", "whatfix_completion_rate", "whatfix_searches", "whatfix_search_success_rate", "bot_messages", "bot_active_users", "technowiz_messages", "technowiz_conversations") AS
SELECT day,
       CAST(sum(uf_starts) AS BIGINT) AS userflow_flow_starts,
       CAST(sum(uf_completions) AS BIGINT) AS userflow_flow_completions,
       CASE WHEN (sum(uf_starts)) = 0 THEN NULL ELSE CAST(sum(uf_completions) AS DOUBLE) / (sum(uf_starts)) END AS userflow_completion_rate,
       CAST(sum(nps_respondents) AS BIGINT) AS userflow_nps_respondents,
       CASE WHEN (sum(nps_respondents)) = 0 THEN NULL ELSE CAST((sum(nps_promoters) - sum(nps_detractors)) * 100 AS DOUBLE) / (sum(nps_respondents)) END AS userflow_nps,
       CAST(sum(wf_starts) AS BIGINT) AS whatfix_flow_starts,
       CAST(sum(wf_completions) AS BIGINT) AS whatfix_flow_completions,
       CASE WHEN (sum(wf_starts)) = 0 THEN NULL ELSE CAST(sum(wf_completions) AS DOUBLE) / (sum(wf_starts)) END AS whatfix_completion_rate,
       CAST(sum(wf_searches) AS BIGINT) AS whatfix_searches,
       CASE WHEN (sum(wf_searches)) = 0 THEN NULL ELSE CAST(sum(wf_searches_ok) AS DOUBLE) / (sum(wf_searches)) END AS whatfix_search_success_rate,
       CAST(sum(bot_msgs) AS BIGINT) AS bot_messages,
       CAST(sum(bot_users) AS BIGINT) AS bot_active_users,
       CAST(sum(tw_msgs) AS BIGINT) AS technowiz_messages,
       CAST(sum(tw_convs) AS BIGINT) AS technowiz_conversations
FROM (
    SELECT day, starts AS uf_starts, completions AS uf_completions, CAST(0 AS BIGINT) AS nps_respondents, CAST(0 AS BIGINT) AS nps_promoters, CAST(0 AS BIGINT) AS nps_detractors, CAST(0 AS BIGINT) AS wf_starts, CAST(0 AS BIGINT) AS wf_completions, CAST(0 AS BIGINT) AS wf_searches, CAST(0 AS BIGINT) AS wf_searches_ok, CAST(0 AS BIGINT) AS bot_msgs, CAST(0 AS BIGINT) AS bot_users, CAST(0 AS BIGINT) AS tw_msgs, CAST(0 AS BIGINT) AS tw_convs
    FROM "userflow_flow_daily"
    UNION ALL
    SELECT day, CAST(0 AS BIGINT) AS uf_starts, CAST(0 AS BIGINT) AS uf_completions, respondents AS nps_respondents, promoters AS nps_promoters, detractors AS nps_detractors, CAST(0 AS BIGINT) AS wf_starts, CAST(0 AS BIGINT) AS wf_completions, CAST(0 AS BIGINT) AS wf_searches, CAST(0 AS BIGINT) AS wf_searches_ok, CAST(0 AS BIGINT) AS bot_msgs, CAST(0 AS BIGINT) AS bot_users, CAST(0 AS BIGINT) AS tw_msgs, CAST(0 AS BIGINT) AS tw_convs
    FROM "userflow_nps_daily"
    UNION ALL
    SELECT day, CAST(0 AS BIGINT) AS uf_starts, CAST(0 AS BIGINT) AS uf_completions, CAST(0 AS BIGINT) AS nps_respondents, CAST(0 AS BIGINT) AS nps_promoters, CAST(0 AS BIGINT) AS nps_detractors, starts AS wf_starts, completions AS wf_completions, CAST(0 AS BIGINT) AS wf_searches, CAST(0 AS BIGINT) AS wf_searches_ok, CAST(0 AS BIGINT) AS bot_msgs, CAST(0 AS BIGINT) AS bot_users, CAST(0 AS BIGINT) AS tw_msgs, CAST(0 AS BIGINT) AS tw_convs
    FROM "whatfix_flow_daily"
    UNION ALL
    SELECT day, CAST(0 AS BIGINT) AS uf_starts, CAST(0 AS BIGINT) AS uf_completions, CAST(0 AS BIGINT) AS nps_respondents, CAST(0 AS BIGINT) AS nps_promoters, CAST(0 AS BIGINT) AS nps_detractors, CAST(0 AS BIGINT) AS wf_starts, CAST(0 AS BIGINT) AS wf_completions, searches AS wf_searches, successful_searches AS wf_searches_ok, CAST(0 AS BIGINT) AS bot_msgs, CAST(0 AS BIGINT) AS bot_users, CAST(0 AS BIGINT) AS tw_msgs, CAST(0 AS BIGINT) AS tw_convs
    FROM "whatfix_self_help_search_daily"
    UNION ALL
    SELECT day, CAST(0 AS BIGINT) AS uf_starts, CAST(0 AS BIGINT) AS uf_completions, CAST(0 AS BIGINT) AS nps_respondents, CAST(0 AS BIGINT) AS nps_promoters, CAST(0 AS BIGINT) AS nps_detractors, CAST(0 AS BIGINT) AS wf_starts, CAST(0 AS BIGINT) AS wf_completions, CAST(0 AS BIGINT) AS wf_searches, CAST(0 AS BIGINT) AS wf_searches_ok, messages AS bot_msgs, active_users AS bot_users, CAST(0 AS BIGINT) AS tw_msgs, CAST(0 AS BIGINT) AS tw_convs
    FROM "bot_channel_daily"
    UNION ALL
    SELECT day, CAST(0 AS BIGINT) AS uf_starts, CAST(0 AS BIGINT) AS uf_completions, CAST(0 AS BIGINT) AS nps_respondents, CAST(0 AS BIGINT) AS nps_promoters, CAST(0 AS BIGINT) AS nps_detractors, CAST(0 AS BIGINT) AS wf_starts, CAST(0 AS BIGINT) AS wf_completions, CAST(0 AS BIGINT) AS wf_searches, CAST(0 AS BIGINT) AS wf_searches_ok, CAST(0 AS BIGINT) AS bot_msgs, CAST(0 AS BIGINT) AS bot_users, messages AS tw_msgs, CAST(1 AS BIGINT) AS tw_convs
    FROM "technowiz_conversations"
) AS u
GROUP BY day;

COMMENT ON VIEW "daily_overview" IS 'One row per UTC day across sources, summed from the curated views above; a source without data that day shows 0.';

COMMENT ON COLUMN "daily_overview"."day" IS 'UTC day';

COMMENT ON COLUMN "daily_overview"."userflow_flow_starts" IS 'userflow_flow_daily.starts, summed over flows';

COMMENT ON COLUMN "daily_overview"."userflow_flow_completions" IS 'userflow_flow_daily.completions, summed';

COMMENT ON COLUMN "daily_overview"."userflow_completion_rate" IS 'userflow_flow_completions / userflow_flow_starts, 0..1';

COMMENT ON COLUMN "daily_overview"."userflow_nps_respondents" IS 'userflow_nps_daily.respondents, summed over questions';

COMMENT ON COLUMN "daily_overview"."userflow_nps" IS 'NPS over every NPS answer of the day, -100..100';

COMMENT ON COLUMN "daily_overview"."whatfix_flow_starts" IS 'whatfix_flow_daily.starts, summed over flows';

COMMENT ON COLUMN "daily_overview"."whatfix_flow_completions" IS 'whatfix_flow_daily.completions, summed';

COMMENT ON COLUMN "daily_overview"."whatfix_completion_rate" IS 'whatfix_flow_completions / whatfix_flow_starts, 0..1';

COMMENT ON COLUMN "daily_overview"."whatfix_searches" IS 'whatfix_self_help_search_daily.searches';

COMMENT ON COLUMN "daily_overview"."whatfix_search_success_rate" IS 'successful / all Self Help searches, 0..1';

COMMENT ON COLUMN "daily_overview"."bot_messages" IS 'bot_channel_daily.messages, summed over channels';

COMMENT ON COLUMN "daily_overview"."bot_active_users" IS 'bot_channel_daily.active_users, summed over channels (a user id is per channel)';

COMMENT ON COLUMN "daily_overview"."technowiz_messages" IS 'technowiz_conversations.messages, summed';

COMMENT ON COLUMN "daily_overview"."technowiz_conversations" IS 'technowiz_conversations rows (users with messages that day)';
