CREATE TABLE IF NOT EXISTS `an`.`t_flat`
(
    `org` Nullable(String),
    `id` String,
    `seen_at` DateTime('UTC'),
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`org`, `id`);
