CREATE TABLE IF NOT EXISTS `an`.`etl_schema_migrations` (name String, version String, applied_at DateTime('UTC')) ENGINE = MergeTree ORDER BY (name, version);

CREATE TABLE IF NOT EXISTS `an`.`etl_schema_migrations` ON CLUSTER `prod` (name String, version String, applied_at DateTime('UTC')) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all-shards/an/etl_schema_migrations', '{shard}-{replica}') ORDER BY (name, version);
