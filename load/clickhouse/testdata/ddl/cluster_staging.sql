CREATE TABLE `an`.`_stg_t_sessions_local_0123456789ab` AS `an`.`t_sessions_local`
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/an/_stg_t_sessions_local_0123456789ab', '{replica}')
PARTITION BY toYYYYMM(`created_at`)
ORDER BY (`id`)
SETTINGS replicated_max_ratio_of_wrong_parts = 1;

CREATE TABLE `an`.`_stg_t_sessions_0123456789ab` AS `an`.`_stg_t_sessions_local_0123456789ab`
ENGINE = Distributed('prod', 'an', '_stg_t_sessions_local_0123456789ab', cityHash64(`id`));

CREATE TABLE `an`.`_stg_t_sessions_ba9876543210` AS `an`.`t_sessions_local`
ENGINE = MergeTree
PARTITION BY toYYYYMM(`created_at`)
ORDER BY (`id`);
