SELECT DISTINCT toString(toYYYYMM(`window_start`)) FROM `an`.`etl_rejects` WHERE source = 'userflow' AND stream = 'content_sessions' AND ((`row_day` >= toDate('2026-11-01') AND `row_day` < toDate('2026-11-08')) OR (`row_day_from` = 'window' AND (source, stream, table_name, row_hash) IN (SELECT source, stream, table_name, row_hash FROM `an`.`_stg_etl_rejects_0123456789ab`))) UNION ALL SELECT DISTINCT toString(toYYYYMM(`window_start`)) FROM `an`.`_stg_etl_rejects_0123456789ab`;

INSERT INTO `an`.`_stg_etl_rejects_0123456789ab` SELECT * FROM `an`.`etl_rejects` WHERE toYYYYMM(`window_start`) IN (202610, 202611) AND NOT (source = 'userflow' AND stream = 'content_sessions' AND ((`row_day` >= toDate('2026-11-01') AND `row_day` < toDate('2026-11-08')) OR (`row_day_from` = 'window' AND (source, stream, table_name, row_hash) IN (SELECT source, stream, table_name, row_hash FROM `an`.`_stg_etl_rejects_0123456789ab`))));

INSERT INTO `an`.`_stg_etl_rejects_0123456789ab` SELECT * FROM `an`.`etl_rejects` WHERE toYYYYMM(`window_start`) IN (202611) AND NOT (source = 'userflow' AND stream = 'users' AND (1 OR (`row_day_from` = 'window' AND (source, stream, table_name, row_hash) IN (SELECT source, stream, table_name, row_hash FROM `an`.`_stg_etl_rejects_0123456789ab`))));

SELECT toString(toYYYYMM(`window_start`)) AS m, count() FROM `an`.`_stg_etl_rejects_0123456789ab` GROUP BY m;
