SELECT toString(toYYYYMM(`created_at`)) AS p, toUInt64(count() = uniqExact(cityHash64(`id`))) AS one_row_per_key FROM `an`.`_stg_t_sessions_0123456789ab` GROUP BY p;

SELECT 'tuple()' AS p, toUInt64(count() = uniqExact(cityHash64(`org`, `id`))) AS one_row_per_key FROM `an`.`_stg_t_sessions_0123456789ab` GROUP BY p;
