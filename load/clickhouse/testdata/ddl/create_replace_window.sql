CREATE TABLE IF NOT EXISTS `an`.`t_report`
(
    `report_date` Date,
    `flow` String,
    `views` Nullable(Float64),
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `flow`);
