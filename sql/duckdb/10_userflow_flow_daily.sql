-- userflow_flow_daily: Userflow flows per UTC day of session start: sessions started and completed, preview sessions excluded.
-- Generated from views/views.go by `make generate`; do not edit.
-- Run after 00_tables.sql (`etl views --dialect duckdb --data DIR` prints both for a data directory).

CREATE OR REPLACE VIEW "userflow_flow_daily" ("day", "content_id", "flow_name", "starts", "completions", "completion_rate") AS
SELECT day, content_id, flow_name, starts, completions, CASE WHEN (starts) = 0 THEN NULL ELSE CAST(completions AS DOUBLE) / (starts) END AS completion_rate
FROM (
    SELECT CAST(timezone('UTC', created_at) AS DATE) AS day, content_id,
           CAST(count(*) AS BIGINT) AS starts,
           CAST(count(*) FILTER (WHERE (completed)) AS BIGINT) AS completions
    FROM "userflow_content_sessions"
    WHERE NOT (is_preview)
      AND content_id IN (SELECT id FROM "userflow_content" WHERE type = 'flow')
    GROUP BY CAST(timezone('UTC', created_at) AS DATE), content_id
) AS s
LEFT JOIN (SELECT id AS content_id, name AS flow_name FROM "userflow_content") AS c USING (content_id);

COMMENT ON VIEW "userflow_flow_daily" IS 'Userflow flows per UTC day of session start: sessions started and completed, preview sessions excluded.';

COMMENT ON COLUMN "userflow_flow_daily"."day" IS 'UTC day the session started (userflow_content_sessions.created_at)';

COMMENT ON COLUMN "userflow_flow_daily"."content_id" IS 'the flow (userflow_content_sessions.content_id = userflow_content.id)';

COMMENT ON COLUMN "userflow_flow_daily"."flow_name" IS 'userflow_content.name';

COMMENT ON COLUMN "userflow_flow_daily"."starts" IS 'sessions started that day (count of userflow_content_sessions.id)';

COMMENT ON COLUMN "userflow_flow_daily"."completions" IS 'of those, sessions completed so far (userflow_content_sessions.completed)';

COMMENT ON COLUMN "userflow_flow_daily"."completion_rate" IS 'completions / starts, 0..1; NULL without starts';
