DROP TABLE IF EXISTS `an`.`v_daily`;

CREATE VIEW IF NOT EXISTS `an`.`v_daily`
(
    `day` Date COMMENT 'the day',
    `id` String COMMENT 'the session',
    `views` Nullable(Float64) COMMENT 'from t_report'
) AS
SELECT toDate(created_at) AS day, id, views
FROM `an`.`t_sessions` AS s
ALL LEFT JOIN (SELECT flow AS id, views FROM `an`.`t_report`) AS r USING (id)
WHERE id NOT IN (SELECT id FROM `an`.`t_dims`);
