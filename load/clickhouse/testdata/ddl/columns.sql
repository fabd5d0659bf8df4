ALTER TABLE `an`.`t_sessions` ADD COLUMN `id` String;

ALTER TABLE `an`.`t_sessions` ADD COLUMN `note` Nullable(String) COMMENT 'it\'s a note; with quotes' AFTER `tags`;

ALTER TABLE `an`.`t_sessions_local` ON CLUSTER `prod` ADD COLUMN `note` Nullable(String) AFTER `tags`;

ALTER TABLE `an`.`t_sessions` COMMENT COLUMN `note` 'it\'s a note; with quotes';
