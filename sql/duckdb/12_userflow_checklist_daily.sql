-- userflow_checklist_daily: Userflow checklists per UTC day of session start: sessions, completed checklists and tasks done out of tasks shown, preview sessions excluded.
-- Generated from views/views.go by `make generate`; do not edit.
-- Run after 00_tables.sql (`etl views --dialect duckdb --data DIR` prints both for a data directory).

CREATE OR REPLACE VIEW "userflow_checklist_daily" ("day", "content_id", "checklist_name", "sessions", "completed_sessions", "tasks_total", "tasks_completed", "task_completion_rate") AS
SELECT day, content_id, checklist_name, sessions, completed_sessions, tasks_total, tasks_completed,
       CASE WHEN (tasks_total) = 0 THEN NULL ELSE CAST(tasks_completed AS DOUBLE) / (tasks_total) END AS task_completion_rate
FROM (
    SELECT CAST(timezone('UTC', created_at) AS DATE) AS day, content_id,
           CAST(count(*) AS BIGINT) AS sessions,
           CAST(count(*) FILTER (WHERE (completed)) AS BIGINT) AS completed_sessions,
           CAST(sum(tasks) AS BIGINT) AS tasks_total,
           CAST(sum(round(progress * tasks)) AS BIGINT) AS tasks_completed
    FROM (
        SELECT created_at, content_id, version_id, completed, progress
        FROM "userflow_content_sessions"
        WHERE NOT (is_preview)
          AND content_id IN (SELECT id FROM "userflow_content" WHERE type = 'checklist')
    ) AS s
    LEFT JOIN (SELECT version_id, CAST(count(*) AS BIGINT) AS tasks FROM "userflow_checklist_tasks" GROUP BY version_id) AS k USING (version_id)
    GROUP BY CAST(timezone('UTC', created_at) AS DATE), content_id
) AS d
LEFT JOIN (SELECT id AS content_id, name AS checklist_name FROM "userflow_content") AS c USING (content_id);

COMMENT ON VIEW "userflow_checklist_daily" IS 'Userflow checklists per UTC day of session start: sessions, completed checklists and tasks done out of tasks shown, preview sessions excluded.';

COMMENT ON COLUMN "userflow_checklist_daily"."day" IS 'UTC day the checklist session started (userflow_content_sessions.created_at)';

COMMENT ON COLUMN "userflow_checklist_daily"."content_id" IS 'the checklist (userflow_content.id)';

COMMENT ON COLUMN "userflow_checklist_daily"."checklist_name" IS 'userflow_content.name';

COMMENT ON COLUMN "userflow_checklist_daily"."sessions" IS 'checklist sessions started that day';

COMMENT ON COLUMN "userflow_checklist_daily"."completed_sessions" IS 'of those, sessions with every task done (userflow_content_sessions.completed)';

COMMENT ON COLUMN "userflow_checklist_daily"."tasks_total" IS 'tasks shown: per session, the tasks of its version (userflow_checklist_tasks), summed';

COMMENT ON COLUMN "userflow_checklist_daily"."tasks_completed" IS 'tasks done: per session, progress x tasks of its version, summed';

COMMENT ON COLUMN "userflow_checklist_daily"."task_completion_rate" IS 'tasks_completed / tasks_total, 0..1; NULL without tasks';
