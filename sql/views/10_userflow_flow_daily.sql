-- userflow_flow_daily: Userflow flows per UTC day of session start: sessions started and completed, preview sessions excluded.
-- Generated from views/views.go by `make generate`; do not edit.
-- {database} is replaced by the target database. `etl migrate` applies it (on 18.16 as DROP + CREATE,
-- on current releases as CREATE OR REPLACE VIEW when the definition changed).

CREATE VIEW IF NOT EXISTS {database}.`userflow_flow_daily`
(
    `day` Date COMMENT 'UTC day the session started (userflow_content_sessions.created_at)',
    `content_id` String COMMENT 'the flow (userflow_content_sessions.content_id = userflow_content.id)',
    `flow_name` String COMMENT 'userflow_content.name',
    `starts` Int64 COMMENT 'sessions started that day (count of userflow_content_sessions.id)',
    `completions` Int64 COMMENT 'of those, sessions completed so far (userflow_content_sessions.completed)',
    `completion_rate` Nullable(Float64) COMMENT 'completions / starts, 0..1; NULL without starts'
) AS
SELECT day, content_id, flow_name, starts, completions, CASE WHEN (starts) = 0 THEN NULL ELSE toFloat64(completions) / (starts) END AS completion_rate
FROM (
    SELECT toDate(created_at) AS day, content_id,
           toInt64(count(*)) AS starts,
           toInt64(countIf(ifNull((completed = 1), 0))) AS completions
    FROM {database}.`userflow_content_sessions`
    WHERE NOT (is_preview = 1)
      AND content_id IN (SELECT id FROM {database}.`userflow_content` WHERE type = 'flow')
    GROUP BY toDate(created_at), content_id
) AS s
ALL LEFT JOIN (SELECT id AS content_id, name AS flow_name FROM {database}.`userflow_content`) AS c USING (content_id);
