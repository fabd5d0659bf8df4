-- whatfix_task_list_daily: Whatfix task lists per report day: users, tasks completed out of tasks (analytics/task-completion).
-- Generated from views/views.go by `make generate`; do not edit.
-- {database} is replaced by the target database. `etl migrate` applies it (on 18.16 as DROP + CREATE,
-- on current releases as CREATE OR REPLACE VIEW when the definition changed).

CREATE VIEW IF NOT EXISTS {database}.`whatfix_task_list_daily`
(
    `day` Date COMMENT 'whatfix_task_completion.report_date',
    `task_list_id` String COMMENT 'whatfix_task_completion.task_list_id (taskListId)',
    `task_list_name` String COMMENT 'whatfix_task_completion.task_list_name (taskListName); empty if absent',
    `users` Int64 COMMENT 'users with a row that day (distinct user_id)',
    `users_all_done` Int64 COMMENT 'users whose completed_tasks reached total_tasks',
    `tasks_completed` Int64 COMMENT 'completed_tasks (completedTasks), summed',
    `tasks_total` Int64 COMMENT 'total_tasks (totalTasks), summed',
    `task_completion_rate` Nullable(Float64) COMMENT 'tasks_completed / tasks_total, 0..1; NULL without tasks'
) AS
SELECT day, task_list_id, task_list_name, users, users_all_done, tasks_completed, tasks_total,
       CASE WHEN (tasks_total) = 0 THEN NULL ELSE toFloat64(tasks_completed) / (tasks_total) END AS task_completion_rate
FROM (
    SELECT report_date AS day, task_list_id,
           max(coalesce(task_list_name, '')) AS task_list_name,
           toInt64(count(DISTINCT user_id)) AS users,
           toInt64(countIf(ifNull(total_tasks > 0 AND completed_tasks >= total_tasks, 0))) AS users_all_done,
           toInt64(coalesce(sum(completed_tasks), 0)) AS tasks_completed,
           toInt64(coalesce(sum(total_tasks), 0)) AS tasks_total
    FROM {database}.`whatfix_task_completion`
    GROUP BY report_date, task_list_id
) AS d;
