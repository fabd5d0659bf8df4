-- source technowiz
-- Generated from the table declarations by `make generate`; do not edit.
-- {database} is replaced by the target database when `etl migrate` applies it.

-- technowiz_users (replace-all, key: user_id)
CREATE TABLE IF NOT EXISTS {database}.`technowiz_users`
(
    `user_id` String COMMENT 'userId',
    `user_name` Nullable(String) COMMENT 'userName',
    `channel` Nullable(String) COMMENT 'channel',
    `attributes` String COMMENT 'attributes as JSON text: an object of attribute name to value',
    `created_at` Nullable(DateTime('UTC')) COMMENT 'createdAt (epoch ms)',
    `matched_filters` Array(String) COMMENT 'the configured filters that matched, as name=value',
    `_extra` String COMMENT 'user fields the API added that have no column',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`user_id`);

-- technowiz_messages (merge, key: message_id)
CREATE TABLE IF NOT EXISTS {database}.`technowiz_messages_raw`
(
    `message_id` String COMMENT 'id of the message',
    `user_id` String COMMENT 'userId of the conversation (technowiz_users.user_id)',
    `from` String COMMENT 'user, bot or agent',
    `type` String COMMENT 'type',
    `text` Nullable(String) COMMENT 'text',
    `timestamp` DateTime('UTC') COMMENT 'epoch ms, stored to the second',
    `payload` String COMMENT 'the message payload as JSON text, keys as received',
    `_extra` String COMMENT 'message fields the API added that have no column',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = ReplacingMergeTree(`_extracted_at`)
PARTITION BY toYYYYMM(`timestamp`)
ORDER BY (`message_id`);
CREATE VIEW IF NOT EXISTS {database}.`technowiz_messages` AS
SELECT `message_id`, `user_id`, `from`, `type`, `text`, `timestamp`, `payload`, `_extra`, `_extracted_at`, `_run_id`
FROM {database}.`technowiz_messages_raw` FINAL;
