DROP TABLE IF EXISTS `an`.`_stg_t_sessions_0123456789ab`;

RENAME TABLE `an`.`etl_migrating_t_sessions` TO `an`.`t_sessions`;
