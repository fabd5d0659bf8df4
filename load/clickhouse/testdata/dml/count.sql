SELECT count() FROM `an`.`_stg_t_sessions_0123456789ab`;

SELECT count() FROM `an`.`_stg_t_sessions_0123456789ab` WHERE toYYYYMM(`created_at`) = 202611;
