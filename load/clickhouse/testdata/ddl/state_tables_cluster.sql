CREATE TABLE IF NOT EXISTS `an`.`etl_state` ON CLUSTER `prod` (
    source String,
    stream String,
    watermark DateTime('UTC'),
    last_run DateTime('UTC'),
    last_success DateTime('UTC'),
    last_status String,
    last_error String,
    run_id String,
    last_rows Int64,
    deleted UInt8,
    updated_at_ms UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all-shards/an/etl_state', '{shard}-{replica}', updated_at_ms) ORDER BY (source, stream);

CREATE TABLE IF NOT EXISTS `an`.`etl_backfill_progress` ON CLUSTER `prod` (
    plan_id String,
    task_key String,
    source String,
    stream String,
    done_at DateTime('UTC'),
    deleted UInt8,
    updated_at_ms UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all-shards/an/etl_backfill_progress', '{shard}-{replica}', updated_at_ms) ORDER BY (plan_id, task_key);

CREATE TABLE IF NOT EXISTS `an`.`etl_backfill_plans` ON CLUSTER `prod` (
    plan_id String,
    command String,
    destination String,
    tasks UInt32,
    started DateTime('UTC'),
    completed DateTime('UTC'),
    updated_at_ms UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all-shards/an/etl_backfill_plans', '{shard}-{replica}', updated_at_ms) ORDER BY plan_id;

CREATE TABLE IF NOT EXISTS `an`.`etl_locks` ON CLUSTER `prod` (
    name String,
    token String,
    host String,
    pid Int64,
    run_id String,
    command String,
    since_ms UInt64,
    claimed_ms UInt64,
    heartbeat_ms UInt64,
    released UInt8,
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all-shards/an/etl_locks', '{shard}-{replica}', version) ORDER BY (name, token);
