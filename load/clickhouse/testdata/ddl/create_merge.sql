CREATE TABLE IF NOT EXISTS `an`.`t_sessions`
(
    `id` String,
    `created_at` DateTime('UTC'),
    `last_activity_at` DateTime('UTC'),
    `progress` Float64,
    `completed_at` Nullable(DateTime('UTC')),
    `done` UInt8,
    `tags` Array(String),
    `note` Nullable(String) COMMENT 'it\'s a note; with quotes',
    `n` Nullable(Int64),
    `d` Date,
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`created_at`)
ORDER BY (`id`);
