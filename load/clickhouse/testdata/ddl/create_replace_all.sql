CREATE TABLE IF NOT EXISTS `an`.`t_dims`
(
    `id` String,
    `name` String,
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`id`);
