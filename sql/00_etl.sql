-- etl's own tables
-- Generated from the table declarations by `make generate`; do not edit.
-- {database} is replaced by the target database when `etl migrate` applies it.

-- etl_rejects (merge, key: source, stream, table_name, window_start, row_hash)
CREATE TABLE IF NOT EXISTS {database}.`etl_rejects_raw`
(
    `source` String,
    `stream` String,
    `table_name` String COMMENT 'table the row was meant for',
    `window_start` DateTime('UTC'),
    `window_end` DateTime('UTC'),
    `location` String COMMENT 'page, line or user the row came from',
    `reason` String,
    `raw` String COMMENT 'the source text of the row (CSV line or JSON)',
    `row_hash` String COMMENT 'hash of table, reason and raw: the same reject loaded twice is one row',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = ReplacingMergeTree(`_extracted_at`)
PARTITION BY toYYYYMM(`window_start`)
ORDER BY (`source`, `stream`, `table_name`, `window_start`, `row_hash`);
CREATE VIEW IF NOT EXISTS {database}.`etl_rejects` AS
SELECT `source`, `stream`, `table_name`, `window_start`, `window_end`, `location`, `reason`, `raw`, `row_hash`, `_extracted_at`, `_run_id`
FROM {database}.`etl_rejects_raw` FINAL;
