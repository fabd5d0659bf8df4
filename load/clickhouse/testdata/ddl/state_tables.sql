CREATE TABLE IF NOT EXISTS `an`.`etl_state` (
    source String,
    stream String,
    watermark DateTime('UTC') COMMENT 'end (exclusive) of the last committed window; 1970-01-01 when none',
    last_run DateTime('UTC'),
    last_success DateTime('UTC'),
    last_status String,
    last_error String,
    run_id String,
    last_rows Int64 COMMENT 'rows the last committed run loaded',
    deleted UInt8 COMMENT '1 = forgotten by etl state reset',
    updated_at_ms UInt64
) ENGINE = ReplacingMergeTree(updated_at_ms) ORDER BY (source, stream);

CREATE TABLE IF NOT EXISTS `an`.`etl_backfill_progress` (
    plan_id String,
    task_key String,
    source String,
    stream String,
    done_at DateTime('UTC'),
    deleted UInt8,
    updated_at_ms UInt64
) ENGINE = ReplacingMergeTree(updated_at_ms) ORDER BY (plan_id, task_key);

CREATE TABLE IF NOT EXISTS `an`.`etl_backfill_plans` (
    plan_id String,
    command String,
    destination String,
    tasks UInt32,
    started DateTime('UTC'),
    completed DateTime('UTC') COMMENT '1970-01-01 while unfinished',
    updated_at_ms UInt64
) ENGINE = ReplacingMergeTree(updated_at_ms) ORDER BY plan_id;

CREATE TABLE IF NOT EXISTS `an`.`etl_locks` (
    name String,
    token String,
    host String,
    pid Int64,
    run_id String,
    command String,
    since_ms UInt64 COMMENT 'when the holder says it started',
    claimed_ms UInt64 COMMENT 'when the claim was made: claims are ordered by (claimed_ms, token)',
    heartbeat_ms UInt64,
    released UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (name, token);
