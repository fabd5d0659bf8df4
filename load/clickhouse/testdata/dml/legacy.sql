SELECT DISTINCT toString(toYYYYMM(`created_at`)) FROM `an`.`t_sessions_raw`;

INSERT INTO `an`.`etl_migrating_t_sessions` (`id`, `created_at`, `last_activity_at`) SELECT `id`, `created_at`, `last_activity_at` FROM `an`.`t_sessions_raw` WHERE toYYYYMM(`created_at`) = 202611 ORDER BY `id`, `last_activity_at` DESC LIMIT 1 BY `id`;

SELECT uniqExact(`id`) FROM `an`.`t_sessions_raw`;

SELECT count() FROM (SELECT DISTINCT `id` FROM `an`.`t_sessions_raw`) WHERE (`id`) NOT IN (SELECT `id` FROM `an`.`t_sessions`);

INSERT INTO `an`.`etl_rejects` (`source`, `stream`, `table_name`, `row_hash`) SELECT `source`, `stream`, `table_name`, `row_hash` FROM `an`.`etl_rejects_raw` FINAL ORDER BY window_start DESC LIMIT 1 BY source, stream, table_name, row_hash;
