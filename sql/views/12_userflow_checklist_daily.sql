-- userflow_checklist_daily: Userflow checklists per UTC day of session start: sessions, completed checklists and tasks done out of tasks shown, preview sessions excluded.
-- Generated from views/views.go by `make generate`; do not edit.
-- {database} is replaced by the target database. `etl migrate` applies it (on 18.16 as DROP + CREATE,
-- on current releases as CREATE OR REPLACE VIEW when the definition changed).

CREATE VIEW IF NOT EXISTS {database}.`userflow_checklist_daily`
(
    `day` Date COMMENT 'UTC day the checklist session started (userflow_content_sessions.created_at)',
    `content_id` String COMMENT 'the checklist (userflow_content.id)',
    `checklist_name` String COMMENT 'userflow_content.name',
    `sessions` Int64 COMMENT 'checklist sessions started that day',
    `completed_sessions` Int64 COMMENT 'of those, sessions with every task done (userflow_content_sessions.completed)',
    `tasks_total` Int64 COMMENT 'tasks shown: per session, the tasks of its version (userflow_checklist_tasks), summed',
    `tasks_completed` Int64 COMMENT 'tasks done: per session, progress x tasks of its version, summed',
    `task_completion_rate` Nullable(Float64) COMMENT 'tasks_completed / tasks_total, 0..1; NULL without tasks'
) AS
SELECT day, content_id, checklist_name, sessions, completed_sessions, tasks_total, tasks_completed,
       CASE WHEN (tasks_total) = 0 THEN NULL ELSE toFloat64(tasks_completed) / (tasks_total) END AS task_completion_rate
FROM (
    SELECT toDate(created_at) AS day, content_id,
           toInt64(count(*)) AS sessions,
           toInt64(countIf(ifNull((completed = 1), 0))) AS completed_sessions,
           toInt64(sum(tasks)) AS tasks_total,
           toInt64(sum(round(progress * tasks))) AS tasks_completed
    FROM (
        SELECT created_at, content_id, version_id, completed, progress
        FROM {database}.`userflow_content_sessions`
        WHERE NOT (is_preview = 1)
          AND content_id IN (SELECT id FROM {database}.`userflow_content` WHERE type = 'checklist')
    ) AS s
    ALL LEFT JOIN (SELECT version_id, toInt64(count(*)) AS tasks FROM {database}.`userflow_checklist_tasks` GROUP BY version_id) AS k USING (version_id)
    GROUP BY toDate(created_at), content_id
) AS d
ALL LEFT JOIN (SELECT id AS content_id, name AS checklist_name FROM {database}.`userflow_content`) AS c USING (content_id);
