-- etl's own tables
-- Generated from the table declarations by `make generate`; do not edit.
-- {database} is replaced by the target database when `etl migrate` applies it.

-- etl_rejects (replace-window, key: source, stream, table_name, row_hash)
CREATE TABLE IF NOT EXISTS {database}.`etl_rejects`
(
    `source` String,
    `stream` String,
    `table_name` String COMMENT 'table the row was meant for',
    `window_start` DateTime('UTC') COMMENT 'start of the window that last saw the row; the day its rejects are replaced by',
    `window_end` DateTime('UTC'),
    `location` String COMMENT 'page, line or user the row came from',
    `reason` String,
    `raw` String COMMENT 'the source text of the row (CSV line or JSON)',
    `row_hash` String COMMENT 'hash of table, reason and raw: with source, stream and table_name, the key of a reject',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`window_start`)
ORDER BY (`source`, `stream`, `table_name`, `row_hash`);
