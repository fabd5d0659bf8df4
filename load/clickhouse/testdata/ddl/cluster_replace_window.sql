CREATE TABLE IF NOT EXISTS `an`.`t_report_local` ON CLUSTER `prod`
(
    `report_date` Date,
    `flow` String,
    `views` Nullable(Float64),
    `_extracted_at` DateTime('UTC'),
    `_run_id` String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/an/t_report_local', '{replica}')
PARTITION BY toYYYYMM(`report_date`)
ORDER BY (`report_date`, `flow`);

CREATE TABLE IF NOT EXISTS `an`.`t_report` ON CLUSTER `prod`
(
    `report_date` Date,
    `flow` String,
    `views` Nullable(Float64),
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = Distributed('prod', 'an', 't_report_local', cityHash64(`report_date`, `flow`));
