ALTER TABLE `an`.`t_sessions` REPLACE PARTITION 202611 FROM `an`.`_stg_t_sessions_0123456789ab`;

ALTER TABLE `an`.`t_dims` REPLACE PARTITION tuple() FROM `an`.`_stg_t_sessions_0123456789ab`;

ALTER TABLE `an`.`t_sessions` ATTACH PARTITION 202611 FROM `an`.`_stg_t_sessions_0123456789ab`;

ALTER TABLE `an`.`t_sessions` DROP PARTITION 202611;

SYSTEM SYNC REPLICA `an`.`_stg_t_sessions_0123456789ab`;
