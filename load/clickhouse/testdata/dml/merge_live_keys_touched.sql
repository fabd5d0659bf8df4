SELECT toString(toYYYYMM(`created_at`)) AS p, count() AS touched FROM `an`.`t_sessions` WHERE toYYYYMM(`created_at`) IN (202610, 202611) AND (`id`) IN (SELECT `id` FROM `an`.`_stg_t_sessions_0123456789ab` WHERE toYYYYMM(`created_at`) IN (202610, 202611)) GROUP BY p;

SELECT 'tuple()' AS p, count() AS touched FROM `an`.`t_sessions` WHERE 1 AND (`org`, `id`) IN (SELECT `org`, `id` FROM `an`.`_stg_t_sessions_0123456789ab` WHERE 1) GROUP BY p;
