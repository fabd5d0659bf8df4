CREATE TABLE `an`.`_stg_t_sessions_0123456789ab` AS `an`.`t_sessions`;
