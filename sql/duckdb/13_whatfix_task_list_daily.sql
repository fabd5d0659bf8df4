-- whatfix_task_list_daily: Whatfix task lists per report day: users, tasks completed out of tasks (analytics/task-completion).
-- Generated from views/views.go by `make generate`; do not edit.
-- Run after 00_tables.sql (`etl views --dialect duckdb --data DIR` prints both for a data directory).

CREATE OR REPLACE VIEW "whatfix_task_list_daily" ("day", "task_list_id", "task_list_name", "users", "users_all_done", "tasks_completed", "tasks_total", "task_completion_rate") AS
SELECT day, task_list_id, task_list_name, users, users_all_done, tasks_completed, tasks_total,
       CASE WHEN (tasks_total) = 0 THEN NULL ELSE CAST(tasks_completed AS DOUBLE) / (tasks_total) END AS task_completion_rate
FROM (
    SELECT report_date AS day, task_list_id,
           max(coalesce(task_list_name, '')) AS task_list_name,
           CAST(count(DISTINCT user_id) AS BIGINT) AS users,
           CAST(count(*) FILTER (WHERE total_tasks > 0 AND completed_tasks >= total_tasks) AS BIGINT) AS users_all_done,
           CAST(coalesce(sum(completed_tasks), 0) AS BIGINT) AS tasks_completed,
           CAST(coalesce(sum(total_tasks), 0) AS BIGINT) AS tasks_total
    FROM "whatfix_task_completion"
    GROUP BY report_date, task_list_id
) AS d;

COMMENT ON VIEW "whatfix_task_list_daily" IS 'Whatfix task lists per report day: users, tasks completed out of tasks (analytics/task-completion).';

COMMENT ON COLUMN "whatfix_task_list_daily"."day" IS 'whatfix_task_completion.report_date';

COMMENT ON COLUMN "whatfix_task_list_daily"."task_list_id" IS 'whatfix_task_completion.task_list_id (taskListId)';

COMMENT ON COLUMN "whatfix_task_list_daily"."task_list_name" IS 'whatfix_task_completion.task_list_name (taskListName); empty if absent';

COMMENT ON COLUMN "whatfix_task_list_daily"."users" IS 'users with a row that day (distinct user_id)';

COMMENT ON COLUMN "whatfix_task_list_daily"."users_all_done" IS 'users whose completed_tasks reached total_tasks';

COMMENT ON COLUMN "whatfix_task_list_daily"."tasks_completed" IS 'completed_tasks (completedTasks), summed';

COMMENT ON COLUMN "whatfix_task_list_daily"."tasks_total" IS 'total_tasks (totalTasks), summed';

COMMENT ON COLUMN "whatfix_task_list_daily"."task_completion_rate" IS 'tasks_completed / tasks_total, 0..1; NULL without tasks';
