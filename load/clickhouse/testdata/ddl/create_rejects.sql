CREATE TABLE IF NOT EXISTS `an`.`etl_rejects`
(
    `source` String,
    `stream` String,
    `table_name` String COMMENT 'table the row was meant for',
    `window_start` DateTime('UTC') COMMENT 'start of the window that last saw the row',
    `window_end` DateTime('UTC'),
    `row_day` Date DEFAULT toDate(window_start) COMMENT 'the row\'s UTC day (its table\'s day column) or, when it has none that reads, the first day of the window that saw it; a load of the stream that covers this day replaces the reject',
    `row_day_from` String DEFAULT 'window' COMMENT 'row: row_day is the row\'s own day; window: the row has no day that reads, so row_day is its window\'s and the reject also goes when another window sees it again',
    `location` String COMMENT 'page, line or user the row came from',
    `reason` String,
    `raw` String COMMENT 'the source text of the row (CSV line or JSON)',
    `row_hash` String COMMENT 'hash of table, reason and raw: with source, stream, table_name and row_day, the key of a reject',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`window_start`)
ORDER BY (`source`, `stream`, `table_name`, `row_hash`);
