CREATE TABLE IF NOT EXISTS `an`.`t_flat_local` ON CLUSTER `prod`
(
    `org` Nullable(String),
    `id` String,
    `seen_at` DateTime('UTC'),
    `_extracted_at` DateTime('UTC'),
    `_run_id` String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/an/t_flat_local', '{replica}')
ORDER BY (`org`, `id`);

CREATE TABLE IF NOT EXISTS `an`.`t_flat` ON CLUSTER `prod`
(
    `org` Nullable(String),
    `id` String,
    `seen_at` DateTime('UTC'),
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = Distributed('prod', 'an', 't_flat_local', cityHash64(assumeNotNull(`org`), `id`));
