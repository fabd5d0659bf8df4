-- source bot
-- Generated from the table declarations by `make generate`; do not edit.
-- {database} is replaced by the target database when `etl migrate` applies it.

-- bot_users (merge, key: channel_id, user_id)
CREATE TABLE IF NOT EXISTS {database}.`bot_users_raw`
(
    `channel_id` Int64 COMMENT 'channel code (1010 webchat, 1014 whatsapp, ...)',
    `channel_name` String,
    `user_id` String COMMENT 'userId: unique per channel (a phone number on whatsapp)',
    `user_name` Nullable(String),
    `created_at` DateTime('UTC') COMMENT 'createdDate',
    `first_interacted_at` Nullable(DateTime('UTC')) COMMENT '"first interacted date"',
    `last_interacted_at` DateTime('UTC') COMMENT '"last interacted date"',
    `seen_at` DateTime('UTC') COMMENT 'last_interacted_at when it lies in the extracted window, else the window\'s last second: the API listed the user as active in that window but may report its dates over the user\'s whole history',
    `_extra` String COMMENT 'user fields the API added that have no column',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = ReplacingMergeTree(`last_interacted_at`)
PARTITION BY toYYYYMM(`created_at`)
ORDER BY (`channel_id`, `user_id`);
CREATE VIEW IF NOT EXISTS {database}.`bot_users` AS
SELECT `channel_id`, `channel_name`, `user_id`, `user_name`, `created_at`, `first_interacted_at`, `last_interacted_at`, `seen_at`, `_extra`, `_extracted_at`, `_run_id`
FROM {database}.`bot_users_raw` FINAL;

-- bot_transcript_messages (merge, key: message_key)
CREATE TABLE IF NOT EXISTS {database}.`bot_transcript_messages_raw`
(
    `message_key` String COMMENT 'stable key: hash of bot_user_id, channel_id, created_at, message_index',
    `bot_user_id` String,
    `channel_id` Int64,
    `channel_name` String,
    `message_index` Int64 COMMENT '0-based position among this user\'s messages with the same created_at, in API order (usually 0; a bot\'s burst shares one second)',
    `from` String COMMENT 'User, Bot or Agent',
    `type` String COMMENT 'text, card, carousel, form, list, reply, template, location, contact, image, ...',
    `created_at` DateTime('UTC'),
    `updated_at` DateTime('UTC') COMMENT 'updatedAt (createdAt when absent)',
    `is_preview_user` UInt8,
    `text` Nullable(String) COMMENT 'text.message of text messages',
    `buttons` Array(String) COMMENT 'button labels shown with the message (text, card, carousel, reply, template, list...)',
    `payload` String COMMENT 'the object named after the type, whole, keys exactly as received',
    `_extra` String COMMENT 'other top-level fields of the message (e.g. an attachment beside an image)',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = ReplacingMergeTree(`updated_at`)
PARTITION BY toYYYYMM(`created_at`)
ORDER BY (`message_key`);
CREATE VIEW IF NOT EXISTS {database}.`bot_transcript_messages` AS
SELECT `message_key`, `bot_user_id`, `channel_id`, `channel_name`, `message_index`, `from`, `type`, `created_at`, `updated_at`, `is_preview_user`, `text`, `buttons`, `payload`, `_extra`, `_extracted_at`, `_run_id`
FROM {database}.`bot_transcript_messages_raw` FINAL;

-- bot_user_custom_fields (merge, key: channel_id, bot_user_id)
CREATE TABLE IF NOT EXISTS {database}.`bot_user_custom_fields_raw`
(
    `channel_id` Int64,
    `channel_name` String,
    `bot_user_id` String,
    `custom_fields` String,
    `seen_at` DateTime('UTC') COMMENT 'the user\'s last message in the extracted window',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = ReplacingMergeTree(`_extracted_at`)
ORDER BY (`channel_id`, `bot_user_id`);
CREATE VIEW IF NOT EXISTS {database}.`bot_user_custom_fields` AS
SELECT `channel_id`, `channel_name`, `bot_user_id`, `custom_fields`, `seen_at`, `_extracted_at`, `_run_id`
FROM {database}.`bot_user_custom_fields_raw` FINAL;

-- bot_usage_monthly (replace-window, key: month, channel_id)
CREATE TABLE IF NOT EXISTS {database}.`bot_usage_monthly`
(
    `month` Date COMMENT 'first day of the month',
    `channel_id` Int64,
    `channel_name` String,
    `total_messages` Int64,
    `total_users` Int64,
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`month`)
ORDER BY (`month`, `channel_id`);
