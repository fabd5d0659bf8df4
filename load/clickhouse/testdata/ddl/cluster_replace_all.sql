CREATE TABLE IF NOT EXISTS `an`.`t_dims_local` ON CLUSTER `prod`
(
    `id` String,
    `name` String,
    `_extracted_at` DateTime('UTC'),
    `_run_id` String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/an/t_dims_local', '{replica}')
ORDER BY (`id`);

CREATE TABLE IF NOT EXISTS `an`.`t_dims` ON CLUSTER `prod`
(
    `id` String,
    `name` String,
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = Distributed('prod', 'an', 't_dims_local', cityHash64(`id`));
