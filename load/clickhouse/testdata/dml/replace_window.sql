INSERT INTO `an`.`_stg_t_sessions_0123456789ab` SELECT * FROM `an`.`t_report` WHERE toYYYYMM(`report_date`) = 202610 AND NOT (`report_date` >= toDate('2026-10-30') AND `report_date` < toDate('2026-11-02'));

INSERT INTO `an`.`_stg_t_sessions_0123456789ab` SELECT * FROM `an`.`t_events` WHERE toYYYYMM(`at`) = 202611 AND NOT (`at` >= toDateTime('2026-11-01 06:00:00', 'UTC') AND `at` < toDateTime('2026-11-02 00:00:00', 'UTC'));

SELECT toString(toYYYYMM(`report_date`)) AS m, count() FROM `an`.`_stg_t_sessions_0123456789ab` GROUP BY m;
