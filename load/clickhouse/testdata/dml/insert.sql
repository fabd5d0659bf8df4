INSERT INTO `an`.`_stg_t_sessions_0123456789ab` (`id`, `created_at`, `last_activity_at`, `progress`, `completed_at`, `done`, `tags`, `note`, `n`, `d`, `_extracted_at`, `_run_id`);
