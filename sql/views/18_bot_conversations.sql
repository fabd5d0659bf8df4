-- bot_conversations: Bot conversations: one row per user, channel and UTC day with its messages and length, preview users excluded.
-- Generated from views/views.go by `make generate`; do not edit.
-- {database} is replaced by the target database. `etl migrate` applies it (on 18.16 as DROP + CREATE,
-- on current releases as CREATE OR REPLACE VIEW when the definition changed).

CREATE VIEW IF NOT EXISTS {database}.`bot_conversations`
(
    `day` Date COMMENT 'UTC day of the messages (bot_transcript_messages.created_at)',
    `channel_id` Int64 COMMENT 'bot_transcript_messages.channel_id',
    `channel_name` String COMMENT 'bot_transcript_messages.channel_name',
    `bot_user_id` String COMMENT 'bot_transcript_messages.bot_user_id',
    `messages` Int64 COMMENT 'messages of any sender',
    `user_messages` Int64 COMMENT 'messages with from = User',
    `started_at` DateTime('UTC') COMMENT 'first message (min created_at), UTC, to the second',
    `ended_at` DateTime('UTC') COMMENT 'last message (max created_at), UTC, to the second',
    `duration_s` Int64 COMMENT 'ended_at - started_at in seconds'
) AS
SELECT toDate(created_at) AS day, channel_id,
       max(channel_name) AS channel_name,
       bot_user_id,
       toInt64(count(*)) AS messages,
       toInt64(countIf(ifNull(lower(`from`) = 'user', 0))) AS user_messages,
       min(created_at) AS started_at,
       max(created_at) AS ended_at,
       toInt64(max(created_at)) - toInt64(min(created_at)) AS duration_s
FROM {database}.`bot_transcript_messages`
WHERE NOT (is_preview_user = 1)
GROUP BY toDate(created_at), channel_id, bot_user_id;
